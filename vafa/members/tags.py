"""Staff tags on members: a tag is named freely ("VIP", «عمده‌فروش») and asked for by its code
(the name slugified), so "VIP" and "vip " are one tag. Rules (`tags`) and segments read them."""

from collections.abc import Iterable

from django.db import transaction
from django.utils.text import slugify

from vafa.core.errors import ValidationFailed
from vafa.core.events import publish
from vafa.members.events import MemberUpdated
from vafa.members.models import Member, MemberTag, Tag

MAX_TAGS_PER_CHANGE = 50


def tag_code(name: str) -> str:
    """The code of a tag name, or ValidationFailed for a name that has none."""
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 64:
        raise ValidationFailed(details={"tags": "names of 1 to 64 characters"})
    code = slugify(name.strip(), allow_unicode=True)[:64]
    if not code:
        raise ValidationFailed(details={"tags": f"a name with letters or digits: {name.strip()!r}"})
    return code


def _codes(names: Iterable[str]) -> dict[str, str]:
    names = list(names)
    if not names or len(names) > MAX_TAGS_PER_CHANGE:
        raise ValidationFailed(details={"tags": f"from 1 to {MAX_TAGS_PER_CHANGE} names"})
    return {tag_code(name): name.strip() for name in names}


def member_tags_add(*, member_id: int, names: Iterable[str], added_by: str = "") -> list[str]:
    """Put tags on a member (new tags are created); a tag already there stays as it was. Answers
    the member's tag codes."""
    codes = _codes(names)
    with transaction.atomic():
        member = _locked(member_id)
        for code, name in codes.items():
            tag, _ = Tag.objects.get_or_create(code=code, defaults={"name": name})
            MemberTag.objects.get_or_create(member=member, tag=tag, defaults={"added_by": added_by[:150]})
        publish(MemberUpdated(member_id=member.pk, fields=("tags",)))
    return member_tag_codes(member_id=member_id)


def member_tags_remove(*, member_id: int, names: Iterable[str]) -> list[str]:
    """Take tags off a member (a tag it does not carry is no error). Answers the tag codes left."""
    codes = _codes(names)
    with transaction.atomic():
        member = _locked(member_id)
        MemberTag.objects.filter(member=member, tag__code__in=codes).delete()
        publish(MemberUpdated(member_id=member.pk, fields=("tags",)))
    return member_tag_codes(member_id=member_id)


def _locked(member_id) -> Member:
    from vafa.members.selectors import member_get

    return Member.objects.select_for_update(no_key=True).get(pk=member_get(member_id=member_id).pk)


def member_tag_codes(*, member_id: int) -> list[str]:
    return list(MemberTag.objects.filter(member_id=member_id).order_by("tag__code")
                .values_list("tag__code", flat=True))


def member_tags(*, member_id: int) -> list[Tag]:
    return list(Tag.objects.filter(member_tags__member_id=member_id).order_by("code"))


def tag_list() -> list[Tag]:
    return list(Tag.objects.order_by("code"))
