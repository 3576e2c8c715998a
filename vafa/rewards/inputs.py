"""What the rewards app accepts from outside: shared promo codes, a code presented at a till or
online (to check or to use), a gift card spent, a pool of partner codes. The API takes these
models as its request bodies; the services check through them."""

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictInt, StrictStr, model_validator

from vafa.core.inputs import Input, Int, Moment, Rial, Text, fail
from vafa.core.limits import MAX_COUNT, MAX_PARTNER_CODES, MAX_RIAL
from vafa.program.models import Reward
from vafa.rewards import codes
from vafa.rewards.models import Coupon

# The promo code kinds, and the catalogue's names for the same kinds.
PROMO_KINDS = {
    Coupon.Kind.AMOUNT: Coupon.Kind.AMOUNT, Coupon.Kind.PERCENT: Coupon.Kind.PERCENT,
    Coupon.Kind.FREE_PRODUCT: Coupon.Kind.FREE_PRODUCT,
    Reward.Kind.COUPON_AMOUNT: Coupon.Kind.AMOUNT, Reward.Kind.COUPON_PERCENT: Coupon.Kind.PERCENT,
}
REFERENCE = Text(100, why="text of at most 100 characters")


def _promo_code(value):
    normalized = codes.normalize(value) if isinstance(value, str) else ""
    problem = codes.promo_code_problem(normalized)
    if problem:
        fail(problem)
    return normalized


def _promo_kind(value):
    if not isinstance(value, str) or value not in PROMO_KINDS:
        fail("one of amount, percent, free_product")
    return PROMO_KINDS[value]


def _or_null(low: int, high: int):
    return Int(low, high, optional=True, why=f"an integer from {low} to {high}, or null")


class PromoCodeInput(Input):
    """A shared code chosen by the club ("NOWRUZ1404"), stored normalised."""

    code: Annotated[str, BeforeValidator(_promo_code)] = Field(
        description=f"{codes.PROMO_MIN} to {codes.PROMO_MAX} Latin letters and digits; spaces, dashes and case "
                    "do not matter", json_schema_extra={"maxLength": 64})
    kind: Annotated[str, BeforeValidator(_promo_kind)] = Field(json_schema_extra={"enum": list(PROMO_KINDS)})
    amount_rial: _or_null(1, MAX_RIAL) = Field(None, description="an amount coupon's discount")
    percent: _or_null(1, 100) = Field(None, description="a percent coupon's discount")
    cap_rial: _or_null(1, MAX_RIAL) = Field(None, description="the most a percent coupon takes off")
    usage_limit: _or_null(1, MAX_COUNT) = Field(description="uses in all")
    per_member_limit: _or_null(1, MAX_COUNT) = Field(None, description="uses by one member; at most usage_limit")
    min_purchase_rial: Rial() = 0
    sku: Text(64, why="text of at most 64 characters") = Field("", description="a free product coupon's product")
    starts_at: Moment(why="a date and time (ISO 8601)") = None
    ends_at: Moment(why="a date and time (ISO 8601)") = None

    @model_validator(mode="after")
    def _fits_its_kind(self):
        if self.usage_limit is None:
            fail("required", "usage_limit")
        if self.per_member_limit is not None and self.per_member_limit > self.usage_limit:
            fail(f"an integer from 1 to {self.usage_limit}, or null", "per_member_limit")
        kind = self.kind
        if kind == Coupon.Kind.AMOUNT and (self.amount_rial is None or self.percent is not None
                                           or self.cap_rial is not None or self.sku):
            fail("an amount coupon has amount_rial only", "amount_rial")
        if kind == Coupon.Kind.PERCENT and (self.percent is None or self.amount_rial is not None or self.sku):
            fail("a percent coupon has percent (and optionally cap_rial)", "percent")
        if kind == Coupon.Kind.FREE_PRODUCT and (not self.sku or self.percent is not None or self.cap_rial is not None):
            fail("a free product coupon names its sku (and optionally amount_rial)", "sku")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            fail("must be after starts_at", "ends_at")
        return self

    def row(self) -> dict:
        """The Coupon model's fields."""
        return {"code": self.code, "kind": self.kind, "amount_rial": self.amount_rial, "percent": self.percent,
                "cap_rial": self.cap_rial, "min_purchase_rial": self.min_purchase_rial, "sku": self.sku,
                "usage_limit": self.usage_limit, "per_member_limit": self.per_member_limit,
                "starts_at": self.starts_at, "expires_at": self.ends_at}


class CouponCheckInput(Input):
    """A code presented on a basket of `amount` (before the discount)."""

    code: Annotated[StrictStr, Field(max_length=64)]
    member_id: StrictInt | StrictStr | None = Field(None, description="the member using it, if known")
    amount: Rial()


class CouponRedeemInput(CouponCheckInput):
    reference: REFERENCE = Field("", description="e.g. the order's number")


class GiftCardSpendInput(Input):
    code: Annotated[StrictStr, Field(max_length=64)]
    amount_rial: Rial(1)
    reference: REFERENCE = ""


PARTNER_CODE = Text(200, min_length=1, why="empty", string_too_long="at most 200 characters")


def _codes(value: Any):
    if not isinstance(value, list | tuple) or not value:
        fail("a non-empty list of codes")
    if len(value) > MAX_PARTNER_CODES:
        fail(f"at most {MAX_PARTNER_CODES} codes per upload")
    return value


class PartnerCodesInput(Input):
    """Codes a partner gave for a partner_code reward's pool, kept as given but for blanks
    around them (a partner's codes may be case-sensitive)."""

    codes: Annotated[list[PARTNER_CODE], Field(min_length=1, max_length=MAX_PARTNER_CODES), BeforeValidator(_codes)]


# --- where a physical reward goes (Reward.ships) -------------------------------------------------

MOBILE_WHY = "an Iranian mobile number, e.g. 09121234567"
POSTAL_CODE_WHY = "an Iranian postal code: 10 digits"


def _mobile(value):
    from vafa.core.errors import InvalidPhone
    from vafa.core.phone import normalize_phone

    try:
        return normalize_phone(value)
    except InvalidPhone:
        fail(MOBILE_WHY)


def _postal_code(value):
    from vafa.core.postal import normalize_postal_code

    code = normalize_postal_code(value)
    if code is None:
        fail(POSTAL_CODE_WHY)
    return code


class ShippingInput(Input):
    """Where a physical reward is sent: to a person (`recipient_name`), or to an organisation
    (`organization_name`, with the `contact_person` who receives it there). Persian digits and
    any common way of writing the phone and the postal code are accepted."""

    recipient_name: Text(200, why="at most 200 characters") = Field(
        "", description="who receives it; required unless it goes to an organisation (then its name)")
    organization_name: Text(200, why="at most 200 characters") = Field(
        "", description="an organisation member's: the organisation it is addressed to")
    contact_person: Text(200, why="at most 200 characters") = Field(
        "", description="with organization_name: who receives it there")
    phone: Annotated[str, BeforeValidator(_mobile)] = Field(
        description="the recipient's mobile number (any Iranian form), stored as E.164",
        json_schema_extra={"maxLength": 32, "examples": ["09121234567"]})
    province: Text(60, why="at most 60 characters") = ""
    city: Text(60, why="at most 60 characters") = ""
    address: Text(1000, min_length=1, why="required, at most 1000 characters")
    postal_code: Annotated[str, BeforeValidator(_postal_code)] = Field(
        description="10 digits; a dash or spaces between them are dropped",
        json_schema_extra={"maxLength": 16, "examples": ["1234567890"]})
    note: Text(255, why="at most 255 characters") = Field("", description="for whoever sends it, e.g. when to call")

    @model_validator(mode="after")
    def _addressee(self):
        if self.organization_name and not self.contact_person:
            fail("required when it goes to an organisation", "contact_person")
        if self.contact_person and not self.organization_name:
            fail("given only with organization_name", "contact_person")
        if not self.organization_name and not self.recipient_name:
            fail("required, at most 200 characters", "recipient_name")
        return self

    def row(self) -> dict:
        """The Shipment model's address fields."""
        return {"recipient_name": self.recipient_name or self.organization_name,
                "organization_name": self.organization_name, "contact_person": self.contact_person,
                "phone": self.phone, "province": self.province, "city": self.city, "address": self.address,
                "postal_code": self.postal_code, "note": self.note}


SHIPMENT_STATUSES = ("requested", "preparing", "sent", "delivered", "cancelled")


class ShipmentStepInput(Input):
    """One step of a shipment: `preparing`, `sent` (with its `tracking_code`), `delivered`, or
    `cancelled` (with the reason as `note`; the points go back)."""

    status: Annotated[str, BeforeValidator(lambda v: v if v in SHIPMENT_STATUSES[1:] else fail(
        "one of preparing, sent, delivered, cancelled"))] = Field(
        json_schema_extra={"enum": list(SHIPMENT_STATUSES[1:])})
    tracking_code: Text(60, why="at most 60 characters") = Field("", description="required when sent")
    carrier: Text(60, why="at most 60 characters") = Field("", description="e.g. Post, Tipax")
    note: Text(255, why="at most 255 characters") = Field("", description="required when cancelled: why")

    @model_validator(mode="after")
    def _what_the_step_needs(self):
        if self.status == "sent" and not self.tracking_code:
            fail("required when sent", "tracking_code")
        if self.status == "cancelled" and not self.note:
            fail("required when cancelled: the reason", "note")
        return self
