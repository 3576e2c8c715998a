"""Schemas of the rewards endpoints, and the JSON bodies of rewards, coupons and gift cards
(shared by vafa.api.rewards and the redemption endpoint)."""

from datetime import datetime
from typing import Literal

from vafa.api.schemas import Schema
from vafa.program.inputs import RewardInput, RewardPatch
from vafa.rewards.inputs import (
    CouponCheckInput,
    CouponRedeemInput,
    GiftCardSpendInput,
    PartnerCodesInput,
    PromoCodeInput,
)
from vafa.rewards.models import Coupon, GiftCard, Redemption
from vafa.rewards.selectors import coupon_state, gift_card_state, grouped

# The request bodies are the domain's input models (vafa.program.inputs, vafa.rewards.inputs).
__all__ = ["CouponCheckInput", "CouponRedeemInput", "GiftCardSpendInput", "PartnerCodesInput", "PromoCodeInput",
           "RewardInput", "RewardPatch"]


class RewardOut(Schema):
    id: int
    name: str
    description: str
    kind: str
    active: bool
    cost_points: int
    amount_rial: int | None
    percent: int | None
    cap_rial: int | None
    min_purchase_rial: int
    sku: str
    stock: int | None
    per_member_limit: int | None
    tiers: list[str]
    member_kinds: list[str]
    plans: list[int]
    starts_at: datetime | None
    ends_at: datetime | None
    valid_days: int | None
    charity_name: str
    ships: bool
    available_codes: int | None


class MemberRewardOut(RewardOut):
    affordable: bool
    available: bool
    reason: dict | None


class MemberCatalogueOut(Schema):
    available_points: int
    rewards: list[MemberRewardOut]


class PartnerCodesOut(Schema):
    added: int
    available: int


class CouponOut(Schema):
    code: str
    kind: str
    amount_rial: int | None
    percent: int | None
    cap_rial: int | None
    min_purchase_rial: int
    sku: str
    expires_at: datetime | None


class CouponValidOut(CouponOut):
    valid: bool
    discount: int
    starts_at: datetime | None
    member_id: int | None
    usage_limit: int
    used_count: int


class CouponUseOut(Schema):
    code: str
    discount: int
    used_count: int
    usage_limit: int


class MemberCouponOut(CouponOut):
    state: Literal["active", "used", "expired", "scheduled"]
    usage_limit: int
    used_count: int
    reward_id: int | None
    created_at: datetime


class PromoCodeOut(Schema):
    code: str
    kind: str
    amount_rial: int | None
    percent: int | None
    cap_rial: int | None
    min_purchase_rial: int
    sku: str
    usage_limit: int
    used_count: int
    per_member_limit: int | None
    starts_at: datetime | None
    ends_at: datetime | None


class GiftCardOut(Schema):
    code: str
    balance_rial: int
    expires_at: datetime | None


class GiftCardDetailOut(GiftCardOut):
    initial_rial: int
    state: Literal["active", "used", "expired"]
    member_id: int
    reward_id: int | None
    created_at: datetime


class GiftCardSpendOut(Schema):
    code: str
    amount_rial: int
    balance_rial: int
    reference: str


# --- bodies ------------------------------------------------------------------------------------


def coupon_body(coupon: Coupon) -> dict:
    return {"code": coupon.code if coupon.is_promo else grouped(coupon.code), "kind": coupon.kind,
            "amount_rial": coupon.amount_rial, "percent": coupon.percent, "cap_rial": coupon.cap_rial,
            "min_purchase_rial": coupon.min_purchase_rial, "sku": coupon.sku, "expires_at": coupon.expires_at}


def member_coupon_body(coupon: Coupon, now: datetime) -> dict:
    return {**coupon_body(coupon), "state": coupon_state(coupon, now), "usage_limit": coupon.usage_limit,
            "used_count": coupon.used_count,
            "reward_id": coupon.redemption.reward_id if coupon.redemption_id else None,
            "created_at": coupon.created_at}


def promo_code_body(coupon: Coupon) -> dict:
    return {"code": coupon.code, "kind": coupon.kind, "amount_rial": coupon.amount_rial, "percent": coupon.percent,
            "cap_rial": coupon.cap_rial, "min_purchase_rial": coupon.min_purchase_rial, "sku": coupon.sku,
            "usage_limit": coupon.usage_limit, "used_count": coupon.used_count,
            "per_member_limit": coupon.per_member_limit, "starts_at": coupon.starts_at,
            "ends_at": coupon.expires_at}


def gift_card_body(card: GiftCard) -> dict:
    return {"code": grouped(card.code), "balance_rial": card.balance_rial, "expires_at": card.expires_at}


def gift_card_detail_body(card: GiftCard, now: datetime) -> dict:
    return {**gift_card_body(card), "initial_rial": card.initial_rial, "state": gift_card_state(card, now),
            "member_id": card.member_id, "reward_id": card.redemption.reward_id if card.redemption_id else None,
            "created_at": card.created_at}


def redemption_body(redemption: Redemption) -> dict:
    """The answer to a reward redemption: what was spent and what it gave. `reward_redeem`
    has already loaded what it gave, so this reads nothing more."""
    kind = redemption.reward.kind
    coupon = redemption.coupon if kind in ("coupon_amount", "coupon_percent", "free_product") else None
    gift_card = redemption.gift_card if kind == "gift_card" else None
    partner_code = redemption.partner_code if kind == "partner_code" else None
    return {"points_spent": redemption.points, "balance_after": redemption.balance_after,
            "coupon": coupon_body(coupon) if coupon else None,
            "gift_card": gift_card_body(gift_card) if gift_card else None,
            "partner_code": partner_code.code if partner_code else None,
            "redemption_id": redemption.pk, "reward_id": redemption.reward_id}
