from django.db.models import QuerySet

from vafa.core.errors import InvalidPhone, MemberNotFound
from vafa.core.ids import parse_id
from vafa.core.phone import normalize_phone
from vafa.members.models import Consent, ConsentChange, Interest, Member


def parse_member_id(raw) -> int:
    return parse_id(raw, MemberNotFound)


def member_get(*, member_id) -> Member:
    member = Member.objects.filter(pk=parse_member_id(member_id)).first()
    if member is None:
        raise MemberNotFound(details={"id": str(member_id)[:64]})
    return member


def member_list(*, phone: str | None = None, limit: int = 50) -> QuerySet[Member]:
    qs = Member.objects.order_by("-id")
    if phone:
        qs = qs.filter(phone=normalize_phone(phone))
    return qs[:limit]


def member_find_by_phone(*, phone) -> Member | None:
    """The member with this phone, or None (also for a phone that is not a phone)."""
    try:
        return Member.objects.filter(phone=normalize_phone(phone)).first()
    except InvalidPhone:
        return None


def member_consents(*, member_id: int) -> dict[str, bool | None]:
    """Each channel's consent: True / False, or None when never asked."""
    given = dict(Consent.objects.filter(member_id=member_id).values_list("channel", "granted"))
    return {channel: given.get(channel) for channel in Consent.Channel.values}


def member_consent_changes(*, member_id: int, limit: int = 100) -> QuerySet[ConsentChange]:
    """The member's consent changes, the latest first: when, which channel, given or withdrawn,
    and how (the portal, an SMS reply, an unsubscribe link...)."""
    return ConsentChange.objects.filter(member_id=member_id).order_by("-at", "-id")[:limit]


def interest_list() -> QuerySet[Interest]:
    """Every interest members can have, by name (the segment builder offers them)."""
    return Interest.objects.order_by("name", "slug")


# --- what the app's other modules offer (other apps import only this module) -------------------
from vafa.members.applications import application_get, application_list, applications_pending  # noqa: E402
from vafa.members.memberships import (  # noqa: E402
    PlanInForce,
    in_force,
    member_earn_percent_from_plan,
    member_membership,
    member_memberships,
    memberships_expiring,
    plan_get,
    plan_list,
)
from vafa.members.tags import member_tag_codes, member_tags, tag_list  # noqa: E402

__all__ = [
    "PlanInForce",
    "application_get",
    "application_list",
    "applications_pending",
    "in_force",
    "interest_list",
    "member_consent_changes",
    "member_consents",
    "member_earn_percent_from_plan",
    "member_find_by_phone",
    "member_get",
    "member_list",
    "member_membership",
    "member_memberships",
    "member_tag_codes",
    "member_tags",
    "memberships_expiring",
    "parse_member_id",
    "plan_get",
    "plan_list",
    "tag_list",
]
