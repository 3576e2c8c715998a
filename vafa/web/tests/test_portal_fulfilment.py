"""The portal's physical rewards: the confirmation page asks where to send it (prefilled), and
the redemption page follows the shipment with its tracking code and Jalali dates."""

import re

import pytest

from vafa.core.jalali import format_jalali_date
from vafa.core.tests.fixtures import REWARD_WRITES, assert_ledger_ok, balance, db_state
from vafa.engage.models import Message
from vafa.ledger.services import points_adjust
from vafa.program.catalog import reward_create
from vafa.program.models import Reward
from vafa.rewards.models import Redemption, Shipment, ShipmentStep
from vafa.usecases.fulfilment import shipment_advance
from vafa.web.tests.test_portal_helpers import log_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_file")]
WRITES = (*REWARD_WRITES, Shipment, ShipmentStep, Message)
ADDRESS = {"recipient_name": "سارا محمدی", "phone": "۰۹۱۲۳۴۵۶۷۸۹", "province": "تهران", "city": "تهران",
           "address": "خیابان ولیعصر، پلاک ۳", "postal_code": "۱۴۳۴۵-۶۷۸۹۱", "note": ""}


@pytest.fixture
def gift(db):
    reward = reward_create(name="ست چای", kind="non_material", cost_points=300, stock=5)
    Reward.objects.filter(pk=reward.pk).update(ships=True)
    return reward


@pytest.fixture
def sara(member_factory, merchant):
    member = member_factory(phone="09121110000", first_name="سارا", last_name="محمدی")
    points_adjust(member_id=member.pk, points=1_000, reason="set-up", merchant_id=merchant.pk, expires_at=None)
    return member


def token_of(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def value_of(page: str, name: str) -> str:
    found = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*?(?:value="([^"]*)"[^>]*)?>([^<]*)', page)
    return found.group(1) if found.group(1) is not None else found.group(2).strip()


def test_the_confirmation_page_asks_where_to_send_it_prefilled_from_the_member(client, sara, gift):
    log_in(client, sara)
    response = client.get(f"/rewards/{gift.pk}/redeem/")
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="shipping"' in page
    assert value_of(page, "recipient_name") == "سارا محمدی" and value_of(page, "phone") == "09121110000"
    assert value_of(page, "address") == "" and 'name="organization_name"' not in page
    assert balance(sara) == 1_000 and not Shipment.objects.exists()


def test_a_member_redeems_a_gift_with_an_address_in_persian_digits(client, sara, gift):
    log_in(client, sara)
    token = token_of(client.get(f"/rewards/{gift.pk}/redeem/").content.decode())
    response = client.post(f"/rewards/{gift.pk}/redeem/", {"token": token, **ADDRESS})
    redemption = Redemption.objects.get(member=sara)
    assert response.status_code == 302 and response["Location"] == f"/rewards/redemptions/{redemption.pk}/"
    shipment = Shipment.objects.get(redemption=redemption)
    assert (shipment.recipient_name, shipment.phone, shipment.postal_code, shipment.address) == (
        "سارا محمدی", "+989123456789", "1434567891", "خیابان ولیعصر، پلاک ۳")
    assert list(shipment.steps.values_list("status", "by")) == [("requested", "member")]
    assert balance(sara) == 700
    assert list(Message.objects.values_list("occurrence_key", flat=True)) == [f"shipment:{shipment.pk}:requested:sms"]

    # The same form sent again (a double tap) redeems once and tells once
    again = client.post(f"/rewards/{gift.pk}/redeem/", {"token": token, **ADDRESS})
    assert again["Location"] == response["Location"]
    assert (Redemption.objects.count(), Shipment.objects.count(), Message.objects.count(), balance(sara)) == (
        1, 1, 1, 700)

    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="shipment" data-status="requested"' in page
    assert f'data-testid="step-at-requested">{format_jalali_date(shipment.created_at)}' in page
    assert 'data-testid="postal-code">۱۴۳۴۵۶۷۸۹۱<' in page
    assert 'data-testid="qr"' not in page and 'data-testid="tracking-code"' not in page
    assert_ledger_ok()


@pytest.mark.parametrize(("change", "field"), [
    ({"postal_code": "12345"}, "postal_code"),
    ({"phone": "02188776655"}, "phone"),
    ({"address": " "}, "address"),
    ({"recipient_name": ""}, "recipient_name"),
])
def test_a_wrong_address_shows_its_error_keeps_what_was_typed_and_changes_nothing(client, sara, gift, change, field):
    log_in(client, sara)
    token = token_of(client.get(f"/rewards/{gift.pk}/redeem/").content.decode())
    before = db_state(*WRITES)
    response = client.post(f"/rewards/{gift.pk}/redeem/", {"token": token, **ADDRESS, **change})
    page = response.content.decode()
    assert response.status_code == 422
    assert f'data-testid="error-{field}"' in page and 'data-testid="shipping-errors"' in page
    assert token_of(page) == token  # the form's token is not used up by a refusal
    assert field == "address" or "خیابان ولیعصر" in page  # what was typed stays
    assert db_state(*WRITES) == before
    # Corrected, the same form goes through
    assert client.post(f"/rewards/{gift.pk}/redeem/", {"token": token, **ADDRESS}).status_code == 302
    assert Shipment.objects.count() == 1


def test_the_next_request_is_prefilled_with_the_last_address(client, sara, gift):
    log_in(client, sara)
    token = token_of(client.get(f"/rewards/{gift.pk}/redeem/").content.decode())
    client.post(f"/rewards/{gift.pk}/redeem/", {"token": token, **ADDRESS, "recipient_name": "علی محمدی"})
    page = client.get(f"/rewards/{gift.pk}/redeem/").content.decode()
    assert (value_of(page, "recipient_name"), value_of(page, "postal_code"), value_of(page, "phone")) == (
        "علی محمدی", "1434567891", "09123456789")
    assert value_of(page, "address") == "خیابان ولیعصر، پلاک ۳"


def test_an_organisation_sends_it_to_its_office_with_a_contact_person(client, member_factory, merchant, gift):
    acme = member_factory(kind="organization", organization_name="شرکت آکمه", phone="09351112233",
                          first_name="رضا", last_name="کریمی")
    points_adjust(member_id=acme.pk, points=500, reason="set-up", merchant_id=merchant.pk, expires_at=None)
    log_in(client, acme)
    page = client.get(f"/rewards/{gift.pk}/redeem/").content.decode()
    assert value_of(page, "organization_name") == "شرکت آکمه" and value_of(page, "contact_person") == "رضا کریمی"
    assert 'name="recipient_name"' not in page
    office = {k: v for k, v in ADDRESS.items() if k != "recipient_name"}
    refused = client.post(f"/rewards/{gift.pk}/redeem/", {"token": token_of(page), **office,
                                                         "organization_name": "شرکت آکمه", "contact_person": ""})
    assert refused.status_code == 422 and 'data-testid="error-contact_person"' in refused.content.decode()
    done = client.post(f"/rewards/{gift.pk}/redeem/", {"token": token_of(page), **office,
                                                      "organization_name": "شرکت آکمه", "contact_person": "رضا کریمی"})
    assert done.status_code == 302
    shipment = Shipment.objects.get()
    assert (shipment.recipient_name, shipment.organization_name, shipment.contact_person) == (
        "شرکت آکمه", "شرکت آکمه", "رضا کریمی")


def test_the_redemption_page_follows_the_shipment_to_the_door(client, sara, gift):
    log_in(client, sara)
    token = token_of(client.get(f"/rewards/{gift.pk}/redeem/").content.decode())
    location = client.post(f"/rewards/{gift.pk}/redeem/", {"token": token, **ADDRESS})["Location"]
    shipment = Shipment.objects.get()
    shipment_advance(shipment_id=shipment.pk, status="sent", tracking_code="PT-12345", carrier="پست", by="staff")
    page = client.get(location).content.decode()
    shipment.refresh_from_db()
    assert 'data-testid="shipment" data-status="sent"' in page
    assert 'data-testid="tracking-code">PT-12345<' in page and "پست" in page
    assert f'data-testid="step-at-sent">{format_jalali_date(shipment.sent_at)}' in page
    # "Being prepared" was skipped: shown as passed, without a date
    assert '<li class="done" data-step="preparing"' in page and 'data-testid="step-at-preparing"' not in page
    shipment_advance(shipment_id=shipment.pk, status="delivered", by="staff")
    assert 'data-status="delivered"' in client.get(location).content.decode()


def test_a_cancelled_shipment_says_the_points_are_back(client, sara, gift):
    log_in(client, sara)
    token = token_of(client.get(f"/rewards/{gift.pk}/redeem/").content.decode())
    location = client.post(f"/rewards/{gift.pk}/redeem/", {"token": token, **ADDRESS})["Location"]
    shipment_advance(shipment_id=Shipment.objects.get().pk, status="cancelled", note="ناموجود", by="staff")
    page = client.get(location).content.decode()
    assert 'data-testid="cancelled"' in page and 'data-step="cancelled"' in page
    assert 'data-step="sent"' not in page
    assert balance(sara) == 1_000


def test_another_members_shipment_is_not_found(client, sara, gift, member_factory):
    log_in(client, sara)
    token = token_of(client.get(f"/rewards/{gift.pk}/redeem/").content.decode())
    location = client.post(f"/rewards/{gift.pk}/redeem/", {"token": token, **ADDRESS})["Location"]
    log_in(client, member_factory())
    assert client.get(location).status_code == 404
