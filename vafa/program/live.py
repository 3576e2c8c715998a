"""The live program: settings, live rules (in the engine's shape) and tiers, cached per process by
the program's version."""

from dataclasses import dataclass, field, fields

from vafa.core import sql
from vafa.members.models import MembershipPlan
from vafa.program import engine
from vafa.program.models import MemberTier, ProgramSettings, Rule, Tier
from vafa.program.policy import EarnPolicy
from vafa.program.rules import parse_moment

_POLICY_FIELDS = [f.name for f in fields(EarnPolicy)]
_CLUB_FIELDS = ["club_mode", "approve_spend_rial", "approve_months", "referral_limit", "referral_period_days"]
_SETTINGS_FIELDS = [*_POLICY_FIELDS, *_CLUB_FIELDS, "version", "updated_at"]
NTH_CONDITIONS = ("nth_purchase", "every_nth_purchase", "first_purchase")


@dataclass(frozen=True)
class TierInfo:
    id: int
    code: str
    name: str
    rank: int
    color: str
    qualify_by: str
    threshold: int
    window: str
    earn_percent: int
    grace_days: int


@dataclass(frozen=True)
class RuleInfo:
    """What applying an award needs beyond the engine's view of the rule."""

    pending_days: int | None
    expiry_months: int | None
    has_budget: bool
    has_caps: bool


@dataclass(frozen=True)
class Program:
    """The live program at one version: policy, live rules (engine shape) and tiers."""

    version: int
    policy: EarnPolicy
    club_mode: str = "open"
    approve_spend_rial: int | None = None
    approve_months: int = 6
    referral_limit: int | None = None
    referral_period_days: int = 30
    rules: tuple[engine.Rule, ...] = ()
    rule_info: dict = field(default_factory=dict)
    tiers: tuple[TierInfo, ...] = ()
    plans_with_bonus: bool = False

    def rules_for(self, trigger: str) -> list[engine.Rule]:
        return [r for r in self.rules if r.trigger == trigger]

    @property
    def needs_nth(self) -> bool:
        return any(any(r.conditions.get(c) for c in NTH_CONDITIONS) for r in self.rules_for("purchase"))

    def tier_by_id(self, tier_id: int | None) -> TierInfo | None:
        return next((t for t in self.tiers if t.id == tier_id), None)


def engine_rule(rule: Rule) -> engine.Rule:
    conditions = dict(rule.conditions)
    for key in ("starts_at", "ends_at"):
        if conditions.get(key):
            conditions[key] = parse_moment(conditions[key])
    return engine.Rule(id=rule.pk, name=rule.name, trigger=rule.trigger, conditions=conditions,
                       effect=dict(rule.effect), priority=rule.priority, stacking=rule.stacking,
                       caps=dict(rule.caps), budget=dict(rule.budget), occasion=rule.occasion or None,
                       event_type=rule.event_type or None, merchant_id=rule.merchant_id)


def rule_info(rule: Rule) -> RuleInfo:
    return RuleInfo(pending_days=rule.pending_days, expiry_months=rule.expiry_months,
                    has_budget=any(v is not None for v in rule.budget.values()),
                    has_caps=any(v is not None for v in rule.caps.values()))


def tier_info(tier: Tier) -> TierInfo:
    return TierInfo(id=tier.pk, code=tier.code, name=tier.name, rank=tier.rank, color=tier.color,
                    qualify_by=tier.qualify_by, threshold=tier.threshold, window=tier.window,
                    earn_percent=tier.earn_percent, grace_days=tier.grace_days)


_cache: dict[tuple, Program] = {}


def program_now() -> Program:
    """The live program. One query while nothing changed: the settings row carries the
    program's version, and each process keeps the live rules and tiers of the version it
    last loaded (keyed by version and change time, so a rolled-back change is never reused)."""
    rows = sql.fetch(f"SELECT {sql.columns(ProgramSettings, _SETTINGS_FIELDS)} FROM {sql.table(ProgramSettings)}"
                     f" WHERE {sql.column(ProgramSettings, 'id')} = 1")
    if not rows:
        return Program(version=0, policy=EarnPolicy())
    values = dict(zip(_SETTINGS_FIELDS, rows[0], strict=True))
    for name in ("earn_includes_tax", "earn_includes_shipping"):
        values[name] = bool(values[name])  # SQLite answers 0/1
    key = (values["version"], str(values["updated_at"]))
    policy = EarnPolicy(**{k: values[k] for k in _POLICY_FIELDS})
    club = {k: values[k] for k in _CLUB_FIELDS}
    cached = _cache.get(key)
    if cached is None or cached.policy != policy or any(getattr(cached, k) != v for k, v in club.items()):
        live = list(Rule.objects.filter(status=Rule.Status.LIVE))
        cached = Program(version=values["version"], policy=policy, **club,
                         rules=tuple(engine_rule(r) for r in live), rule_info={r.pk: rule_info(r) for r in live},
                         tiers=tuple(tier_info(t) for t in Tier.objects.order_by("rank")),
                         plans_with_bonus=MembershipPlan.objects.filter(earn_percent__gt=100).exists())
        _cache.clear()
        _cache[key] = cached
    return cached


@dataclass(frozen=True)
class ClubPolicy:
    mode: str = "open"
    approve_spend_rial: int | None = None  # None: staff approve every application
    approve_months: int = 6

    @property
    def closed(self) -> bool:
        return self.mode == ProgramSettings.ClubMode.CLOSED


def club_policy() -> ClubPolicy:
    """The club's door, from the live program (a fresh install is open)."""
    program = program_now()
    return ClubPolicy(program.club_mode, program.approve_spend_rial, program.approve_months)


def forget_program() -> None:
    _cache.clear()


def earn_policy() -> EarnPolicy:
    """The live base policy (without a saved record, the defaults of a fresh install)."""
    return program_now().policy


def member_tier(*, member_id: int):
    """The member's current tier, or None."""
    state = MemberTier.objects.select_related("tier").filter(member_id=member_id).first()
    return state.tier if state else None


def member_tier_id(*, member_id: int) -> int | None:
    rows = sql.fetch(f"SELECT {sql.column(MemberTier, 'tier')} FROM {sql.table(MemberTier)}"
                     f" WHERE {sql.column(MemberTier, 'member')} = %s", [member_id])
    return rows[0][0] if rows else None
