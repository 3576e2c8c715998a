"""POST /api/v1/purchases with `without_member: true`: a sale to a customer outside the club,
recorded for the owner's statistics only (no points, no member, no ledger)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from vafa.api.tests.test_api_errors import ApiClient, assert_error
from vafa.commerce.models import WalkInSale, WalkInSaleItem
from vafa.core.tests.fixtures import REQUEST_WRITES, db_state
from vafa.ledger.models import IdempotencyRecord
from vafa.merchants.services import api_key_create

TEHRAN = ZoneInfo("Asia/Tehran")
WRITES = (*REQUEST_WRITES, WalkInSale, WalkInSaleItem, IdempotencyRecord)
SALE = {"without_member": True, "external_id": "W-1", "amount": 1_250_000, "occurred_at": "2026-03-01T10:00:00",
        "items": [{"sku": "TEA", "category": "drinks", "quantity": 2, "unit_price": 625_000}],
        "payment_method": "cash"}


def test_a_sale_without_a_member_is_recorded_with_no_points(api, merchant):
    # When a shop posts a sale with without_member and no member
    before_ledger = db_state(*REQUEST_WRITES)
    response = api.post("/purchases", SALE)
    # Then it answers 201 in the purchase's shape, nothing earned or spent
    assert response.status_code == 201, response.content
    sale = WalkInSale.objects.get()
    body = response.json()
    assert body == {"id": None, "walk_in_sale_id": sale.pk, "without_member": True, "member_id": None,
                    "external_id": "W-1",
                    "amount": 1_250_000, "points_earned": 0, "points_redeemed": 0, "discount": 0,
                    "balance_after": None, "applied_rules": [], "occurred_at": body["occurred_at"]}
    assert datetime.fromisoformat(body["occurred_at"]) == datetime(2026, 3, 1, 10, tzinfo=TEHRAN)
    assert (sale.merchant_id, sale.amount, sale.payment_method, sale.channel, sale.refunded_amount) == (
        merchant.id, 1_250_000, "cash", "in_store", 0)
    assert list(WalkInSaleItem.objects.values_list("sku", "category", "quantity", "unit_price")) == [
        ("TEA", "drinks", 2, 625_000)]
    # and no member, purchase, transfer or lot was written
    assert db_state(*REQUEST_WRITES) == before_ledger


def test_the_same_sale_again_replays_and_a_different_one_is_a_conflict(api):
    first = api.post("/purchases", SALE)
    assert first.status_code == 201
    # When the same sale is posted again with the same external_id
    again = api.post("/purchases", SALE)
    # Then the first answer comes back, and one sale is recorded
    assert (again.status_code, again.json()) == (201, first.json())
    assert WalkInSale.objects.count() == 1
    # When another sale reuses the external_id
    before = db_state(*WRITES)
    other = api.post("/purchases", {**SALE, "amount": 999_000})
    # Then it is refused and nothing changes
    details = assert_error(other, 409, "duplicate_external_id")
    assert details == {"external_id": "W-1", "sale_id": first.json()["walk_in_sale_id"]}
    assert db_state(*WRITES) == before


def test_an_idempotency_key_replays_the_first_answer(api):
    headers = {"Idempotency-Key": "walk-in-1"}
    body = {**SALE, "external_id": None}
    first = api.post("/purchases", body, headers=headers)
    assert first.status_code == 201, first.content
    again = api.post("/purchases", body, headers=headers)
    assert (again.status_code, again.json(), again["Idempotent-Replayed"]) == (201, first.json(), "true")
    assert WalkInSale.objects.count() == 1
    before = db_state(*WRITES)
    assert_error(api.post("/purchases", {**body, "amount": 5}, headers=headers), 409, "idempotency_conflict")
    assert db_state(*WRITES) == before


def test_sales_without_an_external_id_are_each_recorded(api):
    body = {k: v for k, v in SALE.items() if k != "external_id"}
    assert api.post("/purchases", body).status_code == 201
    assert api.post("/purchases", body).status_code == 201
    assert WalkInSale.objects.count() == 2


@pytest.mark.parametrize(("body", "field"), [
    ({**SALE, "member_id": 1}, "without_member"),
    ({**SALE, "phone": "09121234567"}, "without_member"),
    ({**SALE, "redeem_points": 10}, "redeem_points"),
    ({**SALE, "without_member": "yes"}, "without_member"),
    ({**SALE, "amount": -1}, "amount"),
    ({**SALE, "tax": 2_000_000}, "tax"),
    ({**SALE, "occurred_at": "2999-01-01T00:00:00"}, "occurred_at"),
    ({**SALE, "channel": "phone"}, "channel"),
    ({**SALE, "coupon": "X"}, "coupon"),
])
def test_an_invalid_sale_without_a_member_is_422_and_changes_nothing(api, member, body, field):
    before = db_state(*WRITES)
    details = assert_error(api.post("/purchases", body), 422, "validation_error")
    assert field in details, details
    assert db_state(*WRITES) == before


def test_without_a_member_and_without_the_flag_is_422_as_before(api):
    body = {k: v for k, v in SALE.items() if k != "without_member"}
    before = db_state(*WRITES)
    details = assert_error(api.post("/purchases", body), 422, "validation_error")
    assert details == {"member_id": "member_id or phone is required"}
    assert_error(api.post("/purchases", {**body, "without_member": False}), 422, "validation_error")
    assert db_state(*WRITES) == before


def test_an_unknown_branch_is_refused_and_changes_nothing(api):
    before = db_state(*WRITES)
    assert_error(api.post("/purchases", {**SALE, "branch": "NOPE"}), 404, "branch_not_found")
    assert db_state(*WRITES) == before


def test_a_key_without_the_purchases_scope_is_forbidden_and_changes_nothing(merchant):
    client = ApiClient(api_key_create(merchant=merchant, scopes=["members:read"])[1])
    before = db_state(*WRITES)
    assert_error(client.post("/purchases", SALE), 403, "forbidden")
    assert db_state(*WRITES) == before


def test_no_key_is_unauthorized(merchant):
    before = db_state(*WRITES)
    assert_error(ApiClient(None).post("/purchases", SALE), 401, "unauthorized")
    assert db_state(*WRITES) == before


def test_the_openapi_document_names_the_addition(api):
    schema = api.get("/openapi.json").json()
    fields = schema["components"]["schemas"]["PurchaseInput"]["properties"]
    assert fields["without_member"]["type"] == "boolean"
    assert {"member_id", "phone", "amount", "external_id"} <= set(fields)  # nothing renamed


def test_a_refund_of_a_sale_without_a_member_is_counted_net(merchant):
    from vafa.commerce.services import walk_in_sale_record, walk_in_sale_refund
    from vafa.core.errors import PurchaseNotFound, RefundExceedsPurchase

    sale = walk_in_sale_record(merchant_id=merchant.id, amount=100_000).sale
    assert walk_in_sale_refund(merchant_id=merchant.id, sale_id=sale.pk, amount=30_000).refunded_amount == 30_000
    with pytest.raises(RefundExceedsPurchase):
        walk_in_sale_refund(merchant_id=merchant.id, sale_id=sale.pk, amount=70_001)
    with pytest.raises(PurchaseNotFound):
        walk_in_sale_refund(merchant_id=merchant.id + 1, sale_id=sale.pk, amount=1)
    sale.refresh_from_db()
    assert sale.refunded_amount == 30_000


def test_an_external_id_is_one_sale_with_a_member_or_without(api, member):
    # A member's purchase and a sale without a member never share an external_id: the same sale
    # sent both ways would count twice (and earn once).
    first = api.post("/purchases", {"member_id": member.pk, "external_id": "X-1", "amount": 1_000_000})
    assert first.status_code == 201
    before = db_state(*WRITES)
    details = assert_error(api.post("/purchases", {**SALE, "external_id": "X-1"}), 409, "duplicate_external_id")
    assert details == {"external_id": "X-1", "reason": "a member's purchase"}
    assert db_state(*WRITES) == before
    assert api.post("/purchases", {**SALE, "external_id": "X-2"}).status_code == 201
    before = db_state(*WRITES)
    refused = api.post("/purchases", {"member_id": member.pk, "external_id": "X-2", "amount": 1_000_000})
    assert assert_error(refused, 409, "duplicate_external_id") == {"external_id": "X-2",
                                                                   "reason": "a sale without a member"}
    assert db_state(*WRITES) == before


def test_a_sale_without_a_member_gives_no_purchase_id_to_refund(api, member):
    # A member's purchase 1 and the first sale without a member: the sale's answer names no
    # purchase, so no refund of "it" can reach the member's purchase.
    purchase = api.post("/purchases", {"member_id": member.pk, "external_id": "M-1", "amount": 1_000_000}).json()
    sale = api.post("/purchases", SALE).json()
    assert sale["id"] is None and sale["walk_in_sale_id"] == WalkInSale.objects.get().pk
    assert purchase["id"] != sale["id"]
