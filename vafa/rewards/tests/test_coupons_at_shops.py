"""A coupon or gift card is used at the merchant that issued it: where its points were spent,
or who minted the promo code. Each use records which merchant redeemed it."""

import pytest

from vafa.core.tests.fixtures import REWARD_WRITES, refused
from vafa.merchants.services import merchant_create
from vafa.rewards.models import CouponUse, GiftCard, GiftCardUse
from vafa.rewards.services import coupon_redeem, coupon_validate, gift_card_spend, promo_code_create, reward_redeem
from vafa.rewards.tests.conftest import give_points


@pytest.fixture
def partner(merchant):
    return merchant_create(name="شریک")


def _promo(merchant_id, code):
    return promo_code_create(merchant_id=merchant_id, code=code, kind="amount", amount_rial=50_000, usage_limit=10)


def test_a_partner_cannot_take_the_operators_promo_code(merchant, partner, member):
    _promo(merchant.pk, "NOWRUZ")
    with refused("coupon_not_valid_here", *REWARD_WRITES):
        coupon_validate(code="NOWRUZ", member_id=member.pk, amount=1_000_000, merchant_id=partner.pk)
    with refused("coupon_not_valid_here", *REWARD_WRITES):
        coupon_redeem(code="NOWRUZ", member_id=member.pk, amount=1_000_000, merchant_id=partner.pk)
    use = coupon_redeem(code="NOWRUZ", member_id=member.pk, amount=1_000_000, merchant_id=merchant.pk)
    assert (use.merchant_id, use.coupon.merchant_id, use.discount) == (merchant.pk, merchant.pk, 50_000)


def test_a_partners_promo_code_is_not_valid_at_the_operators_shops(merchant, partner, member):
    coupon = _promo(partner.pk, "CAFE10")
    assert coupon.merchant_id == partner.pk
    with refused("coupon_not_valid_here", *REWARD_WRITES):
        coupon_redeem(code="CAFE10", member_id=member.pk, amount=1_000_000, merchant_id=merchant.pk)
    assert coupon_redeem(code="CAFE10", member_id=member.pk, amount=1_000_000, merchant_id=partner.pk).discount


def test_a_reward_coupon_is_valid_where_its_points_were_spent(make_reward, member, merchant, partner):
    give_points(member, 1_000, merchant)
    coupon = reward_redeem(member_id=member.pk, reward_id=make_reward().pk, merchant_id=partner.pk).coupon
    with refused("coupon_not_valid_here", *REWARD_WRITES):
        coupon_redeem(code=coupon.code, member_id=member.pk, amount=1_000_000, merchant_id=merchant.pk)
    coupon_redeem(code=coupon.code, member_id=member.pk, amount=1_000_000, merchant_id=partner.pk)
    assert CouponUse.objects.get().merchant_id == partner.pk


def test_a_gift_card_records_its_issuer_and_where_it_was_spent(make_reward, member, merchant, partner):
    give_points(member, 1_000, merchant)
    card = reward_redeem(member_id=member.pk, reward_id=make_reward("gift_card").pk, merchant_id=merchant.pk).gift_card
    assert GiftCard.objects.get(pk=card.pk).merchant_id == merchant.pk
    with refused("gift_card_not_valid_here", *REWARD_WRITES, GiftCard, GiftCardUse):
        gift_card_spend(code=card.code, amount_rial=100_000, merchant_id=partner.pk)
    use = gift_card_spend(code=card.code, amount_rial=100_000, merchant_id=merchant.pk)
    assert (use.merchant_id, use.balance_after) == (merchant.pk, 900_000)
