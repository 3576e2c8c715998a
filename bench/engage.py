"""`make bench`, engagement: segment counts and a campaign's throughput for 100,000 members on
PostgreSQL, each against a baseline measured in the same run.

    .venv/bin/python bench/engage.py [--members 100000] [--pg-url postgres://postgres@127.0.0.1:5432/vafa_bench_engage]

1. A fresh database (dropped and made again), filled with set-based SQL (INSERT ... SELECT over
   generate_series; nothing is held in memory): the members, 90% of them with SMS consent,
   birthdays over the whole year, one in 20 tagged `vip`, an account each, and 0-6 purchases
   each over the last 400 days (about 3 per member).
2. Segment counts (`segment_count`, the query behind the back office's live count and
   `members_count`) for realistic segments, each the median of 5 after a warm-up. Baseline:
   `SELECT count(*)` of the whole members table, the least any count over every member costs.
3. A campaign to every member, queued as the worker does it: `campaign_step` until it has nothing
   more to do (the audience drawn 500 at a time, then each chunk's messages decided: consent,
   weekly cap, sending window, the placeholders filled, a message row and an outbox row each).
   Baseline: the same number of message rows and their outbox rows written with bare SQL, 500
   per transaction (one INSERT ... SELECT of the messages, one INSERT of their outbox rows).
4. Sending `--send` of them (default 20,000) as the worker does it (outbox rows claimed 50 at a
   time, each message handled by `engage.message` through the console SMS backend, its line
   appended to a file). Baseline (`--bare-sends`, default 10,000): per message, the bare
   statements a send cannot do without (claim the outbox row, read the message, mark it sent,
   mark the row done, each committed) around the same console backend's `send`. Afterwards
   every message sent must be `sent`, with exactly one line each.

Each piece of work and its baseline are timed turn about, a slice of one then a slice of the
other, so that a shared machine's load weighs on both alike; besides the rates, the CPU per
message (this process and the database's backends, from /proc) is compared, which holds up
when the machine is busy. Prints each figure with its ratio to its baseline and writes them as
JSON to var/bench-engage.json. A benchmark, not a test: the exit status is 1 only when something
is wrong (a message missing or twice, a segment over a second).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
T0 = time.monotonic()
SEGMENTS = {
    "SMS consent, bought in the last 90 days": {"consent": "sms", "purchased_within_days": 90},
    "spent 5-50 M IRR in the last 365 days": {"spend_min_rial": 5_000_000, "spend_max_rial": 50_000_000},
    "RFM champions (R 5, F 4-5, M 4-5)": {"rfm": {"r": [5], "f": [4, 5], "m": [4, 5]}},
    "birthday in the next 7 days, SMS consent": {"birthday_within_days": 7, "consent": "sms"},
    "tagged vip": {"tags": ["vip"]},
    "lapsed: bought in the year, not in 90 days": {"purchased_within_days": 365, "not_purchased_within_days": 90},
}
FIRST = ("علی", "زهرا", "رضا", "مریم", "حسین", "فاطمه", "محمد", "سارا", "امیر", "نرگس")
LAST = ("احمدی", "حسینی", "کریمی", "رضایی", "مرادی", "جعفری", "رحیمی", "کاظمی", "صادقی")


def log(message: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {message}", flush=True)


# --- the data, set-based ------------------------------------------------------------------------------


def insert_select(model, exprs: dict[str, str], source: str, params=()) -> int:
    """INSERT INTO model's table SELECT ...: `exprs` give SQL for some fields (no `%`: use mod()),
    the others take their default; `source` is the FROM clause (its params after)."""
    from django.db import connection

    columns, values, args = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in exprs:
            values.append(exprs[field.name])
            continue
        default = field.get_default()
        if default is None and not field.null:
            raise SystemExit(f"bench/engage.py: no value for {model.__name__}.{field.name}")
        values.append("%s")
        args.append(field.get_db_prep_save(default, connection))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "
                       f"SELECT {', '.join(values)} FROM {source}", [*args, *params])
        return cursor.rowcount


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def build(n: int, now: datetime) -> dict:
    from django.db import connection

    from vafa.commerce.models import Purchase
    from vafa.core.jalali import jalali_month_day
    from vafa.ledger.models import Account
    from vafa.members.models import Consent, Member, MemberTag, Tag
    from vafa.merchants.services import merchant_create

    at = f"{sql_text(now.isoformat())}::timestamptz"
    merchant = merchant_create(name="Bench shop")
    # Birthdays over a whole year (1990): each day's date and its Jalali month-day.
    days = [date(1990, 1, 1) + timedelta(days=k) for k in range(365)]
    birthdays = ", ".join(f"({k}, DATE '{d.isoformat()}', {100 * jalali_month_day(d)[0] + jalali_month_day(d)[1]})"
                          for k, d in enumerate(days))
    first = "ARRAY[" + ", ".join(sql_text(x) for x in FIRST) + "]"
    last = "ARRAY[" + ", ".join(sql_text(x) for x in LAST) + "]"
    made = insert_select(Member, {
        "phone": "'+98912' || lpad(g::text, 7, '0')",
        "referral_code": "'B' || lpad(g::text, 9, '0')",
        "first_name": f"({first})[1 + mod(g, {len(FIRST)})]",
        "last_name": f"({last})[1 + mod(g * 7, {len(LAST)})]",
        "birth_date": "CASE WHEN mod(g, 7) = 3 THEN NULL ELSE b.d END",
        "birth_jalali": "CASE WHEN mod(g, 7) = 3 THEN NULL ELSE b.j END",
        "status": "CASE WHEN mod(g, 500) = 0 THEN 'blocked' ELSE 'active' END",
        "joined_at": f"{at} - make_interval(days => mod(g * 7, 900) + 1)",
    }, f"generate_series(1, {int(n)}) g JOIN (VALUES {birthdays}) AS b(k, d, j) ON b.k = mod(g, 365)")
    members = f"{connection.ops.quote_name(Member._meta.db_table)} m"
    insert_select(Consent, {"member": "m.id", "channel": "'sms'", "granted": "mod(m.id, 10) <> 0",
                            "changed_at": at}, members)
    insert_select(Account, {"code": "'member:' || m.id", "role": "'member'", "member": "m.id"}, members)
    tag = Tag.objects.create(code="vip", name="VIP")
    insert_select(MemberTag, {"member": "m.id", "tag": str(tag.pk), "added_at": at},
                  f"{members} WHERE mod(m.id, 20) = 0")
    bought = insert_select(Purchase, {
        "merchant": str(merchant.pk), "member": "m.id",
        "amount": "100000 * (1 + mod(m.id * 17 + j * 29, 100))",
        "occurred_at": f"{at} - make_interval(days => mod(m.id * 31 + j * 97, 400)::int,"
                       " hours => mod(m.id + j, 24)::int)",
        "recorded_at": at,
    }, f"{members} CROSS JOIN LATERAL generate_series(1, mod(m.id * 13, 7)) j")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"members": made, "purchases": bought}


class Meter:
    """Wall time and CPU (this process, and the database's backends for this database) summed
    over the slices timed, so work and its baseline can be measured turn about: a busy,
    shared machine then slows both alike, and CPU per message holds up where rates do not."""

    def __init__(self, database: str):
        self.database, self.wall, self.client, self.db, self.count = database, 0.0, 0.0, 0.0, 0

    @contextlib.contextmanager
    def slice(self):
        from cpu import backends_cpu, own_and_children_cpu

        db, client, started = backends_cpu(self.database), own_and_children_cpu(), time.perf_counter()
        done = [0]
        yield done
        self.wall += time.perf_counter() - started
        self.client += own_and_children_cpu() - client
        self.db += sum(seconds - db.get(pid, 0.0) for pid, seconds in backends_cpu(self.database).items())
        self.count += done[0]

    def result(self) -> dict:
        n = max(self.count, 1)
        return {"messages": self.count, "seconds": round(self.wall, 2),
                "per_s": round(self.count / self.wall, 1) if self.wall else 0.0,
                "cpu_ms_per_message": round(1000 * (self.client + self.db) / n, 3),
                "python_ms_per_message": round(1000 * self.client / n, 3),
                "db_ms_per_message": round(1000 * self.db / n, 3)}


def compared(real: dict, bare: dict) -> dict:
    """The real work as a share of its bare baseline: by rate, and by CPU per message."""
    return {"rate_ratio": round(real["per_s"] / bare["per_s"], 3) if bare["per_s"] else 0.0,
            "cpu_ratio": round(bare["cpu_ms_per_message"] / real["cpu_ms_per_message"], 3)
            if real["cpu_ms_per_message"] else 0.0}


# --- 2. segments --------------------------------------------------------------------------------------------


def segments(now: datetime, runs: int = 5) -> dict:
    """Each segment's count, the median of `runs` after a warm-up, taken turn about with the
    bare count of the members table."""
    from django.db import connection

    from vafa.engage.segments import segment_count, segment_create
    from vafa.members.models import Member

    def bare() -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(Member._meta.db_table)}")
            return cursor.fetchone()[0]

    def timed(function) -> tuple[int, float]:
        started = time.perf_counter()
        answer = function()
        return answer, (time.perf_counter() - started) * 1000

    total = bare()
    bare_times: list[float] = []
    found = {}
    for name, conditions in SEGMENTS.items():
        segment = segment_create(data={"name": name[:100], "code": f"bench-{len(found)}", "conditions": conditions})
        count = segment_count(segment, now=now)  # warm-up
        times = []
        for _ in range(runs):
            bare_times.append(timed(bare)[1])
            times.append(timed(lambda s=segment: segment_count(s, now=now))[1])
        found[name] = {"members": count, "ms": round(statistics.median(times), 1)}
    baseline_ms = round(statistics.median(bare_times), 2)
    log(f"baseline: SELECT count(*) of the {total:,} members: {baseline_ms} ms (median of {len(bare_times)})")
    for name, figures in found.items():
        figures["ratio_to_bare_count"] = round(figures["ms"] / baseline_ms, 1)
        log(f"segment {name!r}: {figures['members']:,} members in {figures['ms']} ms "
            f"({figures['ratio_to_bare_count']}x the bare count)")
    return {"baseline_bare_count_ms": baseline_ms, "segments": found,
            "slowest_ms": max(s["ms"] for s in found.values())}


# --- 3. queueing, 4. sending ----------------------------------------------------------------------------


FAR = "'2100-01-01T00:00:00+00:00'::timestamptz"


def bare_queue_chunks(now: datetime, chunk: int = 500):
    """The rows a campaign writes, with bare SQL, a chunk per transaction: 500 messages (INSERT
    ... SELECT from the members, the text made in SQL) and their 500 outbox rows. Yields the
    rows written by each chunk. Service rows whose outbox rows the worker never takes (due in
    2100, for a handler nobody registered): only bare_send sends them."""
    from django.db import connection, transaction

    from vafa.core.models import OutboxEntry
    from vafa.engage.models import Message
    from vafa.members.models import Member

    at = f"{sql_text(now.isoformat())}::timestamptz"
    members, messages = (connection.ops.quote_name(m._meta.db_table) for m in (Member, Message))
    after = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT max(id), count(*) FROM (SELECT id FROM {members} WHERE id > %s ORDER BY id "
                           f"LIMIT {chunk}) page", [after])
            last, rows = cursor.fetchone()
            if not rows:
                return
            insert_select(Message, {
                "member": "m.id", "channel": "'sms'", "purpose": "'service'", "to": "m.phone",
                "text": "'سلام ' || m.first_name || '، یلدا مبارک'", "parts": "1", "status": "'queued'",
                "created_at": at, "due_at": at,
            }, f"{members} m WHERE m.id > %s AND m.id <= %s", [after, last])
            insert_select(OutboxEntry, {
                "type": "'message.sms'", "handler": "'bench.bare'",
                "payload": "jsonb_build_object('message_id', e.id)", "created_at": at, "available_at": FAR,
            }, f"{messages} e WHERE e.member_id > %s AND e.member_id <= %s AND e.purpose = 'service'", [after, last])
        after = last
        yield rows


def bare_send(ids: list[int], backend) -> int:
    """Per message, each statement committed: claim the outbox row, read the message, the console
    backend's send, mark the message sent, mark the row done."""
    from django.db import connection
    from django.utils import timezone

    from vafa.core.models import OutboxEntry
    from vafa.engage.models import Message
    from vafa.integrations.sms.base import SmsMessage

    outbox, messages = (connection.ops.quote_name(m._meta.db_table) for m in (OutboxEntry, Message))
    with connection.cursor() as cursor:
        for entry_id in ids:
            now = timezone.now()
            cursor.execute(f"UPDATE {outbox} SET claimed_by = 'bench', claimed_until = %s, attempts = attempts + 1 "
                           "WHERE id = %s AND done_at IS NULL RETURNING payload", [now + timedelta(seconds=60),
                                                                                 entry_id])
            payload = cursor.fetchone()[0]
            message_id = (json.loads(payload) if isinstance(payload, str) else payload)["message_id"]
            cursor.execute(f'SELECT "to", text, purpose FROM {messages} WHERE id = %s', [message_id])
            to, text, purpose = cursor.fetchone()
            backend.send(SmsMessage(to=to, text=text, key=str(entry_id), purpose=purpose))
            cursor.execute(f"UPDATE {messages} SET status = 'sent', sent_at = %s, gateway = 'console' WHERE id = %s",
                           [now, message_id])
            cursor.execute(f"UPDATE {outbox} SET done_at = %s, handled_by = 'bench', claimed_until = NULL "
                           "WHERE id = %s", [now, entry_id])
    return len(ids)


def real_send(now: datetime, limit: int) -> int:
    """The outbox as the worker handles it (vafa.core.outbox: claims of 50, each row's handler),
    until nothing is due or `limit` rows were handled."""
    from vafa.core.outbox import outbox_claim, outbox_handle

    handled = 0
    while handled < limit:
        entries = outbox_claim(by="bench", now=now, limit=min(50, limit - handled))
        if not entries:
            break
        for entry in entries:
            if not outbox_handle(entry, by="bench", now=now):
                raise SystemExit(f"bench/engage.py: outbox row {entry.pk} failed")
            handled += 1
    return handled


def queue(now: datetime, database: str) -> tuple[int, dict]:
    """A campaign to every member, `campaign_step` until done, a bare chunk after each step."""
    from vafa.engage.campaigns import campaign_create, campaign_schedule, campaign_step
    from vafa.engage.models import Campaign, Message
    from vafa.engage.segments import segment_create

    everyone = segment_create(data={"name": "everyone", "code": "bench-everyone", "conditions": {"kinds": ["person"]}})
    campaign = campaign_create(data={"name": "Yalda", "channel": "sms", "segment_id": everyone.pk,
                                     "text": "سلام {first_name}، یلدا مبارک؛ {points} امتیاز دارید"})
    campaign_schedule(campaign_id=campaign.pk, now=now)
    real, bare, draw = Meter(database), Meter(database), Meter(database)
    chunks = bare_queue_chunks(now)
    more_real = more_bare = True
    while more_real or more_bare:
        if more_real:
            drawing = not Campaign.objects.filter(pk=campaign.pk, audience_drawn=True).exists()
            with (draw if drawing else real).slice():
                more_real = campaign_step(campaign.pk, now=now)
        if more_bare:
            with bare.slice() as done:
                done[0] = next(chunks, 0)
                more_bare = bool(done[0])
    decided = Message.objects.filter(campaign=campaign).count()
    queued = Message.objects.filter(campaign=campaign, status="queued").count()
    campaign.refresh_from_db()
    # The campaign's rate counts the drawing of the audience too: it is part of the work.
    real.count = decided
    real.wall += draw.wall
    real.client += draw.client
    real.db += draw.db
    figures = {"audience": campaign.audience, "decided": decided, "queued": queued, "skipped": decided - queued,
               "draw_seconds": round(draw.wall, 2), **real.result(), "baseline": bare.result()}
    figures.update(compared(figures, figures["baseline"]))
    return campaign.pk, figures


def send(campaign_id: int, now: datetime, database: str, limit: int, bare_limit: int, var: Path) -> dict:
    """Sending, a slice of the real outbox then a slice of bare sends, turn about."""
    from vafa.core.models import OutboxEntry
    from vafa.integrations.sms.console import ConsoleBackend

    bare_ids = list(OutboxEntry.objects.filter(handler="bench.bare").order_by("pk").values_list("pk", flat=True)
                    [:bare_limit])
    backend = ConsoleBackend(outbox=var / "bare.jsonl")
    real, bare = Meter(database), Meter(database)
    turns = 20
    real_slice, bare_slice = max(limit // turns, 1), max(len(bare_ids) // turns, 1)
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):  # the console backend prints each
        while real.count < limit or bare_ids:
            if real.count < limit:
                with real.slice() as done:
                    done[0] = real_send(now, min(real_slice, limit - real.count))
                if not done[0]:
                    limit = real.count  # nothing more is due
            if bare_ids:
                with bare.slice() as done:
                    done[0] = bare_send(bare_ids[:bare_slice], backend)
                del bare_ids[:bare_slice]
    figures = {**real.result(), "baseline": bare.result()}
    figures.update(compared(figures, figures["baseline"]))
    return figures


def check_sent(campaign_id: int, outbox_path: Path) -> dict:
    """Every message the run sent is `sent` with exactly one console line (read a line at a time)."""
    from vafa.engage.models import Message

    seen: set[str] = set()
    twice = 0
    with open(outbox_path, encoding="utf-8") as lines:
        for line in lines:
            key = json.loads(line)["message_id"]
            twice += key in seen
            seen.add(key)
    sent = Message.objects.filter(campaign_id=campaign_id, status="sent").count()
    waiting = Message.objects.filter(campaign_id=campaign_id, status__in=("queued", "held")).count()
    return {"lines": len(seen) + twice, "twice": twice, "sent": sent, "waiting": waiting,
            "ok": twice == 0 and len(seen) == sent}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/vafa_bench_engage")
    parser.add_argument("--send", type=int, default=20_000,
                        help="messages of the campaign to send (default 20,000; 0: all of them)")
    parser.add_argument("--bare-sends", type=int, default=10_000,
                        help="messages sent by the bare baseline, turn about with those (default 10,000)")
    args = parser.parse_args()
    name, server = args.pg_url.rsplit("/", 1)[1], args.pg_url.rsplit("/", 1)[0] + "/postgres"
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing an unusual database name: {name!r}")
    for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", server, "-qc", sql], check=True, capture_output=True)
    var = Path(tempfile.mkdtemp(prefix="vafa-bench-engage-"))
    for key in [k for k in os.environ if k.startswith("VAFA_")]:
        del os.environ[key]
    os.environ.update(DATABASE_URL=args.pg_url, VAFA_DEV="1", VAFA_VAR_DIR=str(var), VAFA_SMS_BACKEND="console",
                      VAFA_SMS_OUTBOX=str(var / "outbox.jsonl"), DJANGO_SETTINGS_MODULE="vafa.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from vafa.core.jalali import TEHRAN

    call_command("migrate", verbosity=0)
    # 10:00 Tehran today: inside the sending window; every date in the data is relative to it.
    now = datetime.combine(datetime.now(TEHRAN).date(), datetime.min.time().replace(hour=10), tzinfo=TEHRAN)
    started = time.monotonic()
    made = build(args.members, now)
    log(f"{made['members']:,} members, {made['purchases']:,} purchases made in {time.monotonic() - started:.1f}s")
    results: dict = {"members": made["members"], "purchases": made["purchases"], "now": now.isoformat()}

    results["segments"] = segments(now)

    campaign_id, queued = queue(now, name)
    bare = queued["baseline"]
    log(f"baseline: {bare['messages']:,} message rows and their outbox rows in bare SQL, 500 a transaction: "
        f"{bare['per_s']:,} messages/s, {bare['cpu_ms_per_message']} ms CPU each")
    log(f"campaign to {queued['audience']:,}: {queued['decided']:,} messages decided ({queued['queued']:,} queued, "
        f"{queued['skipped']:,} skipped) in {queued['seconds']}s (the audience drawn in {queued['draw_seconds']}s): "
        f"{queued['per_s']:,} messages/s, {queued['cpu_ms_per_message']} ms CPU each; "
        f"{queued['rate_ratio']}x the bare rate, {queued['cpu_ratio']}x by CPU")
    # Everything is due once SEND_PER_MINUTE has had time for all of them (still inside the window).
    send_at = now + timedelta(minutes=queued["queued"] / settings.SEND_PER_MINUTE + 1)
    sent = send(campaign_id, send_at, name, args.send or queued["queued"], args.bare_sends, var)
    bare_sent = sent["baseline"]
    log(f"baseline: {bare_sent['messages']:,} bare sends (4 statements, 3 commits and a console line each): "
        f"{bare_sent['per_s']:,} messages/s, {bare_sent['cpu_ms_per_message']} ms CPU each")
    log(f"sent {sent['messages']:,} through the outbox and the console backend in {sent['seconds']}s: "
        f"{sent['per_s']:,} messages/s, {sent['cpu_ms_per_message']} ms CPU each; "
        f"{sent['rate_ratio']}x the bare rate, {sent['cpu_ratio']}x by CPU")
    check = check_sent(campaign_id, var / "outbox.jsonl")
    log(f"check: {check['sent']:,} sent, {check['lines']:,} console lines, {check['twice']} twice, "
        f"{check['waiting']:,} still waiting: {'ok' if check['ok'] else 'WRONG'}")
    results.update(queue=queued, send=sent, check=check)
    out = ROOT / "var" / "bench-engage.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    slowest = results["segments"]["slowest_ms"]
    print(f"\nsegments: slowest {slowest} ms over {made['members']:,} members "
          f"({'under' if slowest < 1000 else 'OVER'} a second); campaign: {queued['per_s']:,} queued/s "
          f"({queued['rate_ratio']}x bare SQL), {sent['per_s']:,} sent/s ({sent['rate_ratio']}x bare sends). "
          f"Written to {out.relative_to(ROOT)}", flush=True)
    return 0 if check["ok"] and slowest < 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
