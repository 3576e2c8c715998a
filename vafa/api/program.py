"""REST API v1: the program as data — earning rules (with their history), tiers, and the
whole program's export/import. Rewards and membership plans have their own routers."""

from typing import Literal

from ninja import Query, Router

from vafa.api import program_schemas as ps
from vafa.api.endpoints import READ_ERRORS, WRITE_ERRORS, IdempotencyKey
from vafa.api.idempotency import json_response, run_write
from vafa.api.schemas import Schema
from vafa.program import rules as program_rules
from vafa.program.models import Rule, Tier
from vafa.program.transfer import program_export, program_import

router = Router(tags=["program"])


def _changed_by(request) -> str:
    return f"api:{request.auth.name}"


# --- rules ------------------------------------------------------------------------------------


class RuleFilter(Schema):
    status: Literal["draft", "live", "paused", "ended"] | None = None
    trigger: Literal["purchase", "join", "profile_completed", "occasion", "referral_completed", "review", "survey",
                     "packaging_code", "event"] | None = None


@router.get("/program/rules", response={200: list[ps.RuleOut], **READ_ERRORS})
def list_rules(request, filters: Query[RuleFilter]):
    rules = Rule.objects.order_by("-priority", "id")
    if filters.status:
        rules = rules.filter(status=filters.status)
    if filters.trigger:
        rules = rules.filter(trigger=filters.trigger)
    return json_response(200, [program_rules.rule_body(r) for r in rules])


@router.post("/program/rules", response={201: ps.RuleOut, **WRITE_ERRORS})
def create_rule(request, payload: ps.RuleIn, idempotency_key: str | None = IdempotencyKey):
    def produce():
        rule = program_rules.rule_create(data=payload.dict(exclude_unset=True), changed_by=_changed_by(request))
        return 201, program_rules.rule_body(rule)

    return run_write(request, produce)


@router.get("/program/rules/{rule_id}", response={200: ps.RuleOut, **READ_ERRORS})
def get_rule(request, rule_id: str):
    return json_response(200, program_rules.rule_body(program_rules.rule_get(rule_id=rule_id)))


@router.patch("/program/rules/{rule_id}", response={200: ps.RuleOut, **WRITE_ERRORS})
def update_rule(request, rule_id: str, payload: ps.RulePatch, idempotency_key: str | None = IdempotencyKey):
    def produce():
        rule = program_rules.rule_update(rule_id=rule_id, data=payload.dict(exclude_unset=True),
                                         changed_by=_changed_by(request))
        return 200, program_rules.rule_body(rule)

    return run_write(request, produce)


@router.get("/program/rules/{rule_id}/revisions", response={200: list[ps.RuleRevisionOut], **READ_ERRORS})
def list_rule_revisions(request, rule_id: str):
    rule = program_rules.rule_get(rule_id=rule_id)
    return json_response(200, [
        {"revision": r.revision, "data": r.data, "changed_by": r.changed_by, "changed_at": r.changed_at}
        for r in rule.revisions.order_by("revision")])


# --- tiers ------------------------------------------------------------------------------------


@router.get("/program/tiers", response={200: list[ps.TierOut], **READ_ERRORS})
def list_tiers(request):
    return json_response(200, [program_rules.tier_body(t) for t in Tier.objects.order_by("rank")])


@router.post("/program/tiers", response={201: ps.TierOut, **WRITE_ERRORS})
def create_tier(request, payload: ps.TierIn, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 201, program_rules.tier_body(program_rules.tier_create(data=payload.dict(exclude_unset=True)))

    return run_write(request, produce)


@router.get("/program/tiers/{tier_id}", response={200: ps.TierOut, **READ_ERRORS})
def get_tier(request, tier_id: str):
    return json_response(200, program_rules.tier_body(program_rules.tier_get(tier_id=tier_id)))


@router.patch("/program/tiers/{tier_id}", response={200: ps.TierOut, **WRITE_ERRORS})
def update_tier(request, tier_id: str, payload: ps.TierPatch, idempotency_key: str | None = IdempotencyKey):
    def produce():
        tier = program_rules.tier_update(tier_id=tier_id, data=payload.dict(exclude_unset=True))
        return 200, program_rules.tier_body(tier)

    return run_write(request, produce)


# --- the whole program ------------------------------------------------------------------------


@router.get("/program", response={200: ps.ProgramDocument, **READ_ERRORS})
def export_program(request):
    return json_response(200, program_export())


@router.put("/program", response={200: ps.ImportOut, **WRITE_ERRORS})
def import_program(request, payload: ps.ProgramDocument, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 200, program_import(data=payload.dict(exclude_unset=True), changed_by=_changed_by(request))

    return run_write(request, produce)
