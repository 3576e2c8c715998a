"""The ledger under real concurrency (DESIGN.md, "The points ledger": concurrency and invariant 5).

Each test starts many threads together on a barrier. Django gives every thread a database
connection of its own, so the requests race in PostgreSQL exactly as those of several web
workers would; the member's account row lock (SELECT ... FOR UPDATE) must serialise them.
The fixtures commit for real here (transaction=True), so the threads see them.
"""

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from vafa.commerce.models import Purchase, Refund
from vafa.commerce.services import purchase_record, refund_record
from vafa.core.errors import DuplicateExternalId, InsufficientPoints, RefundExceedsPurchase
from vafa.core.tests.fixtures import assert_ledger_ok, balance
from vafa.ledger.models import Account, IdempotencyRecord, Lot, Transfer
from vafa.ledger.selectors import member_points
from vafa.ledger.services import PointsChange, points_expire
from vafa.merchants.services import merchant_create
from vafa.usecases.points import member_adjust, member_redeem

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(n: int, task: Callable[[int], object]) -> list:
    """Run task(0) .. task(n - 1) in n threads released at once; answer each one's result or
    the exception it raised, in thread order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i: int) -> None:
        try:
            connection.ensure_connection()  # connect first, so only the work itself races
            barrier.wait(timeout=60)
            results[i] = task(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,), name=f"race-{i}") for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is still running (deadlock?)"
    return results


# --- a) redemptions that together exceed the balance ----------------------------------------


@pytest.mark.parametrize("funded_by", ["adjustment", "purchases at two merchants"])
def test_concurrent_redemptions_spend_exactly_the_balance(merchant, member, funded_by):
    # Given a member with exactly 100 points
    issued = {merchant.pk: 100}
    if funded_by == "adjustment":
        member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=100, reason="opening balance")
    else:
        other = merchant_create(name="فروشگاه همکار")
        purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=600_000)  # 60 points
        purchase_record(merchant_id=other.pk, member_id=member.pk, amount=400_000)  # 40 points
        issued = {merchant.pk: 60, other.pk: 40}
    assert balance(member) == 100

    # When 30 redemptions of 10 points arrive at the same moment
    results = run_together(30, lambda i: member_redeem(merchant_id=merchant.pk, member_id=member.pk, points=10))

    # Then exactly the ten affordable ones succeed, one after the other, and 20 are refused
    spent = [r for r in results if isinstance(r, PointsChange)]
    refused = [r for r in results if isinstance(r, InsufficientPoints)]
    assert (len(spent), len(refused)) == (10, 20), [repr(r) for r in results]
    assert sorted(r.balance_after for r in spent) == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]
    assert balance(member) == 0
    summary = member_points(member_id=member.pk)
    assert (summary.balance, summary.available, summary.deficit) == (0, 0, 0)
    # and the settlement names each issuer for exactly what was taken from its points
    redeemed = Transfer.objects.filter(kind=Transfer.Kind.REDEEM, debit__member=member)
    assert dict(redeemed.values("issuer_id").annotate(s=Sum("amount")).values_list("issuer_id", "s")) == issued
    assert not Lot.objects.filter(account__member=member, remaining__gt=0).exists()
    assert_ledger_ok()


# --- b) one Idempotency-Key sent 20 times at once -------------------------------------------


def post_together(n: int, api_key: str, path: str, body: dict, key: str) -> list:
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": key, "Accept-Language": "en"}
    return run_together(
        n, lambda i: Client().post(f"/api/v1{path}", data=body, content_type="application/json", headers=headers)
    )


def assert_one_answer(responses: list) -> dict:
    """Every response is the first answer (201, one body) or a 409 idempotency_conflict."""
    assert all(not isinstance(r, Exception) for r in responses), [repr(r) for r in responses]
    created = [r for r in responses if r.status_code == 201]
    conflicts = [r for r in responses if r.status_code == 409]
    assert len(created) + len(conflicts) == len(responses), [(r.status_code, r.content) for r in responses]
    assert all(r.json()["error"]["code"] == "idempotency_conflict" for r in conflicts)
    assert created, "no request succeeded"
    bodies = [r.json() for r in created]
    assert all(body == bodies[0] for body in bodies), bodies
    return bodies[0]


@pytest.mark.parametrize("external_id", ["pos-1001", None])
def test_concurrent_identical_purchases_with_one_key_take_effect_once(merchant, api_key, member, external_id):
    # Given a member with 50 points
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=50, reason="opening balance")
    body = {
        "member_id": member.pk,
        "amount": 2_500_000,
        "redeem_points": 30,
        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
    }
    if external_id:
        body["external_id"] = external_id

    # When the same purchase is posted 20 times at once with one Idempotency-Key
    responses = post_together(20, api_key, "/purchases", body, key="checkout-7f3a")

    # Then every answer is the same purchase: 30 points spent, 249 earned on the rest, once
    answer = assert_one_answer(responses)
    assert (answer["points_redeemed"], answer["discount"], answer["points_earned"], answer["balance_after"]) == (
        30,
        3_000,
        249,
        50 - 30 + 249,
    )
    purchase = Purchase.objects.get(member=member)
    assert (purchase.pk, purchase.external_id) == (answer["id"], external_id)
    moved = Transfer.objects.filter(source_kind="purchase", source_id=purchase.pk)
    assert sorted(moved.values_list("kind", "amount")) == [("earn", 249), ("redeem", 30)]
    assert balance(member) == 269
    assert IdempotencyRecord.objects.filter(key="checkout-7f3a").count() == 1
    assert_ledger_ok()


def test_concurrent_identical_redemptions_with_one_key_take_effect_once(merchant, api_key, member):
    # Given a member with 100 points
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=100, reason="opening balance")

    # When one redemption of 10 points is posted 20 times at once with one Idempotency-Key
    responses = post_together(20, api_key, f"/members/{member.pk}/redemptions", {"points": 10}, key="redeem-1")

    # Then all answers are the first one, and the points were spent once
    assert assert_one_answer(responses) == {"points_spent": 10, "balance_after": 90, "coupon": None}
    assert balance(member) == 90
    assert list(Transfer.objects.filter(kind=Transfer.Kind.REDEEM).values_list("amount", flat=True)) == [10]
    assert IdempotencyRecord.objects.filter(key="redeem-1").count() == 1
    assert_ledger_ok()


@pytest.mark.parametrize("with_offset", [True, False])
def test_concurrent_retries_of_one_purchase_without_a_key_take_effect_once(api_key, member, with_offset):
    # When a till sends the same purchase (one external_id) 20 times at once, without a key
    # (its time with an offset, or a local Tehran time without one)
    moment = timezone.localtime(timezone.now() - timedelta(minutes=5))
    body = {
        "member_id": member.pk,
        "external_id": "till-4-0091",
        "amount": 1_234_567,
        "occurred_at": (moment if with_offset else moment.replace(tzinfo=None)).isoformat(),
    }
    responses = run_together(
        20,
        lambda i: Client().post(
            "/api/v1/purchases",
            data=body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {api_key}", "Accept-Language": "en"},
        ),
    )

    # Then there is one purchase, and every answer is that purchase
    assert [getattr(r, "status_code", r) for r in responses] == [201] * 20
    bodies = [r.json() for r in responses]
    assert all(b == bodies[0] for b in bodies), bodies
    assert (bodies[0]["points_earned"], bodies[0]["balance_after"]) == (123, 123)
    assert Purchase.objects.filter(member=member).count() == 1
    assert balance(member) == 123
    assert_ledger_ok()


def test_one_external_id_with_different_bodies_at_once_records_one_purchase(merchant, member):
    # When ten different purchases arrive at once under one external_id
    results = run_together(
        10,
        lambda i: purchase_record(
            merchant_id=merchant.pk, member_id=member.pk, external_id="web-77", amount=(i + 1) * 100_000
        ),
    )

    # Then one is recorded and the nine others are refused as duplicates of it
    recorded = [r.purchase for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, DuplicateExternalId)]
    assert (len(recorded), len(refused)) == (1, 9), [repr(r) for r in results]
    assert all(e.details == {"external_id": "web-77", "purchase_id": recorded[0].pk} for e in refused)
    assert Purchase.objects.count() == 1
    assert balance(member) == recorded[0].points_earned == recorded[0].amount // 10_000
    assert_ledger_ok()


def test_one_key_with_different_bodies_at_once_takes_one_effect(merchant, api_key, member_factory):
    # When ten different purchases (for ten members) are posted at once with the same key
    members = [member_factory() for _ in range(10)]
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": "shared-key", "Accept-Language": "en"}
    responses = run_together(
        10,
        lambda i: Client().post(
            "/api/v1/purchases",
            data={"member_id": members[i].pk, "external_id": f"sale-{i}", "amount": 500_000},
            content_type="application/json",
            headers=headers,
        ),
    )

    # Then exactly one is recorded; the others are refused as a conflict and change nothing
    assert all(not isinstance(r, Exception) for r in responses), [repr(r) for r in responses]
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 9, [(r.status_code, r.content) for r in responses]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"idempotency_conflict"}
    assert Purchase.objects.count() == 1
    assert sorted(balance(m) for m in members) == [0] * 9 + [50]
    assert_ledger_ok()


# --- c) many purchases for one member at once -----------------------------------------------

THREADS, PURCHASES_EACH = 8, 5


def points_of(i: int, j: int) -> int:
    return 10 * (i + 1) + j  # each purchase earns a different number of points


def test_concurrent_purchases_for_one_member_lose_no_points(merchant, member):
    # When 8 threads each record 5 purchases for the same member at once
    def five_purchases(i):
        return [
            purchase_record(
                merchant_id=merchant.pk,
                member_id=member.pk,
                external_id=f"t{i}-{j}",
                amount=points_of(i, j) * 10_000 + 9_999,
            ).purchase
            for j in range(PURCHASES_EACH)
        ]

    results = run_together(THREADS, five_purchases)

    # Then every purchase earned its points and the balance holds all of them
    assert all(isinstance(r, list) for r in results), [repr(r) for r in results]
    purchases = [p for made in results for p in made]
    expected = sum(points_of(i, j) for i in range(THREADS) for j in range(PURCHASES_EACH))
    assert sorted(p.points_earned for p in purchases) == sorted(
        points_of(i, j) for i in range(THREADS) for j in range(PURCHASES_EACH)
    )
    assert balance(member) == expected == sum(p.points_earned for p in purchases)
    # each saw the balance the one before it left: the purchases ran one after the other
    in_order = sorted(purchases, key=lambda p: p.balance_after)
    assert [p.balance_after for p in in_order] == [
        sum(q.points_earned for q in in_order[: n + 1]) for n in range(len(in_order))
    ]
    earns = Transfer.objects.filter(kind=Transfer.Kind.EARN, credit__member=member)
    assert (earns.count(), earns.aggregate(s=Sum("amount"))["s"]) == (THREADS * PURCHASES_EACH, expected)
    assert Purchase.objects.filter(member=member).count() == THREADS * PURCHASES_EACH
    assert Lot.objects.filter(account__member=member).aggregate(s=Sum("remaining"))["s"] == expected
    assert_ledger_ok()


# --- d) partial refunds of one purchase that together exceed it ----------------------------


@pytest.mark.parametrize(
    "amounts",
    [
        [150_000] * 10,
        [100_000, 250_000, 50_000, 300_000, 125_000, 175_000, 80_000, 220_000, 60_000, 140_000],
    ],
    ids=["equal", "various"],
)
def test_concurrent_partial_refunds_never_exceed_the_purchase(merchant, member, amounts):
    # Given a purchase of 1,000,000 Rials that spent 20 points and earned 99
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=20, reason="opening balance")
    purchase = purchase_record(
        merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000, redeem_points=20
    ).purchase
    assert (purchase.points_redeemed, purchase.points_earned, balance(member)) == (20, 99, 99)
    assert sum(amounts) > purchase.amount

    # When ten partial refunds that together exceed it arrive at once
    results = run_together(
        len(amounts), lambda i: refund_record(merchant_id=merchant.pk, purchase_id=purchase.pk, amount=amounts[i])
    )

    # Then the accepted ones add up to at most the purchase, and each refused one did not fit
    accepted = [(a, r) for a, r in zip(amounts, results, strict=True) if isinstance(r, Refund)]
    refused = [a for a, r in zip(amounts, results, strict=True) if isinstance(r, RefundExceedsPurchase)]
    assert len(accepted) + len(refused) == len(amounts), [repr(r) for r in results]
    refunded = sum(a for a, _r in accepted)
    assert refunded <= purchase.amount
    assert all(a > purchase.amount - refunded for a in refused)
    if amounts == [150_000] * 10:
        assert (len(accepted), len(refused)) == (6, 4)
    # and the points reversed and given back are that exact share of the purchase's points
    reversed_, returned = 99 * refunded // 1_000_000, 20 * refunded // 1_000_000
    purchase.refresh_from_db()
    assert (purchase.refunded_amount, purchase.points_reversed, purchase.points_returned) == (
        refunded,
        reversed_,
        returned,
    )
    assert sum(r.points_reversed for _a, r in accepted) == reversed_
    assert sum(r.points_returned for _a, r in accepted) == returned
    assert Refund.objects.filter(purchase=purchase).count() == len(accepted)
    assert balance(member) == 99 - reversed_ + returned
    assert_ledger_ok()


# --- e) expiry runs and first-time system accounts, at once ---------------------------------


def test_concurrent_expiry_runs_expire_each_lot_once(merchant, member_factory):
    # Given three members, each with points that expired a month ago and points still good
    members = [member_factory() for _ in range(3)]
    long_ago = timezone.now() - timedelta(days=400)
    for n, m in enumerate(members):
        purchase_record(merchant_id=merchant.pk, member_id=m.pk, amount=(n + 1) * 100_000, occurred_at=long_ago)
        purchase_record(merchant_id=merchant.pk, member_id=m.pk, amount=70_000)

    # When four schedulers run the expiry at the same moment
    runs = run_together(4, lambda i: points_expire())

    # Then each expired lot was expired by exactly one of them
    assert all(not isinstance(r, Exception) for r in runs), [repr(r) for r in runs]
    assert (sum(r.points for r in runs), sum(r.members for r in runs)) == (10 + 20 + 30, 3)
    assert sorted(balance(m) for m in members) == [7, 7, 7]
    expired = Transfer.objects.filter(kind=Transfer.Kind.EXPIRE)
    assert sorted(expired.values_list("amount", flat=True)) == [10, 20, 30]
    assert_ledger_ok()


def test_first_adjustments_at_once_share_one_adjustments_account(merchant, member_factory):
    # Given a fresh club: no adjustment was ever made, so the system account does not exist yet
    members = [member_factory() for _ in range(10)]
    assert not Account.objects.filter(role=Account.Role.ADJUSTMENTS).exists()

    # When ten members get their first adjustment at the same moment
    results = run_together(
        10, lambda i: member_adjust(merchant_id=merchant.pk, member_id=members[i].pk, points=i + 1, reason="welcome")
    )

    # Then all succeed, through one adjustments account
    assert all(isinstance(r, PointsChange) for r in results), [repr(r) for r in results]
    assert Account.objects.filter(role=Account.Role.ADJUSTMENTS).count() == 1
    assert [balance(m) for m in members] == list(range(1, 11))
    assert_ledger_ok()
