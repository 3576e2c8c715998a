"""The crash test: purchases and redemptions over HTTP while the app server is killed with
SIGKILL (and, on PostgreSQL, the database is stopped with an immediate shutdown), cycle after
cycle. Every acknowledged answer is logged; afterwards:

- every acknowledged purchase exists exactly once, with the points its answer gave;
- an acknowledged refusal (409, 422) left nothing behind;
- a request whose answer was lost is retried with the same Idempotency-Key after the restart,
  as a shop's client would; whatever it finally got, nothing is recorded twice;
- no purchase is partial: each one's transfers add up to what it says it earned and spent;
- `vafa verify-ledger` passes.

    .venv/bin/python bench/crash.py --db sqlite --cycles 20       # make soak runs 20 of each
    .venv/bin/python bench/crash.py --db postgres --cycles 3      # make test runs a short one

Exit status 1 when anything above does not hold. PostgreSQL is this machine's cluster, stopped
with `pg_ctlcluster ... stop -m immediate` (a power cut for the database) and started again:
never run it while other tests use that server.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
T0 = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def pg_cluster(action: str, *extra: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action, *extra],
                   check=True, capture_output=True, text=True)


def pg_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-d", url], capture_output=True).returncode == 0:
            return
        time.sleep(0.2)
    raise SystemExit("PostgreSQL did not come back")


class Club:
    """The database, the server and the client side of one crash run."""

    def __init__(self, db: str, workdir: Path, pg_url: str):
        self.db, self.workdir = db, workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("VAFA_") and k != "DATABASE_URL"}
        self.env.update(VAFA_DEV="1", VAFA_VAR_DIR=str(workdir / "var"), DJANGO_SETTINGS_MODULE="vafa.settings",
                        VAFA_SMS_BACKEND="console", PYTHONUNBUFFERED="1")
        if db == "postgres":
            self.url = pg_url
            self.env["DATABASE_URL"] = pg_url
            name = pg_url.rsplit("/", 1)[1]
            server = pg_url.rsplit("/", 1)[0] + "/postgres"
            for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
                subprocess.run(["psql", server, "-qc", sql], check=True, capture_output=True)
        self.server: subprocess.Popen | None = None
        self.port = free_port()

    def vafa(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "vafa", *args], env=self.env, capture_output=True, text=True,
                              timeout=600)

    def setup(self, members: int) -> dict:
        done = self.vafa("migrate", "-v0")
        if done.returncode:
            raise SystemExit(done.stderr)
        out = subprocess.run([sys.executable, str(ROOT / "bench" / "setup_db.py"), "--members", str(members)],
                             env=self.env, capture_output=True, text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    def start(self) -> None:
        self.server = subprocess.Popen(
            [sys.executable, "-m", "vafa", "serve", "--host", HOST, "--port", str(self.port), "--workers", "2"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://{HOST}:{self.port}/api/v1/members/0", timeout=2)
            except urllib.error.HTTPError:
                return  # 401: it answers
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the server did not start")

    def kill(self) -> None:
        """SIGKILL to the whole server (gunicorn's master and workers): nothing gets to clean up."""
        if self.server is not None:
            os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait()
            self.server = None


class Traffic:
    """Clients sending purchases (a third of them spending points), logging every answer."""

    def __init__(self, club: Club, key: str, member_ids: list[int], journal: Path):
        self.club, self.key, self.member_ids = club, key, member_ids
        self.journal = journal.open("a", encoding="utf-8")
        self.lock = threading.Lock()
        self.counter = 0
        self.pending: dict[str, dict] = {}  # external_id -> body, answer lost
        self.acked: dict[str, dict] = {}  # external_id -> {"status", "body"}
        self.stop = threading.Event()

    def next_body(self) -> dict:
        with self.lock:
            self.counter += 1
            n = self.counter
        body = {"member_id": random.choice(self.member_ids), "external_id": f"crash-{n}",
                "amount": random.randrange(200_000, 5_000_000, 10_000)}
        if n % 3 == 0:
            body["redeem_points"] = random.randint(1, 60)
        return body

    def send(self, body: dict) -> None:
        request = urllib.request.Request(
            f"http://{HOST}:{self.club.port}/api/v1/purchases", data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json",
                     "Idempotency-Key": body["external_id"]})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                status, payload = answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            status = error.code
            try:
                payload = json.loads(error.read())
            except (ValueError, OSError, http.client.HTTPException):
                payload = None
        except (OSError, ValueError, http.client.HTTPException):  # the server died mid-answer
            status, payload = None, None
        with self.lock:
            if status in (201, 409, 422) and payload is not None:
                self.acked[body["external_id"]] = {"status": status, "body": payload, "sent": body}
                self.pending.pop(body["external_id"], None)
                self.journal.write(json.dumps({"external_id": body["external_id"], "status": status,
                                               "body": payload}) + "\n")
                self.journal.flush()
            else:  # lost in the crash (or a 5xx while the database was down): retried later
                self.pending[body["external_id"]] = body

    def run(self, clients: int) -> list[threading.Thread]:
        def client():
            while not self.stop.is_set():
                self.send(self.next_body())

        self.stop.clear()
        threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
        for thread in threads:
            thread.start()
        return threads

    def retry_lost(self) -> None:
        for body in list(self.pending.values()):
            self.send(body)


def verify(club: Club, traffic: Traffic) -> list[str]:
    """The checks of the module docstring, in a fresh process on the stopped club's database."""
    os.environ.update(club.env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db.models import Count, Sum

    from vafa.commerce.models import Purchase
    from vafa.ledger.checks import verify_ledger
    from vafa.ledger.models import Transfer

    problems = []
    stored = {row["external_id"]: row for row in Purchase.objects.filter(external_id__startswith="crash-").values(
        "id", "external_id", "points_earned", "points_redeemed", "balance_after")}
    twice = Purchase.objects.values("merchant_id", "external_id").annotate(n=Count("id")).filter(n__gt=1)
    problems += [f"{row['external_id']} recorded {row['n']} times" for row in twice]
    for external_id, answer in traffic.acked.items():
        row = stored.get(external_id)
        if answer["status"] == 201:
            body = answer["body"]
            if row is None:
                problems.append(f"{external_id}: acknowledged (201) but not recorded")
            elif (row["id"], row["points_earned"], row["points_redeemed"]) != (
                    body["id"], body["points_earned"], body["points_redeemed"]):
                problems.append(f"{external_id}: recorded {row} but answered {body}")
        elif row is not None:
            problems.append(f"{external_id}: refused ({answer['status']}) but recorded")
    earned = dict(Transfer.objects.filter(source_kind="purchase", kind__in=["earn", "bonus"])
                  .values_list("source_id").annotate(s=Sum("amount")).values_list("source_id", "s"))
    spent = dict(Transfer.objects.filter(source_kind="purchase", kind="redeem")
                 .values_list("source_id").annotate(s=Sum("amount")).values_list("source_id", "s"))
    for row in stored.values():
        if (earned.get(row["id"], 0), spent.get(row["id"], 0)) != (row["points_earned"], row["points_redeemed"]):
            problems.append(f"{row['external_id']}: partial, its transfers earn {earned.get(row['id'], 0)} and spend "
                            f"{spent.get(row['id'], 0)}, it says {row['points_earned']} and {row['points_redeemed']}")
    for name, found in verify_ledger():
        problems += [f"verify-ledger {name}: {p}" for p in found]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/vafa_crash")
    parser.add_argument("--seed", type=int, default=1405)
    args = parser.parse_args()
    random.seed(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix=f"vafa-crash-{args.db}-"))
    club = Club(args.db, workdir, args.pg_url)
    setup = club.setup(args.members)
    traffic = Traffic(club, setup["api_key"], setup["member_ids"], workdir / "acknowledged.jsonl")
    log(f"{args.db}: {args.members} members, {args.cycles} cycles, journal {workdir / 'acknowledged.jsonl'}")
    try:
        for cycle in range(1, args.cycles + 1):
            club.start()
            traffic.retry_lost()
            threads = traffic.run(args.clients)
            time.sleep(random.uniform(0.8, 2.5))
            database_too = args.db == "postgres" and cycle % 2 == 0
            if database_too:
                pg_cluster("stop", "-m", "immediate")  # the database dies mid-transaction
            club.kill()
            traffic.stop.set()
            for thread in threads:
                thread.join(timeout=30)
            if database_too:
                pg_cluster("start")
                pg_ready(args.pg_url)
            log(f"cycle {cycle}: killed the server{' and PostgreSQL' if database_too else ''}; "
                f"{len(traffic.acked)} answers so far, {len(traffic.pending)} lost")
        club.start()
        traffic.retry_lost()  # what a client still waits for, it asks again
    finally:
        club.kill()
    created = sum(1 for a in traffic.acked.values() if a["status"] == 201)
    log(f"{created} purchases acknowledged, {len(traffic.acked) - created} refusals, "
        f"{len(traffic.pending)} never answered")
    problems = verify(club, traffic)
    for problem in problems[:50]:
        log(f"PROBLEM {problem}")
    log("crash test passed" if not problems else f"crash test FAILED: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
