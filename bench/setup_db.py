"""Fill a freshly migrated bench database: one merchant with an API key and N members.

Run with DJANGO_SETTINGS_MODULE=vafa.settings and DATABASE_URL (or VAFA_VAR_DIR for SQLite)
pointing at the bench database. Prints one JSON line: the key, the member ids, the member
account id range (for the pgbench script) and the SQL queries one purchase makes.

Also counts the SQL queries of one purchase through the real URL stack (Django's test
client), which records one purchase more; the JSON says how many.
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vafa.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from vafa.ledger.models import Account  # noqa: E402
from vafa.members.services import member_create  # noqa: E402
from vafa.merchants.services import api_key_create, merchant_create  # noqa: E402

# Mobile operator prefixes (MCI, Irancell, Rightel) whose ranges are really allocated.
PREFIXES = ("912", "935", "919", "901", "921", "936", "937", "990")
FIRST = ("Ali", "Zahra", "Reza", "Maryam", "Hossein", "Fatemeh", "Mohammad", "Sara", "Amir", "Narges")
LAST = ("Ahmadi", "Hosseini", "Karimi", "Rezaei", "Moradi", "Jafari", "Rahimi", "Kazemi", "Sadeghi")


def count_purchase_queries(api_key: str, member_id: int) -> tuple[int, int, list[str]]:
    client = Client(HTTP_HOST="127.0.0.1")
    body = {
        "member_id": member_id,
        "external_id": "setup-query-count",
        "amount": 3_700_000,
        "items": [{"sku": "TEA-AHMAD-500", "category": "tea", "quantity": 2, "unit_price": 1_850_000}],
    }
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/api/v1/purchases",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {api_key}",
            HTTP_IDEMPOTENCY_KEY="setup-query-count",
        )
    return response.status_code, len(queries), [q["sql"] for q in queries]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=2000)
    args = parser.parse_args()

    merchant = merchant_create(name="Bench Hypermarket")
    _key, raw_key = api_key_create(merchant=merchant, name="bench")
    member_ids = []
    # One outer transaction: each member_create is still its own unit (a savepoint), but the
    # setup pays for one commit, not two thousand.
    with transaction.atomic():
        for i in range(args.members):
            prefix = PREFIXES[i % len(PREFIXES)]
            member = member_create(
                phone=f"0{prefix}{1_000_000 + i:07d}",
                first_name=FIRST[i % len(FIRST)],
                last_name=LAST[i % len(LAST)],
                merchant_id=merchant.id,
            )
            member_ids.append(member.id)
    account_ids = sorted(
        Account.objects.filter(role=Account.Role.MEMBER, member_id__in=member_ids).values_list("id", flat=True)
    )
    if account_ids[-1] - account_ids[0] + 1 != len(account_ids):
        raise SystemExit("member account ids are not contiguous; the pgbench script needs a range")
    issued = Account.objects.get(code=f"issued:{merchant.id}").id
    status, n_queries, sql = count_purchase_queries(raw_key, member_ids[0])
    print(
        json.dumps(
            {
                "api_key": raw_key,
                "merchant_id": merchant.id,
                "member_ids": member_ids,
                "account_min": account_ids[0],
                "account_max": account_ids[-1],
                "issued_account": issued,
                "setup_purchases": int(status == 201),
                "query_count_status": status,
                "queries_per_purchase": n_queries,
                "purchase_sql": sql,
            }
        )
    )


if __name__ == "__main__":
    main()
