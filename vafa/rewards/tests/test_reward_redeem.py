"""reward_redeem: every kind of reward spends its points once and gives exactly what it
promises; every refusal names its reason and leaves everything as it was."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from vafa.core.codes import ALPHABET
from vafa.core.errors import (
    InsufficientPoints,
    MemberBlocked,
    MemberNotFound,
    MemberPending,
    RewardLimitReached,
    RewardNotFound,
    RewardOutOfStock,
    RewardUnavailable,
)
from vafa.core.tests import fixtures
from vafa.core.tests.fixtures import REWARD_WRITES, assert_ledger_ok, balance, db_state
from vafa.ledger.models import Account, Transfer
from vafa.members.models import Membership, MembershipPlan
from vafa.members.services import member_status_set
from vafa.merchants.services import merchant_create
from vafa.program.models import MemberTier, ProgramSettings, Reward, Tier
from vafa.rewards.models import Coupon, GiftCard, PartnerCode, Redemption
from vafa.rewards.selectors import charity_totals
from vafa.rewards.services import partner_codes_upload, reward_redeem
from vafa.rewards.tests.conftest import give_points

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def redeem(member, reward, merchant=None, **kwargs) -> Redemption:
    return reward_redeem(member_id=member.pk, reward_id=reward.pk if isinstance(reward, Reward) else reward,
                         merchant_id=merchant.pk if merchant else None, **kwargs)


def refused(error, member, reward, merchant=None, **kwargs):
    """Redeem in its own transaction, as the API does: the error rolls everything back."""
    with fixtures.refused(error, *REWARD_WRITES, atomic=True) as caught:
        redeem(member, reward, merchant, **kwargs)
    return caught.value


def redeem_transfer(redemption) -> Transfer:
    return Transfer.objects.get(source_kind="reward", source_id=redemption.pk)


# --- what each kind gives --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, fields, coupon_fields",
    [
        ("coupon_amount", {"amount_rial": 500_000, "min_purchase_rial": 2_000_000},
         {"kind": "amount", "amount_rial": 500_000, "percent": None, "cap_rial": None,
          "min_purchase_rial": 2_000_000, "sku": ""}),
        ("coupon_percent", {"percent": 15, "cap_rial": 300_000, "min_purchase_rial": 1_000_000},
         {"kind": "percent", "amount_rial": None, "percent": 15, "cap_rial": 300_000,
          "min_purchase_rial": 1_000_000, "sku": ""}),
        ("free_product", {"sku": "TEA-100", "amount_rial": 250_000},
         {"kind": "free_product", "amount_rial": 250_000, "percent": None, "cap_rial": None,
          "min_purchase_rial": 0, "sku": "TEA-100"}),
    ],
)
def test_a_coupon_reward_spends_its_points_and_gives_a_personal_single_use_coupon(
        rich, merchant, make_reward, kind, fields, coupon_fields):
    # Given a member with 1,000 points and a coupon reward costing 300, valid 30 days
    reward = make_reward(kind, cost_points=300, valid_days=30, **{k: v for k, v in fields.items()})
    started = timezone.now()

    # When the member redeems it at the merchant
    redemption = redeem(rich, reward, merchant)

    # Then 300 points are spent and one personal coupon is issued
    assert (redemption.points, redemption.balance_after, balance(rich)) == (300, 700, 700)
    assert (redemption.value_rial, redemption.free, redemption.merchant_id) == (300 * 100, False, merchant.pk)
    coupon = Coupon.objects.get()
    assert redemption.coupon == coupon
    assert {k: getattr(coupon, k) for k in coupon_fields} == coupon_fields
    assert (coupon.member_id, coupon.redemption_id, coupon.is_promo, coupon.usage_limit, coupon.used_count) == (
        rich.pk, redemption.pk, False, 1, 0)
    assert len(coupon.code) == 8 and set(coupon.code) <= set(ALPHABET)
    assert started + 30 * DAY <= coupon.expires_at <= timezone.now() + 30 * DAY
    # and the ledger names the reward and the merchant where the points were spent
    transfer = redeem_transfer(redemption)
    assert (transfer.kind, transfer.amount, transfer.debit.member_id, transfer.credit.code, transfer.merchant_id) == (
        "redeem", 300, rich.pk, f"redeemed:{merchant.pk}", merchant.pk)
    assert transfer.memo == f"reward {reward.pk}: {reward.name}"
    assert_ledger_ok()


def test_a_coupon_without_valid_days_never_expires(rich, merchant, make_reward):
    redeem(rich, make_reward("coupon_amount", valid_days=None), merchant)
    assert Coupon.objects.get().expires_at is None


def test_a_gift_card_reward_gives_a_card_holding_its_value(rich, merchant, make_reward):
    # Given a gift card of 1,000,000 Rials for 400 points, valid a year
    reward = make_reward("gift_card", cost_points=400, amount_rial=1_000_000, valid_days=365)
    started = timezone.now()

    # When it is redeemed
    redemption = redeem(rich, reward, merchant)

    # Then the member holds a card with the whole value as its balance
    card = GiftCard.objects.get()
    assert redemption.gift_card == card
    assert (card.member_id, card.initial_rial, card.balance_rial, card.redemption_id) == (
        rich.pk, 1_000_000, 1_000_000, redemption.pk)
    assert len(card.code) == 12 and set(card.code) <= set(ALPHABET)
    assert started + 365 * DAY <= card.expires_at <= timezone.now() + 365 * DAY
    assert (balance(rich), Coupon.objects.count()) == (600, 0)
    assert_ledger_ok()


def test_a_partner_code_reward_hands_out_one_code_of_its_pool(rich, merchant, make_reward):
    # Given a pool of two codes
    reward = make_reward("partner_code", cost_points=250)
    partner_codes_upload(reward_id=reward.pk, codes=["FILIMO-AAA-111", "FILIMO-BBB-222"])

    # When the member redeems it twice
    first, second = redeem(rich, reward, merchant), redeem(rich, reward, merchant)

    # Then each redemption took a different code, oldest first, and the pool is empty
    assert (first.partner_code.code, second.partner_code.code) == ("FILIMO-AAA-111", "FILIMO-BBB-222")
    assert not PartnerCode.objects.filter(redemption__isnull=True).exists()
    assert balance(rich) == 500
    # and a third finds the pool empty, changing nothing
    refused(RewardOutOfStock, rich, reward, merchant)


def test_a_charity_reward_records_a_donation_worth_its_points(rich, merchant, make_reward, member_factory):
    # Given a point worth 120 Rials and two charities
    ProgramSettings.objects.update_or_create(pk=1, defaults={"point_value_rial": 120})
    mahak = make_reward("charity", cost_points=200, charity_name="محک")
    behnam = make_reward("charity", cost_points=50, charity_name="بهنام دهش‌پور")
    other = member_factory()
    give_points(other, 500, merchant)

    # When members give their points
    redeem(rich, mahak, merchant)
    redeem(other, mahak, merchant)
    donation = redeem(rich, behnam, merchant)

    # Then each donation is recorded at the point's value, and the totals add up per charity
    assert (donation.points, donation.value_rial, balance(rich), balance(other)) == (50, 6_000, 750, 300)
    assert charity_totals() == [
        {"reward_id": behnam.pk, "charity_name": "بهنام دهش‌پور", "donations": 1, "points": 50, "value_rial": 6_000},
        {"reward_id": mahak.pk, "charity_name": "محک", "donations": 2, "points": 400, "value_rial": 48_000},
    ]
    assert (Coupon.objects.count(), GiftCard.objects.count()) == (0, 0)
    assert_ledger_ok()


def test_a_non_material_reward_is_just_the_redemption(rich, merchant, make_reward):
    reward = make_reward("non_material", cost_points=80)
    redemption = redeem(rich, reward, merchant)
    assert (redemption.points, balance(rich), Redemption.objects.count()) == (80, 920, 1)
    assert (Coupon.objects.count(), GiftCard.objects.count(), PartnerCode.objects.count()) == (0, 0, 0)
    assert_ledger_ok()


def test_a_reward_costing_nothing_moves_no_points(rich, merchant, make_reward):
    redemption = redeem(rich, make_reward("non_material", cost_points=0), merchant)
    assert (redemption.points, redemption.balance_after) == (0, 1_000)
    assert not Transfer.objects.filter(kind="redeem").exists()


def test_a_stocked_reward_counts_down_its_stock(rich, merchant, make_reward):
    reward = make_reward("coupon_amount", stock=2)
    redeem(rich, reward, merchant)
    reward.refresh_from_db()
    assert reward.stock == 1
    redeem(rich, reward, merchant)
    reward.refresh_from_db()
    assert reward.stock == 0
    error = refused(RewardOutOfStock, rich, reward, merchant)
    assert error.details == {"reward_id": reward.pk}
    assert balance(rich) == 800


# --- free rewards (issued by a rule) ---------------------------------------------------------------


def test_a_free_reward_spends_no_points_but_gives_the_same_coupon(member, merchant, make_reward):
    # Given a member with no points at all
    reward = make_reward("coupon_percent", cost_points=500, percent=10)

    # When a rule issues the reward free
    redemption = redeem(member, reward, merchant, free=True, rule="7")

    # Then the coupon is there, no points moved, and the redemption names the rule
    assert (redemption.points, redemption.free, redemption.rule, redemption.balance_after) == (0, True, "7", 0)
    assert redemption.value_rial == 500 * 100
    assert Coupon.objects.get().percent == 10
    assert not Transfer.objects.exists()


def test_a_free_reward_still_keeps_stock_and_the_member_limit(member, merchant, make_reward):
    reward = make_reward("non_material", stock=5, per_member_limit=1)
    redeem(member, reward, merchant, free=True)
    reward.refresh_from_db()
    assert reward.stock == 4
    refused(RewardLimitReached, member, reward, merchant, free=True)


def test_a_pending_applicant_may_receive_a_free_reward_but_not_spend_on_one(rich, merchant, make_reward):
    member_status_set(member=rich, status="pending")
    reward = make_reward("non_material")
    refused(MemberPending, rich, reward, merchant)
    assert redeem(rich, reward, merchant, free=True).free is True


# --- where the points go -----------------------------------------------------------------------------


def test_points_spent_without_a_merchant_go_to_the_clubs_first_merchant(rich, merchant, make_reward):
    # Given a second merchant (the club's first one is `merchant`)
    merchant_create(name="فروشگاه دوم")

    # When the member redeems in the portal, with no merchant
    redemption = redeem(rich, make_reward("non_material", cost_points=120))

    # Then the points are counted as spent at the club's first merchant
    assert redemption.merchant_id == merchant.pk
    assert redeem_transfer(redemption).credit.code == f"redeemed:{merchant.pk}"
    assert_ledger_ok()


# --- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("reward_id", [999_999, "999999", "gold-card", "0", -1, "1.0", " 1", "", None])
def test_an_unknown_reward_is_reward_not_found(rich, merchant, reward_id):
    error = refused(RewardNotFound, rich, reward_id, merchant)
    assert error.details == {"reward_id": reward_id if isinstance(reward_id, int) else str(reward_id)}


def test_a_reward_of_an_unknown_member_is_member_not_found(merchant, make_reward):
    reward = make_reward()
    before = db_state(*REWARD_WRITES)
    with pytest.raises(MemberNotFound), transaction.atomic():
        reward_redeem(member_id=10**9, reward_id=reward.pk, merchant_id=merchant.pk)
    assert db_state(*REWARD_WRITES) == before


def test_not_enough_points_is_insufficient_points(member, merchant, make_reward):
    give_points(member, 99, merchant)
    error = refused(InsufficientPoints, member, make_reward("gift_card", cost_points=100), merchant)
    assert error.details == {"requested": 100, "available": 99, "deficit": 0}


def test_a_blocked_member_takes_nothing_even_free(rich, merchant, make_reward):
    member_status_set(member=rich, status="blocked")
    reward = make_reward("non_material")
    refused(MemberBlocked, rich, reward, merchant)
    refused(MemberBlocked, rich, reward, merchant, free=True)


def test_the_member_limit_counts_the_members_own_redemptions(rich, merchant, make_reward, member_factory):
    reward = make_reward("non_material", cost_points=10, per_member_limit=2)
    redeem(rich, reward, merchant)
    redeem(rich, reward, merchant)
    error = refused(RewardLimitReached, rich, reward, merchant)
    assert error.details == {"reward_id": reward.pk, "per_member_limit": 2, "redeemed": 2}
    # another member still may
    other = member_factory()
    give_points(other, 10, merchant)
    assert redeem(other, reward, merchant).points == 10


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"active": False}, {"reason": "inactive"}),
        ({"member_kinds": ["organization"]}, {"reason": "member_kind", "member_kinds": ["organization"]}),
    ],
)
def test_an_unavailable_reward_says_why(rich, merchant, make_reward, fields, reason):
    reward = make_reward("non_material", **fields)
    error = refused(RewardUnavailable, rich, reward, merchant)
    assert error.details == {"reward_id": reward.pk, **reason}


def test_a_reward_is_available_only_between_its_dates(rich, merchant, make_reward):
    now = timezone.now()
    later = make_reward("non_material", starts_at=now + DAY)
    error = refused(RewardUnavailable, rich, later, merchant)
    assert error.details == {"reward_id": later.pk, "reason": "not_started", "starts_at": later.starts_at.isoformat()}
    over = make_reward("non_material", starts_at=now - 2 * DAY, ends_at=now - DAY)
    error = refused(RewardUnavailable, rich, over, merchant)
    assert error.details == {"reward_id": over.pk, "reason": "ended", "ends_at": over.ends_at.isoformat()}
    current = make_reward("non_material", starts_at=now - DAY, ends_at=now + DAY)
    assert redeem(rich, current, merchant).points == 100


def test_a_tier_reward_is_for_members_of_those_tiers(rich, merchant, make_reward):
    # Given a reward for gold members
    gold = Tier.objects.create(code="gold", name="طلایی", rank=2)
    silver = Tier.objects.create(code="silver", name="نقره‌ای", rank=1)
    reward = make_reward("non_material", tiers=["gold"])

    # When a member without a tier, then a silver one, tries: refused
    error = refused(RewardUnavailable, rich, reward, merchant)
    assert error.details == {"reward_id": reward.pk, "reason": "tier", "tiers": ["gold"]}
    state_ = MemberTier.objects.create(member=rich, tier=silver, since=timezone.now())
    refused(RewardUnavailable, rich, reward, merchant)

    # Then once gold, the member may
    state_.tier = gold
    state_.save()
    assert redeem(rich, reward, merchant).points == 100


def test_a_plan_reward_needs_an_active_paid_membership(rich, merchant, make_reward):
    now = timezone.now()
    plan = MembershipPlan.objects.create(name="VIP", fee_rial=5_000_000)
    reward = make_reward("non_material", plans=[plan.pk])
    # none
    error = refused(RewardUnavailable, rich, reward, merchant)
    assert error.details == {"reward_id": reward.pk, "reason": "plan", "plans": [plan.pk]}
    # one that ended yesterday, one that starts tomorrow
    Membership.objects.create(member=rich, plan=plan, starts_at=now - 30 * DAY, ends_at=now - DAY, amount_rial=1)
    Membership.objects.create(member=rich, plan=plan, starts_at=now + DAY, ends_at=now + 30 * DAY, amount_rial=1)
    refused(RewardUnavailable, rich, reward, merchant)
    # one running now
    Membership.objects.create(member=rich, plan=plan, starts_at=now - DAY, ends_at=now + DAY, amount_rial=1)
    assert redeem(rich, reward, merchant).points == 100


def test_a_refusal_after_the_stock_was_taken_gives_the_stock_back(member, merchant, make_reward):
    # Given a reward with stock 1 that the member cannot afford
    give_points(member, 10, merchant)
    reward = make_reward("coupon_amount", stock=1, cost_points=11)
    refused(InsufficientPoints, member, reward, merchant)
    reward.refresh_from_db()
    assert reward.stock == 1


def test_redemptions_only_happen_when_asked(rich, merchant, make_reward):
    # A member holding enough points for a reward keeps them until someone redeems.
    make_reward("non_material", cost_points=10)
    give_points(rich, 5_000, merchant)
    assert (Redemption.objects.count(), balance(rich)) == (0, 6_000)
    assert Account.objects.filter(code__startswith="redeemed").count() == 1  # opened with the merchant, unused
    assert not Transfer.objects.filter(kind="redeem").exists()
