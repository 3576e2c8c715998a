from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "vafa.integrations"
    label = "integrations"
    verbose_name = _("integrations")

    def ready(self):
        from django.core import checks

        from vafa.integrations.sms import outbox  # noqa: F401 - registers the outbox handler that sends SMS

        checks.register(sms_gateway_chosen, checks.Tags.security, deploy=True)


def sms_gateway_chosen(app_configs=None, **kwargs):
    """`vafa check --deploy`: production sends no SMS until a gateway is chosen."""
    from django.core.checks import Error

    from vafa.integrations.sms.base import sms_backend_refused

    refused = sms_backend_refused()
    return [Error(refused, id="vafa.E001")] if refused else []
