"""Schemas of purchases, refunds and the checkout preview. The request bodies are commerce's
own input models (vafa.commerce.inputs), so a purchase is checked once, as the service checks it."""

from datetime import datetime

from ninja import Field

from vafa.api.schemas import AppliedRuleOut, Schema
from vafa.commerce.inputs import ItemInput, PreviewInput, PurchaseInput, RefundInput
from vafa.commerce.models import WalkInSale

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


class WalkInSaleOut(Schema):
    """A sale without a member, in the purchase's answer's shape: nothing earned or spent. Its
    `id` is null (it is no purchase: `/purchases/{id}/refunds` must never reach another's
    purchase by it); `walk_in_sale_id` numbers the sales without a member."""

    id: None
    walk_in_sale_id: int
    without_member: bool
    member_id: None
    external_id: str | None
    amount: int
    points_earned: int
    points_redeemed: int
    discount: int
    balance_after: None
    applied_rules: list[AppliedRuleOut]
    occurred_at: datetime


def walk_in_body(sale: WalkInSale) -> dict:
    return {"id": None, "walk_in_sale_id": sale.id, "without_member": True, "member_id": None,
            "external_id": sale.external_id, "amount": sale.amount, "points_earned": 0, "points_redeemed": 0,
            "discount": 0, "balance_after": None, "applied_rules": [], "occurred_at": sale.occurred_at}
