"""The till's sale without a member: the link on the till page, the amount in Toman (Persian
digits too), the receipt with no points; a double submit records once; who may use it; a
refused sale leaves nothing behind."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from vafa.commerce.models import WalkInSale, WalkInSaleItem
from vafa.core.tests.fixtures import REQUEST_WRITES, db_state
from vafa.merchants.models import StaffProfile
from vafa.merchants.services import merchant_create
from vafa.merchants.staff import staff_create
from vafa.web.manage.pos_forms import new_external_id

pytestmark = pytest.mark.django_db

POS = reverse("manage:pos")
WALK_IN = reverse("manage:pos-walk-in")
WRITES = (*REQUEST_WRITES, WalkInSale, WalkInSaleItem)


@pytest.fixture
def staff_client(merchant):
    made = {"n": 0}

    def make(role: str = "cashier", *, shop=None, lang: str = "en") -> Client:
        made["n"] += 1
        user = staff_create(username=f"{role}-w{made['n']}", password="vafa-test-pass-1", role=role)
        StaffProfile.objects.filter(user=user).update(merchant=shop or merchant)
        client = Client(headers={"Accept-Language": lang})
        client.force_login(user)
        client.cookies["django_language"] = lang
        return client

    return make


def _token(html: str) -> str:
    return re.search(r'name="external_id" value="(pos-[0-9a-f]{32})"', html).group(1)


@pytest.mark.parametrize("role", ["owner", "manager", "cashier"])
def test_a_sale_without_a_member_from_the_till(role, staff_client, merchant):
    client = staff_client(role)
    # Given the till page, which links the sale without a member
    assert f'href="{WALK_IN}"' in client.get(POS).content.decode()
    page = client.get(WALK_IN)
    assert page.status_code == 200
    token = _token(page.content.decode())
    before = db_state(*REQUEST_WRITES)
    # When the cashier types 125,000 Toman in Persian digits and records it
    response = client.post(WALK_IN, {"amount": "۱۲۵٬۰۰۰", "payment_method": "cash", "external_id": token})
    # Then one sale of 1,250,000 Rials is recorded, with no member, purchase or points
    sale = WalkInSale.objects.get()
    assert (sale.merchant_id, sale.amount, sale.payment_method, sale.external_id) == (
        merchant.id, 1_250_000, "cash", token)
    assert db_state(*REQUEST_WRITES) == before
    receipt = reverse("manage:pos-walk-in-receipt", kwargs={"sale_id": sale.pk})
    assert response.status_code == 302 and response["Location"] == receipt
    # and its receipt says so
    html = client.get(receipt).content.decode()
    assert 'data-testid="receipt-no-points"' in html and "No points: not a member" in html
    assert 'data-value="1250000"' in html


def test_a_double_submit_records_once(staff_client):
    client = staff_client()
    token = new_external_id()
    first = client.post(WALK_IN, {"amount": "50000", "payment_method": "card", "external_id": token})
    again = client.post(WALK_IN, {"amount": "50000", "payment_method": "card", "external_id": token})
    assert WalkInSale.objects.count() == 1
    assert again["Location"] == first["Location"] + "?already=1"
    assert 'data-testid="already"' in client.get(again["Location"]).content.decode()


def test_the_same_form_with_another_amount_is_refused_and_changes_nothing(staff_client):
    client = staff_client()
    token = new_external_id()
    client.post(WALK_IN, {"amount": "50000", "payment_method": "card", "external_id": token})
    before = db_state(*WRITES)
    refused = client.post(WALK_IN, {"amount": "60000", "payment_method": "card", "external_id": token})
    assert refused.status_code == 409
    assert 'data-code="duplicate_external_id"' in refused.content.decode()
    assert db_state(*WRITES) == before


@pytest.mark.parametrize("body", [
    {"amount": "", "payment_method": "card"},
    {"amount": "0", "payment_method": "card"},
    {"amount": "12.5", "payment_method": "card"},
    {"amount": "1000", "payment_method": "gold"},
    {"amount": "1000", "payment_method": "card", "external_id": "INV-1"},
])
def test_a_bad_form_is_422_and_changes_nothing(staff_client, body):
    client = staff_client()
    body = {"external_id": new_external_id(), **body}
    before = db_state(*WRITES)
    assert client.post(WALK_IN, body).status_code == 422
    assert db_state(*WRITES) == before


def test_a_marketer_and_a_stranger_cannot_use_it(staff_client):
    marketer = staff_client("marketer")
    before = db_state(*WRITES)
    body = {"amount": "1000", "payment_method": "card", "external_id": new_external_id()}
    assert marketer.get(WALK_IN).status_code == 403
    assert marketer.post(WALK_IN, body).status_code == 403
    assert Client().post(WALK_IN, body)["Location"].startswith("/manage/login/?next=")
    assert db_state(*WRITES) == before


def test_another_shops_receipt_is_not_found(staff_client):
    client = staff_client()
    client.post(WALK_IN, {"amount": "1000", "payment_method": "card", "external_id": new_external_id()})
    sale = WalkInSale.objects.get()
    other = staff_client(shop=merchant_create(name="another shop"))
    assert other.get(reverse("manage:pos-walk-in-receipt", kwargs={"sale_id": sale.pk})).status_code == 404


def test_the_pages_in_persian(staff_client):
    client = staff_client(lang="fa")
    assert client.get(WALK_IN).status_code == 200
    client.post(WALK_IN, {"amount": "۲۰۰۰", "payment_method": "card", "external_id": new_external_id()})
    sale = WalkInSale.objects.get()
    html = client.get(reverse("manage:pos-walk-in-receipt", kwargs={"sale_id": sale.pk})).content.decode()
    assert "۲٬۰۰۰" in html or "۲,۰۰۰" in html  # 2,000 Toman
