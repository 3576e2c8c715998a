"""Fixtures and helpers of the rewards tests: rewards made through the catalogue, members
with points, and a snapshot of everything a refused request must leave as it was."""

import pytest

from vafa.ledger.checks import verify_ledger
from vafa.ledger.models import Account, Lot, Transfer
from vafa.ledger.services import points_adjust
from vafa.program.catalog import reward_create
from vafa.program.models import Reward
from vafa.rewards.models import Coupon, CouponUse, GiftCard, GiftCardUse, PartnerCode, Redemption

DEFAULTS = {
    "coupon_amount": {"amount_rial": 500_000},
    "coupon_percent": {"percent": 20},
    "free_product": {"sku": "TEA-100"},
    "gift_card": {"amount_rial": 1_000_000},
    "partner_code": {},
    "charity": {"charity_name": "محک"},
    "non_material": {},
}


def give_points(member, points: int, merchant=None) -> None:
    points_adjust(member_id=member.pk, points=points, reason="test set-up",
                  merchant_id=merchant.pk if merchant else None, expires_at=None)


def balance(member) -> int:
    return Account.objects.get(member=member).balance


def state() -> dict:
    """Everything a redemption or a coupon/gift card use may change."""
    return {
        "accounts": sorted(Account.objects.values_list("code", "balance")),
        "transfers": Transfer.objects.count(),
        "lots": sorted(Lot.objects.values_list("id", "remaining")),
        "rewards": sorted(Reward.objects.values_list("id", "stock")),
        "redemptions": Redemption.objects.count(),
        "coupons": sorted(Coupon.objects.values_list("code", "used_count")),
        "coupon_uses": CouponUse.objects.count(),
        "gift_cards": sorted(GiftCard.objects.values_list("code", "balance_rial")),
        "gift_card_uses": GiftCardUse.objects.count(),
        "partner_codes": sorted(PartnerCode.objects.values_list("id", "redemption_id")),
    }


def assert_ledger_ok() -> None:
    assert [(name, problems) for name, problems in verify_ledger() if problems] == []


@pytest.fixture
def make_reward(db):
    def make(kind: str = "coupon_amount", **fields) -> Reward:
        fields = {"name": f"جایزهٔ {kind}", "kind": kind, "cost_points": 100, **DEFAULTS[kind], **fields}
        return reward_create(**fields)

    return make


@pytest.fixture
def rich(member, merchant):
    """A member with 1,000 available points."""
    give_points(member, 1_000, merchant)
    return member
