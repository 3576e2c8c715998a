"""How fast the pages answer on the demo club, in process (Django's test client, no network).

    VAFA_DEV=1 VAFA_VAR_DIR=$(mktemp -d) .venv/bin/python bench/pages.py [repeats]

Migrates a fresh SQLite database under VAFA_VAR_DIR (or DATABASE_URL's, which should be empty),
loads the demo club (300 members, 5,000 purchases), then times each page `repeats` times (default
30) after a warm-up and prints the median and the 95th percentile in milliseconds with the number
of SQL statements. The till's checkout is a real sale each time."""

import io
import os
import statistics
import sys
import time

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vafa.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from vafa.members.models import Member
    from vafa.web.access import MEMBER_SESSION_KEY
    from vafa.web.manage.pos_forms import new_external_id

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    call_command("demo", verbosity=0, stdout=io.StringIO())
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 30

    def staff(username: str) -> Client:
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        return client

    owner, cashier = staff("admin"), staff("cashier")
    member = Member.objects.order_by("-id").filter(status="active").first()
    portal = Client()
    session = portal.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    national = "0" + member.phone[3:]

    def checkout():
        return cashier.post(f"/manage/pos/members/{member.pk}/", {
            "amount": "250,000", "redeem_points": "", "coupon": "", "payment_method": "card",
            "external_id": new_external_id()})

    cases = [
        ("back-office dashboard", lambda: owner.get("/manage/dashboard/")),
        ("members: search by phone", lambda: owner.post("/manage/members/", {"q": national})),
        ("member page", lambda: owner.get(f"/manage/members/{member.pk}/")),
        ("till: find by phone", lambda: cashier.post("/manage/pos/", {"phone": national})),
        ("till: member and checkout form", lambda: cashier.get(f"/manage/pos/members/{member.pk}/")),
        ("till: record a sale", checkout),
        ("portal: home", lambda: portal.get("/")),
        ("portal: history", lambda: portal.get("/history/")),
        ("portal: rewards", lambda: portal.get("/rewards/")),
    ]
    print(f"{'page':34} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for name, call in cases:
        for _ in range(3):
            assert call().status_code in (200, 302), name
        times = []
        # Counted by a wrapper: each request's start empties Django's own query log.
        queries: list[str] = []

        def counted(execute, sql, *args, seen=queries):
            seen.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(counted):
            call()
        for _ in range(repeats):
            start = time.perf_counter()
            response = call()
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code in (200, 302), (name, response.status_code)
        times.sort()
        p95 = times[max(0, round(len(times) * 0.95) - 1)]
        print(f"{name:34} {statistics.median(times):10.1f} {p95:8.1f} {len(queries):8d}")


if __name__ == "__main__":
    main()
