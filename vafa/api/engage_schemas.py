"""What the engagement endpoints answer (their inputs are vafa.engage.inputs)."""

from datetime import datetime
from typing import Any

from ninja import Schema


class SegmentOut(Schema):
    id: int
    code: str
    name: str
    conditions: dict[str, Any]
    members_count: int
    created_at: datetime
    updated_at: datetime


class CountOut(Schema):
    members_count: int


class SegmentMemberOut(Schema):
    id: int
    phone: str
    first_name: str
    last_name: str
    kind: str


class SegmentMembersOut(Schema):
    items: list[SegmentMemberOut]
    next_cursor: str | None


class CampaignOut(Schema):
    id: int
    name: str
    channel: str
    purpose: str
    segment_id: int
    text: str
    subject: str
    send_at: datetime | None
    holdout_percent: int
    reward_id: int | None
    survey_id: int | None
    lift_days: int
    status: str
    audience: int
    holdout: int
    parts_per_message: int
    estimated_cost_rial: int
    sent: int
    delivered: int
    failed: int
    queued: int
    held: int
    skipped: dict[str, int]
    lift: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancelled_at: datetime | None


class PreviewOut(Schema):
    member_id: int | None
    text: str
    subject: str
    missing: list[str]
    characters: int
    parts: int
    unicode: bool
    per_part: int


class AutomationOut(Schema):
    id: int
    name: str
    status: str
    trigger: dict[str, Any]
    channel: str
    purpose: str
    text: str
    subject: str
    reward_id: int | None
    survey_id: int | None
    created_at: datetime
    messages: int


class MessageOut(Schema):
    id: int
    channel: str
    purpose: str
    to: str
    subject: str
    text: str
    parts: int
    status: str
    skip_reason: str
    campaign_id: int | None
    automation_id: int | None
    occurrence_key: str | None
    gateway: str
    gateway_id: str
    gateway_status: str  # the gateway's own delivery status code, e.g. Kavenegar's "10"; "" before a report
    created_at: datetime
    due_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None


class MessagesOut(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class TagsIn(Schema):
    tags: list[str]


class TagsOut(Schema):
    tags: list[str]
