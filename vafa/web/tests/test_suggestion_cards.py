"""The "Suggested for this member" card (vafa.insight's complementary products) on the
back-office member page, for every role the page lets in, and at the till once a member is
found, for the club's own till staff (a partner's cashier is not shown the club's pairs); a
member with nothing to suggest gets no card, and who may not see the pages still cannot."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vafa.commerce.models import Purchase, PurchaseItem
from vafa.insight.models import ProductPair
from vafa.merchants.models import StaffProfile
from vafa.merchants.services import merchant_create
from vafa.merchants.staff import staff_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_as(merchant):
    made = {"n": 0}

    def make(role: str, *, shop=None) -> Client:
        made["n"] += 1
        user = staff_create(username=f"{role}-{made['n']}", password="vafa-test-pass-1", role=role)
        StaffProfile.objects.filter(user=user).update(merchant=shop or merchant)
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def coffee_buyer(merchant, member_factory):
    for then, name, lift in (("CAKE-1", "Cheesecake", 3.0), ("MUG-1", "", 1.5), ("COFFEE", "Coffee", 9.0)):
        ProductPair.objects.create(first_sku="TEA" if then == "COFFEE" else "COFFEE", then_sku=then,
                                   then_name=name, members=3, support=0.2, confidence=0.5, lift=lift,
                                   computed_at=timezone.now())
    member = member_factory()
    purchase = Purchase.objects.create(merchant=merchant, member=member, amount=100_000, occurred_at=timezone.now())
    PurchaseItem.objects.create(purchase=purchase, sku="COFFEE", name="Coffee", quantity=1, unit_price=100_000)
    return member


def suggested(html: str) -> list[str]:
    import re

    return re.findall(r'data-testid="suggestion" data-sku="([^"]+)"', html)


@pytest.mark.parametrize("role", ["owner", "manager", "cashier", "marketer"])
def test_the_member_page_suggests_what_the_member_has_not_bought(client_as, coffee_buyer, role):
    html = client_as(role).get(reverse("manage:member", args=[coffee_buyer.pk])).content.decode()
    assert 'data-testid="member-suggestions"' in html
    assert suggested(html) == ["CAKE-1", "MUG-1"]  # best lift first; COFFEE follows TEA, which they never bought
    assert "Cheesecake" in html


def test_a_member_with_nothing_to_suggest_gets_no_card(client_as, member_factory):
    html = client_as("owner").get(reverse("manage:member", args=[member_factory().pk])).content.decode()
    assert 'data-testid="member-suggestions"' not in html


@pytest.mark.parametrize("role", ["owner", "manager", "cashier"])
def test_the_till_suggests_once_the_member_is_found(client_as, coffee_buyer, role):
    response = client_as(role).get(reverse("manage:pos-member", kwargs={"member_id": coffee_buyer.pk}))
    assert response.status_code == 200
    assert suggested(response.content.decode()) == ["CAKE-1", "MUG-1"]


def test_a_partners_till_is_not_shown_the_clubs_suggestions(client_as, coffee_buyer):
    partner = merchant_create(name="کافه شریک")
    response = client_as("cashier", shop=partner).get(reverse("manage:pos-member",
                                                              kwargs={"member_id": coffee_buyer.pk}))
    assert response.status_code == 200
    assert 'data-testid="member-suggestions"' not in response.content.decode()


def test_who_may_not_see_the_pages_is_not_shown_the_suggestions(client, client_as, coffee_buyer):
    member_url = reverse("manage:member", args=[coffee_buyer.pk])
    till_url = reverse("manage:pos-member", kwargs={"member_id": coffee_buyer.pk})
    for url in (member_url, till_url):
        response = client.get(url)  # not logged in
        assert response.status_code == 302 and "Cheesecake" not in response.content.decode()
    response = client_as("marketer").get(till_url)  # the till is not a marketer's
    assert response.status_code == 403 and "Cheesecake" not in response.content.decode()
    partner = merchant_create(name="فروشگاه دیگر")
    response = client_as("owner", shop=partner).get(member_url)  # the member page is the club's own
    assert response.status_code == 403 and "Cheesecake" not in response.content.decode()
