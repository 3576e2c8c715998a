"""Figures an owner reads: KPIs, liability and breakage, rates, cohorts, RFM, tier moves.

The figures come from the rollups (vafa/insight/rollups.py), sums kept per Tehran day, per member
and per Jalali month as things are written; each function here first reads into them what is new
since the last refresh (two quick queries when nothing is), so it answers the database as it
stands, in a bounded number of queries whatever the number of members or transfers. Reports group
by Jalali month in Tehran time: the months' boundaries are computed in Python (`jalali_months`),
never with a database's own month function.

Definitions (the dashboard and the reports show these; tests pin them with exact values):

- Everything is counted by when it happened, not when it was booked: a purchase by its
  `occurred_at`, and the points a purchase earned (`earn`, `bonus` and `referral` transfers whose
  source is the purchase) in the purchase's Jalali month; every other point movement in the
  month of its own ledger time (`Transfer.created_at`): redemptions, refunds' claw-backs and
  give-backs, expiries, adjustments, referral awards. So imported history shows in the months it
  happened, and a refund today of last year's purchase takes its points back today.
- **issued** in a month = points credited to members by `earn`, `bonus` and `referral`
  (`earned`) + the month's adjustments, net (staff credits minus staff debits: `adjusted`,
  may be negative) - points clawed back by refunds (`refund_reversal` from a member: `reversed`).
- **spent** = points members redeemed (`redeem`: rewards and discounts at checkout,
  `redeemed`) - spent points a refund gave back (`refund_reversal` to a member: `returned`).
- **expired** = points the expiry run took (`expire`).
- Points moved between two members (`transfer`) are neither issued nor spent.
- So over all time, the sum of member balances = issued - spent - expired.
- **liability** = the sum of member balances that are positive (available and pending points,
  including points past their date that the expiry run has not taken yet) x the point value
  of the live program, in Rials. Deficits (negative balances) are reported beside it, not netted.
- **breakage** = expired / issued over all time (None while nothing was issued); the points held
  expected to expire = held x expired // issued, and the liability with the expected breakage
  applied = (held - those) x the point value.
- **members**: every member row (active, pending and blocked); **new** ones by `joined_at`.
- A purchase **counts** unless it was refunded in full (then it is as if it never happened);
  amounts are net of refunds.
- **active**: members whose latest purchase that counts is in the `ACTIVE_DAYS` days up to `now`
  (the same as "a purchase in those days" while no purchase is dated after `now`, which the API
  does not accept).
- **repeat-purchase rate** = members with >= 2 purchases / members with >= 1 purchase, all time.
  None when no one has bought.
- **buyers** of a month: members with a purchase that counts in it; **purchases** and **spend**
  of the month: those purchases and their net amount.
- **redemption rate** = spent / issued over the 12 Jalali months shown. None when nothing was
  issued (or issued is not positive).
- **cohorts**: the members who joined in a Jalali month, and for each month from then on the
  share of them with a purchase that counts in that month (month 0 is the month of joining).
- **before and after joining**: members with a purchase that counts before their `joined_at`;
  their purchases and spend before it (from their first purchase up to joining) and since, the
  average basket of each, and purchases per 30 days (all of them pooled: purchases / days
  observed x 30, the days after joining running to `now`).
- **tier moves**: tier changes (`TierChange`) per Jalali month of `changed_at`, up when the new
  tier's rank is higher than the old one's (no tier: rank 0), down when lower.
- **tiers**: members per current tier (`MemberTier`), members with no tier row or no tier together.
- **top rewards**: catalogue redemptions in the 12 Jalali months, most redeemed first, with the
  points spent on them; rewards given free by a rule are left out (no member chose them).
- **RFM grid**: members per recency x frequency quintile of the nightly scores (5 best), as the
  scores stand; each cell's average spend to date as when the grid was last taken (the scores'
  time, see `vafa.insight.rollups.rfm_take`), None while it is being taken again.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from vafa.core.jalali import TEHRAN, jalali_today, periods_of
from vafa.insight import rollups
from vafa.insight.models import (
    CohortMonth,
    DayFigures,
    DayLastPurchase,
    DayReward,
    MemberFigures,
    RfmCell,
    RollupTotals,
)
from vafa.ledger.models import Account
from vafa.members.models import Member
from vafa.program.models import MemberTier, Tier
from vafa.program.selectors import earn_policy

MONTHS_SHOWN = 12
ACTIVE_DAYS = 90
TOP_REWARDS = 5
RFM_QUINTILES = (1, 2, 3, 4, 5)

MEMBER = Account.Role.MEMBER


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

    @property
    def number(self) -> int:
        """Year x 100 + month, as the rollups keep it (140509)."""
        return self.year * 100 + self.month

    @property
    def first_day(self) -> date:
        return self.start.astimezone(TEHRAN).date()

    @property
    def end_day(self) -> date:
        """The first day of the next month."""
        return self.end.astimezone(TEHRAN).date()


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
class Breakage:
    """All-time points and the liability with the expected breakage applied."""

    issued: int
    spent: int
    expired: int
    liability: Liability

    @property
    def rate(self) -> float | None:
        return self.expired / self.issued if self.issued > 0 else None

    @property
    def redemption_rate(self) -> float | None:
        return self.spent / self.issued if self.issued > 0 else None

    @property
    def expected_points(self) -> int:
        """Points held that are expected to expire, at the all-time breakage."""
        if self.issued <= 0 or self.expired <= 0:
            return 0
        return min(self.liability.points * self.expired // self.issued, self.liability.points)

    @property
    def expected_rial(self) -> int:
        return self.expected_points * self.liability.point_value_rial

    @property
    def liability_after_rial(self) -> int:
        return (self.liability.points - self.expected_points) * self.liability.point_value_rial


@dataclass(frozen=True)
class PurchaseRates:
    buyers: int  # members with >= 1 purchase
    repeat_buyers: int  # members with >= 2 purchases
    active: int  # members with a purchase in the last ACTIVE_DAYS days

    @property
    def repeat_rate(self) -> float | None:
        return self.repeat_buyers / self.buyers if self.buyers else None


@dataclass(frozen=True)
class MonthPurchases:
    month: JalaliMonth
    buyers: int
    purchases: int
    amount_rial: int
    joined: int

    @property
    def basket_rial(self) -> int | None:
        """The average purchase, whole Rials (rounded down)."""
        return self.amount_rial // self.purchases if self.purchases else None


@dataclass(frozen=True)
class Cohort:
    """Members who joined in `month`, and how many of them bought in each month since (month 0
    first), up to the last month shown."""

    month: JalaliMonth
    size: int
    buyers: list[int]

    @property
    def shares(self) -> list[float | None]:
        return [b / self.size if self.size else None for b in self.buyers]


@dataclass(frozen=True)
class TierMoves:
    month: JalaliMonth
    ups: int
    downs: int


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
class RfmCellFigures:
    r: int
    f: int
    members: int
    spend_rial: int | None  # all of the cell's members' spend to date, when the grid was taken

    @property
    def average_spend_rial(self) -> int | None:
        if self.spend_rial is None or not self.members:
            return None
        return self.spend_rial // self.members


@dataclass(frozen=True)
class RfmGrid:
    cells: dict[tuple[int, int], RfmCellFigures]
    scored_at: datetime | None  # the latest score in the grid
    taken_at: datetime | None  # when the grid was taken (None: not yet)
    pending: bool = False  # the scores changed since: the worker takes it again

    @property
    def members(self) -> int:
        return sum(c.members for c in self.cells.values())

    def cell(self, r: int, f: int) -> RfmCellFigures:
        return self.cells.get((r, f)) or RfmCellFigures(r=r, f=f, members=0, spend_rial=0)

    @property
    def complete(self) -> bool:
        """Was the grid taken since the scores last changed?"""
        return not self.pending


@dataclass(frozen=True)
class JoiningFigures:
    """Members who bought before joining: their purchases before joining and since."""

    members: int
    before_purchases: int
    before_rial: int
    before_days: float
    after_purchases: int
    after_rial: int
    after_days: float

    @staticmethod
    def _basket(purchases: int, rial: int) -> int | None:
        return rial // purchases if purchases else None

    @property
    def before_basket_rial(self) -> int | None:
        return self._basket(self.before_purchases, self.before_rial)

    @property
    def after_basket_rial(self) -> int | None:
        return self._basket(self.after_purchases, self.after_rial)

    @property
    def before_per_30_days(self) -> float | None:
        return self.before_purchases / self.before_days * 30 if self.before_days > 0 else None

    @property
    def after_per_30_days(self) -> float | None:
        return self.after_purchases / self.after_days * 30 if self.after_days > 0 else None


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
    purchases_by_month: list[MonthPurchases] = field(default_factory=list)
    cohorts: list[Cohort] = field(default_factory=list)
    tier_moves: list[TierMoves] = field(default_factory=list)
    breakage: Breakage | None = None
    rfm: RfmGrid | None = None
    freshness: rollups.Freshness | None = None

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


# --- reading the rollups -----------------------------------------------------------------------------------


def refresh() -> rollups.Freshness:
    """What is new since the last refresh read into the rollups, as much as a page may wait for
    (the worker reads the rest, see vafa/insight/rollups.py)."""
    return rollups.rollups_refresh(budget=rollups.PAGE_BUDGET, lock_wait_ms=rollups.PAGE_LOCK_WAIT_MS,
                                   rebuild_up_to=rollups.PAGE_BUILD)


_DAY_COLUMNS = ("points_earned", "points_adjusted", "points_reversed", "points_redeemed", "points_returned",
                "points_expired", "members_joined", "tier_ups", "tier_downs")


@dataclass
class _Days:
    """The day rollups of a window, summed per month, and over all time."""

    months: list[JalaliMonth]
    per_month: list[dict[str, int]]
    all_time: dict[str, int]


def _days(months: list[JalaliMonth]) -> _Days:
    """Every day's figures (one query; a row a day of history) summed per month shown, and in all."""
    starts = [m.first_day for m in months]
    end = months[-1].end_day
    per_month = [dict.fromkeys(_DAY_COLUMNS, 0) for _ in months]
    all_time = dict.fromkeys(_DAY_COLUMNS, 0)
    for row in DayFigures.objects.values_list("day", *_DAY_COLUMNS).iterator():
        day, values = row[0], row[1:]
        for name, value in zip(_DAY_COLUMNS, values, strict=True):
            all_time[name] += value
        if starts[0] <= day < end:
            into = per_month[bisect_right(starts, day) - 1]
            for name, value in zip(_DAY_COLUMNS, values, strict=True):
                into[name] += value
    return _Days(months=months, per_month=per_month, all_time=all_time)


def _points(days: _Days) -> list[MonthPoints]:
    return [MonthPoints(month=m, earned=s["points_earned"], adjusted=s["points_adjusted"],
                        reversed=s["points_reversed"], redeemed=s["points_redeemed"],
                        returned=s["points_returned"], expired=s["points_expired"])
            for m, s in zip(days.months, days.per_month, strict=True)]


def points_by_month(months: list[JalaliMonth]) -> list[MonthPoints]:
    """Issued, spent and expired points per Jalali month."""
    refresh()
    return _points(_days(months))


def _member_counts(days: _Days) -> MemberCounts:
    by_month = [MonthMembers(month=m, joined=s["members_joined"]) for m, s in zip(days.months, days.per_month,
                                                                                   strict=True)]
    # every member once, by the month they joined (a member is never deleted: their account protects them)
    return MemberCounts(total=days.all_time["members_joined"], new_this_month=by_month[-1].joined, by_month=by_month)


def member_counts(months: list[JalaliMonth]) -> MemberCounts:
    """All members, and those who joined in each month."""
    refresh()
    return _member_counts(_days(months))


def _totals() -> RollupTotals:
    return RollupTotals.objects.filter(pk=1).first() or RollupTotals(pk=1)


def _liability(totals: RollupTotals) -> Liability:
    return Liability(points=totals.points_held, point_value_rial=earn_policy().point_value_rial,
                     deficit_points=totals.points_owed)


def outstanding_liability() -> Liability:
    """Points members hold and what they are worth at the live point value (the balances' totals
    the rollups keep as the balances change)."""
    refresh()
    return _liability(_totals())


def _breakage(days: _Days, liability: Liability) -> Breakage:
    s = days.all_time
    return Breakage(issued=s["points_earned"] + s["points_adjusted"] - s["points_reversed"],
                    spent=s["points_redeemed"] - s["points_returned"], expired=s["points_expired"],
                    liability=liability)


def breakage(now: datetime | None = None) -> Breakage:
    """All-time issued, spent and expired points, and the liability with the expected breakage."""
    refresh()
    return _breakage(_days(jalali_months(now or timezone.now(), 1)), _liability(_totals()))


def _tehran_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TEHRAN)


def _active(now: datetime, active_days: int) -> int:
    """Members whose latest purchase is in (now - active_days, now]: the whole Tehran days between
    from DayLastPurchase, the two days at the ends counted member by member (a day's worth of
    rows on the index of last purchases)."""
    since = now - timedelta(days=active_days)
    first, last = since.astimezone(TEHRAN).date(), now.astimezone(TEHRAN).date()
    if first >= last:
        return MemberFigures.objects.filter(last_at__gt=since, last_at__lte=now).count()
    first_end, last_start = _tehran_midnight(first + timedelta(days=1)), _tehran_midnight(last)
    ends = MemberFigures.objects.filter(Q(last_at__gt=since, last_at__lt=first_end)
                                        | Q(last_at__gte=last_start, last_at__lte=now)).count()
    middle = DayLastPurchase.objects.filter(day__gt=first, day__lt=last).aggregate(n=Sum("members"))["n"] or 0
    return ends + middle


def _purchase_rates(now: datetime, active_days: int, totals: RollupTotals) -> PurchaseRates:
    return PurchaseRates(buyers=totals.buyers, repeat_buyers=totals.repeat_buyers, active=_active(now, active_days))


def purchase_rates(now: datetime, active_days: int = ACTIVE_DAYS) -> PurchaseRates:
    """Buyers, repeat buyers and members active in the last `active_days` days (one pass over the
    members' figures)."""
    refresh()
    return _purchase_rates(now, active_days, _totals())


def _cohort_rows(months: list[JalaliMonth]) -> dict[tuple[int, int], tuple[int, int, int]]:
    """(cohort, month) -> (members, purchases, spend) for the months shown, of every cohort."""
    rows = CohortMonth.objects.filter(month__gte=months[0].number, month__lte=months[-1].number)
    return {(c, m): (n, p, a) for c, m, n, p, a in rows.values_list("cohort", "month", "members", "purchases",
                                                                      "amount_rial")}


def _purchases(days: _Days, cells) -> list[MonthPurchases]:
    out = []
    for m, s in zip(days.months, days.per_month, strict=True):
        mine = [v for (_c, month), v in cells.items() if month == m.number]
        out.append(MonthPurchases(month=m, buyers=sum(v[0] for v in mine), purchases=sum(v[1] for v in mine),
                                  amount_rial=sum(v[2] for v in mine), joined=s["members_joined"]))
    return out


def purchases_by_month(months: list[JalaliMonth]) -> list[MonthPurchases]:
    """Buyers, purchases that count and their net spend, and new members, per Jalali month."""
    refresh()
    return _purchases(_days(months), _cohort_rows(months))


def _cohorts(days: _Days, cells) -> list[Cohort]:
    months = days.months
    return [Cohort(month=c, size=days.per_month[i]["members_joined"],
                   buyers=[cells.get((c.number, m.number), (0, 0, 0))[0] for m in months[i:]])
            for i, c in enumerate(months)]


def cohorts(months: list[JalaliMonth]) -> list[Cohort]:
    """The retention triangle of the months shown: each month's joiners, and how many of them
    bought in each month since."""
    refresh()
    return _cohorts(_days(months), _cohort_rows(months))


def _tier_moves(days: _Days) -> list[TierMoves]:
    return [TierMoves(month=m, ups=s["tier_ups"], downs=s["tier_downs"])
            for m, s in zip(days.months, days.per_month, strict=True)]


def tier_moves(months: list[JalaliMonth]) -> list[TierMoves]:
    refresh()
    return _tier_moves(_days(months))


def tier_distribution(members_total: int | None = None) -> list[TierShare]:
    """Members per current tier, lowest rank first, after those with no tier; tiers with no
    members are listed too. Three queries (two when the members are counted already), none
    joining the members to their tiers: the members without a tier row are all the members less
    those with one. (The one pass over every member's tier row the dashboard makes: the current
    tiers have no change log to follow, TierChange being history that an admin or a restore may
    not write.)"""
    total = Member.objects.count() if members_total is None else members_total
    counts: dict[int | None, int] = {}
    for row in MemberTier.objects.values("tier_id").annotate(n=Count("pk")).order_by():
        counts[row["tier_id"]] = row["n"]
    with_row = sum(counts.values())
    shares = [TierShare(tier_id=None, code="", name="", color="#9e9e9e",
                        members=counts.pop(None, 0) + total - with_row)]
    for tier in Tier.objects.order_by("rank").only("id", "code", "name", "color"):
        shares.append(TierShare(tier_id=tier.pk, code=tier.code, name=tier.name, color=tier.color,
                                members=counts.get(tier.pk, 0)))
    return shares


def _top_rewards(start: datetime, end: datetime, limit: int) -> list[RewardShare]:
    rows = (
        DayReward.objects.filter(day__gte=start.astimezone(TEHRAN).date(), day__lt=end.astimezone(TEHRAN).date())
        .values("reward_id", "reward__name")
        .annotate(n=Sum("redemptions"), points=Sum("points"))
        .order_by("-n", "-points", "reward_id")[:limit]
    )
    return [RewardShare(reward_id=r["reward_id"], name=r["reward__name"], redemptions=r["n"], points=r["points"] or 0)
            for r in rows]


def top_rewards(start: datetime, end: datetime, limit: int = TOP_REWARDS) -> list[RewardShare]:
    """The most redeemed catalogue rewards from the Tehran day of `start` to the day before
    `end`'s (whole days: the months' boundaries are midnights), with the points spent on them."""
    refresh()
    return _top_rewards(start, end, limit)


def rfm_grid() -> RfmGrid:
    """Members per (recency, frequency) cell and their spend to date, as the grid was taken after
    the scores last changed (see vafa.insight.rollups.rfm_check): a grid of a few scored members
    is looked at again on the page itself; a big one by the worker, at once after the nightly
    scoring and every few minutes. `pending`: the scoring finished since the grid was taken."""
    refresh()
    return _rfm_grid()


def _rfm_grid() -> RfmGrid:
    cells = list(RfmCell.objects.all())
    small = sum(c.members for c in cells) <= rollups.RFM_INLINE and rollups.scores_at_most(rollups.RFM_INLINE)
    if small and rollups.rfm_check(timezone.now(), force=True):
        cells = list(RfmCell.objects.all())
    taken_at = max((c.taken_at for c in cells), default=None)
    finished = rollups.scoring_finished_at()
    return RfmGrid(cells={(c.r, c.f): RfmCellFigures(r=c.r, f=c.f, members=c.members, spend_rial=c.spend_rial)
                          for c in cells},
                   scored_at=max((c.scored_at for c in cells if c.scored_at), default=None), taken_at=taken_at,
                   pending=finished is not None and (taken_at is None or finished > taken_at))


def _joining(now: datetime, t: RollupTotals) -> JoiningFigures:
    after = t.joining_members * now.timestamp() - t.joined_seconds
    return JoiningFigures(members=t.joining_members, before_purchases=t.before_purchases, before_rial=t.before_rial,
                          before_days=t.before_seconds / 86400, after_purchases=t.after_purchases,
                          after_rial=t.after_rial, after_days=max(after, 0.0) / 86400)


def joining_figures(now: datetime | None = None) -> JoiningFigures:
    """Members whose purchases predate their joining (imported history): purchases, spend and
    the days observed before joining and since (the totals the rollups keep)."""
    refresh()
    return _joining(now or timezone.now(), _totals())


def dashboard_figures(*, now: datetime | None = None) -> DashboardFigures:
    """Everything the back-office dashboard shows, for the 12 Jalali months up to `now`.

    `now` chooses the months (and the 90-day activity window); the figures are the database as
    it stands. A bounded number of queries, whatever the number of members or transfers."""
    freshness = refresh()
    now = now or timezone.now()
    months = jalali_months(now)
    days = _days(months)
    totals = _totals()
    members = _member_counts(days)
    rates = _purchase_rates(now, ACTIVE_DAYS, totals)
    cells = _cohort_rows(months)
    liability = _liability(totals)
    return DashboardFigures(
        now=now,
        months=months,
        members_total=members.total,
        members_new_this_month=members.new_this_month,
        members_active=rates.active,
        new_members_by_month=members.by_month,
        points_by_month=_points(days),
        liability=liability,
        rates=rates,
        tiers=tier_distribution(members.total),
        top_rewards=_top_rewards(months[0].start, months[-1].end, TOP_REWARDS),
        purchases_by_month=_purchases(days, cells),
        cohorts=_cohorts(days, cells),
        tier_moves=_tier_moves(days),
        breakage=_breakage(days, liability),
        rfm=_rfm_grid(),
        freshness=freshness,
    )


# --- lifetime value: members slipping away (vafa/insight/scoring.py writes the scores) ------------------
# Kept apart from the dashboard's figures above; imported here so that this block stands alone.

from vafa.members.models import MemberScore  # noqa: E402

VALUABLE_PART = 5  # "valuable": clv_rial among the top fifth (20%) of the members with a lifetime value
SLIPPING_P_ALIVE = 0.5


def member_score(*, member_id: int) -> MemberScore | None:
    """The member's nightly figures (RFM, lifetime value), or None before the first scoring."""
    return MemberScore.objects.filter(member_id=member_id).first()


def members_slipping_away(limit: int = 50) -> list[MemberScore]:
    """Valuable members whose P(alive) is below one half and fell since the scoring before:
    clv_rial at least that of the member at the top-20% mark (the ceil(n / 5)-th highest of the
    n members with a lifetime value; ties with it included), p_alive < 0.5 and p_alive <
    p_alive_before; the most valuable first (then by member id), each with its member. Blocked
    and erased members are left out. Three queries, whatever the number of members."""
    from django.db.models import F

    from vafa.members.models import Member

    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise ValueError("limit: an integer from 1 to 1000")
    valued = MemberScore.objects.filter(clv_rial__isnull=False)
    count = valued.count()
    if not count:
        return []
    mark = -(-count // VALUABLE_PART)  # ceil(count / 5)
    threshold = valued.order_by("-clv_rial").values_list("clv_rial", flat=True)[mark - 1]
    slipping = (valued.filter(clv_rial__gte=threshold, p_alive__lt=SLIPPING_P_ALIVE)
                .filter(p_alive__lt=F("p_alive_before"))
                .exclude(member__status=Member.Status.BLOCKED).filter(member__erased_at__isnull=True))
    return list(slipping.select_related("member").order_by("-clv_rial", "member_id")[:limit])


@dataclass(frozen=True)
class ClvBand:
    from_rial: int
    to_rial: int | None  # None: no upper bound
    members: int
    clv_rial: int


@dataclass(frozen=True)
class ClvDistribution:
    """The members by band of 12-month lifetime value at the latest scoring (`fitted_at` None before
    one; `refused` the reason when the latest fit was refused, and then no bands)."""

    fitted_at: datetime | None
    bands: list[ClvBand]
    refused: str = ""

    @property
    def members(self) -> int:
        return sum(b.members for b in self.bands)

    @property
    def clv_rial(self) -> int:
        return sum(b.clv_rial for b in self.bands)


def clv_distribution() -> ClvDistribution:
    """One row read: the distribution the scoring stored with its fit (vafa.insight.scoring.value_distribution)."""
    from vafa.insight.models import ClvFit

    fit = ClvFit.objects.only("fitted_at", "status", "reason", "distribution").first()
    if fit is None:
        return ClvDistribution(fitted_at=None, bands=[])
    if fit.status == ClvFit.Status.REFUSED:
        return ClvDistribution(fitted_at=fit.fitted_at, bands=[], refused=fit.reason)
    return ClvDistribution(fitted_at=fit.fitted_at, bands=[ClvBand(**band) for band in fit.distribution])


# --- complementary products: suggestions per member (vafa/insight/products.py) ------------------------------

SUGGESTIONS_MAX = 100


@dataclass(frozen=True)
class Suggestion:
    """A product a member has never bought, that members who bought what they did bought next."""

    sku: str
    name: str  # its most recent name; empty when it never had one
    score: float  # the lifts of the pairs leading to it, summed

    @property
    def label(self) -> str:
        return self.name or self.sku


def member_suggestions(member_id: int, limit: int = 3) -> list[Suggestion]:
    """The pairs whose first SKU the member bought (in a purchase that counts) and whose then SKU
    they never bought (in any purchase, even one refunded: they had it), by summed lift, best
    first (then by SKU). One query, through the purchases' (member, occurred_at) index, the
    items' purchase index and the pairs' (first_sku, lift) index."""
    from django.db.models import F, Max

    from vafa.commerce.models import PurchaseItem
    from vafa.insight.models import ProductPair

    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= SUGGESTIONS_MAX:
        raise ValueError(f"limit: an integer from 1 to {SUGGESTIONS_MAX}")
    bought = PurchaseItem.objects.filter(purchase__member_id=member_id)
    counted = bought.exclude(purchase__amount__gt=0, purchase__refunded_amount__gte=F("purchase__amount"))
    rows = (ProductPair.objects.filter(first_sku__in=counted.values("sku"))
            .exclude(then_sku__in=bought.values("sku"))
            .values("then_sku").annotate(score=Sum("lift"), name=Max("then_name"))
            .order_by("-score", "then_sku")[:limit])
    return [Suggestion(sku=r["then_sku"], name=r["name"], score=r["score"]) for r in rows]


def suggestions_for(member_ids) -> dict[int, str]:
    """{member id: the best suggestion's name (its SKU when it has none)} for a campaign's
    members, as `member_suggestions` ranks them; members with none are left out. One query."""
    from vafa.commerce.models import Purchase, PurchaseItem
    from vafa.core import sql
    from vafa.insight.models import ProductPair

    member_ids = list(member_ids)
    if not member_ids:
        return {}
    p, i, pp = "p", "i", "pp"

    def c(model, alias, name):
        return f"{alias}.{sql.column(model, name)}"

    counts = (f"NOT ({c(Purchase, p, 'amount')} > 0 AND "
              f"{c(Purchase, p, 'refunded_amount')} >= {c(Purchase, p, 'amount')})")
    statement = f"""
    WITH bought AS (
        SELECT {c(Purchase, p, 'member')} AS member, {c(PurchaseItem, i, 'sku')} AS sku,
               MAX(CASE WHEN {counts} THEN 1 ELSE 0 END) AS counts
        FROM {sql.table(PurchaseItem)} AS {i}
             JOIN {sql.table(Purchase)} AS {p} ON {c(Purchase, p, 'id')} = {c(PurchaseItem, i, 'purchase')}
        WHERE {c(Purchase, p, 'member')} IN ({", ".join(["%s"] * len(member_ids))})
        GROUP BY {c(Purchase, p, 'member')}, {c(PurchaseItem, i, 'sku')}
    ), scored AS (
        SELECT b.member, {c(ProductPair, pp, 'then_sku')} AS sku, MAX({c(ProductPair, pp, 'then_name')}) AS name,
               SUM({c(ProductPair, pp, 'lift')}) AS score
        FROM bought AS b JOIN {sql.table(ProductPair)} AS {pp} ON {c(ProductPair, pp, 'first_sku')} = b.sku
        WHERE b.counts = 1 AND NOT EXISTS (
            SELECT 1 FROM bought AS o WHERE o.member = b.member AND o.sku = {c(ProductPair, pp, 'then_sku')})
        GROUP BY b.member, {c(ProductPair, pp, 'then_sku')}
    ), ranked AS (
        SELECT member, sku, name, ROW_NUMBER() OVER (PARTITION BY member ORDER BY score DESC, sku) AS place
        FROM scored
    )
    SELECT member, sku, name FROM ranked WHERE place = 1
    """
    return {member: name or sku for member, sku, name in sql.fetch(statement, member_ids)}


# --- members vs non-members (sales without a member, vafa.commerce.walk_in) --------------------------------------
#
# - **members' side** of a month: the month's purchases that count, their buyers and net spend, as
#   `purchases_by_month` (the rollups); **frequency** = purchases / buyers.
# - **non-members' side**: sales without a member (WalkInSale) by the Jalali month of `occurred_at`;
#   a sale counts unless refunded in full, spend is net of refunds. There is no customer to count,
#   so buyers and frequency are None (unknowable), never 0.
# - **tiers compared**: over the months shown, per member's current tier (no tier row or no tier
#   together, as `tier_distribution`): members now, buyers, purchases that count and net spend
#   (MemberMonth rows of the window joined to the current tier rows: one grouped query).


@dataclass(frozen=True)
class SideFigures:
    """One side (members or non-members) of a window: purchases, buyers (None: unknowable), spend."""

    purchases: int
    buyers: int | None
    spend_rial: int

    @property
    def basket_rial(self) -> int | None:
        """The average purchase, whole Rials (rounded down)."""
        return self.spend_rial // self.purchases if self.purchases else None

    @property
    def frequency(self) -> float | None:
        """Purchases per buying customer; None when no one bought, or customers are unknown."""
        return self.purchases / self.buyers if self.buyers else None


@dataclass(frozen=True)
class MonthCompared:
    month: JalaliMonth
    members: SideFigures
    non_members: SideFigures

    @property
    def members_share(self) -> float | None:
        """Members' part of the month's spend (members + non-members); None when nothing was sold."""
        total = self.members.spend_rial + self.non_members.spend_rial
        return self.members.spend_rial / total if total > 0 else None


@dataclass(frozen=True)
class MembersCompared:
    months: list[MonthCompared]

    @property
    def members(self) -> SideFigures:
        """The window's members' purchases and spend (buyers are per month: not summed)."""
        return SideFigures(purchases=sum(m.members.purchases for m in self.months), buyers=None,
                           spend_rial=sum(m.members.spend_rial for m in self.months))

    @property
    def non_members(self) -> SideFigures:
        return SideFigures(purchases=sum(m.non_members.purchases for m in self.months), buyers=None,
                           spend_rial=sum(m.non_members.spend_rial for m in self.months))


@dataclass(frozen=True)
class TierCompared:
    tier_id: int | None  # None: no tier
    code: str
    name: str
    members: int
    figures: SideFigures


def _walk_in_months(months: list[JalaliMonth]) -> list[SideFigures]:
    """Sales without a member per month: one query, a range read of their time index."""
    from django.db.models import F

    from vafa.commerce.models import WalkInSale

    counted = ~Q(amount__gt=0, refunded_amount__gte=F("amount"))
    sums = {}
    for i, m in enumerate(months):
        when = Q(occurred_at__gte=m.start, occurred_at__lt=m.end)
        sums[f"n{i}"] = Count("pk", filter=when & counted)
        sums[f"s{i}"] = Sum(F("amount") - F("refunded_amount"), filter=when)
    row = (WalkInSale.objects.filter(occurred_at__gte=months[0].start, occurred_at__lt=months[-1].end)
           .aggregate(**sums))
    return [SideFigures(purchases=row[f"n{i}"] or 0, buyers=None, spend_rial=row[f"s{i}"] or 0)
            for i in range(len(months))]


def members_vs_non_members(months: list[JalaliMonth]) -> MembersCompared:
    """Per Jalali month shown: members' purchases, buyers, spend, basket and frequency beside the
    sales without a member (see the definitions above this block)."""
    return members_compared_from(purchases_by_month(months))


def members_compared_from(members: list[MonthPurchases]) -> MembersCompared:
    """The comparison from the members' figures already read (the dashboard's): one more query."""
    walk_ins = _walk_in_months([m.month for m in members])
    return MembersCompared(months=[
        MonthCompared(month=m.month, members=SideFigures(purchases=m.purchases, buyers=m.buyers,
                                                         spend_rial=m.amount_rial), non_members=w)
        for m, w in zip(members, walk_ins, strict=True)])


def tiers_compared(months: list[JalaliMonth]) -> list[TierCompared]:
    """Per current tier (no tier first, then by rank): members now, and over the months shown
    their buyers, purchases that count, net spend, basket and frequency (from TierMonth: a few
    rows per tier and month, however many members)."""
    from vafa.core import sql
    from vafa.insight.models import TierMonth

    refresh()
    first, last = months[0].number, months[-1].number
    c = {n: sql.column(TierMonth, n) for n in ("tier", "month", "prev_month", "members", "purchases", "amount_rial")}
    rows = sql.fetch(
        f"SELECT {c['tier']}, SUM(CASE WHEN {c['prev_month']} < %s THEN {c['members']} ELSE 0 END),"
        f" SUM({c['purchases']}), SUM({c['amount_rial']}) FROM {sql.table(TierMonth)}"
        f" WHERE {c['month']} >= %s AND {c['month']} <= %s GROUP BY 1", [first, first, last])
    shares = tier_distribution()
    tiers = {share.tier_id for share in shares}
    found: dict[int | None, list[int]] = {}  # purchases, buyers, spend
    for tier, b, p, s in rows:
        # a tier deleted since (its members' tier rows were emptied): its members have no tier now
        sums = found.setdefault(tier if tier in tiers else None, [0, 0, 0])
        for n, value in enumerate((p, b, s)):
            sums[n] += int(value or 0)
    return [TierCompared(tier_id=share.tier_id, code=share.code, name=share.name, members=share.members,
                         figures=SideFigures(*found.get(share.tier_id, (0, 0, 0))))
            for share in shares]


# --- programme effect: each rule, reward and campaign (vafa/insight/effect.py computes them nightly) ---------
# Kept apart from the figures above; the definitions (recipients, cost, comparable members) are in effect.py.
# The redemption rate is the dashboard's and the liability report's (`Breakage.redemption_rate`).

from vafa.insight.models import ProgrammeEffect  # noqa: E402

_KIND_ORDER = {ProgrammeEffect.Kind.RULE: 0, ProgrammeEffect.Kind.REWARD: 1, ProgrammeEffect.Kind.CAMPAIGN: 2}


@dataclass(frozen=True)
class ProgrammeEffectFigures:
    """One rule, reward or campaign: what it cost and what followed, vs comparable members."""

    row: ProgrammeEffect

    @property
    def kind(self) -> str:
        return self.row.kind

    @property
    def kind_label(self) -> str:
        return str(ProgrammeEffect.Kind(self.row.kind).label)

    @property
    def name(self) -> str:
        from django.utils.translation import gettext

        if self.row.kind == ProgrammeEffect.Kind.RULE and self.row.ref == "base":
            return gettext("Base earning")
        if self.row.kind == ProgrammeEffect.Kind.RULE and self.row.ref.startswith("ended:"):
            # restored from an export: a rule the earlier installation had ended (vafa.portability.restore)
            return gettext("An ended rule of the earlier installation (#%(id)s)") % {
                "id": self.row.ref.removeprefix("ended:")}
        return self.row.name or f"#{self.row.ref}"

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def purchase_rate(self) -> float | None:
        """Recipients who bought in the window after receiving it / recipients."""
        return self._share(self.row.recipients_buyers, self.row.recipients)

    @property
    def spend_per_member_rial(self) -> int | None:
        return self.row.recipients_spend_rial // self.row.recipients if self.row.recipients else None

    @property
    def matched(self) -> int:
        """Recipients in strata with comparable members (the difference is theirs)."""
        return int(self.row.figures.get("matched", 0))

    @property
    def comparison_rate(self) -> float | None:
        """Comparable members' purchase rate, weighted to the recipients' strata."""
        return self.row.figures.get("comparison_rate")

    @property
    def comparison_spend_per_member_rial(self) -> int | None:
        return self.row.figures.get("comparison_spend_per_member_rial")

    @property
    def rate_difference(self) -> float | None:
        """The matched recipients' purchase rate minus the comparable members' (weighted)."""
        if not self.matched or self.comparison_rate is None:
            return None
        return self.row.figures.get("matched_buyers", 0) / self.matched - self.comparison_rate

    @property
    def spend_difference_rial(self) -> int | None:
        """The matched recipients' spend per member minus the comparable members' (weighted)."""
        if not self.matched or self.comparison_spend_per_member_rial is None:
            return None
        return self.row.figures.get("matched_spend_rial", 0) // self.matched - self.comparison_spend_per_member_rial

    @property
    def holdout_lift(self) -> dict | None:
        """A campaign's own hold-out report (contacted vs held out), when it had a hold-out."""
        return self.row.figures.get("holdout_lift")

    @property
    def holdout_rate_difference(self) -> float | None:
        lift = self.holdout_lift
        return lift.get("rate_difference") if lift else None


def programme_effects(limit: int | None = None) -> list[ProgrammeEffectFigures]:
    """The rows of the last nightly computation: rules, then rewards, then campaigns, each the most
    costly first (then by reference). One query."""
    from django.db.models import Case, IntegerField, Value, When

    order = Case(*[When(kind=k, then=Value(n)) for k, n in _KIND_ORDER.items()], default=Value(9),
                 output_field=IntegerField())
    rows = ProgrammeEffect.objects.order_by(order, "-cost_rial", "ref")
    return [ProgrammeEffectFigures(r) for r in (rows[:limit] if limit is not None else rows)]
