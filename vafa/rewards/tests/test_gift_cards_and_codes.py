"""Gift cards spent in parts, and partner code pools uploaded and handed out."""

from datetime import timedelta

import pytest
from django.utils import timezone

from vafa.core.errors import GiftCardEmpty, GiftCardNotFound, RewardNotFound, ValidationFailed
from vafa.core.tests import fixtures
from vafa.core.tests.fixtures import REWARD_WRITES
from vafa.rewards import codes
from vafa.rewards.models import GiftCard, GiftCardUse, PartnerCode
from vafa.rewards.selectors import gift_card_find, gift_card_state, member_gift_cards
from vafa.rewards.services import gift_card_spend, partner_codes_upload, reward_redeem

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(member, merchant, make_reward) -> GiftCard:
    """A gift card of 1,000,000 Rials, valid 30 days."""
    reward = make_reward("gift_card", cost_points=0, amount_rial=1_000_000, valid_days=30)
    return reward_redeem(member_id=member.pk, reward_id=reward.pk, merchant_id=merchant.pk).gift_card


def spend_refused(error, code, amount):
    with fixtures.refused(error, *REWARD_WRITES, atomic=True) as caught:
        gift_card_spend(code=code, amount_rial=amount)
    return caught.value


# --- gift cards ---------------------------------------------------------------------------------------


def test_a_gift_card_is_spent_in_parts_down_to_zero(card):
    first = gift_card_spend(code=codes.grouped(card.code).lower(), amount_rial=300_000, reference="INV-1")
    assert (first.amount_rial, first.balance_after, first.reference) == (300_000, 700_000, "INV-1")
    second = gift_card_spend(code=card.code, amount_rial=700_000)
    assert second.balance_after == 0
    card.refresh_from_db()
    assert (card.balance_rial, card.initial_rial, gift_card_state(card)) == (0, 1_000_000, "used")
    assert list(GiftCardUse.objects.order_by("id").values_list("amount_rial", "balance_after")) == [
        (300_000, 700_000), (700_000, 0)]


def test_more_than_the_balance_is_refused(card):
    gift_card_spend(code=card.code, amount_rial=600_000)
    error = spend_refused(GiftCardEmpty, card.code, 400_001)
    assert error.details == {"code": card.code, "reason": "balance", "balance_rial": 400_000, "requested": 400_001}


def test_an_expired_card_is_refused(card):
    GiftCard.objects.filter(pk=card.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    error = spend_refused(GiftCardEmpty, card.code, 1)
    assert error.details["reason"] == "expired"
    card.refresh_from_db()
    assert gift_card_state(card) == "expired"


@pytest.mark.parametrize("code", ["ABCD-EFGH-JKMN", "", "gift"])
def test_an_unknown_card_is_gift_card_not_found(card, code):
    spend_refused(GiftCardNotFound, code, 1)
    with pytest.raises(GiftCardNotFound):
        gift_card_find(code=code)


@pytest.mark.parametrize("amount", [0, -5, 10**15 + 1, 2.5, True, "100"])
def test_the_amount_spent_is_a_positive_whole_number_of_rials(card, amount):
    error = spend_refused(ValidationFailed, card.code, amount)
    assert set(error.details) == {"amount_rial"}


def test_a_members_gift_cards_newest_first(member, merchant, make_reward, card, django_assert_num_queries):
    reward = make_reward("gift_card", cost_points=0, amount_rial=50_000)
    newer = reward_redeem(member_id=member.pk, reward_id=reward.pk, merchant_id=merchant.pk).gift_card
    with django_assert_num_queries(2):  # the member, then the cards with their redemptions
        cards = member_gift_cards(member_id=str(member.pk))
        assert [c.redemption.reward_id for c in cards] == [reward.pk, card.redemption.reward_id]
    assert cards == [newer, card]


# --- partner codes -----------------------------------------------------------------------------------


def test_an_upload_strips_dedupes_and_skips_codes_already_in_the_pool(make_reward):
    reward = make_reward("partner_code")
    assert partner_codes_upload(reward_id=reward.pk, codes=["  NET-1 ", "NET-2", "NET-1", "net-1"]) == 3
    assert partner_codes_upload(reward_id=str(reward.pk), codes=["NET-2", "NET-3"]) == 1
    assert sorted(PartnerCode.objects.values_list("code", flat=True)) == ["NET-1", "NET-2", "NET-3", "net-1"]


def test_the_same_code_may_be_in_two_pools(make_reward):
    a, b = make_reward("partner_code"), make_reward("partner_code")
    assert partner_codes_upload(reward_id=a.pk, codes=["X-1"]) == 1
    assert partner_codes_upload(reward_id=b.pk, codes=["X-1"]) == 1


@pytest.mark.parametrize(
    "codes_, field",
    [
        ([], "codes"),
        ("ABC", "codes"),
        (["ok", ""], "codes[1]"),
        (["ok", "   "], "codes[1]"),
        (["x" * 201], "codes[0]"),
        ([5], "codes[0]"),
        (["c"] * 10_001, "codes"),
    ],
)
def test_a_wrong_upload_adds_nothing(make_reward, codes_, field):
    reward = make_reward("partner_code")
    with pytest.raises(ValidationFailed) as caught:
        partner_codes_upload(reward_id=reward.pk, codes=codes_)
    assert set(caught.value.details) == {field}
    assert PartnerCode.objects.count() == 0


def test_ten_thousand_codes_in_one_upload(make_reward):
    reward = make_reward("partner_code")
    assert partner_codes_upload(reward_id=reward.pk, codes=[f"CODE-{i:05d}" for i in range(10_000)]) == 10_000


def test_codes_only_for_a_partner_code_reward(make_reward):
    with pytest.raises(ValidationFailed) as caught:
        partner_codes_upload(reward_id=make_reward("coupon_amount").pk, codes=["A"])
    assert caught.value.details == {"reward_id": "not a partner_code reward"}
    with pytest.raises(RewardNotFound):
        partner_codes_upload(reward_id="nope", codes=["A"])
    assert PartnerCode.objects.count() == 0
