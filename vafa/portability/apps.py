from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortabilityConfig(AppConfig):
    name = "vafa.portability"
    label = "portability"
    verbose_name = _("import and export")

    def ready(self):
        from vafa.core.jobs import tick_register
        from vafa.portability.background import data_jobs_resume

        # Imports and exports whose process was cut off are started again (and continue).
        tick_register("data-jobs", data_jobs_resume)
