"""Earning rules and tiers as data: validate the one JSON shape (DESIGN "The program as
data"), save it with its history, answer it back in the same shape."""

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils.dateparse import parse_datetime

from vafa.core.errors import RuleNotFound, TierNotFound, ValidationFailed
from vafa.core.ids import parse_id
from vafa.program.inputs import RULE_FIELDS, RuleInput, TierInput, validated
from vafa.program.models import Reward, Rule, RuleRevision, Tier
from vafa.program.version import program_changed


def _fail(field: str, why: str):
    raise ValidationFailed(details={field: why})


def rule_clean(data: Mapping | RuleInput, *, partial_of: Mapping | None = None) -> dict:
    """A rule in the JSON shape (vafa.program.inputs.RuleInput), checked, as the Rule model's
    fields; with `partial_of`, fields not given keep those values. A `reward` effect must name
    a reward that exists."""
    if partial_of is not None:
        data = {**partial_of, **data}
    clean = validated(RuleInput, data).row()
    effect = clean["effect"]
    if effect["type"] == "reward" and not Reward.objects.filter(pk=effect["reward_id"]).exists():
        _fail("effect.reward_id", "no reward with this id")
    return clean


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


def rule_create(*, data: Mapping | RuleInput, changed_by: str = "") -> Rule:
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


def tier_body(tier: Tier) -> dict:
    return {"id": tier.pk, "code": tier.code, "name": tier.name, "rank": tier.rank, "color": tier.color,
            "qualify": {"by": tier.qualify_by, "threshold": tier.threshold, "window": tier.window},
            "earn_percent": tier.earn_percent, "grace_days": tier.grace_days, "page_text": tier.page_text}


def tier_clean(data: Mapping | TierInput, *, partial_of: Mapping | None = None) -> dict:
    """A tier (vafa.program.inputs.TierInput), checked, as the Tier model's fields; with
    `partial_of`, fields not given keep those values."""
    if partial_of is not None:
        data = {**partial_of, **data}
    return validated(TierInput, data).row()


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


def tier_create(*, data: Mapping | TierInput) -> Tier:
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
