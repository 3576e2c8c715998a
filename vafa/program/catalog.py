"""The reward catalogue: create and edit rewards, each field checked for the reward's kind.

One JSON shape (`reward_body`) serves the API, the admin and the program export. What a kind
uses:

- `coupon_amount`: `amount_rial` (required), `min_purchase_rial`, `valid_days`;
- `coupon_percent`: `percent` 1..100 (required), `cap_rial`, `min_purchase_rial`, `valid_days`;
- `free_product`: `sku` (required), `amount_rial` (the product's price, optional: the coupon
  then takes that much off the bill), `min_purchase_rial`, `valid_days`;
- `gift_card`: `amount_rial` (the stored value, required), `valid_days` (the card's life);
- `partner_code`: nothing more; its pool of uploaded codes is its stock, so `stock` stays empty;
- `charity`: `charity_name` (required);
- `non_material`: nothing more.

A field a kind does not use must be empty, so a reward never carries a figure that means
nothing (a percent on a fixed-amount coupon)."""

from datetime import datetime
from typing import Any

from django.db import transaction

from vafa.core.errors import RewardNotFound, ValidationFailed
from vafa.core.ids import parse_id
from vafa.core.limits import MAX_COUNT, MAX_DAYS, MAX_POINTS, MAX_RIAL
from vafa.core.moments import checked_moment
from vafa.members.models import Member, MembershipPlan
from vafa.program.models import Reward, Tier
from vafa.program.version import program_changed

MAX_VALID_DAYS = MAX_DAYS

EDITABLE = (
    "name", "description", "kind", "active", "cost_points", "amount_rial", "percent", "cap_rial",
    "min_purchase_rial", "sku", "stock", "per_member_limit", "tiers", "member_kinds", "plans",
    "starts_at", "ends_at", "valid_days", "charity_name",
)
KIND_SPECIFIC = ("amount_rial", "percent", "cap_rial", "min_purchase_rial", "sku", "valid_days", "charity_name")
# kind -> (required, allowed) among KIND_SPECIFIC
KIND_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    Reward.Kind.COUPON_AMOUNT: ({"amount_rial"}, {"amount_rial", "min_purchase_rial", "valid_days"}),
    Reward.Kind.COUPON_PERCENT: ({"percent"}, {"percent", "cap_rial", "min_purchase_rial", "valid_days"}),
    Reward.Kind.FREE_PRODUCT: ({"sku"}, {"sku", "amount_rial", "min_purchase_rial", "valid_days"}),
    Reward.Kind.GIFT_CARD: ({"amount_rial"}, {"amount_rial", "valid_days"}),
    Reward.Kind.PARTNER_CODE: (set(), set()),
    Reward.Kind.CHARITY: ({"charity_name"}, {"charity_name"}),
    Reward.Kind.NON_MATERIAL: (set(), set()),
}
_EMPTY: dict[str, Any] = {"min_purchase_rial": 0, "sku": "", "charity_name": ""}


def _empty(name: str, value: Any) -> bool:
    return value == _EMPTY.get(name) if name in _EMPTY else value is None


def _int(value: Any, name: str, low: int, high: int, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(details={name: f"an integer from {low} to {high}" + (" or null" if optional else "")})
    return value


def _text(value: Any, name: str, max_length: int, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(details={name: "must be text"})
    value = value.strip()
    if required and not value:
        raise ValidationFailed(details={name: "required"})
    if len(value) > max_length:
        raise ValidationFailed(details={name: f"at most {max_length} characters"})
    return value


def _moment(value: Any, name: str) -> datetime | None:
    if value is not None and not isinstance(value, datetime):
        raise ValidationFailed(details={name: "a date and time (ISO 8601)"})
    return checked_moment(value, name)


def _string_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value) or len(value) > 100:
        raise ValidationFailed(details={name: "a list of at most 100 texts"})
    return list(dict.fromkeys(v.strip() for v in value if v.strip()))


def reward_clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Every editable field of a reward, checked and normalised; raises ValidationFailed
    naming the first field that is wrong."""
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise ValidationFailed(details={name: "unknown field" for name in unknown})
    kind = fields.get("kind")
    if kind not in KIND_FIELDS:
        raise ValidationFailed(details={"kind": f"one of {', '.join(KIND_FIELDS)}"})
    active = fields.get("active", True)
    if not isinstance(active, bool):
        raise ValidationFailed(details={"active": "true or false"})
    clean: dict[str, Any] = {
        "name": _text(fields.get("name"), "name", 200, required=True),
        "description": _text(fields.get("description"), "description", 5000),
        "kind": kind,
        "active": active,
        "cost_points": _int(fields.get("cost_points", 0), "cost_points", 0, MAX_POINTS),
        "amount_rial": _int(fields.get("amount_rial"), "amount_rial", 1, MAX_RIAL, optional=True),
        "percent": _int(fields.get("percent"), "percent", 1, 100, optional=True),
        "cap_rial": _int(fields.get("cap_rial"), "cap_rial", 1, MAX_RIAL, optional=True),
        "min_purchase_rial": _int(fields.get("min_purchase_rial", 0), "min_purchase_rial", 0, MAX_RIAL),
        "sku": _text(fields.get("sku"), "sku", 64),
        "stock": _int(fields.get("stock"), "stock", 0, MAX_COUNT, optional=True),
        "per_member_limit": _int(fields.get("per_member_limit"), "per_member_limit", 1, MAX_COUNT, optional=True),
        "tiers": _string_list(fields.get("tiers"), "tiers"),
        "member_kinds": _string_list(fields.get("member_kinds"), "member_kinds"),
        "plans": fields.get("plans") or [],
        "starts_at": _moment(fields.get("starts_at"), "starts_at"),
        "ends_at": _moment(fields.get("ends_at"), "ends_at"),
        "valid_days": _int(fields.get("valid_days"), "valid_days", 1, MAX_VALID_DAYS, optional=True),
        "charity_name": _text(fields.get("charity_name"), "charity_name", 200),
    }
    required, allowed = KIND_FIELDS[kind]
    for name in KIND_SPECIFIC:
        if name in required and _empty(name, clean[name]):
            raise ValidationFailed(details={name: f"required for a {kind} reward"})
        if name not in allowed and not _empty(name, clean[name]):
            raise ValidationFailed(details={name: f"not used by a {kind} reward"})
    if kind == Reward.Kind.PARTNER_CODE and clean["stock"] is not None:
        raise ValidationFailed(details={"stock": "a partner code reward's stock is its pool of codes"})
    if clean["starts_at"] and clean["ends_at"] and clean["ends_at"] <= clean["starts_at"]:
        raise ValidationFailed(details={"ends_at": "must be after starts_at"})
    bad_kinds = [k for k in clean["member_kinds"] if k not in Member.Kind.values]
    if bad_kinds:
        raise ValidationFailed(details={"member_kinds": f"each one of {', '.join(Member.Kind.values)}"})
    if clean["tiers"]:
        known = set(Tier.objects.filter(code__in=clean["tiers"]).values_list("code", flat=True))
        missing = [code for code in clean["tiers"] if code not in known]
        if missing:
            raise ValidationFailed(details={"tiers": f"no tier with code {', '.join(missing)}"})
    plans = clean["plans"]
    if not isinstance(plans, list | tuple) or len(plans) > 100 or not all(
            isinstance(p, int) and not isinstance(p, bool) and 0 < p <= 10**18 for p in plans):
        raise ValidationFailed(details={"plans": "a list of membership plan ids"})
    clean["plans"] = sorted(set(plans))
    if clean["plans"]:
        known_plans = set(MembershipPlan.objects.filter(pk__in=clean["plans"]).values_list("pk", flat=True))
        missing_plans = [str(p) for p in clean["plans"] if p not in known_plans]
        if missing_plans:
            raise ValidationFailed(details={"plans": f"no membership plan with id {', '.join(missing_plans)}"})
    return clean


def reward_create(**fields) -> Reward:
    clean = reward_clean(fields)
    with transaction.atomic():
        reward = Reward.objects.create(**clean)
        program_changed()
    return reward


def reward_fields(reward: Reward) -> dict[str, Any]:
    return {name: getattr(reward, name) for name in EDITABLE}


def parse_reward_id(raw) -> int:
    """A reward id as it came (int or text, any shape); anything but a positive integer
    names no reward. The error repeats the id as it was sent."""
    try:
        return parse_id(raw, RewardNotFound)
    except RewardNotFound:
        raise RewardNotFound(details={"reward_id": raw if isinstance(raw, int) else str(raw)[:64]}) from None


def reward_update(*, reward_id, **fields) -> Reward:
    """Change some fields; the result is checked as a whole (a new kind needs its fields)."""
    pk = parse_reward_id(reward_id)
    with transaction.atomic():
        reward = Reward.objects.select_for_update().filter(pk=pk).first()
        if reward is None:
            raise RewardNotFound(details={"reward_id": reward_id})
        clean = reward_clean({**reward_fields(reward), **fields})
        for name, value in clean.items():
            setattr(reward, name, value)
        reward.save()
        program_changed()
    return reward


def reward_body(reward: Reward) -> dict[str, Any]:
    """The one JSON shape of a reward. `available_codes` (partner codes not yet handed out)
    comes from the rewards app's selectors, which annotate it; otherwise it is null."""
    return {
        "id": reward.pk, "name": reward.name, "description": reward.description, "kind": reward.kind,
        "active": reward.active, "cost_points": reward.cost_points, "amount_rial": reward.amount_rial,
        "percent": reward.percent, "cap_rial": reward.cap_rial, "min_purchase_rial": reward.min_purchase_rial,
        "sku": reward.sku, "stock": reward.stock, "per_member_limit": reward.per_member_limit,
        "tiers": list(reward.tiers), "member_kinds": list(reward.member_kinds), "plans": list(reward.plans),
        "starts_at": reward.starts_at, "ends_at": reward.ends_at, "valid_days": reward.valid_days,
        "charity_name": reward.charity_name,
        "available_codes": (getattr(reward, "available_codes", None)
                            if reward.kind == Reward.Kind.PARTNER_CODE else None),
    }
