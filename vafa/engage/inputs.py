"""What engagement accepts from outside: segments (their conditions), campaigns and automations,
as typed inputs (vafa.core.inputs); the API takes these models as its request bodies."""

from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from vafa.core.inputs import Bool, Choice, Input, Int, Ints, Moment, Text, Texts, fail
from vafa.core.limits import MAX_DAYS, MAX_ID, MAX_POINTS, MAX_RIAL
from vafa.engage.models import Automation, Channel, Purpose
from vafa.members.models import Consent, Member

MAX_WINDOW_DAYS = 3650
MAX_LIST_MEMBERS = 10_000
QUINTILES = Ints(1, 5, why="a list of quintile scores from 1 to 5", each="a score from 1 to 5", unique=True)


def _days(description: str) -> Any:
    return Field(None, description=description)


Days = Int(1, MAX_WINDOW_DAYS, optional=True)


class Rfm(Input):
    """Quintile scores of recency, frequency and money over the window (5 best); an empty list
    asks nothing of that score."""

    r: QUINTILES = Field([], description="recency quintiles (5: bought most recently)")
    f: QUINTILES = Field([], description="frequency quintiles (5: bought most often)")
    m: QUINTILES = Field([], description="money quintiles (5: spent most)")


class _Conditions(Input):
    kinds: Texts(choices=Member.Kind.values) = Field([], description="the member is one of these kinds")
    tiers: Texts() = Field([], description="the member's tier is one of these codes")
    interests: Texts() = Field([], description="the member has one of these interests (slugs)")
    tags: Texts() = Field([], description="the member carries one of these staff tags (codes)")
    consent: Choice(Consent.Channel.values, why="sms, email or push") | None = Field(
        None, description="the member agreed to marketing by this channel")
    joined_within_days: Days = _days("joined in the last N days")
    purchased_within_days: Days = _days("bought in the last N days")
    not_purchased_within_days: Days = _days("did not buy in the last N days")
    purchases_min: Int(0, MAX_ID, optional=True) = _days("at least this many purchases over window_days")
    purchases_max: Int(0, MAX_ID, optional=True) = _days("at most this many purchases over window_days")
    spend_min_rial: Int(0, MAX_RIAL, optional=True) = _days(
        "spent at least this (IRR, net of refunds) over window_days")
    spend_max_rial: Int(0, MAX_RIAL, optional=True) = _days("spent at most this over window_days")
    window_days: Int(1, MAX_WINDOW_DAYS) = Field(365, description="the window of purchases, skus, categories and rfm")
    points_min: Int(0, MAX_POINTS, optional=True) = _days("holds at least this many points")
    birthday_within_days: Int(0, 366, optional=True) = _days(
        "the birthday (Jalali) is today or in the next N days")
    skus: Texts() = Field([], description="bought one of these SKUs over window_days")
    categories: Texts() = Field([], description="bought in one of these categories over window_days")
    rfm: Rfm | None = Field(None, description="RFM quintile scores over window_days")
    members: Ints(1, MAX_ID, why=f"a list of at most {MAX_LIST_MEMBERS} member ids", unique=True,
                  max_items=MAX_LIST_MEMBERS) = Field([], description="one of these members")

    @model_validator(mode="after")
    def _ranges(self):
        for low, high in (("purchases_min", "purchases_max"), ("spend_min_rial", "spend_max_rial")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                fail(f"at most {high}", low)
        return self


class AnyOf(_Conditions):
    """One alternative of `any`: its conditions must all hold."""


def _alternatives(value: list) -> list:
    if not 1 <= len(value) <= 20:
        fail("a list of 1 to 20 condition objects")
    return value


class SegmentConditions(_Conditions):
    """All must hold; `any` adds a list of alternatives of which one must hold."""

    any: Annotated[list[AnyOf], AfterValidator(_alternatives)] | None = Field(
        None, description="a list of condition objects of which one must hold")

    def stored(self) -> dict:
        """The conditions as kept: only what was set."""
        return self.model_dump(mode="json", exclude_defaults=True, exclude_none=True, by_alias=True)


class SegmentInput(Input):
    name: Text(100, min_length=1)
    code: Text(64, optional=True, pattern=r"^[-\w]+$", why="letters, digits, - and _ (at most 64)") = None
    conditions: SegmentConditions = Field(default_factory=SegmentConditions)


class SegmentPatch(Input):
    name: Text(100, min_length=1, optional=True) = None
    conditions: SegmentConditions | None = None


class SegmentCount(Input):
    conditions: SegmentConditions = Field(default_factory=SegmentConditions)


# --- campaigns ------------------------------------------------------------------------------------------

TEXT_MAX = 1000


class CampaignInput(Input):
    name: Text(100, min_length=1)
    channel: Choice(Channel.values, why="sms or email")
    purpose: Choice(Purpose.values, why="service or marketing") = Purpose.MARKETING
    segment_id: Int(1, MAX_ID, why="a segment's id")
    text: Text(TEXT_MAX, min_length=1)
    subject: Text(200) = ""
    send_at: Moment(optional=True) = None
    holdout_percent: Int(0, 50) = 0
    reward_id: Int(1, MAX_ID, optional=True, why="a reward's id") = None
    lift_days: Int(1, 365) = 30


class CampaignPatch(Input):
    name: Text(100, min_length=1, optional=True) = None
    text: Text(TEXT_MAX, min_length=1, optional=True) = None
    subject: Text(200, optional=True) = None
    send_at: Moment(optional=True) = None
    holdout_percent: Int(0, 50, optional=True) = None


class ScheduleInput(Input):
    send_at: Moment(optional=True) = None


# --- automations ------------------------------------------------------------------------------------------


class Trigger(Input):
    type: Choice(Automation.Trigger.values)
    occasion: Choice(("wedding", "membership_anniversary", "other"), why="wedding, membership_anniversary or other"
                     ) | None = None
    days_before: Int(0, 365, optional=True) = None
    direction: Choice(("up", "down"), why="up or down") | None = None
    days: Int(1, MAX_DAYS, optional=True) = None
    delay_days: Int(0, 365, optional=True) = None
    skus: Texts() = []
    categories: Texts() = []

    @model_validator(mode="after")
    def _needs(self):
        needs = {"occasion": "occasion", "points_expiring": "days_before", "tier_changed": "direction",
                 "inactive": "days", "after_purchase": "days"}
        field = needs.get(self.type)
        if field and getattr(self, field) is None:
            fail(f"required by the {self.type} trigger", field)
        allowed = {"type", *([field] if field else []), *(["delay_days"] if self.type == "joined" else []),
                   *(["skus", "categories"] if self.type == "after_purchase" else [])}
        for name in ("occasion", "days_before", "direction", "days", "delay_days", "skus", "categories"):
            if name not in allowed and getattr(self, name) not in (None, []):
                fail(f"not a field of the {self.type} trigger", name)
        return self

    def stored(self) -> dict:
        return self.model_dump(mode="json", exclude_defaults=True, exclude_none=True)


class AutomationInput(Input):
    name: Text(100, min_length=1)
    status: Choice(Automation.Status.values, why="live or paused") = Automation.Status.LIVE
    trigger: Trigger
    channel: Choice(Channel.values, why="sms or email")
    purpose: Choice(Purpose.values, why="service or marketing") = Purpose.MARKETING
    text: Text(TEXT_MAX, min_length=1)
    subject: Text(200) = ""
    reward_id: Int(1, MAX_ID, optional=True, why="a reward's id") = None


class AutomationPatch(Input):
    name: Text(100, min_length=1, optional=True) = None
    status: Choice(Automation.Status.values, why="live or paused") | None = None
    text: Text(TEXT_MAX, min_length=1, optional=True) = None
    subject: Text(200, optional=True) = None


class FlagInput(Input):
    on: Bool
