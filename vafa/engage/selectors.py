"""What engagement offers to read."""

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce

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
from vafa.engage.contests import (
    contest_entries,
    contest_entry_get,
    contest_get,
    contest_list,
    contest_photo,
    member_contest,
    member_contests,
    taking_entries,
)
from vafa.engage.drafts import draft_preview
from vafa.engage.messages import unsubscribe_read, unsubscribe_token, window_opening
from vafa.engage.models import Message
from vafa.engage.recognition import (
    badge_get,
    badge_list,
    challenge_get,
    challenge_list,
    challenge_value,
    current_streak,
    member_badges,
    member_challenges,
    week_of,
)
from vafa.engage.reviews import (
    member_purchase,
    member_reviewed_purchases,
    member_reviews,
    review_get,
    review_list,
    reviews_points,
)
from vafa.engage.segments import (
    conditions_count,
    segment_count,
    segment_get,
    segment_list,
    segment_member_ids,
    segment_member_pages,
    segment_members,
)
from vafa.engage.surveys import (
    answer_items,
    member_survey_answers,
    member_surveys,
    nps_of,
    percent_of,
    survey_answer_of,
    survey_answers,
    survey_get,
    survey_link,
    survey_list,
    survey_results,
    survey_state,
    survey_texts,
)
from vafa.engage.texts import PLACEHOLDERS, sms_length


def member_messages(*, member_id: int, before_id: int | None = None, limit: int = 50) -> QuerySet[Message]:
    """A member's messages, newest first; `before_id` is the cursor of the next page."""
    rows = Message.objects.filter(member_id=member_id).select_related("campaign", "automation").order_by("-id")
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    return rows[:limit]


def member_messages_received(*, member_id: int, before_id: int | None = None,
                             limit: int = 20) -> tuple[list[Message], int | None]:
    """The messages a member received (sent or delivered; not those skipped, failed or still on
    their way), the last sent first, and the cursor of the next page (None on the last): the id
    of this page's last message, which must be one of the member's received ones."""
    rows = (Message.objects.filter(member_id=member_id, status__in=(Message.Status.SENT, Message.Status.DELIVERED))
            .annotate(at=Coalesce("sent_at", "created_at")))
    if before_id is not None:
        last = rows.filter(pk=before_id).values_list("at", flat=True).first()
        if last is None:
            return [], None
        rows = rows.filter(Q(at__lt=last) | Q(at=last, pk__lt=before_id))
    found = list(rows.order_by("-at", "-pk")[:limit + 1])
    return found[:limit], (found[limit - 1].pk if len(found) > limit else None)


def message_search(*, member_id: int | None = None, status: str | None = None, limit: int = 100):
    rows = Message.objects.select_related("member", "campaign", "automation").order_by("-id")
    if member_id is not None:
        rows = rows.filter(member_id=member_id)
    if status:
        rows = rows.filter(status=status)
    return rows[:limit]



def member_feedback(*, member_id: int, limit: int = 20) -> dict:
    """What a member told the club, for the member's page: survey answers (with their questions)
    and reviews (with the points each earned), newest first."""
    reviews = list(member_reviews(member_id=member_id, limit=limit))
    points = reviews_points(reviews)
    return {"answers": member_survey_answers(member_id=member_id, limit=limit),
            "reviews": [{"review": r, "points": points.get(r.pk, 0)} for r in reviews]}


__all__ = [
    "PLACEHOLDERS",
    "answer_items",
    "automation_get",
    "automation_history",
    "automation_list",
    "badge_get",
    "badge_list",
    "campaign_counts",
    "campaign_estimate",
    "campaign_get",
    "campaign_lift",
    "campaign_list",
    "campaign_preview",
    "challenge_get",
    "challenge_list",
    "challenge_value",
    "conditions_count",
    "contest_entries",
    "contest_entry_get",
    "contest_get",
    "contest_list",
    "contest_photo",
    "current_streak",
    "draft_preview",
    "member_badges",
    "member_challenges",
    "member_contest",
    "member_contests",
    "member_feedback",
    "member_messages",
    "member_messages_received",
    "member_purchase",
    "member_reviewed_purchases",
    "member_reviews",
    "member_survey_answers",
    "member_surveys",
    "message_search",
    "nps_of",
    "percent_of",
    "review_get",
    "review_list",
    "reviews_points",
    "segment_count",
    "segment_get",
    "segment_list",
    "segment_member_ids",
    "segment_member_pages",
    "segment_members",
    "sms_length",
    "survey_answer_of",
    "survey_answers",
    "survey_get",
    "survey_link",
    "survey_list",
    "survey_results",
    "survey_state",
    "survey_texts",
    "taking_entries",
    "two_proportion_z",
    "unsubscribe_read",
    "unsubscribe_token",
    "week_of",
    "window_opening",
]
