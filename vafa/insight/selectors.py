"""Figures an owner reads: KPIs, liability, rates. Reads only; nothing below imports this.

Every figure is an aggregate query (a handful per dashboard, however many members there are),
written with the ORM so that it runs the same on SQLite and PostgreSQL. Reports group by
Jalali month in Tehran time: Jalali months do not line up with Gregorian ones, so the month
boundaries are computed in Python (`jalali_months`) and each row is put in its month with a
CASE over those boundaries, never with a database's own month function.

Definitions (the dashboard shows these; tests pin them with exact values):

- A point movement belongs to the Jalali month of its ledger time (`Transfer.created_at`, the
  moment it was booked, in Tehran), not of the purchase it came from.
- **issued** in a month = points credited to members by `earn`, `bonus` and `referral`
  (`earned`) + the month's adjustments, net (staff credits minus staff debits: `adjusted`,
  may be negative) - points clawed back by refunds (`refund_reversal` from a member: `reversed`).
  Refund claw-backs therefore reduce "issued" in the month of the refund; the parts are kept
  separately in `MonthPoints` so that the page can show them.
- **spent** = points members redeemed (`redeem`: rewards and discounts at checkout,
  `redeemed`) - spent points a refund gave back (`refund_reversal` to a member: `returned`).
- **expired** = points the expiry run took (`expire`).
- Points moved between two members (`transfer`) are neither issued nor spent.
- So over all time, the sum of member balances = issued - spent - expired.
- **liability** = the sum of member balances that are positive (available and pending points,
  including points past their date that the expiry run has not taken yet) x the point value
  of the live program, in Rials. Deficits (negative balances) are reported beside it, not netted.
- **members**: every member row (active, pending and blocked); **new** ones by `joined_at`.
- **active**: members with at least one purchase in the 90 days up to `now`; a purchase counts
  by `occurred_at` unless it was refunded in full (then it is as if it never happened).
- **repeat-purchase rate** = members with >= 2 purchases / members with >= 1 purchase, all time,
  with the same rule for refunded purchases. None when no one has bought.
- **redemption rate** = spent / issued over the 12 Jalali months shown. None when nothing was
  issued (or issued is not positive).
- **tiers**: members per current tier (`MemberTier`), members with no tier row or no tier together.
- **top rewards**: catalogue redemptions in the 12 Jalali months, most redeemed first, with the
  points spent on them; rewards given free by a rule are left out (no member chose them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.utils import timezone

from vafa.commerce.models import Purchase
from vafa.core.jalali import jalali_today, periods_of
from vafa.ledger.models import Account, Transfer
from vafa.members.models import Member
from vafa.program.models import Tier
from vafa.program.selectors import earn_policy
from vafa.rewards.models import Redemption

MONTHS_SHOWN = 12
ACTIVE_DAYS = 90
TOP_REWARDS = 5

MEMBER = Account.Role.MEMBER
_EARNING = (Transfer.Kind.EARN, Transfer.Kind.BONUS, Transfer.Kind.REFERRAL)


@dataclass(frozen=True)
class JalaliMonth:
    """One Jalali month in Tehran time, [start, end)."""

    year: int
    month: int
    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class MonthPoints:
    """Point movements of one Jalali month (see the module's definitions)."""

    month: JalaliMonth
    earned: int = 0
    adjusted: int = 0
    reversed: int = 0
    redeemed: int = 0
    returned: int = 0
    expired: int = 0

    @property
    def issued(self) -> int:
        return self.earned + self.adjusted - self.reversed

    @property
    def spent(self) -> int:
        return self.redeemed - self.returned


@dataclass(frozen=True)
class MonthMembers:
    month: JalaliMonth
    joined: int


@dataclass(frozen=True)
class MemberCounts:
    total: int
    new_this_month: int
    by_month: list[MonthMembers]


@dataclass(frozen=True)
class Liability:
    points: int  # sum of positive member balances
    point_value_rial: int
    deficit_points: int  # sum of negative balances, as a positive number

    @property
    def rial(self) -> int:
        return self.points * self.point_value_rial


@dataclass(frozen=True)
class PurchaseRates:
    buyers: int  # members with >= 1 purchase
    repeat_buyers: int  # members with >= 2 purchases
    active: int  # members with a purchase in the last ACTIVE_DAYS days

    @property
    def repeat_rate(self) -> float | None:
        return self.repeat_buyers / self.buyers if self.buyers else None


@dataclass(frozen=True)
class TierShare:
    tier_id: int | None  # None: no tier
    code: str
    name: str
    color: str
    members: int


@dataclass(frozen=True)
class RewardShare:
    reward_id: int
    name: str
    redemptions: int
    points: int


@dataclass(frozen=True)
class DashboardFigures:
    now: datetime
    months: list[JalaliMonth]
    members_total: int
    members_new_this_month: int
    members_active: int
    new_members_by_month: list[MonthMembers]
    points_by_month: list[MonthPoints]
    liability: Liability
    rates: PurchaseRates
    tiers: list[TierShare]
    top_rewards: list[RewardShare]

    @property
    def issued(self) -> int:
        """Points issued over the months shown."""
        return sum(m.issued for m in self.points_by_month)

    @property
    def spent(self) -> int:
        return sum(m.spent for m in self.points_by_month)

    @property
    def expired(self) -> int:
        return sum(m.expired for m in self.points_by_month)

    @property
    def redemption_rate(self) -> float | None:
        issued = self.issued
        return self.spent / issued if issued > 0 else None

    @property
    def repeat_rate(self) -> float | None:
        return self.rates.repeat_rate


def jalali_months(now: datetime, count: int = MONTHS_SHOWN) -> list[JalaliMonth]:
    """The `count` Jalali months up to and including `now`'s, oldest first."""
    months: list[JalaliMonth] = []
    moment = now
    for _ in range(count):
        start, end = periods_of(moment)["month"]
        year, month, _day = jalali_today(start)
        months.append(JalaliMonth(year=year, month=month, start=start, end=end))
        moment = start - timedelta(microseconds=1)
    return months[::-1]


def _bucket(field: str, months: list[JalaliMonth]) -> Case:
    """The index of the month holding `field` (None outside them): a CASE over the boundaries."""
    return Case(*[When(**{f"{field}__gte": m.start, f"{field}__lt": m.end}, then=Value(i))
                  for i, m in enumerate(months)], default=None, output_field=IntegerField())


def points_by_month(months: list[JalaliMonth]) -> list[MonthPoints]:
    """Issued, spent and expired points per Jalali month, in one grouped query."""
    rows = (
        Transfer.objects.filter(created_at__gte=months[0].start, created_at__lt=months[-1].end)
        .exclude(kind=Transfer.Kind.TRANSFER)
        .annotate(bucket=_bucket("created_at", months))
        .values("bucket", "kind", "debit__role", "credit__role")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    sums = [dict.fromkeys(("earned", "adjusted", "reversed", "redeemed", "returned", "expired"), 0)
            for _ in months]
    for row in rows:
        into_member, from_member = row["credit__role"] == MEMBER, row["debit__role"] == MEMBER
        if row["bucket"] is None or into_member == from_member:
            continue
        s, kind, total = sums[row["bucket"]], row["kind"], row["total"]
        if kind in _EARNING and into_member:
            s["earned"] += total
        elif kind == Transfer.Kind.ADJUST:
            s["adjusted"] += total if into_member else -total
        elif kind == Transfer.Kind.REFUND_REVERSAL:
            s["returned" if into_member else "reversed"] += total
        elif kind == Transfer.Kind.REDEEM and from_member:
            s["redeemed"] += total
        elif kind == Transfer.Kind.EXPIRE and from_member:
            s["expired"] += total
    return [MonthPoints(month=m, **s) for m, s in zip(months, sums, strict=True)]


def member_counts(months: list[JalaliMonth]) -> MemberCounts:
    """All members, and those who joined in each month, in one query (conditional counts)."""
    counts = Member.objects.aggregate(
        total=Count("id"),
        **{f"m{i}": Count("id", filter=Q(joined_at__gte=m.start, joined_at__lt=m.end)) for i, m in enumerate(months)},
    )
    by_month = [MonthMembers(month=m, joined=counts[f"m{i}"]) for i, m in enumerate(months)]
    return MemberCounts(total=counts["total"], new_this_month=by_month[-1].joined, by_month=by_month)


def outstanding_liability() -> Liability:
    """Points members hold and what they are worth at the live point value."""
    sums = Account.objects.filter(role=MEMBER).aggregate(
        held=Sum("balance", filter=Q(balance__gt=0)), owed=Sum("balance", filter=Q(balance__lt=0)))
    return Liability(points=sums["held"] or 0, point_value_rial=earn_policy().point_value_rial,
                     deficit_points=-(sums["owed"] or 0))


def purchase_rates(now: datetime, active_days: int = ACTIVE_DAYS) -> PurchaseRates:
    """Buyers, repeat buyers and members active in the last `active_days` days, in one query
    (an aggregate over per-member purchase counts)."""
    since = now - timedelta(days=active_days)
    per_member = (
        Purchase.objects.exclude(amount__gt=0, refunded_amount__gte=F("amount"))
        .values("member_id")
        .annotate(n=Count("id"), recent=Count("id", filter=Q(occurred_at__gt=since, occurred_at__lte=now)))
        .order_by()
    )
    sums = per_member.aggregate(buyers=Count("member_id"), repeat=Count("member_id", filter=Q(n__gte=2)),
                                active=Count("member_id", filter=Q(recent__gt=0)))
    return PurchaseRates(buyers=sums["buyers"] or 0, repeat_buyers=sums["repeat"] or 0, active=sums["active"] or 0)


def tier_distribution() -> list[TierShare]:
    """Members per current tier, lowest rank first, after those with no tier; tiers with no
    members are listed too (two queries)."""
    counts: dict[int | None, int] = {}
    for row in Member.objects.values("tier_state__tier_id").annotate(n=Count("id")).order_by():
        key = row["tier_state__tier_id"]
        counts[key] = counts.get(key, 0) + row["n"]
    shares = [TierShare(tier_id=None, code="", name="", color="#9e9e9e", members=counts.pop(None, 0))]
    for tier in Tier.objects.order_by("rank").only("id", "code", "name", "color"):
        shares.append(TierShare(tier_id=tier.pk, code=tier.code, name=tier.name, color=tier.color,
                                members=counts.get(tier.pk, 0)))
    return shares


def top_rewards(start: datetime, end: datetime, limit: int = TOP_REWARDS) -> list[RewardShare]:
    """The most redeemed catalogue rewards in [start, end), with the points spent on them."""
    rows = (
        Redemption.objects.filter(free=False, created_at__gte=start, created_at__lt=end)
        .values("reward_id", "reward__name")
        .annotate(n=Count("id"), points=Sum("points"))
        .order_by("-n", "-points", "reward_id")[:limit]
    )
    return [RewardShare(reward_id=r["reward_id"], name=r["reward__name"], redemptions=r["n"], points=r["points"] or 0)
            for r in rows]


def dashboard_figures(*, now: datetime | None = None) -> DashboardFigures:
    """Everything the back-office dashboard shows, for the 12 Jalali months up to `now`.

    `now` chooses the months (and the 90-day activity window); the figures are the database as
    it stands. A bounded number of queries, whatever the number of members or transfers."""
    now = now or timezone.now()
    months = jalali_months(now)
    members = member_counts(months)
    rates = purchase_rates(now)
    return DashboardFigures(
        now=now,
        months=months,
        members_total=members.total,
        members_new_this_month=members.new_this_month,
        members_active=rates.active,
        new_members_by_month=members.by_month,
        points_by_month=points_by_month(months),
        liability=outstanding_liability(),
        rates=rates,
        tiers=tier_distribution(),
        top_rewards=top_rewards(months[0].start, months[-1].end),
    )
