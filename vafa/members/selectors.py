from django.db.models import QuerySet

from vafa.core.errors import MemberNotFound
from vafa.core.ids import parse_id
from vafa.core.phone import normalize_phone
from vafa.members.models import Member


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
