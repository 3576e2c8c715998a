"""The rule dry run over a period with more buyers than PostgreSQL takes parameters in one
statement (65,535): it must read the period a chunk at a time and answer, not fail.

    .venv/bin/python bench/dry_run_scale.py [--buyers 70000] [--pg-url postgres://...]

Makes a fresh database of `--buyers` members with one purchase each today (bulk inserts: the
ledger is not needed to replay rules), replays a draft rule over today and checks that every
purchase was seen and the points are what the rule gives. `make soak` runs it. Exit status 1
when the answer is wrong.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=70_000)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/vafa_dryrun")
    args = parser.parse_args()
    name, server = args.pg_url.rsplit("/", 1)[1], args.pg_url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", server, "-qc", sql], check=True, capture_output=True)
    for key in [k for k in os.environ if k.startswith("VAFA_")]:
        del os.environ[key]
    os.environ.update(DATABASE_URL=args.pg_url, VAFA_DEV="1", VAFA_VAR_DIR=tempfile.mkdtemp(),
                      DJANGO_SETTINGS_MODULE="vafa.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from vafa.commerce.models import Purchase
    from vafa.core.jalali import TEHRAN
    from vafa.members.models import Member
    from vafa.merchants.services import merchant_create
    from vafa.usecases.rule_dry_run import rules_simulate

    call_command("migrate", verbosity=0)
    merchant = merchant_create(name="Scale shop")
    started = time.monotonic()
    members = Member.objects.bulk_create(
        [Member(phone=f"+98912{n:07d}", referral_code=f"S{n:07d}", first_name="x") for n in range(args.buyers)],
        batch_size=5_000)
    now = timezone.now()
    Purchase.objects.bulk_create(
        [Purchase(member=m, merchant=merchant, amount=1_000_000, occurred_at=now, external_id=f"s-{m.pk}",
                  fingerprint="x") for m in members], batch_size=5_000)
    print(f"{args.buyers} buyers with a purchase each made in {time.monotonic() - started:.1f}s", flush=True)
    today = now.astimezone(TEHRAN).date()
    started = time.monotonic()
    answer = rules_simulate(rules=[{"name": "ten", "effect": {"type": "fixed_points", "points": 10}}],
                            date_from=today, date_to=today)
    seconds = time.monotonic() - started
    print(f"dry run: {answer['purchases']} purchases, {answer['points']} points, {answer['members']} members, "
          f"{seconds:.1f}s", flush=True)
    expected = (args.buyers, 10 * args.buyers, args.buyers)
    ok = (answer["purchases"], answer["points"], answer["members"]) == expected
    print("dry run at scale passed" if ok else f"dry run at scale FAILED: expected {expected}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
