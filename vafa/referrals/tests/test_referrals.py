"""Referrals: recorded when a member joins with a code, refused for the reasons of the issue
(self-referral, someone referred before, the referrer's limit per period, a blocked referrer)
with nothing written, and completed exactly once."""

from datetime import UTC, datetime, timedelta

import pytest

from vafa.core.errors import InvalidReferralCode, ReferralRefused
from vafa.core.tests import fixtures
from vafa.core.tests.fixtures import db_state
from vafa.ledger.models import Account
from vafa.members.models import Member
from vafa.members.services import member_create, member_status_set
from vafa.program.models import ProgramSettings
from vafa.referrals.models import Referral
from vafa.referrals.selectors import member_referrals, referral_link, referral_of, referral_policy
from vafa.referrals.services import referral_complete

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
# National codes with valid check digits.
CODE_A = "0012345679"
CODE_B = "1112223339"
CODE_C = "1234567891"


def program(**fields) -> None:
    ProgramSettings.objects.update_or_create(pk=1, defaults=fields)


JOIN_WRITES = (Member, Account, Referral)  # what a join may write, to prove a refused one wrote nothing


def refused(reason: str, **join) -> None:
    """Joining with `join` is refused for `reason`, and nothing changed."""
    with fixtures.refused(ReferralRefused, *JOIN_WRITES) as caught:
        member_create(**join)
    assert caught.value.code == "referral_refused"
    assert caught.value.status == 409
    assert caught.value.details == {"reason": reason}


@pytest.fixture
def referrer(member_factory):
    return member_factory(phone="09120000001", national_id=CODE_A, joined_at=T0 - timedelta(days=400))


# --- recorded on joining ----------------------------------------------------------------------


def test_joining_with_a_code_records_a_pending_referral(referrer):
    # When a friend joins with the referrer's code (in lower case, as typed on a phone)
    friend = member_create(phone="09351112233", first_name="علی", national_id=CODE_B,
                           referral_code=referrer.referral_code.lower(), joined_at=T0)
    # Then the referral links the two, pending, dated when the friend joined
    referral = Referral.objects.get()
    assert (referral.referrer_id, referral.referred_id, referral.phone, referral.national_id, referral.status,
            referral.created_at, referral.completed_at, referral.purchase_id) == (
        referrer.pk, friend.pk, "+989351112233", CODE_B, "pending", T0, None, None)
    assert friend.referred_by_id == referrer.pk
    assert referral_of(member_id=friend.pk) == referral
    assert referral_of(member_id=referrer.pk) is None


def test_joining_without_a_code_records_nothing(member_factory):
    member_factory()
    assert Referral.objects.count() == 0


def test_an_unknown_code_is_invalid_and_creates_nothing(referrer):
    with fixtures.refused(InvalidReferralCode, *JOIN_WRITES):
        member_create(phone="09351112233", referral_code="NOSUCH7")


# --- refusals ---------------------------------------------------------------------------------


def test_a_self_referral_by_national_code_is_refused(referrer):
    # A second phone of the same person (same national code) cannot use their own code
    refused("self_referral", phone="09351112233", national_id=CODE_A, referral_code=referrer.referral_code)


def test_a_phone_referred_before_is_refused_even_after_leaving_and_joining_again(referrer, member_factory):
    # Given a friend referred once, who then left the club
    friend = member_create(phone="09351112233", referral_code=referrer.referral_code, joined_at=T0)
    Account.objects.filter(member=friend).delete()
    friend.delete()
    assert Referral.objects.get().referred_id is None
    other = member_factory(phone="09120000002")
    # When they join again with the same phone, with anyone's code: refused
    refused("already_referred", phone="09351112233", referral_code=other.referral_code)
    refused("already_referred", phone="09351112233", referral_code=referrer.referral_code)
    # Without a code they may still join
    assert member_create(phone="09351112233").referred_by_id is None
    assert Referral.objects.count() == 1


def test_a_national_code_referred_before_is_refused_with_another_phone(referrer, member_factory):
    member_create(phone="09351112233", national_id=CODE_B, referral_code=referrer.referral_code, joined_at=T0)
    other = member_factory(phone="09120000002")
    refused("already_referred", phone="09359998877", national_id=CODE_B, referral_code=other.referral_code)
    # Another person (another national code) is welcome
    member_create(phone="09359998877", national_id=CODE_C, referral_code=other.referral_code)
    assert Referral.objects.count() == 2


def test_no_national_code_never_counts_as_the_same_person(referrer):
    # Members without a national code are told apart by phone only
    member_create(phone="09351112233", referral_code=referrer.referral_code, joined_at=T0)
    member_create(phone="09351112234", referral_code=referrer.referral_code, joined_at=T0)
    assert Referral.objects.count() == 2


def test_a_blocked_referrers_code_is_refused(referrer):
    member_status_set(member=referrer, status=Member.Status.BLOCKED)
    refused("referrer_blocked", phone="09351112233", referral_code=referrer.referral_code)


def test_the_limit_counts_the_referrers_referrals_of_the_last_period(referrer):
    # Given at most 2 referrals per 30 days
    program(referral_limit=2, referral_period_days=30)
    assert referral_policy().limit == 2

    def join(n: int, at: datetime):
        return member_create(phone=f"093511100{n:02d}", referral_code=referrer.referral_code, joined_at=at)

    join(1, T0)
    join(2, T0 + timedelta(days=1))
    # Then a third within the 30 days is refused
    refused("limit_reached", phone="09351110003", referral_code=referrer.referral_code,
            joined_at=T0 + timedelta(days=29, hours=23))
    # Exactly 30 days after the first, it has left the window: one in the period, so one more fits
    join(3, T0 + timedelta(days=30))
    refused("limit_reached", phone="09351110004", referral_code=referrer.referral_code,
            joined_at=T0 + timedelta(days=30, hours=1))
    # 31 days after the second, the window holds only the third
    join(4, T0 + timedelta(days=31))
    assert Referral.objects.filter(referrer=referrer).count() == 4


def test_the_limit_is_per_referrer_and_none_means_no_limit(referrer, member_factory):
    program(referral_limit=1, referral_period_days=30)
    other = member_factory(phone="09120000002")
    member_create(phone="09351110001", referral_code=referrer.referral_code, joined_at=T0)
    member_create(phone="09351110002", referral_code=other.referral_code, joined_at=T0)
    refused("limit_reached", phone="09351110003", referral_code=referrer.referral_code, joined_at=T0)

    program(referral_limit=None)
    for n in range(3, 8):
        member_create(phone=f"093511100{n:02d}", referral_code=referrer.referral_code, joined_at=T0)
    assert Referral.objects.filter(referrer=referrer).count() == 6


def test_a_limit_of_zero_refuses_every_referral(referrer):
    program(referral_limit=0, referral_period_days=30)
    refused("limit_reached", phone="09351110001", referral_code=referrer.referral_code, joined_at=T0)


# --- completion -------------------------------------------------------------------------------


def test_the_first_purchase_completes_the_referral_once(referrer):
    friend = member_create(phone="09351112233", referral_code=referrer.referral_code, joined_at=T0)
    at = T0 + timedelta(days=3)
    # When the friend's purchase completes it
    done = referral_complete(member_id=friend.pk, purchase_id=41, at=at)
    # Then it is completed by that purchase, and answered
    assert (done.pk, done.referrer_id, done.status, done.completed_at, done.purchase_id) == (
        Referral.objects.get().pk, referrer.pk, "completed", at, 41)
    # And a second purchase completes nothing, and changes nothing
    before = db_state(*JOIN_WRITES)
    assert referral_complete(member_id=friend.pk, purchase_id=42, at=at + timedelta(days=1)) is None
    assert db_state(*JOIN_WRITES) == before
    assert Referral.objects.get().purchase_id == 41


def test_completing_for_a_member_who_was_not_referred_answers_none(referrer):
    assert referral_complete(member_id=referrer.pk, purchase_id=1, at=T0) is None
    assert Referral.objects.count() == 0


# --- reads ------------------------------------------------------------------------------------


def test_member_referrals_lists_the_referred_with_masked_phones_newest_first(referrer):
    first = member_create(phone="09351112233", first_name="علی", last_name="رضایی",
                          referral_code=referrer.referral_code, joined_at=T0)
    member_create(phone="09129876543", referral_code=referrer.referral_code, joined_at=T0 + timedelta(days=2))
    referral_complete(member_id=first.pk, purchase_id=7, at=T0 + timedelta(days=5))

    rows = member_referrals(member_id=referrer.pk)
    assert [(r.name, r.phone, r.status, r.joined_at, r.completed_at) for r in rows] == [
        ("", "+98912***6543", "pending", T0 + timedelta(days=2), None),
        ("علی رضایی", "+98935***2233", "completed", T0, T0 + timedelta(days=5)),
    ]
    assert rows[1].member_id == first.pk
    assert member_referrals(member_id=first.pk) == []


def test_the_referral_link_is_absolute_when_the_public_address_is_known(settings):
    assert referral_link(code="ABC4567") == "/join?ref=ABC4567"
    settings.VAFA_PUBLIC_URL = "https://club.example.ir/"
    assert referral_link(code="ABC4567") == "https://club.example.ir/join?ref=ABC4567"


def test_at_its_limit_a_code_answers_the_same_whatever_national_code_is_guessed(referrer):
    # A referral code at its limit must not tell a right guess of the referrer's national code
    # (self_referral) from a wrong one: the answer would let anyone read the whole code.
    program(referral_limit=1, referral_period_days=30)
    member_create(phone="09351110001", referral_code=referrer.referral_code, joined_at=T0)
    for guess in (CODE_A, CODE_B):
        refused("limit_reached", phone="09351110002", national_id=guess, referral_code=referrer.referral_code,
                joined_at=T0 + timedelta(hours=1))
