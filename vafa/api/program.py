"""REST API v1: the program as data — earning rules (with their history), tiers, the whole
program's export/import and the rule dry run. Rewards and membership plans have their own routers."""

from typing import Literal

from ninja import Query, Router

from vafa.api import program_schemas as ps
from vafa.api.auth import needs
from vafa.api.common import CALC_ERRORS, READ_ERRORS, WRITE_ERRORS, IdempotencyKey
from vafa.api.idempotency import json_response, run_write
from vafa.api.schemas import Schema
from vafa.program import selectors as program_read
from vafa.program import services as program
from vafa.program.models import Rule, Tier
from vafa.usecases.rule_dry_run import rules_simulate

router = Router(tags=["program"])


def _changed_by(request) -> str:
    return f"api:{request.auth.name}"


# --- rules ------------------------------------------------------------------------------------


class RuleFilter(Schema):
    status: Literal["draft", "live", "paused", "ended"] | None = None
    trigger: Literal["purchase", "join", "profile_completed", "occasion", "referral_completed", "review", "survey",
                     "packaging_code", "event"] | None = None


@router.get("/program/rules", auth=needs("program"), response={200: list[ps.RuleOut], **READ_ERRORS})
def list_rules(request, filters: Query[RuleFilter]):
    rules = Rule.objects.order_by("-priority", "id")
    if filters.status:
        rules = rules.filter(status=filters.status)
    if filters.trigger:
        rules = rules.filter(trigger=filters.trigger)
    return json_response(200, [program_read.rule_body(r) for r in rules])


@router.post("/program/rules", auth=needs("program"), response={201: ps.RuleOut, **WRITE_ERRORS})
def create_rule(request, payload: ps.RuleInput, idempotency_key: str | None = IdempotencyKey):
    def produce():
        rule = program.rule_create(data=payload, changed_by=_changed_by(request))  # checked once, by ninja
        return 201, program_read.rule_body(rule)

    return run_write(request, produce, audit="rule.create")


@router.get("/program/rules/{rule_id}", auth=needs("program"), response={200: ps.RuleOut, **READ_ERRORS})
def get_rule(request, rule_id: str):
    return json_response(200, program_read.rule_body(program_read.rule_get(rule_id=rule_id)))


@router.patch("/program/rules/{rule_id}", auth=needs("program"), response={200: ps.RuleOut, **WRITE_ERRORS})
def update_rule(request, rule_id: str, payload: ps.RulePatch, idempotency_key: str | None = IdempotencyKey):
    def produce():
        # The service checks the rule it makes with what is stored as a whole.
        rule = program.rule_update(rule_id=rule_id, data=payload.model_dump(exclude_unset=True, by_alias=True),
                                   changed_by=_changed_by(request))
        return 200, program_read.rule_body(rule)

    return run_write(request, produce, audit="rule.update")


@router.get("/program/rules/{rule_id}/revisions", auth=needs("program"),
            response={200: list[ps.RuleRevisionOut], **READ_ERRORS})
def list_rule_revisions(request, rule_id: str):
    rule = program_read.rule_get(rule_id=rule_id)
    return json_response(200, [
        {"revision": r.revision, "data": r.data, "changed_by": r.changed_by, "changed_at": r.changed_at}
        for r in rule.revisions.order_by("revision")])


# --- tiers ------------------------------------------------------------------------------------


@router.get("/program/tiers", auth=needs("program"), response={200: list[ps.TierOut], **READ_ERRORS})
def list_tiers(request):
    return json_response(200, [program_read.tier_body(t) for t in Tier.objects.order_by("rank")])


@router.post("/program/tiers", auth=needs("program"), response={201: ps.TierOut, **WRITE_ERRORS})
def create_tier(request, payload: ps.TierInput, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 201, program_read.tier_body(program.tier_create(data=payload))

    return run_write(request, produce, audit="tier.create")


@router.get("/program/tiers/{tier_id}", auth=needs("program"), response={200: ps.TierOut, **READ_ERRORS})
def get_tier(request, tier_id: str):
    return json_response(200, program_read.tier_body(program_read.tier_get(tier_id=tier_id)))


@router.patch("/program/tiers/{tier_id}", auth=needs("program"), response={200: ps.TierOut, **WRITE_ERRORS})
def update_tier(request, tier_id: str, payload: ps.TierPatch, idempotency_key: str | None = IdempotencyKey):
    def produce():
        tier = program.tier_update(tier_id=tier_id, data=payload.model_dump(exclude_unset=True, by_alias=True))
        return 200, program_read.tier_body(tier)

    return run_write(request, produce, audit="tier.update")


# --- the whole program ------------------------------------------------------------------------


@router.get("/program", auth=needs("program"), response={200: ps.ProgramDocument, **READ_ERRORS})
def export_program(request):
    return json_response(200, program_read.program_export())


@router.put("/program", auth=needs("program"), response={200: ps.ImportOut, **WRITE_ERRORS})
def import_program(request, payload: ps.ProgramDocument, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 200, program.program_import(data=payload.dict(exclude_unset=True), changed_by=_changed_by(request))

    return run_write(request, produce, audit="program.import")


# --- the dry run ------------------------------------------------------------------------------


@router.post("/program/simulate", auth=needs("program"), response={200: dict, **CALC_ERRORS})
def simulate(request, payload: ps.SimulateInput):
    """Dry run: what the given rules (ids or draft rule objects) alone would have issued on
    the purchases of the period (Tehran dates, both included), beside the live rules."""
    return json_response(200, rules_simulate(rules=payload.rules, date_from=payload.from_, date_to=payload.to))
