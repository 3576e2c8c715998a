"""Managers' actions on a member: adjust points, block/unblock, decide an application.

Each is its own POST address for owners and managers; a cashier or marketer is refused (403)
and nothing changes; each change writes exactly one audit entry in its transaction."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from vafa.core.models import AuditEntry
from vafa.core.tests.fixtures import balance, db_state
from vafa.ledger.models import Account, Lot, Transfer
from vafa.members.models import Application, Member
from vafa.members.services import application_open
from vafa.merchants.staff import staff_create
from vafa.usecases.points import member_adjust


def tok() -> dict:
    """The adjust form's one-time token, fresh for each submit."""
    return {"token": uuid.uuid4().hex}


pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(db):
    def make(role: str, username: str | None = None) -> Client:
        user = staff_create(username=username or f"{role}-1", password="vafa-test-pass-1", role=role)
        client = Client()
        client.force_login(user)
        client.user = user
        return client

    return make


@pytest.fixture
def sara(member_factory, merchant):
    member = member_factory(phone="09121234567")
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=100, reason="opening balance")
    return member


ACTION_WRITES = (Member, Application, Account, Transfer, Lot, AuditEntry)  # what a manager's action may write


def status_of(member) -> str:
    return Member.objects.values_list("status", flat=True).get(pk=member.pk)


def url(name, member):
    return reverse(f"manage:{name}", args=[member.pk])


# --- adjust points ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_adjust_adds_points_with_one_transfer_and_one_audit_entry(staff_client, sara, role):
    client = staff_client(role)
    transfers = Transfer.objects.count()
    response = client.post(url("member-adjust", sara),
                           {**tok(), "direction": "add", "points": "۵۰", "reason": "birthday"})
    assert response.status_code == 302 and response["Location"] == url("member", sara)
    assert balance(sara) == 150
    assert Transfer.objects.count() == transfers + 1
    line = Transfer.objects.latest("id")
    assert (line.kind, line.amount, line.memo, line.source_kind, line.source_id) == (
        "adjust", 50, "birthday", "staff", client.user.pk)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_id, entry.target_type, entry.target_id) == (
        "member.points_adjust", client.user.pk, "members.member", str(sara.pk))
    assert entry.before == {"balance": 100}
    assert entry.after.pop("token") and entry.after == {"balance": 150, "points": 50, "reason": "birthday"}
    page = client.get(url("member", sara))
    assert 'data-value="150"' in page.content.decode()


def test_adjust_deducts_points(staff_client, sara):
    client = staff_client("manager")
    response = client.post(url("member-adjust", sara),
                           {**tok(), "direction": "deduct", "points": "30", "reason": "wrong scan"})
    assert response.status_code == 302
    assert balance(sara) == 70
    entry = AuditEntry.objects.get()
    assert (entry.before["balance"], entry.after["balance"], entry.after["points"]) == (100, 70, -30)


@pytest.mark.parametrize("body", [{**tok(), "direction": "add", "points": "50", "reason": ""},
                                  {**tok(), "direction": "add", "points": "50", "reason": "   "},
                                  {**tok(), "direction": "add", "points": "50"},
                                  {**tok(), "direction": "add", "points": "0", "reason": "x"},
                                  {**tok(), "direction": "add", "points": "abc", "reason": "x"},
                                  {**tok(), "direction": "sideways", "points": "5", "reason": "x"}])
def test_adjust_with_invalid_input_is_422_and_changes_nothing(staff_client, sara, body):
    client = staff_client("manager")
    before = db_state(*ACTION_WRITES)
    response = client.post(url("member-adjust", sara), body)
    assert response.status_code == 422
    assert response.context["adjust_form"].errors
    assert db_state(*ACTION_WRITES) == before


def test_adjust_cannot_take_more_than_the_member_holds(staff_client, sara):
    client = staff_client("owner")
    before = db_state(*ACTION_WRITES)
    response = client.post(url("member-adjust", sara),
                           {**tok(), "direction": "deduct", "points": "101", "reason": "typo"})
    assert response.status_code == 409
    assert response.context["adjust_form"].errors["points"]
    assert db_state(*ACTION_WRITES) == before


@pytest.mark.parametrize("role", ["cashier", "marketer"])
@pytest.mark.parametrize("action,body", [("member-adjust", {**tok(), "direction": "add", "points": "50",
                                                          "reason": "gift"}),
                                         ("member-block", {}), ("member-unblock", {}),
                                         ("member-approve", {}), ("member-reject", {"reason": "no"})])
def test_cashier_and_marketer_may_not_change_a_member(staff_client, sara, role, action, body):
    Member.objects.filter(pk=sara.pk).update(status="pending")
    application_open(member_id=sara.pk)
    client = staff_client(role)
    before = db_state(*ACTION_WRITES)
    response = client.post(url(action, sara), body)
    assert response.status_code == 403
    assert db_state(*ACTION_WRITES) == before


def test_anonymous_post_is_sent_to_log_in_and_get_is_not_allowed(client, staff_client, sara):
    before = db_state(*ACTION_WRITES)
    response = client.post(url("member-adjust", sara), {**tok(), "direction": "add", "points": "5", "reason": "x"})
    assert response.status_code == 302 and "/manage/login/" in response["Location"]
    assert staff_client("manager").get(url("member-adjust", sara)).status_code == 405
    assert db_state(*ACTION_WRITES) == before


def test_actions_need_the_csrf_token(sara):
    user = staff_create(username="m", password="vafa-test-pass-1", role="manager")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    before = db_state(*ACTION_WRITES)
    assert client.post(url("member-block", sara)).status_code == 403
    assert db_state(*ACTION_WRITES) == before


# --- block / unblock --------------------------------------------------------------------------


def test_block_and_unblock_are_audited(staff_client, sara):
    client = staff_client("manager")
    assert client.post(url("member-block", sara)).status_code == 302
    assert status_of(sara) == "blocked"
    # blocking again changes nothing and records nothing
    assert client.post(url("member-block", sara)).status_code == 302
    page = client.get(url("member", sara)).content.decode()
    assert 'data-testid="unblock"' in page and 'data-testid="block"' not in page
    assert client.post(url("member-unblock", sara)).status_code == 302
    assert status_of(sara) == "active"
    entries = list(AuditEntry.objects.order_by("id").values_list("action", "before", "after"))
    assert entries == [("member.block", {"status": "active"}, {"status": "blocked"}),
                       ("member.unblock", {"status": "blocked"}, {"status": "active"})]


def test_unblocking_an_applicant_gives_back_pending(staff_client, sara):
    Member.objects.filter(pk=sara.pk).update(status="blocked")
    application_open(member_id=sara.pk)
    staff_client("owner").post(url("member-unblock", sara))
    assert status_of(sara) == "pending"


# --- applications -----------------------------------------------------------------------------


@pytest.fixture
def applicant(member_factory):
    member = member_factory(phone="09129998877", status="pending")
    application_open(member_id=member.pk)
    return member


def test_approve_an_application(staff_client, applicant):
    client = staff_client("manager", username="maryam")
    page = client.get(url("member", applicant)).content.decode()
    assert 'data-testid="approve"' in page
    response = client.post(url("member-approve", applicant))
    assert response.status_code == 302
    assert status_of(applicant) == "active"
    application = Application.objects.get(member=applicant)
    assert (application.status, application.decided_by) == ("approved", "maryam")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.before, entry.after) == (
        "application.approve", {"application": "pending", "status": "pending"},
        {"application": "approved", "status": "active"})
    # deciding twice is refused by the state: 409 and nothing more is written
    before = db_state(*ACTION_WRITES)
    assert client.post(url("member-approve", applicant)).status_code == 409
    assert db_state(*ACTION_WRITES) == before


def test_reject_an_application(staff_client, applicant):
    response = staff_client("owner").post(url("member-reject", applicant), {"reason": "not a customer"})
    assert response.status_code == 302
    assert status_of(applicant) == "blocked"
    assert Application.objects.get(member=applicant).reason == "not a customer"
    entry = AuditEntry.objects.get()
    assert entry.action == "application.reject"
    assert entry.after == {"application": "rejected", "status": "blocked", "reason": "not a customer"}


def test_approving_without_an_application_is_refused(staff_client, sara):
    before = db_state(*ACTION_WRITES)
    assert staff_client("manager").post(url("member-approve", sara)).status_code == 404
    assert db_state(*ACTION_WRITES) == before


def test_the_same_adjust_form_submitted_twice_adds_once(staff_client, sara):
    client = staff_client("manager")
    body = {**tok(), "direction": "add", "points": "500", "reason": "gift"}
    first = client.post(url("member-adjust", sara), body)
    second = client.post(url("member-adjust", sara), body)
    assert first.status_code == second.status_code == 302
    assert balance(sara) == 600
    assert AuditEntry.objects.filter(action="member.points_adjust").count() == 1


def test_adjust_without_its_form_token_is_refused(staff_client, sara):
    client = staff_client("manager")
    before = db_state(*ACTION_WRITES)
    response = client.post(url("member-adjust", sara), {"direction": "add", "points": "5", "reason": "x"})
    assert response.status_code == 422 and db_state(*ACTION_WRITES) == before
