"""A member's data on request: everything the club holds about one member, as JSON or CSV,
and erasing one member (the right to be forgotten).

The export reads every table that names the member, a section each, row by row (a member
with years of purchases is never one list in memory). Erasing anonymises the person (see
`members.services.member_erase`) and keeps what the club's books need: the ledger stays
balanced, and purchases, refunds and points stay in every total, tied to an anonymous member.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q

from vafa.commerce.models import Purchase, PurchaseItem, Refund
from vafa.core.audit import Actor, audit_record
from vafa.engage.models import ChallengeCompletion, ContestEntry, MemberBadge
from vafa.engage.services import contest_entries_forget
from vafa.ledger.models import Account, Transfer
from vafa.ledger.services import idempotency_forget
from vafa.member_events.models import Event
from vafa.members.models import Application, Consent, Interest, Member, Membership, Occasion
from vafa.members.selectors import member_get
from vafa.members.services import member_erase as _erase
from vafa.program.models import MemberTier, RuleAward, TierChange
from vafa.referrals.models import Referral
from vafa.referrals.services import referral_forget
from vafa.rewards.models import Coupon, GiftCard, Redemption, Shipment, ShipmentStep
from vafa.rewards.services import shipments_forget

_MEMBER_FIELDS = ("id", "phone", "kind", "first_name", "last_name", "organization_name", "national_id", "email",
                  "birth_date", "status", "referral_code", "referred_by_id", "merchant_id", "joined_at")
_SECRETS = {"code_hash", "digest"}  # never part of an export


def _sections(member_id: int):
    """(section, queryset) for every table that names the member."""
    account = Account.objects.filter(member_id=member_id)
    return [
        ("member", Member.objects.filter(pk=member_id).values(*_MEMBER_FIELDS)),
        ("consents", Consent.objects.filter(member_id=member_id).values()),
        ("interests", Interest.objects.filter(members=member_id).values("name")),
        ("occasions", Occasion.objects.filter(member_id=member_id).values()),
        ("account", account.values("code", "balance", "deficit")),
        ("transfers", Transfer.objects.filter(Q(debit__in=account) | Q(credit__in=account))
         .values("id", "kind", "amount", "debit__code", "credit__code", "merchant_id", "source_kind", "source_id",
                 "rule", "memo", "created_at")),
        ("purchases", Purchase.objects.filter(member_id=member_id).values()),
        ("purchase_items", PurchaseItem.objects.filter(purchase__member_id=member_id).values()),
        ("refunds", Refund.objects.filter(purchase__member_id=member_id).values()),
        ("redemptions", Redemption.objects.filter(member_id=member_id).values()),
        ("coupons", Coupon.objects.filter(member_id=member_id).values()),
        ("gift_cards", GiftCard.objects.filter(member_id=member_id).values()),
        ("shipments", Shipment.objects.filter(redemption__member_id=member_id).values()),
        ("shipment_steps", ShipmentStep.objects.filter(shipment__redemption__member_id=member_id).values()),
        ("events", Event.objects.filter(member_id=member_id).values()),
        ("memberships", Membership.objects.filter(member_id=member_id).values()),
        ("applications", Application.objects.filter(member_id=member_id).values()),
        ("tier", MemberTier.objects.filter(member_id=member_id).values()),
        ("tier_changes", TierChange.objects.filter(member_id=member_id).values()),
        ("rule_awards", RuleAward.objects.filter(member_id=member_id).values()),
        ("badges", MemberBadge.objects.filter(member_id=member_id).values("id", "badge__code", "badge__name",
                                                                           "awarded_at")),
        ("challenges_completed", ChallengeCompletion.objects.filter(member_id=member_id).values(
            "id", "challenge_id", "challenge__name", "completed_at")),
        ("contest_entries", ContestEntry.objects.filter(member_id=member_id).values(
            "id", "contest_id", "contest__name", "text", "photo", "photo_type", "status", "points_awarded",
            "created_at", "decided_at")),
        # Whom they referred and who referred them, by id: never the other person's number or code.
        ("referrals", Referral.objects.filter(Q(referrer_id=member_id) | Q(referred_id=member_id)).values(
            "id", "referrer_id", "referred_id", "status", "created_at", "completed_at", "purchase_id")),
    ]


def _rows(queryset) -> Iterator[dict]:
    for row in queryset.order_by("pk").iterator(chunk_size=500):
        yield {key: value for key, value in row.items() if key not in _SECRETS}


def member_export_json(*, member_id, actor: Actor | None = None) -> Iterator[str]:
    """The member's data as one JSON document, in pieces (for a streamed answer or a file)."""
    member = member_get(member_id=member_id)
    _audited(member, actor, "json")
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    yield "{"
    for n, (section, queryset) in enumerate(_sections(member.pk)):
        yield f'{"," if n else ""}\n  {json.dumps(section)}: ['
        for m, row in enumerate(_rows(queryset)):
            yield f'{"," if m else ""}\n    {encoder.encode(row)}'
        yield "\n  ]"
    yield "\n}\n"


class _Line:
    def write(self, value: str) -> str:
        return value


def member_export_csv(*, member_id, actor: Actor | None = None) -> Iterator[str]:
    """The member's data as CSV lines: section, row number, field, value."""
    member = member_get(member_id=member_id)
    _audited(member, actor, "csv")
    writer = csv.writer(_Line())
    yield writer.writerow(["section", "row", "field", "value"])
    encoder = DjangoJSONEncoder()
    for section, queryset in _sections(member.pk):
        for n, row in enumerate(_rows(queryset), start=1):
            for field, value in row.items():
                shown = "" if value is None else value if isinstance(value, str) else encoder.encode(value).strip('"')
                yield writer.writerow([section, n, field, shown])


def _audited(member: Member, actor: Actor | None, form: str) -> None:
    if actor is not None:
        audit_record(actor=actor, action="member.export", target=member, after={"format": form})


def member_erase(*, member_id, actor: Actor | None = None) -> Member:
    """Anonymise one member for good, everywhere their data is kept: the member, their referral,
    the addresses their rewards were sent to, what they sent to contests, the answers kept for
    retries; audited (the entry keeps no personal data)."""
    with transaction.atomic():
        phone = member_get(member_id=member_id).phone
        member = _erase(member_id=member_id, actor=actor)
        referral_forget(member_id=member.pk)
        shipments_forget(member_id=member.pk)
        contest_entries_forget(member_id=member.pk)
        if not phone.startswith("erased-"):
            idempotency_forget(phone=phone)
    return member
