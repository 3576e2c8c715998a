"""A member changing their own profile and consents from the member portal: everything the
form sends is saved together or not at all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import transaction

from vafa.core.errors import ValidationFailed
from vafa.members.models import Consent, Member, Occasion
from vafa.members.services import member_consent_set, member_update

KEEP = object()  # wedding_date not given: the occasions stay as they are


def member_profile_save(*, member_id: int, changes: Mapping, wedding_date: dt.date | object | None = KEEP) -> Member:
    """Save profile `changes` (member_update's fields, `interests` as names) and, when given,
    the wedding anniversary (None removes it); the member's other occasions are kept as they
    are. One transaction: a refusal changes nothing."""
    changes = dict(changes)
    with transaction.atomic():
        if wedding_date is not KEEP:
            others = [{"kind": o.kind, "title": o.title, "date": o.date}
                      for o in Occasion.objects.filter(member_id=member_id).exclude(kind=Occasion.Kind.WEDDING)
                      .order_by("id")]
            wedding = [{"kind": Occasion.Kind.WEDDING, "title": "", "date": wedding_date}] if wedding_date else []
            changes["occasions"] = wedding + others
        return member_update(member_id=member_id, changes=changes)


def member_consents_save(*, member_id: int, consents: Mapping[str, bool]) -> dict[str, bool]:
    """Set the member's marketing consent for each channel given; all or nothing."""
    unknown = sorted(set(consents) - set(Consent.Channel.values))
    if unknown:
        raise ValidationFailed(details={"consents": f"unknown channels: {', '.join(unknown)}"})
    with transaction.atomic():
        member = Member.objects.get(pk=member_id)
        current = member_consents(member_id=member_id)
        for channel, granted in consents.items():
            if current.get(channel) != bool(granted):
                member_consent_set(member=member, channel=channel, granted=bool(granted))
    return member_consents(member_id=member_id)


def member_consents(*, member_id: int) -> dict[str, bool | None]:
    """Each channel's consent: True / False, or None when never asked."""
    given = dict(Consent.objects.filter(member_id=member_id).values_list("channel", "granted"))
    return {channel: given.get(channel) for channel in Consent.Channel.values}
