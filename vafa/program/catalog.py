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

from typing import Any

from django.db import transaction

from vafa.core.errors import RewardNotFound, ValidationFailed
from vafa.core.ids import parse_id
from vafa.members.models import MembershipPlan
from vafa.program.inputs import REWARD_FIELDS, RewardInput, validated
from vafa.program.models import Reward, Tier
from vafa.program.version import program_changed

EDITABLE = REWARD_FIELDS


def reward_clean(fields: dict[str, Any] | RewardInput) -> dict[str, Any]:
    """Every editable field of a reward (vafa.program.inputs.RewardInput), checked and
    normalised; raises ValidationFailed naming the first field that is wrong. Its tiers and
    plans must exist."""
    clean = validated(RewardInput, fields).row()
    if clean["tiers"]:
        known = set(Tier.objects.filter(code__in=clean["tiers"]).values_list("code", flat=True))
        missing = [code for code in clean["tiers"] if code not in known]
        if missing:
            raise ValidationFailed(details={"tiers": f"no tier with code {', '.join(missing)}"})
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
        "charity_name": reward.charity_name, "ships": reward.ships,
        "available_codes": (getattr(reward, "available_codes", None)
                            if reward.kind == Reward.Kind.PARTNER_CODE else None),
    }
