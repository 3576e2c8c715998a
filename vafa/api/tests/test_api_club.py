"""Club endpoints of the REST API v1: a member's referrals, joining a closed club and the
applications queue, membership plans and paid memberships. Every refusal answers the one
error shape and changes nothing."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from vafa.core import errors
from vafa.core.tests.fixtures import db_state
from vafa.members.models import Application, Member, Membership, MembershipPlan
from vafa.program.models import ProgramSettings
from vafa.referrals.models import Referral

pytestmark = pytest.mark.django_db

ERRORS = {cls.code: cls for cls in (
    errors.MemberNotFound, errors.NotFound, errors.PlanNotFound, errors.ApplicationNotFound,
    errors.ApplicationDecided, errors.PlanInactive, errors.DuplicatePayment, errors.MemberBlocked,
    errors.ReferralRefused, errors.ValidationFailed, errors.MalformedJson, errors.Unauthorized,
    errors.IdempotencyConflict,
)}
MEMBERSHIP_FIELDS = {"id", "plan_id", "plan", "starts_at", "ends_at", "amount_rial"}
PLAN_FIELDS = {"id", "name", "description", "fee_rial", "duration_days", "earn_percent", "active"}
APPLICATION_FIELDS = {"member_id", "phone", "name", "status", "member_status", "created_at", "decided_at",
                      "decided_by", "reason"}


def assert_error(response, status: int, code: str) -> dict:
    """The one error shape, with this status and code and its English message; answers details."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"] == str(ERRORS[code].message)
    return body["error"]["details"]


CLUB_WRITES = (Member, Application, Referral, MembershipPlan, Membership)  # what the club's endpoints may write


def program(**fields) -> None:
    ProgramSettings.objects.update_or_create(pk=1, defaults=fields)


@pytest.fixture
def patch(client, api_key):
    """PATCH with the merchant's key (the shared `api` client has no patch)."""

    def call(path: str, body: dict):
        return client.patch(f"/api/v1{path}", data=body, content_type="application/json",
                            headers={"Authorization": f"Bearer {api_key}", "Accept-Language": "en"})

    return call


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- referrals --------------------------------------------------------------------------------


def test_a_members_referrals_answer_their_code_link_and_friends(api, member_factory):
    referrer = member_factory(phone="09120000001")
    friend = api.post("/members", {"phone": "09351112233", "first_name": "علی", "last_name": "رضایی",
                                   "referral_code": referrer.referral_code}).json()
    response = api.get(f"/members/{referrer.pk}/referrals")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body == {
        "code": referrer.referral_code,
        "link": f"/join?ref={referrer.referral_code}",
        "referrals": [{"member_id": friend["id"], "name": "علی رضایی", "phone": "+98935***2233",
                       "status": "pending", "joined_at": body["referrals"][0]["joined_at"], "completed_at": None}],
    }
    joined_at = Member.objects.get(pk=friend["id"]).joined_at
    assert abs(when(body["referrals"][0]["joined_at"]) - joined_at) < timedelta(milliseconds=1)
    # The friend has referred nobody yet
    assert api.get(f"/members/{friend['id']}/referrals").json()["referrals"] == []


def test_the_referral_link_uses_the_public_address(api, member, settings):
    settings.VAFA_PUBLIC_URL = "https://club.example.ir"
    assert api.get(f"/members/{member.pk}/referrals").json()["link"] == (
        f"https://club.example.ir/join?ref={member.referral_code}")


@pytest.mark.parametrize("member_id", ["999999", "abc", "0", "-1"])
def test_referrals_of_an_unknown_member_are_not_found(api, member_id):
    assert_error(api.get(f"/members/{member_id}/referrals"), 404, "member_not_found")


def test_a_refused_referral_refuses_the_join_and_creates_nothing(api, member_factory):
    referrer = member_factory(phone="09120000001", national_id="0012345679")
    before = db_state(*CLUB_WRITES)
    response = api.post("/members", {"phone": "09351112233", "national_id": "0012345679",
                                      "referral_code": referrer.referral_code})
    assert assert_error(response, 409, "referral_refused") == {"reason": "self_referral"}
    assert db_state(*CLUB_WRITES) == before


# --- closed club and applications -------------------------------------------------------------


def test_joining_a_closed_club_answers_a_pending_member_with_an_application(api):
    program(club_mode="closed", approve_spend_rial=None)
    response = api.post("/members", {"phone": "09121234567", "first_name": "سارا", "last_name": "محمدی"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    listed = api.get("/applications?status=pending").json()
    assert listed == [{"member_id": body["id"], "phone": "+989121234567", "name": "سارا محمدی", "status": "pending",
                       "member_status": "pending", "created_at": listed[0]["created_at"], "decided_at": None,
                       "decided_by": "", "reason": ""}]
    assert when(listed[0]["created_at"]) == when(body["joined_at"])


@pytest.fixture
def applicants(api):
    program(club_mode="closed", approve_spend_rial=None)
    return [api.post("/members", {"phone": f"0912123456{i}"}).json()["id"] for i in range(3)]


def test_staff_approve_an_application(api, applicants, merchant):
    response = api.post(f"/applications/{applicants[0]}/approve")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == APPLICATION_FIELDS
    assert {k: body[k] for k in ("member_id", "status", "member_status", "decided_by", "reason")} == {
        "member_id": applicants[0], "status": "approved", "member_status": "active",
        "decided_by": f"api:{merchant.name}", "reason": ""}
    assert abs(when(body["decided_at"]) - timezone.now()) < timedelta(minutes=1)
    assert Member.objects.get(pk=applicants[0]).status == "active"
    assert [a["member_id"] for a in api.get("/applications?status=pending").json()] == applicants[1:]
    assert [a["member_id"] for a in api.get("/applications?status=approved").json()] == applicants[:1]
    assert [a["member_id"] for a in api.get("/applications").json()] == applicants


def test_staff_reject_an_application_with_a_reason(api, applicants):
    response = api.post(f"/applications/{applicants[1]}/reject", {"reason": "خارج از منطقه"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["member_status"], body["reason"]) == ("rejected", "blocked", "خارج از منطقه")
    assert Member.objects.get(pk=applicants[1]).status == "blocked"
    assert [a["member_id"] for a in api.get("/applications?status=rejected").json()] == [applicants[1]]


def test_a_decided_application_is_a_conflict(api, applicants):
    api.post(f"/applications/{applicants[0]}/approve")
    before = db_state(*CLUB_WRITES)
    details = assert_error(api.post(f"/applications/{applicants[0]}/approve"), 409, "application_decided")
    assert details == {"member_id": applicants[0], "status": "approved"}
    assert_error(api.post(f"/applications/{applicants[0]}/reject", {"reason": "x"}), 409, "application_decided")
    assert db_state(*CLUB_WRITES) == before


def test_application_errors(api, applicants, member_factory):
    active = member_factory()
    before = db_state(*CLUB_WRITES)
    assert_error(api.post(f"/applications/{active.pk}/approve"), 404, "application_not_found")
    assert_error(api.post(f"/applications/{active.pk}/reject", {"reason": "x"}), 404, "application_not_found")
    assert_error(api.post("/applications/999999/approve"), 404, "member_not_found")
    assert_error(api.post("/applications/abc/reject", {"reason": "x"}), 404, "member_not_found")
    assert_error(api.post(f"/applications/{applicants[0]}/reject", {}), 422, "validation_error")
    assert_error(api.post(f"/applications/{applicants[0]}/reject", {"reason": 5}), 422, "validation_error")
    assert_error(api.post(f"/applications/{applicants[0]}/reject", {"reason": "x" * 256}), 422,
                 "validation_error")
    assert_error(api.post(f"/applications/{applicants[0]}/reject", raw="{"), 400, "malformed_json")
    assert_error(api.get("/applications?status=maybe"), 422, "validation_error")
    assert db_state(*CLUB_WRITES) == before


def test_an_application_decision_replays_with_its_idempotency_key(api, applicants):
    key = {"Idempotency-Key": "approve-1"}
    first = api.post(f"/applications/{applicants[0]}/approve", headers=key)
    again = api.post(f"/applications/{applicants[0]}/approve", headers=key)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"


# --- plans ------------------------------------------------------------------------------------


GOLD = {"name": "طلایی", "fee_rial": 5_000_000, "duration_days": 30, "earn_percent": 150,
        "description": "امتیاز یک‌ونیم برابر"}


def test_plans_are_created_listed_and_changed(api, patch):
    response = api.post("/program/plans", GOLD)
    assert response.status_code == 201, response.content
    gold = response.json()
    assert gold == {**GOLD, "id": MembershipPlan.objects.get().pk, "active": True}
    silver = api.post("/program/plans", {"name": "نقره‌ای", "fee_rial": 2_000_000, "duration_days": 10}).json()
    assert (silver["earn_percent"], silver["description"], silver["active"]) == (100, "", True)
    assert [p["id"] for p in api.get("/program/plans").json()] == [silver["id"], gold["id"]]
    assert set(api.get("/program/plans").json()[0]) == PLAN_FIELDS

    changed = patch(f"/program/plans/{gold['id']}", {"active": False, "fee_rial": 6_000_000})
    assert changed.status_code == 200, changed.content
    assert changed.json() == {**gold, "active": False, "fee_rial": 6_000_000}
    assert [p["id"] for p in api.get("/program/plans?active=true").json()] == [silver["id"]]
    assert [p["id"] for p in api.get("/program/plans?active=false").json()] == [gold["id"]]


@pytest.mark.parametrize("body", [
    {**GOLD, "fee_rial": -1}, {**GOLD, "fee_rial": "5000000"}, {**GOLD, "duration_days": 0},
    {**GOLD, "earn_percent": 5000}, {**GOLD, "name": ""}, {**GOLD, "active": "yes"}, {**GOLD, "colour": "gold"},
    {"name": "طلایی"},
])
def test_an_invalid_plan_is_refused(api, body):
    before = db_state(*CLUB_WRITES)
    assert_error(api.post("/program/plans", body), 422, "validation_error")
    assert db_state(*CLUB_WRITES) == before


def test_changing_an_unknown_plan_is_not_found(api, patch):
    assert_error(patch("/program/plans/999", {"active": False}), 404, "plan_not_found")
    assert_error(patch("/program/plans/x", {"active": False}), 404, "plan_not_found")


# --- memberships ------------------------------------------------------------------------------


@pytest.fixture
def gold(api):
    return api.post("/program/plans", GOLD).json()


def pay(api, member, plan, headers=None, **extra):
    return api.post(f"/members/{member.pk}/memberships", {"plan_id": plan["id"], "amount_rial": plan["fee_rial"],
                                                          "payment_reference": "PAY-1", **extra}, headers=headers)


def test_a_payment_answers_the_paid_period_and_a_renewal_follows_on(api, member, gold):
    response = pay(api, member, gold, channel="pos")
    assert response.status_code == 201, response.content
    first = response.json()
    membership = Membership.objects.get()
    assert first == {"id": membership.pk, "plan_id": gold["id"], "plan": "طلایی",
                     "starts_at": first["starts_at"], "ends_at": first["ends_at"], "amount_rial": 5_000_000}
    assert abs(when(first["starts_at"]) - timezone.now()) < timedelta(minutes=1)
    assert when(first["ends_at"]) - when(first["starts_at"]) == timedelta(days=30)
    assert (membership.channel, membership.payment_reference) == ("pos", "PAY-1")

    renewal = pay(api, member, gold, payment_reference="PAY-2").json()
    assert (when(renewal["starts_at"]), when(renewal["ends_at"])) == (
        when(first["ends_at"]), when(first["ends_at"]) + timedelta(days=30))
    listed = api.get(f"/members/{member.pk}/memberships")
    assert listed.status_code == 200
    assert listed.json() == [renewal, first]
    assert set(listed.json()[0]) == MEMBERSHIP_FIELDS


def test_a_retried_payment_answers_the_same_period(api, member, gold):
    first = pay(api, member, gold).json()
    again = pay(api, member, gold)  # same reference, no Idempotency-Key
    assert again.status_code == 201 and again.json() == first
    assert Membership.objects.count() == 1
    key = {"Idempotency-Key": "m-1"}
    keyed = pay(api, member, gold, payment_reference="PAY-9", headers=key)
    replayed = pay(api, member, gold, payment_reference="PAY-9", headers=key)
    assert replayed.json() == keyed.json() and replayed["Idempotent-Replayed"] == "true"
    assert Membership.objects.count() == 2


def test_membership_errors_change_nothing(api, patch, member, member_factory, gold):
    silver = api.post("/program/plans", {"name": "نقره‌ای", "fee_rial": 2_000_000, "duration_days": 10}).json()
    pay(api, member, gold)
    blocked = member_factory(status=Member.Status.BLOCKED)
    patch(f"/program/plans/{silver['id']}", {"active": False})
    before = db_state(*CLUB_WRITES)

    details = assert_error(pay(api, member, gold, amount_rial=4_000_000, payment_reference="PAY-2"), 422,
                           "validation_error")
    assert details == {"amount_rial": "must be the plan's fee, 5000000", "fee_rial": 5_000_000}
    assert assert_error(pay(api, member, silver, payment_reference="PAY-3"), 409, "plan_inactive") == {
        "plan_id": silver["id"]}
    details = assert_error(pay(api, member, gold, amount_rial=4_000_000), 409, "duplicate_payment")
    assert details == {"payment_reference": "PAY-1", "membership_id": Membership.objects.get().pk}
    assert_error(pay(api, blocked, gold), 409, "member_blocked")
    assert_error(pay(api, member, {"id": 999, "fee_rial": 1}, payment_reference="PAY-4"), 404, "plan_not_found")
    assert_error(api.post("/members/999999/memberships", {"plan_id": gold["id"], "amount_rial": 5_000_000}),
                 404, "member_not_found")
    assert_error(pay(api, member, gold, channel="web"), 422, "validation_error")
    assert_error(pay(api, member, gold, amount_rial="5000000"), 422, "validation_error")
    assert_error(api.post(f"/members/{member.pk}/memberships", {"plan_id": gold["id"]}), 422, "validation_error")
    assert_error(api.post(f"/members/{member.pk}/memberships", raw="[1]"), 400, "malformed_json")
    assert_error(api.get("/members/abc/memberships"), 404, "member_not_found")
    assert db_state(*CLUB_WRITES) == before


def test_every_club_endpoint_needs_a_key(client, member, gold):
    endpoints = [
        ("get", f"/members/{member.pk}/referrals"), ("get", "/applications"),
        ("post", f"/applications/{member.pk}/approve"), ("post", f"/applications/{member.pk}/reject"),
        ("get", "/program/plans"), ("post", "/program/plans"), ("patch", f"/program/plans/{gold['id']}"),
        ("get", f"/members/{member.pk}/memberships"), ("post", f"/members/{member.pk}/memberships"),
    ]
    before = db_state(*CLUB_WRITES)
    for method, path in endpoints:
        response = getattr(client, method)(f"/api/v1{path}", data={}, content_type="application/json",
                                           headers={"Accept-Language": "en"})
        assert_error(response, 401, "unauthorized")
    assert db_state(*CLUB_WRITES) == before
