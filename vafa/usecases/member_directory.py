"""The back-office's member directory: finding members and reading one member's whole file.

A member's file gathers what several apps know (balance and ledger, tier, purchases, referrals,
coupons); members itself may not look upward.

Search (`member_search`) takes one box of text and reads it the way staff type it:
- a mobile number in any Iranian form (09.., 9.., +98.., 0098.., Persian/Arabic digits) finds
  that member exactly (`phone_hit` says so, the page may then show the number in full);
- a valid national code / national ID finds that member;
- other digits (4 or more) match part of a phone number or the start of a national code;
- words match first, last or organisation names (every word must match one of them; Arabic
  and Persian forms of ی and ک are the same letter here).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from vafa.commerce.models import Purchase
from vafa.commerce.selectors import TierStatus, member_tier_status
from vafa.core.digits import to_ascii_digits
from vafa.core.errors import InvalidNationalId, InvalidPhone, MemberNotFound
from vafa.core.jalali import TEHRAN
from vafa.core.national_id import validate_legal_id, validate_national_code
from vafa.core.phone import normalize_phone
from vafa.ledger.models import Account
from vafa.ledger.selectors import PointsSummary, member_points
from vafa.members.models import Application, Member
from vafa.members.selectors import parse_member_id
from vafa.program.models import TierChange
from vafa.referrals.selectors import ReferralRow, member_referrals, referral_of
from vafa.rewards.models import Coupon, GiftCard
from vafa.rewards.selectors import member_coupons, member_gift_cards

NO_TIER = "none"
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015.()\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
_ARABIC_TO_PERSIAN = str.maketrans({"\u064a": "\u06cc", "\u0643": "\u06a9", "\u0649": "\u06cc"})
_PERSIAN_TO_ARABIC = str.maketrans({"\u06cc": "\u064a", "\u06a9": "\u0643"})
MAX_QUERY = 100


@dataclass(frozen=True)
class SearchQuery:
    """What the text box was read as: the members it selects and whether it was a full phone."""

    condition: Q
    phone: str | None = None  # the E.164 number searched for, when the text was a mobile number


def parse_search(text: str, *, partial_numbers: bool = True) -> SearchQuery | None:
    """The condition for the search box's text; None for an empty box.

    Without `partial_numbers` only a whole phone number or national code matches: someone who
    sees numbers masked could otherwise rebuild one digit by digit from what a part finds."""
    text = (text or "").strip()[:MAX_QUERY]
    if not text:
        return None
    compact = _SEPARATORS.sub("", to_ascii_digits(text))
    if re.fullmatch(r"\+?[0-9]+", compact):
        condition = Q(pk__in=[])
        phone = None
        try:
            phone = normalize_phone(compact)
            condition |= Q(phone=phone)
        except InvalidPhone:
            pass
        for validate in (validate_national_code, validate_legal_id):
            with contextlib.suppress(InvalidNationalId):
                condition |= Q(national_id=validate(compact))
        digits = compact.lstrip("+")
        if partial_numbers and phone is None and len(digits) >= 4:
            # Part of a number: "0912123" is stored as +98912123..., so the trunk 0 goes.
            partial = digits[1:] if digits.startswith("0") else digits
            condition |= Q(phone__contains=partial) | Q(national_id__startswith=digits)
        return SearchQuery(condition=condition, phone=phone)
    condition = Q()
    for word in text.split()[:5]:
        either = Q()
        for form in {word, word.translate(_ARABIC_TO_PERSIAN), word.translate(_PERSIAN_TO_ARABIC)}:
            either |= (Q(first_name__icontains=form) | Q(last_name__icontains=form)
                       | Q(organization_name__icontains=form))
        condition &= either
    return SearchQuery(condition=condition)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TEHRAN)


def member_search(*, text: str = "", status: str = "", kind: str = "", tier: str = "",
                  joined_from: date | None = None, joined_to: date | None = None,
                  pending_application: bool = False, partial_numbers: bool = True
                  ) -> tuple[QuerySet[Member], str | None]:
    """Members matching the search box and filters, newest first, each with `balance`, its tier
    (`tier_state.tier`) and application loaded in the same query. Answers the queryset and the
    phone number searched for (None unless the text was a full mobile number).

    `joined_from`/`joined_to` are Tehran days, both included; `tier` is a tier code or "none"."""
    query = parse_search(text, partial_numbers=partial_numbers)
    balance = Account.objects.filter(member_id=OuterRef("pk")).values("balance")[:1]
    qs = (Member.objects.select_related("tier_state__tier", "application")
          .annotate(balance=Subquery(balance)).order_by("-joined_at", "-id"))
    if query is not None:
        qs = qs.filter(query.condition)
    if status in Member.Status.values:
        qs = qs.filter(status=status)
    if kind in Member.Kind.values:
        qs = qs.filter(kind=kind)
    if tier == NO_TIER:
        qs = qs.filter(Q(tier_state__isnull=True) | Q(tier_state__tier__isnull=True))
    elif tier:
        qs = qs.filter(tier_state__tier__code=tier)
    if joined_from:
        qs = qs.filter(joined_at__gte=_day_start(joined_from))
    if joined_to and joined_to < date.max:  # the last day there is has no end bound
        qs = qs.filter(joined_at__lt=_day_start(joined_to + timedelta(days=1)))
    if pending_application:
        qs = qs.filter(application__status=Application.Status.PENDING)
    return qs, query.phone if query is not None else None


@dataclass(frozen=True)
class MemberFile:
    """Everything the back-office shows about one member."""

    member: Member
    points: PointsSummary
    tier: TierStatus
    tier_history: list[TierChange]
    purchases: list[Purchase]
    purchase_count: int
    referrals: list[ReferralRow]
    referred_by: Member | None
    coupons: list[Coupon]
    gift_cards: list[GiftCard]
    application: Application | None


def member_file(*, member_id, now: datetime | None = None, purchases_limit: int = 20,
                history_limit: int = 20, rewards_limit: int = 50) -> MemberFile:
    """One member's file (a bounded number of queries whatever the member's history)."""
    now = now or timezone.now()
    member = Member.objects.select_related("application").filter(pk=parse_member_id(member_id)).first()
    if member is None:
        raise MemberNotFound(details={"id": str(member_id)[:64]})
    referral = referral_of(member_id=member.pk)
    purchases = Purchase.objects.filter(member_id=member.pk)
    return MemberFile(
        member=member,
        points=member_points(member_id=member.pk, now=now),
        tier=member_tier_status(member_id=member.pk, now=now),
        tier_history=list(TierChange.objects.filter(member_id=member.pk)
                          .select_related("from_tier", "to_tier")[:history_limit]),
        purchases=list(purchases.select_related("branch").order_by("-occurred_at", "-id")[:purchases_limit]),
        purchase_count=purchases.count(),
        referrals=member_referrals(member_id=member.pk),
        referred_by=referral.referrer if referral is not None else None,
        coupons=member_coupons(member_id=member.pk, limit=rewards_limit),
        gift_cards=member_gift_cards(member_id=member.pk, limit=rewards_limit),
        application=member.application if hasattr(member, "application") else None,
    )
