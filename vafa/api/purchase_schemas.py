"""Schemas of the checkout preview (a purchase's body; the member optional)."""

from pydantic import StrictInt, StrictStr

from vafa.api.schemas import AppliedRuleOut, PurchaseIn, Schema


class PreviewIn(PurchaseIn):
    """A purchase's body, as it would be posted; the member is optional (a guest's basket)."""

    member_id: StrictInt | StrictStr | None = None


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
