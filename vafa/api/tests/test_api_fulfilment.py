"""REST API v1 for physical rewards: a redemption with its address, /shipments and their steps.
The operator's keys see every shipment; a partner's only those of redemptions made at its own
merchant, and anything else is 404 and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from vafa.api.tests.test_api_errors import ApiClient, add_points
from vafa.core.models import AuditEntry
from vafa.core.tests.fixtures import REWARD_WRITES, assert_ledger_ok, balance, db_state
from vafa.engage.models import Message
from vafa.merchants.services import api_key_create, merchant_create
from vafa.program.catalog import reward_create
from vafa.program.models import Reward
from vafa.rewards.models import Redemption, Shipment, ShipmentStep
from vafa.usecases.fulfilment import reward_redeem_for_member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_file")]

ADDRESS = {"recipient_name": "Sara Mohammadi", "phone": "0912 345 6789", "city": "Tehran",
           "address": "Valiasr St., No. 3", "postal_code": "14345-67891"}
WRITES = (*REWARD_WRITES, Shipment, ShipmentStep, Message)


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]["details"]


@pytest.fixture(autouse=True)
def _english_texts(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def gift(db):
    reward = reward_create(name="Tea set", kind="non_material", cost_points=300, stock=10)
    Reward.objects.filter(pk=reward.pk).update(ships=True)
    return reward


@pytest.fixture
def rich(member, merchant):
    add_points(member, 1_000, merchant=merchant)
    return member


@pytest.fixture
def partner():
    merchant = merchant_create(name="Partner cafe")
    merchant.api = ApiClient(api_key_create(merchant=merchant)[1])
    return merchant


def shipped(member, reward, merchant, **address) -> Shipment:
    """A redemption made at `merchant` (a partner's too), as its till would make it."""
    return reward_redeem_for_member(member_id=member.pk, reward_id=reward.pk, merchant_id=merchant.pk,
                                    shipping={**ADDRESS, **address}).shipment


# --- redeeming with an address ------------------------------------------------------------------------


def test_a_physical_reward_is_redeemed_with_its_address(api, rich, gift):
    response = api.post(f"/members/{rich.pk}/redemptions", {"reward_id": gift.pk, "shipping": ADDRESS})
    assert response.status_code == 201, response.content
    shipment = Shipment.objects.get()
    assert response.json() == {"points_spent": 300, "balance_after": 700, "coupon": None, "gift_card": None,
                               "partner_code": None, "redemption_id": shipment.redemption_id,
                               "reward_id": gift.pk, "shipment": {"id": shipment.pk, "status": "requested"}}
    assert (shipment.phone, shipment.postal_code, shipment.redemption.merchant_id) == (
        "+989123456789", "1434567891", Redemption.objects.get().merchant_id)
    assert list(shipment.steps.values_list("status", "by")) == [("requested", f"API {api_key_prefix(api)}")]
    assert list(Message.objects.values_list("occurrence_key", flat=True)) == [f"shipment:{shipment.pk}:requested:sms"]
    assert_ledger_ok()


def api_key_prefix(api) -> str:
    return api.headers["Authorization"].split("_")[1]


@pytest.mark.parametrize(("body", "status", "code", "details"), [
    ({}, 422, "shipping_required", {"shipping": "required: this reward is sent to an address"}),
    ({"shipping": None}, 422, "shipping_required", {"shipping": "required: this reward is sent to an address"}),
    ({"shipping": {**ADDRESS, "phone": "021-88776655"}}, 422, "validation_error",
     {"shipping.phone": "an Iranian mobile number, e.g. 09121234567"}),
    ({"shipping": {k: v for k, v in ADDRESS.items() if k != "postal_code"}}, 422, "validation_error",
     {"shipping.postal_code": "an Iranian postal code: 10 digits"}),
    ({"shipping": {k: v for k, v in ADDRESS.items() if k != "address"}}, 422, "validation_error",
     {"shipping.address": "required, at most 1000 characters"}),
    ({"shipping": {**ADDRESS, "contact_person": "Ali"}}, 422, "validation_error",
     {"shipping.contact_person": "given only with organization_name"}),
    ({"shipping": {**ADDRESS, "organization_name": "Acme", "contact_person": "Ali"}}, 422, "validation_error",
     {"shipping.organization_name": "only an organisation member's reward is sent to an organisation"}),
    ({"shipping": {**ADDRESS, "floor": 2}}, 422, "validation_error",
     {"shipping.floor": "Extra inputs are not permitted"}),
    ({"shipping": "Tehran"}, 422, "validation_error", None),
])
def test_a_redemption_without_a_good_address_is_refused_and_changes_nothing(api, rich, gift, body, status, code,
                                                                             details):
    before = db_state(*WRITES)
    got = error_of(api.post(f"/members/{rich.pk}/redemptions", {"reward_id": gift.pk, **body}), status, code)
    if details is not None:
        assert got == details
    assert db_state(*WRITES) == before


# --- the steps ----------------------------------------------------------------------------------------------


def test_the_steps_of_a_shipment_through_the_api(api, rich, gift, merchant):
    shipment = shipped(rich, gift, merchant)
    url = f"/shipments/{shipment.pk}/steps"

    prepared = api.post(url, {"status": "preparing"})
    assert prepared.status_code == 201 and prepared.json()["status"] == "preparing"
    again = api.post(url, {"status": "preparing"})
    assert again.status_code == 200 and again.json() == prepared.json()
    assert error_of(api.post(url, {"status": "sent"}), 422, "validation_error") == {
        "tracking_code": "required when sent"}
    sent = api.post(url, {"status": "sent", "tracking_code": "PT-77", "carrier": "Post"},
                    headers={"Idempotency-Key": "send-77"})
    replay = api.post(url, {"status": "sent", "tracking_code": "PT-77", "carrier": "Post"},
                      headers={"Idempotency-Key": "send-77"})
    assert sent.status_code == replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == sent.json()
    body = sent.json()
    assert {k: body[k] for k in ("status", "next_steps", "tracking_code", "carrier", "phone", "postal_code",
                                 "reward_name", "points", "member_id")} == {
        "status": "sent", "next_steps": ["delivered"], "tracking_code": "PT-77", "carrier": "Post",
        "phone": "+989123456789", "postal_code": "1434567891", "reward_name": "Tea set", "points": 300,
        "member_id": rich.pk}
    assert [s["status"] for s in body["steps"]] == ["requested", "preparing", "sent"]

    before = db_state(*WRITES)
    details = error_of(api.post(url, {"status": "cancelled", "note": "too late"}), 409, "shipment_step_refused")
    assert details == {"from": "sent", "to": "cancelled", "allowed": ["delivered"]}
    assert db_state(*WRITES) == before

    assert api.post(url, {"status": "delivered"}).json()["next_steps"] == []
    assert [k for k in Message.objects.order_by("pk").values_list("occurrence_key", flat=True)] == [
        f"shipment:{shipment.pk}:{s}:sms" for s in ("requested", "preparing", "sent", "delivered")]
    assert list(AuditEntry.objects.filter(action="api.shipment.step").values_list("target_type", "target_id")) == [
        ("shipment", str(shipment.pk))] * 4  # every call the key made; the replay is no call of its own
    got = api.get(f"/shipments/{shipment.pk}").json()
    assert [(s["status"], s["by"]) for s in got["steps"]] == [
        ("requested", ""), *[(s, f"API {api_key_prefix(api)}") for s in ("preparing", "sent", "delivered")]]


def test_cancelling_through_the_api_gives_the_points_back_once(api, rich, gift, merchant):
    shipment = shipped(rich, gift, merchant)
    assert balance(rich) == 700
    first = api.post(f"/shipments/{shipment.pk}/steps", {"status": "cancelled", "note": "out of stock"})
    second = api.post(f"/shipments/{shipment.pk}/steps", {"status": "cancelled", "note": "out of stock"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["cancelled_at"] is not None and balance(rich) == 1_000
    assert Reward.objects.get(pk=gift.pk).stock == 10
    assert_ledger_ok()


@pytest.mark.parametrize("shipment_id", ["abc", "0", "99999999", "1e3", "%20"])
def test_an_unknown_shipment_is_404_everywhere(api, rich, gift, merchant, shipment_id):
    shipped(rich, gift, merchant)
    before = db_state(*WRITES)
    error_of(api.get(f"/shipments/{shipment_id}"), 404, "shipment_not_found")
    error_of(api.post(f"/shipments/{shipment_id}/steps", {"status": "preparing"}), 404, "shipment_not_found")
    assert db_state(*WRITES) == before


def test_the_list_puts_what_waits_first_oldest_first_and_filters_by_status(api, rich, gift, merchant):
    add_points(rich, 1_000, merchant=merchant)
    a, b, c, d = (shipped(rich, gift, merchant) for _ in range(4))
    now = timezone.now()
    for n, s in enumerate((a, b, c, d)):  # a the oldest
        Shipment.objects.filter(pk=s.pk).update(created_at=now - timedelta(days=10 - n))
    api.post(f"/shipments/{a.pk}/steps", {"status": "sent", "tracking_code": "T-A"})
    api.post(f"/shipments/{b.pk}/steps", {"status": "preparing"})
    api.post(f"/shipments/{c.pk}/steps", {"status": "cancelled", "note": "x"})
    ids = lambda response: [row["id"] for row in response.json()]  # noqa: E731
    assert ids(api.get("/shipments")) == [d.pk, b.pk, a.pk, c.pk]
    assert ids(api.get("/shipments?status=waiting")) == [d.pk, b.pk]
    assert ids(api.get("/shipments?status=sent")) == [a.pk]
    assert ids(api.get("/shipments?status=waiting&limit=1")) == [d.pk]
    assert error_of(api.get("/shipments?status=lost"), 422, "validation_error") == {
        "status": "one of waiting, requested, preparing, sent, delivered, cancelled"}
    error_of(api.get("/shipments?limit=0"), 422, "validation_error")
    error_of(api.get("/shipments?limit=501"), 422, "validation_error")


# --- keys: the scope, and a partner's own shipments only ----------------------------------------------------


def test_a_key_without_the_rewards_scope_is_forbidden_and_changes_nothing(rich, gift, merchant):
    shipment = shipped(rich, gift, merchant)
    other = ApiClient(api_key_create(merchant=merchant, scopes=["members:read", "purchases", "points:spend"])[1])
    before = db_state(*WRITES)
    for response in (other.get("/shipments"), other.get(f"/shipments/{shipment.pk}"),
                     other.post(f"/shipments/{shipment.pk}/steps", {"status": "cancelled", "note": "x"})):
        error_of(response, 403, "forbidden")
    assert db_state(*WRITES) == before and balance(rich) == 700


def test_a_partner_sees_and_moves_only_the_shipments_of_its_own_redemptions(api, rich, gift, merchant, partner):
    ours = shipped(rich, gift, merchant)
    theirs = shipped(rich, gift, partner)
    assert [row["id"] for row in partner.api.get("/shipments").json()] == [theirs.pk]
    assert [row["id"] for row in api.get("/shipments").json()] == [ours.pk, theirs.pk]  # the operator: all
    assert partner.api.get(f"/shipments/{theirs.pk}").json()["merchant_id"] == partner.pk

    before = db_state(*WRITES, AuditEntry)
    error_of(partner.api.get(f"/shipments/{ours.pk}"), 404, "shipment_not_found")
    for n, step in enumerate(({"status": "cancelled", "note": "mine now"}, {"status": "sent", "tracking_code": "X"},
                              {"status": "delivered"})):
        error_of(partner.api.post(f"/shipments/{ours.pk}/steps", step), 404, "shipment_not_found")
        error_of(partner.api.post(f"/shipments/{ours.pk}/steps", step, headers={"Idempotency-Key": f"k{n}"}), 404,
                 "shipment_not_found")
    assert db_state(*WRITES, AuditEntry) == before and balance(rich) == 400
    assert partner.api.get("/shipments?status=sent").json() == []

    moved = partner.api.post(f"/shipments/{theirs.pk}/steps", {"status": "sent", "tracking_code": "TPX-1"})
    assert moved.status_code == 201 and moved.json()["status"] == "sent"
    assert Shipment.objects.get(pk=ours.pk).status == "requested"
