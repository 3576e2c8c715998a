from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "vafa.integrations"
    label = "integrations"
    verbose_name = _("integrations")

    def ready(self):
        from vafa.integrations.sms import outbox  # noqa: F401 - registers the outbox handler that sends SMS
