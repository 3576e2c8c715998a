"""What the program accepts from outside: rules (their conditions and effects), tiers, rewards,
the program settings and the program document (DESIGN "The program as data").

The API takes these models as its request bodies, the admin and the import reach them through
the services (`rule_clean`, `tier_clean`, `reward_clean`), and the admin's help texts are made
from them. Checks that need the database (a reward or merchant that must exist, a tier code or
rank another tier has) stay in the services, after the model."""

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import BooleanField, CharField, IntegerField
from django.utils.text import slugify
from pydantic import AfterValidator, BeforeValidator, Field, PlainValidator, create_model, model_validator

from vafa.core.errors import ValidationFailed
from vafa.core.inputs import (
    HHMM,
    Bool,
    Choice,
    Input,
    Int,
    Ints,
    Moment,
    Text,
    Texts,
    fail,
    partial,
    validated,
)
from vafa.core.limits import (
    MAX_AWARD_POINTS,
    MAX_COUNT,
    MAX_DAYS,
    MAX_EARN_PERCENT,
    MAX_EXPIRY_MONTHS,
    MAX_FREE_QUANTITY,
    MAX_ID,
    MAX_LIST,
    MAX_PENDING_DAYS,
    MAX_POINTS,
    MAX_POINTS_PER_AMOUNT,
    MAX_PRIORITY,
    MAX_QUANTITY,
    MAX_RANK,
    MAX_RIAL,
)
from vafa.core.segment_port import segments_unknown
from vafa.members.models import Member
from vafa.members.services import tag_code
from vafa.program.engine import WEEKDAYS
from vafa.program.models import ProgramSettings, Reward, Rule, Tier

# --- rule conditions -------------------------------------------------------------------------------

def _tag_codes(names: list) -> list:
    # A rule names tags as staff do ("VIP"); it keeps their codes ("vip"), as members carry them.
    codes = []
    for name in names:
        try:
            code = tag_code(name)
        except ValidationFailed:
            fail("tag names with letters or digits")
        if code not in codes:
            codes.append(code)
    return codes


def _known_segments(codes: list) -> list:
    # A segment that does not exist would never match: the rule waits in vain, so it is refused.
    unknown = segments_unknown(codes)
    if unknown:
        fail(f"no such segments: {', '.join(unknown)}")
    return codes


class Hours(Input):
    """A window of the day in Tehran time; from 22:00 to 02:00 runs past midnight."""

    from_: HHMM = Field(alias="from")
    to: HHMM

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data):
        if not isinstance(data, cls) and (not isinstance(data, Mapping) or set(data) != {"from", "to"}):
            fail('an object {"from": "HH:MM", "to": "HH:MM"}')
        return data

    @model_validator(mode="after")
    def _not_empty(self):
        if self.from_ == self.to:
            fail("from and to differ")
        return self

    def stored(self) -> dict:
        return {"from": self.from_, "to": self.to}


_SHORT_TEXTS = "a list of short texts (at most 64 characters each)"


# Triggers of events a shop posts (POST /events), whose `key` a rule may require.
POSTED_TRIGGERS = frozenset({"event", "review", "survey", "packaging_code"})


class Conditions(Input):
    """Every condition is optional; a rule applies when all that it sets hold."""

    amount_min: Int(0, MAX_RIAL, optional=True) = Field(None, description="the purchase's amount at least (IRR)")
    amount_max: Int(0, MAX_RIAL, optional=True) = Field(None, description="the purchase's amount at most (IRR)")
    min_quantity: Int(1, MAX_QUANTITY, optional=True) = Field(
        None, description="with skus or categories: at least this many of them in the basket")
    skus: Texts() = Field([], description=f"{_SHORT_TEXTS}: a line with one of these SKUs")
    categories: Texts() = Field([], description=f"{_SHORT_TEXTS}: a line of one of these categories")
    tiers: Texts() = Field([], description=f"{_SHORT_TEXTS}: the member's tier is one of these codes")
    tags: Annotated[Texts(), AfterValidator(_tag_codes)] = Field(
        [], description=f"{_SHORT_TEXTS}: the member carries one of these staff tags (names or codes)")
    segments: Annotated[Texts(), AfterValidator(_known_segments)] = Field(
        [], description=f"{_SHORT_TEXTS}: the member is now in one of these segments (codes or ids)")
    interests: Texts() = Field([], description=f"{_SHORT_TEXTS}: the member has one of these interests")
    branches: Texts() = Field([], description=f"{_SHORT_TEXTS}: at one of these branch codes")
    payment_methods: Texts() = Field([], description=f"{_SHORT_TEXTS}: paid in one of these ways")
    member_kinds: Texts(choices=Member.Kind.values) = Field([], description="the member is one of these kinds")
    channels: Texts(choices=("in_store", "online")) = Field([], description="bought through one of these")
    weekdays: Texts(choices=WEEKDAYS) = Field([], description="on one of these days, in Tehran time")
    merchants: Ints(1, MAX_RIAL, why="a list of merchant ids") = Field(
        [], description="at one of these merchants (ids; in a program document, slugs)")
    nth_purchase: Ints(1, MAX_QUANTITY, why="a list of purchase numbers, e.g. [2, 6]", unique=True) = Field(
        [], description="the member's n-th purchase is one of these, e.g. [2, 6]")
    every_nth_purchase: Int(1, MAX_QUANTITY, optional=True) = Field(
        None, description="every n-th purchase of the member, e.g. 5")
    first_purchase: Bool = Field(False, description="the member's first purchase")
    require_key: Bool = Field(False, description=(
        "an event rule: only events posted with a `key` (counted once per key) earn"))
    hours: Hours | None = Field(None, description="between these times of the day, in Tehran time")
    starts_at: Moment(why="an ISO date-time, e.g. 2026-03-21T00:00:00+03:30") = Field(
        None, description="from this moment (without an offset: Tehran time)")
    ends_at: Moment(why="an ISO date-time, e.g. 2026-03-21T00:00:00+03:30") = Field(
        None, description="until this moment, not included")

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data):
        if data is None:
            return {}
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            fail("an object")
        unknown = sorted(set(data) - set(cls.model_fields))
        if unknown:
            fail(f"unknown conditions: {', '.join(unknown)}")
        return data

    @model_validator(mode="after")
    def _ranges(self):
        if self.amount_min is not None and self.amount_max is not None and self.amount_min > self.amount_max:
            fail("not below amount_min", "amount_max")
        if self.starts_at and self.ends_at and self.starts_at >= self.ends_at:
            fail("after starts_at", "ends_at")
        return self

    def stored(self) -> dict:
        """Only what is set, so the stored rule reads like the marketer wrote it."""
        out = {name: getattr(self, name) for name in type(self).model_fields}
        out["hours"] = self.hours.stored() if self.hours else None
        for name in ("starts_at", "ends_at"):
            out[name] = out[name].isoformat() if out[name] else None
        return {k: v for k, v in out.items() if v not in (None, [], False)}


CONDITION_KEYS = tuple(Conditions.model_fields)

# --- rule effects ------------------------------------------------------------------------------------


class Effect(Input):
    type: str
    member: Choice(("referrer", "referred")) = Field(
        None, description="referral_completed rules only: whom it awards (default the referrer)")

    def stored(self) -> dict:
        return self.model_dump(exclude_none=True)


class PointsPerAmount(Effect):
    """`points` for every `per_rial` Rials of the earn base: at most a point per Rial, so the
    largest purchase earns at most MAX_AWARD_POINTS."""

    type: Literal["points_per_amount"]
    points: Int(1, MAX_POINTS_PER_AMOUNT)
    per_rial: Int(1, MAX_RIAL)

    @model_validator(mode="after")
    def _bounded(self):
        if MAX_RIAL * self.points // self.per_rial > MAX_AWARD_POINTS:
            fail(f"at most one point per Rial: the largest purchase would earn more than {MAX_AWARD_POINTS}",
                 "points")
        return self


class FixedPoints(Effect):
    """A fixed number of points."""

    type: Literal["fixed_points"]
    points: Int(1, MAX_POINTS)


class Multiplier(Effect):
    """The purchase's base points `percent`/100 times as many in all (200 = double)."""

    type: Literal["multiplier"]
    percent: Int(100, MAX_EARN_PERCENT)


class Cashback(Effect):
    """Points worth `percent` of the earn base."""

    type: Literal["cashback"]
    percent: Int(1, 100)


class RewardEffect(Effect):
    """Issues a catalogue reward, free."""

    type: Literal["reward"]
    reward_id: Int(1, MAX_RIAL)


class FreeItem(Effect):
    """A gift line on the receipt."""

    type: Literal["free_item"]
    sku: Text(64, min_length=1, strip=False)
    quantity: Int(1, MAX_FREE_QUANTITY) = 1


EFFECT_MODELS: dict[str, type[Effect]] = {
    model.model_fields["type"].annotation.__args__[0]: model
    for model in (PointsPerAmount, FixedPoints, Multiplier, Cashback, RewardEffect, FreeItem)}
# Each effect's own fields (what it must give), for the admin's help and the docs.
EFFECTS = {kind: tuple(n for n, f in model.model_fields.items() if f.is_required() and n != "type")
           for kind, model in EFFECT_MODELS.items()}
PURCHASE_ONLY = ("points_per_amount", "multiplier", "cashback")  # they count the purchase's money


def _effect(value) -> Effect:
    if isinstance(value, Effect):
        return value
    if not isinstance(value, Mapping) or "type" not in value:
        fail(f"an object with a type: {', '.join(EFFECTS)}")
    kind = value["type"]
    if not isinstance(kind, str) or kind not in EFFECT_MODELS:
        fail(f"one of {', '.join(EFFECTS)}", "type")
    model = EFFECT_MODELS[kind]
    unknown = sorted(set(value) - set(model.model_fields))
    if unknown:
        fail(f"unknown fields for {kind}: {', '.join(unknown)}")
    return model.model_validate(model.filled(value))


EffectField = Annotated[Any, PlainValidator(_effect, json_schema_input_type=Annotated[
    PointsPerAmount | FixedPoints | Multiplier | Cashback | RewardEffect | FreeItem, Field(discriminator="type")])]

# --- caps and budget ---------------------------------------------------------------------------------


class _Limits(Input):
    """Each limit is optional (null = none)."""

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data):
        if data is None:
            return {}
        if not isinstance(data, cls) and (not isinstance(data, Mapping) or set(data) - set(cls.model_fields)):
            fail(f"an object with {', '.join(cls.model_fields)}")
        return data

    def stored(self) -> dict:
        return self.model_dump(exclude_none=True)


class Caps(_Limits):
    """The most points a rule gives one member in a Tehran day, a Jalali month, a Jalali year."""

    per_member_day: Int(0, MAX_RIAL, optional=True) = None
    per_member_month: Int(0, MAX_RIAL, optional=True) = None
    per_member_jalali_year: Int(0, MAX_RIAL, optional=True) = None


class Budget(_Limits):
    """The rule stops once it has issued this many points, or points worth this many Rials."""

    points: Int(0, MAX_RIAL, optional=True) = None
    rials: Int(0, MAX_RIAL, optional=True) = None


CAP_KEYS = tuple(Caps.model_fields)
BUDGET_KEYS = tuple(Budget.model_fields)

# --- rules ---------------------------------------------------------------------------------------------

_IGNORED = Field(None, description="ignored: what a GET answers may be sent back as it is")


class RuleInput(Input):
    """An earning rule in the program's one JSON shape."""

    errors_name: ClassVar[str] = "rule"

    name: Text(200, min_length=1)
    status: Choice(Rule.Status.values) = Field("draft", description="only live rules earn")
    trigger: Choice(Rule.Trigger.values) = "purchase"
    occasion: Choice((*Rule.Occasion.values, ""), why=f"one of {', '.join(Rule.Occasion.values)}") | None = Field(
        None, description="with trigger occasion")
    event_type: Text(64, strip=False, optional=True, why="required for an event rule, at most 64 characters") = Field(
        None, description="with trigger event: the type of POST /events")
    conditions: Conditions = Field(default_factory=Conditions)
    effect: EffectField = Field(description="what the rule gives, by its type")
    priority: Int(-MAX_PRIORITY, MAX_PRIORITY) = Field(0, description="higher first")
    stacking: Choice(Rule.Stacking.values) = Field(
        "cumulative", description="of the exclusive rules that apply only the highest priority one counts")
    caps: Caps = Field(default_factory=Caps)
    budget: Budget = Field(default_factory=Budget)
    pending_days: Int(0, MAX_PENDING_DAYS, optional=True) = Field(None, description="null = the program's")
    expiry_months: Int(1, MAX_EXPIRY_MONTHS, optional=True) = Field(None, description="null = the program's")
    merchant_id: Int(1, MAX_RIAL, optional=True) = Field(None, description="only events at this merchant")
    id: Any = _IGNORED
    revision: Any = _IGNORED
    issued_points: Any = _IGNORED
    issued_rial: Any = _IGNORED

    @model_validator(mode="after")
    def _fits_its_trigger(self):
        kind = self.effect.type
        if kind in PURCHASE_ONLY and self.trigger != Rule.Trigger.PURCHASE:
            fail(f"{kind} needs a purchase trigger", "effect", "type")
        if self.effect.member is not None and self.trigger != Rule.Trigger.REFERRAL_COMPLETED:
            fail("only for referral_completed rules", "effect", "member")
        if self.trigger == Rule.Trigger.OCCASION and not self.occasion:
            fail(f"one of {', '.join(Rule.Occasion.values)}", "occasion")
        if self.trigger == Rule.Trigger.EVENT and not self.event_type:
            fail("required for an event rule, at most 64 characters", "event_type")
        if self.conditions.require_key and self.trigger not in POSTED_TRIGGERS:
            fail(f"only for rules of posted events ({', '.join(sorted(POSTED_TRIGGERS))})", "conditions",
                 "require_key")
        return self

    def row(self) -> dict:
        """The Rule model's fields."""
        return {
            "name": self.name, "status": self.status, "trigger": self.trigger,
            "occasion": self.occasion if self.trigger == Rule.Trigger.OCCASION else "",
            "event_type": self.event_type if self.trigger == Rule.Trigger.EVENT else "",
            "conditions": self.conditions.stored(), "effect": self.effect.stored(), "priority": self.priority,
            "stacking": self.stacking, "caps": self.caps.stored(), "budget": self.budget.stored(),
            "pending_days": self.pending_days, "expiry_months": self.expiry_months, "merchant_id": self.merchant_id,
        }


RulePatch = partial(RuleInput, "RulePatch", "Only the fields given change; every change is a new revision.")
RULE_FIELDS = tuple(RuleInput.model_fields)[:-4]  # without what is ignored

# --- tiers -------------------------------------------------------------------------------------------------


class Qualify(Input):
    """How a member reaches the tier."""

    by: Choice(Tier.QualifyBy.values) = "spend"
    threshold: Int(0, MAX_RIAL) = Field(0, description="in the measure of `by`: Rials, points or purchases")
    window: Choice(Tier.Window.values) = "rolling_365"

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data):
        if not data:
            return {}
        if not isinstance(data, cls) and (not isinstance(data, Mapping) or set(data) - set(cls.model_fields)):
            fail('an object {"by", "threshold", "window"}')
        return data


TIER_CODE = "letters, digits, - and _ only, at most 40"


class TierInput(Input):
    errors_name: ClassVar[str] = "tier"

    name: Text(100, min_length=1)
    code: Text(40, strip=False, optional=True, why=TIER_CODE) = Field(
        None, description="used in rule conditions, e.g. gold (default: from the name)")
    color: Text(7, strip=False, pattern="^#[0-9a-fA-F]{6}$", why="a colour like #c9a227") = Field(
        "#9e9e9e", description="e.g. #c9a227")
    qualify: Qualify = Field(default_factory=Qualify)
    page_text: Text(5000, strip=False) = ""
    rank: Int(0, MAX_RANK) = Field(description="higher is better")
    earn_percent: Int(100, MAX_EARN_PERCENT) = Field(100, description="100 = no change, 200 = double base points")
    grace_days: Int(0, MAX_PENDING_DAYS) = Field(0, description="kept this many days more before a downgrade")
    id: Any = _IGNORED

    @property
    def final_code(self) -> str:
        return self.code or slugify(self.name, allow_unicode=True)

    @model_validator(mode="after")
    def _code(self):
        code = self.final_code
        if slugify(code, allow_unicode=True) != code or not 0 < len(code) <= 40:
            fail(TIER_CODE, "code")
        return self

    def row(self) -> dict:
        """The Tier model's fields."""
        return {"code": self.final_code, "name": self.name, "color": self.color.lower(), "page_text": self.page_text,
                "rank": self.rank, "qualify_by": self.qualify.by, "threshold": self.qualify.threshold,
                "window": self.qualify.window, "earn_percent": self.earn_percent, "grace_days": self.grace_days}


TierPatch = partial(TierInput, "TierPatch", "Only the fields given change.")
TIER_FIELDS = tuple(TierInput.model_fields)[:-1]

# --- rewards -----------------------------------------------------------------------------------------------


def _reward_int(low: int, high: int, *, optional: bool = False):
    return Int(low, high, optional=optional, why=f"an integer from {low} to {high}" + (" or null" if optional else ""))


def _reward_text(max_length: int, *, required: bool = False):
    text = Text(max_length, min_length=int(required), why=f"at most {max_length} characters",
                string_type="must be text", string_too_short="required")
    return text if required else Annotated[text, BeforeValidator(lambda v: "" if v is None else v)]


def _reward_texts(**choices):
    return Texts(strip=True, max_length=None, max_items=MAX_LIST, why=f"a list of at most {MAX_LIST} texts", **choices)


# kind -> (required, allowed) among the fields a kind may use
KIND_SPECIFIC = ("amount_rial", "percent", "cap_rial", "min_purchase_rial", "sku", "valid_days", "charity_name")
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
    return value == _EMPTY[name] if name in _EMPTY else value is None


class RewardInput(Input):
    """A catalogue reward. A field its kind does not use must be empty (see vafa.program.catalog)."""

    kind: Choice(Reward.Kind.values)
    active: Bool = True
    name: _reward_text(200, required=True)
    description: _reward_text(5000) = ""
    cost_points: _reward_int(0, MAX_POINTS) = 0
    amount_rial: _reward_int(1, MAX_RIAL, optional=True) = None
    percent: _reward_int(1, 100, optional=True) = None
    cap_rial: _reward_int(1, MAX_RIAL, optional=True) = None
    min_purchase_rial: _reward_int(0, MAX_RIAL) = 0
    sku: _reward_text(64) = ""
    stock: _reward_int(0, MAX_COUNT, optional=True) = Field(None, description="null = unlimited")
    per_member_limit: _reward_int(1, MAX_COUNT, optional=True) = None
    tiers: _reward_texts() = Field([], description="tier codes; empty = every member, in any tier or none")
    member_kinds: _reward_texts(choices=Member.Kind.values,
                                each=f"each one of {', '.join(Member.Kind.values)}") = Field(
        [], description="empty = both")
    plans: Ints(1, MAX_ID, why="a list of membership plan ids", each="a list of membership plan ids",
                unique=True, max_items=MAX_LIST) = Field([], description="empty = no paid membership needed")
    starts_at: Moment(why="a date and time (ISO 8601)") = None
    ends_at: Moment(why="a date and time (ISO 8601)") = None
    valid_days: _reward_int(1, MAX_DAYS, optional=True) = Field(None, description="a coupon's or gift card's life")
    charity_name: _reward_text(200) = ""
    ships: Bool = Field(False, description="a gift or product that must reach the member: redeeming it asks for "
                                           "a delivery address (free_product and non_material rewards)")

    @model_validator(mode="after")
    def _fits_its_kind(self):
        required, allowed = KIND_FIELDS[self.kind]
        for name in KIND_SPECIFIC:
            value = getattr(self, name)
            if name in required and _empty(name, value):
                fail(f"required for a {self.kind} reward", name)
            if name not in allowed and not _empty(name, value):
                fail(f"not used by a {self.kind} reward", name)
        if self.ships and self.kind not in (Reward.Kind.FREE_PRODUCT, Reward.Kind.NON_MATERIAL):
            fail(f"a {self.kind} reward is not sent: only free_product and non_material ones", "ships")
        if self.kind == Reward.Kind.PARTNER_CODE and self.stock is not None:
            fail("a partner code reward's stock is its pool of codes", "stock")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            fail("must be after starts_at", "ends_at")
        return self

    def row(self) -> dict:
        """The Reward model's editable fields."""
        return self.model_dump()


RewardPatch = partial(RewardInput, "RewardPatch", "Only the fields sent are changed (null empties an optional field).")
REWARD_FIELDS = tuple(RewardInput.model_fields)

# --- the program settings and the program document -----------------------------------------------------

_SETTINGS_SKIP = ("id", "version", "updated_at")


def settings_fields():
    """The settings a program document carries: every column but the row's own bookkeeping."""
    return [f for f in ProgramSettings._meta.concrete_fields if f.name not in _SETTINGS_SKIP]


def _int_range(field: IntegerField) -> tuple[int, int]:
    """The field's own limits within the widest range every database takes for its column
    (SQLite would store more than PostgreSQL)."""
    low, high = BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]
    for validator in field.validators:
        if isinstance(validator, MinValueValidator):
            low = max(low, validator.limit_value)
        elif isinstance(validator, MaxValueValidator):
            high = min(high, validator.limit_value)
    return low, high


def _refuse_none(value):
    if value is None:
        fail("required")
    return value


def _not_importable(value):
    fail("not importable")


def _setting_type(f) -> Any:
    if isinstance(f, BooleanField):
        kind = Bool
    elif isinstance(f, IntegerField):
        kind = Int(*_int_range(f))
    elif isinstance(f, CharField):
        kind = Text(f.max_length, strip=False)
        if f.choices:
            choices = tuple(dict(f.choices))

            def one_of(value, choices=choices):
                if value not in choices:
                    fail(f"one of {', '.join(choices)}")
                return value

            kind = Annotated[kind, AfterValidator(one_of)]
    else:
        return Annotated[Any, BeforeValidator(_not_importable)]
    return kind | None if f.null else Annotated[kind, BeforeValidator(_refuse_none)]


# Every field optional: a document sets the settings it names.
SettingsInput = create_model(
    "SettingsInput", __base__=Input, __module__=__name__,
    __doc__="The program settings (base earning, expiry, club, referrals); those left out are left as they are.",
    **{f.name: (_setting_type(f), Field(None, description=str(f.verbose_name))) for f in settings_fields()})

FORMAT = "vafa-program"
FORMAT_VERSION = 1


class ProgramDocumentInput(Input):
    """The program as one document; its sections are checked by the import, item by item."""

    errors_name: ClassVar[str] = "program"

    format: Choice((FORMAT,), why=f'"{FORMAT}"')
    version: Int(FORMAT_VERSION, FORMAT_VERSION,
                 why=f"{FORMAT_VERSION} (this installation reads version {FORMAT_VERSION} documents)")
    settings: Any = None
    tiers: Any = None
    rewards: Any = None
    rules: Any = None


__all__ = [
    "BUDGET_KEYS", "CAP_KEYS", "CONDITION_KEYS", "EFFECTS", "EFFECT_MODELS", "KIND_FIELDS", "KIND_SPECIFIC",
    "REWARD_FIELDS", "RULE_FIELDS", "TIER_FIELDS", "Budget", "Caps", "Conditions", "Effect", "Hours",
    "ProgramDocumentInput", "Qualify", "RewardInput", "RewardPatch", "RuleInput", "RulePatch", "SettingsInput",
    "TierInput", "TierPatch", "settings_fields", "validated",
]
