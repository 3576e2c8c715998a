"""What engagement offers to read."""

from django.db.models import QuerySet

from vafa.engage.automations import automation_get, automation_history, automation_list
from vafa.engage.campaigns import (
    campaign_counts,
    campaign_estimate,
    campaign_get,
    campaign_lift,
    campaign_list,
    campaign_preview,
    two_proportion_z,
)
from vafa.engage.messages import unsubscribe_read, unsubscribe_token, window_opening
from vafa.engage.models import Message
from vafa.engage.segments import (
    conditions_count,
    segment_count,
    segment_get,
    segment_list,
    segment_member_ids,
    segment_member_pages,
    segment_members,
)
from vafa.engage.texts import PLACEHOLDERS, sms_length


def member_messages(*, member_id: int, before_id: int | None = None, limit: int = 50) -> QuerySet[Message]:
    """A member's messages, newest first; `before_id` is the cursor of the next page."""
    rows = Message.objects.filter(member_id=member_id).select_related("campaign", "automation").order_by("-id")
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    return rows[:limit]


def message_search(*, member_id: int | None = None, status: str | None = None, limit: int = 100):
    rows = Message.objects.select_related("member", "campaign", "automation").order_by("-id")
    if member_id is not None:
        rows = rows.filter(member_id=member_id)
    if status:
        rows = rows.filter(status=status)
    return rows[:limit]


__all__ = [
    "PLACEHOLDERS",
    "automation_get",
    "automation_history",
    "automation_list",
    "campaign_counts",
    "campaign_estimate",
    "campaign_get",
    "campaign_lift",
    "campaign_list",
    "campaign_preview",
    "conditions_count",
    "member_messages",
    "message_search",
    "segment_count",
    "segment_get",
    "segment_list",
    "segment_member_ids",
    "segment_member_pages",
    "segment_members",
    "sms_length",
    "two_proportion_z",
    "unsubscribe_read",
    "unsubscribe_token",
    "window_opening",
]
