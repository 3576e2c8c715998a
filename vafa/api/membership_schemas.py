"""Schemas of referrals, applications to a closed club, membership plans and paid memberships."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field
from pydantic import StrictBool, StrictInt, StrictStr

from vafa.api.schemas import Schema, ShortText


class ReferralOut(Schema):
    member_id: int | None
    name: str
    phone: str
    status: str
    joined_at: datetime
    completed_at: datetime | None


class ReferralsOut(Schema):
    code: str
    link: str
    referrals: list[ReferralOut]


class ApplicationOut(Schema):
    member_id: int
    phone: str
    name: str
    status: str
    member_status: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str
    reason: str


class ApplicationRejectIn(Schema):
    reason: Annotated[StrictStr, Field(max_length=255)]


class PlanIn(Schema):
    name: ShortText
    fee_rial: StrictInt
    duration_days: StrictInt
    earn_percent: StrictInt = 100
    description: Annotated[StrictStr, Field(max_length=5000)] = ""
    active: StrictBool = True


class PlanPatchIn(Schema):
    name: ShortText | None = None
    fee_rial: StrictInt | None = None
    duration_days: StrictInt | None = None
    earn_percent: StrictInt | None = None
    description: Annotated[StrictStr, Field(max_length=5000)] | None = None
    active: StrictBool | None = None


class PlanOut(Schema):
    id: int
    name: str
    description: str
    fee_rial: int
    duration_days: int
    earn_percent: int
    active: bool


class MembershipIn(Schema):
    plan_id: StrictInt
    amount_rial: StrictInt
    payment_reference: ShortText = ""
    channel: Literal["api", "pos"] = "api"


class MembershipOut(Schema):
    id: int
    plan_id: int
    plan: str
    starts_at: datetime
    ends_at: datetime
    amount_rial: int
