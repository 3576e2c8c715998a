"""Schemas of member events and packaging codes."""

from datetime import datetime
from typing import Annotated, Any

from ninja import Field
from pydantic import StrictInt, StrictStr

from vafa.api.schemas import AppliedRuleOut, Schema


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


class PackagingCodesIn(Schema):
    codes: Annotated[list[Annotated[StrictStr, Field(max_length=64)]], Field(min_length=1, max_length=50_000)]
    sku: Annotated[StrictStr, Field(max_length=64)] = ""
    batch: Annotated[StrictStr, Field(max_length=64)] = ""


class PackagingCodesOut(Schema):
    added: int
    unused: int
