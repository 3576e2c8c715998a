from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UseCasesConfig(AppConfig):
    """The use cases that combine several apps (the till, the checkout preview, the rule dry run,
    joining the club, a member's history and file). No models of its own."""

    name = "vafa.usecases"
    label = "usecases"
    verbose_name = _("use cases")

    def ready(self):
        from datetime import time

        from vafa.core.jobs import PeriodicJob, jobs_register

        jobs_register(PeriodicJob("retention", "vafa.usecases.tasks.retention", at=time(3, 30)))
