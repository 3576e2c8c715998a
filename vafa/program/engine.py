"""The earning rules engine: pure Python, no ORM. Context in, awards out, deterministic.

A rule is data in the shape of DESIGN.md ("The program as data"). `evaluate` answers which
rules apply to one event (a purchase, a join, a birthday...) and the points each gives, with
the reason, after stacking, caps and budgets. Every figure is an integer, rounded down once
per rule per event. Applying the awards to the ledger is the caller's job.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

TEHRAN = ZoneInfo("Asia/Tehran")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Which fact of the Context each condition reads (`matches` below). The facts builder of purchases
# (vafa.commerce.facts.SUPPLIED) says which facts it fills; a condition on a fact nobody fills is
# refused when a rule is saved.
CONDITION_FACTS = {
    "amount_min": "amount", "amount_max": "amount", "skus": "items", "categories": "items", "min_quantity": "items",
    "member_kinds": "member_kind", "tiers": "tier", "tags": "tags", "segments": "segments",
    "interests": "interests", "merchants": "merchant_id", "branches": "branch", "channels": "channel",
    "payment_methods": "payment_method", "first_purchase": "nth_purchase", "nth_purchase": "nth_purchase",
    "every_nth_purchase": "nth_purchase", "weekdays": "occurred_at", "hours": "occurred_at",
    "starts_at": "occurred_at", "ends_at": "occurred_at", "require_key": "event_key",
}
# Facts only a posted event has (vafa.member_events.triggers fills them); a rule asks for them
# only with a posted event's trigger (vafa.program.inputs.POSTED_TRIGGERS).
EVENT_ONLY_FACTS = frozenset({"event_key"})


@dataclass(frozen=True)
class Rule:
    id: int | str
    name: str
    trigger: str = "purchase"
    conditions: Mapping = field(default_factory=dict)
    effect: Mapping = field(default_factory=dict)
    priority: int = 0
    stacking: str = "cumulative"  # or "exclusive"
    caps: Mapping = field(default_factory=dict)
    budget: Mapping = field(default_factory=dict)
    occasion: str | None = None
    event_type: str | None = None
    merchant_id: int | None = None  # a merchant's own rule applies only to its events


@dataclass(frozen=True)
class Item:
    sku: str
    quantity: int
    unit_price: int
    category: str = ""


@dataclass(frozen=True)
class Context:
    trigger: str
    occurred_at: datetime
    amount: int = 0
    earn_base: int = 0
    base_points: int = 0
    point_value_rial: int = 100
    items: tuple[Item, ...] = ()
    member_kind: str = "person"
    tier: str | None = None
    tags: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    nth_purchase: int = 0
    interests: frozenset[str] = frozenset()
    merchant_id: int | None = None
    branch: str | None = None
    channel: str = "in_store"
    payment_method: str = ""
    occasion: str | None = None
    event_type: str | None = None
    event_key: str | None = None


@dataclass(frozen=True)
class Usage:
    """What a rule already gave: to this member today / this month / this Jalali year, and
    in all (for its budget)."""

    member_day: int = 0
    member_month: int = 0
    member_jalali_year: int = 0
    total_points: int = 0
    total_rials: int = 0


@dataclass(frozen=True)
class Award:
    rule_id: int | str
    name: str
    points: int
    reason: str
    reward_id: int | None = None
    free_item: Mapping | None = None


def _local(moment: datetime) -> datetime:
    return moment.astimezone(TEHRAN)


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time.max if hours == "24" else time(int(hours), int(minutes))


def matches(rule: Rule, ctx: Context) -> bool:
    """Whether every condition the rule sets holds for this event (absent ones always hold)."""
    if rule.trigger != ctx.trigger:
        return False
    if rule.trigger == "occasion" and rule.occasion and rule.occasion != ctx.occasion:
        return False
    if rule.trigger == "event" and rule.event_type and rule.event_type != ctx.event_type:
        return False
    if rule.merchant_id is not None and rule.merchant_id != ctx.merchant_id:
        return False
    c = rule.conditions
    local = _local(ctx.occurred_at)
    checks = [
        c.get("amount_min") is None or ctx.amount >= c["amount_min"],
        c.get("amount_max") is None or ctx.amount <= c["amount_max"],
        not c.get("member_kinds") or ctx.member_kind in c["member_kinds"],
        not c.get("tiers") or ctx.tier in c["tiers"],
        not c.get("tags") or bool(ctx.tags & set(c["tags"])),
        not c.get("segments") or bool(ctx.segments & set(c["segments"])),
        not c.get("interests") or bool(ctx.interests & set(c["interests"])),
        not c.get("merchants") or ctx.merchant_id in c["merchants"],
        not c.get("branches") or ctx.branch in c["branches"],
        not c.get("channels") or ctx.channel in c["channels"],
        not c.get("payment_methods") or ctx.payment_method in c["payment_methods"],
        not c.get("first_purchase") or ctx.nth_purchase == 1,
        not c.get("require_key") or bool(ctx.event_key),
        not c.get("nth_purchase") or ctx.nth_purchase in c["nth_purchase"],
        not c.get("every_nth_purchase") or (ctx.nth_purchase > 0 and ctx.nth_purchase % c["every_nth_purchase"] == 0),
        not c.get("weekdays") or WEEKDAYS[local.weekday()] in c["weekdays"],
        not c.get("hours") or _in_hours(c["hours"], local.time()),
        c.get("starts_at") is None or ctx.occurred_at >= c["starts_at"],
        c.get("ends_at") is None or ctx.occurred_at < c["ends_at"],
        _items_match(c, ctx.items),
    ]
    return all(checks)


def _in_hours(hours: Mapping, now: time) -> bool:
    """From-to in Tehran time; a window past midnight (22:00 to 02:00) wraps."""
    start, end = _hhmm(hours["from"]), _hhmm(hours["to"])
    if start <= end:
        return start <= now < end
    return now >= start or now < end


def _items_match(c: Mapping, items: Iterable[Item]) -> bool:
    skus, categories = set(c.get("skus") or ()), set(c.get("categories") or ())
    if not skus and not categories:
        return True
    quantity = sum(i.quantity for i in items if i.sku in skus or i.category in categories)
    return quantity >= max(c.get("min_quantity") or 1, 1)


def raw_points(rule: Rule, ctx: Context) -> tuple[int, str]:
    """The rule's points before caps and budget, with the sum that produced them."""
    e = rule.effect
    kind = e.get("type")
    if kind == "points_per_amount":
        points = ctx.earn_base * e["points"] // e["per_rial"]
        return points, f"{e['points']} per {e['per_rial']} IRR of {ctx.earn_base} IRR"
    if kind == "fixed_points":
        return e["points"], f"{e['points']} points"
    if kind == "multiplier":
        points = ctx.base_points * (e["percent"] - 100) // 100
        return points, f"{e['percent']}% of {ctx.base_points} base points"
    if kind == "cashback":
        points = ctx.earn_base * e["percent"] // 100 // ctx.point_value_rial
        return points, f"{e['percent']}% of {ctx.earn_base} IRR in points"
    if kind in ("reward", "free_item"):
        return 0, kind.replace("_", " ")
    raise ValueError(f"unknown effect type {kind!r}")


def _capped(rule: Rule, points: int, used: Usage, ctx: Context) -> tuple[int, str]:
    limits = []
    for key, spent in (("per_member_day", used.member_day), ("per_member_month", used.member_month),
                       ("per_member_jalali_year", used.member_jalali_year)):
        if rule.caps.get(key) is not None:
            limits.append((max(rule.caps[key] - spent, 0), key))
    if rule.budget.get("points") is not None:
        limits.append((max(rule.budget["points"] - used.total_points, 0), "budget"))
    if rule.budget.get("rials") is not None:
        left_rials = max(rule.budget["rials"] - used.total_rials, 0)
        limits.append((left_rials // ctx.point_value_rial, "budget"))
    for limit, why in sorted(limits):
        if points > limit:
            return limit, why
    return points, ""


def order_key(rule: Rule) -> tuple:
    """Highest priority first; ties by id, numerically (a draft "draft:N" after every saved
    rule, in the order given), so a dry run orders rules as they will be once saved."""
    if isinstance(rule.id, int):
        return (-rule.priority, 0, rule.id)
    _prefix, _, number = str(rule.id).rpartition(":")
    return (-rule.priority, 1, int(number) if number.isdigit() else 0, str(rule.id))


def _award(rule: Rule, ctx: Context, used: Usage) -> Award:
    points, why = raw_points(rule, ctx)
    points, limited = _capped(rule, max(points, 0), used, ctx)
    if limited:
        why += f", limited by {limited}"
    effect = rule.effect
    return Award(
        rule_id=rule.id, name=rule.name, points=points, reason=why,
        reward_id=effect.get("reward_id") if effect.get("type") == "reward" else None,
        free_item=({"sku": effect["sku"], "quantity": effect.get("quantity", 1)}
                   if effect.get("type") == "free_item" else None),
    )


def _gives(award: Award) -> bool:
    return award.points > 0 or award.reward_id is not None or award.free_item is not None


def evaluate(rules: Iterable[Rule], ctx: Context, usage: Mapping[int | str, Usage] | None = None) -> list[Award]:
    """Awards of the rules that apply, highest priority first. Of the exclusive rules that
    apply only the highest-priority one that still gives something counts (one whose cap or
    budget is used up has stopped); cumulative ones all count."""
    usage = usage or {}
    applying = sorted((r for r in rules if matches(r, ctx)), key=order_key)
    awards = {r.id: _award(r, ctx, usage.get(r.id, Usage())) for r in applying}
    exclusive = next((r for r in applying if r.stacking == "exclusive" and _gives(awards[r.id])), None)
    return [awards[r.id] for r in applying if r.stacking != "exclusive" or r is exclusive]
