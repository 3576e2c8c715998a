from datetime import date, datetime
from typing import Annotated, Any

from ninja import Field
from pydantic import StrictInt, StrictStr

from vafa.api.schemas import AppliedRuleOut, OccasionIn, PurchaseIn, Schema, ShortText, Text


class EventIn(Schema):
    member_id: StrictInt | StrictStr
    type: Annotated[StrictStr, Field(max_length=64)]
    properties: dict[str, Any] = {}
    key: Annotated[StrictStr, Field(max_length=150)] | None = None
    occurred_at: datetime | None = None


class EventOut(Schema):
    id: int
    member_id: int
    type: str
    points_earned: int
    applied_rules: list[AppliedRuleOut]
    balance_after: int | None = None
    occurred_at: datetime


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


class SimulateIn(Schema):
    rules: Annotated[list[StrictInt | StrictStr | dict[str, Any]], Field(min_length=1, max_length=100)]
    from_: date = Field(alias="from")
    to: date


class MemberPatchIn(Schema):
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    organization_name: Text | None = None
    email: Annotated[StrictStr, Field(max_length=254)] | None = None
    birth_date: date | None = None
    national_id: Annotated[StrictStr, Field(max_length=20)] | None = None
    interests: Annotated[list[ShortText], Field(max_length=50)] | None = None
    occasions: Annotated[list[OccasionIn], Field(max_length=20)] | None = None


class PackagingCodesIn(Schema):
    codes: Annotated[list[Annotated[StrictStr, Field(max_length=64)]], Field(min_length=1, max_length=50_000)]
    sku: Annotated[StrictStr, Field(max_length=64)] = ""
    batch: Annotated[StrictStr, Field(max_length=64)] = ""


class PackagingCodesOut(Schema):
    added: int
    unused: int
