from django.db.models import QuerySet

from vafa.core.errors import MemberNotFound
from vafa.core.phone import normalize_phone
from vafa.members.models import Member


def parse_member_id(raw) -> int:
    """Any id shape is accepted at the edge; what is not a positive integer is not a member."""
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        raise MemberNotFound(details={"id": str(raw)[:64]}) from None
    if value <= 0 or value > 2**62:
        raise MemberNotFound(details={"id": str(raw)[:64]})
    return value


def member_get(*, member_id) -> Member:
    member = Member.objects.filter(pk=parse_member_id(member_id)).first()
    if member is None:
        raise MemberNotFound(details={"id": str(member_id)[:64]})
    return member


def member_by_phone(*, phone: str) -> Member:
    member = Member.objects.filter(phone=normalize_phone(phone)).first()
    if member is None:
        raise MemberNotFound(details={"phone": phone})
    return member


def member_list(*, phone: str | None = None, limit: int = 50) -> QuerySet[Member]:
    qs = Member.objects.order_by("-id")
    if phone:
        qs = qs.filter(phone=normalize_phone(phone))
    return qs[:limit]
