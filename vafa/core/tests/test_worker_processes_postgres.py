"""`vafa worker` as real processes on PostgreSQL: a worker killed at any point of sending an SMS
leaves it sent exactly once after a restart, and workers running at once never handle one row
twice (each SMS appears once in the console backend's file)."""

import json
import os
import signal
import subprocess
import sys
import time as clock
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from vafa.core.jalali import TEHRAN
from vafa.core.models import JobRun, OutboxEntry
from vafa.integrations.services import sms_queue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PHONE = "+989121234567"


@pytest.fixture
def child_env(tmp_path):
    """The environment of a `vafa` child process: this test's database and SMS file."""
    db = connection.settings_dict
    env = {**os.environ, "VAFA_DEV": "1", "VAFA_SMS_BACKEND": "console", "VAFA_SMS_OUTBOX": str(tmp_path / "sms.jsonl"),
           "VAFA_VAR_DIR": str(tmp_path / "var"),
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    env.pop("VAFA_REQUIRE_POSTGRES", None)
    return env


def sent(env) -> list[dict]:
    path = env["VAFA_SMS_OUTBOX"]
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def vafa(env, *args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vafa", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=True)


@pytest.mark.parametrize("point", ["claimed", "sending", "sent"])
def test_a_worker_killed_while_sending_leaves_the_sms_sent_exactly_once_after_a_restart(child_env, tmp_path, point):
    entry = sms_queue(to=PHONE, text=f"killed at {point}", purpose="receipt")
    mark = tmp_path / "mark"
    child = subprocess.Popen([sys.executable, "-m", "vafa.core.tests.worker_that_stops", point, str(mark)],
                             env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = clock.monotonic() + 60
        while not mark.exists():
            assert child.poll() is None, child.communicate()
            assert clock.monotonic() < deadline, "the worker never reached the point"
            clock.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    entry.refresh_from_db()
    assert entry.done_at is None and entry.claimed_by.startswith("worker:")  # it died holding the row
    assert len(sent(child_env)) == (1 if point == "sent" else 0)
    # When a worker starts again, after the dead one's lease (60 s for SMS)
    later = (timezone.now() + timedelta(seconds=61)).isoformat()
    vafa(child_env, "worker", "--once", "--now", later)
    vafa(child_env, "worker", "--once", "--now", later)  # and once more: nothing twice
    # Then the message went out exactly once, under its outbox id
    assert [(m["text"], m["message_id"]) for m in sent(child_env)] == [(f"killed at {point}", str(entry.pk))]
    entry.refresh_from_db()
    assert entry.done_at is not None and entry.attempts == 2 and not entry.gave_up
    assert entry.in_doubt is (point != "claimed")
    assert entry.note == ("already sent by an earlier attempt" if point == "sent" else f"console written {entry.pk}")


def test_workers_running_at_once_handle_every_row_once(child_env):
    rows = [sms_queue(to=PHONE, text=f"message {n}", purpose="receipt").pk for n in range(300)]
    workers = [subprocess.Popen([sys.executable, "-m", "vafa", "worker", "--once"], env=child_env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], outputs
    ids = [m["message_id"] for m in sent(child_env)]
    assert sorted(ids, key=int) == [str(pk) for pk in rows]  # each once, none lost
    done = OutboxEntry.objects.filter(pk__in=rows)
    assert done.filter(done_at__isnull=True).count() == 0 and set(done.values_list("attempts", flat=True)) == {1}
    by = set(done.values_list("handled_by", flat=True))
    assert len(by) >= 2, by  # they shared the work


def test_workers_scheduling_at_once_run_each_daily_job_once(child_env, member):
    # Given points that expired yesterday
    from vafa.ledger.models import Transfer
    from vafa.usecases.points import member_adjust

    member_adjust(merchant_id=None, member_id=member.pk, points=10, reason="start")
    day = (timezone.now() + timedelta(days=400)).astimezone(TEHRAN).date()
    now = datetime.combine(day, time(9, 0), tzinfo=TEHRAN).isoformat()  # after every job's time of day
    workers = [subprocess.Popen([sys.executable, "-m", "vafa", "worker", "--once", "--now", now], env=child_env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], outputs
    assert sorted(JobRun.objects.values_list("job", flat=True)) == ["award-occasions", "expire-points",
                                                                   "product-pairs", "programme-effect",
                                                                   "retention", "review-tiers", "score-members"]
    assert JobRun.objects.filter(finished_at__isnull=True).count() == 0
    assert Transfer.objects.filter(kind="expire").count() == 1
