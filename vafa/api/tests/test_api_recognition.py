"""The recognition API: badges and challenges (list, create), a member's badges with progress;
scope `engage` (partners and keys without it refused, changing nothing)."""

import json

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from vafa.api.tests.test_api_errors import ApiClient
from vafa.api.tests.test_api_scopes import assert_error
from vafa.commerce.services import purchase_record
from vafa.core.models import AuditEntry
from vafa.core.tests.fixtures import db_state
from vafa.engage.models import Badge, Challenge, MemberBadge
from vafa.engage.recognition import recognition_forget, recognition_sweep
from vafa.merchants.services import api_key_create, merchant_create

pytestmark = pytest.mark.django_db
BADGE = {"code": "regular", "name": "Regular", "criterion": "purchases", "threshold": 2, "points": 30}
CHALLENGE = {"name": "Three in Khordad", "goal": "purchases", "target": 3, "starts_at": "2026-05-22T00:00:00+03:30",
             "ends_at": "2026-06-22T00:00:00+03:30", "points": 70}


@pytest.fixture(autouse=True)
def _fresh():
    recognition_forget()


def test_badges_are_created_listed_and_shown_with_a_members_progress(api, merchant, member):
    made = api.post("/badges", BADGE)
    assert made.status_code == 201, made.content
    body = made.json()
    assert {k: v for k, v in body.items() if k not in ("id", "created_at")} == {
        **BADGE, "description": "", "category": "", "active": True, "holders": 0}
    assert AuditEntry.objects.get().action == "api.badge.create"
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000, external_id="a")
    progress = api.get(f"/members/{member.pk}/badges").json()
    assert progress == {"member_id": member.pk, "items": [
        {"badge_id": body["id"], "code": "regular", "name": "Regular", "criterion": "purchases", "earned": False,
         "awarded_at": None, "progress": 1, "threshold": 2, "percent": 50}]}
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000, external_id="b")
    recognition_sweep(timezone.now())
    award = MemberBadge.objects.get()
    [item] = api.get(f"/members/{member.pk}/badges").json()["items"]
    assert (item["earned"], item["progress"], item["percent"]) == (True, 2, 100)
    assert abs(parse_datetime(item["awarded_at"]) - award.awarded_at).total_seconds() < 0.001
    assert [b["holders"] for b in api.get("/badges").json()] == [1]


def test_a_badge_body_that_is_wrong_is_refused_with_the_field(api):
    response = api.post("/badges", {**BADGE, "criterion": "category"})
    assert_error(response, 422, "validation_error")
    assert response.json()["error"]["details"] == {"category": "required by the category criterion"}
    assert api.post("/badges", BADGE).status_code == 201
    assert_error(api.post("/badges", BADGE), 409, "badge_exists")
    assert Badge.objects.count() == 1


def test_challenges_are_created_and_listed(api):
    made = api.post("/challenges", CHALLENGE)
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["target"], body["points"], body["completions"], body["reward_id"]) == (3, 70, 0, None)
    assert [c["id"] for c in api.get("/challenges").json()] == [body["id"]]
    assert_error(api.post("/challenges", {**CHALLENGE, "reward_id": 999}), 404, "reward_not_found")
    wrong = api.post("/challenges", {**CHALLENGE, "ends_at": CHALLENGE["starts_at"]})
    assert_error(wrong, 422, "validation_error")
    assert wrong.json()["error"]["details"] == {"ends_at": "after starts_at"}
    assert Challenge.objects.count() == 1


def test_an_unknown_member_is_not_found(api):
    assert_error(api.get("/members/999999/badges"), 404, "member_not_found")
    assert_error(api.get("/members/abc/badges"), 404, "member_not_found")


@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/badges", BADGE), ("get", "/badges", None), ("post", "/challenges", CHALLENGE),
    ("get", "/challenges", None), ("get", "/members/M/badges", None)])
def test_keys_without_engage_partners_and_no_key_are_refused_and_change_nothing(merchant, member, method, path,
                                                                                body):
    path = path.replace("/M/", f"/{member.pk}/")
    own = ApiClient(api_key_create(merchant=merchant, scopes=["members:read", "members:write", "purchases"])[1])
    partner = ApiClient(api_key_create(merchant=merchant_create(name="Partner"))[1])
    before = db_state(Badge, Challenge, MemberBadge, AuditEntry)
    for client, status in ((own, 403), (partner, 403), (ApiClient(None), 401)):
        response = client.client.generic(method.upper(), f"/api/v1{path}", data=json.dumps(body or {}),
                                         content_type="application/json", headers=client.headers)
        assert_error(response, status, "forbidden" if status == 403 else "unauthorized")
    assert db_state(Badge, Challenge, MemberBadge, AuditEntry) == before
