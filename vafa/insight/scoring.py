"""The members' figures: one pass over the purchases up to a calibration end gives each member's
purchase-day summary (for BG/NBD and Gamma-Gamma) and their RFM, then the models are fitted
(vafa.insight.clv) and every member with a purchase is scored into MemberScore in bulk.

Conventions (DESIGN, "Importing history, and customer lifetime value"):

- Days are Tehran calendar days (Asia/Tehran, with the daylight saving time Iran kept until 2022:
  never a fixed +03:30). A purchase belongs to the day of its `occurred_at`; the purchases up to
  and including the calibration end count.
- A member's purchases on one day are one transaction: their amounts, net of refunds, summed.
  A day counts as a purchase day when one of its purchases was not refunded in full; a purchase
  of 0 Rials is not "refunded in full" (the dashboard's rule, vafa/insight/selectors.py), so a
  day of only fully refunded purchases is no purchase day, and a free item's day is one worth 0.
- x = purchase days - 1, t_x = days from the first to the last purchase day, T = days from the
  first purchase day to the calibration end; divided by 7 in weeks. m = the mean net amount of
  the x repeat days (the first excluded). Gamma-Gamma is fitted on the members with x > 0 and
  m > 0 (a member who only ever took free items says nothing of the spend's distribution).
- RFM: quintiles 1-5 (5 best) over the purchase days of the 365 days ending at the calibration
  end: recency by the last purchase day, frequency by the number of purchase days, money by the
  net spend, each ordered with ties broken by member id (NTILE(5), as the segments' `rfm` does).
  A member without a purchase day in the window has NULL scores.

The pass never holds the purchases in memory: PostgreSQL groups them in SQL and streams the
per-member rows out by binary COPY, read a chunk at a time; SQLite streams the purchases in
member order through its cursor and the days are grouped here. What is kept is a few numbers per
member (numpy arrays), so a million members fit in about a hundred megabytes. The scores go back
the same way (binary COPY into a temporary table, one upsert); bench/clv.py measures each step.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock

import numpy as np
from django.db import connection, transaction

from vafa.commerce.models import Purchase
from vafa.core import sql
from vafa.core.jalali import TEHRAN
from vafa.insight import clv
from vafa.members.models import Member, MemberScore

UNITS = {"week": 7.0, "day": 1.0}
RFM_WINDOW_DAYS = 365
SCORE_DAYS = 90  # MemberScore.expected_purchases_90d
CLV_MONTHS = 12  # MemberScore.clv_rial
CHUNK = 20_000
_TEMP = "vafa_member_score_new"


@dataclass
class Summary:
    """One row per member with a purchase day up to the calibration end (arrays, member order)."""

    calibration_end: date
    member_id: np.ndarray  # int64
    x: np.ndarray  # repeat purchase days
    t_x_days: np.ndarray
    T_days: np.ndarray
    repeat_mean: np.ndarray  # float Rials; NaN when x = 0
    recency_days: np.ndarray  # days from the last purchase day to the calibration end
    window_days: np.ndarray  # purchase days in the RFM window
    window_money: np.ndarray  # net spend in the RFM window

    @property
    def members(self) -> int:
        return int(self.member_id.size)


def _end_exclusive(calibration_end: date) -> datetime:
    return datetime.combine(calibration_end + timedelta(days=1), clock(0), tzinfo=TEHRAN)


def _param(value):
    # SQLite keeps date-times as UTC text: an aware time must be given the way it is stored.
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


# --- the summary ----------------------------------------------------------------------------------------


# One member's summary as COPY's binary format sends it: a field count (int16), then each field's
# length (int32) and value (int64, big-endian); every column is a non-NULL bigint.
_SUMMARY_COLUMNS = 8
_COPY_ROW = np.dtype([("fields", ">i2")] + [item for k in range(_SUMMARY_COLUMNS)
                                             for item in ((f"length{k}", ">i4"), (f"value{k}", ">i8"))])
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # the signature, no flags, no header extension
_COPY_TRAILER = b"\xff\xff"


def _copied_rows(data: bytes) -> np.ndarray:
    rows = np.frombuffer(data, dtype=_COPY_ROW)
    if (rows["fields"] != _SUMMARY_COLUMNS).any() or any(
            (rows[f"length{k}"] != 8).any() for k in range(_SUMMARY_COLUMNS)):
        raise RuntimeError("the summary's COPY rows are not 8 bigints each")
    return np.column_stack([rows[f"value{k}"].astype(np.int64) for k in range(_SUMMARY_COLUMNS)])


def _postgres_rows(calibration_end: date) -> Iterator[np.ndarray]:
    p = Purchase
    member, at, amount, refunded = (sql.column(p, n) for n in ("member", "occurred_at", "amount", "refunded_amount"))
    # Literals, not parameters (COPY takes none): dates and a time made here, never typed by anyone.
    end = f"DATE '{calibration_end.isoformat()}'"
    window = f"DATE '{(calibration_end - timedelta(days=RFM_WINDOW_DAYS)).isoformat()}'"
    before = f"TIMESTAMPTZ '{_end_exclusive(calibration_end).isoformat()}'"
    # The inner query makes the purchase days, the outer one the member's summary; the first
    # day's net comes from the days in order (m = (total - first) / x).
    query = (
        f"SELECT member_id, COUNT(*) - 1, (MAX(day) - MIN(day))::bigint, ({end} - MIN(day))::bigint,"
        f" (SUM(net) - (ARRAY_AGG(net ORDER BY day))[1])::bigint, ({end} - MAX(day))::bigint,"
        f" COUNT(*) FILTER (WHERE day > {window}), COALESCE(SUM(net) FILTER (WHERE day > {window}), 0)::bigint"
        f" FROM (SELECT {member} AS member_id, ({at} AT TIME ZONE 'Asia/Tehran')::date AS day,"
        f" SUM({amount} - {refunded})::bigint AS net FROM {sql.table(p)} WHERE {at} < {before}"
        f" GROUP BY 1, 2 HAVING bool_or({amount} = 0 OR {refunded} < {amount})) days"
        " GROUP BY member_id ORDER BY member_id")
    size = _COPY_ROW.itemsize
    buffer = bytearray()
    header = True
    with transaction.atomic(), connection.cursor() as cursor:
        # Measured on a million members and 2 cores: compiling the query (JIT) cost 2.3 s, and
        # parallel workers only added a merge of 4.7 million purchase days; alone it is twice as fast.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        # Binary COPY: the rows come as fixed-size records that numpy reads as they are, instead of
        # a Python tuple per member; they are read a chunk at a time.
        with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT binary)") as copy:
            for data in copy:
                buffer += data
                if header:
                    if len(buffer) < len(_COPY_HEADER):
                        continue
                    if bytes(buffer[:len(_COPY_HEADER)]) != _COPY_HEADER:
                        raise RuntimeError("unexpected COPY header")
                    del buffer[:len(_COPY_HEADER)]
                    header = False
                whole = len(buffer) // size * size
                if whole >= CHUNK * size:
                    yield _copied_rows(bytes(buffer[:whole]))
                    del buffer[:whole]
    whole = len(buffer) // size * size
    if bytes(buffer[whole:]) != _COPY_TRAILER:
        raise RuntimeError("unexpected end of the summary's COPY")
    if whole:
        yield _copied_rows(bytes(buffer[:whole]))


def _purchase_days(calibration_end: date) -> Iterator[tuple[int, int, int]]:
    """(member id, Tehran day as an ordinal, net) of each purchase day, in member and day order,
    from the purchases streamed one at a time (SQLite)."""
    p = Purchase
    member, at, amount, refunded = (sql.column(p, n) for n in ("member", "occurred_at", "amount", "refunded_amount"))
    query = (f"SELECT {member}, {at}, {amount}, {refunded} FROM {sql.table(p)} WHERE {at} < %s"
             f" ORDER BY {member}, {at}")
    zone_days: dict[str, int] = {}  # the minute (UTC text) -> its Tehran day: offsets change on minutes
    current = None  # (member, day)
    net = 0
    counts = False
    with connection.chunked_cursor() as cursor:
        cursor.execute(query, [_param(_end_exclusive(calibration_end))])
        while rows := cursor.fetchmany(CHUNK):
            for member_id, occurred, gross, back in rows:
                key = str(occurred)[:16]
                day = zone_days.get(key)
                if day is None:
                    moment = sql.aware(occurred)
                    day = zone_days[key] = moment.astimezone(TEHRAN).date().toordinal()
                if (member_id, day) != current:
                    if current is not None and counts:
                        yield current[0], current[1], net
                    current, net, counts = (member_id, day), 0, False
                net += gross - back
                counts = counts or gross == 0 or back < gross
    if current is not None and counts:
        yield current[0], current[1], net


def _python_rows(calibration_end: date) -> Iterator[np.ndarray]:
    """The rows of `_postgres_rows`, made from the purchase days (SQLite)."""
    end = calibration_end.toordinal()
    window_start = end - RFM_WINDOW_DAYS
    chunk: list[tuple] = []
    # The member being summed: id, days, first day, first day's net, last day, total, days and
    # money in the RFM window.
    m: list | None = None
    for member_id, day, net in _purchase_days(calibration_end):
        if m is None or member_id != m[0]:
            if m is not None:
                chunk.append(_member_row(m, end))
                if len(chunk) >= CHUNK:
                    yield np.array(chunk, dtype=np.int64)
                    chunk = []
            m = [member_id, 0, day, net, day, 0, 0, 0]
        m[1] += 1
        m[4] = day
        m[5] += net
        if day > window_start:
            m[6] += 1
            m[7] += net
    if m is not None:
        chunk.append(_member_row(m, end))
    if chunk:
        yield np.array(chunk, dtype=np.int64)


def _member_row(m: list, end: int) -> tuple:
    member_id, days, first, first_net, last, total, in_window, window_money = m
    return (member_id, days - 1, last - first, end - first, total - first_net, end - last, in_window, window_money)


def summary(calibration_end: date) -> Summary:
    """Every member's purchase-day summary and RFM inputs, up to and including `calibration_end`."""
    chunks = (_postgres_rows if connection.vendor == "postgresql" else _python_rows)(calibration_end)
    parts = list(chunks)
    table = np.concatenate(parts) if parts else np.zeros((0, _SUMMARY_COLUMNS), dtype=np.int64)
    x = table[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        repeat_mean = np.where(x > 0, table[:, 4] / np.maximum(x, 1), np.nan)
    return Summary(calibration_end=calibration_end, member_id=table[:, 0], x=x, t_x_days=table[:, 2],
                   T_days=table[:, 3], repeat_mean=repeat_mean, recency_days=table[:, 5],
                   window_days=table[:, 6], window_money=table[:, 7])


# --- RFM ------------------------------------------------------------------------------------------------


def ntile(order_key: np.ndarray, member_id: np.ndarray, buckets: int = 5) -> np.ndarray:
    """NTILE(buckets) OVER (ORDER BY order_key, member_id), as SQL numbers it: the first
    n mod buckets groups hold one row more than the others."""
    n = order_key.size
    ranks = np.empty(n, dtype=np.int64)
    ranks[np.lexsort((member_id, order_key))] = np.arange(n)
    small, extra = divmod(n, buckets)
    big_rows = extra * (small + 1)
    tiles = np.where(ranks < big_rows, ranks // (small + 1),
                     extra + (ranks - big_rows) // max(small, 1))
    return tiles + 1


def rfm(s: Summary) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quintiles of recency, frequency and money (5 best; 0 for no purchase in the window)."""
    scores = [np.zeros(s.members, dtype=np.int64) for _ in range(3)]
    inside = s.window_days > 0
    ids = s.member_id[inside]
    # Recency: the later the last day (the fewer days since), the better.
    for score, key in zip(scores, (-s.recency_days[inside], s.window_days[inside], s.window_money[inside]),
                          strict=True):
        score[inside] = ntile(key, ids)
    return scores[0], scores[1], scores[2]


# --- fitting and scoring -------------------------------------------------------------------------------------


@dataclass
class Scored:
    """What a scoring run found: the fit (or why it was refused) and each member's figures."""

    summary: Summary
    unit: str
    horizon: float  # in units, for `expected`
    bgnbd: clv.BgNbd | None = None
    gamma_gamma: clv.GammaGamma | None = None
    refused: str = ""
    repeat_members: int = 0
    seconds: float = 0.0
    p_alive: np.ndarray | None = None
    expected: np.ndarray | None = None  # over `horizon`
    expected_90d: np.ndarray | None = None
    spend: np.ndarray | None = None  # Rials, float
    value: np.ndarray | None = None  # Rials over 12 months, float
    timings: dict = field(default_factory=dict)

    def in_units(self, days: np.ndarray) -> np.ndarray:
        return days / UNITS[self.unit]


def _distinct_rows(s: Summary) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (x, t_x, T) of the members (in whole days), each member's row among them,
    and how many members each stands for: the fit and the predictions depend on nothing else, and
    a million members have far fewer distinct rows."""
    if not s.members:
        return np.zeros((0, 3), dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    span = int(max(s.T_days.max(), 0)) + 1
    key = (s.x * span + s.t_x_days) * span + s.T_days  # t_x <= T < span: one integer per row
    _, first, where, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    rows = np.column_stack([s.x[first], s.t_x_days[first], s.T_days[first]])
    return rows, where, counts.astype(np.float64)


def fit_and_score(s: Summary, *, unit: str = "week", horizon: float | None = None,
                  monthly_discount: float = 0.01) -> Scored:
    """Fit both models on the summary and predict for every member; a refused fit keeps its
    reason and no predictions."""
    if unit not in UNITS:
        raise ValueError(f"unit: week or day, not {unit!r}")
    unit_days = UNITS[unit]
    horizon = SCORE_DAYS / unit_days if horizon is None else float(horizon)
    scored = Scored(summary=s, unit=unit, horizon=horizon, repeat_members=int((s.x > 0).sum()))
    started = time.perf_counter()
    rows, where, counts = _distinct_rows(s)
    x, t_x, T = rows[:, 0].astype(np.float64), rows[:, 1] / unit_days, rows[:, 2] / unit_days
    try:
        scored.bgnbd = clv.bgnbd_fit(x, t_x, T, weights=counts)
        spenders = (s.x > 0) & (np.nan_to_num(s.repeat_mean) > 0)
        scored.gamma_gamma = clv.gamma_gamma_fit(s.x[spenders].astype(np.float64), s.repeat_mean[spenders])
    except clv.FitRefused as refusal:
        scored.refused = refusal.reason
        scored.timings["fit"] = time.perf_counter() - started
        return scored
    scored.timings["fit"] = time.perf_counter() - started
    started = time.perf_counter()
    bg, gg = scored.bgnbd, scored.gamma_gamma
    # Computed once per distinct row, then given to each member of it
    alive = clv.p_alive(bg, x, t_x, T)
    e90 = clv.expected_purchases(bg, SCORE_DAYS / unit_days, x, t_x, T, alive=alive)
    expected = e90 if horizon == SCORE_DAYS / unit_days else clv.expected_purchases(bg, horizon, x, t_x, T,
                                                                                       alive=alive)
    discounted = clv.discounted_purchases(bg, x, t_x, T, months=CLV_MONTHS, monthly_discount=monthly_discount,
                                          unit_days=unit_days, alive=alive)
    scored.p_alive, scored.expected_90d, scored.expected = alive[where], e90[where], expected[where]
    scored.spend = clv.expected_spend(gg, s.x.astype(np.float64), s.repeat_mean)
    scored.value = discounted[where] * scored.spend
    scored.timings["predict"] = time.perf_counter() - started
    finite = (np.isfinite(scored.p_alive) & np.isfinite(scored.expected_90d) & np.isfinite(scored.expected)
              & np.isfinite(scored.spend) & np.isfinite(scored.value))
    if not finite.all():
        # Never NaN in MemberScore: parameters this extreme are not a model worth scoring with.
        scored.refused = (f"the predictions are not finite for {int((~finite).sum())} members "
                          f"(BG/NBD r {bg.r:.4g}, alpha {bg.alpha:.4g}, a {bg.a:.4g}, b {bg.b:.4g})")
        scored.p_alive = scored.expected = scored.expected_90d = scored.spend = scored.value = None
    return scored


# The dashboard's bands of lifetime value, in Rials (0 to 100,000 Toman, ... , 50 million Toman and more).
VALUE_BANDS = (0, 1_000_000, 5_000_000, 10_000_000, 50_000_000, 100_000_000, 500_000_000)


def value_distribution(scored: Scored) -> list[dict]:
    """The scored members by band of lifetime value (as written: whole Rials), with their sum."""
    if scored.value is None:
        return []
    values = _rials(scored.value)
    edges = np.array(VALUE_BANDS[1:], dtype=np.int64)
    band = np.searchsorted(edges, values, side="right")  # band i holds VALUE_BANDS[i] <= v < VALUE_BANDS[i+1]
    counts = np.bincount(band, minlength=len(VALUE_BANDS))
    sums = np.bincount(band, weights=values.astype(np.float64), minlength=len(VALUE_BANDS))
    return [{"from_rial": low, "to_rial": VALUE_BANDS[i + 1] if i + 1 < len(VALUE_BANDS) else None,
             "members": int(counts[i]), "clv_rial": round(sums[i])} for i, low in enumerate(VALUE_BANDS)]


def _rials(values: np.ndarray) -> np.ndarray:
    return np.rint(values).astype(np.int64)


# The temporary table's columns and their binary COPY types. It holds no NULL (COPY's binary rows
# are then of one size, written from numpy at once): "none" is 0 for a quintile, NaN for a
# probability or a count, -1 for Rials, and the INSERT makes them NULL.
_TEMP_TYPES = (("member_id", "bigint", ">i8"), ("rfm_r", "smallint", ">i2"), ("rfm_f", "smallint", ">i2"),
               ("rfm_m", "smallint", ">i2"), ("repeat_days", "integer", ">i4"),
               ("p_alive", "double precision", ">f8"), ("expected_purchases_90d", "double precision", ">f8"),
               ("expected_avg_spend_rial", "bigint", ">i8"), ("clv_rial", "bigint", ">i8"))
_NONE = {"rfm_r": 0, "rfm_f": 0, "rfm_m": 0, "p_alive": "'NaN'::float8", "expected_purchases_90d": "'NaN'::float8",
         "expected_avg_spend_rial": -1, "clv_rial": -1}


def _score_columns(scored: Scored) -> dict[str, np.ndarray]:
    """MemberScore's columns, member order, "none" as _NONE says."""
    s = scored.summary
    r, f, m = rfm(s)
    columns = {"member_id": s.member_id, "rfm_r": r, "rfm_f": f, "rfm_m": m, "repeat_days": s.x}
    if scored.refused:
        nothing = np.full(s.members, np.nan)
        columns.update(p_alive=nothing, expected_purchases_90d=nothing,
                       expected_avg_spend_rial=np.full(s.members, -1), clv_rial=np.full(s.members, -1))
    else:
        columns.update(p_alive=scored.p_alive, expected_purchases_90d=scored.expected_90d,
                       expected_avg_spend_rial=_rials(scored.spend), clv_rial=_rials(scored.value))
    return columns


def copy_binary(scored: Scored) -> Iterator[bytes]:
    """The score rows in COPY's binary format, a chunk at a time (header first, trailer last)."""
    columns = _score_columns(scored)
    layout = np.dtype([("fields", ">i2")] + [item for name, _, kind in _TEMP_TYPES
                                              for item in ((f"{name}_length", ">i4"), (name, kind))])
    yield _COPY_HEADER
    n = scored.summary.members
    for start in range(0, n, 10 * CHUNK):
        stop = min(start + 10 * CHUNK, n)
        rows = np.empty(stop - start, dtype=layout)
        rows["fields"] = len(_TEMP_TYPES)
        for name, _, kind in _TEMP_TYPES:
            rows[f"{name}_length"] = np.dtype(kind).itemsize
            rows[name] = columns[name][start:stop]
        yield rows.tobytes()
    yield _COPY_TRAILER


def _python_score_rows(scored: Scored) -> Iterator[tuple]:
    """The same rows as Python tuples, None for NULL (SQLite)."""
    columns = _score_columns(scored)
    lists = []
    for name, _, _ in _TEMP_TYPES:
        none = _NONE.get(name)
        values = columns[name].tolist()
        if none is not None:
            values = [None if (v != v if isinstance(none, str) else v == none) else v for v in values]
        lists.append(values)
    return zip(*lists, strict=True)


def write_scores(scored: Scored, now: datetime) -> int:
    """Replace MemberScore with this run's rows: one upsert from a temporary table (binary COPY on
    PostgreSQL, executemany in chunks on SQLite). p_alive_before keeps the p_alive of the last
    scoring of an earlier Tehran day (scoring again the same day does not lose the comparison).
    Members who no longer have a purchase day lose their row. Answers the rows written."""
    ms = sql.table(MemberScore)
    names = ", ".join(name for name, _, _ in _TEMP_TYPES)
    today = datetime.combine(now.astimezone(TEHRAN).date(), clock(0), tzinfo=TEHRAN)
    postgres = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_TEMP}")
        cursor.execute(f"CREATE TEMPORARY TABLE {_TEMP} ("
                       + ", ".join(f"{name} {kind}" for name, kind, _ in _TEMP_TYPES) + ")")
        if postgres:
            with cursor.copy(f"COPY {_TEMP} ({names}) FROM STDIN (FORMAT binary)") as copy:
                for data in copy_binary(scored):
                    copy.write(data)
            cursor.execute(f"ANALYZE {_TEMP}")
            chosen = ", ".join(f"NULLIF({name}, {_NONE[name]})" if name in _NONE else name
                               for name, _, _ in _TEMP_TYPES)
        else:
            insert = f"INSERT INTO {_TEMP} ({names}) VALUES ({', '.join(['%s'] * len(_TEMP_TYPES))})"
            chunk = []
            for row in _python_score_rows(scored):
                chunk.append(row)
                if len(chunk) >= CHUNK:
                    cursor.executemany(insert, chunk)
                    chunk = []
            if chunk:
                cursor.executemany(insert, chunk)
            chosen = names
        cursor.execute(f"DELETE FROM {ms} WHERE NOT EXISTS"
                       f" (SELECT 1 FROM {_TEMP} n WHERE n.member_id = {ms}.member_id)")
        keep = ", ".join(f"{name} = excluded.{name}" for name, _, _ in _TEMP_TYPES[1:] if name != "p_alive")
        # WHERE true: SQLite needs it to tell the SELECT's end from the ON CONFLICT clause.
        cursor.execute(
            f"INSERT INTO {ms} ({names}, p_alive_before, scored_at) SELECT {chosen}, NULL, %s FROM {_TEMP} WHERE true"
            f" ON CONFLICT (member_id) DO UPDATE SET {keep}, p_alive_before = CASE WHEN {ms}.scored_at < %s"
            f" THEN COALESCE({ms}.p_alive, {ms}.p_alive_before) ELSE {ms}.p_alive_before END,"
            f" p_alive = excluded.p_alive, scored_at = excluded.scored_at",
            [_param(now), _param(today)])
        cursor.execute(f"DROP TABLE {_TEMP}")
    return scored.summary.members


# --- the CSV of `vafa clv-fit --out` ---------------------------------------------------------------------------

CSV_COLUMNS = ("member_id", "external_ref", "x", "t_x", "T", "p_alive", "expected_purchases",
               "expected_avg_spend_rial", "clv_rial")


def external_refs(member_ids: np.ndarray) -> dict[int, str]:
    """The members' `external_ref`s (those that have one), read a chunk of ids at a time."""
    refs: dict[int, str] = {}
    ids = member_ids.tolist()
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        refs.update(Member.objects.filter(pk__in=part, external_ref__isnull=False)
                    .values_list("pk", "external_ref"))
    return refs


def csv_rows(scored: Scored) -> Iterator[list]:
    """The header, then one row per member: t_x and T in the fit's unit, expected purchases over
    the horizon, Rials rounded to whole numbers."""
    from vafa.core.spreadsheet import cell

    s = scored.summary
    refs = external_refs(s.member_id)
    yield list(CSV_COLUMNS)
    t_x, T = scored.in_units(s.t_x_days), scored.in_units(s.T_days)
    spend, value = _rials(scored.spend).tolist(), _rials(scored.value).tolist()
    for k, member_id in enumerate(s.member_id.tolist()):
        yield [member_id, cell(refs.get(member_id, "")), int(s.x[k]), round(float(t_x[k]), 6), round(float(T[k]), 6),
               round(float(scored.p_alive[k]), 6), round(float(scored.expected[k]), 6), spend[k], value[k]]
