"""Schemas of referrals, applications to a closed club, membership plans and paid memberships."""

from datetime import datetime
from typing import Annotated

from ninja import Field
from pydantic import StrictInt, StrictStr

from vafa.api.schemas import Schema
from vafa.members.inputs import MembershipInput, PlanInput, PlanPatch

__all__ = ["MembershipIn", "PlanInput", "PlanPatch"]


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


class PlanOut(Schema):
    id: int
    name: str
    description: str
    fee_rial: int
    duration_days: int
    earn_percent: int
    active: bool


class MembershipIn(MembershipInput):
    """A payment for the plan `plan_id` (vafa.members.inputs.MembershipInput)."""

    plan_id: StrictInt


class MembershipOut(Schema):
    id: int
    plan_id: int
    plan: str
    starts_at: datetime
    ends_at: datetime
    amount_rial: int
