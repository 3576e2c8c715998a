"""`make bench`, lifetime value: the nightly scoring of 1,000,000 members with purchases on
PostgreSQL, each step against a baseline measured in the same run.

    .venv/bin/python bench/clv.py [--members 1000000] [--pg-url postgres://postgres@127.0.0.1:5432/vafa_bench_clv]

1. A fresh database (dropped and made again), filled with set-based SQL (INSERT ... SELECT over
   generate_series; nothing is held in memory): the members, and each one's purchase history
   made in SQL with a fixed seed, as BG/NBD tells it: a first purchase 1-700 days ago, then
   purchases an exponential time apart at the member's own pace (5-255 days on average) until
   they stop (the member's own chance, 2-62%, after each repeat purchase; at most 25) or
   today comes; one in 8 with a second purchase on the first day, one in 50 purchases refunded
   in full (a member whose only purchase it was has no purchase day, and no score).
2. The summary (vafa.insight.scoring.summary: Tehran purchase days, x, t_x, T, the repeat
   mean, the RFM inputs, in one SQL pass, fetched a chunk at a time into arrays), twice (the
   second with a warm cache). Baselines: the bare `SELECT count(*)` of the purchases, and a bare
   GROUP BY member_id (count and sum) counted in the server.
3. The fit (BG/NBD and Gamma-Gamma by maximum likelihood) and the predictions (P(alive), 90-day
   purchases, expected spend, 12 monthly steps of the lifetime value, RFM quintiles).
4. Writing MemberScore: COPY into a temporary table and one INSERT ... ON CONFLICT, first into
   an empty table, then (after a VACUUM, as autovacuum does between nights) again over the rows
   of the night before (the nightly case: every row updated, p_alive_before kept). Baseline: COPY
   of the same rows into a bare table without indexes.
5. The whole `clv_fit` service (summary, fit, scores, the ClvFit row) once more, end to end.

Prints each figure with its ratio to its baseline and writes them as JSON to var/bench-clv.json.
A benchmark, not a test: the exit status is 1 only when something is wrong (a member not scored,
a refused fit, or fit plus scoring over the 60 s target).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
T0 = time.monotonic()
TARGET_SECONDS = 60


def log(message: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {message}", flush=True)


def timed(function):
    started = time.perf_counter()
    answer = function()
    return answer, time.perf_counter() - started


def build(n: int, now: datetime) -> dict:
    from django.db import connection
    from engage import insert_select, sql_text

    from vafa.commerce.models import Purchase
    from vafa.members.models import Member
    from vafa.merchants.services import merchant_create

    at = f"{sql_text(now.isoformat())}::timestamptz"
    merchant = merchant_create(name="Bench shop")
    made = insert_select(Member, {
        "phone": "'+98912' || lpad(g::text, 7, '0')",
        "referral_code": "'C' || lpad(g::text, 9, '0')",
        "first_name": "'عضو'", "last_name": "g::text",
        "joined_at": f"{at} - make_interval(days => 720)",
    }, f"generate_series(1, {int(n)}) g")
    members = f"{connection.ops.quote_name(Member._meta.db_table)} m"
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        # Each member's life as BG/NBD tells it: the first purchase `first` days ago, then purchases
        # a random (exponential) time apart at the member's own pace, `gap` days on average, until
        # they stop (the member's own chance after each repeat purchase) or today comes.
        cursor.execute(f"CREATE TEMPORARY TABLE bench_life AS SELECT m.id, 1 + floor(random() * 700)::int AS first,"
                       f" 0.02 + 0.6 * power(random(), 2) AS stop, 5 + 250 * power(random(), 2) AS gap,"
                       f" 200000 + floor(random() * 4000000)::bigint AS spend FROM {members}")
        cursor.execute("ALTER TABLE bench_life ADD COLUMN count int")
        # BG/NBD's drop-out comes after a repeat purchase, never right after the first
        cursor.execute("UPDATE bench_life SET count = least(25, 2 + floor(ln(1 - random()) / ln(1 - stop))::int)")
        cursor.execute("CREATE TEMPORARY TABLE bench_days AS SELECT id, j, spend, first - floor(SUM(CASE WHEN j = 0"
                       " THEN 0 ELSE -ln(1 - random()) * gap END) OVER (PARTITION BY id ORDER BY j))::int AS ago"
                       " FROM bench_life CROSS JOIN LATERAL generate_series(0, count - 1) j")
    bought = insert_select(Purchase, {
        "merchant": str(merchant.pk), "member": "l.id",
        "amount": "greatest(1000, (l.spend * (0.5 + mod(l.id * 7 + l.j * 13, 100) / 100.0))::bigint)",
        "refunded_amount": "CASE WHEN mod(l.id * 3 + l.j, 50) = 0 THEN"
                           " greatest(1000, (l.spend * (0.5 + mod(l.id * 7 + l.j * 13, 100) / 100.0))::bigint)"
                           " ELSE 0 END",
        "occurred_at": f"{at} - make_interval(days => l.ago, hours => mod(l.id + l.j, 3)::int)",
        "recorded_at": at,
    }, "bench_days l WHERE l.ago >= 1")
    # A second purchase the same day for one member in 8 (one transaction for the model)
    bought += insert_select(Purchase, {
        "merchant": str(merchant.pk), "member": "l.id", "amount": "150000",
        "occurred_at": f"{at} - make_interval(days => l.first, hours => 2)", "recorded_at": at,
    }, "bench_life l WHERE mod(l.id, 8) = 0 AND l.first >= 1")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"members": made, "purchases": bought}


def vacuum() -> None:
    from django.db import connection

    from vafa.members.models import MemberScore

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(MemberScore._meta.db_table)}")


def baselines() -> dict:
    from django.db import connection

    from vafa.commerce.models import Purchase

    table = connection.ops.quote_name(Purchase._meta.db_table)

    def run(sql: str):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    run(f"SELECT count(*) FROM {table}")  # warm the cache
    count, count_s = timed(lambda: run(f"SELECT count(*) FROM {table}"))
    groups, group_s = timed(lambda: run(f"SELECT count(*) FROM (SELECT member_id, count(*), sum(amount)"
                                        f" FROM {table} GROUP BY member_id) g"))
    return {"purchases": count, "count_s": round(count_s, 3), "members": groups, "group_by_s": round(group_s, 3)}


def bare_copy(scored) -> float:
    """The scores' rows COPYed into a table without indexes: the least writing them can cost."""
    from django.db import connection, transaction

    from vafa.insight import scoring

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bench_bare (member_id bigint, rfm_r smallint, rfm_f smallint,"
                       " rfm_m smallint, repeat_days integer, p_alive double precision,"
                       " expected_purchases_90d double precision, expected_avg_spend_rial bigint, clv_rial bigint)")
        started = time.perf_counter()
        with cursor.copy("COPY bench_bare FROM STDIN (FORMAT binary)") as copy:
            for data in scoring.copy_binary(scored):
                copy.write(data)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_bare")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/vafa_bench_clv")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database of an earlier run as it is (its members and purchases)")
    args = parser.parse_args()
    name, server = args.pg_url.rsplit("/", 1)[1], args.pg_url.rsplit("/", 1)[0] + "/postgres"
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing an unusual database name: {name!r}")
    if not args.reuse:
        for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
            subprocess.run(["psql", server, "-qc", sql], check=True, capture_output=True)
    var = Path(tempfile.mkdtemp(prefix="vafa-bench-clv-"))
    for key in [k for k in os.environ if k.startswith("VAFA_")]:
        del os.environ[key]
    os.environ.update(DATABASE_URL=args.pg_url, VAFA_DEV="1", VAFA_VAR_DIR=str(var),
                      DJANGO_SETTINGS_MODULE="vafa.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from vafa.core.jalali import TEHRAN
    from vafa.insight import scoring
    from vafa.insight.services import clv_fit
    from vafa.members.models import MemberScore

    call_command("migrate", verbosity=0)
    now = datetime.combine(datetime.now(TEHRAN).date(), datetime.min.time().replace(hour=3, minute=30), tzinfo=TEHRAN)
    end = (now - timedelta(days=1)).date()
    if args.reuse:
        from vafa.commerce.models import Purchase
        from vafa.members.models import Member

        made = {"members": Member.objects.count(), "purchases": Purchase.objects.count()}
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {connection.ops.quote_name(MemberScore._meta.db_table)}")
        log(f"reusing {made['members']:,} members and {made['purchases']:,} purchases")
    else:
        made, build_s = timed(lambda: build(args.members, now))
        log(f"{made['members']:,} members, {made['purchases']:,} purchases made in {build_s:.1f}s")
    results: dict = {"members": made["members"], "purchases": made["purchases"], "calibration_end": end.isoformat(),
                     "load_average_at_start": os.getloadavg()[0]}
    log(f"load average of the machine (2 cores, shared): {os.getloadavg()[0]:.1f}")

    bare = baselines()
    log(f"baseline: SELECT count(*) of {bare['purchases']:,} purchases {bare['count_s']:.2f}s; "
        f"bare GROUP BY member_id ({bare['members']:,} groups) {bare['group_by_s']:.2f}s")
    summary, cold_s = timed(lambda: scoring.summary(end))
    summary, warm_s = timed(lambda: scoring.summary(end))
    log(f"summary of {summary.members:,} members: {cold_s:.2f}s, again {warm_s:.2f}s "
        f"({warm_s / bare['group_by_s']:.1f}x the bare GROUP BY, {warm_s / bare['count_s']:.1f}x the bare count); "
        f"sum of x {int(summary.x.sum()):,}, {int((summary.x > 0).sum()):,} repeat customers")

    scored, score_s = timed(lambda: scoring.fit_and_score(summary))
    if scored.refused:
        log(f"REFUSED: {scored.refused}")
        return 1
    fit_s, predict_s = scored.timings["fit"], scored.timings["predict"]
    bg, gg = scored.bgnbd, scored.gamma_gamma
    log(f"fit: {fit_s:.2f}s (BG/NBD r {bg.r:.3f}, alpha {bg.alpha:.3f}, a {bg.a:.3f}, b {bg.b:.3f}; "
        f"Gamma-Gamma p {gg.p:.2f}, q {gg.q:.2f}, gamma {gg.gamma:,.0f} Rials); predictions {predict_s:.2f}s")
    rfm_s = timed(lambda: scoring.rfm(summary))[1]
    copy_s = bare_copy(scored)
    first_s = timed(lambda: scoring.write_scores(scored, now))[1]
    vacuum()  # as autovacuum does between two nights
    again_s = timed(lambda: scoring.write_scores(scored, now + timedelta(days=1)))[1]
    vacuum()
    log(f"baseline: bare COPY of the {summary.members:,} score rows into a table without indexes {copy_s:.2f}s")
    log(f"MemberScore written (RFM {rfm_s:.2f}s of it): into an empty table {first_s:.2f}s "
        f"({first_s / copy_s:.1f}x the bare COPY), over last night's rows {again_s:.2f}s ({again_s / copy_s:.1f}x)")
    scored_rows = MemberScore.objects.filter(p_alive__isnull=False).count()
    with_before = MemberScore.objects.filter(p_alive_before__isnull=False).count()
    fit_and_scoring = fit_s + predict_s + again_s
    log(f"fit plus scoring (predictions and the nightly write): {fit_and_scoring:.1f}s "
        f"(target {TARGET_SECONDS}s); {scored_rows:,} members scored, {with_before:,} with p_alive_before")

    _, service_s = timed(lambda: clv_fit(calibration_end=end, now=now + timedelta(days=2)))
    log(f"the whole clv_fit service, end to end: {service_s:.1f}s; load average now {os.getloadavg()[0]:.1f}")
    ok = scored_rows == summary.members and fit_and_scoring < TARGET_SECONDS
    results.update(
        baseline=bare, summary={"cold_s": round(cold_s, 2), "warm_s": round(warm_s, 2),
                                "ratio_to_group_by": round(warm_s / bare["group_by_s"], 2),
                                "ratio_to_count": round(warm_s / bare["count_s"], 2),
                                "sum_x": int(summary.x.sum()), "repeat": int((summary.x > 0).sum())},
        fit={"seconds": round(fit_s, 2), "bgnbd": bg.as_dict(), "gamma_gamma": gg.as_dict()},
        predict_s=round(predict_s, 2), rfm_s=round(rfm_s, 2), score_s=round(score_s, 2),
        write={"bare_copy_s": round(copy_s, 2), "first_s": round(first_s, 2), "again_s": round(again_s, 2),
               "ratio_first": round(first_s / copy_s, 2), "ratio_again": round(again_s / copy_s, 2)},
        fit_and_scoring_s=round(fit_and_scoring, 2), service_s=round(service_s, 2), scored=scored_rows, ok=ok,
        load_average_at_end=os.getloadavg()[0])
    out = ROOT / "var" / "bench-clv.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nfit plus scoring of {summary.members:,} members: {fit_and_scoring:.1f}s "
          f"({'under' if fit_and_scoring < TARGET_SECONDS else 'OVER'} {TARGET_SECONDS}s); summary {warm_s:.1f}s; "
          f"end to end {service_s:.1f}s. Written to {out.relative_to(ROOT)}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
