"""Schemas of member events and packaging codes."""

from datetime import datetime

from pydantic import StrictInt, StrictStr

from vafa.api.schemas import AppliedRuleOut, Schema
from vafa.member_events.inputs import EventInput, PackagingCodesInput

__all__ = ["EventIn", "PackagingCodesInput"]


class EventIn(EventInput):
    """A member's event (vafa.member_events.inputs.EventInput)."""

    member_id: StrictInt | StrictStr


class EventOut(Schema):
    id: int
    member_id: int
    type: str
    points_earned: int
    applied_rules: list[AppliedRuleOut]
    balance_after: int | None = None
    occurred_at: datetime


class PackagingCodesOut(Schema):
    added: int
    unused: int
