from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "vafa.webhooks"
    label = "webhooks"
    verbose_name = _("webhooks")

    def ready(self):
        from vafa.webhooks import delivery  # noqa: F401  (registers the outbox handler)
        from vafa.webhooks.services import webhooks_subscribe

        webhooks_subscribe()
