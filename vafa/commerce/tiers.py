"""Tier qualification: by spend, points earned or number of purchases, over the last 365
days or the Jalali calendar year. An upgrade happens at once (in the purchase's
transaction); a downgrade waits until the tier's period ends plus its grace days, and is
made by the daily review (`vafa review-tiers`, also run by `vafa worker`)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from vafa.commerce.events import TierChanged
from vafa.commerce.models import Purchase
from vafa.core import sql
from vafa.core.events import publish
from vafa.core.jalali import end_of_jalali_year, jalali_year_bounds
from vafa.program.models import MemberTier, TierChange
from vafa.program.selectors import Program, TierInfo, program_now

MEASURES = {"spend": "amount - refunded_amount", "points": "points_earned - points_reversed",
            "purchases": "CASE WHEN refunded_amount < amount THEN 1 ELSE 0 END"}
WINDOW_LABEL = {"rolling_365": "the last 365 days", "jalali_year": "this Jalali year"}


def member_measures(*, member_id: int, now: datetime) -> dict[tuple[str, str], int]:
    """Spend (Rials), points earned and purchases, each over both windows, in one query."""
    rolling_from = now - timedelta(days=365)
    year_from, year_to = jalali_year_bounds(now)
    at = sql.column(Purchase, "occurred_at")
    windows = {"rolling_365": (f"{at} > %s AND {at} <= %s", [rolling_from, now]),
               "jalali_year": (f"{at} >= %s AND {at} < %s AND {at} <= %s", [year_from, year_to, now])}
    parts, params, keys = [], [], []
    for by, expression in MEASURES.items():
        for window, (condition, args) in windows.items():
            parts.append(f"COALESCE(SUM(CASE WHEN {condition} THEN {expression} ELSE 0 END), 0)")
            params.extend(args)
            keys.append((by, window))
    row = sql.fetch(f"SELECT {', '.join(parts)} FROM {sql.table(Purchase)}"
                    f" WHERE {sql.column(Purchase, 'member')} = %s AND {at} >= %s",
                    [*params, member_id, min(rolling_from, year_from)])[0]
    return {key: int(value) for key, value in zip(keys, row, strict=True)}


def qualified_tier(program: Program, measures) -> TierInfo | None:
    best = None
    for tier in program.tiers:  # by rank, lowest first
        if measures[(tier.qualify_by, tier.window)] >= tier.threshold:
            best = tier
    return best


def _hold_until(tier: TierInfo, now: datetime) -> datetime:
    """A tier is kept for its period (a year from now, or to the end of the next Jalali
    year) plus its grace days."""
    end = now + timedelta(days=365) if tier.window == "rolling_365" else end_of_jalali_year(now, 1)
    return end + timedelta(days=tier.grace_days)


def _reason(tier: TierInfo | None, measures) -> str:
    if tier is None:
        return "no tier's threshold reached"
    value = measures[(tier.qualify_by, tier.window)]
    return f"{tier.qualify_by} {value} in {WINDOW_LABEL[tier.window]} >= {tier.threshold}"


def _move(program: Program, state, *, member_id: int, tier: TierInfo | None, now: datetime, reason: str) -> None:
    """Move the member to `tier` (`state`: their tier row, a MemberTier or a TierState, or None)."""
    old = state.tier_id if state else None
    hold = _hold_until(tier, now) if tier else None
    if state is None:
        MemberTier.objects.create(member_id=member_id, tier_id=tier.id if tier else None, since=now, hold_until=hold)
    else:
        MemberTier.objects.filter(pk=state.pk).update(tier_id=tier.id if tier else None, since=now, hold_until=hold)
    if old != (tier.id if tier else None):
        TierChange.objects.create(member_id=member_id, from_tier_id=old, to_tier_id=tier.id if tier else None,
                                  reason=reason[:255], changed_at=now)
        before = program.tier_by_id(old)
        up = tier is not None and (before is None or tier.rank > before.rank)
        publish(TierChanged(member_id=member_id, from_tier=before.code if before else None,
                            to_tier=tier.code if tier else None, direction="up" if up else "down",
                            reason=reason[:255], changed_at=now))


@dataclass(frozen=True)
class TierState:
    """A member's tier row as a purchase reads it (plain SQL, see `tier_state`)."""

    id: int
    tier_id: int | None
    since: datetime
    hold_until: datetime | None

    @property
    def pk(self) -> int:
        return self.id


def tier_state(member_id: int) -> TierState | None:
    """The member's tier row, in plain SQL (every purchase reads it when tiers exist)."""
    rows = sql.fetch(f"SELECT {sql.columns(MemberTier, ['id', 'tier', 'since', 'hold_until'])}"
                     f" FROM {sql.table(MemberTier)} WHERE {sql.column(MemberTier, 'member')} = %s", [member_id])
    if not rows:
        return None
    pk, tier_id, since, hold_until = rows[0]
    return TierState(id=pk, tier_id=tier_id, since=sql.aware(since), hold_until=sql.aware(hold_until))


_UNREAD = object()


def tier_review(program: Program, *, member_id: int, now: datetime, state=_UNREAD) -> TierInfo | None:
    """Upgrade at once when the member qualifies for a higher tier than the one held (`state`:
    the member's tier row if the caller has read it in this transaction). Answers the
    member's tier after the review."""
    if state is _UNREAD:
        state = tier_state(member_id)
    current = program.tier_by_id(state.tier_id) if state else None
    measures = member_measures(member_id=member_id, now=now)
    target = qualified_tier(program, measures)
    if target is not None and (current is None or target.rank > current.rank):
        _move(program, state, member_id=member_id, tier=target, now=now,
              reason=f"upgrade: {_reason(target, measures)}")
        return target
    return current


def tier_reviews_due(*, now: datetime) -> dict[str, int]:
    """The daily review: members whose tier period (with grace) has ended keep it when they
    still qualify (a new period starts), else move down to the tier they qualify for.
    Idempotent: a second run the same day finds nothing due."""
    program = program_now()
    counts = {"kept": 0, "downgraded": 0, "upgraded": 0}
    due = list(MemberTier.objects.filter(hold_until__lte=now, tier__isnull=False).values_list("member_id", flat=True))
    for member_id in due:
        with transaction.atomic():
            state = MemberTier.objects.select_for_update().filter(member_id=member_id).first()
            if state is None or state.hold_until is None or state.hold_until > now:
                continue  # reviewed meanwhile
            current = program.tier_by_id(state.tier_id)
            measures = member_measures(member_id=member_id, now=now)
            target = qualified_tier(program, measures)
            if target is not None and current is not None and target.id == current.id:
                MemberTier.objects.filter(pk=state.pk).update(hold_until=_hold_until(target, now))
                counts["kept"] += 1
                continue
            up = target is not None and (current is None or target.rank > current.rank)
            _move(program, state, member_id=member_id, tier=target, now=now,
                  reason=f"{'upgrade' if up else 'downgrade at the end of the period'}: {_reason(target, measures)}")
            counts["upgraded" if up else "downgraded"] += 1
    return counts


@dataclass(frozen=True)
class TierStatus:
    tier: TierInfo | None
    next_tier: TierInfo | None
    to_next_tier: int | None  # what remains, in the next tier's own measure
    hold_until: datetime | None = None


def member_tier_status(*, member_id: int, now: datetime) -> TierStatus:
    program = program_now()
    if not program.tiers:
        return TierStatus(None, None, None)
    state = MemberTier.objects.filter(member_id=member_id).first()
    current = program.tier_by_id(state.tier_id) if state else None
    higher = [t for t in program.tiers if current is None or t.rank > current.rank]
    if not higher:
        return TierStatus(current, None, None, state.hold_until if state else None)
    nxt = higher[0]
    measures = member_measures(member_id=member_id, now=now)
    remaining = max(nxt.threshold - measures[(nxt.qualify_by, nxt.window)], 0)
    return TierStatus(current, nxt, remaining, state.hold_until if state else None)
