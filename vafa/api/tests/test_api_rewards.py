"""The rewards part of REST API v1: the catalogue (/program/rewards), partner code pools,
reward redemptions, coupons and promo codes, gift cards, and a member's view of them.

Default program: a point is worth 100 IRR."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from vafa.api.tests.test_api_errors import ApiClient, add_points
from vafa.core.tests.fixtures import REWARD_WRITES, assert_ledger_ok, balance, db_state
from vafa.ledger.models import Transfer
from vafa.program.models import ProgramSettings
from vafa.rewards.models import Coupon, GiftCard, Redemption

REWARD_FIELDS = {
    "id", "name", "description", "kind", "active", "cost_points", "amount_rial", "percent", "cap_rial",
    "min_purchase_rial", "sku", "stock", "per_member_limit", "tiers", "member_kinds", "plans", "starts_at",
    "ends_at", "valid_days", "charity_name", "ships", "available_codes",
}
COUPON_FIELDS = {"code", "kind", "amount_rial", "percent", "cap_rial", "min_purchase_rial", "sku", "expires_at"}


def error_of(response, status: int, code: str) -> dict:
    """The API's one error shape with this status and code; answers `details`."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]["details"]


def create_reward(api, **fields) -> dict:
    response = api.post("/program/rewards", {"name": "جایزه", "cost_points": 100, **fields})
    assert response.status_code == 201, response.content
    return response.json()


def redeem(api, member, reward_id, **kwargs):
    return api.post(f"/members/{member.id}/redemptions", {"reward_id": reward_id}, **kwargs)


@pytest.fixture
def patch(client, api_key):
    def send(path, body):
        return client.patch(f"/api/v1{path}", data=body, content_type="application/json",
                            headers={"Authorization": f"Bearer {api_key}", "Accept-Language": "en"})

    return send


@pytest.fixture
def rich(member, merchant):
    add_points(member, 1_000, merchant=merchant)
    return member


# --- the catalogue -------------------------------------------------------------------------------------


def test_a_reward_is_created_and_read_in_one_shape(api):
    # When a percentage coupon reward is created
    ProgramSettings.objects.get_or_create(pk=1)
    version = ProgramSettings.objects.get(pk=1).version
    body = create_reward(api, kind="coupon_percent", percent=20, cap_rial=500_000, min_purchase_rial=1_000_000,
                         valid_days=14, stock=50, per_member_limit=2, member_kinds=["person"],
                         starts_at="2025-03-21T00:00:00+03:30", description="نوروز")

    # Then the answer is the reward's one JSON shape, and it reads back the same
    assert set(body) == REWARD_FIELDS
    assert body == {**body, "name": "جایزه", "kind": "coupon_percent", "active": True, "cost_points": 100,
                    "amount_rial": None, "percent": 20, "cap_rial": 500_000, "min_purchase_rial": 1_000_000,
                    "sku": "", "stock": 50, "per_member_limit": 2, "tiers": [], "member_kinds": ["person"],
                    "plans": [], "ends_at": None, "valid_days": 14, "charity_name": "", "ships": False,
                    "available_codes": None,
                    "description": "نوروز"}
    assert datetime.fromisoformat(body["starts_at"]) == datetime.fromisoformat("2025-03-21T00:00:00+03:30")
    assert api.get(f"/program/rewards/{body['id']}").json() == body
    assert api.get("/program/rewards").json() == [body]
    assert ProgramSettings.objects.get(pk=1).version == version + 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "coupon_amount"}, "amount_rial"),
        ({"kind": "coupon_amount", "amount_rial": 1000, "percent": 5}, "percent"),
        ({"kind": "coupon_percent", "percent": 120}, "percent"),
        ({"kind": "gift_card", "amount_rial": "1000"}, "amount_rial"),
        ({"kind": "prize"}, "kind"),
        ({"kind": "non_material", "cost": 5}, "cost"),
        ({"kind": "non_material", "tiers": ["platinum"]}, "tiers"),
        ({"kind": "non_material", "cost_points": -5}, "cost_points"),
        ({"kind": "partner_code", "stock": 3}, "stock"),
    ],
)
def test_a_wrong_reward_is_a_validation_error_and_creates_nothing(api, body, field):
    response = api.post("/program/rewards", {"name": "x", **body})
    assert field in error_of(response, 422, "validation_error")
    assert api.get("/program/rewards").json() == []


def test_a_reward_is_patched_field_by_field(api, patch):
    reward = create_reward(api, kind="coupon_amount", amount_rial=100_000)
    response = patch(f"/program/rewards/{reward['id']}", {"cost_points": 250, "active": False})
    assert response.status_code == 200, response.content
    assert response.json() == {**reward, "cost_points": 250, "active": False}
    # a change that leaves the reward wrong is refused as a whole
    response = patch(f"/program/rewards/{reward['id']}", {"kind": "gift_card", "min_purchase_rial": 5})
    error_of(response, 422, "validation_error")
    error_of(patch(f"/program/rewards/{reward['id']}", {"name": None}), 422, "validation_error")
    assert api.get(f"/program/rewards/{reward['id']}").json()["cost_points"] == 250


@pytest.mark.parametrize("reward_id", ["999999", "abc", "0", "-1", "1.5"])
def test_an_unknown_reward_is_reward_not_found(api, patch, reward_id):
    error_of(api.get(f"/program/rewards/{reward_id}"), 404, "reward_not_found")
    error_of(patch(f"/program/rewards/{reward_id}", {"cost_points": 1}), 404, "reward_not_found")
    error_of(api.post(f"/program/rewards/{reward_id}/codes", {"codes": ["A"]}), 404, "reward_not_found")


def test_a_partner_code_pool_is_uploaded(api):
    reward = create_reward(api, kind="partner_code")
    response = api.post(f"/program/rewards/{reward['id']}/codes", {"codes": ["FILM-1", " FILM-2 ", "FILM-1"]})
    assert (response.status_code, response.json()) == (201, {"added": 2, "available": 2})
    response = api.post(f"/program/rewards/{reward['id']}/codes", {"codes": ["FILM-2", "FILM-3"]})
    assert response.json() == {"added": 1, "available": 3}
    assert api.get(f"/program/rewards/{reward['id']}").json()["available_codes"] == 3
    assert "codes[0]" in error_of(api.post(f"/program/rewards/{reward['id']}/codes", {"codes": [""]}),
                                  422, "validation_error")
    error_of(api.post(f"/program/rewards/{reward['id']}/codes", {"codes": [1]}), 422, "validation_error")


# --- redemptions ---------------------------------------------------------------------------------------


def test_redeeming_a_coupon_reward_answers_the_coupon(api, rich, merchant):
    reward = create_reward(api, kind="coupon_amount", cost_points=300, amount_rial=500_000,
                           min_purchase_rial=2_000_000, valid_days=30)
    started = timezone.now()

    response = redeem(api, rich, reward["id"])

    assert response.status_code == 201, response.content
    body = response.json()
    coupon = Coupon.objects.get()
    redemption = Redemption.objects.get()
    assert body == {"points_spent": 300, "balance_after": 700, "gift_card": None, "partner_code": None,
                    "redemption_id": redemption.pk, "reward_id": reward["id"], "coupon": {
                        "code": f"{coupon.code[:4]}-{coupon.code[4:]}", "kind": "amount", "amount_rial": 500_000,
                        "percent": None, "cap_rial": None, "min_purchase_rial": 2_000_000, "sku": "",
                        "expires_at": body["coupon"]["expires_at"]}}
    expires = datetime.fromisoformat(body["coupon"]["expires_at"])
    assert started + timedelta(days=30) <= expires <= timezone.now() + timedelta(days=30)
    assert set(body["coupon"]) == COUPON_FIELDS
    assert balance(rich) == 700
    transfer = Transfer.objects.get(kind="redeem")
    assert (transfer.amount, transfer.source_kind, transfer.source_id, transfer.merchant_id) == (
        300, "reward", redemption.pk, merchant.id)
    assert_ledger_ok()


def test_redeeming_a_gift_card_and_a_partner_code_answers_their_codes(api, rich):
    card = create_reward(api, kind="gift_card", cost_points=200, amount_rial=2_000_000)
    pool = create_reward(api, kind="partner_code", cost_points=100)
    api.post(f"/program/rewards/{pool['id']}/codes", {"codes": ["SNAPP-XYZ"]})

    card_body = redeem(api, rich, str(card["id"])).json()
    code_body = redeem(api, rich, pool["id"]).json()

    gift = GiftCard.objects.get()
    assert card_body["gift_card"] == {"code": "-".join([gift.code[:4], gift.code[4:8], gift.code[8:]]),
                                      "balance_rial": 2_000_000, "expires_at": None}
    assert (card_body["coupon"], card_body["partner_code"], card_body["points_spent"], card_body["balance_after"]) == (
        None, None, 200, 800)
    assert (code_body["partner_code"], code_body["gift_card"], code_body["balance_after"]) == ("SNAPP-XYZ", None, 700)
    # the pool is now empty
    before = db_state(*REWARD_WRITES)
    error_of(redeem(api, rich, pool["id"]), 409, "reward_out_of_stock")
    assert db_state(*REWARD_WRITES) == before


@pytest.mark.parametrize(
    "fields, status, code",
    [
        ({"kind": "non_material", "cost_points": 5_000}, 409, "insufficient_points"),
        ({"kind": "non_material", "active": False}, 409, "reward_unavailable"),
        ({"kind": "non_material", "stock": 0}, 409, "reward_out_of_stock"),
        ({"kind": "non_material", "member_kinds": ["organization"]}, 409, "reward_unavailable"),
    ],
)
def test_a_refused_redemption_changes_nothing(api, rich, fields, status, code):
    reward = create_reward(api, **fields)
    before = db_state(*REWARD_WRITES)
    error_of(redeem(api, rich, reward["id"]), status, code)
    assert db_state(*REWARD_WRITES) == before


def test_the_member_limit_is_reward_limit_reached(api, rich):
    reward = create_reward(api, kind="non_material", per_member_limit=1)
    assert redeem(api, rich, reward["id"]).status_code == 201
    before = db_state(*REWARD_WRITES)
    assert error_of(redeem(api, rich, reward["id"]), 409, "reward_limit_reached") == {
        "reward_id": reward["id"], "per_member_limit": 1, "redeemed": 1}
    assert db_state(*REWARD_WRITES) == before


def test_a_redemption_replayed_with_its_key_takes_effect_once(api, rich):
    reward = create_reward(api, kind="coupon_percent", percent=10, cost_points=100)
    first = redeem(api, rich, reward["id"], headers={"Idempotency-Key": "r-1"})
    again = redeem(api, rich, reward["id"], headers={"Idempotency-Key": "r-1"})
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (201, 201, "true")
    assert again.json() == first.json()
    assert (Redemption.objects.count(), Coupon.objects.count(), balance(rich)) == (1, 1, 900)
    # the same key for another reward is a conflict
    other = create_reward(api, kind="non_material")
    error_of(redeem(api, rich, other["id"], headers={"Idempotency-Key": "r-1"}), 409, "idempotency_conflict")


def test_the_members_catalogue(api, member, merchant):
    add_points(member, 150, merchant=merchant)
    cheap = create_reward(api, kind="non_material", cost_points=100)
    dear = create_reward(api, kind="non_material", cost_points=200)
    body = api.get(f"/members/{member.id}/rewards").json()
    assert body["available_points"] == 150
    assert [(r["id"], r["affordable"], r["available"], r["reason"]) for r in body["rewards"]] == [
        (cheap["id"], True, True, None), (dear["id"], False, True, None)]
    assert set(body["rewards"][0]) == REWARD_FIELDS | {"affordable", "available", "reason"}
    error_of(api.get("/members/999999/rewards"), 404, "member_not_found")


# --- coupons and promo codes -----------------------------------------------------------------------------


def promo(api, **fields):
    return api.post("/promo-codes", {"code": "nowruz-1404", "kind": "amount", "amount_rial": 200_000,
                                     "usage_limit": 2, **fields})


def test_a_promo_code_is_created_validated_and_redeemed(api, member):
    response = promo(api, min_purchase_rial=1_000_000, per_member_limit=1)
    assert (response.status_code, response.json()) == (201, {
        "code": "NOWRUZ1404", "kind": "amount", "amount_rial": 200_000, "percent": None, "cap_rial": None,
        "min_purchase_rial": 1_000_000, "sku": "", "usage_limit": 2, "used_count": 0, "per_member_limit": 1,
        "starts_at": None, "ends_at": None})

    check = api.post("/coupons/validate", {"code": "Nowruz 1404", "member_id": member.id, "amount": 3_000_000})
    assert (check.status_code, check.json()) == (200, {
        "code": "NOWRUZ1404", "valid": True, "discount": 200_000, "kind": "amount", "amount_rial": 200_000,
        "percent": None, "cap_rial": None, "min_purchase_rial": 1_000_000, "sku": "", "expires_at": None,
        "starts_at": None, "member_id": None, "usage_limit": 2, "used_count": 0})

    used = api.post("/coupons/redeem", {"code": "NOWRUZ1404", "member_id": str(member.id), "amount": 3_000_000,
                                        "reference": "INV-9"})
    assert (used.status_code, used.json()) == (201, {"code": "NOWRUZ1404", "discount": 200_000, "used_count": 1,
                                                     "usage_limit": 2})
    # once per member
    error_of(api.post("/coupons/redeem", {"code": "NOWRUZ1404", "member_id": member.id, "amount": 3_000_000}),
             409, "coupon_used")


def test_coupon_refusals_have_their_reason_codes(api, rich, member_factory):
    reward = create_reward(api, kind="coupon_amount", cost_points=0, amount_rial=100_000, min_purchase_rial=500_000)
    code = redeem(api, rich, reward["id"]).json()["coupon"]["code"]
    other = member_factory()
    before = db_state(*REWARD_WRITES)
    for path in ("/coupons/validate", "/coupons/redeem"):
        error_of(api.post(path, {"code": "NOSUCH12", "amount": 1_000_000}), 404, "coupon_not_found")
        error_of(api.post(path, {"code": code, "amount": 499_999}), 409, "coupon_min_purchase")
        error_of(api.post(path, {"code": code, "member_id": other.id, "amount": 1_000_000}), 409,
                 "coupon_not_for_member")
        error_of(api.post(path, {"code": code, "member_id": 999_999, "amount": 1_000_000}), 404, "member_not_found")
        error_of(api.post(path, {"code": code, "amount": -1}), 422, "validation_error")
        error_of(api.post(path, {"code": code, "amount": "1000"}), 422, "validation_error")
        error_of(api.post(path, {"code": code}), 422, "validation_error")
    assert db_state(*REWARD_WRITES) == before
    assert api.post("/coupons/redeem", {"code": code, "member_id": rich.id, "amount": 1_000_000}).status_code == 201
    error_of(api.post("/coupons/validate", {"code": code, "amount": 1_000_000}), 409, "coupon_used")

    promo(api, code="ONCE", usage_limit=1)
    assert api.post("/coupons/redeem", {"code": "ONCE", "amount": 1_000}).status_code == 201
    error_of(api.post("/coupons/redeem", {"code": "ONCE", "amount": 1_000}), 409, "coupon_exhausted")
    promo(api, code="PAST", ends_at=(timezone.now() - timedelta(days=1)).isoformat())
    error_of(api.post("/coupons/validate", {"code": "PAST", "amount": 1_000}), 409, "coupon_expired")


def test_a_promo_code_that_exists_is_coupon_exists(api):
    assert promo(api).status_code == 201
    assert error_of(promo(api, code="NOWRUZ 1404"), 409, "coupon_exists") == {"code": "NOWRUZ1404"}
    assert "code" in error_of(promo(api, code="!"), 422, "validation_error")
    assert "percent" in error_of(promo(api, kind="percent", amount_rial=None), 422, "validation_error")


def test_a_members_coupons_and_gift_cards(api, rich):
    coupon_reward = create_reward(api, kind="free_product", cost_points=10, sku="CAKE")
    card_reward = create_reward(api, kind="gift_card", cost_points=10, amount_rial=300_000, valid_days=7)
    code = redeem(api, rich, coupon_reward["id"]).json()["coupon"]["code"]
    redeem(api, rich, card_reward["id"])

    coupons = api.get(f"/members/{rich.id}/coupons").json()
    assert [(c["code"], c["kind"], c["sku"], c["state"], c["reward_id"]) for c in coupons] == [
        (code, "free_product", "CAKE", "active", coupon_reward["id"])]
    cards = api.get(f"/members/{rich.id}/gift-cards").json()
    assert [(c["balance_rial"], c["initial_rial"], c["state"], c["member_id"]) for c in cards] == [
        (300_000, 300_000, "active", rich.id)]
    error_of(api.get("/members/abc/coupons"), 404, "member_not_found")
    error_of(api.get("/members/999999/gift-cards"), 404, "member_not_found")


# --- gift cards ---------------------------------------------------------------------------------------------


def test_a_gift_card_is_read_and_spent_in_parts(api, rich):
    reward = create_reward(api, kind="gift_card", cost_points=100, amount_rial=1_000_000)
    code = redeem(api, rich, reward["id"]).json()["gift_card"]["code"]

    spent = api.post("/gift-cards/spend", {"code": code.lower(), "amount_rial": 250_000, "reference": "INV-3"})
    assert (spent.status_code, spent.json()) == (201, {"code": code, "amount_rial": 250_000,
                                                       "balance_rial": 750_000, "reference": "INV-3"})
    card = api.get(f"/gift-cards/{code}").json()
    assert card == {**card, "code": code, "balance_rial": 750_000, "initial_rial": 1_000_000, "state": "active",
                    "member_id": rich.id, "reward_id": reward["id"], "expires_at": None}

    before = db_state(*REWARD_WRITES)
    assert error_of(api.post("/gift-cards/spend", {"code": code, "amount_rial": 750_001}), 409,
                    "gift_card_insufficient")["balance_rial"] == 750_000
    error_of(api.post("/gift-cards/spend", {"code": "ZZZZ-ZZZZ-ZZZZ", "amount_rial": 1}), 404, "gift_card_not_found")
    error_of(api.post("/gift-cards/spend", {"code": code, "amount_rial": 0}), 422, "validation_error")
    error_of(api.get("/gift-cards/NOPE"), 404, "gift_card_not_found")
    assert db_state(*REWARD_WRITES) == before


# --- the key ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", "/program/rewards", None),
        ("post", "/program/rewards", {"name": "x", "kind": "non_material"}),
        ("get", "/program/rewards/1", None),
        ("post", "/program/rewards/1/codes", {"codes": ["A"]}),
        ("get", "/members/1/rewards", None),
        ("post", "/coupons/validate", {"code": "A", "amount": 1}),
        ("post", "/coupons/redeem", {"code": "A", "amount": 1}),
        ("post", "/promo-codes", {"code": "ABC", "kind": "amount", "amount_rial": 1, "usage_limit": 1}),
        ("get", "/members/1/coupons", None),
        ("get", "/members/1/gift-cards", None),
        ("get", "/gift-cards/ABCD", None),
        ("post", "/gift-cards/spend", {"code": "A", "amount_rial": 1}),
    ],
)
def test_every_rewards_endpoint_needs_a_key(db, method, path, body):
    client = ApiClient(None)
    response = client.get(path) if method == "get" else client.post(path, body)
    error_of(response, 401, "unauthorized")
