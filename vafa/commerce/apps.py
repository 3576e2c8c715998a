from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "vafa.commerce"
    label = "commerce"

    def ready(self):
        from vafa.commerce import activity
        from vafa.core import events

        # Joining and completing the profile are earning triggers (rules decide the points).
        events.subscribe(events.MEMBER_CREATED, activity.on_member_created)
        events.subscribe(events.MEMBER_UPDATED, activity.on_member_updated)
