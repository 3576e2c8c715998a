"""The rule dry run: evaluate a draft rule set over the purchases recorded in a period, as
the live engine would have, and compare it with the live rules. Writes nothing.

Purchases are replayed in the order they happened (occurred_at, then as recorded), each
with the member's tier and paid plan at that moment (from the tier history), so caps,
budgets and n-th purchases count exactly as they would have live. Usage of caps and
budgets starts from zero at the start of the period."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PlainValidator, StrictInt, StrictStr, model_validator

from vafa.commerce.selectors import purchase_facts_bulk
from vafa.core.errors import ValidationFailed
from vafa.core.inputs import Input, Why, checked, fail, validated
from vafa.core.jalali import TEHRAN, periods_of
from vafa.core.limits import MAX_DRY_RUN_DAYS
from vafa.program import engine
from vafa.program.inputs import RuleInput
from vafa.program.models import Rule
from vafa.program.selectors import (
    Line,
    Program,
    engine_rule,
    program_now,
    purchase_rule_context,
    rule_get,
    rule_info,
    rule_lines,
)
from vafa.program.services import rule_clean

MAX_RULES = 100


def _specs(value) -> list:
    # Each spec is checked by draft_rules: an id must name a rule, a draft must be a valid one.
    if not isinstance(value, list) or not 0 < len(value) <= MAX_RULES:
        fail(f"a list of 1 to {MAX_RULES} rules (ids or rule objects)")
    return value


def _in_range(day: date) -> date:
    if not date(1970, 1, 1) <= day <= date(2200, 1, 1):
        fail("a date from 1970 to 2200")
    return day


Day = Annotated[date, AfterValidator(_in_range), Why("a date from 1970 to 2200")]
Specs = Annotated[list[Any], PlainValidator(_specs, json_schema_input_type=Annotated[
    list[StrictInt | StrictStr | RuleInput], Field(min_length=1, max_length=MAX_RULES)])]


class SimulateInput(Input):
    """Draft rules (saved rules' ids, or rule objects) and the period to replay, Tehran dates."""

    rules: Specs
    from_: Day = Field(alias="from", description="the first day, included")
    to: Day = Field(description="the last day, included")

    @model_validator(mode="after")
    def _period(self):
        if self.to < self.from_:
            fail("not before from", "to")
        if (self.to - self.from_).days > MAX_DRY_RUN_DAYS:
            fail(f"a period of at most {MAX_DRY_RUN_DAYS} days", "to")
        return self


@dataclass
class _Usage:
    """Caps and budget usage accumulated during the replay."""

    awards: dict  # (rule id, member id) -> [(occurred_at, points)]
    totals: dict  # rule id -> points

    def usage_for(self, member_id: int, moment: datetime, point_value: int):
        def usage_for(applying: list[engine.Rule]) -> dict:
            windows = periods_of(moment)
            result = {}
            for rule in applying:
                given = self.awards.get((rule.id, member_id), [])

                def within(window, given=given):
                    start, end = windows[window]
                    return sum(p for at, p in given if start <= at < end)

                total = self.totals.get(rule.id, 0)
                result[rule.id] = engine.Usage(member_day=within("day"), member_month=within("month"),
                                               member_jalali_year=within("jalali_year"), total_points=total,
                                               total_rials=total * point_value)
            return result

        return usage_for

    def add(self, lines: Iterable[Line], member_id: int, moment: datetime) -> None:
        for line in lines:
            if line.rule_pk is not None and line.points > 0:
                self.awards.setdefault((line.rule_pk, member_id), []).append((moment, line.points))
                self.totals[line.rule_pk] = self.totals.get(line.rule_pk, 0) + line.points


def draft_rules(specs: list) -> tuple[list[engine.Rule], dict]:
    """Rules given as ids (any status) or as draft JSON; answers engine rules and their info."""
    specs = checked(Specs, specs, "rules")
    rules, info = [], {}
    for i, spec in enumerate(specs):
        if isinstance(spec, Mapping):
            try:
                clean = rule_clean({**spec, "status": spec.get("status", "draft")})
            except ValidationFailed as error:
                raise ValidationFailed(details={f"rules[{i}].{k}": v for k, v in error.details.items()}) from None
            model = Rule(**clean)
            model.pk = f"draft:{i + 1}"
        elif isinstance(spec, int | str) and not isinstance(spec, bool):
            model = rule_get(rule_id=spec)
        else:
            raise ValidationFailed(details={f"rules[{i}]": "a rule id or a rule object"})
        if model.trigger != Rule.Trigger.PURCHASE:
            raise ValidationFailed(details={f"rules[{i}].trigger": "only purchase rules can be replayed"})
        rules.append(engine_rule(model))
        info[model.pk] = rule_info(model)
    return rules, info


def _period(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    start = datetime.combine(date_from, time(0), tzinfo=TEHRAN)
    return start, datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=TEHRAN)


class _Replay:
    """One set of rules replayed purchase by purchase: caps and budgets as they would have been."""

    def __init__(self, program: Program, rules: list[engine.Rule], info: dict):
        self.program = Program(version=program.version, policy=program.policy, rules=tuple(rules), rule_info=info,
                               tiers=program.tiers, plans_with_bonus=program.plans_with_bonus)
        self.rules = rules
        self.point_value = program.policy.point_value_rial
        self.usage = _Usage(awards={}, totals={})
        self.by_rule: dict = {}
        self.rewarded: set[int] = set()

    def add(self, p, facts) -> None:
        lines = rule_lines(self.rules, purchase_rule_context(self.program, facts),
                           self.usage.usage_for(p.member_id, p.occurred_at, self.point_value))
        self.usage.add(lines, p.member_id, p.occurred_at)
        for line in lines:
            entry = self.by_rule.setdefault(line.rule_id, {"rule_id": line.rule_id, "name": line.name, "points": 0,
                                                           "purchases": 0, "members": set()})
            entry["points"] += line.points
            entry["purchases"] += 1
            entry["members"].add(p.member_id)
            if line.points > 0:
                self.rewarded.add(p.member_id)

    def result(self) -> dict:
        points = sum(e["points"] for e in self.by_rule.values())
        return {
            "points": points, "value_rial": points * self.point_value, "members": len(self.rewarded),
            "by_rule": [{**e, "members": len(e["members"])} for e in self.by_rule.values()],
        }


def rules_simulate(*, rules: list, date_from: date, date_to: date) -> dict:
    """What `rules` alone would have issued on the purchases of the period (Tehran dates,
    both included), beside what the live rules would have, and the difference."""
    asked = validated(SimulateInput, {"rules": rules, "from": date_from, "to": date_to})
    start, end = _period(asked.from_, asked.to)
    drafts, draft_info = draft_rules(asked.rules)
    program = program_now()
    live = program.rules_for("purchase")
    # One pass over the period, a chunk at a time, feeding both replays.
    draft_run, live_run = _Replay(program, drafts, draft_info), _Replay(program, live, program.rule_info)
    purchases = 0
    for p, facts in purchase_facts_bulk(program, start=start, end=end, also=drafts):
        draft_run.add(p, facts)
        live_run.add(p, facts)
        purchases += 1
    draft, current = draft_run.result(), live_run.result()
    return {
        "from": date_from.isoformat(), "to": date_to.isoformat(), "purchases": purchases, **draft,
        "live": current,
        "difference": {k: draft[k] - current[k] for k in ("points", "value_rial", "members")},
    }
