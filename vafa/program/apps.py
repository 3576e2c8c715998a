from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramConfig(AppConfig):
    name = "vafa.program"
    label = "program"
    verbose_name = _("program")

    def ready(self):
        from vafa.core import events
        from vafa.program.version import program_changed

        # A paid plan's earn percent is part of the program each process caches.
        events.subscribe(events.PLAN_CHANGED, lambda **_: program_changed())
