"""The rewards catalogue, redeeming with confirmation, and what a redemption gave."""

import re

import pytest

from vafa.core.jalali import format_jalali_date
from vafa.core.tests.fixtures import balance
from vafa.program.catalog import reward_create
from vafa.rewards.models import Coupon, Redemption
from vafa.rewards.services import reward_redeem
from vafa.usecases.points import member_adjust
from vafa.web.tests.test_portal_helpers import log_in


@pytest.fixture
def rich(merchant, member):
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=500, reason="welcome")
    return member


@pytest.fixture
def coupon_reward(db):
    return reward_create(name="Tea voucher", kind="coupon_amount", cost_points=300, amount_rial=250_000,
                         valid_days=30)


def token_of(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def test_catalogue_groups_affordable_saving_and_unavailable(client, rich, db):
    cheap = reward_create(name="Cheap", kind="coupon_amount", cost_points=100, amount_rial=10_000)
    dear = reward_create(name="Dear", kind="coupon_amount", cost_points=800, amount_rial=90_000)
    gone = reward_create(name="Gone", kind="free_product", cost_points=50, sku="x", stock=0)
    log_in(client, rich)
    page = client.get("/rewards/").content.decode()
    assert f'data-testid="reward-{cheap.pk}" data-group="now"' in page
    assert f'data-testid="reward-{dear.pk}" data-group="saving"' in page
    assert 'data-testid="needed">۳۰۰ امتیاز دیگر لازم است<' in page  # 800 - 500
    assert f'data-testid="reward-{gone.pk}" data-group="unavailable"' in page
    assert "موجودی تمام شده است." in page


def test_redeem_with_confirmation_shows_the_coupon_and_its_qr(client, rich, coupon_reward):
    log_in(client, rich)
    confirm = client.get(f"/rewards/{coupon_reward.pk}/redeem/")
    page = confirm.content.decode()
    assert confirm.status_code == 200
    assert 'data-testid="cost">۳۰۰ امتیاز<' in page and 'data-testid="after">۲۰۰<' in page
    assert balance(rich) == 500  # a confirmation page changes nothing
    response = client.post(f"/rewards/{coupon_reward.pk}/redeem/", {"token": token_of(page)})
    redemption = Redemption.objects.get(member=rich)
    assert response.status_code == 302 and response["Location"] == f"/rewards/redemptions/{redemption.pk}/"
    assert balance(rich) == 200
    shown = client.get(response["Location"]).content.decode()
    coupon = Coupon.objects.get(redemption=redemption)
    assert coupon.code[:4] in shown and coupon.code[4:] in shown
    assert '<figure class="qr" data-testid="qr"><svg' in shown
    assert format_jalali_date(coupon.expires_at) in shown and "۲۵٬۰۰۰ تومان" in shown


def test_double_submit_redeems_once(client, rich, coupon_reward):
    log_in(client, rich)
    token = token_of(client.get(f"/rewards/{coupon_reward.pk}/redeem/").content.decode())
    first = client.post(f"/rewards/{coupon_reward.pk}/redeem/", {"token": token})
    second = client.post(f"/rewards/{coupon_reward.pk}/redeem/", {"token": token})
    assert first["Location"] == second["Location"]
    assert Redemption.objects.filter(member=rich).count() == 1 and balance(rich) == 200


def test_a_post_without_a_confirmation_token_redeems_nothing(client, rich, coupon_reward):
    log_in(client, rich)
    response = client.post(f"/rewards/{coupon_reward.pk}/redeem/", {"token": "made-up-token-123456"})
    assert response.status_code == 409
    assert Redemption.objects.count() == 0 and balance(rich) == 500


def test_insufficient_points_is_409_and_changes_nothing(client, merchant, member, coupon_reward):
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=400, reason="x")
    log_in(client, member)
    token = token_of(client.get(f"/rewards/{coupon_reward.pk}/redeem/").content.decode())
    # the points are spent elsewhere between the confirmation and the click
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=-200, reason="y")
    response = client.post(f"/rewards/{coupon_reward.pk}/redeem/", {"token": token})
    assert response.status_code == 409
    assert 'data-code="insufficient_points"' in response.content.decode()
    assert Redemption.objects.count() == 0 and Coupon.objects.count() == 0 and balance(member) == 200
    assert client.get(f"/rewards/{coupon_reward.pk}/redeem/").status_code == 409  # no form offered


def test_out_of_stock_and_limit_are_409(client, rich):
    stocked = reward_create(name="Last one", kind="free_product", cost_points=10, sku="s", stock=1)
    limited = reward_create(name="Once", kind="free_product", cost_points=10, sku="o", per_member_limit=1)
    log_in(client, rich)
    t1 = token_of(client.get(f"/rewards/{stocked.pk}/redeem/").content.decode())
    t2 = token_of(client.get(f"/rewards/{limited.pk}/redeem/").content.decode())
    stocked.stock = 0
    stocked.save(update_fields=["stock"])
    reward_redeem(member_id=rich.pk, reward_id=limited.pk)
    before = balance(rich)
    r1 = client.post(f"/rewards/{stocked.pk}/redeem/", {"token": t1})
    r2 = client.post(f"/rewards/{limited.pk}/redeem/", {"token": t2})
    assert r1.status_code == 409 and 'data-code="reward_out_of_stock"' in r1.content.decode()
    assert r2.status_code == 409 and 'data-code="reward_limit_reached"' in r2.content.decode()
    assert balance(rich) == before and Redemption.objects.filter(member=rich).count() == 1


def test_gift_card_page_shows_code_qr_and_remaining(client, rich):
    card = reward_create(name="Gift 100k", kind="gift_card", cost_points=200, amount_rial=1_000_000, valid_days=60)
    redemption = reward_redeem(member_id=rich.pk, reward_id=card.pk)
    log_in(client, rich)
    page = client.get(f"/rewards/redemptions/{redemption.pk}/").content.decode()
    assert 'data-testid="gift-remaining">۱۰۰٬۰۰۰ تومان<' in page and "<svg" in page


def test_someone_elses_redemption_is_404(client, member_factory, coupon_reward, merchant):
    me, other = member_factory(), member_factory()
    member_adjust(merchant_id=merchant.pk, member_id=other.pk, points=500, reason="x")
    theirs = reward_redeem(member_id=other.pk, reward_id=coupon_reward.pk)
    log_in(client, me)
    assert client.get(f"/rewards/redemptions/{theirs.pk}/").status_code == 404
    assert client.get("/rewards/redemptions/999999/").status_code == 404
    assert client.get("/rewards/999999/redeem/").status_code == 404
    assert theirs.coupon.code not in client.get("/history/coupons/").content.decode()


def test_a_pending_applicant_cannot_redeem(client, merchant, member_factory, coupon_reward):
    pending = member_factory(status="pending")
    member_adjust(merchant_id=merchant.pk, member_id=pending.pk, points=500, reason="x")
    log_in(client, pending)
    assert 'data-testid="cannot-spend"' in client.get("/rewards/").content.decode()
    assert client.get(f"/rewards/{coupon_reward.pk}/redeem/").status_code == 409
    assert Redemption.objects.count() == 0
