"""Exactly once under SIGKILL, with `vafa worker` as real processes on PostgreSQL: a worker killed
in the middle of a campaign of 1,000 members, or of automations for 1,000 members (while the
messages are decided, and while they are sent), then started again, leaves every member with
exactly one message and exactly one line in the console SMS file (none twice, none lost); two
workers at once give the same result.

The worker is killed at a chosen point by itself (vafa.engage.tests.worker_that_dies: in the
transaction of a chunk of messages, or right after the console file took a line and before the
database heard of it), or from outside once the console file has a number of lines."""

import json
import os
import signal
import subprocess
import sys
import time as clock
from collections import Counter
from datetime import datetime, time, timedelta

import jdatetime
import pytest
from django.db import connection
from django.utils import timezone

from vafa.core.jalali import TEHRAN
from vafa.core.models import OutboxEntry
from vafa.engage.automations import automation_create
from vafa.engage.campaigns import campaign_create, campaign_schedule
from vafa.engage.messages import HANDLER
from vafa.engage.models import Automation, Campaign, CampaignMember, Message
from vafa.engage.segments import segment_create
from vafa.members.models import Consent, Member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MEMBERS = 1000
LEASE = timedelta(seconds=61)  # a dead worker's claims on messages are free again after 60 s
# 10:00 Tehran some days ahead: inside the sending window, after every daily job's time.
T = datetime.combine(timezone.now().astimezone(TEHRAN).date() + timedelta(days=10), time(10, 0), tzinfo=TEHRAN)


@pytest.fixture
def child_env(tmp_path):
    """The environment of a `vafa` child process: this test's database and SMS file."""
    db = connection.settings_dict
    env = {**os.environ, "VAFA_DEV": "1", "VAFA_SMS_BACKEND": "console", "VAFA_SMS_OUTBOX": str(tmp_path / "sms.jsonl"),
           "VAFA_VAR_DIR": str(tmp_path / "var"), "VAFA_SEND_PER_MINUTE": "600", "VAFA_MARKETING_PER_WEEK": "2",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    for name in ("VAFA_REQUIRE_POSTGRES", "VAFA_SENDING_WINDOW", "VAFA_SMS_SERVICE_LINE"):
        env.pop(name, None)
    return env


def lines(env) -> list[dict]:
    path = env["VAFA_SMS_OUTBOX"]
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.endswith("\n")]


def worker(env, tmp_path, now: datetime, *hooked: str, wait=True, name="worker"):
    """`vafa worker --once --now` (or, with `hooked`, the one of worker_that_dies); its output
    goes to a file (a pipe nobody reads would stop it)."""
    args = ["-m", "vafa.engage.tests.worker_that_dies", *hooked] if hooked else ["-m", "vafa", "worker", "--once"]
    log = open(tmp_path / f"{name}.log", "ab")  # noqa: SIM115 (closed by the caller's wait)
    child = subprocess.Popen([sys.executable, *args, "--now", now.isoformat()], env=env, stdout=log,
                             stderr=subprocess.STDOUT)
    child.log = log
    if wait:
        finish(child, tmp_path, name)
    return child


def finish(child, tmp_path, name="worker", *, killed=False) -> None:
    child.wait(180)
    child.log.close()
    if killed:
        assert child.returncode == -signal.SIGKILL, (tmp_path / f"{name}.log").read_text()[-3000:]
    else:
        assert child.returncode == 0, (tmp_path / f"{name}.log").read_text()[-3000:]


def kill_at_lines(child, env, count: int) -> None:
    """SIGKILL the worker from outside once the console file has `count` lines."""
    deadline = clock.monotonic() + 120
    try:
        while len(lines(env)) < count:
            assert child.poll() is None, "the worker ended before it was killed"
            assert clock.monotonic() < deadline, "the worker never sent that many"
            clock.sleep(0.01)
    finally:
        child.send_signal(signal.SIGKILL)


def members(count: int, *, consenting=True, born_today=False, joined=None, start=0) -> list[int]:
    """`count` members at once (bulk inserts), with SMS consent given (or refused), born on T's
    Jalali day when asked."""
    today = jdatetime.date.fromgregorian(date=T.date())
    birth = None
    if born_today:
        year = today.year - 30
        while today.month == 12 and today.day == 30 and not jdatetime.date(year, 1, 1).isleap():
            year -= 1
        birth = jdatetime.date(year, today.month, today.day).togregorian()
    made = Member.objects.bulk_create([
        Member(phone=f"+98912{start + n:07d}", referral_code=f"K{start + n:07d}", first_name=f"ع{n}",
               birth_date=birth, birth_jalali=today.month * 100 + today.day if born_today else None,
               joined_at=joined or T - timedelta(days=400)) for n in range(count)], batch_size=1000)
    Consent.objects.bulk_create([Consent(member=m, channel="sms", granted=consenting) for m in made])
    return [m.pk for m in made]


def a_campaign(holdout=10) -> Campaign:
    segment = segment_create(data={"name": "همه", "conditions": {"consent": "sms"}})
    made = campaign_create(data={"name": "یلدا", "channel": "sms", "segment_id": segment.pk,
                                 "text": "سلام {first_name}، یلدا مبارک", "holdout_percent": holdout})
    return campaign_schedule(campaign_id=made.pk, now=T)


def an_automation(trigger, text) -> Automation:
    made = automation_create(data={"name": trigger["type"], "trigger": trigger, "channel": "sms", "text": text})
    Automation.objects.filter(pk=made.pk).update(created_at=T - timedelta(days=30))
    return made


def assert_exactly_once(env, expected: dict[tuple[str, int], list[int]]) -> None:
    """Each (campaign or automation) has one message for each of its expected members, none
    for anyone else, all sent; the console file has exactly one line for each, and no other."""
    rows = list(Message.objects.values_list("pk", "member_id", "campaign_id", "automation_id", "status", "to"))
    found: dict[tuple[str, int], list[int]] = {}
    for _, member_id, campaign_id, automation_id, _, _ in rows:
        source = ("campaign", campaign_id) if campaign_id else ("automation", automation_id)
        found.setdefault(source, []).append(member_id)
    assert {k: sorted(v) for k, v in found.items()} == {k: sorted(v) for k, v in expected.items()}
    assert Counter(status for *_, status, _ in rows) == {"sent": len(rows)}
    # The console line's message_id is the outbox row's id; the row names the message.
    message_of = {pk: payload["message_id"] for pk, payload in
                  OutboxEntry.objects.filter(handler=HANDLER).values_list("pk", "payload")}
    written = lines(env)
    per_message = Counter(message_of.get(int(line["message_id"])) for line in written)
    assert per_message == Counter({pk: 1 for pk, *_ in rows})  # one line each: none twice, none lost
    to = {pk: phone for pk, *_, phone in rows}
    assert all(line["to"] == to[message_of[int(line["message_id"])]] for line in written)
    assert {line["purpose"] for line in written} == {"marketing"}
    assert OutboxEntry.objects.filter(handler=HANDLER, done_at__isnull=True).count() == 0


def campaign_expected(campaign: Campaign) -> dict:
    contacted = list(CampaignMember.objects.filter(campaign=campaign, holdout=False).values_list("member_id",
                                                                                                 flat=True))
    return {("campaign", campaign.pk): contacted}


def test_a_worker_killed_in_the_middle_of_a_campaign_of_1000_sends_each_member_exactly_once(child_env, tmp_path):
    audience = members(MEMBERS)
    members(50, consenting=False, start=MEMBERS)  # not in the segment: nothing for them
    campaign = a_campaign(holdout=10)
    # Killed in the transaction of the second chunk of messages: the first chunk (500) is written.
    finish(worker(child_env, tmp_path, T, "decided", "2", wait=False), tmp_path, killed=True)
    assert Message.objects.filter(campaign=campaign).count() == 500 and lines(child_env) == []
    # Started again a minute later: it goes on with the other 400, and sends those due by then
    # (the first chunk's, at 600 a minute from T; the second chunk's follow them).
    worker(child_env, tmp_path, T + timedelta(minutes=1))
    assert Message.objects.filter(campaign=campaign).count() == 900
    assert 0 < len(lines(child_env)) <= 500
    # Two hours later everything is due (600 a minute): killed from outside while sending,
    later = T + timedelta(hours=2)
    sent_by_then = len(lines(child_env))
    child = worker(child_env, tmp_path, later, wait=False)
    kill_at_lines(child, child_env, sent_by_then + 150)
    finish(child, tmp_path, killed=True)
    before = len(lines(child_env))
    assert sent_by_then + 150 <= before < 900 - 150
    # and once the dead worker's claims expired, killed again right after the console file took a
    # line and before the database heard of it,
    finish(worker(child_env, tmp_path, later + LEASE, "sent", "100", wait=False), tmp_path, killed=True)
    assert len(lines(child_env)) == before + 100
    assert Message.objects.filter(campaign=campaign, status="sent").count() < before + 100
    # then started again, and once more: nothing twice, nothing lost.
    worker(child_env, tmp_path, later + 2 * LEASE)
    worker(child_env, tmp_path, later + 2 * LEASE)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.audience, campaign.holdout) == ("sent", MEMBERS, 100)
    expected = campaign_expected(campaign)
    contacted = expected[("campaign", campaign.pk)]
    assert len(contacted) == 900 and set(contacted) <= set(audience)
    assert_exactly_once(child_env, expected)
    # The message whose line was written when the worker died was found in the file, not sent again.
    assert OutboxEntry.objects.filter(handler=HANDLER, in_doubt=True, note="already sent by an earlier attempt"
                                      ).exists()


def test_a_worker_killed_in_the_middle_of_automations_for_1000_sends_each_occurrence_exactly_once(
        child_env, tmp_path):
    # 1,000 members born on T's Jalali day who joined an hour before T: a birthday message and a
    # welcome each (a daily trigger and one that follows rows; two batches of 500 each).
    born = members(MEMBERS, born_today=True, joined=T - timedelta(hours=1))
    birthday = an_automation({"type": "birthday"}, "تولدت مبارک {first_name}")
    # Killed in the transaction of the birthday's second batch: its first 500 are written.
    finish(worker(child_env, tmp_path, T, "decided", "2", "--of", f"automation:{birthday.pk}", wait=False),
           tmp_path, killed=True)
    assert Message.objects.filter(automation=birthday).count() == 500 and lines(child_env) == []
    # The welcome (made long before, as far as it knows) is there when the worker starts again a
    # minute later (within the daily triggers' 15 minutes: the birthday goes on at once); killed
    # again, in the transaction of the welcome's second batch.
    welcome = an_automation({"type": "joined"}, "خوش آمدی {first_name}")
    finish(worker(child_env, tmp_path, T + timedelta(minutes=1), "decided", "2", "--of",
                  f"automation:{welcome.pk}", wait=False), tmp_path, killed=True)
    assert Message.objects.filter(automation=welcome).count() == 500 and lines(child_env) == []
    # Started again: it writes the rest and sends the 2,000 (all due now); killed from outside
    # while sending.
    child = worker(child_env, tmp_path, T + timedelta(minutes=2), wait=False)
    kill_at_lines(child, child_env, 600)
    finish(child, tmp_path, killed=True)
    assert Message.objects.count() == 2 * MEMBERS
    assert 600 <= len(lines(child_env)) < 2 * MEMBERS
    # Started again once its claims expired, and once more: nothing twice, nothing lost.
    worker(child_env, tmp_path, T + timedelta(minutes=2) + LEASE)
    worker(child_env, tmp_path, T + timedelta(minutes=2) + LEASE)
    assert_exactly_once(child_env, {("automation", birthday.pk): born, ("automation", welcome.pk): born})
    keys = set(Message.objects.values_list("occurrence_key", flat=True))
    jyear = jdatetime.date.fromgregorian(date=T.date()).year
    assert f"automation:{birthday.pk}:member:{born[0]}:birthday:{jyear}" in keys
    assert f"automation:{welcome.pk}:member:{born[-1]}:joined" in keys


def test_two_workers_at_once_send_a_campaign_and_a_birthday_to_1000_exactly_once(child_env, tmp_path):
    born = members(MEMBERS, born_today=True)
    campaign = a_campaign(holdout=10)
    birthday = an_automation({"type": "birthday"}, "تولدت مبارک {first_name}")
    later = T + timedelta(hours=2)
    for now in (T, later):  # deciding (chunks of 50, interleaved), then sending
        both = [worker(child_env, tmp_path, now, "none", "0", "--chunk", "50", wait=False, name=f"worker{n}")
                for n in (1, 2)]
        for n, child in enumerate(both, 1):
            finish(child, tmp_path, f"worker{n}")
    worker(child_env, tmp_path, later)  # and a last one: marks the campaign sent, sends nothing
    campaign.refresh_from_db()
    assert campaign.status == "sent"
    # Each member gets the birthday message, and the campaign unless held out (2 a week: both fit).
    assert_exactly_once(child_env, {**campaign_expected(campaign), ("automation", birthday.pk): born})
    handled_by = set(OutboxEntry.objects.filter(handler=HANDLER).values_list("handled_by", flat=True))
    assert len(handled_by) >= 2, handled_by  # they shared the sending
