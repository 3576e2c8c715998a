"""POST /api/v1/members, GET /api/v1/members/{id} and GET /api/v1/members?phone=."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from vafa.api.tests.test_api_errors import assert_error
from vafa.core.tests.fixtures import REQUEST_WRITES, db_state

E164 = "+989121234567"
PHONE_FORMS = [
    "09121234567",
    "9121234567",
    "+989121234567",
    "00989121234567",
    "989121234567",
    "+98 912 123 4567",
    "0912-123-4567",
    "(0912) 123 4567",
    "+98 (0) 912 123 4567",
    "۰۹۱۲۱۲۳۴۵۶۷",
    "٠٩١٢١٢٣٤٥٦٧",
    "+۹۸۹۱۲۱۲۳۴۵۶۷",
    "۰۰۹۸۹۱۲۱۲۳۴۵۶۷",
    "\u200e09121234567\u200f",
]
# The fields DESIGN.md promises on a member, and the rest the API answers today.
CONTRACT_FIELDS = {
    "id",
    "phone",
    "kind",
    "status",
    "points_balance",
    "tier",
    "next_tier",
    "to_next_tier",
    "referral_code",
    "joined_at",
    "clv",
}
ALL_FIELDS = CONTRACT_FIELDS | {
    "first_name",
    "last_name",
    "organization_name",
    "national_id",
    "tier_detail",
    "email",
    "birth_date",
    "consents",
    "interests",
}
REFERRAL_ALPHABET = set("ABCDEFGHJKMNPQRTUVWXY346789")


def _assert_recent(iso: str) -> None:
    moment = datetime.fromisoformat(iso)
    assert moment.tzinfo is not None
    assert timezone.now() - timedelta(minutes=1) < moment <= timezone.now()


@pytest.mark.parametrize("phone", PHONE_FORMS)
def test_join_with_any_common_form_of_the_phone_stores_e164(db, api, phone):
    from vafa.members.models import Member

    # When a member joins with their phone written any common way
    response = api.post("/members", {"phone": phone, "first_name": "سارا", "last_name": "محمدی"})
    # Then the member is created with the E.164 phone and an empty account
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == E164
    assert body["points_balance"] == 0
    member = Member.objects.get()
    assert (member.pk, member.phone) == (body["id"], E164)
    assert member.account.balance == 0


def test_a_new_person_answers_every_contract_field(db, api, merchant):
    from vafa.members.models import Member

    response = api.post("/members", {"phone": "۰۹۱۲۱۲۳۴۵۶۷", "first_name": " سارا ", "last_name": "محمدی"})
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= CONTRACT_FIELDS
    assert set(body) == ALL_FIELDS
    member = Member.objects.get()
    assert body == {
        "id": member.pk,
        "phone": E164,
        "kind": "person",
        "status": "active",
        "first_name": "سارا",
        "last_name": "محمدی",
        "organization_name": "",
        "national_id": "",
        "email": "",
        "birth_date": None,
        "referral_code": member.referral_code,
        "points_balance": 0,
        "tier": None,
        "tier_detail": None,
        "next_tier": None,
        "to_next_tier": None,
        "consents": {},
        "interests": [],
        "joined_at": body["joined_at"],
        "clv": None,  # not scored yet (the nightly job scores members who bought)
    }
    assert len(body["referral_code"]) == 7 and set(body["referral_code"]) <= REFERRAL_ALPHABET
    _assert_recent(body["joined_at"])
    assert member.merchant_id == merchant.id  # the merchant whose key joined them


def test_a_person_with_every_optional_field(db, api):
    response = api.post(
        "/members",
        {
            "phone": "+989351234567",
            "first_name": "Ali",
            "last_name": "Rezaei",
            "kind": "person",
            "national_id": "۰۴۹۹۳۷۰۸۹۹",
            "email": "ali@example.com",
            "birth_date": "1990-05-01",
            "consents": {"sms": True, "email": False},
            "interests": ["چای", "قهوه"],
            "occasions": [{"kind": "wedding", "date": "2015-06-20"}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "+989351234567"
    assert body["national_id"] == "0499370899"  # Persian digits stored as ASCII
    assert body["email"] == "ali@example.com"
    assert body["birth_date"] == "1990-05-01"
    assert {channel: c["granted"] for channel, c in body["consents"].items()} == {"sms": True, "email": False}
    assert sorted(body["interests"]) == ["قهوه", "چای"]


@pytest.mark.parametrize(
    "national_id, stored",
    [("10100327661", "10100327661"), ("۱۰۱۰۰۳۲۷۶۶۱", "10100327661"), ("101-0032766-1", "10100327661")],
)
def test_an_organization_with_a_valid_national_id(db, api, national_id, stored):
    response = api.post(
        "/members",
        {"phone": "09121234567", "kind": "organization", "organization_name": "شرکت نمونه", "national_id": national_id},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["organization_name"], body["national_id"]) == ("organization", "شرکت نمونه", stored)


def test_an_organization_without_a_national_id_is_accepted(db, api):
    response = api.post("/members", {"phone": "09121234567", "kind": "organization", "organization_name": "شرکت نمونه"})
    assert response.status_code == 201, response.content
    assert response.json()["national_id"] == ""


@pytest.mark.parametrize("other_form", ["+989121234567", "۰۹۱۲۱۲۳۴۵۶۷", "9121234567", "00989121234567"])
def test_the_same_phone_in_another_form_is_member_exists(db, api, other_form):
    from vafa.members.models import Member

    first = api.post("/members", {"phone": "09121234567"})
    assert first.status_code == 201
    before = db_state(*REQUEST_WRITES)
    details = assert_error(api.post("/members", {"phone": other_form, "first_name": "دیگری"}), 409, "member_exists")
    assert details == {"phone": E164}
    assert db_state(*REQUEST_WRITES) == before
    assert Member.objects.count() == 1


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_member_exists_speaks_the_requests_language(member, api, lang):
    assert_error(api.post("/members", {"phone": member.phone}, lang=lang), 409, "member_exists", lang=lang)


@pytest.mark.parametrize("written", ["same", "lower", "dashed", "spaces"])
def test_join_with_a_referral_code_links_the_referrer(member, api, written):
    from vafa.members.models import Member

    code = member.referral_code
    given = {"same": code, "lower": code.lower(), "dashed": f"{code[:3]}-{code[3:]}", "spaces": f" {code} "}[written]
    response = api.post("/members", {"phone": "09351234567", "referral_code": given})
    assert response.status_code == 201, response.content
    new = Member.objects.get(pk=response.json()["id"])
    assert new.referred_by_id == member.id
    assert new.referral_code != code


def test_get_a_member_by_id_answers_the_same_body_as_the_join(db, api):
    created = api.post("/members", {"phone": "09121234567", "first_name": "سارا", "email": "s@example.com"}).json()
    response = api.get(f"/members/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


def test_get_a_member_shows_the_current_balance(member, api, merchant):
    from vafa.api.tests.test_api_errors import add_points

    add_points(member, 120, merchant=merchant)
    assert api.get(f"/members/{member.id}").json()["points_balance"] == 120


def test_get_a_member_of_another_merchant_is_allowed_in_the_shared_club(member, api):
    # Members belong to the club, not to the merchant that joined them (coalition).
    from vafa.api.tests.test_api_errors import new_merchant_api

    response = new_merchant_api().get(f"/members/{member.id}")
    assert response.status_code == 200
    assert response.json()["id"] == member.id


@pytest.mark.parametrize("odd", ["abc", "-1", "0", "99999999999999999999", "1.5", "س"])
def test_get_an_unknown_member_is_member_not_found(member, api, odd):
    assert_error(api.get(f"/members/{odd}"), 404, "member_not_found")


# --- GET /members?phone= ------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone", ["09121234567", "%2B989121234567", "00989121234567", "9121234567", "۰۹۱۲۱۲۳۴۵۶۷", "٠٩١٢١٢٣٤٥٦٧"]
)
def test_find_a_member_by_any_form_of_the_phone(member_factory, api, phone):
    wanted = member_factory(phone="09121234567")
    member_factory(phone="09351234567")
    response = api.get(f"/members?phone={phone}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert isinstance(body, list)
    assert [m["id"] for m in body] == [wanted.id]
    assert body[0] == api.get(f"/members/{wanted.id}").json()


def test_find_by_a_phone_nobody_has_is_an_empty_list(member, api):
    response = api.get("/members?phone=09351234567")
    assert response.status_code == 200
    assert response.json() == []


def test_list_members_without_a_phone_answers_a_json_list(member_factory, api):
    ids = [member_factory().id for _ in range(3)]
    response = api.get("/members")
    assert response.status_code == 200
    assert sorted(m["id"] for m in response.json()) == sorted(ids)


@pytest.mark.parametrize("phone", ["abc", "02112345678", "+15555555555"])
def test_find_by_an_invalid_phone_is_invalid_phone(member, api, phone):
    assert_error(api.get(f"/members?phone={phone}"), 422, "invalid_phone")
