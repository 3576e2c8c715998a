"""How a purchase or an event earns: the base rate, the tier's and the paid plan's
multipliers and the live rules. `purchase_lines`/`event_lines` compute (no writes: the
checkout preview and the dry run use them as they are); `lines_apply` writes the lines
through the member's book. Every line names its rule, so `applied_rules` and the ledger
say where each point came from."""

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F

from vafa.core import sql
from vafa.core.errors import PointsOutOfBounds
from vafa.core.jalali import add_months, periods_of
from vafa.core.limits import MAX_AWARD_POINTS
from vafa.ledger.models import Account, Transfer
from vafa.ledger.services import system_account_id
from vafa.program import engine
from vafa.program.live import Program, TierInfo, program_now
from vafa.program.models import Rule, RuleAward


@dataclass(frozen=True)
class Line:
    rule_id: str  # "base", "tier:<code>", "plan:<id>" or a rule's id
    name: str
    points: int
    detail: str
    kind: str = Transfer.Kind.BONUS
    rule_pk: int | None = None
    reward_id: int | None = None
    free_item: Mapping | None = None

    def body(self) -> dict:
        body = {"rule_id": self.rule_id, "name": self.name, "points": self.points, "detail": self.detail}
        if self.reward_id is not None:
            body["reward_id"] = self.reward_id
        if self.free_item is not None:
            body["free_item"] = dict(self.free_item)
        return body


@dataclass(frozen=True)
class PurchaseFacts:
    """One purchase as the program sees it, from the facts builder (vafa.commerce.facts): the
    engine's context (what the rules' conditions look at) and what the base, tier and plan lines
    need. The figures the policy derives (earn base, base points, point value) are added here."""

    context: engine.Context
    tax: int = 0
    shipping: int = 0
    discount: int = 0  # the points discount, in Rials
    tier: TierInfo | None = None
    plan: object = None  # the paid plan in force (vafa.members.selectors.PlanInForce), if it multiplies
    tier_state: object = None  # the member's MemberTier row as read for this purchase (reused by its review)


def _multiplier_line(rule_id: str, name: str, percent: int, base: int) -> Line | None:
    points = base * (percent - 100) // 100
    if percent <= 100:
        return None
    return Line(rule_id=rule_id, name=name, points=points, detail=f"{percent}% of {base} base points")


def _base(program: Program, facts: PurchaseFacts) -> tuple[int, str]:
    return program.policy.base_points(amount=facts.context.amount, tax=facts.tax, shipping=facts.shipping,
                                      discount=facts.discount)


def purchase_rule_context(program: Program, facts: PurchaseFacts, base: int | None = None) -> engine.Context:
    """The context the rules see: the facts, with the figures of the program's policy."""
    policy = program.policy
    return dataclasses.replace(
        facts.context, point_value_rial=policy.point_value_rial,
        earn_base=policy.base_of(amount=facts.context.amount, tax=facts.tax, shipping=facts.shipping,
                                 discount=facts.discount),
        base_points=_base(program, facts)[0] if base is None else base)


def purchase_lines(program: Program, facts: PurchaseFacts, rules: Iterable[engine.Rule], usage_for) -> list[Line]:
    """The lines a purchase earns: base, tier, plan, then the rules (highest priority first).
    `usage_for(applying_rules)` answers the caps/budget usage of the rules that apply."""
    base, why = _base(program, facts)
    lines = [Line(rule_id="base", name="base", points=base, detail=why, kind=Transfer.Kind.EARN)]
    if facts.tier is not None:
        lines.append(_multiplier_line(f"tier:{facts.tier.code}", facts.tier.name, facts.tier.earn_percent, base))
    if facts.plan is not None:
        lines.append(_multiplier_line(f"plan:{facts.plan.plan_id}", facts.plan.name, facts.plan.earn_percent, base))
    ctx = purchase_rule_context(program, facts, base)
    return [line for line in lines if line is not None] + rule_lines(rules, ctx, usage_for)


def rule_lines(rules: Iterable[engine.Rule], ctx: engine.Context, usage_for) -> list[Line]:
    applying = [r for r in rules if engine.matches(r, ctx)]
    if not applying:
        return []
    usage = usage_for(applying)
    # A rule that gives nothing (its cap or budget used up, or nothing to multiply) is left
    # out; one that gives a reward or a free item always shows.
    return [Line(rule_id=str(a.rule_id), name=a.name, points=a.points, detail=a.reason, rule_pk=a.rule_id,
                 reward_id=a.reward_id, free_item=a.free_item,
                 kind=Transfer.Kind.REFERRAL if ctx.trigger == "referral_completed" else Transfer.Kind.BONUS)
            for a in engine.evaluate(applying, ctx, usage)
            if a.points > 0 or a.reward_id is not None or a.free_item is not None]


# --- usage from the database (live) ---------------------------------------------------
def recorded_usage(program: Program, *, member_id: int, moment: datetime, lock: bool = True):
    """A `usage_for` reading what capped rules gave this member in the day / Jalali month /
    Jalali year of `moment`, and locking budgeted rules' rows (their counters change in this
    transaction). Queries only when such a rule applies."""

    def usage_for(applying: list[engine.Rule]) -> dict:
        capped = [r.id for r in applying if program.rule_info[r.id].has_caps]
        budgeted = sorted(r.id for r in applying if program.rule_info[r.id].has_budget)
        usage: dict = {}
        if capped:
            windows = periods_of(moment)
            at = sql.column(RuleAward, "occurred_at")
            sums = ", ".join(f"COALESCE(SUM(CASE WHEN {at} >= %s AND {at} < %s THEN {sql.column(RuleAward, 'points')}"
                             f" ELSE 0 END), 0)" for _ in ("day", "month"))
            marks = ", ".join(["%s"] * len(capped))
            rows = sql.fetch(
                f"SELECT {sql.column(RuleAward, 'rule')}, {sums}, COALESCE(SUM({sql.column(RuleAward, 'points')}), 0)"
                f" FROM {sql.table(RuleAward)} WHERE {sql.column(RuleAward, 'member')} = %s"
                f" AND {sql.column(RuleAward, 'rule')} IN ({marks}) AND {at} >= %s AND {at} < %s"
                f" GROUP BY {sql.column(RuleAward, 'rule')}",
                [*windows["day"], *windows["month"], member_id, *capped, *windows["jalali_year"]])
            for rule_id, day, month, year in rows:
                usage[rule_id] = engine.Usage(member_day=int(day), member_month=int(month),
                                              member_jalali_year=int(year))
        if budgeted:
            marks = ", ".join(["%s"] * len(budgeted))
            rows = sql.fetch(
                f"SELECT {sql.columns(Rule, ['id', 'issued_points', 'issued_rial'])} FROM {sql.table(Rule)}"
                f" WHERE {sql.column(Rule, 'id')} IN ({marks}) ORDER BY {sql.column(Rule, 'id')}"
                + (sql.for_update(sql.table(Rule)) if lock else ""), budgeted)
            for rule_id, points, rials in rows:
                old = usage.get(rule_id, engine.Usage())
                usage[rule_id] = engine.Usage(old.member_day, old.member_month, old.member_jalali_year,
                                              total_points=points, total_rials=rials)
        return usage

    return usage_for


# --- writing ---------------------------------------------------------------------------
def lines_apply(book, lines: list[Line], program: Program, *, merchant_id: int | None, occurred_at: datetime,
                source: tuple[str, int | None]) -> int:
    """Credit every line with points to the member's book; answer the total. Pending days and
    expiry follow the rule's overrides, else the program's."""
    policy = program.policy
    if sum(line.points for line in lines if line.points > 0) > MAX_AWARD_POINTS:
        # A purchase of a quadrillion Rials under a generous rule: refused, not a 500 or a fortune.
        raise PointsOutOfBounds(details={"amount": f"the points it would earn pass {MAX_AWARD_POINTS}"})
    issued_from = system_account_id(Account.Role.ISSUED, merchant_id) if merchant_id else system_account_id(
        Account.Role.ADJUSTMENTS)
    total = 0
    for line in lines:
        if line.points <= 0:
            continue
        info = program.rule_info.get(line.rule_pk)
        pending = info.pending_days if info and info.pending_days is not None else policy.pending_days
        if info and info.expiry_months is not None:
            expires = add_months(occurred_at, info.expiry_months)
        else:
            expires = policy.expires_at(occurred_at)
        book.credit(line.points, kind=line.kind, merchant_id=merchant_id, source=source, rule=line.rule_id,
                    from_account_id=issued_from, available_at=occurred_at + timedelta(days=pending),
                    expires_at=expires, memo=line.detail if line.rule_id == "base" else f"{line.name}: {line.detail}")
        total += line.points
    return total


def rule_usage_record(lines: list[Line], program: Program, *, member_id: int, occurred_at: datetime,
                      source: tuple[str, int | None]) -> None:
    """Count what rules gave: per member (caps) and in total (budgets, under the row lock
    taken by `recorded_usage`)."""
    given = [line for line in lines if line.rule_pk is not None and line.points > 0]
    if not given:
        return
    sql.insert(RuleAward, ["rule_id", "member_id", "points", "occurred_at", "source_kind", "source_id"],
               [[line.rule_pk, member_id, line.points, occurred_at, source[0], source[1]] for line in given])
    value = program.policy.point_value_rial
    budgeted = {line.rule_pk: line.points for line in given if program.rule_info[line.rule_pk].has_budget}
    for rule_id, points in budgeted.items():
        Rule.objects.filter(pk=rule_id).update(issued_points=F("issued_points") + points,
                                               issued_rial=F("issued_rial") + points * value)


def rule_usage_forget(transfers, *, source: tuple[str, int]) -> None:
    """What undone awards used of their rules' caps and budgets is free again (the accounts
    are locked already, so rule rows come second, as in a purchase)."""
    RuleAward.objects.filter(source_kind=source[0], source_id=source[1]).delete()
    by_rule: dict[int, int] = {}
    for transfer in transfers:
        if transfer.rule.isdigit():
            by_rule[int(transfer.rule)] = by_rule.get(int(transfer.rule), 0) + transfer.amount
    value = program_now().policy.point_value_rial
    for rule in Rule.objects.select_for_update().filter(pk__in=by_rule).exclude(budget={}).order_by("pk"):
        points = by_rule[rule.pk]
        Rule.objects.filter(pk=rule.pk).update(issued_points=F("issued_points") - points,
                                               issued_rial=F("issued_rial") - points * value)
