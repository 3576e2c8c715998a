"""The Idempotency-Key header on every POST: a replay answers the first status and body with
`Idempotent-Replayed: true` and has no second effect; the same key with another request is
409 idempotency_conflict; keys belong to one merchant."""

import pytest

from vafa.api.tests.test_api_errors import add_points, assert_error, new_merchant_api
from vafa.core.tests.fixtures import REQUEST_WRITES, balance, db_state
from vafa.members.services import spend_code_issue


def _key(value: str = "key-1") -> dict:
    return {"Idempotency-Key": value}


@pytest.fixture
def bought(member, api, merchant):
    """A member with 300 points, 100 of them from a purchase of 1,000,000 IRR."""
    add_points(member, 200, merchant=merchant)
    member.purchase_id = api.post("/purchases", {"member_id": member.id, "amount": 1_000_000}).json()["id"]
    assert balance(member) == 300
    return member


def _writes(member):
    """One valid request for each write endpoint: (path, body, status)."""
    return {
        "members": ("/members", {"phone": "09351234567", "first_name": "Reza"}),
        "purchases": ("/purchases", {"member_id": member.id, "amount": 2_000_000, "redeem_points": 50}),
        "refunds": (f"/purchases/{member.purchase_id}/refunds", {"amount": 500_000}),
        "redemptions": (f"/members/{member.id}/redemptions", {"points": 30}),
        "adjustments": (f"/members/{member.id}/adjustments", {"points": 25, "reason": "هدیه"}),
    }


@pytest.mark.parametrize("endpoint", ["members", "purchases", "refunds", "redemptions", "adjustments"])
def test_a_replay_answers_the_first_response_and_has_no_second_effect(bought, api, endpoint):
    path, body = _writes(bought)[endpoint]
    # Given a write made with an Idempotency-Key
    first = api.post(path, body, headers=_key())
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    after_first = db_state(*REQUEST_WRITES)
    points = balance(bought)
    # When the same request is sent again with the same key (a client retry)
    for _ in range(2):
        again = api.post(path, body, headers=_key())
        # Then it answers the same status and body, marked as replayed, and nothing happens twice
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
    assert db_state(*REQUEST_WRITES) == after_first
    assert balance(bought) == points


def test_without_a_key_the_same_request_is_a_new_one(bought, api):
    for _ in range(2):
        response = api.post(f"/members/{bought.id}/adjustments", {"points": 25, "reason": "هدیه"})
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response
    assert balance(bought) == 350


def test_the_key_is_trimmed_and_the_body_compared_as_json(bought, api):
    first = api.post(f"/members/{bought.id}/adjustments", {"points": 25, "reason": "هدیه"}, headers=_key("k-7"))
    again = api.post(
        f"/members/{bought.id}/adjustments", raw='{ "reason" : "هدیه",\n "points": 25 }', headers=_key("  k-7 ")
    )
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert balance(bought) == 325


def test_a_failed_first_request_is_replayed_as_the_same_error(bought, api, merchant):
    # Given a redemption refused for want of points
    path, body = f"/members/{bought.id}/redemptions", {"points": 400}
    first = api.post(path, body, headers=_key(), lang="en")
    assert_error(first, 409, "insufficient_points")
    # When the member then gains enough points and the client retries with the same key
    add_points(bought, 500, merchant=merchant)
    before = db_state(*REQUEST_WRITES)
    again = api.post(path, body, headers=_key(), lang="en")
    # Then the retry is the same refusal: the key names one attempt, not "try until it works"
    assert_error(again, 409, "insufficient_points")
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert db_state(*REQUEST_WRITES) == before
    assert balance(bought) == 800


def test_a_failed_purchase_is_replayed_as_the_same_error(bought, api, merchant):
    body = {"member_id": bought.id, "amount": 10_000_000, "redeem_points": 1000, "external_id": "INV-2"}
    first = api.post("/purchases", body, headers=_key())
    assert_error(first, 409, "insufficient_points")
    add_points(bought, 1000, merchant=merchant)
    before = db_state(*REQUEST_WRITES)
    again = api.post("/purchases", body, headers=_key())
    assert (again.status_code, again["Idempotent-Replayed"], again.json()) == (409, "true", first.json())
    assert db_state(*REQUEST_WRITES) == before


def test_a_replayed_error_keeps_the_language_of_the_first_answer(bought, api):
    path, body = f"/members/{bought.id}/redemptions", {"points": 400}
    first = api.post(path, body, headers=_key(), lang="fa")
    assert_error(first, 409, "insufficient_points", lang="fa")
    again = api.post(path, body, headers=_key(), lang="en")
    assert again.json() == first.json()  # the stored answer, as it was given


@pytest.mark.parametrize(
    "endpoint, other_body",
    [
        ("members", {"phone": "09351234568"}),
        ("purchases", {"amount": 2_000_001}),
        ("refunds", {"amount": 500_001}),
        ("redemptions", {"points": 31}),
        ("adjustments", {"points": 26}),
    ],
)
def test_the_same_key_with_another_body_is_idempotency_conflict(bought, api, endpoint, other_body):
    path, body = _writes(bought)[endpoint]
    first = api.post(path, body, headers=_key())
    assert first.status_code == 201
    before = db_state(*REQUEST_WRITES)
    for lang in ("en", "fa"):
        details = assert_error(
            api.post(path, {**body, **other_body}, headers=_key(), lang=lang), 409, "idempotency_conflict", lang=lang
        )
        assert details == {"idempotency_key": "key-1"}
    assert db_state(*REQUEST_WRITES) == before
    # and the first request can still be replayed
    assert api.post(path, body, headers=_key()).json() == first.json()


def test_the_same_key_on_another_endpoint_is_idempotency_conflict(bought, api):
    assert (
        api.post(f"/members/{bought.id}/adjustments", {"points": 30, "reason": "x"}, headers=_key()).status_code == 201
    )
    before = db_state(*REQUEST_WRITES)
    assert_error(
        api.post(f"/members/{bought.id}/redemptions", {"points": 30}, headers=_key()), 409, "idempotency_conflict"
    )
    assert db_state(*REQUEST_WRITES) == before


def test_the_same_key_for_another_member_is_idempotency_conflict(bought, member_factory, api, merchant):
    other = member_factory()
    add_points(other, 100, merchant=merchant)
    assert api.post(f"/members/{bought.id}/redemptions", {"points": 30}, headers=_key()).status_code == 201
    before = db_state(*REQUEST_WRITES)
    assert_error(
        api.post(f"/members/{other.id}/redemptions", {"points": 30}, headers=_key()), 409, "idempotency_conflict"
    )
    assert db_state(*REQUEST_WRITES) == before


def test_the_same_key_with_a_refused_body_is_still_idempotency_conflict(bought, api):
    assert api.post(f"/members/{bought.id}/redemptions", {"points": 30}, headers=_key()).status_code == 201
    before = db_state(*REQUEST_WRITES)
    # the new body would be refused on its own (insufficient points): the key conflict wins
    assert_error(
        api.post(f"/members/{bought.id}/redemptions", {"points": 10_000}, headers=_key()), 409, "idempotency_conflict"
    )
    assert db_state(*REQUEST_WRITES) == before


def test_keys_belong_to_one_merchant(bought, api):
    other = new_merchant_api()
    # (A partner may not adjust points, so the shared request is a purchase earning 25 points.)
    path, body = "/purchases", {"member_id": bought.id, "amount": 250_000}
    first = api.post(path, body, headers=_key("shared"))
    # When another merchant uses the same key for the same request
    second = other.post(path, body, headers=_key("shared"))
    # Then it is a request of its own: applied, not replayed and not a conflict
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second
    assert (first.json()["balance_after"], second.json()["balance_after"]) == (325, 350)
    # and each merchant's key still replays its own answer
    assert other.post(path, body, headers=_key("shared")).json() == second.json()
    assert api.post(path, body, headers=_key("shared")).json() == first.json()


def test_another_merchant_may_use_a_key_with_another_body(bought, api):
    api.post(f"/members/{bought.id}/adjustments", {"points": 25, "reason": "x"}, headers=_key("shared"))
    _spend, code = spend_code_issue(member_id=bought.id, via="portal")  # a partner spends with the member there
    response = new_merchant_api().post(f"/members/{bought.id}/redemptions", {"points": 10, "member_code": code},
                                       headers=_key("shared"))
    assert response.status_code == 201
    assert balance(bought) == 315


def test_a_request_refused_by_the_schema_is_not_remembered(bought, api):
    # A body the schema refuses never reached the service: fixing it under the same key is a new attempt
    path = f"/members/{bought.id}/adjustments"
    assert_error(api.post(path, {"points": "25", "reason": "x"}, headers=_key()), 422, "validation_error")
    response = api.post(path, {"points": 25, "reason": "x"}, headers=_key())
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert balance(bought) == 325


def test_a_malformed_body_is_not_remembered(bought, api):
    path = f"/members/{bought.id}/adjustments"
    assert_error(api.post(path, raw="{", headers=_key()), 400, "malformed_json")
    assert api.post(path, {"points": 25, "reason": "x"}, headers=_key()).status_code == 201


def test_a_replay_of_a_created_member_answers_the_member_as_first_created(bought, api, merchant):
    from vafa.members.models import Member

    body = {"phone": "09351234567", "first_name": "Reza"}
    first = api.post("/members", body, headers=_key())
    add_points(Member.objects.get(pk=first.json()["id"]), 10, merchant=merchant)
    again = api.post("/members", body, headers=_key())
    assert again.json() == first.json()  # points_balance 0: the answer given then
    assert Member.objects.filter(phone="+989351234567").count() == 1


def test_replaying_a_purchase_by_key_and_by_external_id_agree(bought, api):
    body = {"member_id": bought.id, "amount": 2_000_000, "external_id": "INV-3"}
    first = api.post("/purchases", body, headers=_key())
    by_external_id = api.post("/purchases", body)
    by_key = api.post("/purchases", body, headers=_key())
    another_key = api.post("/purchases", body, headers=_key("key-2"))
    assert first.json() == by_external_id.json() == by_key.json() == another_key.json()
    assert by_key["Idempotent-Replayed"] == "true"
    assert balance(bought) == 500
