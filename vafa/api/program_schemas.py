"""Schemas of the program endpoints: rules, tiers, the whole program.

The bodies are the program's one JSON shape (DESIGN "The program as data"); the schemas
document it and refuse unknown fields and wrong JSON types, and the program's own cleaners
(`rule_clean`, `tier_clean`, `program_import`) check everything else, the same as for the
admin and the import."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field
from pydantic import StrictInt, StrictStr

from vafa.api.schemas import Schema

Status = Literal["draft", "live", "paused", "ended"]
Trigger = Literal["purchase", "join", "profile_completed", "occasion", "referral_completed", "review", "survey",
                  "packaging_code", "event"]
Occasion = Literal["birthday", "wedding", "membership_anniversary", ""]
Stacking = Literal["cumulative", "exclusive"]

_CONDITIONS = ("all optional: amount_min, amount_max (IRR), skus, categories, min_quantity, tiers (codes), "
               "member_kinds, nth_purchase (list), every_nth_purchase, first_purchase, weekdays (mon..sun), "
               'hours ({"from": "HH:MM", "to": "HH:MM"}, Tehran time), starts_at, ends_at, branches, merchants, '
               "channels (in_store, online), payment_methods, tags, interests, segments")
_EFFECT = ('{"type": ...}: points_per_amount (points, per_rial), fixed_points (points), multiplier (percent, '
           "200 = double), cashback (percent), reward (reward_id), free_item (sku, quantity); "
           'referral_completed rules may add "member": "referrer" | "referred"')
_CAPS = "per_member_day, per_member_month, per_member_jalali_year (points; null = no cap)"
_BUDGET = "points, rials (null = no budget); the rule stops when it has issued this much"


class _RuleFields(Schema):
    status: Status | None = Field(None, description="only live rules earn (default draft)")
    trigger: Trigger | None = Field(None, description="default purchase")
    occasion: Occasion | None = Field(None, description="with trigger occasion")
    event_type: StrictStr | None = Field(None, description="with trigger event: the type of POST /events")
    conditions: dict[str, Any] | None = Field(None, description=_CONDITIONS)
    priority: StrictInt | None = None
    stacking: Stacking | None = None
    caps: dict[str, Any] | None = Field(None, description=_CAPS)
    budget: dict[str, Any] | None = Field(None, description=_BUDGET)
    pending_days: StrictInt | None = None
    expiry_months: StrictInt | None = None
    merchant_id: StrictInt | None = Field(None, description="only purchases at this merchant")
    # What a GET answers may be sent back as it is: these are ignored.
    id: Any = Field(None, description="ignored")
    revision: Any = Field(None, description="ignored")
    issued_points: Any = Field(None, description="ignored")
    issued_rial: Any = Field(None, description="ignored")


class RuleIn(_RuleFields):
    name: StrictStr
    effect: dict[str, Any] = Field(description=_EFFECT)


class RulePatch(_RuleFields):
    """Only the fields given change; every change is a new revision."""

    name: StrictStr | None = None
    effect: dict[str, Any] | None = Field(None, description=_EFFECT)


class RuleOut(Schema):
    id: int
    name: str
    status: str
    trigger: str
    occasion: str
    event_type: str
    conditions: dict[str, Any]
    effect: dict[str, Any]
    priority: int
    stacking: str
    caps: dict[str, Any]
    budget: dict[str, Any]
    pending_days: int | None
    expiry_months: int | None
    merchant_id: int | None
    revision: int
    issued_points: int
    issued_rial: int


class RuleRevisionOut(Schema):
    revision: int
    data: dict[str, Any]
    changed_by: str
    changed_at: datetime


class _TierFields(Schema):
    code: StrictStr | None = Field(None, description="used in rule conditions, e.g. gold (default: from the name)")
    color: StrictStr | None = Field(None, description="e.g. #c9a227")
    qualify: dict[str, Any] | None = Field(
        None, description="by (spend, points, purchases), threshold, window (rolling_365, jalali_year)")
    earn_percent: StrictInt | None = Field(None, description="100 = no change, 200 = double base points")
    grace_days: StrictInt | None = None
    page_text: StrictStr | None = None
    id: Any = Field(None, description="ignored")


class TierIn(_TierFields):
    name: StrictStr
    rank: StrictInt = Field(description="higher is better")


class TierPatch(_TierFields):
    name: StrictStr | None = None
    rank: StrictInt | None = None


class QualifyOut(Schema):
    by: str
    threshold: int
    window: str


class TierOut(Schema):
    id: int
    code: str
    name: str
    rank: int
    color: str
    qualify: QualifyOut
    earn_percent: int
    grace_days: int
    page_text: str


class ProgramDocument(Schema):
    """GET /program answers it, PUT /program takes it. A section left out is left alone; a
    section given is the whole of it (rules it lacks are ended, rewards made inactive)."""

    format: Any = Field(description='"vafa-program"')
    version: Any = Field(description="1")
    settings: Any = Field(None, description="the program settings (base earning, expiry, club, referrals)")
    tiers: Any = Field(None, description="tiers, matched by code")
    rewards: Any = Field(None, description="rewards, matched by name")
    rules: Any = Field(None, description='rules, matched by name; a reward effect names it: "reward": "<name>"')


class CountsOut(Schema):
    created: int
    updated: int
    unchanged: int


class RewardCountsOut(CountsOut):
    deactivated: int


class RuleCountsOut(CountsOut):
    ended: int


class ImportOut(Schema):
    settings: Literal["updated", "unchanged"]
    tiers: CountsOut
    rewards: RewardCountsOut
    rules: RuleCountsOut


class SimulateIn(Schema):
    rules: Annotated[list[StrictInt | StrictStr | dict[str, Any]], Field(min_length=1, max_length=100)]
    from_: date = Field(alias="from")
    to: date
