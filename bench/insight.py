"""The owner's reports at scale: the dashboard and every report page for 1,000,000 members and
10,000,000 ledger transfers on PostgreSQL, each against a baseline measured in the same run.

    .venv/bin/python bench/insight.py [--members 1000000] [--transfers 10000000]
        [--pg-url postgres://postgres@127.0.0.1:5432/vafa_bench_insight]

1. A fresh database (dropped and made again), filled with set-based SQL (INSERT ... SELECT over
   generate_series; nothing is held in memory): the members, joined over two years (one in 20
   joined lately and brings older purchases: imported history), about 4 purchases each over the
   two years with their points (earnings, bonuses, points spent at checkout, refunds' claw-backs,
   adjustments, expiries, referral awards, catalogue redemptions) up to `--transfers` transfers,
   the members' balances summed from them, tiers and tier history, and the nightly scores (RFM).
2. The rollups built from nothing (`rollups_refresh`, what the worker's first tick does), timed;
   then the RFM grid taken (the tick does it within five minutes of a scoring), timed.
3. Each page through Django's test client as the owner (session, middleware, templates: all of
   it), the median of 5 after a warm-up, taken turn about with two baselines: a bare `SELECT 1`
   round trip and an anonymous GET of the back-office's login page (the least a page costs).
   Twice: with nothing new since the last view, and with 20 purchases recorded through the
   services before each view (a busy shop: each view first reads what is new).
4. Reading 1,000 purchases recorded since (as the tick does), timed.

Prints each figure and writes them as JSON to var/bench-insight.json. A benchmark, not a test:
the exit status is 1 only when a page takes a second or more or the rollups are not exact.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
T0 = time.monotonic()
RUNS = 5


def page_urls() -> list[str]:
    """The dashboard, the list and every report (read from the registry once Django is set up)."""
    from vafa.web.manage.reports import REPORTS

    return ["/manage/dashboard/", "/manage/reports/", *[f"/manage/reports/{n}/" for n in REPORTS],
            "/manage/reports/cohorts.csv", "/manage/reports/points.xlsx"]


def log(message: str) -> None:
    print(f"[{time.monotonic() - T0:7.1f}s] {message}", flush=True)


def insert_select(model, exprs: dict[str, str], source: str, params=()) -> int:
    """INSERT INTO model's table SELECT ...: `exprs` give SQL for some fields (no `%`: use mod()),
    the others take their default; `source` is the FROM clause (its params after)."""
    from django.db import connection

    columns, values, args = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.name not in exprs:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in exprs:
            values.append(exprs[field.name])
            continue
        default = field.get_default()
        if default is None and not field.null:
            raise SystemExit(f"bench/insight.py: no value for {model.__name__}.{field.name}")
        values.append("%s")
        args.append(field.get_db_prep_save(default, connection))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "
                       f"SELECT {', '.join(values)} FROM {source}", [*args, *params])
        return cursor.rowcount


def q(model) -> str:
    from django.db import connection

    return connection.ops.quote_name(model._meta.db_table)


def run(statement: str, params=()) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))
        return cursor.rowcount


def build(members: int, transfers: int, now: datetime) -> dict:
    """The club, set-based. Transfers: an earning per purchase, then the other kinds in the
    shares below until `transfers` are made."""
    from vafa.commerce.models import Purchase, Refund
    from vafa.ledger.accounts import system_account_id
    from vafa.ledger.models import Account, Transfer
    from vafa.members.models import Member, MemberScore
    from vafa.merchants.services import merchant_create
    from vafa.program.catalog import reward_create
    from vafa.program.models import MemberTier, TierChange
    from vafa.program.rules import tier_create
    from vafa.rewards.models import Redemption

    at = f"'{now.isoformat()}'::timestamptz"
    merchant = merchant_create(name="Bench shop")
    m = merchant.pk
    issued, redeemed = system_account_id("issued", m), system_account_id("redeemed", m)
    expired, adjustments = system_account_id("expired"), system_account_id("adjustments")
    tiers = [tier_create(data={"code": code, "name": code.title(), "rank": rank,
                               "qualify": {"by": "spend", "threshold": 10_000_000 * rank}})
             for rank, code in enumerate(("bronze", "silver", "gold"), start=1)]
    rewards = [reward_create(name=f"Reward {n}", kind="non_material", cost_points=100) for n in range(10)]
    started = time.monotonic()
    made = {"members": insert_select(Member, {
        "phone": "'+98912' || lpad(g::text, 7, '0')",
        "referral_code": "'B' || lpad(g::text, 9, '0')",
        "first_name": "'Member ' || g",
        "status": "'active'",
        # over two years; one in 20 joined in the last 30 days with older purchases (imported)
        "joined_at": f"{at} - CASE WHEN mod(g, 20) = 0 THEN mod(g, 30) * interval '1 day'"
                     " ELSE mod(g * 7, 730) * interval '1 day' + mod(g, 1440) * interval '1 minute' END",
    }, f"generate_series(1, {int(members)}) g")}
    members_t = f"{q(Member)} mm"
    insert_select(Account, {"code": "'member:' || mm.id", "role": "'member'", "member": "mm.id"}, members_t)
    log(f"{made['members']:,} members and their accounts in {time.monotonic() - started:.0f}s")
    # Purchases: 1-7 each (4 on average), after joining (before it for the imported ones); one in
    # 10 refunded (half of those in full)
    span = f"GREATEST(EXTRACT(EPOCH FROM {at} - mm.joined_at), 3600)"
    moment = (f"CASE WHEN mod(mm.id, 20) = 0 THEN mm.joined_at - (1 + mod(mm.id * 31 + j * 97, 700)) * interval '1 day'"
              f" ELSE mm.joined_at + {span} * mod(mm.id * 31 + j * 97, 997) / 997.0 * interval '1 second' END")
    amount = "100000 * (1 + mod(mm.id * 17 + j * 29, 100))"
    made["purchases"] = insert_select(Purchase, {
        "merchant": str(m), "member": "mm.id", "amount": amount,
        "points_earned": f"({amount}) / 10000",
        "refunded_amount": f"CASE WHEN mod(mm.id * 7 + j, 20) = 0 THEN {amount} WHEN mod(mm.id * 7 + j, 20) = 10"
                           f" THEN ({amount}) / 2 ELSE 0 END",
        "occurred_at": moment,
        "recorded_at": f"CASE WHEN mod(mm.id, 20) = 0 THEN mm.joined_at ELSE {moment} END",
    }, f"{members_t} CROSS JOIN LATERAL generate_series(1, 1 + mod(mm.id * 13, 7)) j")
    log(f"{made['purchases']:,} purchases in {time.monotonic() - started:.0f}s")
    made["refunds"] = insert_select(Refund, {
        "purchase": "p.id", "amount": "p.refunded_amount", "points_reversed": "p.points_earned * p.refunded_amount"
        " / p.amount", "points_returned": "0", "balance_after": "0",
        "created_at": f"LEAST(p.occurred_at + interval '5 days', {at})",
    }, f"{q(Purchase)} p WHERE p.refunded_amount > 0")
    run(f"UPDATE {q(Purchase)} SET points_reversed = points_earned * refunded_amount / amount"
        " WHERE refunded_amount > 0")
    accounts = f"{q(Account)} a"
    purchases_a = f"{q(Purchase)} p JOIN {accounts} ON a.member_id = p.member_id"

    def transfer(exprs: dict[str, str], source: str, limit: int) -> int:
        if limit <= 0:
            return 0
        exprs = {"merchant": str(m), "issuer": str(m), **exprs}
        return insert_select(Transfer, exprs, f"{source} LIMIT {int(limit)}")

    left = transfers
    counts = {}
    counts["earn"] = transfer({"debit": str(issued), "credit": "a.id", "amount": "GREATEST(p.points_earned, 1)",
                               "kind": "'earn'", "source_kind": "'purchase'", "source_id": "p.id",
                               "created_at": "p.recorded_at"}, f"{purchases_a} ORDER BY p.id", left)
    left -= counts["earn"]
    shares = [("bonus", 0.2), ("redeem", 0.15), ("refund_reversal", 0.04), ("adjust", 0.05), ("expire", 0.1),
              ("referral", 0.02), ("reward", 0.04)]
    quota = {k: int(transfers * s) for k, s in shares}
    quota["bonus"] += left - sum(quota.values())  # the rest, so the total is exact
    counts["bonus"] = transfer({"debit": str(issued), "credit": "a.id", "amount": "20", "kind": "'bonus'",
                                "source_kind": "'purchase'", "source_id": "p.id", "created_at": "p.recorded_at"},
                               f"{purchases_a} WHERE mod(p.id, 2) = 0", quota["bonus"])
    counts["redeem"] = transfer({"debit": "a.id", "credit": str(redeemed), "amount": "30", "kind": "'redeem'",
                                 "source_kind": "'purchase'", "source_id": "p.id", "created_at": "p.recorded_at"},
                                f"{purchases_a} WHERE mod(p.id, 8) IN (1, 2, 3)", quota["redeem"])
    counts["refund_reversal"] = transfer({
        "debit": "a.id", "credit": str(issued), "amount": "GREATEST(p.points_reversed, 1)",
        "kind": "'refund_reversal'", "source_kind": "'purchase'", "source_id": "p.id",
        "created_at": f"LEAST(p.occurred_at + interval '5 days', {at})",
    }, f"{purchases_a} WHERE p.refunded_amount > 0", quota["refund_reversal"])
    spread = f"{at} - mod(a.id * 13 + g, 720) * interval '1 day'"
    counts["adjust"] = transfer({"debit": f"CASE WHEN mod(a.id + g, 5) = 0 THEN a.id ELSE {adjustments} END",
                                 "credit": f"CASE WHEN mod(a.id + g, 5) = 0 THEN {adjustments} ELSE a.id END",
                                 "amount": "50", "kind": "'adjust'", "memo": "'bench'", "created_at": spread},
                                f"{accounts} CROSS JOIN generate_series(1, 2) g WHERE a.role = 'member'",
                                quota["adjust"])
    counts["expire"] = transfer({"debit": "a.id", "credit": str(expired), "amount": "5", "kind": "'expire'",
                                 "source_kind": "'expiry'", "created_at": spread},
                                f"{accounts} CROSS JOIN generate_series(1, 2) g WHERE a.role = 'member'",
                                quota["expire"])
    counts["referral"] = transfer({"debit": str(issued), "credit": "a.id", "amount": "100", "kind": "'referral'",
                                   "source_kind": "'referral'",
                                   "created_at": f"{at} - mod(a.id, 700) * interval '1 day'"},
                                  f"{accounts} WHERE a.role = 'member' AND mod(a.id, 5) = 0", quota["referral"])
    reward_ids = "ARRAY[" + ", ".join(str(r.pk) for r in rewards) + "]"
    made["redemptions"] = insert_select(Redemption, {
        "member": "mm.id", "reward": f"({reward_ids})[1 + mod(mm.id + g, 10)]", "merchant": str(m), "points": "100",
        "created_at": f"{at} - mod(mm.id * 3 + g, 700) * interval '1 day'",
    }, f"{members_t} CROSS JOIN generate_series(1, 2) g WHERE mod(mm.id, 5) = 1 LIMIT {quota['reward']}")
    counts["reward"] = transfer({"debit": "a.id", "credit": str(redeemed), "amount": "100", "kind": "'redeem'",
                                 "source_kind": "'reward'", "source_id": "r.id", "created_at": "r.created_at"},
                                f"{q(Redemption)} r JOIN {accounts} ON a.member_id = r.member_id", quota["reward"])
    made["transfers"] = sum(counts.values())
    made["transfer_kinds"] = counts
    log(f"{made['transfers']:,} transfers ({', '.join(f'{k} {v:,}' for k, v in counts.items())})"
        f" in {time.monotonic() - started:.0f}s")
    run(f"UPDATE {q(Account)} a SET balance = s.balance FROM (SELECT account, SUM(amount) AS balance FROM ("
        f"SELECT credit_id AS account, amount FROM {q(Transfer)} UNION ALL "
        f"SELECT debit_id, -amount FROM {q(Transfer)}) t GROUP BY account) s"
        f" WHERE a.id = s.account AND a.role = 'member'")
    gold, silver, bronze = (t.pk for t in reversed(tiers))
    made["member_tiers"] = insert_select(MemberTier, {
        "member": "mm.id", "tier": f"CASE mod(mm.id, 10) WHEN 0 THEN {gold} WHEN 1 THEN {silver} WHEN 2 THEN {silver}"
        f" WHEN 3 THEN NULL ELSE {bronze} END", "since": "mm.joined_at"}, f"{members_t} WHERE mod(mm.id, 10) < 6")
    made["tier_changes"] = insert_select(TierChange, {
        "member": "mm.id", "from_tier": f"CASE WHEN g = 1 THEN NULL ELSE {bronze} END",
        "to_tier": f"CASE WHEN g = 1 THEN {bronze} WHEN mod(mm.id, 3) = 0 THEN NULL ELSE {silver} END",
        "reason": "'bench'", "changed_at": f"LEAST(mm.joined_at + 30 * g * interval '1 day', {at})"},
        f"{members_t} CROSS JOIN generate_series(1, 2) g WHERE mod(mm.id, 10) < 3")
    made["scores"] = insert_select(MemberScore, {
        "member": "mm.id", "rfm_r": "1 + mod(mm.id * 7, 5)", "rfm_f": "1 + mod(mm.id * 11, 5)",
        "rfm_m": "1 + mod(mm.id * 13, 5)", "scored_at": f"{at} - interval '8 hours'"}, members_t)
    log(f"balances, {made['member_tiers']:,} tier rows, {made['tier_changes']:,} tier changes, "
        f"{made['scores']:,} scores in {time.monotonic() - started:.0f}s")
    made["seconds"] = round(time.monotonic() - started, 1)
    made["merchant_id"] = m
    return made


def reused() -> dict:
    """An earlier run's data, counted; its rollups forgotten, so they are built from nothing again."""
    from vafa.commerce.models import Purchase
    from vafa.insight.models import RfmCell, RollupState
    from vafa.ledger.models import Transfer
    from vafa.members.models import Member
    from vafa.merchants.models import Merchant

    RollupState.objects.all().delete()
    RfmCell.objects.all().delete()
    return {"members": Member.objects.count(), "purchases": Purchase.objects.count(),
            "transfers": Transfer.objects.count(), "merchant_id": Merchant.objects.order_by("id").first().pk,
            "reused": True}


def median_ms(function, runs: int = RUNS) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1), [round(t, 1) for t in times]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--transfers", type=int, default=10_000_000)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/vafa_bench_insight")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the data of an earlier run (the rollups are still built from nothing)")
    args = parser.parse_args()
    name, server = args.pg_url.rsplit("/", 1)[1], args.pg_url.rsplit("/", 1)[0] + "/postgres"
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing an unusual database name: {name!r}")
    if not args.reuse:
        for statement in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
            subprocess.run(["psql", server, "-qc", statement], check=True, capture_output=True)
    var = Path(tempfile.mkdtemp(prefix="vafa-bench-insight-"))
    for key in [k for k in os.environ if k.startswith("VAFA_")]:
        del os.environ[key]
    os.environ.update(DATABASE_URL=args.pg_url, VAFA_DEV="1", VAFA_VAR_DIR=str(var), VAFA_SMS_BACKEND="console",
                      VAFA_SMS_OUTBOX=str(var / "outbox.jsonl"), DJANGO_SETTINGS_MODULE="vafa.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from vafa.commerce.services import purchase_record
    from vafa.core.jalali import TEHRAN
    from vafa.insight import rollups
    from vafa.insight.selectors import dashboard_figures
    from vafa.merchants.staff import staff_create

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    now = timezone.now().astimezone(TEHRAN)
    if args.reuse:
        made = reused()
        log(f"reusing {made['members']:,} members, {made['purchases']:,} purchases, {made['transfers']:,} transfers")
    else:
        made = build(args.members, args.transfers, now - timedelta(minutes=10))
        started = time.monotonic()
        subprocess.run(["psql", args.pg_url, "-qc", "VACUUM ANALYZE"], check=True, capture_output=True)
        log(f"VACUUM ANALYZE in {time.monotonic() - started:.0f}s")
    results: dict = {"made": made, "now": now.isoformat()}

    # 2. the rollups from nothing, then the RFM grid
    started = time.monotonic()
    fresh = rollups.rollups_refresh()
    results["rollups_build_s"] = round(time.monotonic() - started, 1)
    log(f"rollups built from nothing in {results['rollups_build_s']}s ({fresh.read:,} rows by id; exact: "
        f"{fresh.exact})")
    started = time.monotonic()
    rollups.rfm_check(timezone.now(), force=True)
    results["rfm_take_s"] = round(time.monotonic() - started, 2)
    log(f"RFM grid taken in {results['rfm_take_s']}s")
    subprocess.run(["psql", args.pg_url, "-qc", "VACUUM ANALYZE"], check=True, capture_output=True)
    figures = dashboard_figures()
    results["figures"] = {"members": figures.members_total, "issued_12_months": figures.issued,
                          "liability_rial": figures.liability.rial, "buyers": figures.rates.buyers,
                          "repeat_buyers": figures.rates.repeat_buyers, "breakage": figures.breakage.rate,
                          "rfm_members": figures.rfm.members, "exact": figures.freshness.exact}
    log(f"figures: {json.dumps(results['figures'])}")

    # 3. the pages, turn about with the baselines
    owner = Client()
    owner.force_login(staff_create(username=f"bench-owner-{int(time.time())}", password="bench-pass-12345",
                                   role="owner"))
    anonymous = Client()
    member_ids = list(range(1, made["members"] + 1))
    rng = random.Random(13)

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    def new_purchases(n: int) -> None:
        for _ in range(n):
            purchase_record(merchant_id=made["merchant_id"], member_id=rng.choice(member_ids),
                            amount=rng.randrange(1, 100) * 100_000)

    def login_page():
        assert anonymous.get("/manage/login/").status_code == 200

    timings: dict = {"baseline_select_1_ms": [], "baseline_login_page_ms": []}
    for busy in (False, True):
        label = "with 20 new purchases before each view" if busy else "nothing new since the last view"
        pages = {}
        for url in page_urls():
            assert owner.get(url).status_code == 200, url  # warm-up
            times = []
            for _ in range(RUNS):
                timings["baseline_select_1_ms"].append(median_ms(select_one, 1)[0])
                timings["baseline_login_page_ms"].append(median_ms(login_page, 1)[0])
                if busy:
                    new_purchases(20)
                started = time.perf_counter()
                response = owner.get(url)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            pages[url] = {"median_ms": round(statistics.median(times), 1), "runs_ms": [round(t, 1) for t in times]}
            log(f"{label}: {url} {pages[url]['median_ms']} ms (median of {RUNS}: {pages[url]['runs_ms']})")
        timings["busy" if busy else "idle"] = pages
    base_select = round(statistics.median(timings.pop("baseline_select_1_ms")), 2)
    base_page = round(statistics.median(timings.pop("baseline_login_page_ms")), 1)
    log(f"baselines: SELECT 1 {base_select} ms, the login page {base_page} ms (medians)")
    results.update(baseline_select_1_ms=base_select, baseline_login_page_ms=base_page, pages=timings)

    # 4. reading 1,000 new purchases as the tick does
    new_purchases(1000)
    started = time.monotonic()
    fresh = rollups.rollups_refresh()
    results["read_1000_purchases_s"] = round(time.monotonic() - started, 2)
    log(f"1,000 new purchases read in {results['read_1000_purchases_s']}s ({fresh.read:,} rows)")
    started = time.perf_counter()
    idle = rollups.rollups_refresh()
    results["refresh_nothing_new_ms"] = round((time.perf_counter() - started) * 1000, 2)
    log(f"a refresh with nothing new: {results['refresh_nothing_new_ms']} ms")

    slowest = max(p["median_ms"] for group in ("idle", "busy") for p in timings[group].values())
    results["slowest_page_ms"] = slowest
    out = ROOT / "var" / "bench-insight.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    ok = slowest < 1000 and idle.exact and figures.freshness.exact
    print(f"\n{made['members']:,} members, {made['transfers']:,} transfers: rollups built in "
          f"{results['rollups_build_s']}s; slowest page {slowest} ms ({'under' if slowest < 1000 else 'OVER'} a "
          f"second; baselines {base_select} ms SELECT 1, {base_page} ms the login page). "
          f"Written to {out.relative_to(ROOT)}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
