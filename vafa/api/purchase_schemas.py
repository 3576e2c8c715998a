"""Schemas of purchases, refunds and the checkout preview. The request bodies are commerce's
own input models (vafa.commerce.inputs), so a purchase is checked once, as the service checks it."""

from ninja import Field

from vafa.api.schemas import AppliedRuleOut, Schema
from vafa.commerce.inputs import ItemInput, PreviewInput, PurchaseInput, RefundInput

__all__ = ["ItemInput", "PreviewInput", "PurchaseInput", "RefundInput"]


class PurchaseBody(PurchaseInput):
    """A purchase as posted: commerce's input, and the member's proof of presence."""

    member_code: str | None = Field(None, max_length=20, description=(
        "the member's spend code (portal or SMS): required when a partner spends points"))


class PreviewOut(Schema):
    member_id: int | None
    points_earned: int
    applied_rules: list[AppliedRuleOut]
    redeem_points: int
    discount: int
    max_redeem_points: int
    available_points: int
    free_items: list[dict]
    rewards: list[dict]
    coupons: list[dict]
