"""What a member can afford now and what they save for: the catalogue as one member sees it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from vafa.program.models import MemberTier, Tier
from vafa.rewards.selectors import coupon_state, member_catalogue, member_coupons
from vafa.rewards.services import partner_codes_upload, reward_redeem
from vafa.rewards.tests.conftest import give_points

pytestmark = pytest.mark.django_db


def test_each_reward_says_whether_it_is_affordable_and_available(member, merchant, make_reward):
    # Given a member with 300 points in no tier
    give_points(member, 300, merchant)
    Tier.objects.create(code="gold", name="طلایی", rank=2)
    cheap = make_reward("coupon_amount", cost_points=100, per_member_limit=1)
    dear = make_reward("gift_card", cost_points=1_000)
    gold = make_reward("non_material", cost_points=50, tiers=["gold"])
    empty_pool = make_reward("partner_code", cost_points=10)
    sold_out = make_reward("non_material", cost_points=10, stock=0)
    make_reward("non_material", active=False)  # never shown
    reward_redeem(member_id=member.pk, reward_id=cheap.pk, merchant_id=merchant.pk)

    # When the member looks at the catalogue
    points, entries = member_catalogue(member_id=member.pk)

    # Then each active reward is there, cheapest first, with what stands in the way
    assert points == 200
    assert [(e.reward.pk, e.affordable, e.available, e.reason) for e in entries] == [
        (empty_pool.pk, True, False, {"reason": "out_of_stock"}),
        (sold_out.pk, True, False, {"reason": "out_of_stock"}),
        (gold.pk, True, False, {"reason": "tier", "tiers": ["gold"]}),
        (cheap.pk, True, False, {"reason": "limit_reached", "per_member_limit": 1}),
        (dear.pk, False, True, None),
    ]


def test_the_catalogue_costs_the_same_queries_whatever_its_size(member, merchant, make_reward,
                                                                django_assert_max_num_queries):
    give_points(member, 300, merchant)
    MemberTier.objects.create(member=member, tier=Tier.objects.create(code="gold", name="طلایی", rank=2),
                              since=timezone.now())
    for i in range(3):
        partner_codes_upload(reward_id=make_reward("partner_code", cost_points=i).pk, codes=["A", "B"])
        make_reward("coupon_amount", per_member_limit=2, tiers=["gold"])
    with django_assert_max_num_queries(8) as few:
        member_catalogue(member_id=member.pk)
    for _ in range(20):
        make_reward("coupon_percent", per_member_limit=1, plans=[], stock=4)
    with django_assert_max_num_queries(len(few.captured_queries)):
        _points, entries = member_catalogue(member_id=member.pk)
    assert len(entries) == 26


def test_a_members_coupons_with_their_state(member, merchant, make_reward):
    reward = make_reward("coupon_amount", cost_points=0, valid_days=10)
    used, expired, active = (reward_redeem(member_id=member.pk, reward_id=reward.pk).coupon for _ in range(3))
    used.used_count = 1
    used.save()
    expired.expires_at = timezone.now() - timedelta(minutes=1)
    expired.save()
    coupons = member_coupons(member_id=member.pk)
    assert [(c.pk, coupon_state(c)) for c in coupons] == [(active.pk, "active"), (expired.pk, "expired"),
                                                          (used.pk, "used")]
