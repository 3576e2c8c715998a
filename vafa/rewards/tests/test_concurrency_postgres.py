"""Coupons, stock, partner code pools and gift cards under real concurrency on PostgreSQL.

Each test releases many threads at once on a barrier; every thread has its own database
connection, so the requests race in PostgreSQL as those of several web workers would. The
fixtures commit for real (transaction=True) so that the threads see them."""


import pytest
from django.test import Client

from vafa.core.errors import CouponExhausted, CouponUsed, GiftCardEmpty, RewardLimitReached, RewardOutOfStock
from vafa.core.tests.fixtures import assert_ledger_ok, balance
from vafa.ledger.models import IdempotencyRecord, Transfer
from vafa.ledger.tests.test_concurrency_postgres import run_together
from vafa.program.models import Reward
from vafa.rewards.models import Coupon, CouponUse, GiftCard, GiftCardUse, PartnerCode, Redemption
from vafa.rewards.services import (
    coupon_redeem,
    gift_card_spend,
    partner_codes_upload,
    promo_code_create,
    reward_redeem,
)
from vafa.rewards.tests.conftest import give_points

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def split(results: list, ok: type, refused: type) -> tuple[list, list]:
    good = [r for r in results if isinstance(r, ok)]
    bad = [r for r in results if isinstance(r, refused)]
    assert len(good) + len(bad) == len(results), [repr(r) for r in results]
    return good, bad


def test_fifty_uses_of_a_ten_use_promo_code_at_once_succeed_exactly_ten_times(merchant, member_factory):
    # Given a promo code usable 10 times, and 50 members at 50 tills
    promo_code_create(code="YALDA", kind="amount", amount_rial=100_000, usage_limit=10, merchant_id=merchant.pk)
    members = [member_factory() for _ in range(50)]

    # When all 50 redeem it at the same moment
    results = run_together(50, lambda i: coupon_redeem(code="yalda", member_id=members[i].pk, amount=1_000_000,
                                                       merchant_id=merchant.pk, reference=f"till-{i}"))

    # Then exactly 10 succeed and 40 are told the code is exhausted
    used, exhausted = split(results, CouponUse, CouponExhausted)
    assert (len(used), len(exhausted)) == (10, 40)
    coupon = Coupon.objects.get(code="YALDA")
    assert (coupon.used_count, coupon.uses.count()) == (10, 10)
    assert {u.discount for u in used} == {100_000}
    assert len({u.member_id for u in used}) == 10


def test_a_single_use_coupon_redeemed_by_twenty_tills_at_once_is_used_once(member, merchant, make_reward):
    # Given a member's personal coupon
    reward = make_reward("coupon_percent", cost_points=0, percent=10)
    code = reward_redeem(member_id=member.pk, reward_id=reward.pk, merchant_id=merchant.pk).coupon.code

    # When 20 tills redeem it at once
    results = run_together(20, lambda i: coupon_redeem(code=code, member_id=member.pk, amount=2_000_000,
                                                       merchant_id=merchant.pk))

    # Then one succeeds and 19 are told it was used
    used, refused = split(results, CouponUse, CouponUsed)
    assert (len(used), len(refused), used[0].discount) == (1, 19, 200_000)
    assert Coupon.objects.get(code=code).used_count == 1
    assert CouponUse.objects.count() == 1


def test_a_reward_with_stock_five_redeemed_by_twenty_members_at_once_goes_five_times(merchant, member_factory,
                                                                                    make_reward):
    # Given a reward with 5 in stock and 20 members with 100 points each
    reward = make_reward("coupon_amount", cost_points=60, stock=5)
    members = [member_factory() for _ in range(20)]
    for m in members:
        give_points(m, 100, merchant)

    # When all of them redeem it at the same moment
    results = run_together(20, lambda i: reward_redeem(member_id=members[i].pk, reward_id=reward.pk,
                                                       merchant_id=merchant.pk))

    # Then exactly five get it, each with a coupon; the others keep their points
    got, out = split(results, Redemption, RewardOutOfStock)
    assert (len(got), len(out)) == (5, 15)
    assert Reward.objects.get(pk=reward.pk).stock == 0
    assert (Redemption.objects.count(), Coupon.objects.count()) == (5, 5)
    assert sorted(balance(m) for m in members) == [40] * 5 + [100] * 15
    assert Transfer.objects.filter(kind="redeem").count() == 5
    assert_ledger_ok()


def test_a_pool_of_three_codes_redeemed_ten_times_at_once_hands_out_three_distinct_codes(
        merchant, member_factory, make_reward):
    # Given a partner pool of three codes and ten members who can afford it
    reward = make_reward("partner_code", cost_points=30)
    partner_codes_upload(reward_id=reward.pk, codes=["NET-A", "NET-B", "NET-C"])
    members = [member_factory() for _ in range(10)]
    for m in members:
        give_points(m, 30, merchant)

    # When all ten redeem it at once
    results = run_together(10, lambda i: reward_redeem(member_id=members[i].pk, reward_id=reward.pk,
                                                       merchant_id=merchant.pk))

    # Then three get a code each, all different, and seven are told it is out of stock
    got, out = split(results, Redemption, RewardOutOfStock)
    assert (len(got), len(out)) == (3, 7)
    assert sorted(r.partner_code.code for r in got) == ["NET-A", "NET-B", "NET-C"]
    assert not PartnerCode.objects.filter(redemption__isnull=True).exists()
    assert sorted(balance(m) for m in members) == [0] * 3 + [30] * 7
    assert_ledger_ok()


def test_one_member_redeeming_a_limited_reward_ten_times_at_once_gets_it_as_often_as_allowed(
        member, merchant, make_reward):
    reward = make_reward("non_material", cost_points=10, per_member_limit=2)
    give_points(member, 1_000, merchant)
    results = run_together(10, lambda i: reward_redeem(member_id=member.pk, reward_id=reward.pk,
                                                       merchant_id=merchant.pk))
    got, refused = split(results, Redemption, RewardLimitReached)
    assert (len(got), len(refused)) == (2, 8)
    assert balance(member) == 980
    assert_ledger_ok()


def test_a_gift_card_spent_at_ten_tills_at_once_never_goes_below_zero(member, merchant, make_reward):
    reward = make_reward("gift_card", cost_points=0, amount_rial=1_000_000)
    code = reward_redeem(member_id=member.pk, reward_id=reward.pk, merchant_id=merchant.pk).gift_card.code
    results = run_together(10, lambda i: gift_card_spend(code=code, amount_rial=300_000))
    spent, refused = split(results, GiftCardUse, GiftCardEmpty)
    assert (len(spent), len(refused)) == (3, 7)
    assert sorted(u.balance_after for u in spent) == [100_000, 400_000, 700_000]
    assert GiftCard.objects.get(code=code).balance_rial == 100_000


def test_one_redemption_sent_twenty_times_with_one_key_takes_effect_once(member, merchant, api_key, make_reward):
    # Given a member with 500 points and a coupon reward of 200
    reward = make_reward("coupon_amount", cost_points=200)
    give_points(member, 500, merchant)
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": "redeem-reward-1", "Accept-Language": "en"}

    # When the same redemption is posted 20 times at once with one key
    responses = run_together(20, lambda i: Client().post(
        f"/api/v1/members/{member.pk}/redemptions", data={"reward_id": reward.pk},
        content_type="application/json", headers=headers))

    # Then every answer is the first one (or a conflict while it ran), and the points went once
    assert all(not isinstance(r, Exception) for r in responses), [repr(r) for r in responses]
    created = [r.json() for r in responses if r.status_code == 201]
    conflicts = [r for r in responses if r.status_code == 409]
    assert len(created) + len(conflicts) == 20
    assert {r.json()["error"]["code"] for r in conflicts} <= {"idempotency_conflict"}
    assert created and all(body == created[0] for body in created)
    assert (created[0]["points_spent"], created[0]["balance_after"]) == (200, 300)
    assert (Redemption.objects.count(), Coupon.objects.count(), balance(member)) == (1, 1, 300)
    assert created[0]["coupon"]["code"].replace("-", "") == Coupon.objects.get().code
    assert IdempotencyRecord.objects.filter(key="redeem-reward-1").count() == 1
    assert_ledger_ok()
