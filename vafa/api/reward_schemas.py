"""Schemas of the rewards endpoints, and the JSON bodies of rewards, coupons and gift cards
(shared by vafa.api.rewards and the redemption endpoint)."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field
from pydantic import StrictBool, StrictInt, StrictStr

from vafa.api.schemas import Schema
from vafa.rewards.models import Coupon, GiftCard, Redemption
from vafa.rewards.selectors import coupon_state, gift_card_state, grouped

RewardKind = Literal["coupon_amount", "coupon_percent", "free_product", "gift_card", "partner_code", "charity",
                     "non_material"]
Name = Annotated[StrictStr, Field(max_length=200)]
Code = Annotated[StrictStr, Field(max_length=64)]
Reference = Annotated[StrictStr, Field(max_length=100)]


class RewardIn(Schema):
    name: Name
    kind: RewardKind
    description: Annotated[StrictStr, Field(max_length=5000)] = ""
    active: StrictBool = True
    cost_points: StrictInt = 0
    amount_rial: StrictInt | None = None
    percent: StrictInt | None = None
    cap_rial: StrictInt | None = None
    min_purchase_rial: StrictInt = 0
    sku: Annotated[StrictStr, Field(max_length=64)] = ""
    stock: StrictInt | None = None
    per_member_limit: StrictInt | None = None
    tiers: Annotated[list[Annotated[StrictStr, Field(max_length=40)]], Field(max_length=100)] = []
    member_kinds: list[Literal["person", "organization"]] = []
    plans: Annotated[list[StrictInt], Field(max_length=100)] = []
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    valid_days: StrictInt | None = None
    charity_name: Name = ""


class RewardPatch(Schema):
    """Only the fields sent are changed (null empties an optional field)."""

    name: Name | None = None
    kind: RewardKind | None = None
    description: Annotated[StrictStr, Field(max_length=5000)] | None = None
    active: StrictBool | None = None
    cost_points: StrictInt | None = None
    amount_rial: StrictInt | None = None
    percent: StrictInt | None = None
    cap_rial: StrictInt | None = None
    min_purchase_rial: StrictInt | None = None
    sku: Annotated[StrictStr, Field(max_length=64)] | None = None
    stock: StrictInt | None = None
    per_member_limit: StrictInt | None = None
    tiers: Annotated[list[Annotated[StrictStr, Field(max_length=40)]], Field(max_length=100)] | None = None
    member_kinds: list[Literal["person", "organization"]] | None = None
    plans: Annotated[list[StrictInt], Field(max_length=100)] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    valid_days: StrictInt | None = None
    charity_name: Name | None = None


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
    available_codes: int | None


class MemberRewardOut(RewardOut):
    affordable: bool
    available: bool
    reason: dict | None


class MemberCatalogueOut(Schema):
    available_points: int
    rewards: list[MemberRewardOut]


class PartnerCodesIn(Schema):
    codes: Annotated[list[StrictStr], Field(max_length=10_000)]


class PartnerCodesOut(Schema):
    added: int
    available: int


class CouponCheckIn(Schema):
    code: Code
    member_id: StrictInt | StrictStr | None = None
    amount: StrictInt


class CouponRedeemIn(CouponCheckIn):
    reference: Reference = ""


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


class PromoCodeIn(Schema):
    code: Code
    kind: Literal["amount", "percent", "free_product", "coupon_amount", "coupon_percent"]
    usage_limit: StrictInt
    amount_rial: StrictInt | None = None
    percent: StrictInt | None = None
    cap_rial: StrictInt | None = None
    per_member_limit: StrictInt | None = None
    min_purchase_rial: StrictInt = 0
    sku: Annotated[StrictStr, Field(max_length=64)] = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None


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


class GiftCardSpendIn(Schema):
    code: Code
    amount_rial: StrictInt
    reference: Reference = ""


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
