"""member_create: who can join, in which form their data is stored, and what a refusal leaves behind."""

import datetime as dt

import pytest
from django.utils import timezone

from vafa.core.codes import ALPHABET
from vafa.core.errors import (
    InvalidNationalId,
    InvalidPhone,
    InvalidReferralCode,
    MemberExists,
    ValidationFailed,
)
from vafa.ledger.models import Account, Transfer
from vafa.ledger.selectors import member_points
from vafa.members.models import Consent, Interest, Member, Occasion
from vafa.members.services import member_create

pytestmark = pytest.mark.django_db

E164 = "+989121234567"
NATIONAL_CODE = "0499370899"  # a person's national code with a valid check digit
LEGAL_ID = "10101234565"  # an organisation's national ID with a valid check digit


def club_state() -> dict:
    """Everything member_create may write, to prove that a refusal wrote nothing."""
    return {
        "members": sorted(Member.objects.values_list("id", "phone")),
        "accounts": sorted(Account.objects.values_list("id", "code", "balance")),
        "consents": Consent.objects.count(),
        "interests": sorted(Interest.objects.values_list("slug", flat=True)),
        "member_interests": Member.interests.through.objects.count(),
        "occasions": Occasion.objects.count(),
        "transfers": Transfer.objects.count(),
    }


# --- phone numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "09121234567",
        "9121234567",
        "+989121234567",
        "00989121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",  # Persian digits
        "٠٩١٢١٢٣٤٥٦٧",  # Arabic-Indic digits
        "+۹۸۹۱۲۱۲۳۴۵۶۷",
        "0912 123 4567",
    ],
)
def test_every_common_phone_form_is_stored_as_e164(raw):
    # Given nobody in the club, When a member joins with the number written this way
    member = member_create(phone=raw, first_name="سارا", last_name="محمدی")
    # Then it is stored (and answered) in E.164
    assert member.phone == E164
    assert Member.objects.get(pk=member.pk).phone == E164


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "12345", "0912123456", "091212345678", "02188776655", "+14155552671", "0912abc4567", "۰۲۱۸۸۷۷۶۶۵۵"],
)
def test_an_invalid_phone_is_refused_and_creates_nothing(raw, member_factory):
    # Given one member already in the club
    member_factory(phone="09350000001")
    before = club_state()
    # When someone joins with a number that is not an Iranian mobile
    with pytest.raises(InvalidPhone) as caught:
        member_create(phone=raw, first_name="علی", consents={"sms": True}, interests=["چای"])
    # Then the error says so and nothing was written
    assert caught.value.code == "invalid_phone"
    assert club_state() == before


def test_the_same_phone_in_another_form_is_member_exists(member_factory):
    # Given a member who joined with 0912...
    first = member_factory(phone="09121234567")
    before = club_state()
    # When someone joins with the same number as +98 / Persian digits
    for again in ("+989121234567", "۰۹۱۲۱۲۳۴۵۶۷", "9121234567"):
        with pytest.raises(MemberExists) as caught:
            member_create(phone=again, first_name="دیگری")
        # Then it is the same person: member_exists, nothing created
        assert caught.value.code == "member_exists"
        assert caught.value.details == {"phone": E164}
    assert club_state() == before
    assert Member.objects.get().pk == first.pk


# --- national code / national ID -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        ("person", NATIONAL_CODE, NATIONAL_CODE),
        ("person", "۰۴۹۹۳۷۰۸۹۹", NATIONAL_CODE),
        ("person", "049-937089-9", NATIONAL_CODE),
        ("organization", LEGAL_ID, LEGAL_ID),
        ("organization", "۱۰۱۰۱۲۳۴۵۶۵", LEGAL_ID),
    ],
)
def test_a_valid_national_id_is_stored_as_ascii_digits(kind, raw, stored):
    member = member_create(phone="09121234567", kind=kind, organization_name="شرکت نمونه", national_id=raw)
    assert Member.objects.get(pk=member.pk).national_id == stored
    assert member.kind == kind


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("person", "0499370898"),  # wrong check digit
        ("person", "1111111111"),  # placeholder
        ("person", "12345"),
        ("person", LEGAL_ID),  # an organisation's ID for a person
        ("organization", NATIONAL_CODE),  # a person's code for an organisation
        ("organization", "10101234564"),  # wrong check digit
        ("organization", "abcdefghijk"),
    ],
)
def test_an_invalid_national_id_for_the_kind_is_refused_and_creates_nothing(kind, raw, member_factory):
    member_factory(phone="09350000001")
    before = club_state()
    with pytest.raises(InvalidNationalId) as caught:
        member_create(
            phone="09121234567", kind=kind, organization_name="شرکت نمونه", national_id=raw, consents={"sms": True}
        )
    assert caught.value.code == "invalid_national_id"
    assert club_state() == before


def test_no_national_id_is_fine():
    member = member_create(phone="09121234567", national_id="")
    assert member.national_id == ""


# --- kind and other fields ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   "])
def test_an_organisation_needs_its_name(name):
    before = club_state()
    with pytest.raises(ValidationFailed) as caught:
        member_create(phone="09121234567", kind="organization", organization_name=name)
    assert caught.value.code == "validation_error"
    assert caught.value.details == {"organization_name": "required for an organization"}
    assert club_state() == before


def test_an_organisation_with_its_name():
    member = member_create(
        phone="09121234567",
        kind="organization",
        organization_name="  شرکت وفا  ",
        first_name="رضا",
        national_id=LEGAL_ID,
    )
    stored = Member.objects.get(pk=member.pk)
    assert (stored.kind, stored.organization_name, stored.display_name) == ("organization", "شرکت وفا", "شرکت وفا")


@pytest.mark.parametrize(
    ("fields", "details_key"),
    [
        ({"kind": "company"}, "kind"),
        ({"status": "deleted"}, "status"),
        ({"email": "not-an-email"}, "email"),
        ({"birth_date": dt.date.today() + dt.timedelta(days=2)}, "birth_date"),
        ({"consents": {"sms": True, "fax": True}}, "consents"),
        ({"occasions": [{"kind": "birthday", "date": dt.date(2020, 1, 1)}]}, "occasions"),
        ({"occasions": [{"kind": "wedding", "date": "2020-01-01"}]}, "occasions"),
    ],
)
def test_invalid_fields_are_refused_and_create_nothing(fields, details_key):
    before = club_state()
    with pytest.raises(ValidationFailed) as caught:
        member_create(phone="09121234567", first_name="سارا", **fields)
    assert caught.value.code == "validation_error"
    assert list(caught.value.details) == [details_key]
    assert club_state() == before


def test_a_new_member_is_stored_with_its_fields(merchant):
    member = member_create(
        phone="09121234567",
        first_name="  سارا ",
        last_name=" محمدی ",
        email=" sara@example.com ",
        birth_date=dt.date(1990, 5, 17),
        merchant_id=merchant.id,
    )
    stored = Member.objects.get(pk=member.pk)
    assert (stored.first_name, stored.last_name, stored.email) == ("سارا", "محمدی", "sara@example.com")
    assert stored.birth_date == dt.date(1990, 5, 17)
    assert (stored.kind, stored.status, stored.merchant_id) == ("person", "active", merchant.id)
    assert stored.referred_by is None


# --- referrals ------------------------------------------------------------------------------


def test_an_unknown_referral_code_is_refused_and_creates_nothing(member_factory):
    member_factory(phone="09350000001")
    before = club_state()
    with pytest.raises(InvalidReferralCode) as caught:
        member_create(
            phone="09121234567",
            referral_code="NOPE123",
            consents={"sms": True},
            interests=["چای"],
            occasions=[{"kind": "wedding", "date": dt.date(2015, 6, 1)}],
        )
    assert caught.value.code == "invalid_referral_code"
    assert club_state() == before


def test_a_valid_referral_code_links_the_referrer(member_factory):
    # Given a member with a referral code
    referrer = member_factory(phone="09350000001")
    # When a friend joins with it (typed in lower case with a dash)
    code = referrer.referral_code
    friend = member_create(phone="09121234567", referral_code=f"{code[:3].lower()}-{code[3:].lower()}")
    # Then the friend is linked to the referrer, and has a code of their own
    assert Member.objects.get(pk=friend.pk).referred_by_id == referrer.pk
    assert list(referrer.referrals.all()) == [friend]
    assert friend.referral_code != referrer.referral_code


def test_referral_codes_are_unique_and_readable(member_factory):
    members = [member_factory() for _ in range(25)]
    codes = [m.referral_code for m in members]
    assert len(set(codes)) == 25
    assert all(len(c) == 7 and set(c) <= set(ALPHABET) for c in codes)


def test_a_referral_code_collision_draws_again(monkeypatch, member_factory):
    # Given the code generator answers an already used code first
    draws = iter(["AAAAAAA", "AAAAAAA", "BBBBBBB"])
    monkeypatch.setattr("vafa.members.services.random_code", lambda length=7: next(draws))
    first = member_factory()
    # When the next member joins, Then the taken code is skipped
    second = member_factory()
    assert (first.referral_code, second.referral_code) == ("AAAAAAA", "BBBBBBB")


# --- consents, interests, occasions ---------------------------------------------------------


def test_consents_are_stored_per_channel_with_a_time():
    before = timezone.now()
    member = member_create(phone="09121234567", consents={"sms": True, "email": False})
    after = timezone.now()
    rows = {c.channel: c for c in Consent.objects.filter(member=member)}
    assert {ch: c.granted for ch, c in rows.items()} == {"sms": True, "email": False}
    assert all(before <= c.changed_at <= after for c in rows.values())


def test_no_consents_means_no_rows():
    member = member_create(phone="09121234567")
    assert not Consent.objects.filter(member=member).exists()


def test_interests_are_deduplicated_and_shared_between_members():
    first = member_create(phone="09121234567", interests=["چای", "قهوه", " چای ", "", "  "])
    second = member_create(phone="09121234568", interests=["قهوه", "Coffee Beans"])
    assert sorted(i.name for i in first.interests.all()) == ["قهوه", "چای"]
    assert sorted(i.name for i in second.interests.all()) == ["Coffee Beans", "قهوه"]
    # "قهوه" is one interest row for both members
    assert Interest.objects.count() == 3
    assert Interest.objects.get(name="قهوه").members.count() == 2
    assert Interest.objects.get(name="Coffee Beans").slug == "coffee-beans"


def test_occasions_are_stored():
    member = member_create(
        phone="09121234567",
        occasions=[
            {"kind": "wedding", "date": dt.date(2015, 6, 1)},
            {"kind": "other", "title": "سرویس خودرو", "date": dt.date(2024, 9, 10)},
        ],
    )
    rows = sorted(Occasion.objects.filter(member=member).values_list("kind", "title", "date"))
    assert rows == [("other", "سرویس خودرو", dt.date(2024, 9, 10)), ("wedding", "", dt.date(2015, 6, 1))]


# --- the ledger account ---------------------------------------------------------------------


def test_a_new_member_gets_a_ledger_account_with_balance_zero():
    member = member_create(phone="09121234567")
    account = Account.objects.get(member=member)
    assert (account.code, account.role, account.balance) == (f"member:{member.pk}", "member", 0)
    points = member_points(member_id=member.pk)
    assert (points.balance, points.available, points.pending, points.deficit, points.expiring) == (0, 0, 0, 0, [])
    assert Transfer.objects.count() == 0


def test_each_member_gets_exactly_one_account(member_factory):
    members = [member_factory() for _ in range(3)]
    assert Account.objects.filter(role="member").count() == 3
    assert sorted(Account.objects.filter(role="member").values_list("member_id", flat=True)) == sorted(
        m.pk for m in members
    )
