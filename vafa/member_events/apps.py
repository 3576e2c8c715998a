from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MemberEventsConfig(AppConfig):
    name = "vafa.member_events"
    label = "member_events"
    verbose_name = _("member events")

    def ready(self):
        from vafa.core import events
        from vafa.member_events import services

        # Joining and completing the profile are earning triggers (rules decide the points).
        events.subscribe(events.MEMBER_CREATED, services.on_member_created)
        events.subscribe(events.MEMBER_UPDATED, services.on_member_updated)
