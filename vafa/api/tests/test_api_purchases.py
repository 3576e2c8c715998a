"""POST /api/v1/purchases and POST /api/v1/purchases/{id}/refunds.

Default program of a fresh install: 1 point per 10,000 IRR of the earn base (the amount less
tax, shipping and the points discount), a point worth 100 IRR, lots expiring 12 months after
the purchase."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from vafa.api.tests.test_api_errors import add_points, assert_error, new_merchant_api
from vafa.core.tests.fixtures import REQUEST_WRITES, balance, db_state

PURCHASE_FIELDS = {
    "id",
    "member_id",
    "external_id",
    "amount",
    "points_earned",
    "points_redeemed",
    "discount",
    "balance_after",
    "applied_rules",
    "occurred_at",
}
REFUND_FIELDS = {"id", "purchase_id", "amount", "points_reversed", "points_returned", "balance_after"}
TEHRAN = ZoneInfo("Asia/Tehran")


def _base_rule(body: dict) -> dict:
    """The applied rules are exactly the base rule; answers it."""
    rules = body["applied_rules"]
    assert len(rules) == 1, rules
    rule = rules[0]
    assert {k: rule[k] for k in ("rule_id", "name")} == {"rule_id": "base", "name": "base"}
    assert isinstance(rule.get("detail", ""), str)
    assert sum(r["points"] for r in rules) == body["points_earned"]
    return rule


def _ledger(api, member) -> list[tuple[str, int]]:
    return [(line["kind"], line["points"]) for line in api.get(f"/members/{member.id}/ledger").json()["items"]]


# --- earning ---------------------------------------------------------------------------------


def test_a_purchase_earns_on_the_amount_and_answers_what_happened(member, api, merchant):
    from vafa.commerce.models import Purchase
    from vafa.ledger.models import Transfer

    # When a purchase of 1,234,567 IRR is recorded for a member with no points
    response = api.post("/purchases", {"member_id": member.id, "external_id": "INV-1", "amount": 1_234_567})
    # Then it earns 123 points (rounded down), recorded once
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == PURCHASE_FIELDS
    purchase = Purchase.objects.get()
    assert body == {
        **body,
        "id": purchase.pk,
        "member_id": member.id,
        "external_id": "INV-1",
        "amount": 1_234_567,
        "points_earned": 123,
        "points_redeemed": 0,
        "discount": 0,
        "balance_after": 123,
    }
    assert _base_rule(body)["points"] == 123
    assert abs(datetime.fromisoformat(body["occurred_at"]) - purchase.occurred_at) < timedelta(milliseconds=1)
    assert balance(member) == 123
    earn = Transfer.objects.get()
    assert (earn.kind, earn.amount, earn.rule, earn.source_kind, earn.source_id, earn.merchant_id) == (
        "earn",
        123,
        "base",
        "purchase",
        purchase.pk,
        merchant.id,
    )


@pytest.mark.parametrize(
    "amount, points", [(0, 0), (9_999, 0), (10_000, 1), (19_999, 1), (5_000_000, 500), (10**15, 10**11)]
)
def test_points_are_one_per_10000_rials_rounded_down(member, api, amount, points):
    response = api.post("/purchases", {"member_id": member.id, "amount": amount})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["points_earned"], body["balance_after"]) == (points, points)
    assert _base_rule(body)["points"] == points


def test_tax_and_shipping_earn_nothing(member, api):
    body = api.post(
        "/purchases", {"member_id": member.id, "amount": 1_000_000, "tax": 90_000, "shipping": 10_000}
    ).json()
    assert (body["points_earned"], body["balance_after"]) == (90, 90)


def test_the_items_are_recorded_with_the_purchase(member, api):
    from vafa.commerce.models import PurchaseItem

    items = [
        {"sku": "TEA-1", "category": "tea", "quantity": 2, "unit_price": 300_000, "name": "چای سبز"},
        {"sku": "CUP", "quantity": 1, "unit_price": 400_000},
    ]
    body = api.post("/purchases", {"member_id": member.id, "amount": 1_000_000, "items": items}).json()
    assert body["points_earned"] == 100
    rows = list(
        PurchaseItem.objects.filter(purchase_id=body["id"])
        .order_by("pk")
        .values("sku", "category", "quantity", "unit_price", "name")
    )
    assert rows == [
        {"sku": "TEA-1", "category": "tea", "quantity": 2, "unit_price": 300_000, "name": "چای سبز"},
        {"sku": "CUP", "category": "", "quantity": 1, "unit_price": 400_000, "name": ""},
    ]


@pytest.mark.parametrize("phone", ["09121234567", "۰۹۱۲۱۲۳۴۵۶۷", "٠٩١٢١٢٣٤٥٦٧", "+989121234567", "00989121234567"])
def test_a_purchase_by_phone_instead_of_member_id(member_factory, api, phone):
    member = member_factory(phone="09121234567")
    member_factory(phone="09351234567")
    response = api.post("/purchases", {"phone": phone, "amount": 2_000_000})
    assert response.status_code == 201, response.content
    assert (response.json()["member_id"], response.json()["points_earned"]) == (member.id, 200)
    assert balance(member) == 200


def test_a_purchase_by_a_phone_nobody_has_is_member_not_found(member, api):
    before = db_state(*REQUEST_WRITES)
    assert_error(api.post("/purchases", {"phone": "09351234567", "amount": 2_000_000}), 404, "member_not_found")
    assert db_state(*REQUEST_WRITES) == before


def test_a_purchase_at_a_known_branch(member, api, merchant):
    from vafa.commerce.models import Purchase
    from vafa.merchants.services import branch_create

    branch = branch_create(merchant=merchant, code="THR-1", name="تهران")
    body = api.post("/purchases", {"member_id": member.id, "amount": 1_000_000, "branch": "THR-1"}).json()
    assert Purchase.objects.get(pk=body["id"]).branch_id == branch.id


def test_a_purchase_at_an_unknown_branch_is_branch_not_found(member, api, merchant):
    from vafa.merchants.services import branch_create

    new_merchant_api()  # another merchant's branch code is not ours
    branch_create(merchant=merchant, code="THR-1", name="تهران")
    before = db_state(*REQUEST_WRITES)
    details = assert_error(
        api.post("/purchases", {"member_id": member.id, "amount": 1, "branch": "THR-2"}), 404, "branch_not_found"
    )
    assert details == {"branch": "THR-2"}
    assert db_state(*REQUEST_WRITES) == before


def test_an_earlier_purchase_expires_12_months_after_it_happened(member, api):
    # Given a purchase that happened 40 days ago (imported history)
    now = timezone.now().astimezone(TEHRAN)
    occurred = (now - timedelta(days=40)).replace(microsecond=0)
    occurred = occurred.replace(day=min(occurred.day, 28))
    response = api.post(
        "/purchases", {"member_id": member.id, "amount": 3_000_000, "occurred_at": occurred.isoformat()}
    )
    assert response.status_code == 201, response.content
    assert datetime.fromisoformat(response.json()["occurred_at"]) == occurred
    # Then its points expire 12 months after it, not after it was recorded
    expiring = api.get(f"/members/{member.id}/points").json()["expiring"]
    assert [(e["points"], datetime.fromisoformat(e["expires_at"])) for e in expiring] == [
        (300, occurred.replace(year=occurred.year + 1))
    ]


def test_a_purchase_of_a_blocked_member_is_refused(member, api):
    from vafa.members.services import member_status_set

    member_status_set(member=member, status="blocked")
    before = db_state(*REQUEST_WRITES)
    details = assert_error(api.post("/purchases", {"member_id": member.id, "amount": 1_000_000}), 409, "member_blocked")
    assert details == {"status": "blocked"}
    assert db_state(*REQUEST_WRITES) == before


# --- redeeming in the same checkout ----------------------------------------------------------


def test_redeem_points_in_the_same_checkout(member, api, merchant):
    # Given a member with 500 points
    add_points(member, 500, merchant=merchant)
    # When a purchase of 2,000,000 IRR spends 100 of them
    response = api.post("/purchases", {"member_id": member.id, "amount": 2_000_000, "redeem_points": 100})
    # Then the discount is 10,000 IRR and points are earned on the 1,990,000 IRR paid
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["points_redeemed"], body["discount"], body["points_earned"], body["balance_after"]) == (
        100,
        10_000,
        199,
        599,
    )
    assert _base_rule(body)["points"] == 199
    assert balance(member) == 599
    assert _ledger(api, member)[:2] == [("earn", 199), ("redeem", -100)]


def test_the_redemption_is_capped_at_the_amount(member, api, merchant):
    add_points(member, 500, merchant=merchant)
    body = api.post("/purchases", {"member_id": member.id, "amount": 30_000, "redeem_points": 500}).json()
    assert (body["points_redeemed"], body["discount"], body["points_earned"], body["balance_after"]) == (
        300,
        30_000,
        0,
        200,
    )


def test_redeeming_more_than_available_is_insufficient_points(member, api, merchant):
    add_points(member, 50, merchant=merchant)
    before = db_state(*REQUEST_WRITES)
    details = assert_error(
        api.post(
            "/purchases", {"member_id": member.id, "amount": 2_000_000, "redeem_points": 51, "external_id": "R-1"}
        ),
        409,
        "insufficient_points",
    )
    assert details == {"requested": 51, "available": 50, "deficit": 0}
    assert db_state(*REQUEST_WRITES) == before


# --- external_id: recorded once ---------------------------------------------------------------


def test_the_same_purchase_again_replays_the_first_answer(member, api, merchant):
    add_points(member, 100, merchant=merchant)
    body = {
        "member_id": member.id,
        "external_id": "INV-7",
        "amount": 2_000_000,
        "redeem_points": 40,
        "items": [{"sku": "TEA", "quantity": 2, "unit_price": 1_000_000}],
    }
    first = api.post("/purchases", body)
    assert first.status_code == 201
    assert (first.json()["points_redeemed"], first.json()["points_earned"], first.json()["balance_after"]) == (
        40,
        199,
        259,
    )
    before = db_state(*REQUEST_WRITES)
    # When the shop sends it again (a retry), its fields in another order
    again = api.post("/purchases", dict(reversed(body.items())))
    # Then the answer is the first one and nothing happened twice
    assert again.status_code == 201
    assert again.json() == first.json()
    assert db_state(*REQUEST_WRITES) == before
    assert balance(member) == 259


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 2_000_001},
        {"redeem_points": 0},
        {"member_id": "other"},
        {"items": []},
        {"occurred_at": "2026-01-15T10:00:01+03:30"},
    ],
)
def test_another_purchase_with_the_same_external_id_is_duplicate_external_id(member_factory, api, merchant, change):
    member, other = member_factory(), member_factory()
    add_points(member, 100, merchant=merchant)
    add_points(other, 100, merchant=merchant)
    body = {
        "member_id": member.id,
        "external_id": "INV-7",
        "amount": 2_000_000,
        "redeem_points": 40,
        "occurred_at": "2026-01-15T10:00:00+03:30",
        "items": [{"sku": "TEA", "quantity": 2, "unit_price": 1_000_000}],
    }
    first = api.post("/purchases", body).json()
    if change.get("member_id") == "other":
        change = {"member_id": other.id}
    before = db_state(*REQUEST_WRITES)
    details = assert_error(api.post("/purchases", {**body, **change}), 409, "duplicate_external_id")
    assert details == {"external_id": "INV-7", "purchase_id": first["id"]}
    assert db_state(*REQUEST_WRITES) == before


def test_a_used_external_id_is_duplicate_even_when_the_new_checkout_would_fail(member_factory, api):
    member, poor = member_factory(), member_factory()
    first = api.post("/purchases", {"member_id": member.id, "external_id": "INV-5", "amount": 1_000_000}).json()
    response = api.post(
        "/purchases", {"member_id": poor.id, "external_id": "INV-5", "amount": 1_000_000, "redeem_points": 10}
    )
    assert assert_error(response, 409, "duplicate_external_id") == {"external_id": "INV-5", "purchase_id": first["id"]}


def test_external_ids_are_per_merchant(member, api):
    first = api.post("/purchases", {"member_id": member.id, "external_id": "INV-1", "amount": 1_000_000})
    second = new_merchant_api().post(
        "/purchases", {"member_id": member.id, "external_id": "INV-1", "amount": 1_000_000}
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert second.json()["balance_after"] == 200


def test_purchases_without_external_id_are_each_recorded(member, api):
    for _ in range(2):
        assert api.post("/purchases", {"member_id": member.id, "amount": 1_000_000}).status_code == 201
    assert balance(member) == 200


def test_a_replay_with_occurred_at_answers_the_same_body(member, api):
    body = {
        "member_id": member.id,
        "external_id": "INV-8",
        "amount": 2_000_000,
        "occurred_at": "2026-01-15T10:00:00+03:30",
    }
    first = api.post("/purchases", body)
    again = api.post("/purchases", body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()


def test_a_replay_still_answers_the_purchase_after_the_points_were_spent(member, api, merchant):
    add_points(member, 100, merchant=merchant)
    body = {"member_id": member.id, "external_id": "INV-9", "amount": 1_000_000, "redeem_points": 100}
    first = api.post("/purchases", body).json()
    assert api.post(f"/members/{member.id}/redemptions", {"points": first["balance_after"]}).status_code == 201
    before = db_state(*REQUEST_WRITES)
    again = api.post("/purchases", body)
    assert (again.status_code, again.json()) == (201, first)
    assert db_state(*REQUEST_WRITES) == before


def test_a_replay_still_answers_the_purchase_after_the_member_is_blocked(member, api):
    from vafa.members.services import member_status_set

    body = {"member_id": member.id, "external_id": "INV-9", "amount": 1_000_000}
    first = api.post("/purchases", body).json()
    member_status_set(member=member, status="blocked")
    again = api.post("/purchases", body)
    assert (again.status_code, again.json()) == (201, first)


# --- refunds ---------------------------------------------------------------------------------


@pytest.fixture
def checkout(member, api, merchant):
    """A member with 200 points who bought for 2,000,000 IRR spending 100 of them:
    discount 10,000 IRR, 199 earned, balance 299."""
    add_points(member, 200, merchant=merchant)
    body = api.post(
        "/purchases", {"member_id": member.id, "external_id": "INV-1", "amount": 2_000_000, "redeem_points": 100}
    ).json()
    assert (body["points_earned"], body["points_redeemed"], body["balance_after"]) == (199, 100, 299)
    return body


def test_partial_refunds_reverse_their_share_and_the_last_is_exact(member, api, checkout):
    from vafa.commerce.models import Purchase

    pid = checkout["id"]
    answers = []
    for amount in (500_000, 500_000, 1_000_000):
        response = api.post(f"/purchases/{pid}/refunds", {"amount": amount})
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == REFUND_FIELDS
        assert (body["purchase_id"], body["amount"]) == (pid, amount)
        answers.append((body["points_reversed"], body["points_returned"], body["balance_after"]))
    # 25%: 49 of 199 earned (rounded down), 25 of 100 spent given back; 50%: 99 and 50 in all;
    # 100%: everything, so the member is back to the 200 points they had
    assert answers == [(49, 25, 275), (50, 25, 250), (100, 50, 200)]
    assert balance(member) == 200
    purchase = Purchase.objects.get(pk=pid)
    assert (purchase.refunded_amount, purchase.points_reversed, purchase.points_returned) == (2_000_000, 199, 100)


def test_small_refunds_round_so_that_the_last_makes_the_total_exact(member, api):
    pid = api.post("/purchases", {"member_id": member.id, "amount": 15_000}).json()["id"]  # 1 point
    reversed_ = [api.post(f"/purchases/{pid}/refunds", {"amount": 5_000}).json()["points_reversed"] for _ in range(3)]
    assert reversed_ == [0, 0, 1]
    assert balance(member) == 0


def test_the_refund_is_in_the_ledger_as_reversals(member, api, checkout):
    from vafa.ledger.models import Transfer

    api.post(f"/purchases/{checkout['id']}/refunds", {"amount": 1_000_000})
    lines = api.get(f"/members/{member.id}/ledger").json()["items"]
    earn = Transfer.objects.get(kind="earn", source_kind="purchase")
    redeem = Transfer.objects.get(kind="redeem", source_kind="purchase")
    assert [(line["kind"], line["points"], line["reverses_id"]) for line in lines[:2]] == [
        ("refund_reversal", 50, redeem.id),
        ("refund_reversal", -99, earn.id),
    ]


@pytest.mark.parametrize("first, second", [(2_000_001, None), (1_500_000, 500_001), (2_000_000, 1)])
def test_refunding_more_than_what_remains_is_refund_exceeds_purchase(member, api, checkout, first, second):
    pid = checkout["id"]
    if second is not None:
        assert api.post(f"/purchases/{pid}/refunds", {"amount": first}).status_code == 201
    requested = second if second is not None else first
    before = db_state(*REQUEST_WRITES)
    details = assert_error(api.post(f"/purchases/{pid}/refunds", {"amount": requested}), 409, "refund_exceeds_purchase")
    assert details == {"refundable": 2_000_000 - (first if second is not None else 0), "requested": requested}
    assert db_state(*REQUEST_WRITES) == before


def test_a_refund_of_another_merchants_purchase_is_purchase_not_found(member, api, checkout):
    other = new_merchant_api()
    before = db_state(*REQUEST_WRITES)
    assert_error(other.post(f"/purchases/{checkout['id']}/refunds", {"amount": 1000}), 404, "purchase_not_found")
    assert db_state(*REQUEST_WRITES) == before


def test_a_refund_after_the_points_were_spent_leaves_a_deficit(member, api):
    # Given a member who earned 100 points and spent them all
    pid = api.post("/purchases", {"member_id": member.id, "amount": 1_000_000}).json()["id"]
    assert api.post(f"/members/{member.id}/redemptions", {"points": 100}).status_code == 201
    # When the whole purchase is refunded
    body = api.post(f"/purchases/{pid}/refunds", {"amount": 1_000_000}).json()
    # Then the points are clawed back into a deficit that blocks redemptions until repaid
    assert (body["points_reversed"], body["balance_after"]) == (100, -100)
    points = api.get(f"/members/{member.id}/points").json()
    assert {k: points[k] for k in ("balance", "available", "pending", "deficit", "value")} == {
        "balance": -100,
        "available": -100,
        "pending": 0,
        "deficit": 100,
        "value": 0,
    }
    assert_error(api.post(f"/members/{member.id}/redemptions", {"points": 1}), 409, "insufficient_points")
    # And later credits repay it first
    api.post("/purchases", {"member_id": member.id, "amount": 1_500_000})
    points = api.get(f"/members/{member.id}/points").json()
    assert {k: points[k] for k in ("balance", "available", "deficit", "value")} == {
        "balance": 50,
        "available": 50,
        "deficit": 0,
        "value": 5_000,
    }


def test_a_purchase_dated_by_a_bare_day_happened_at_its_first_moment_in_tehran(api, member):
    # As the API has always read it: 2026-03-01 is midnight in Tehran.
    body = api.post("/purchases", {"member_id": member.pk, "amount": 10_000, "occurred_at": "2026-03-01"}).json()
    assert body["occurred_at"] == "2026-02-28T20:30:00Z"
    bad = api.post("/purchases", {"member_id": member.pk, "amount": 10_000, "occurred_at": "2026-02-30"})
    assert (bad.status_code, list(bad.json()["error"]["details"])) == (422, ["occurred_at"])


def test_a_refund_sent_again_with_its_external_id_refunds_once(member, api, checkout):
    from vafa.commerce.models import Refund

    pid = checkout["id"]
    first = api.post(f"/purchases/{pid}/refunds", {"amount": 500_000, "external_id": "RET-1"})
    assert first.status_code == 201, first.content
    # A retry without an Idempotency-Key answers the first refund and changes nothing
    before = db_state(*REQUEST_WRITES)
    again = api.post(f"/purchases/{pid}/refunds", {"amount": 500_000, "external_id": "RET-1"})
    assert (again.status_code, again.json()) == (201, first.json())
    assert db_state(*REQUEST_WRITES) == before
    # The same id with another amount is refused, naming the first refund
    details = assert_error(api.post(f"/purchases/{pid}/refunds", {"amount": 400_000, "external_id": "RET-1"}),
                           409, "duplicate_external_id")
    assert details == {"external_id": "RET-1", "refund_id": first.json()["id"], "amount": 500_000}
    assert db_state(*REQUEST_WRITES) == before
    # Another id is another refund; the id is per purchase
    assert api.post(f"/purchases/{pid}/refunds", {"amount": 500_000, "external_id": "RET-2"}).status_code == 201
    assert list(Refund.objects.order_by("id").values_list("external_id", "amount")) == [
        ("RET-1", 500_000), ("RET-2", 500_000)]
    assert balance(member) == 250


@pytest.mark.parametrize("external_id", ["x" * 101, 12, ["RET-1"]])
def test_a_refund_external_id_must_be_short_text(member, api, checkout, external_id):
    before = db_state(*REQUEST_WRITES)
    details = assert_error(api.post(f"/purchases/{checkout['id']}/refunds",
                                    {"amount": 1000, "external_id": external_id}), 422, "validation_error")
    assert list(details) == ["external_id"]
    assert db_state(*REQUEST_WRITES) == before


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_refund_external_id_is_no_id(member, api, checkout, blank):
    pid = checkout["id"]
    first = api.post(f"/purchases/{pid}/refunds", {"amount": 100_000, "external_id": blank})
    second = api.post(f"/purchases/{pid}/refunds", {"amount": 100_000, "external_id": blank})
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
