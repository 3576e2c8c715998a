"""The till under concurrent submits on PostgreSQL: the same checkout form submitted at once
records one purchase; a single-use coupon at two tills is used once, and the losing till
records nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from vafa.commerce.models import Purchase
from vafa.core.tests.fixtures import assert_ledger_ok
from vafa.ledger.models import Account
from vafa.ledger.tests.test_concurrency_postgres import run_together
from vafa.merchants.models import StaffProfile
from vafa.merchants.staff import staff_create
from vafa.rewards.models import Coupon, CouponUse
from vafa.rewards.services import promo_code_create
from vafa.usecases.points import member_adjust
from vafa.web.manage.pos_forms import new_external_id

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cashier_user(merchant):
    user = staff_create(username="till-1", password="vafa-test-pass-1", role="cashier")
    StaffProfile.objects.filter(user=user).update(merchant=merchant)
    return user


def _post(user, member, data):
    client = Client()
    client.force_login(user)
    return client.post(reverse("manage:pos-member", kwargs={"member_id": member.pk}), data)


def test_a_checkout_submitted_twice_at_once_records_one_purchase(cashier_user, merchant, member):
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=300, reason="opening balance")
    promo_code_create(code="TWICE", kind="amount", amount_rial=10_000, usage_limit=5, merchant_id=merchant.pk)
    data = {"amount": "250,000", "redeem_points": "100", "coupon": "TWICE", "payment_method": "card",
            "external_id": new_external_id()}

    responses = run_together(4, lambda i: _post(cashier_user, member, data))

    assert [r.status_code for r in responses] == [302] * 4
    purchase = Purchase.objects.get()
    assert {r["Location"].split("?")[0] for r in responses} == {f"/manage/pos/receipts/{purchase.pk}/"}
    assert CouponUse.objects.count() == 1 and Coupon.objects.get().used_count == 1
    assert Account.objects.get(member=member).balance == 300 - 100 + purchase.points_earned
    assert_ledger_ok()


def test_a_single_use_coupon_at_two_tills_is_used_once(cashier_user, merchant, member_factory):
    members = [member_factory() for _ in range(2)]
    for m in members:
        member_adjust(merchant_id=merchant.pk, member_id=m.pk, points=200, reason="opening balance")
    promo_code_create(code="ONCE", kind="amount", amount_rial=10_000, usage_limit=1, merchant_id=merchant.pk)

    responses = run_together(2, lambda i: _post(cashier_user, members[i], {
        "amount": "100,000", "redeem_points": "100", "coupon": "ONCE", "payment_method": "card",
        "external_id": new_external_id()}))

    assert sorted(r.status_code for r in responses) == [302, 409]
    winner = Purchase.objects.get()
    loser = next(m for m in members if m.pk != winner.member_id)
    assert Account.objects.get(member=loser).balance == 200  # its points were not spent
    assert CouponUse.objects.get().member_id == winner.member_id
    assert_ledger_ok()
