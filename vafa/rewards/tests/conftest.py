"""Fixtures and helpers of the rewards tests: rewards made through the catalogue and members
with points. What a refused request must leave as it was is `REWARD_WRITES` of
vafa.core.tests.fixtures."""

import pytest

from vafa.ledger.services import points_adjust
from vafa.program.catalog import reward_create
from vafa.program.models import Reward

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
