"""vafa/commerce/club.py: joining an open or a closed club, and a closed club's automatic
approval once the applicant's spend over the last months reaches the threshold.

The purchases of the approval tests happen in 2024, long before the real clock, so that only
the explicit `application_review(now=...)` of each test can count them."""

from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.utils import timezone

from vafa.commerce.after_purchase import application_review
from vafa.commerce.selectors import member_spend
from vafa.commerce.services import purchase_record, refund_record
from vafa.core.errors import MemberExists, ReferralRefused
from vafa.core.tests.fixtures import db_state
from vafa.ledger.models import Account
from vafa.members.models import Application, Member
from vafa.members.services import application_reject
from vafa.program.models import ProgramSettings
from vafa.program.selectors import club_policy
from vafa.referrals.models import Referral
from vafa.usecases.joining import member_join

pytestmark = pytest.mark.django_db


def at(month: int, day: int, year: int = 2024) -> datetime:
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


def program(**fields) -> None:
    ProgramSettings.objects.update_or_create(pk=1, defaults=fields)


JOIN_WRITES = (Member, Account, Application, Referral)  # what joining may write


def closed(spend: int | None = 10_000_000, months: int = 6) -> None:
    program(club_mode="closed", approve_spend_rial=spend, approve_months=months)


# --- joining ----------------------------------------------------------------------------------


def test_an_open_club_lets_the_member_in_at_once(merchant):
    assert club_policy().closed is False
    member = member_join(merchant_id=merchant.pk, phone="09121234567", first_name="سارا")
    assert (member.status, Member.objects.get().status, member.merchant_id) == ("active", "active", merchant.pk)
    assert Application.objects.count() == 0


def test_a_closed_club_makes_joining_an_application(merchant):
    closed()
    joined_at = at(3, 1)
    member = member_join(merchant_id=merchant.pk, phone="09121234567", first_name="سارا", joined_at=joined_at)
    assert (member.status, Member.objects.get().status) == ("pending", "pending")
    application = Application.objects.get()
    assert (application.member_id, application.status, application.created_at, application.decided_at,
            application.decided_by) == (member.pk, "pending", joined_at, None, "")


def test_a_closed_club_that_approves_on_no_spend_approves_at_once(merchant):
    closed(spend=0)
    member = member_join(merchant_id=merchant.pk, phone="09121234567", joined_at=at(3, 1))
    assert (member.status, Member.objects.get().status) == ("active", "active")
    application = Application.objects.get()
    assert (application.status, application.decided_by, application.decided_at) == ("approved", "auto", at(3, 1))


def test_a_refused_join_leaves_nothing_behind(merchant, member_factory):
    closed()
    referrer = member_factory(phone="09120000001", national_id="0012345679")
    before = db_state(*JOIN_WRITES)
    # A refused referral rolls back the member and the application
    with pytest.raises(ReferralRefused):
        member_join(merchant_id=merchant.pk, phone="09351112233", national_id="0012345679",
                    referral_code=referrer.referral_code)
    assert db_state(*JOIN_WRITES) == before
    with pytest.raises(MemberExists):
        member_join(merchant_id=merchant.pk, phone="09120000001")
    assert db_state(*JOIN_WRITES) == before


def test_a_closed_club_join_with_a_code_records_the_referral(merchant, member_factory):
    closed()
    referrer = member_factory(phone="09120000001")
    member = member_join(merchant_id=merchant.pk, phone="09351112233", referral_code=referrer.referral_code)
    assert Referral.objects.get().referred_id == member.pk
    assert Application.objects.get().member_id == member.pk


# --- automatic approval -----------------------------------------------------------------------


@pytest.fixture
def applicant(merchant):
    closed(spend=10_000_000, months=6)
    return member_join(merchant_id=merchant.pk, phone="09121234567", joined_at=at(1, 1))


def buy(merchant, member, amount: int, when: datetime) -> int:
    return purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=amount, occurred_at=when).purchase.pk


def test_the_purchase_that_reaches_the_spend_approves_the_applicant(merchant, applicant):
    # Given 9,000,000 IRR spent in the last 6 months: not enough
    buy(merchant, applicant, 4_000_000, at(1, 10))
    buy(merchant, applicant, 5_000_000, at(5, 1))
    before = db_state(*JOIN_WRITES)
    assert member_spend(member_id=applicant.pk, since=at(1, 1)) == 9_000_000
    assert application_review(member_id=applicant.pk, now=at(5, 1)) is False
    assert db_state(*JOIN_WRITES) == before
    # When a purchase of 1,000,000 brings it to exactly 10,000,000 (reviewed in its transaction)
    with transaction.atomic():
        buy(merchant, applicant, 1_000_000, at(6, 1))
        assert application_review(member_id=applicant.pk, now=at(6, 1)) is True
    # Then the application is approved automatically and the member is active
    application = Application.objects.get()
    assert (application.status, application.decided_by, application.decided_at) == ("approved", "auto", at(6, 1))
    assert Member.objects.get().status == "active"
    # And reviewing again changes nothing
    before = db_state(*JOIN_WRITES)
    assert application_review(member_id=applicant.pk, now=at(6, 2)) is False
    assert db_state(*JOIN_WRITES) == before


def test_only_the_last_months_count(merchant, applicant):
    buy(merchant, applicant, 4_000_000, at(1, 10))
    buy(merchant, applicant, 5_000_000, at(5, 1))
    # On 15 July the window starts on 15 January: the January purchase no longer counts
    buy(merchant, applicant, 2_000_000, at(7, 15))
    assert application_review(member_id=applicant.pk, now=at(7, 15)) is False
    assert Member.objects.get().status == "pending"
    # A purchase made exactly when the window starts counts (31 Aug - 6 months = 29 Feb 2024)
    buy(merchant, applicant, 3_000_000, at(2, 29))
    assert member_spend(member_id=applicant.pk, since=at(2, 29)) == 10_000_000
    assert application_review(member_id=applicant.pk, now=at(8, 31)) is True


def test_refunds_do_not_count_as_spend(merchant, applicant):
    purchase_id = buy(merchant, applicant, 10_000_000, at(3, 1))
    refund_record(merchant_id=merchant.pk, purchase_id=purchase_id, amount=1)
    assert member_spend(member_id=applicant.pk, since=at(1, 1)) == 9_999_999
    assert application_review(member_id=applicant.pk, now=at(3, 1)) is False
    assert Member.objects.get().status == "pending"


def test_a_club_where_staff_approve_every_application_never_approves_automatically(merchant, applicant):
    program(approve_spend_rial=None)
    buy(merchant, applicant, 50_000_000, at(3, 1))
    before = db_state(*JOIN_WRITES)
    assert application_review(member_id=applicant.pk, now=at(3, 1)) is False
    assert db_state(*JOIN_WRITES) == before


def test_a_rejected_applicant_is_not_approved_by_spending(merchant, applicant):
    buy(merchant, applicant, 50_000_000, at(3, 1))
    application_reject(member_id=applicant.pk, reason="no")
    before = db_state(*JOIN_WRITES)
    assert application_review(member_id=applicant.pk, now=at(3, 1)) is False
    assert db_state(*JOIN_WRITES) == before


def test_a_member_known_not_to_be_pending_costs_no_query(merchant, member, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert application_review(member_id=member.pk, now=timezone.now(), member_status="active") is False
    with django_assert_num_queries(1):
        assert application_review(member_id=member.pk, now=timezone.now()) is False


def test_a_purchase_today_approves_within_its_transaction(merchant, applicant):
    # Whoever reviews it (this call, or the purchase itself once it does), the applicant who
    # reaches the spend with today's purchase ends up approved automatically
    with transaction.atomic():
        buy(merchant, applicant, 10_000_000, timezone.now())
        application_review(member_id=applicant.pk, now=timezone.now())
    application = Application.objects.get()
    assert (application.status, application.decided_by) == ("approved", "auto")
    assert Member.objects.get().status == "active"
