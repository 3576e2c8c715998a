"""Rollups: the owner's figures summed as things are written, so a page reads a few hundred rows
however long the ledger grows.

What is kept (vafa/insight/models.py):
- `DayFigures`, per Tehran day: points by when they happened (what a purchase earned on the
  purchase's `occurred_at` day, redemptions, refunds' claw-backs, expiries and adjustments on their
  own day), members who joined (by `joined_at`), tier upgrades and downgrades (by `changed_at`);
- `DayReward`: catalogue redemptions per reward and day;
- `MemberFigures` and `MemberMonth`: each member's purchases summed, over all time and per Jalali
  month, recomputed from the member's purchases whenever one of them is recorded or refunded (so
  they are exact, whatever order things arrive in); `CohortMonth` sums the months by the Jalali
  month the members joined, and `TierMonth` by the members' current tier (a tier change
  moves the member's months to the new tier), each adjusted by the difference each
  recomputation makes;
- `RollupTotals`, one row of figures over all members (buyers, repeat buyers, the positive and
  negative balances, the members who bought before joining and their sums), and
  `DayLastPurchase` (members by the day of their latest purchase, for "active in the last 90
  days"): each recomputation of a member's figures, or re-reading of an account's balance
  (`AccountBalance`, after a transfer of it is read), adds the difference it makes;
- `RfmCell`: the recency x frequency grid as the nightly scores stand (see `rfm_check`).

So no page counts a million rows: the dashboard reads a few hundred, and one pass over the
members' tier rows (see selectors.tier_distribution).

How they follow the sources: each source table (members, purchases, refunds, transfers, tier
changes, redemptions) is read by id, from where the last read stopped (`RollupState.feeds`). Ids
come from a sequence when a row is inserted, not when it commits, so on PostgreSQL a row may
commit after rows with higher ids were read: the ids passed over are kept as gaps and looked at
again on every refresh for OVERLAP (ten minutes, as the automations look back), and a row found
in a gap is added then, once. Each refresh holds the state row's lock, so two workers, or a worker
and a page, never add a row twice. SQLite has one writer at a time and leaves no such gaps.

Who refreshes: both the worker's tick (`rollups_tick`, a step each tick, ticks back to back while
there is work) and each page that shows figures (`rollups_refresh` with a small budget). The
worker keeps the backlog near nothing, so a page has only the last second's rows to read; the page
reads them, so what it shows is exact at the moment it is drawn (not a tick ago), and a club run
without a worker (`make run`) still sees its figures. Nothing new costs a page two quick queries.
The first refresh builds everything (`rollups_rebuild`): set-based, in SQL, once.

Rows are only ever added to the sources this reads, except what a rollup cannot see: a member's
`joined_at` changed afterwards (the cohort follows at the member's next purchase or refund; the
month of joining counted in `DayFigures` does not), a tier's rank changed afterwards (moves read
before keep their direction), a tier deleted (TierMonth keeps its members' months under its id;
the page counts them under no tier, as their tier rows now say), and rows re-dated or deleted
by hand. `rollups_rebuild()` starts over from the sources. The first build of a big database
takes minutes (bench/insight.py: about two and a half for ten million transfers) and is the
worker's: a page does not start it (it says the figures are being prepared).
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import jdatetime
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from vafa.commerce.models import Purchase, Refund
from vafa.core import sql
from vafa.core.jalali import TEHRAN
from vafa.core.models import JobRun
from vafa.insight.models import (
    AccountBalance,
    CalendarDay,
    CohortMonth,
    DayFigures,
    DayLastPurchase,
    DayReward,
    MemberFigures,
    MemberMonth,
    RfmCell,
    RollupState,
    RollupTotals,
    TierMonth,
)
from vafa.ledger.models import Account, Transfer
from vafa.members.models import Member, MemberScore
from vafa.program.models import MemberTier, Tier, TierChange
from vafa.rewards.models import Redemption

OVERLAP = timedelta(minutes=10)
STEP_ROWS = 10_000  # ids of one source read in one transaction (a step: a second or two at most)
MEMBER_CHUNK = 500  # members recomputed in one statement
MAX_GAPS = 1_000  # gaps kept per source (the newest: a late commit is a recent row)
MAX_RUNS = 500  # runs of consecutive ids in one statement
REBUILD_TAIL = 100_000  # the newest ids of each source are read row by row after a rebuild
REBUILD_SPAN = 2_000_000  # ids per statement in a rebuild
REBUILD_MEMBERS = 50_000  # member ids per statement in a rebuild
PAGE_BUDGET = 10_000  # rows a page view may read before it draws (the worker keeps the backlog near 0)
PAGE_BUILD = 100_000  # sources' rows up to which a page builds the rollups the first time (seconds)
PAGE_LOCK_WAIT_MS = 3_000  # how long a page waits for a refresh under way elsewhere
RFM_CHECK = timedelta(minutes=5)  # how often the worker looks whether the scores changed
RFM_INLINE = 50_000  # scored members up to which a page retakes the grid itself

MEMBER = Account.Role.MEMBER.value
_EARNING = ("earn", "bonus", "referral")


# --- SQL that differs between the databases ------------------------------------------------------------------


def _tehran_day_sqlite(value):
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # SQLite holds UTC without an offset
    return moment.astimezone(TEHRAN).date().isoformat()


def _prepare() -> None:
    """SQLite has no time zones: the Tehran day of a moment is a Python function there."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.create_function("vafa_tehran_day", 1, _tehran_day_sqlite, deterministic=True)


def tehran_day_sql(expr: str) -> str:
    """SQL for the Tehran calendar day of a moment (PostgreSQL's own time zone data keeps Iran's
    daylight saving time until 2022; SQLite calls zoneinfo)."""
    if connection.vendor == "postgresql":
        return f"CAST(({expr}) AT TIME ZONE 'Asia/Tehran' AS date)"
    return f"vafa_tehran_day({expr})"


def seconds_between_sql(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later}) - ({earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def moment_param_sql() -> str:
    """A moment given as a parameter (sql.fetch passes it as each database keeps moments)."""
    return "CAST(%s AS timestamptz)" if connection.vendor == "postgresql" else "%s"


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _fetch(statement: str, params: Sequence = ()) -> list[tuple]:
    return sql.fetch(statement, params)


def _run(statement: str, params: Sequence = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))
        return cursor.rowcount


def _t(model) -> str:
    return sql.table(model)


def _c(model, name: str) -> str:
    return sql.column(model, name)


def _add(model, keys: Sequence[str], values: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Add each row's values to the row of its keys, made when missing (other columns 0):
    INSERT ... ON CONFLICT DO UPDATE SET v = v + excluded.v, the same on both databases."""
    rows = [r for r in rows if any(r[len(keys):])]
    if not rows:
        return
    named = {*keys, *values}
    others = [f.name for f in model._meta.concrete_fields
              if not f.primary_key and f.name not in named and f.attname not in named]
    names = [*keys, *values, *others]
    fields = [model._meta.get_field(n) for n in names]
    table = _t(model)
    updates = ", ".join(f"{_c(model, v)} = {table}.{_c(model, v)} + excluded.{_c(model, v)}" for v in values)
    conflict = ", ".join(_c(model, k) for k in keys)
    columns = ", ".join(_c(model, n) for n in names)
    row_sql = "(" + ", ".join(["%s"] * len(names)) + ")"
    for start in range(0, len(rows), 1_000):
        chunk = rows[start:start + 1_000]
        params: list = []
        for row in chunk:
            full = [*row, *[0] * len(others)]
            params.extend(f.get_db_prep_save(v, connection) for f, v in zip(fields, full, strict=True))
        _run(f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_sql] * len(chunk))} "
             f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}", params)


# --- which rows: runs of ids ----------------------------------------------------------------------------------


Where = tuple[str, list]


def _runs(ids: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted ids as runs of consecutive ids, (first, last)."""
    runs: list[tuple[int, int]] = []
    for i in ids:
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _in_runs(column: str, runs: Sequence[tuple[int, int]]) -> Where:
    parts, params = [], []
    for first, last in runs:
        if first == last:
            parts.append(f"{column} = %s")
            params.append(first)
        else:
            parts.append(f"{column} BETWEEN %s AND %s")
            params += [first, last]
    return "(" + " OR ".join(parts) + ")", params


# --- the calendar --------------------------------------------------------------------------------------------


def _jalali_month(day: date) -> int:
    j = jdatetime.date.fromgregorian(date=day)
    return j.year * 100 + j.month


def calendar_cover(first: date | None, last: date | None) -> None:
    """Make the calendar hold every day from `first` to `last` (it is kept without holes)."""
    if first is None or last is None:
        return
    have = CalendarDay.objects.aggregate(lo=Min("day"), hi=Max("day"))
    lo, hi = have["lo"], have["hi"]
    wanted: list[tuple[date, date]] = []
    if lo is None:
        wanted.append((first, last))
    else:
        if first < lo:
            wanted.append((first, lo - timedelta(days=1)))
        if last > hi:
            wanted.append((hi + timedelta(days=1), last))
    for start, end in wanted:
        days = (end - start).days + 1
        CalendarDay.objects.bulk_create(
            [CalendarDay(day=start + timedelta(days=n), month=_jalali_month(start + timedelta(days=n)))
             for n in range(days)], batch_size=2_000, ignore_conflicts=True)


def _moment_day(value) -> date | None:
    if value is None:
        return None
    return sql.aware(value).astimezone(TEHRAN).date()


# --- what each source adds ---------------------------------------------------------------------------------


def _points_apply(where: Where, touched: bool = True) -> set:
    """Transfers: points per day of what happened (DESIGN's kinds; member to member moves are neither);
    answers the accounts they moved ("account", id)."""
    t, a, p = _t(Transfer), _t(Account), _t(Purchase)
    kind, amount = "t." + _c(Transfer, "kind"), "t." + _c(Transfer, "amount")
    role = _c(Account, "role")
    into = f"(c.{role} = '{MEMBER}' AND d.{role} <> '{MEMBER}')"
    out = f"(d.{role} = '{MEMBER}' AND c.{role} <> '{MEMBER}')"
    earning = f"{kind} IN ({', '.join(repr(k) for k in _EARNING)})"
    moment = (f"CASE WHEN {earning} AND p.{_c(Purchase, 'id')} IS NOT NULL THEN p.{_c(Purchase, 'occurred_at')} "
              f"ELSE t.{_c(Transfer, 'created_at')} END")
    rows = _fetch(
        f"SELECT {tehran_day_sql(moment)} AS day,"
        f" SUM(CASE WHEN {earning} AND {into} THEN {amount} ELSE 0 END),"
        f" SUM(CASE WHEN {kind} = 'adjust' AND {into} THEN {amount}"
        f"          WHEN {kind} = 'adjust' AND {out} THEN -{amount} ELSE 0 END),"
        f" SUM(CASE WHEN {kind} = 'refund_reversal' AND {out} THEN {amount} ELSE 0 END),"
        f" SUM(CASE WHEN {kind} = 'redeem' AND {out} THEN {amount} ELSE 0 END),"
        f" SUM(CASE WHEN {kind} = 'refund_reversal' AND {into} THEN {amount} ELSE 0 END),"
        f" SUM(CASE WHEN {kind} = 'expire' AND {out} THEN {amount} ELSE 0 END)"
        f" FROM {t} t JOIN {a} d ON d.{_c(Account, 'id')} = t.{_c(Transfer, 'debit')}"
        f" JOIN {a} c ON c.{_c(Account, 'id')} = t.{_c(Transfer, 'credit')}"
        f" LEFT JOIN {p} p ON t.{_c(Transfer, 'source_kind')} = 'purchase'"
        f" AND p.{_c(Purchase, 'id')} = t.{_c(Transfer, 'source_id')}"
        f" WHERE {kind} <> 'transfer' AND {where[0].replace('{id}', 't.' + _c(Transfer, 'id'))}"
        f" GROUP BY 1", where[1])
    _add(DayFigures, ["day"], ["points_earned", "points_adjusted", "points_reversed", "points_redeemed",
                               "points_returned", "points_expired"],
         [(_as_date(r[0]), *[int(v or 0) for v in r[1:]]) for r in rows])
    if not touched:
        return set()
    ends = _fetch(f"SELECT t.{_c(Transfer, 'debit')}, t.{_c(Transfer, 'credit')} FROM {t} t"
                  f" WHERE {where[0].replace('{id}', 't.' + _c(Transfer, 'id'))}", where[1])
    return {("account", a) for pair in ends for a in pair}


def _members_apply(where: Where, touched: bool = True) -> set:
    m = _t(Member)
    rows = _fetch(f"SELECT {tehran_day_sql('m.' + _c(Member, 'joined_at'))}, COUNT(*) FROM {m} m"
                  f" WHERE {where[0].replace('{id}', 'm.' + _c(Member, 'id'))} GROUP BY 1", where[1])
    _add(DayFigures, ["day"], ["members_joined"], [(_as_date(r[0]), int(r[1])) for r in rows])
    return set()


def _tiers_apply(where: Where, touched: bool = True) -> set:
    tc, tier = _t(TierChange), _t(Tier)
    rank = _c(Tier, "rank")
    to_rank, from_rank = f"COALESCE(tt.{rank}, 0)", f"COALESCE(ft.{rank}, 0)"
    rows = _fetch(
        f"SELECT {tehran_day_sql('tc.' + _c(TierChange, 'changed_at'))},"
        f" SUM(CASE WHEN {to_rank} > {from_rank} THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN {to_rank} < {from_rank} THEN 1 ELSE 0 END)"
        f" FROM {tc} tc LEFT JOIN {tier} ft ON ft.{_c(Tier, 'id')} = tc.{_c(TierChange, 'from_tier')}"
        f" LEFT JOIN {tier} tt ON tt.{_c(Tier, 'id')} = tc.{_c(TierChange, 'to_tier')}"
        f" WHERE {where[0].replace('{id}', 'tc.' + _c(TierChange, 'id'))} GROUP BY 1", where[1])
    _add(DayFigures, ["day"], ["tier_ups", "tier_downs"], [(_as_date(r[0]), int(r[1]), int(r[2])) for r in rows])
    if not touched:
        return set()
    # The members moved: their months counted again under the tier they are in now (TierMonth).
    moved = _fetch(f"SELECT DISTINCT tc.{_c(TierChange, 'member')} FROM {tc} tc"
                   f" WHERE {where[0].replace('{id}', 'tc.' + _c(TierChange, 'id'))}", where[1])
    return {("tier", r[0]) for r in moved}


def _redemptions_apply(where: Where, touched: bool = True) -> set:
    r = _t(Redemption)
    rows = _fetch(
        f"SELECT {tehran_day_sql('r.' + _c(Redemption, 'created_at'))}, r.{_c(Redemption, 'reward')},"
        f" COUNT(*), SUM(r.{_c(Redemption, 'points')}) FROM {r} r"
        f" WHERE r.{_c(Redemption, 'free')} = %s AND {where[0].replace('{id}', 'r.' + _c(Redemption, 'id'))}"
        f" GROUP BY 1, 2", [False, *where[1]])
    _add(DayReward, ["day", "reward_id"], ["redemptions", "points"],
         [(_as_date(x[0]), x[1], int(x[2]), int(x[3] or 0)) for x in rows])
    return set()


def _purchases_apply(where: Where, touched: bool = True) -> set:
    """Purchases: the members ("member", id) whose figures to recompute."""
    p = _t(Purchase)
    rows = _fetch(f"SELECT DISTINCT p.{_c(Purchase, 'member')} FROM {p} p"
                  f" WHERE {where[0].replace('{id}', 'p.' + _c(Purchase, 'id'))}", where[1])
    return {("member", r[0]) for r in rows}


def _refunds_apply(where: Where, touched: bool = True) -> set:
    """Refunds: the members ("member", id) whose figures to recompute."""
    r, p = _t(Refund), _t(Purchase)
    rows = _fetch(f"SELECT DISTINCT p.{_c(Purchase, 'member')} FROM {r} r"
                  f" JOIN {p} p ON p.{_c(Purchase, 'id')} = r.{_c(Refund, 'purchase')}"
                  f" WHERE {where[0].replace('{id}', 'r.' + _c(Refund, 'id'))}", where[1])
    return {("member", x[0]) for x in rows}


@dataclass(frozen=True)
class Feed:
    name: str
    model: type
    apply: Callable[..., set]  # (where, touched=True): what it added; answers what to recompute
    sums: bool = True  # False: it only names the members whose figures to recompute


FEEDS = (
    Feed("members", Member, _members_apply),
    Feed("purchases", Purchase, _purchases_apply, sums=False),
    Feed("refunds", Refund, _refunds_apply, sums=False),
    Feed("transfers", Transfer, _points_apply),
    Feed("tiers", TierChange, _tiers_apply),
    Feed("redemptions", Redemption, _redemptions_apply),
)


# --- members' figures, recomputed from their purchases ---------------------------------------------------------


def _counted(p: str) -> str:
    """A purchase counts unless it was refunded in full (a purchase of 0 Rials always counts)."""
    amount, refunded = f"{p}.{_c(Purchase, 'amount')}", f"{p}.{_c(Purchase, 'refunded_amount')}"
    return f"NOT ({amount} > 0 AND {refunded} >= {amount})"


def _cohort_cells(member_where: Where) -> dict[tuple[int, int], list[int]]:
    mm = _t(MemberMonth)
    rows = _fetch(f"SELECT {_c(MemberMonth, 'cohort')}, {_c(MemberMonth, 'month')}, COUNT(*),"
                  f" SUM({_c(MemberMonth, 'purchases')}), SUM({_c(MemberMonth, 'amount_rial')}) FROM {mm}"
                  f" WHERE {member_where[0].replace('{member}', _c(MemberMonth, 'member'))} GROUP BY 1, 2",
                  member_where[1])
    return {(r[0], r[1]): [int(r[2]), int(r[3]), int(r[4])] for r in rows}


def _tier_now(member: str) -> str:
    """The tier of the member `member` names, as TierMonth counts it (0: none)."""
    return (f"COALESCE((SELECT mt.{_c(MemberTier, 'tier')} FROM {_t(MemberTier)} mt"
            f" WHERE mt.{_c(MemberTier, 'member')} = {member}), 0)")


def _tier_cells_sql(member_where: Where) -> tuple[str, list]:
    """The members' months as TierMonth counts them, grouped by (tier counted, month, previous
    month): members, purchases, spend."""
    mm, mf = _t(MemberMonth), _t(MemberFigures)
    member, month = _c(MemberMonth, "member"), _c(MemberMonth, "month")
    return (
        f"SELECT f.{_c(MemberFigures, 'tier')}, x.{month}, x.prev, COUNT(*), SUM(x.{_c(MemberMonth, 'purchases')}),"
        f" SUM(x.{_c(MemberMonth, 'amount_rial')}) FROM ("
        f"SELECT {member}, {month}, {_c(MemberMonth, 'purchases')}, {_c(MemberMonth, 'amount_rial')},"
        f" COALESCE(LAG({month}) OVER (PARTITION BY {member} ORDER BY {month}), 0) AS prev FROM {mm}"
        f" WHERE {member_where[0].replace('{member}', member)}) x"
        f" JOIN {mf} f ON f.{_c(MemberFigures, 'member')} = x.{member} GROUP BY 1, 2, 3", member_where[1])


def _tier_cells(member_where: Where) -> dict[tuple[int, int, int], list[int]]:
    rows = _fetch(*_tier_cells_sql(member_where))
    return {(r[0], r[1], r[2]): [int(r[3]), int(r[4]), int(r[5])] for r in rows}


def _tier_months_build() -> None:
    """TierMonth from every member's months at once (a rebuild: one pass, not one per chunk)."""
    cells, params = _tier_cells_sql(("1 = 1", []))
    columns = ", ".join(_c(TierMonth, n) for n in ("tier", "month", "prev_month", "members", "purchases",
                                                   "amount_rial"))
    _run(f"INSERT INTO {_t(TierMonth)} ({columns}) {cells}", params)


def _cells_moved(before: dict, after: dict) -> list[tuple]:
    """Each cell's difference, after less before: rows for `_add`."""
    moved = []
    for key in before.keys() | after.keys():
        old, new = before.get(key, [0, 0, 0]), after.get(key, [0, 0, 0])
        moved.append((*key, *(n - o for n, o in zip(new, old, strict=True))))
    return moved


TOTALS = ("buyers", "repeat_buyers", "joining_members", "before_purchases", "before_rial", "before_seconds",
          "after_purchases", "after_rial", "joined_seconds")


def epoch_sql(expr: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {expr})"
    return f"((julianday({expr}) - 2440587.5) * 86400.0)"


def _member_totals(member_where: Where) -> tuple[list, dict[date, int]]:
    """What the members' figures add to the totals (TOTALS' order), and their last purchases per day."""
    mf = _t(MemberFigures)
    c = {n: _c(MemberFigures, n) for n in ("purchases", "joined_at", "first_before_at", "before_purchases",
                                           "before_rial", "after_purchases", "after_rial", "last_at")}
    where = member_where[0].replace("{member}", _c(MemberFigures, "member"))
    joining = f"{c['before_purchases']} > 0"

    def when(value: str) -> str:
        return f"SUM(CASE WHEN {joining} THEN {value} ELSE 0 END)"

    row = _fetch(f"SELECT SUM(CASE WHEN {c['purchases']} >= 1 THEN 1 ELSE 0 END),"
                 f" SUM(CASE WHEN {c['purchases']} >= 2 THEN 1 ELSE 0 END), {when('1')}, {when(c['before_purchases'])},"
                 f" {when(c['before_rial'])}, {when(seconds_between_sql(c['joined_at'], c['first_before_at']))},"
                 f" {when(c['after_purchases'])}, {when(c['after_rial'])}, {when(epoch_sql(c['joined_at']))}"
                 f" FROM {mf} WHERE {where}", member_where[1])[0]
    days = _fetch(f"SELECT {tehran_day_sql(c['last_at'])}, COUNT(*) FROM {mf}"
                  f" WHERE {c['last_at']} IS NOT NULL AND {where} GROUP BY 1", member_where[1])
    return [float(v or 0) if n.endswith("seconds") else int(v or 0) for n, v in zip(TOTALS, row, strict=True)], {
        _as_date(d): int(n) for d, n in days}


def _totals_add(changes: dict[str, float | int]) -> None:
    changes = {k: v for k, v in changes.items() if v}
    if not changes:
        return
    table = _t(RollupTotals)
    sets = ", ".join(f"{_c(RollupTotals, k)} = {_c(RollupTotals, k)} + %s" for k in changes)
    _run(f"UPDATE {table} SET {sets} WHERE {_c(RollupTotals, 'id')} = 1", list(changes.values()))


def _members_recompute(member_where: Where, *, tiers: bool = True) -> None:
    """The members' MemberFigures and MemberMonth rows made again from their purchases, and the
    cohort cells, the tiers' months (unless `tiers` is False: a rebuild sums them at the end),
    the totals and the days of last purchases moved by the difference.
    `member_where` has `{member}` for the member column."""
    p, m, cal = _t(Purchase), _t(Member), _t(CalendarDay)
    pm = "p." + _c(Purchase, "member")
    on_p = member_where[0].replace("{member}", pm)
    # The calendar must hold the days these members joined and bought on.
    span = _fetch(f"SELECT MIN(p.{_c(Purchase, 'occurred_at')}), MAX(p.{_c(Purchase, 'occurred_at')}),"
                  f" MIN(m.{_c(Member, 'joined_at')}), MAX(m.{_c(Member, 'joined_at')})"
                  f" FROM {p} p JOIN {m} m ON m.{_c(Member, 'id')} = {pm} WHERE {on_p}", member_where[1])[0]
    days = [d for d in (_moment_day(v) for v in span) if d is not None]
    if days:
        calendar_cover(min(days), max(days))
    before, tiers_before = _cohort_cells(member_where), _tier_cells(member_where) if tiers else {}
    totals_before, days_before = _member_totals(member_where)
    mm, mf = _t(MemberMonth), _t(MemberFigures)
    _run(f"DELETE FROM {mm} WHERE {member_where[0].replace('{member}', _c(MemberMonth, 'member'))}",
         member_where[1])
    _run(f"DELETE FROM {mf} WHERE {member_where[0].replace('{member}', _c(MemberFigures, 'member'))}",
         member_where[1])
    counted = _counted("p")
    one = f"CASE WHEN {counted} THEN 1 ELSE 0 END"
    net = f"(p.{_c(Purchase, 'amount')} - p.{_c(Purchase, 'refunded_amount')})"
    occurred, joined = "p." + _c(Purchase, "occurred_at"), "m." + _c(Member, "joined_at")
    joins = (f" FROM {p} p JOIN {m} m ON m.{_c(Member, 'id')} = {pm}"
             f" JOIN {cal} j ON j.{_c(CalendarDay, 'day')} = {tehran_day_sql(joined)}")
    _run(f"INSERT INTO {mm} ({_c(MemberMonth, 'member')}, {_c(MemberMonth, 'month')}, {_c(MemberMonth, 'cohort')},"
         f" {_c(MemberMonth, 'purchases')}, {_c(MemberMonth, 'amount_rial')})"
         f" SELECT {pm}, c.{_c(CalendarDay, 'month')}, j.{_c(CalendarDay, 'month')}, SUM({one}), SUM({net})"
         f" {joins} JOIN {cal} c ON c.{_c(CalendarDay, 'day')} = {tehran_day_sql(occurred)}"
         f" WHERE {on_p} GROUP BY {pm}, c.{_c(CalendarDay, 'month')}, j.{_c(CalendarDay, 'month')}"
         f" HAVING SUM({one}) > 0", member_where[1])
    before_join, since_join = f"{occurred} < {joined}", f"{occurred} >= {joined}"
    names = ("member", "cohort", "joined_at", "tier", "purchases", "amount_rial", "last_at", "before_purchases",
             "before_rial", "first_before_at", "after_purchases", "after_rial")
    tier = _tier_now(pm)  # once per member (of the grouped member id), not a join read per purchase
    _run(f"INSERT INTO {mf} ({', '.join(_c(MemberFigures, n) for n in names)})"
         f" SELECT {pm}, j.{_c(CalendarDay, 'month')}, {joined}, {tier}, SUM({one}), SUM({net}),"
         f" MAX(CASE WHEN {counted} THEN {occurred} END),"
         f" SUM(CASE WHEN {counted} AND {before_join} THEN 1 ELSE 0 END),"
         f" SUM(CASE WHEN {before_join} THEN {net} ELSE 0 END),"
         f" MIN(CASE WHEN {counted} AND {before_join} THEN {occurred} END),"
         f" SUM(CASE WHEN {counted} AND {since_join} THEN 1 ELSE 0 END),"
         f" SUM(CASE WHEN {since_join} THEN {net} ELSE 0 END)"
         f" {joins} WHERE {on_p} GROUP BY {pm}, j.{_c(CalendarDay, 'month')}, {joined}", member_where[1])
    _add(CohortMonth, ["cohort", "month"], ["members", "purchases", "amount_rial"],
         _cells_moved(before, _cohort_cells(member_where)))
    if tiers:
        _add(TierMonth, ["tier", "month", "prev_month"], ["members", "purchases", "amount_rial"],
             _cells_moved(tiers_before, _tier_cells(member_where)))
    totals_after, days_after = _member_totals(member_where)
    _totals_add({n: a - b for n, a, b in zip(TOTALS, totals_after, totals_before, strict=True)})
    _add(DayLastPurchase, ["day"], ["members"],
         [(d, days_after.get(d, 0) - days_before.get(d, 0)) for d in days_before.keys() | days_after.keys()])


def _balances_recompute(account_where: Where) -> None:
    """The member accounts' balances read again (AccountBalance), and the liability's totals
    moved by the difference. `account_where` has `{account}` for the account column."""
    ab, a = _t(AccountBalance), _t(Account)
    balance = _c(AccountBalance, "balance")
    on_ab = account_where[0].replace("{account}", _c(AccountBalance, "account_id"))

    def held() -> tuple[int, int]:
        row = _fetch(f"SELECT SUM(CASE WHEN {balance} > 0 THEN {balance} ELSE 0 END),"
                     f" SUM(CASE WHEN {balance} < 0 THEN -{balance} ELSE 0 END) FROM {ab} WHERE {on_ab}",
                     account_where[1])[0]
        return int(row[0] or 0), int(row[1] or 0)

    old = held()
    _run(f"DELETE FROM {ab} WHERE {on_ab}", account_where[1])
    _run(f"INSERT INTO {ab} ({_c(AccountBalance, 'account_id')}, {balance})"
         f" SELECT {_c(Account, 'id')}, {_c(Account, 'balance')} FROM {a}"
         f" WHERE {_c(Account, 'role')} = '{MEMBER}' AND {account_where[0].replace('{account}', _c(Account, 'id'))}",
         account_where[1])
    new = held()
    _totals_add({"points_held": new[0] - old[0], "points_owed": new[1] - old[1]})


def _in_chunks(ids: Iterable[int], apply: Callable[[Where], None], column: str) -> int:
    """`apply` to the ids, MEMBER_CHUNK at a time (`column`: the placeholder its SQL names them by)."""
    ids = sorted(set(ids))
    for start in range(0, len(ids), MEMBER_CHUNK):
        chunk = ids[start:start + MEMBER_CHUNK]
        apply((f"{{{column}}} IN (" + ", ".join(["%s"] * len(chunk)) + ")", chunk))
    return len(ids)


def balances_recompute(account_ids: Iterable[int]) -> int:
    return _in_chunks(account_ids, _balances_recompute, "account")


def _tiers_move(member_where: Where) -> None:
    """The members' months moved from the tier they were counted under to the one they are in
    now: their MemberFigures' tier set, TierMonth moved by the difference (nothing else of
    theirs changes with a tier)."""
    mf = _t(MemberFigures)
    before = _tier_cells(member_where)
    now = _tier_now(f"{mf}.{_c(MemberFigures, 'member')}")
    moved = _run(f"UPDATE {mf} SET {_c(MemberFigures, 'tier')} = {now}"
                 f" WHERE {member_where[0].replace('{member}', _c(MemberFigures, 'member'))}"
                 f" AND {_c(MemberFigures, 'tier')} <> {now}", member_where[1])
    if moved:
        _add(TierMonth, ["tier", "month", "prev_month"], ["members", "purchases", "amount_rial"],
             _cells_moved(before, _tier_cells(member_where)))


def tiers_move(member_ids: Iterable[int]) -> int:
    return _in_chunks(member_ids, _tiers_move, "member")


def members_recompute(member_ids: Iterable[int]) -> int:
    return _in_chunks(member_ids, _members_recompute, "member")


# --- reading the sources by id ----------------------------------------------------------------------------------


def _live_gaps(gaps: list, now_s: float) -> list:
    return [g for g in gaps if now_s - g[2] < OVERLAP.total_seconds()]


def _gap_ids(feed: Feed, gaps: list) -> list[int]:
    if not gaps:
        return []
    pk = _c(feed.model, "id")
    where = _in_runs(pk, [(g[0], g[1]) for g in gaps])
    return [r[0] for r in _fetch(f"SELECT {pk} FROM {_t(feed.model)} WHERE {where[0]} ORDER BY {pk}", where[1])]


def _step(feed: Feed, state: dict, now_s: float, rows: int) -> tuple[int, set]:
    """Read the feed's next rows (and those found in its gaps); answers rows read and the members
    and accounts they touched. `state` ({"seen_to", "gaps"}) is updated in place."""
    pk = _c(feed.model, "id")
    seen_to = state.get("seen_to", 0)
    gaps = _live_gaps(state.get("gaps", []), now_s)
    new = [r[0] for r in _fetch(f"SELECT {pk} FROM {_t(feed.model)} WHERE {pk} > %s ORDER BY {pk}"
                                f" LIMIT {int(rows)}", [seen_to])]
    holes, prev = [], seen_to
    for n, i in enumerate(new):
        if i > prev + 1:
            if len(holes) >= MAX_RUNS:  # a statement of reasonable size: the rest next time
                new = new[:n]
                break
            holes.append([prev + 1, i - 1, now_s])
        prev = i
    found = _gap_ids(feed, gaps)
    ids = sorted(set(new) | set(found))
    touched: set = set()
    for start in range(0, len(ids), 50_000):
        runs = _runs(ids[start:start + 50_000])
        for r in range(0, len(runs), MAX_RUNS):
            touched |= feed.apply(_in_runs("{id}", runs[r:r + MAX_RUNS]))
    found_set, left = set(found), []
    for first, last, noticed in gaps:
        inside = sorted(i for i in found_set if first <= i <= last)
        edge = first
        for i in inside:
            if i > edge:
                left.append([edge, i - 1, noticed])
            edge = i + 1
        if edge <= last:
            left.append([edge, last, noticed])
    state["gaps"] = (left + holes)[-MAX_GAPS:]
    state["seen_to"] = new[-1] if new else seen_to
    return len(ids), touched


def _tops(feeds: dict | None = None, now_s: float = 0.0) -> tuple[dict[str, int], int]:
    """The highest id of every source, and how many rows have come in the live gaps, in one
    statement."""
    parts, params = [], []
    for f in FEEDS:
        parts.append(f"(SELECT MAX({_c(f.model, 'id')}) FROM {_t(f.model)})")
        gaps = _live_gaps((feeds or {}).get(f.name, {}).get("gaps", []), now_s)
        if gaps:
            where = _in_runs(_c(f.model, "id"), [(g[0], g[1]) for g in gaps])
            parts.append(f"(SELECT COUNT(*) FROM {_t(f.model)} WHERE {where[0]})")
            params += where[1]
    row = _fetch("SELECT " + ", ".join(parts), params)[0]
    tops = {f.name: int(v or 0) for f, v in zip(FEEDS, [v for v, p in zip(row, parts, strict=True)
                                                         if p.startswith("(SELECT MAX")], strict=True)}
    found = sum(int(v or 0) for v, p in zip(row, parts, strict=True) if p.startswith("(SELECT COUNT"))
    return tops, found


def _behind(feeds: dict, tops: dict[str, int]) -> int:
    """Rows not read yet (by ids)."""
    return sum(max(tops[f.name] - feeds.get(f.name, {}).get("seen_to", 0), 0) for f in FEEDS)


@dataclass(frozen=True)
class Freshness:
    """How current the rollups are: `behind` rows of the sources not read yet (0: exact)."""

    behind: int
    read: int
    built: bool

    @property
    def exact(self) -> bool:
        return self.built and self.behind == 0


def _state_row(*, nowait: bool = False) -> RollupState:
    RollupState.objects.bulk_create([RollupState(pk=1)], ignore_conflicts=True)
    return RollupState.objects.select_for_update(nowait=nowait).get(pk=1)


def _locked(error: DatabaseError) -> bool:
    """A lock not granted in time (PostgreSQL's lock_not_available, 55P03)."""
    return isinstance(error, OperationalError) and getattr(error.__cause__, "sqlstate", None) == "55P03"


def _lock(wait_ms: int | None) -> RollupState:
    """The state row, locked: waiting as long as it takes (None), not at all (0), or `wait_ms`."""
    if wait_ms is None or connection.vendor != "postgresql":
        return _state_row()
    if wait_ms == 0:
        return _state_row(nowait=True)
    _run(f"SET LOCAL lock_timeout = {int(wait_ms)}")
    state = _state_row()
    _run("SET LOCAL lock_timeout TO DEFAULT")
    return state


def _nothing_new(state: RollupState | None, tops: dict[str, int], found: int) -> bool:
    if state is None or state.built_at is None or found:
        return False
    return not _behind(state.feeds, tops)


def rollups_refresh(*, budget: int | None = None, lock_wait_ms: int | None = None,
                    rebuild_up_to: int | None = None) -> Freshness:
    """Read what is new in the sources into the rollups, a transaction per step, until nothing is
    left or about `budget` rows were read. The first time, everything is built, unless the
    sources hold more than `rebuild_up_to` rows (a page leaves a big first build to the worker).
    With `lock_wait_ms`, gives up (reads nothing more) when another refresh holds the lock longer.
    Two quick queries when nothing is new."""
    _prepare()
    state = RollupState.objects.filter(pk=1).first()
    now_s = clock.time()
    tops, found = _tops(state.feeds if state is not None else None, now_s)
    if _nothing_new(state, tops, found):
        return Freshness(behind=0, read=0, built=True)
    if (state is None or state.built_at is None) and rebuild_up_to is not None and sum(tops.values()) > rebuild_up_to:
        return Freshness(behind=sum(tops.values()), read=0, built=False)
    read = 0
    feeds = state.feeds if state is not None else {}
    while True:
        rebuilt = False
        try:
            with transaction.atomic():
                state = _lock(lock_wait_ms)
                if state.built_at is None:
                    read += _rebuild(state)
                    feeds, done, rebuilt = state.feeds, 0, True
                else:
                    done, feeds = _steps(state, STEP_ROWS if budget is None else max(min(STEP_ROWS, budget - read), 1))
        except DatabaseError as error:
            if lock_wait_ms is None or not _locked(error):
                raise
            return Freshness(behind=_behind(feeds, tops), read=read, built=bool(feeds))
        read += done
        tops, found = _tops(feeds, clock.time())
        behind = _behind(feeds, tops)
        if not rebuilt and (done == 0 or (not behind and not found) or (budget is not None and read >= budget)):
            return Freshness(behind=behind, read=read, built=True)


def _steps(state: RollupState, rows: int) -> tuple[int, dict]:
    """One step of every source, under the lock; the members they touched recomputed."""
    feeds, touched, done = dict(state.feeds), set(), 0
    for feed in FEEDS:
        mine = dict(feeds.get(feed.name, {}))
        n, more = _step(feed, mine, clock.time(), rows)
        feeds[feed.name] = mine
        done += n
        touched |= more
    recomputed = {i for kind, i in touched if kind == "member"}
    members_recompute(recomputed)  # (which counts each member under their tier as it is now)
    tiers_move(i for kind, i in touched if kind == "tier" and i not in recomputed)
    balances_recompute(i for kind, i in touched if kind == "account")
    state.feeds = feeds
    state.refreshed_at = timezone.now()
    state.save(update_fields=["feeds", "refreshed_at"])
    return done, feeds


def rollups_rebuild() -> Freshness:
    """Start over: every rollup made again from the sources."""
    _prepare()
    with transaction.atomic():
        state = _state_row()
        state.built_at = None
        state.feeds = {}
        state.save(update_fields=["built_at", "feeds"])
    return rollups_refresh()


def _rebuild(state: RollupState) -> int:
    """Everything from the sources, set-based (inside the caller's transaction, under the lock):
    all ids but the newest REBUILD_TAIL of each source, whose rows the steps then read one by one
    (a row among them may not have committed yet)."""
    if connection.vendor == "postgresql":
        _run("SET LOCAL work_mem = '128MB'")  # a few big hash joins, once: in memory rather than on disk
    for model in (DayFigures, DayReward, CohortMonth, TierMonth, MemberMonth, MemberFigures, DayLastPurchase,
                  AccountBalance, RollupTotals):
        _run(f"DELETE FROM {_t(model)}")
    RollupTotals.objects.create(pk=1)
    tops, feeds, read = _tops()[0], {}, 0
    for feed in FEEDS:
        cut = max(tops[feed.name] - REBUILD_TAIL, 0)
        # (purchases and refunds only name members to recompute: below, every member is)
        for first in range(0, cut if feed.sums else 0, REBUILD_SPAN):
            feed.apply(("{id} > %s AND {id} <= %s", [first, min(first + REBUILD_SPAN, cut)]), touched=False)
        feeds[feed.name] = {"seen_to": cut, "gaps": []}
        read += cut
    top_member = tops["members"]
    for first in range(0, top_member, REBUILD_MEMBERS):
        _members_recompute(("{member} > %s AND {member} <= %s", [first, first + REBUILD_MEMBERS]), tiers=False)
    _tier_months_build()
    top_account = _fetch(f"SELECT MAX({_c(Account, 'id')}) FROM {_t(Account)}")[0][0] or 0
    for first in range(0, top_account, REBUILD_MEMBERS * 4):
        _balances_recompute(("{account} > %s AND {account} <= %s", [first, first + REBUILD_MEMBERS * 4]))
    state.feeds = feeds
    state.built_at = state.refreshed_at = timezone.now()
    state.save(update_fields=["feeds", "built_at", "refreshed_at"])
    if connection.vendor == "postgresql":
        # Tables filled in one go: the planner's statistics of them, before the first step runs
        # (otherwise it plans as if they were empty until autovacuum comes by).
        _run("ANALYZE " + ", ".join(_t(m) for m in (DayFigures, DayReward, CohortMonth, TierMonth, MemberMonth,
                                                    MemberFigures, CalendarDay, DayLastPurchase, AccountBalance)))
    return read


def rollups_tick(now: datetime | None = None) -> int:
    """The worker's tick: a step of reading (never waiting for a refresh under way elsewhere), and
    the RFM grid retaken when the scores changed. Answers the rows read."""
    # One step a tick: the worker's other work (the outbox) waits a second or two at most; a tick
    # that read something is followed by another at once.
    fresh = rollups_refresh(budget=STEP_ROWS, lock_wait_ms=0)
    rfm_check(now or timezone.now())
    return fresh.read


# --- the RFM grid -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreCell:
    r: int
    f: int
    members: int
    scored_at: datetime | None


def rfm_counts() -> list[ScoreCell]:
    """Members per (recency, frequency) quintile as the scores stand, with each cell's latest
    score: one grouped pass over the scores."""
    s = _t(MemberScore)
    r, f = _c(MemberScore, "rfm_r"), _c(MemberScore, "rfm_f")
    rows = _fetch(f"SELECT {r}, {f}, COUNT(*), MAX({_c(MemberScore, 'scored_at')}) FROM {s}"
                  f" WHERE {r} IS NOT NULL AND {f} IS NOT NULL GROUP BY 1, 2")
    return [ScoreCell(r=int(x[0]), f=int(x[1]), members=int(x[2]), scored_at=sql.aware(x[3])) for x in rows]


def scores_at_most(n: int) -> bool:
    """Are there at most n scores (looking at n + 1 of them at most)?"""
    s = _t(MemberScore)
    return _fetch(f"SELECT COUNT(*) FROM (SELECT 1 FROM {s} LIMIT {int(n) + 1}) x")[0][0] <= n


def rfm_matches(counts: list[ScoreCell], cells: dict[tuple[int, int], RfmCell]) -> bool:
    if len(counts) != len(cells):
        return False
    for c in counts:
        taken = cells.get((c.r, c.f))
        if taken is None or taken.members != c.members or taken.scored_at != c.scored_at:
            return False
    return True


def rfm_take() -> None:
    """The grid taken again: each cell's members and their spend to date (MemberFigures), one
    join of the scores with the members' figures."""
    s, mf = _t(MemberScore), _t(MemberFigures)
    r, f = "s." + _c(MemberScore, "rfm_r"), "s." + _c(MemberScore, "rfm_f")
    rows = _fetch(f"SELECT {r}, {f}, COUNT(*), SUM(COALESCE(x.{_c(MemberFigures, 'amount_rial')}, 0)),"
                  f" MAX(s.{_c(MemberScore, 'scored_at')}) FROM {s} s"
                  f" LEFT JOIN {mf} x ON x.{_c(MemberFigures, 'member')} = s.{_c(MemberScore, 'member')}"
                  f" WHERE {r} IS NOT NULL AND {f} IS NOT NULL GROUP BY 1, 2")
    taken = timezone.now()
    with transaction.atomic():
        RfmCell.objects.all().delete()
        RfmCell.objects.bulk_create([RfmCell(r=x[0], f=x[1], members=x[2], spend_rial=int(x[3] or 0),
                                             scored_at=sql.aware(x[4]), taken_at=taken) for x in rows])


SCORING_JOB = "score-members"  # the nightly scoring's periodic job (vafa/insight/apps.py)


def scoring_finished_at() -> datetime | None:
    """When the nightly scoring last finished (its JobRun)."""
    return (JobRun.objects.filter(job=SCORING_JOB, finished_at__isnull=False).order_by("-finished_at")
            .values_list("finished_at", flat=True).first())


def rfm_check(now: datetime, *, force: bool = False) -> bool:
    """Retake the grid if the scores changed: looked at when forced, when the nightly scoring has
    finished since the grid was taken, and every RFM_CHECK (scores written another way, such as
    `vafa clv-fit`). Answers whether the grid was retaken."""
    state = RollupState.objects.filter(pk=1).first()
    if state is None:
        return False
    if not force:
        taken = RfmCell.objects.aggregate(at=Max("taken_at"))["at"]
        finished = scoring_finished_at()
        scored_since = finished is not None and (taken is None or finished > taken)
        if not scored_since and state.rfm_checked_at and now - state.rfm_checked_at < RFM_CHECK:
            return False
    counts = rfm_counts()
    cells = {(c.r, c.f): c for c in RfmCell.objects.all()}
    retake = not rfm_matches(counts, cells)
    if retake:
        rfm_take()
    if retake or not force:  # (a page looking at a small grid writes nothing when it is the same)
        RollupState.objects.filter(pk=1).update(rfm_checked_at=now)
    return retake
