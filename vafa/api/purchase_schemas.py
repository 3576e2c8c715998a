"""Schemas of purchases, refunds and the checkout preview. The request bodies are commerce's
own input models (vafa.commerce.inputs), so a purchase is checked once, as the service checks it."""

from vafa.api.schemas import AppliedRuleOut, Schema
from vafa.commerce.inputs import ItemInput, PreviewInput, PurchaseInput, RefundInput

__all__ = ["ItemInput", "PreviewInput", "PurchaseInput", "RefundInput"]


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
