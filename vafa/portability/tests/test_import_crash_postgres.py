"""An import killed (SIGKILL) in the middle, as a real `vafa import` process on PostgreSQL, leaves
whole chunks behind it; the same command again continues after the last committed line: every
purchase once, none lost, the points as if it had never stopped, the ledger's invariants whole."""

import csv
import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from vafa.commerce.models import Purchase
from vafa.ledger.checks import verify_ledger
from vafa.ledger.models import Account
from vafa.members.services import member_create
from vafa.merchants.services import merchant_create
from vafa.portability.models import ImportJob

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROWS = 12_000  # 12 chunks: the kill comes after the first, long before the last


@pytest.fixture
def child_env(tmp_path):
    db = connection.settings_dict
    env = {**os.environ, "VAFA_DEV": "1", "VAFA_VAR_DIR": str(tmp_path / "var"),
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    env.pop("VAFA_REQUIRE_POSTGRES", None)
    return env


def _import(env, path, tmp_path):
    log = open(tmp_path / "import.log", "ab")  # noqa: SIM115 (closed after the process ends)
    child = subprocess.Popen([sys.executable, "-m", "vafa", "import", "purchases", str(path)], env=env,
                             stdout=log, stderr=subprocess.STDOUT)
    child.log = log
    return child


def test_a_killed_import_continues_where_it_stopped(child_env, tmp_path):
    merchant_create(name="فروشگاه")
    members = [member_create(phone=f"0912{n:07d}", external_ref=f"M{n}") for n in range(1, 11)]
    path = tmp_path / "sales.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["external_id", "member_ref", "occurred_at", "amount"])
        for n in range(1, ROWS + 1):
            out.writerow([f"S{n}", f"M{n % 10 + 1}", "1403/01/15", 10_000 * (n % 7 + 1)])

    child = _import(child_env, path, tmp_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = ImportJob.objects.values_list("lines_done", flat=True).first() or 0
        if done > 1:
            break
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(30)
    child.log.close()
    assert child.returncode == -signal.SIGKILL
    job = ImportJob.objects.get()
    assert job.status == "running"
    assert 1 < job.lines_done < ROWS + 1
    # Whole chunks only: what was committed is exactly the lines before lines_done.
    assert Purchase.objects.count() == job.lines_done - 1 == job.imported

    again = _import(child_env, path, tmp_path)
    # The killed run's job still looks alive for STALE_AFTER: the command says so and stops.
    again.wait(120)
    again.log.close()
    assert again.returncode == 2
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=None)
    third = _import(child_env, path, tmp_path)
    third.wait(300)
    third.log.close()
    assert third.returncode == 0, (tmp_path / "import.log").read_text()[-2000:]

    job.refresh_from_db()
    assert (job.status, job.lines_done, job.imported, job.unchanged, job.failed) == ("done", ROWS + 1, ROWS, 0, 0)
    assert Purchase.objects.count() == ROWS
    assert sorted(Purchase.objects.values_list("external_id", flat=True)) == sorted(f"S{n}" for n in range(1, ROWS + 1))
    expected = {m.pk: 0 for m in members}
    for n in range(1, ROWS + 1):
        expected[members[n % 10].pk] += (n % 7 + 1)  # 10,000 Rials a point
    assert dict(Account.objects.filter(member__in=members).values_list("member_id", "balance")) == expected
    assert all(not problems for _, problems in verify_ledger())
