from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MemberEventsConfig(AppConfig):
    name = "vafa.member_events"
    label = "member_events"
    verbose_name = _("member events")

    def ready(self):
        from vafa.core import events
        from vafa.member_events import triggers
        from vafa.members.events import MemberJoined, MemberUpdated

        # Joining and completing the profile are earning triggers (rules decide the points); the
        # account must be open and the referral recorded first.
        events.subscribe(MemberJoined, triggers.on_member_joined, order=30)
        events.subscribe(MemberUpdated, triggers.on_member_updated, order=10)

        from datetime import time

        from vafa.core.jobs import PeriodicJob, jobs_register

        # In the morning (a greeting at midnight is no greeting); a missed day is caught up.
        jobs_register(PeriodicJob("award-occasions", "vafa.member_events.tasks.award_occasions", at=time(8, 0),
                                  catches_up=True))
