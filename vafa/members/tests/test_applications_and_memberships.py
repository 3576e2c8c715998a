"""vafa/members/applications.py and memberships.py: staff decisions on applications to a closed
club, membership plans, and paid periods (payment, renewal without gap or overlap, refusals that change nothing)."""

from datetime import UTC, datetime, timedelta

import pytest

from vafa.core.errors import (
    ApplicationDecided,
    ApplicationNotFound,
    DuplicatePayment,
    MemberBlocked,
    MemberNotFound,
    PlanInactive,
    PlanNotFound,
    ValidationFailed,
)
from vafa.core.tests import fixtures
from vafa.core.tests.fixtures import db_state
from vafa.members import selectors, services
from vafa.members.models import Application, Member, Membership, MembershipPlan
from vafa.members.services import member_status_set

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


WRITES = (Member, Application, MembershipPlan, Membership)  # what a decision, a plan or a payment may write


def refused(error: type, call, *args, **kwargs):
    """`call` raises `error` and changes nothing; answers the error."""
    with fixtures.refused(error, *WRITES) as caught:
        call(*args, **kwargs)
    assert type(caught.value) is error
    return caught.value


@pytest.fixture
def applicant(member_factory):
    member = member_factory(status=Member.Status.PENDING)
    services.application_open(member_id=member.pk, at=T0)
    return member


# --- applications -----------------------------------------------------------------------------


def test_staff_approve_a_pending_application(applicant):
    application = services.application_approve(member_id=applicant.pk, staff="maryam", at=T0 + DAY)
    assert (application.status, application.decided_by, application.decided_at, application.reason) == (
        "approved", "maryam", T0 + DAY, "")
    assert Member.objects.get(pk=applicant.pk).status == "active"
    assert list(selectors.applications_pending()) == []


def test_staff_reject_a_pending_application_and_the_member_is_blocked(applicant):
    application = services.application_reject(member_id=applicant.pk, staff="maryam", reason="  not a wholesaler ",
                                          at=T0 + DAY)
    assert (application.status, application.decided_by, application.decided_at, application.reason) == (
        "rejected", "maryam", T0 + DAY, "not a wholesaler")
    assert Member.objects.get(pk=applicant.pk).status == "blocked"


def test_a_decided_application_cannot_be_decided_again(applicant):
    services.application_approve(member_id=applicant.pk, staff="maryam")
    error = refused(ApplicationDecided, services.application_approve, member_id=applicant.pk)
    assert (error.code, error.status, error.details) == (
        "application_decided", 409, {"member_id": applicant.pk, "status": "approved"})
    refused(ApplicationDecided, services.application_reject, member_id=applicant.pk, reason="late")


def test_a_member_without_an_application_has_none_to_decide(member):
    error = refused(ApplicationNotFound, services.application_approve, member_id=member.pk)
    assert (error.code, error.status) == ("application_not_found", 404)
    refused(ApplicationNotFound, services.application_reject, member_id=member.pk, reason="")
    with pytest.raises(ApplicationNotFound):
        selectors.application_get(member_id=member.pk)


def test_approving_does_not_unblock_a_member_staff_blocked_meanwhile(applicant):
    member_status_set(member=applicant, status=Member.Status.BLOCKED)
    refused(MemberBlocked, services.application_approve, member_id=applicant.pk)
    assert Application.objects.get().status == "pending"


def test_a_rejection_reason_is_at_most_255_characters(applicant):
    refused(ValidationFailed, services.application_reject, member_id=applicant.pk, reason="x" * 256)


def test_automatic_approval_happens_once(applicant):
    assert services.application_auto_approve(member_id=applicant.pk, at=T0 + DAY) is True
    assert services.application_auto_approve(member_id=applicant.pk, at=T0 + 2 * DAY) is False
    application = Application.objects.get()
    assert (application.status, application.decided_by, application.decided_at) == ("approved", "auto", T0 + DAY)
    assert Member.objects.get(pk=applicant.pk).status == "active"


def test_application_lists(applicant, member_factory):
    second = member_factory(status=Member.Status.PENDING)
    services.application_open(member_id=second.pk, at=T0 - DAY)
    third = member_factory(status=Member.Status.PENDING)
    services.application_open(member_id=third.pk, at=T0 + DAY)
    services.application_reject(member_id=third.pk, reason="no")
    assert [a.member_id for a in selectors.applications_pending()] == [second.pk, applicant.pk]
    assert [a.member_id for a in selectors.application_list()] == [second.pk, applicant.pk, third.pk]
    assert [a.member_id for a in selectors.application_list(status="rejected")] == [third.pk]
    with pytest.raises(ValidationFailed):
        selectors.application_list(status="maybe")


# --- plans ------------------------------------------------------------------------------------


def test_a_plan_is_created_and_updated():
    plan = services.plan_create(name=" طلایی ", fee_rial=5_000_000, duration_days=30, earn_percent=150,
                            description="دو برابر امتیاز")
    assert (plan.name, plan.fee_rial, plan.duration_days, plan.earn_percent, plan.description, plan.active) == (
        "طلایی", 5_000_000, 30, 150, "دو برابر امتیاز", True)
    updated = services.plan_update(plan_id=plan.pk, fee_rial=6_000_000, active=False)
    assert (updated.name, updated.fee_rial, updated.duration_days, updated.active) == ("طلایی", 6_000_000, 30, False)
    assert MembershipPlan.objects.get().fee_rial == 6_000_000
    assert list(selectors.plan_list(active=True)) == []
    assert list(selectors.plan_list()) == [plan]


@pytest.mark.parametrize("field, value", [
    ("name", ""), ("name", "x" * 101), ("fee_rial", -1), ("fee_rial", 10**15 + 1), ("fee_rial", "100"),
    ("fee_rial", True), ("duration_days", 0), ("duration_days", 3661), ("earn_percent", -1),
    ("earn_percent", 1001), ("active", "yes"),
])
def test_a_plan_with_invalid_values_is_refused(field, value):
    fields = {"name": "طلایی", "fee_rial": 5_000_000, "duration_days": 30, field: value}
    error = refused(ValidationFailed, services.plan_create, **fields)
    assert list(error.details) == [field]


def test_updating_a_missing_plan_is_plan_not_found():
    refused(PlanNotFound, services.plan_update, plan_id=999, name="x")
    refused(PlanNotFound, services.plan_update, plan_id="abc", name="x")


# --- paid periods -----------------------------------------------------------------------------


@pytest.fixture
def gold(db):
    return services.plan_create(name="طلایی", fee_rial=5_000_000, duration_days=30, earn_percent=150)


@pytest.fixture
def silver(db):
    return services.plan_create(name="نقره‌ای", fee_rial=2_000_000, duration_days=10, earn_percent=120)


def _period(m: Membership) -> tuple:
    return m.plan_id, m.starts_at, m.ends_at, m.amount_rial


def test_a_payment_starts_a_period_now(member, gold, merchant):
    membership = services.membership_record(member_id=member.pk, plan_id=gold.pk, amount_rial=5_000_000,
                                        payment_reference="PAY-1", channel="pos", merchant_id=merchant.pk, at=T0)
    assert _period(membership) == (gold.pk, T0, T0 + 30 * DAY, 5_000_000)
    assert (membership.payment_reference, membership.channel, membership.merchant_id) == ("PAY-1", "pos", merchant.pk)
    assert selectors.member_membership(member_id=member.pk, at=T0) == membership
    assert selectors.member_membership(member_id=member.pk, at=T0 - timedelta(seconds=1)) is None


def test_a_renewal_starts_when_the_current_period_ends(member, gold, silver):
    first = services.membership_record(member_id=member.pk, plan_id=gold.pk, amount_rial=5_000_000, at=T0)
    # Renewed 10 days early: the new period follows on from the first's end
    second = services.membership_record(member_id=member.pk, plan_id=gold.pk, amount_rial=5_000_000, at=T0 + 20 * DAY)
    # And a change of plan, paid the same day, follows on from the second
    third = services.membership_record(member_id=member.pk, plan_id=silver.pk, amount_rial=2_000_000, at=T0 + 20 * DAY)
    assert [_period(m) for m in (first, second, third)] == [
        (gold.pk, T0, T0 + 30 * DAY, 5_000_000),
        (gold.pk, T0 + 30 * DAY, T0 + 60 * DAY, 5_000_000),
        (silver.pk, T0 + 60 * DAY, T0 + 70 * DAY, 2_000_000),
    ]
    assert selectors.member_membership(member_id=member.pk, at=T0 + 30 * DAY) == second
    assert selectors.member_membership(member_id=member.pk, at=T0 + 65 * DAY) == third
    assert selectors.member_membership(member_id=member.pk, at=T0 + 70 * DAY) is None
    assert list(selectors.member_memberships(member_id=member.pk)) == [third, second, first]


def test_a_payment_after_a_lapse_starts_a_new_period_then(member, gold):
    services.membership_record(member_id=member.pk, plan_id=gold.pk, amount_rial=5_000_000, at=T0)
    later = services.membership_record(member_id=member.pk, plan_id=gold.pk, amount_rial=5_000_000, at=T0 + 45 * DAY)
    assert _period(later) == (gold.pk, T0 + 45 * DAY, T0 + 75 * DAY, 5_000_000)


def test_the_amount_must_be_the_plans_fee(member, gold):
    error = refused(ValidationFailed, services.membership_record, member_id=member.pk, plan_id=gold.pk,
                    amount_rial=4_999_999, at=T0)
    assert error.details == {"amount_rial": "must be the plan's fee, 5000000", "fee_rial": 5_000_000}


def test_a_plan_off_sale_is_refused(member, gold):
    services.plan_update(plan_id=gold.pk, active=False)
    error = refused(PlanInactive, services.membership_record, member_id=member.pk, plan_id=gold.pk,
                    amount_rial=5_000_000, at=T0)
    assert (error.code, error.status, error.details) == ("plan_inactive", 409, {"plan_id": gold.pk})


def test_a_blocked_member_cannot_pay(member, gold):
    member_status_set(member=member, status=Member.Status.BLOCKED)
    error = refused(MemberBlocked, services.membership_record, member_id=member.pk, plan_id=gold.pk,
                    amount_rial=5_000_000, at=T0)
    assert error.code == "member_blocked"


@pytest.mark.parametrize("kwargs, error", [
    ({"plan_id": 999}, PlanNotFound), ({"plan_id": "x"}, PlanNotFound), ({"member_id": 999}, MemberNotFound),
    ({"channel": "web"}, ValidationFailed), ({"amount_rial": "5000000"}, ValidationFailed),
    ({"payment_reference": "x" * 101}, ValidationFailed), ({"at": datetime(2025, 3, 1)}, ValidationFailed),
])
def test_invalid_payments_are_refused(member, gold, kwargs, error):
    refused(error, services.membership_record, **{"member_id": member.pk, "plan_id": gold.pk,
                                              "amount_rial": 5_000_000, "at": T0, **kwargs})


def test_the_same_payment_reference_is_one_payment(member, gold, silver, member_factory):
    first = services.membership_record(member_id=member.pk, plan_id=gold.pk, amount_rial=5_000_000,
                                   payment_reference="PAY-1", at=T0)
    # A retry (same plan and amount) answers the recorded period, even once the plan is off sale
    services.plan_update(plan_id=gold.pk, active=False)
    before = db_state(*WRITES)
    again = services.membership_record(member_id=member.pk, plan_id=gold.pk, amount_rial=5_000_000,
                                   payment_reference=" PAY-1 ", at=T0 + DAY)
    assert again == first and _period(again) == _period(first)
    assert db_state(*WRITES) == before
    # The same reference for another plan is a different payment: refused
    error = refused(DuplicatePayment, services.membership_record, member_id=member.pk, plan_id=silver.pk,
                    amount_rial=2_000_000, payment_reference="PAY-1", at=T0 + DAY)
    assert (error.code, error.status, error.details) == (
        "duplicate_payment", 409, {"payment_reference": "PAY-1", "membership_id": first.pk})
    # Another member may have the same reference (another shop's receipt numbering)
    services.plan_update(plan_id=gold.pk, active=True)
    other = member_factory()
    services.membership_record(member_id=other.pk, plan_id=gold.pk, amount_rial=5_000_000, payment_reference="PAY-1",
                           at=T0)
    # Without a reference every payment is a new one
    services.membership_record(member_id=member.pk, plan_id=gold.pk, amount_rial=5_000_000, at=T0)
    services.membership_record(member_id=member.pk, plan_id=gold.pk, amount_rial=5_000_000, at=T0)
    assert Membership.objects.filter(member=member).count() == 3


def test_the_earn_percent_is_the_active_plans(member, gold):
    assert selectors.member_earn_percent_from_plan(member.pk, T0) == 100
    services.membership_record(member_id=member.pk, plan_id=gold.pk, amount_rial=5_000_000, at=T0)
    assert selectors.member_earn_percent_from_plan(member.pk, T0) == 150
    assert selectors.member_earn_percent_from_plan(member_id=member.pk, at=T0 + 30 * DAY - timedelta(seconds=1)) == 150
    # Expired: just time passing
    assert selectors.member_earn_percent_from_plan(member.pk, T0 + 30 * DAY) == 100
    assert selectors.member_earn_percent_from_plan(member.pk, T0 - DAY) == 100


def test_memberships_expiring_are_those_not_yet_renewed(member_factory, gold, silver):
    soon, renewed, later = member_factory(), member_factory(), member_factory()
    ending = services.membership_record(member_id=soon.pk, plan_id=silver.pk, amount_rial=2_000_000, at=T0)  # T0+10d
    services.membership_record(member_id=renewed.pk, plan_id=silver.pk, amount_rial=2_000_000, at=T0)
    services.membership_record(member_id=renewed.pk, plan_id=silver.pk, amount_rial=2_000_000, at=T0)
    services.membership_record(member_id=later.pk, plan_id=gold.pk, amount_rial=5_000_000, at=T0)  # T0+30d
    assert list(selectors.memberships_expiring(within_days=14, at=T0 + DAY)) == [ending]
    assert [m.member_id for m in selectors.memberships_expiring(within_days=30, at=T0 + DAY)] == [soon.pk, renewed.pk,
                                                                                           later.pk]
    # On the day the first ends it is over; the renewed member's second period ends within 14 days
    assert [(m.member_id, m.ends_at) for m in selectors.memberships_expiring(within_days=14, at=T0 + 10 * DAY)] == [
        (renewed.pk, T0 + 20 * DAY)]


# --- admin ------------------------------------------------------------------------------------


def test_staff_decide_applications_from_the_admin(admin_client, applicant, member_factory):
    other = member_factory(status=Member.Status.PENDING)
    services.application_open(member_id=other.pk, at=T0)
    first, second = Application.objects.order_by("pk")
    assert admin_client.get("/admin/members/application/").status_code == 200
    assert admin_client.get(f"/admin/members/application/{first.pk}/change/").status_code == 200

    admin_client.post("/admin/members/application/", {"action": "approve", "_selected_action": [first.pk]})
    admin_client.post("/admin/members/application/", {"action": "reject", "_selected_action": [second.pk]})
    assert sorted(Application.objects.values_list("member_id", "status", "decided_by")) == [
        (applicant.pk, "approved", "admin"), (other.pk, "rejected", "admin")]
    assert sorted(Member.objects.values_list("pk", "status")) == [(applicant.pk, "active"), (other.pk, "blocked")]

    # A decided one is refused with the reason shown, and stays as it was
    before = db_state(*WRITES)
    admin_client.cookies["django_language"] = "en"  # pages follow the language switch, not the browser
    response = admin_client.post("/admin/members/application/", {"action": "reject", "_selected_action": [first.pk]},
                                 follow=True)
    assert "This application has already been decided." in response.content.decode()
    assert db_state(*WRITES) == before


def test_plans_and_paid_periods_show_in_the_admin(admin_client, member, gold):
    services.membership_record(member_id=member.pk, plan_id=gold.pk, amount_rial=5_000_000, at=T0)
    for url in ("/admin/members/membershipplan/", f"/admin/members/membershipplan/{gold.pk}/change/",
                "/admin/members/membership/", "/admin/referrals/referral/"):
        assert admin_client.get(url).status_code == 200, url
