"""Earning rules and tiers as data: validate the one JSON shape (DESIGN "The program as
data"), save it with its history, answer it back in the same shape."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from vafa.core.errors import RuleNotFound, TierNotFound, ValidationFailed
from vafa.core.ids import parse_id
from vafa.core.limits import MAX_RIAL
from vafa.core.moments import checked_moment
from vafa.program.engine import WEEKDAYS
from vafa.program.models import Reward, Rule, RuleRevision, Tier
from vafa.program.version import program_changed

MAX_INT = MAX_RIAL

CONDITION_LISTS = ("skus", "categories", "tiers", "tags", "segments", "interests", "branches",
                   "payment_methods")
EFFECTS = {
    "points_per_amount": ("points", "per_rial"),
    "fixed_points": ("points",),
    "multiplier": ("percent",),
    "cashback": ("percent",),
    "reward": ("reward_id",),
    "free_item": ("sku",),
}
RULE_FIELDS = ("name", "status", "trigger", "occasion", "event_type", "conditions", "effect", "priority",
               "stacking", "caps", "budget", "pending_days", "expiry_months", "merchant_id")
CAP_KEYS = ("per_member_day", "per_member_month", "per_member_jalali_year")


def _fail(field: str, why: str):
    raise ValidationFailed(details={field: why})


def _int(value, field: str, *, low: int = 0, high: int = MAX_INT, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _fail(field, f"an integer from {low} to {high}")
    return value


def _choice(value, field: str, choices) -> str:
    if value not in choices:
        _fail(field, f"one of {', '.join(choices)}")
    return value


def _strings(value, field: str, *, choices=None) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 64 for v in value):
        _fail(field, "a list of short texts")
    if choices is not None:
        for v in value:
            _choice(v, field, choices)
    return list(dict.fromkeys(value))


def _moment(value, field: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValidationFailed(details={field: "an ISO date-time, e.g. 2026-03-21T00:00:00+03:30"})
    moment = checked_moment(value, field)
    return moment.isoformat() if moment else None


def _hhmm(value, field: str) -> str:
    try:
        hours, minutes = value.split(":")
        assert len(hours) == 2 and len(minutes) == 2 and 0 <= int(hours) <= 24 and 0 <= int(minutes) < 60
        assert int(hours) < 24 or int(minutes) == 0
    except (AttributeError, ValueError, AssertionError):
        _fail(field, "a time HH:MM")
    return value


def _conditions(c) -> dict:
    if c is None:
        return {}
    if not isinstance(c, Mapping):
        _fail("conditions", "an object")
    known = {"amount_min", "amount_max", "min_quantity", "member_kinds", "nth_purchase", "every_nth_purchase",
             "first_purchase", "weekdays", "hours", "starts_at", "ends_at", "channels", "merchants",
             *CONDITION_LISTS}
    unknown = sorted(set(c) - known)
    if unknown:
        _fail("conditions", f"unknown conditions: {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for key in ("amount_min", "amount_max"):
        out[key] = _int(c.get(key), f"conditions.{key}", optional=True)
    if out["amount_min"] is not None and out["amount_max"] is not None and out["amount_min"] > out["amount_max"]:
        _fail("conditions.amount_max", "not below amount_min")
    out["min_quantity"] = _int(c.get("min_quantity"), "conditions.min_quantity", low=1, high=10**6, optional=True)
    for key in CONDITION_LISTS:
        out[key] = _strings(c.get(key), f"conditions.{key}")
    out["member_kinds"] = _strings(c.get("member_kinds"), "conditions.member_kinds",
                                   choices=("person", "organization"))
    out["channels"] = _strings(c.get("channels"), "conditions.channels", choices=("in_store", "online"))
    out["weekdays"] = _strings(c.get("weekdays"), "conditions.weekdays", choices=WEEKDAYS)
    merchants = c.get("merchants") or []
    if not isinstance(merchants, list):
        _fail("conditions.merchants", "a list of merchant ids")
    out["merchants"] = [_int(m, "conditions.merchants", low=1) for m in merchants]
    nth = c.get("nth_purchase") or []
    if not isinstance(nth, list):
        _fail("conditions.nth_purchase", "a list of purchase numbers, e.g. [2, 6]")
    out["nth_purchase"] = sorted({_int(n, "conditions.nth_purchase", low=1, high=10**6) for n in nth})
    out["every_nth_purchase"] = _int(c.get("every_nth_purchase"), "conditions.every_nth_purchase", low=1,
                                     high=10**6, optional=True)
    first = c.get("first_purchase", False)
    if not isinstance(first, bool):
        _fail("conditions.first_purchase", "true or false")
    out["first_purchase"] = first
    hours = c.get("hours")
    if hours is not None:
        if not isinstance(hours, Mapping) or set(hours) != {"from", "to"}:
            _fail("conditions.hours", 'an object {"from": "HH:MM", "to": "HH:MM"}')
        hours = {"from": _hhmm(hours["from"], "conditions.hours.from"), "to": _hhmm(hours["to"], "conditions.hours.to")}
        if hours["from"] == hours["to"]:
            _fail("conditions.hours", "from and to differ")
    out["hours"] = hours
    out["starts_at"] = _moment(c.get("starts_at"), "conditions.starts_at")
    out["ends_at"] = _moment(c.get("ends_at"), "conditions.ends_at")
    if out["starts_at"] and out["ends_at"] and parse_datetime(out["starts_at"]) >= parse_datetime(out["ends_at"]):
        _fail("conditions.ends_at", "after starts_at")
    # Only what is set is kept, so the stored rule reads like the marketer wrote it.
    return {k: v for k, v in out.items() if v not in (None, [], False)}


def _effect(e, trigger: str) -> dict:
    if not isinstance(e, Mapping) or "type" not in e:
        _fail("effect", f"an object with a type: {', '.join(EFFECTS)}")
    kind = _choice(e["type"], "effect.type", tuple(EFFECTS))
    allowed = {"type", "member", "quantity", *EFFECTS[kind]}
    unknown = sorted(set(e) - allowed)
    if unknown:
        _fail("effect", f"unknown fields for {kind}: {', '.join(unknown)}")
    out: dict[str, Any] = {"type": kind}
    if kind == "points_per_amount":
        out["points"] = _int(e.get("points"), "effect.points", low=1, high=10**9)
        out["per_rial"] = _int(e.get("per_rial"), "effect.per_rial", low=1)
    elif kind == "fixed_points":
        out["points"] = _int(e.get("points"), "effect.points", low=1, high=10**12)
    elif kind == "multiplier":
        out["percent"] = _int(e.get("percent"), "effect.percent", low=100, high=100_000)
    elif kind == "cashback":
        out["percent"] = _int(e.get("percent"), "effect.percent", low=1, high=100)
    elif kind == "reward":
        reward_id = _int(e.get("reward_id"), "effect.reward_id", low=1)
        if not Reward.objects.filter(pk=reward_id).exists():
            _fail("effect.reward_id", "no reward with this id")
        out["reward_id"] = reward_id
    else:
        sku = e.get("sku")
        if not isinstance(sku, str) or not 0 < len(sku) <= 64:
            _fail("effect.sku", "required, at most 64 characters")
        out["sku"] = sku
        out["quantity"] = _int(e.get("quantity", 1), "effect.quantity", low=1, high=1000)
    if kind in ("multiplier", "points_per_amount", "cashback") and trigger != "purchase":
        _fail("effect.type", f"{kind} needs a purchase trigger")
    if "member" in e:
        if trigger != "referral_completed":
            _fail("effect.member", "only for referral_completed rules")
        out["member"] = _choice(e["member"], "effect.member", ("referrer", "referred"))
    return out


def _limits(value, field: str, keys) -> dict:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or set(value) - set(keys):
        _fail(field, f"an object with {', '.join(keys)}")
    return {k: _int(value.get(k), f"{field}.{k}", optional=True) for k in keys if value.get(k) is not None}


def rule_clean(data: Mapping, *, partial_of: Mapping | None = None) -> dict:
    """Validate a rule in the JSON shape; with `partial_of`, fields not given keep those values."""
    if not isinstance(data, Mapping):
        _fail("rule", "an object")
    unknown = sorted(set(data) - set(RULE_FIELDS) - {"id", "revision", "issued_points", "issued_rial"})
    if unknown:
        _fail("rule", f"unknown fields: {', '.join(unknown)}")
    merged = {**(partial_of or {}), **data}
    name = merged.get("name")
    if not isinstance(name, str) or not 0 < len(name.strip()) <= 200:
        _fail("name", "required, at most 200 characters")
    trigger = _choice(merged.get("trigger", "purchase"), "trigger", Rule.Trigger.values)
    out = {
        "name": name.strip(),
        "status": _choice(merged.get("status", "draft"), "status", Rule.Status.values),
        "trigger": trigger,
        "occasion": "",
        "event_type": "",
        "conditions": _conditions(merged.get("conditions")),
        "effect": _effect(merged.get("effect"), trigger),
        "priority": _int(merged.get("priority", 0), "priority", low=-10**6, high=10**6),
        "stacking": _choice(merged.get("stacking", "cumulative"), "stacking", Rule.Stacking.values),
        "caps": _limits(merged.get("caps"), "caps", CAP_KEYS),
        "budget": _limits(merged.get("budget"), "budget", ("points", "rials")),
        "pending_days": _int(merged.get("pending_days"), "pending_days", high=3650, optional=True),
        "expiry_months": _int(merged.get("expiry_months"), "expiry_months", low=1, high=1200, optional=True),
        "merchant_id": _int(merged.get("merchant_id"), "merchant_id", low=1, optional=True),
    }
    if trigger == "occasion":
        out["occasion"] = _choice(merged.get("occasion"), "occasion", Rule.Occasion.values)
    if trigger == "event":
        event_type = merged.get("event_type")
        if not isinstance(event_type, str) or not 0 < len(event_type) <= 64:
            _fail("event_type", "required for an event rule, at most 64 characters")
        out["event_type"] = event_type
    return out


def rule_body(rule: Rule) -> dict:
    body = {"id": rule.pk, **{f: getattr(rule, f) for f in RULE_FIELDS}}
    body.update(revision=rule.revision, issued_points=rule.issued_points, issued_rial=rule.issued_rial)
    return body


def _rule_get(rule_id) -> Rule:
    rule = Rule.objects.filter(pk=parse_id(rule_id, RuleNotFound)).first()
    if rule is None:
        raise RuleNotFound(details={"id": str(rule_id)})
    return rule


def _check_merchant(merchant_id: int | None) -> None:
    from vafa.merchants.models import Merchant

    if merchant_id is not None and not Merchant.objects.filter(pk=merchant_id).exists():
        _fail("merchant_id", "no merchant with this id")


def rule_create(*, data: Mapping, changed_by: str = "") -> Rule:
    clean = rule_clean(data)
    _check_merchant(clean["merchant_id"])
    with transaction.atomic():
        rule = Rule.objects.create(**clean)
        RuleRevision.objects.create(rule=rule, revision=1, data=rule_body(rule), changed_by=changed_by)
        program_changed()
    return rule


def rule_update(*, rule_id, data: Mapping, changed_by: str = "") -> Rule:
    """Change a rule; every change is a new revision, so a live rule's history is kept."""
    with transaction.atomic():
        rule = _rule_get(rule_id)
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        current = {f: getattr(rule, f) for f in RULE_FIELDS}
        clean = rule_clean(data, partial_of=current)
        _check_merchant(clean["merchant_id"])
        if clean == current:
            return rule
        for field, value in clean.items():
            setattr(rule, field, value)
        rule.revision += 1
        rule.save()
        RuleRevision.objects.create(rule=rule, revision=rule.revision, data=rule_body(rule), changed_by=changed_by)
        program_changed()
    return rule


def rule_get(*, rule_id) -> Rule:
    return _rule_get(rule_id)


# --- tiers ---------------------------------------------------------------------------
TIER_FIELDS = ("code", "name", "rank", "color", "qualify", "earn_percent", "grace_days", "page_text")


def tier_body(tier: Tier) -> dict:
    return {"id": tier.pk, "code": tier.code, "name": tier.name, "rank": tier.rank, "color": tier.color,
            "qualify": {"by": tier.qualify_by, "threshold": tier.threshold, "window": tier.window},
            "earn_percent": tier.earn_percent, "grace_days": tier.grace_days, "page_text": tier.page_text}


def tier_clean(data: Mapping, *, partial_of: Mapping | None = None) -> dict:
    from django.utils.text import slugify

    if not isinstance(data, Mapping):
        _fail("tier", "an object")
    unknown = sorted(set(data) - set(TIER_FIELDS) - {"id"})
    if unknown:
        _fail("tier", f"unknown fields: {', '.join(unknown)}")
    merged = {**(partial_of or {}), **data}
    name = merged.get("name")
    if not isinstance(name, str) or not 0 < len(name.strip()) <= 100:
        _fail("name", "required, at most 100 characters")
    code = merged.get("code") or slugify(name, allow_unicode=True)
    if not isinstance(code, str) or slugify(code, allow_unicode=True) != code or not 0 < len(code) <= 40:
        _fail("code", "letters, digits, - and _ only, at most 40")
    color = merged.get("color", "#9e9e9e")
    if not isinstance(color, str) or len(color) != 7 or color[0] != "#" or not all(
            ch in "0123456789abcdefABCDEF" for ch in color[1:]):
        _fail("color", "a colour like #c9a227")
    qualify = merged.get("qualify") or {}
    if not isinstance(qualify, Mapping) or set(qualify) - {"by", "threshold", "window"}:
        _fail("qualify", 'an object {"by", "threshold", "window"}')
    page_text = merged.get("page_text", "")
    if not isinstance(page_text, str) or len(page_text) > 5000:
        _fail("page_text", "a text of at most 5000 characters")
    return {
        "code": code, "name": name.strip(), "color": color.lower(), "page_text": page_text,
        "rank": _int(merged.get("rank"), "rank", low=0, high=32767),
        "qualify_by": _choice(qualify.get("by", "spend"), "qualify.by", Tier.QualifyBy.values),
        "threshold": _int(qualify.get("threshold", 0), "qualify.threshold"),
        "window": _choice(qualify.get("window", "rolling_365"), "qualify.window", Tier.Window.values),
        "earn_percent": _int(merged.get("earn_percent", 100), "earn_percent", low=100, high=100_000),
        "grace_days": _int(merged.get("grace_days", 0), "grace_days", high=3650),
    }


def _tier_get(tier_id) -> Tier:
    text = str(tier_id)
    if "\x00" in text:  # no code holds one (and PostgreSQL cannot be asked about one)
        raise TierNotFound(details={"id": text.replace("\x00", "")[:64]})
    tier = (Tier.objects.filter(pk=int(text)) if text.isascii() and text.isdigit() and len(text) < 18
            else Tier.objects.filter(code=text)).first()
    if tier is None:
        raise TierNotFound(details={"id": text[:64]})
    return tier


def tier_get(*, tier_id) -> Tier:
    return _tier_get(tier_id)


def _tier_save(tier: Tier, clean: dict) -> Tier:
    clash = Tier.objects.exclude(pk=tier.pk)
    if clash.filter(code=clean["code"]).exists():
        _fail("code", "another tier has this code")
    if clash.filter(rank=clean["rank"]).exists():
        _fail("rank", "another tier has this rank")
    for field, value in clean.items():
        setattr(tier, field, value)
    tier.save()
    program_changed()
    return tier


def tier_create(*, data: Mapping) -> Tier:
    clean = tier_clean(data)
    with transaction.atomic():
        return _tier_save(Tier(), clean)


def tier_update(*, tier_id, data: Mapping) -> Tier:
    with transaction.atomic():
        tier = _tier_get(tier_id)
        body = tier_body(tier)
        body.pop("id")
        return _tier_save(tier, tier_clean(data, partial_of=body))


def parse_moment(text: str | None) -> datetime | None:
    """A stored condition date-time back to an aware datetime."""
    return parse_datetime(text) if text else None
