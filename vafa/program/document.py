"""The whole program as one JSON document: export it, import it (DESIGN "The program as data").

    {"format": "vafa-program", "version": 1, "settings": {...}, "tiers": [...],
     "rewards": [...], "rules": [...]}

The document moves between installations, so it names nothing by an installation's row id:
a `reward` effect names its reward (`"reward": "<name>"`), a rule's merchant and its
`conditions.merchants` are merchant slugs, a reward's `plans` are membership plan names.
Tiers are matched by `code`, rewards and rules by `name` (unique within a document).

Import is all or nothing, in one transaction: every item is checked by the same services
as the API and the admin, every error is collected under its path (`rules[3].effect.points`),
and any error rolls everything back. What it writes:
- a section left out of the document is left alone; a section that is there is the whole of
  it: a rule of the installation that it lacks is ended (never deleted, its history kept), a
  reward it lacks is made inactive, and a tier it lacks is kept (deleting one would take
  members' tiers away);
- an item's missing fields take their defaults, as on creation, so the stored item is the
  document's; rules change through `rule_update`, so each change is a revision;
- a reward's `stock` counts down with redemptions: it is written when the import creates the
  reward and left as it is on an existing one, so re-importing an old document restocks nothing.
Ended rules are not exported: they earn nothing, and newer rules may reuse their names.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from vafa.core.errors import ValidationFailed
from vafa.members.models import MembershipPlan
from vafa.merchants.models import Merchant
from vafa.program import catalog
from vafa.program.inputs import (
    FORMAT,
    FORMAT_VERSION,
    ProgramDocumentInput,
    SettingsInput,
    settings_fields,
    validated,
)
from vafa.program.models import ProgramSettings, Reward, Rule, Tier
from vafa.program.rules import rule_body, rule_create, rule_update, tier_body, tier_clean, tier_create, tier_update
from vafa.program.version import program_changed

SECTIONS = ("settings", "tiers", "rewards", "rules")
_RULE_SKIP = ("id", "revision", "issued_points", "issued_rial")
_REWARD_SKIP = ("id", "available_codes")  # a partner code pool is uploaded, not part of the program
# What a rule or tier of the document is when a field is left out (as rule_clean/tier_clean create it).
_RULE_DEFAULTS: dict[str, Any] = {
    "status": "draft", "trigger": "purchase", "occasion": "", "event_type": "", "conditions": {}, "effect": None,
    "priority": 0,
    "stacking": "cumulative", "caps": {}, "budget": {}, "pending_days": None, "expiry_months": None,
    "merchant_id": None}
_TIER_DEFAULTS: dict[str, Any] = {"color": "#9e9e9e", "qualify": {}, "earn_percent": 100, "grace_days": 0,
                                  "page_text": ""}


# --- export ---------------------------------------------------------------------------


def _json_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _export_reward(reward: Reward, plan_names: dict[int, str]) -> dict:
    body = {k: _json_value(v) for k, v in catalog.reward_body(reward).items() if k not in _REWARD_SKIP}
    body["plans"] = [plan_names.get(pk, pk) for pk in body["plans"]]
    if not body["ships"]:
        del body["ships"]  # written only when set: documents from before it read the same
    return body


def _export_rule(rule: Rule, reward_names: dict[int, str], merchant_slugs: dict[int, str]) -> dict:
    body = {k: v for k, v in rule_body(rule).items() if k not in _RULE_SKIP}
    effect = dict(body["effect"])
    if effect.get("type") == "reward" and effect.get("reward_id") in reward_names:
        effect["reward"] = reward_names[effect.pop("reward_id")]
    body["effect"] = effect
    if body["conditions"].get("merchants"):
        body["conditions"] = {**body["conditions"],
                              "merchants": [merchant_slugs.get(pk, pk) for pk in body["conditions"]["merchants"]]}
    merchant_id = body.pop("merchant_id")
    body["merchant"] = merchant_slugs.get(merchant_id, merchant_id) if merchant_id is not None else None
    return body


def program_export() -> dict:
    """The installation's program as one JSON-ready document (no ids; see the module doc)."""
    settings = ProgramSettings.objects.filter(pk=1).first() or ProgramSettings()
    rewards = list(Reward.objects.order_by("cost_points", "id"))
    plan_names = dict(MembershipPlan.objects.values_list("pk", "name"))
    merchant_slugs = dict(Merchant.objects.values_list("pk", "slug"))
    reward_names = {r.pk: r.name for r in rewards}
    tiers = []
    for tier in Tier.objects.order_by("rank"):
        body = tier_body(tier)
        body.pop("id")
        tiers.append(body)
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "settings": {f.name: getattr(settings, f.attname) for f in settings_fields()},
        "tiers": tiers,
        "rewards": [_export_reward(r, plan_names) for r in rewards],
        "rules": [_export_rule(r, reward_names, merchant_slugs)
                  for r in Rule.objects.exclude(status=Rule.Status.ENDED).order_by("-priority", "id")],
    }


# --- import ---------------------------------------------------------------------------


class _Errors(dict):
    """Errors of the whole document, each under its path."""

    def add(self, path: str, details: Mapping) -> None:
        for key, why in details.items():
            # rule_clean/tier_clean name the whole item "rule"/"tier" (e.g. its unknown fields)
            self[f"{path}.{key}" if key and key not in ("rule", "tier") else path] = str(why)

    def has(self, path: str) -> bool:
        return any(key == path or key.startswith((f"{path}.", f"{path}[")) for key in self)

    def run(self, path: str, change):
        """Run one change in a savepoint: a refused item leaves nothing behind, and the
        items after it are still checked."""
        try:
            with transaction.atomic():
                return change()
        except ValidationFailed as exc:
            self.add(path, exc.details or {"": str(exc.message)})
            return None


def _items(data: Mapping, section: str, key: str, errors: _Errors) -> list[tuple[int, dict]] | None:
    """The section's items that are objects with a unique text `key`; None when the section is absent."""
    if section not in data or data[section] is None:
        return None
    items = data[section]
    if not isinstance(items, list):
        errors[section] = "a list of objects"
        return []
    seen: set[str] = set()
    good = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            errors[f"{section}[{i}]"] = "an object"
        elif not isinstance(item.get(key), str) or not item[key].strip():
            errors[f"{section}[{i}].{key}"] = f"required: the import finds the existing item by its {key}"
        elif item[key].strip() in seen:
            errors[f"{section}[{i}].{key}"] = f"another item of {section} has this {key}"
        else:
            seen.add(item[key].strip())
            good.append((i, dict(item)))
    return good


def _settings_clean(values, errors: _Errors) -> dict:
    """The settings the document gives, each checked (vafa.program.inputs.SettingsInput); every
    error is collected."""
    if not isinstance(values, Mapping):
        errors["settings"] = "an object"
        return {}
    try:
        given = validated(SettingsInput, values, every=True)
    except ValidationFailed as exc:
        errors.add("settings", exc.details)
        return {}
    return {name: getattr(given, name) for name in given.model_fields_set}


def _settings_apply(clean: dict) -> str:
    settings, _created = ProgramSettings.objects.get_or_create(pk=1)
    if all(getattr(settings, name) == value for name, value in clean.items()):
        return "unchanged"
    # An UPDATE of the given columns only: saving the loaded row would write back an old `version`.
    ProgramSettings.objects.filter(pk=1).update(**clean, updated_at=timezone.now())
    program_changed()
    return "updated"


def _tiers_import(items: list[tuple[int, dict]], errors: _Errors) -> dict:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    existing = {t.code: t for t in Tier.objects.all()}
    ranks = {}
    for i, item in items:
        item["code"] = item["code"].strip()
        item.pop("id", None)
        rank = item.get("rank")
        if rank in ranks.values() and isinstance(rank, int):
            errors[f"tiers[{i}].rank"] = "another tier of the document has this rank"
        ranks[i] = rank
    # Tiers that change rank step aside first, so two tiers can swap ranks.
    taken = {t.rank for t in existing.values()} | {r for r in ranks.values() if isinstance(r, int)}
    spare = (r for r in range(32767, -1, -1) if r not in taken)
    for i, item in items:
        tier = existing.get(item["code"])
        if tier is not None and ranks[i] != tier.rank:
            Tier.objects.filter(pk=tier.pk).update(rank=next(spare))
    for i, item in items:
        if errors.has(f"tiers[{i}]"):
            continue
        data = {**_TIER_DEFAULTS, **item}
        tier = existing.get(item["code"])
        if tier is None:
            if errors.run(f"tiers[{i}]", lambda data=data: tier_create(data=data)) is not None:
                counts["created"] += 1
            continue

        def change(tier=tier, data=data):
            clean = tier_clean(data)
            if all(getattr(tier, k) == v for k, v in clean.items()):
                return "unchanged"
            tier_update(tier_id=tier.pk, data=data)
            return "updated"

        outcome = errors.run(f"tiers[{i}]", change)
        if outcome is not None:
            counts[outcome] += 1
    return counts


def _only(queryset, path: str, errors: _Errors, what: str) -> int | None:
    """The id of the one row a name matches, None if none; names are how a document refers to
    rows, so two rows of one name are refused rather than guessed."""
    ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:2])
    if len(ids) > 1:
        errors[path] = f"two or more {what} have this name in this installation: rename one first"
        return None
    return ids[0] if ids else None


def _plan_ids(names, path: str, errors: _Errors):
    if not isinstance(names, list):
        return names  # reward_clean says what it must be
    ids = []
    for name in names:
        if isinstance(name, str):
            pk = _only(MembershipPlan.objects.filter(name=name), path, errors, "membership plans")
            if pk is None and not errors.has(path):
                errors[path] = f"no membership plan named {name}: create it first"
                return None
            ids.append(pk)
        else:
            ids.append(name)
    return ids


def _rewards_import(items: list[tuple[int, dict]], errors: _Errors) -> dict:
    counts = {"created": 0, "updated": 0, "unchanged": 0, "deactivated": 0}
    defaults = catalog.reward_fields(Reward())
    kept: set[int] = set()
    for i, item in items:
        path = f"rewards[{i}]"
        for key in _REWARD_SKIP:
            item.pop(key, None)
        fields = {**defaults, **item, "name": item["name"].strip()}
        fields["plans"] = _plan_ids(fields["plans"], f"{path}.plans", errors)
        if errors.has(path):
            continue
        reward_pk = _only(Reward.objects.filter(name=fields["name"]), f"{path}.name", errors, "rewards")
        if errors.has(path):
            continue
        reward = Reward.objects.get(pk=reward_pk) if reward_pk else None
        if reward is None:
            if (created := errors.run(path, lambda fields=fields: catalog.reward_create(**fields))) is not None:
                kept.add(created.pk)
                counts["created"] += 1
            continue
        kept.add(reward.pk)
        if Reward.Kind.PARTNER_CODE not in (reward.kind, fields.get("kind")):
            fields["stock"] = reward.stock  # a counter of what is left (see the module doc)
        try:
            with transaction.atomic():
                clean = catalog.reward_clean(fields)
                changed = clean != catalog.reward_fields(reward)
                if changed:
                    catalog.reward_update(reward_id=reward.pk, **clean)
        except ValidationFailed as exc:
            errors.add(path, exc.details)
            continue
        counts["updated" if changed else "unchanged"] += 1
    for reward in Reward.objects.filter(active=True).exclude(pk__in=kept):
        if errors.run(f"rewards (deactivating {reward.name})",
                      lambda reward=reward: catalog.reward_update(reward_id=reward.pk, active=False)):
            counts["deactivated"] += 1
    return counts


def _merchant_id(slug, path: str, errors: _Errors):
    if not isinstance(slug, str):
        return slug  # an id (this installation's) or bad: rule_clean checks it
    pk = Merchant.objects.filter(slug=slug).values_list("pk", flat=True).first()
    if pk is None:
        errors[path] = f"no merchant with the slug {slug}"
    return pk


def _rule_data(item: dict, path: str, errors: _Errors) -> dict:
    """A rule of the document in rule_clean's shape: names and slugs back to this installation's ids."""
    for key in _RULE_SKIP:
        item.pop(key, None)
    if "merchant" in item:
        if item.get("merchant_id") is not None:
            errors[f"{path}.merchant"] = "give merchant (a slug) or merchant_id, not both"
        item["merchant_id"] = _merchant_id(item.pop("merchant"), f"{path}.merchant", errors)
    effect = item.get("effect")
    if isinstance(effect, Mapping) and "reward" in effect:
        effect = dict(effect)
        name = effect.pop("reward")
        if "reward_id" in effect:
            errors[f"{path}.effect.reward"] = "give reward (a name) or reward_id, not both"
        matches = Reward.objects.filter(name=name.strip()) if isinstance(name, str) else Reward.objects.none()
        pk = _only(matches, f"{path}.effect.reward", errors, "rewards")
        if pk is None and not matches.exists():
            errors[f"{path}.effect.reward"] = "no reward with this name"
        effect["reward_id"] = pk
        item["effect"] = effect
    conditions = item.get("conditions")
    if isinstance(conditions, Mapping) and isinstance(conditions.get("merchants"), list):
        item["conditions"] = {**conditions, "merchants": [
            _merchant_id(m, f"{path}.conditions.merchants", errors) for m in conditions["merchants"]]}
    return {**_RULE_DEFAULTS, **item, "name": item["name"].strip()}


def _rule_match(name: str, taken: set[int]) -> Rule | None:
    """The rule a document's rule updates: a rule of that name that still counts, else the
    latest ended one (brought back, with its history)."""
    rules = [r for r in Rule.objects.filter(name=name).order_by("pk") if r.pk not in taken]
    current = [r for r in rules if r.status != Rule.Status.ENDED]
    return current[0] if current else (rules[-1] if rules else None)


def _rules_import(items: list[tuple[int, dict]], errors: _Errors, changed_by: str) -> dict:
    counts = {"created": 0, "updated": 0, "unchanged": 0, "ended": 0}
    matched: set[int] = set()
    for i, item in items:
        path = f"rules[{i}]"
        data = _rule_data(item, path, errors)
        if errors.has(path):
            continue
        rule = _rule_match(data["name"], matched)
        if rule is None:
            created = errors.run(path, lambda data=data: rule_create(data=data, changed_by=changed_by))
            if created is not None:
                matched.add(created.pk)
                counts["created"] += 1
            continue
        matched.add(rule.pk)
        updated = errors.run(path, lambda rule=rule, data=data: rule_update(rule_id=rule.pk, data=data,
                                                                           changed_by=changed_by))
        if updated is not None:
            counts["unchanged" if updated.revision == rule.revision else "updated"] += 1
    for rule in Rule.objects.exclude(status=Rule.Status.ENDED).exclude(pk__in=matched).order_by("pk"):
        ended = errors.run(f"rules (ending {rule.name})", lambda rule=rule: rule_update(
            rule_id=rule.pk, data={"status": Rule.Status.ENDED}, changed_by=changed_by))
        if ended is not None:
            counts["ended"] += 1
    return counts


def program_import(*, data: Mapping, changed_by: str = "") -> dict:
    """Make the installation's program the document's (see the module doc). Answers what
    changed: {"settings": "updated"|"unchanged", "tiers": {...}, "rewards": {...}, "rules": {...}};
    raises ValidationFailed with every error under its path, and then nothing has changed."""
    validated(ProgramDocumentInput, data, every=True)
    errors = _Errors()
    tiers = _items(data, "tiers", "code", errors)
    rewards = _items(data, "rewards", "name", errors)
    rules = _items(data, "rules", "name", errors)
    settings = _settings_clean(data["settings"], errors) if data.get("settings") is not None else {}
    summary: dict[str, Any] = {
        "settings": "unchanged",
        "tiers": {"created": 0, "updated": 0, "unchanged": 0},
        "rewards": {"created": 0, "updated": 0, "unchanged": 0, "deactivated": 0},
        "rules": {"created": 0, "updated": 0, "unchanged": 0, "ended": 0},
    }
    with transaction.atomic():
        # Rule rows before reward rows, as a purchase locks them (a budget, then a reward's
        # stock), and both before the settings row, as a rule change does: no deadlock.
        list(Rule.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        list(Reward.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        if settings and not errors:
            summary["settings"] = _settings_apply(settings)
        # In this order: rewards name tiers, rules name rewards.
        if tiers is not None:
            summary["tiers"] = _tiers_import(tiers, errors)
        if rewards is not None:
            summary["rewards"] = _rewards_import(rewards, errors)
        if rules is not None:
            summary["rules"] = _rules_import(rules, errors, changed_by)
        if errors:
            raise ValidationFailed(details=dict(sorted(errors.items())))
    return summary
