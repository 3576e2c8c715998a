"""Milliseconds per purchase inside one process (no HTTP): the cost of `purchase_record` alone.

    VAFA_DEV=1 VAFA_VAR_DIR=$(mktemp -d) .venv/bin/python bench/inprocess.py [purchases]

Migrates a fresh SQLite database under VAFA_VAR_DIR, creates 50 members and times the purchases
after a warm-up. Give DATABASE_URL to run it on PostgreSQL (use an empty database)."""

import os
import sys
import time

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vafa.settings")
    django.setup()
    from django.core.management import call_command

    from vafa.commerce.services import ItemIn, purchase_record
    from vafa.members.services import member_create
    from vafa.merchants.services import merchant_create

    call_command("migrate", verbosity=0)
    merchant = merchant_create(name="bench")
    members = [member_create(phone=f"0912{i:07d}") for i in range(50)]
    items = [ItemIn(sku="A", quantity=1, unit_price=100_000, category="tea")]

    def buy(i: int) -> None:
        purchase_record(merchant_id=merchant.pk, member_id=members[i % 50].pk, amount=1_000_000, items=items)

    for i in range(100):
        buy(i)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    start = time.perf_counter()
    for i in range(n):
        buy(i)
    print(f"{(time.perf_counter() - start) / n * 1000:.2f} ms per purchase ({n} purchases, in process)")


if __name__ == "__main__":
    main()
