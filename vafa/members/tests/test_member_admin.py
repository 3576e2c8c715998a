"""The Django admin's member form checks what the API checks: the phone normalised and unique,
the national code valid, the referrer never editable; a member added there joins as through
the API (an account, consents as chosen)."""

import pytest

from vafa.core.tests.fixtures import db_state
from vafa.ledger.models import Account
from vafa.members.models import Member
from vafa.members.services import member_create
from vafa.merchants.staff import staff_create

pytestmark = pytest.mark.django_db

ADD = "/admin/members/member/add/"
INLINES = {f"{prefix}-{name}": value for prefix in ("consents", "occasions")
           for name, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))}


@pytest.fixture
def manager(client):
    client.force_login(staff_create(username="maryam", password="long-enough-pass-1", role="manager"))
    return client


def form(**fields):
    return {"phone": "", "kind": "person", "first_name": "", "last_name": "", "organization_name": "",
            "national_id": "", "email": "", "birth_date": "", "status": "active", **INLINES, **fields}


def test_a_member_added_in_the_admin_is_normalised_and_gets_an_account(manager):
    response = manager.post(ADD, form(phone="0912 123 4567", first_name=" سارا ", national_id="0013542419"))
    assert response.status_code == 302, response.content.decode()[:2000]
    member = Member.objects.get()
    assert (member.phone, member.first_name, member.national_id) == ("+989121234567", "سارا", "0013542419")
    assert Account.objects.filter(member=member).count() == 1
    assert len(member.referral_code) > 0


@pytest.mark.parametrize("fields, field", [
    ({"phone": "12345"}, "phone"),
    ({"phone": "09121234567", "national_id": "0013542418"}, "national_id"),
    ({"phone": "09121234567", "kind": "organization"}, "organization_name"),
    ({"phone": "09121234567", "birth_date": "1800-01-01"}, "birth_date"),
    ({"phone": "+989350000000"}, "phone"),  # taken
])
def test_an_invalid_member_is_refused_in_the_admin_and_nothing_is_saved(manager, fields, field):
    member_create(phone="09350000000")
    before = db_state(Member, Account)
    response = manager.post(ADD, form(**fields))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert db_state(Member, Account) == before


def test_an_edit_normalises_the_phone_and_cannot_change_the_referrer(manager):
    referrer = member_create(phone="09350000000")
    member = member_create(phone="09121234567", first_name="Ali")
    url = f"/admin/members/member/{member.pk}/change/"
    response = manager.post(url, {**form(phone="+98 912 765 4321", first_name="Ali"),
                                  "referred_by": referrer.pk, "kind": "organization"})
    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert (member.phone, member.referred_by_id, member.kind) == ("+989127654321", None, "person")
    # A national code that fails its check is refused on edit too
    response = manager.post(url, form(phone="09127654321", national_id="1111111111"))
    assert "national_id" in response.context["adminform"].form.errors
    assert Member.objects.get(pk=member.pk).national_id == ""
