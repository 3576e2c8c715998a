from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramConfig(AppConfig):
    name = "vafa.program"
    label = "program"
    verbose_name = _("program")

    def ready(self):
        from vafa.core import events
        from vafa.members.events import PlanChanged
        from vafa.program.version import program_changed_by

        # A paid plan's earn percent is part of the program each process caches.
        events.subscribe(PlanChanged, program_changed_by, order=10)
