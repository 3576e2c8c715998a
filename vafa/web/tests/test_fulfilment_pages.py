"""The back-office's shipments: the list of what waits, a shipment's page and its steps.

Owners and managers see everything and move shipments; marketers read with the phone masked and
the street address hidden; cashiers and a partner's staff are refused. Every POST refused leaves
everything as it was."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vafa.core.models import AuditEntry
from vafa.core.tests.fixtures import REWARD_WRITES, assert_ledger_ok, balance, db_state
from vafa.engage.models import Message
from vafa.ledger.services import points_adjust
from vafa.merchants.services import merchant_create
from vafa.merchants.staff import staff_create
from vafa.program.catalog import reward_create
from vafa.program.models import Reward
from vafa.rewards.models import Shipment, ShipmentStep
from vafa.usecases.fulfilment import reward_redeem_for_member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_file")]

ADDRESS = {"recipient_name": "Sara Mohammadi", "phone": "09123456789", "province": "Tehran", "city": "Rey",
           "address": "Valiasr St., Alley 12, No. 3", "postal_code": "1434567891"}
WRITES = (*REWARD_WRITES, Shipment, ShipmentStep, Message, AuditEntry)
STEPS = [{"status": "preparing"}, {"status": "sent", "tracking_code": "PT-1"}, {"status": "delivered"},
         {"status": "cancelled", "note": "x"}]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def staff_client(db, merchant):
    def make(role: str, *, merchant_id=None) -> Client:
        user = staff_create(username=f"{role}-{merchant_id or 0}", password="vafa-test-pass-1", role=role,
                            merchant_id=merchant_id)
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def gift(db):
    reward = reward_create(name="Tea set", kind="non_material", cost_points=300, stock=3)
    Reward.objects.filter(pk=reward.pk).update(ships=True)
    return reward


@pytest.fixture
def sara(member_factory, merchant):
    member = member_factory(phone="09121110000", first_name="Sara", last_name="Mohammadi")
    points_adjust(member_id=member.pk, points=1_000, reason="set-up", merchant_id=merchant.pk, expires_at=None)
    return member


def ship(member, reward, merchant) -> Shipment:
    return reward_redeem_for_member(member_id=member.pk, reward_id=reward.pk, merchant_id=merchant.pk,
                                    shipping=ADDRESS).shipment


def step_url(shipment) -> str:
    return reverse("manage:shipment-step", args=[shipment.pk])


def status_of(shipment) -> str:
    return Shipment.objects.values_list("status", flat=True).get(pk=shipment.pk)


# --- reading -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_owners_and_managers_see_the_whole_address_and_the_step_forms(staff_client, sara, gift, merchant, role):
    shipment = ship(sara, gift, merchant)
    client = staff_client(role)
    listed = client.get(reverse("manage:fulfilment")).content.decode()
    assert f'data-shipment-id="{shipment.pk}" data-status="requested"' in listed
    assert 'data-testid="shipment-phone">+989123456789<' in listed
    page = client.get(reverse("manage:shipment", args=[shipment.pk])).content.decode()
    assert 'data-testid="phone">+989123456789<' in page
    assert 'data-testid="street-address">Valiasr St., Alley 12, No. 3<' in page
    assert 'data-testid="postal-code">1434567891<' in page
    for testid in ("step-preparing", "sent-form", "delivered-form", "cancel-form", "shipment-audit-link"):
        assert f'data-testid="{testid}"' in page, testid
    assert 'data-testid="read-only"' not in page


def test_a_marketer_reads_with_the_phone_masked_and_the_street_address_hidden(staff_client, sara, gift, merchant):
    shipment = ship(sara, gift, merchant)
    client = staff_client("marketer")
    listed = client.get(reverse("manage:fulfilment")).content.decode()
    assert 'data-testid="shipment-phone">+98912***6789<' in listed and "+989123456789" not in listed
    page = client.get(reverse("manage:shipment", args=[shipment.pk])).content.decode()
    assert 'data-testid="phone">+98912***6789<' in page and "+989123456789" not in page
    assert "Valiasr" not in page and "1434567891" not in page and 'data-testid="address-hidden"' in page
    assert "Rey" in page  # where the gift goes, not where the member lives
    assert 'data-testid="read-only"' in page
    assert 'action="' + step_url(shipment) not in page


@pytest.mark.parametrize("role", ["cashier"])
def test_a_cashier_opens_none_of_it(staff_client, sara, gift, merchant, role):
    shipment = ship(sara, gift, merchant)
    client = staff_client(role)
    assert client.get(reverse("manage:fulfilment")).status_code == 403
    assert client.get(reverse("manage:shipment", args=[shipment.pk])).status_code == 403


@pytest.mark.parametrize("role", ["owner", "manager", "cashier", "marketer"])
def test_a_partners_staff_open_none_of_it(staff_client, sara, gift, merchant, role):
    partner = merchant_create(name="Partner cafe")
    shipment = ship(sara, gift, partner)  # even one of the partner's own redemptions
    client = staff_client(role, merchant_id=partner.pk)
    assert client.get(reverse("manage:fulfilment")).status_code == 403
    assert client.get(reverse("manage:shipment", args=[shipment.pk])).status_code == 403


def test_the_nav_links_to_the_shipments_for_all_but_cashiers(staff_client, merchant):
    for role, shown in (("owner", True), ("manager", True), ("marketer", True), ("cashier", False)):
        home = staff_client(role).get(reverse("manage:members")).content.decode()
        assert (f'href="{reverse("manage:fulfilment")}"' in home) is shown, role


def test_the_list_puts_what_waits_first_oldest_first_and_filters(staff_client, sara, gift, merchant):
    points_adjust(member_id=sara.pk, points=1_000, reason="more", merchant_id=merchant.pk, expires_at=None)
    Reward.objects.filter(pk=gift.pk).update(stock=None)
    a, b, c, d = (ship(sara, gift, merchant) for _ in range(4))
    now = timezone.now()
    for n, s in enumerate((a, b, c, d)):
        Shipment.objects.filter(pk=s.pk).update(created_at=now - timedelta(days=10 - n))
    client = staff_client("manager")
    client.post(step_url(a), {"status": "sent", "tracking_code": "T-A"})
    client.post(step_url(b), {"status": "preparing"})
    client.post(step_url(c), {"status": "cancelled", "note": "no"})

    def ids(query=""):
        page = client.get(reverse("manage:fulfilment") + query).content.decode()
        import re

        return [int(n) for n in re.findall(r'data-shipment-id="(\d+)"', page)], page

    assert ids()[0] == [d.pk, b.pk]  # waiting: requested first, then being prepared
    assert ids("?status=all")[0] == [d.pk, b.pk, a.pk, c.pk]
    assert ids("?status=sent")[0] == [a.pk]
    assert ids("?status=cancelled")[0] == [c.pk]
    assert ids("?status=nonsense")[0] == [d.pk, b.pk]
    page = ids()[1]
    assert 'data-filter="waiting" aria-current="page">Waiting to be sent <span class="count">(2)</span>' in page
    assert 'data-testid="waiting-days">waiting 7 days<' in page  # d, 7 days old
    assert "Nothing waits to be sent." not in page


def test_an_unknown_shipment_is_404(staff_client, db):
    client = staff_client("manager")
    assert client.get("/manage/fulfilment/999/").status_code == 404
    assert client.post("/manage/fulfilment/999/step/", {"status": "preparing"}).status_code == 404


# --- moving it on --------------------------------------------------------------------------------------


def test_a_manager_moves_a_shipment_to_the_door_and_each_step_is_audited_and_told(staff_client, sara, gift, merchant):
    shipment = ship(sara, gift, merchant)
    client = staff_client("manager")
    page = reverse("manage:shipment", args=[shipment.pk])

    response = client.post(step_url(shipment), {"status": "preparing"})
    assert response.status_code == 302 and response["Location"] == page
    shown = client.get(page).content.decode()
    assert "Marked as being prepared; the member is told." in shown
    assert 'data-testid="step-preparing"' not in shown and 'data-testid="sent-form"' in shown

    # The tracking code as typed on a Persian keyboard
    client.post(step_url(shipment), {"status": "sent", "tracking_code": " ۱۲۳۴-۵۶ ", "carrier": " Post "})
    again = client.post(step_url(shipment), {"status": "sent", "tracking_code": "1234-56", "carrier": "Post"},
                        follow=True)
    assert "Nothing changed: the shipment was already there." in again.content.decode()
    client.post(step_url(shipment), {"status": "delivered", "note": "signed by Ali"})

    shipment.refresh_from_db()
    assert (shipment.status, shipment.tracking_code, shipment.carrier) == ("delivered", "1234-56", "Post")
    assert list(shipment.steps.values_list("status", "by", "note")) == [
        ("requested", "", ""), ("preparing", "manager-0", ""), ("sent", "manager-0", ""),
        ("delivered", "manager-0", "signed by Ali")]
    assert list(AuditEntry.objects.filter(action__startswith="shipment.").order_by("pk").values_list(
        "action", flat=True)) == [
        "shipment.preparing", "shipment.sent", "shipment.delivered"]
    assert list(Message.objects.order_by("pk").values_list("occurrence_key", flat=True)) == [
        f"shipment:{shipment.pk}:{s}:sms" for s in ("requested", "preparing", "sent", "delivered")]
    final = client.get(page).content.decode()
    assert 'data-testid="finished"' in final and 'data-testid="tracking-code">1234-56<' in final
    assert [s for s in ("requested", "preparing", "sent", "delivered") if f'data-step="{s}"' in final] == [
        "requested", "preparing", "sent", "delivered"]


def test_a_manager_cancels_with_a_reason_and_the_points_come_back(staff_client, sara, gift, merchant):
    shipment = ship(sara, gift, merchant)
    client = staff_client("owner")
    before = db_state(*WRITES)
    refused = client.post(step_url(shipment), {"status": "cancelled", "note": "  "})
    assert refused.status_code == 422
    assert 'data-testid="error-cancel-note"' in refused.content.decode()
    assert db_state(*WRITES) == before
    response = client.post(step_url(shipment), {"status": "cancelled", "note": "the colour ran out"}, follow=True)
    assert "Cancelled; the member&#x27;s points are back and they are told." in response.content.decode()
    assert status_of(shipment) == "cancelled" and balance(sara) == 1_000
    assert Reward.objects.get(pk=gift.pk).stock == 3
    assert_ledger_ok()


def test_sent_without_a_tracking_code_is_refused_and_changes_nothing(staff_client, sara, gift, merchant):
    shipment = ship(sara, gift, merchant)
    client = staff_client("manager")
    before = db_state(*WRITES)
    response = client.post(step_url(shipment), {"status": "sent", "tracking_code": " ", "carrier": "Post"})
    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-testid="error-sent-tracking"' in page and "Enter the tracking code of the parcel." in page
    assert 'value="Post"' in page  # what was typed stays
    assert db_state(*WRITES) == before


@pytest.mark.parametrize(("path", "step"), [
    ([{"status": "sent", "tracking_code": "T1"}], {"status": "cancelled", "note": "too late"}),
    ([{"status": "sent", "tracking_code": "T1"}], {"status": "preparing"}),
    ([{"status": "delivered"}], {"status": "sent", "tracking_code": "T2"}),
    ([{"status": "cancelled", "note": "x"}], {"status": "delivered"}),
])
def test_an_illegal_step_is_409_with_the_reason_and_changes_nothing(staff_client, sara, gift, merchant, path, step):
    shipment = ship(sara, gift, merchant)
    client = staff_client("manager")
    for done in path:
        client.post(step_url(shipment), done)
    before = db_state(*WRITES)
    response = client.post(step_url(shipment), step)
    assert response.status_code == 409
    assert "This shipment cannot take this step from where it is now." in response.content.decode()
    assert db_state(*WRITES) == before


@pytest.mark.parametrize("body", [{}, {"status": "requested"}, {"status": "lost"}, {"status": "sent"}])
def test_a_malformed_step_is_422_and_changes_nothing(staff_client, sara, gift, merchant, body):
    shipment = ship(sara, gift, merchant)
    client = staff_client("manager")
    before = db_state(*WRITES)
    assert client.post(step_url(shipment), body).status_code == 422
    assert db_state(*WRITES) == before


# --- hostile: every step refused to those who may not take it -------------------------------------------


def test_every_step_posted_by_a_role_that_may_not_is_refused_and_changes_nothing(staff_client, sara, gift, merchant):
    shipment = ship(sara, gift, merchant)
    partner = merchant_create(name="Partner cafe")
    theirs = ship(sara, gift, partner)
    clients = {"marketer": staff_client("marketer"), "cashier": staff_client("cashier"),
               **{f"partner {r}": staff_client(r, merchant_id=partner.pk) for r in ("owner", "manager", "cashier")}}
    before = db_state(*WRITES)
    for name, client in clients.items():
        for target in (shipment, theirs):
            for body in STEPS:
                assert client.post(step_url(target), body).status_code == 403, (name, body)
    anonymous = Client()
    for body in STEPS:
        response = anonymous.post(step_url(shipment), body)
        assert response.status_code == 302 and response["Location"].startswith("/manage/login/")
    assert db_state(*WRITES) == before
    assert (status_of(shipment), status_of(theirs), balance(sara)) == ("requested", "requested", 400)


def test_a_step_without_the_csrf_token_is_refused(sara, gift, merchant):
    shipment = ship(sara, gift, merchant)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_create(username="m", password="vafa-test-pass-1", role="manager"))
    before = db_state(*WRITES)
    assert client.post(step_url(shipment), {"status": "cancelled", "note": "x"}).status_code == 403
    assert db_state(*WRITES) == before
