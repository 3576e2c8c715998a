"""What member events accept from outside: an event (a review, a survey, a packaging code, any
custom type) and a pool of packaging codes. The API takes these models as its request bodies;
the services check through them."""

import json
from typing import Annotated, Any

from django.utils import timezone
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from vafa.core.codes import normalize_code
from vafa.core.inputs import Input, Moment, Text, fail
from vafa.core.limits import MAX_PACKAGING_CODES, MAX_PROPERTIES_JSON
from vafa.core.moments import EARLIEST_YEAR, FUTURE_TOLERANCE

TYPE_WHY = "lower-case letters, digits, _ . -, at most 64"


# Awarded by the club itself, once per member, when it happens: posting one would claim the
# welcome bonus again and again.
INTERNAL_TYPES = ("join", "profile_completed")


def _postable(value: str) -> str:
    if value.startswith("occasion."):  # occasions are awarded by the daily run, not posted
        fail(TYPE_WHY)
    if value in INTERNAL_TYPES:
        fail("join and profile_completed are awarded by the club itself and cannot be posted")
    return value


def _properties(value):
    value = value or {}
    if not isinstance(value, dict) or len(json.dumps(value, ensure_ascii=False)) > MAX_PROPERTIES_JSON:
        fail(f"an object of at most {MAX_PROPERTIES_JSON} characters")
    return value


class EventInput(Input):
    """A member's event; the same `key` again is the same event."""

    type: Annotated[Text(64, strip=False, pattern=r"^[a-z][a-z0-9_.\-]{0,63}$", why=TYPE_WHY),
                    AfterValidator(_postable)] = Field(
        description="review, survey, packaging_code, or a custom type (join and profile_completed are the club's own)")
    properties: Annotated[dict[str, Any], BeforeValidator(_properties)] = Field(
        {}, description=f"at most {MAX_PROPERTIES_JSON} characters as JSON; a packaging_code event has its code")
    key: Text(150, min_length=1, optional=True, why="at most 150 characters") = Field(
        None, description="the same key again replays the first event")
    occurred_at: Moment(early=f"not before {EARLIEST_YEAR}", late="in the future", dates=True) = Field(
        None, description="default now; without an offset, Tehran time")

    @model_validator(mode="after")
    def _complete(self):
        if self.type == "packaging_code":
            code = self.properties.get("code")
            if not isinstance(code, str) or not 0 < len(normalize_code(code)) <= 64:
                fail("the code printed on the packaging", "properties", "code")
        if self.occurred_at is not None and self.occurred_at > timezone.now() + FUTURE_TOLERANCE:
            fail("in the future", "occurred_at")
        return self


def _packaging_code(value):
    code = normalize_code(value) if isinstance(value, str) else ""
    if not 0 < len(code) <= 64:
        fail("a code of 1 to 64 characters")
    return code


def _codes(value):
    if not isinstance(value, list | tuple) or not 0 < len(value) <= MAX_PACKAGING_CODES:
        fail(f"a list of 1 to {MAX_PACKAGING_CODES} codes")
    return value


class PackagingCodesInput(Input):
    """Codes printed in products, normalised like every code (case, digits, dashes and spaces
    do not matter); `sku` lets rules ask for the product."""

    codes: Annotated[list[Annotated[str, BeforeValidator(_packaging_code), Field(max_length=64)]],
                     Field(min_length=1, max_length=MAX_PACKAGING_CODES), BeforeValidator(_codes)]
    sku: Text(64) = ""
    batch: Text(64) = ""
