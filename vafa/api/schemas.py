from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field
from ninja import Schema as NinjaSchema
from pydantic import BeforeValidator, ConfigDict, StrictBool, StrictInt, StrictStr

from vafa.ledger.inputs import Spend
from vafa.rewards.inputs import ShippingInput


class Schema(NinjaSchema):
    # An unknown field is refused, so a typo (`redeem_point`) never passes silently.
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(NinjaSchema):
    code: str
    message: str
    details: dict


class ErrorOut(NinjaSchema):
    error: ErrorDetail

Text = Annotated[StrictStr, Field(max_length=200)]
ShortText = Annotated[StrictStr, Field(max_length=100)]


class OccasionIn(Schema):
    kind: Literal["wedding", "other"]
    title: ShortText = ""
    date: date


class MemberIn(Schema):
    phone: Annotated[StrictStr, Field(max_length=40)]
    first_name: ShortText = ""
    last_name: ShortText = ""
    kind: Literal["person", "organization"] = "person"
    organization_name: Text = ""
    national_id: Annotated[StrictStr, Field(max_length=20)] = ""
    email: Annotated[StrictStr, Field(max_length=254)] = ""
    birth_date: date | None = None
    referral_code: Annotated[StrictStr, Field(max_length=20)] = ""
    consents: dict[Literal["sms", "email", "push"], StrictBool] = {}
    interests: Annotated[list[ShortText], Field(max_length=50)] = []
    occasions: Annotated[list[OccasionIn], Field(max_length=20)] = []


class ConsentOut(Schema):
    granted: bool
    changed_at: datetime


class TierBriefOut(Schema):
    code: str
    name: str
    rank: int
    color: str
    earn_percent: int
    kept_until: datetime | None = None


class MemberClvOut(Schema):
    """The nightly lifetime-value figures (null until the member is scored)."""

    p_alive: float
    expected_purchases_90d: float
    clv_rial: int


class MemberOut(Schema):
    id: int
    phone: str
    kind: str
    status: str
    first_name: str
    last_name: str
    organization_name: str
    national_id: str
    email: str
    birth_date: date | None
    referral_code: str
    points_balance: int
    tier: str | None = None
    next_tier: str | None = None
    to_next_tier: int | None = None
    tier_detail: "TierBriefOut | None" = None
    consents: dict[str, ConsentOut] = {}
    interests: list[str] = []
    joined_at: datetime
    clv: MemberClvOut | None = None


class ExpiringOut(Schema):
    points: int
    expires_at: datetime


class PointsOut(Schema):
    balance: int
    available: int
    pending: int
    deficit: int
    value: int
    expiring: list[ExpiringOut]


class LedgerLineOut(Schema):
    id: int
    kind: str
    points: int
    rule: str
    memo: str
    source_kind: str
    source_id: int | None
    merchant_id: int | None
    reverses_id: int | None
    created_at: datetime


class LedgerPageOut(Schema):
    items: list[LedgerLineOut]
    next_cursor: str | None


class AppliedRuleOut(Schema):
    rule_id: str | int | None
    name: str
    points: int
    detail: str = ""
    reward_id: int | None = None
    free_item: dict | None = None


class PurchaseOut(Schema):
    id: int
    member_id: int
    external_id: str | None
    amount: int
    points_earned: int
    points_redeemed: int
    discount: int
    balance_after: int
    applied_rules: list[AppliedRuleOut]
    occurred_at: datetime


class RefundOut(Schema):
    id: int
    purchase_id: int
    amount: int
    points_reversed: int
    points_returned: int
    balance_after: int


def _shipping_filled(value):
    # Each missing field of the address says what it must be, as the services say it.
    return ShippingInput.filled(value) if isinstance(value, dict) else value


class RedemptionIn(Schema):
    """Points (vafa.ledger.inputs.Spend) or a catalogue reward, one of the two."""

    points: Spend | None = None
    reward_id: StrictInt | StrictStr | None = None
    member_code: str | None = Field(None, max_length=20, description=(
        "the member's spend code (portal or SMS): required when a partner spends points"))
    shipping: Annotated[ShippingInput | None, BeforeValidator(_shipping_filled)] = Field(None, description=(
        "the delivery address of a physical reward (one that ships): required for it, ignored otherwise"))


class SpendCodeOut(Schema):
    via: str
    expires_at: datetime


class RedemptionOut(Schema):
    points_spent: int
    balance_after: int
    coupon: dict | None = None
    # a reward redemption also answers these
    gift_card: dict | None = None
    partner_code: str | None = None
    redemption_id: int | None = None
    reward_id: int | None = None
    shipment: dict | None = Field(None, description="a physical reward's shipment: id and status")


class AdjustmentOut(Schema):
    points: int
    balance_after: int


class MemberPatchIn(Schema):
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    organization_name: Text | None = None
    email: Annotated[StrictStr, Field(max_length=254)] | None = None
    birth_date: date | None = None
    national_id: Annotated[StrictStr, Field(max_length=20)] | None = None
    interests: Annotated[list[ShortText], Field(max_length=50)] | None = None
    occasions: Annotated[list[OccasionIn], Field(max_length=20)] | None = None
