"""A purchase costs a constant, small number of SQL queries, whatever its number of items."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from vafa.commerce.services import ItemIn, purchase_record
from vafa.core.tests.fixtures import statements
from vafa.merchants.services import branch_create

MAX_QUERIES = 13  # with points spent: the lot uses (which lots the redemption took) are one more


def _items(n):
    return [ItemIn(sku=f"SKU-{i}", quantity=1 + i % 3, unit_price=100_000, category="tea") for i in range(n)]


def _body(member_id, n_items, external_id, redeem=0):
    return {"member_id": member_id, "external_id": external_id, "amount": 5_000_000, "branch": "THR-1",
            "redeem_points": redeem,
            "items": [{"sku": f"S{i}", "quantity": 1, "unit_price": 1000, "category": "tea"} for i in range(n_items)]}


@pytest.fixture
def funded_member(member, merchant):
    branch_create(merchant=merchant, code="THR-1", name="تهران")
    for i in range(3):  # several lots, so a redemption consumes more than one
        purchase_record(merchant_id=merchant.id, member_id=member.id, amount=2_000_000, external_id=f"seed-{i}",
                        branch="THR-1")
    return member


# Committed transactions, as in production, so per-process id caches are warm.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("n_items", [1, 5, 50])
def test_service_queries_do_not_grow_with_items(funded_member, merchant, n_items):
    # Given a member with points in three lots
    # When a purchase with n items spends points and earns
    with CaptureQueriesContext(connection) as ctx:
        result = purchase_record(merchant_id=merchant.id, member_id=funded_member.id, amount=5_000_000,
                                 items=_items(n_items), external_id=f"q-{n_items}", redeem_points=450,
                                 branch="THR-1")
    # Then it took a fixed number of queries
    assert result.purchase.points_redeemed == 450
    assert result.purchase.items.count() == n_items
    # external_id seen?, lock account, settings, lots, purchase, items, transfers, new lot, the lots
    # the redemption used, lots update, balance
    assert statements(ctx) == 11, [q["sql"][:120] for q in ctx.captured_queries]


@pytest.mark.parametrize("n_items", [1, 5])
def test_http_purchase_queries_are_constant(funded_member, api, n_items):
    # Given an API client whose key has been used this minute (its first use is remembered)
    api.get(f"/members/{funded_member.id}/points")
    # When it posts a purchase with an Idempotency-Key
    with CaptureQueriesContext(connection) as ctx:
        response = api.post("/purchases", _body(funded_member.id, n_items, f"h-{n_items}", redeem=100),
                            headers={"Idempotency-Key": f"key-{n_items}"})
    # Then the whole request, authentication and idempotency included, stays within the budget
    assert response.status_code == 201, response.content
    # the service's 11, the API key lookup and the idempotency record
    assert statements(ctx) == 13 <= MAX_QUERIES, [q["sql"][:120] for q in ctx.captured_queries]


def test_queries_with_a_full_program_are_bounded(funded_member, merchant):
    # Given tiers and live rules using n-th purchases, caps and a budget
    from vafa.program.rules import rule_create, tier_create

    tier_create(data={"code": "gold", "name": "Gold", "rank": 1, "earn_percent": 150,
                      "qualify": {"by": "spend", "threshold": 1}})
    rule_create(data={"name": "5th", "status": "live", "conditions": {"every_nth_purchase": 5},
                      "effect": {"type": "fixed_points", "points": 5}, "caps": {"per_member_day": 100},
                      "budget": {"points": 10_000}})
    rule_create(data={"name": "tea", "status": "live", "conditions": {"categories": ["tea"]},
                      "effect": {"type": "multiplier", "percent": 200}})
    purchase_record(merchant_id=merchant.id, member_id=funded_member.id, amount=1_000_000, external_id="warm")
    # When a purchase matches every rule
    with CaptureQueriesContext(connection) as ctx:
        result = purchase_record(merchant_id=merchant.id, member_id=funded_member.id, amount=5_000_000,
                                 items=_items(5), external_id="full", redeem_points=100, branch="THR-1")
    assert [line["rule_id"] for line in result.purchase.applied_rules][:2] == ["base", "tier:gold"]
    assert len(result.purchase.applied_rules) == 4
    # Then it costs the plain purchase's 11 statements plus: the n-th count, the tier (read once,
    # also for its review), the caps' usage, the budget's row lock, the awards, the budget
    # counter, and the review's measures
    assert statements(ctx) == 18, [q["sql"][:120] for q in ctx.captured_queries]
