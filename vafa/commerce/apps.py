from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "vafa.commerce"
    label = "commerce"
    verbose_name = _("purchases")

    def ready(self):
        from vafa.commerce import activity
        from vafa.core import events

        # Joining and completing the profile are earning triggers (rules decide the points).
        events.subscribe(events.MEMBER_CREATED, activity.on_member_created)
        events.subscribe(events.MEMBER_UPDATED, activity.on_member_updated)
