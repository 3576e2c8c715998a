"""Schemas of the program endpoints: rules, tiers, the whole program.

The request bodies are the program's own input models (vafa.program.inputs: the one JSON shape of
DESIGN "The program as data"), so this document describes every condition and effect as the
services check them; the services add what needs the database (a reward or merchant that must
exist, a tier code or rank that is taken), the same for the admin and the import."""

from datetime import datetime
from typing import Any, Literal

from ninja import Field

from vafa.api.schemas import Schema
from vafa.program.inputs import RuleInput, RulePatch, TierInput, TierPatch
from vafa.usecases.rule_dry_run import SimulateInput

__all__ = ["RuleInput", "RulePatch", "SimulateInput", "TierInput", "TierPatch"]


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
