"""The typed input layer: what Vafa accepts from outside (API bodies, admin forms, the program
import, Python callers), as frozen pydantic models.

Each app describes its inputs in its own `inputs.py` with the field types below; its services
validate through `validated`, the API uses the same models as request bodies (so the OpenAPI
document describes them field by field), and the admin forms reach them through the services.

- `Input`: the base model. Unknown fields are refused; a field is told what it must be in the
  project's own words (`Why`), never in pydantic's.
- Field types: `Int`, `Rial`, `Bool`, `Text`, `Choice`, `Texts`, `Ints`, `Moment`, `HHMM`.
- `validated(Model, data)`: the model, or `ValidationFailed(details={path: why})` with the paths
  the services have always used (`conditions.hours.from`, `items[0].sku`, `rules[2].effect.points`);
  `error_details` is that conversion, and the API's error handler uses it too.
- `fail(why, *at)`: refuse from inside a validator, at the field or at a path below it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, NoReturn, TypeVar

import annotated_types as at
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    create_model,
)
from pydantic_core import PydanticCustomError, core_schema

from vafa.core.errors import ValidationFailed
from vafa.core.limits import MAX_RIAL
from vafa.core.moments import EARLIEST_YEAR, LATEST_YEAR, RANGE

ERROR = "invalid"  # the pydantic error type of every refusal in our words
M = TypeVar("M", bound=BaseModel)


def fail(why: str, *at: str | int) -> NoReturn:
    """Refuse the value being validated with `why`, or the part of it at the path `at`."""
    if not at:
        raise PydanticCustomError(ERROR, why)
    raise ValidationError.from_exception_data("input", [
        {"type": PydanticCustomError(ERROR, why), "loc": at, "input": None}])


@dataclass(frozen=True)
class Why:
    """What a field must be, said when it is not. Alone, the message replaces every error of the
    field in pydantic's core (nothing runs in Python when the value is good). With `by_type`
    (pydantic error type -> message) or `missing` (for None), the field's own errors are told
    apart; errors of its parts (a list's items) pass through as they are."""

    text: str
    missing: str | None = None
    by_type: tuple[tuple[str, str], ...] = ()

    def __get_pydantic_core_schema__(self, source, handler):
        inner = handler(source)
        if not self.by_type and self.missing is None:
            return core_schema.custom_error_schema(inner, custom_error_type=ERROR, custom_error_message=self.text)

        def reword(value, validate):
            try:
                return validate(value)
            except ValidationError as error:
                errors = error.errors()
                if any(e["loc"] for e in errors) or errors[0]["type"] == ERROR:
                    raise  # a part's error, or one already in our words
                if value is None and self.missing is not None:
                    fail(self.missing)
                fail(dict(self.by_type).get(errors[0]["type"], self.text))

        return core_schema.no_info_wrap_validator_function(reword, inner)


def says(text: str, *, missing: str | None = None, **by_type: str) -> Why:
    return Why(text, missing, tuple(sorted(by_type.items())))


# --- field types ----------------------------------------------------------------------------------


def Int(low: int, high: int, *, optional: bool = False, why: str | None = None, **by_type: str) -> Any:
    """An integer from `low` to `high` (never a bool, a float or text); None too if `optional`."""
    base = Annotated[int, Strict(), at.Ge(low), at.Le(high)]
    return Annotated[base | None if optional else base, says(why or f"an integer from {low} to {high}", **by_type)]


def Rial(low: int = 0, *, optional: bool = False, why: str | None = None) -> Any:
    """A whole number of Rials, from `low` to MAX_RIAL."""
    return Int(low, MAX_RIAL, optional=optional, why=why or f"an integer number of Rials from {low} to {MAX_RIAL}")


Bool = Annotated[bool, Strict(), Why("true or false")]


def Text(max_length: int, *, min_length: int = 0, strip: bool = True, pattern: str | None = None,
         optional: bool = False, why: str | None = None, missing: str | None = None, **by_type: str) -> Any:
    """Text of at most `max_length` characters (after stripping blanks around it, unless not
    `strip`); at least `min_length` of them."""
    why = why or (f"required, at most {max_length} characters" if min_length else
                  f"a text of at most {max_length} characters")
    base = Annotated[str, Strict(), StringConstraints(strip_whitespace=strip, min_length=min_length or None,
                                                      max_length=max_length, pattern=pattern)]
    return Annotated[base | None if optional else base, says(why, missing=missing, **by_type)]


def ExternalId(max_length: int = 100) -> Any:
    """A caller's own optional id (an invoice's, a return's): blank is no id at all, never an id
    that every other blank would then repeat."""
    return Annotated[Text(max_length, optional=True, why=f"at most {max_length} characters"),
                     AfterValidator(lambda value: value or None)]


def Choice(values: Iterable[str], *, why: str | None = None) -> Any:
    """One of `values` (documented as an enum)."""
    values = tuple(values)
    return Annotated[Literal[values], Why(why or f"one of {', '.join(values)}")]  # type: ignore[valid-type]


def _checked(kind: Any, check) -> Any:
    """`kind` as documented; `check` (Python) says what is wrong and answers the clean value,
    which `kind` then takes as it is."""
    return Annotated[kind, BeforeValidator(check)]


def Texts(*, choices: Iterable[str] | None = None, max_length: int | None = 64, max_items: int | None = None,
          strip: bool = False, why: str = "a list of short texts", each: str | None = None) -> Any:
    """A list of texts, each at most `max_length` characters (after stripping if `strip`, blanks
    then dropped), repeats dropped; None is an empty list. With `choices`, each is one of them
    (`each` says so, else "one of ..."). A tuple is taken as a list."""
    choices = tuple(choices) if choices is not None else None
    each = each or (f"one of {', '.join(choices)}" if choices else why)

    def check(value):
        if value is None:
            return []
        if not isinstance(value, list | tuple) or (max_items is not None and len(value) > max_items):
            fail(why)
        if not all(isinstance(v, str) for v in value):
            fail(why)
        if strip:
            value = [v.strip() for v in value if v.strip()]
        if max_length is not None and not all(0 < len(v) <= max_length for v in value):
            fail(why)
        if choices is not None and any(v not in choices for v in value):
            fail(each)
        return list(dict.fromkeys(value))

    item: Any = (Literal[choices] if choices else  # type: ignore[valid-type]
                 Annotated[str, StringConstraints(min_length=1, max_length=max_length)])
    return _checked(Annotated[list[item], at.MaxLen(max_items)] if max_items else list[item], check)


def Ints(low: int, high: int, *, why: str, each: str | None = None, unique: bool = False,
         max_items: int | None = None) -> Any:
    """A list of integers from `low` to `high` (`why` when it is not a list, or a longer one
    than `max_items`; `each` for an item); None is an empty list; `unique` answers them sorted,
    once each. A tuple is taken as a list."""
    each = each or f"an integer from {low} to {high}"

    def check(value):
        if value is None:
            return []
        if not isinstance(value, list | tuple) or (max_items is not None and len(value) > max_items):
            fail(why)
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
                fail(each)
        return sorted(set(value)) if unique else list(value)

    item = Annotated[int, at.Ge(low), at.Le(high)]
    return _checked(Annotated[list[item], at.MaxLen(max_items)] if max_items else list[item], check)


MOMENT_WHY = f"an ISO date-time, e.g. 2026-03-21T00:00:00+03:30, {RANGE}"


def Moment(*, why: str = MOMENT_WHY, early: str | None = None, late: str | None = None,
           optional: bool = True, dates: bool = False) -> Any:
    """A date-time, given as one or as ISO text, made aware (a time without an offset is
    Tehran's) and between 1970 and 2200 in UTC, where every database can store it and Python
    read it back. `why` for what is not a date-time, `early`/`late` for one out of range.
    `dates`: a bare ISO date is the first moment of that day in Tehran (a purchase's or an
    event's time, which the API has always read that way)."""

    def in_range(year: int) -> None:
        if year < EARLIEST_YEAR:
            fail(early or f"a date-time {RANGE}")
        if year > LATEST_YEAR:
            fail(late or f"a date-time {RANGE}")

    def check(value):
        if value is None and optional:
            return None
        if isinstance(value, str):
            text = value.strip()
            try:
                # A bare date is not a moment (midnight where?) unless the field says it is.
                if dates and len(text) == 10:
                    day = parse_date(text)
                    value = datetime.combine(day, time(0)) if day else None
                else:
                    value = parse_datetime(text) if "T" in text.upper() or " " in text else None
            except ValueError:  # well-formed but impossible, e.g. an offset of +99:00
                value = None
        if not isinstance(value, datetime):
            fail(why)
        in_range(value.year)  # first: the time-zone arithmetic needs it
        value = timezone.make_aware(value) if timezone.is_naive(value) else value
        in_range(value.astimezone(UTC).year)
        return value

    return _checked(datetime | None if optional else datetime, check)


def _hhmm(value):
    # As the engine reads it: HH from 00 to 24 (24 only as 24:00), MM from 00 to 59.
    try:
        hours, minutes = value.split(":")
        assert len(hours) == 2 and len(minutes) == 2 and 0 <= int(hours) <= 24 and 0 <= int(minutes) < 60
        assert int(hours) < 24 or int(minutes) == 0
    except (AttributeError, ValueError, AssertionError):
        fail("a time HH:MM")
    return value


HHMM = Annotated[str, BeforeValidator(_hhmm), WithJsonSchema(
    {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$", "examples": ["10:00"]})]


# --- the models -----------------------------------------------------------------------------------


class Input(BaseModel):
    """An input as it was accepted: frozen, with every field checked."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    # The whole in errors ("rule": "an object", "rule": "unknown fields: a, b"); without one,
    # each unknown field is named ("a": "unknown field").
    errors_name: ClassVar[str | None] = None

    @classmethod
    def unknown_details(cls, names: list[str]) -> dict[str, str]:
        if cls.errors_name:
            return {cls.errors_name: f"unknown fields: {', '.join(sorted(names))}"}
        return {name: "unknown field" for name in sorted(names)}

    @classmethod
    def filled(cls, data: Mapping) -> Mapping:
        """`data` with each required field it lacks set to None, so the field says what it must
        be ("an integer from 1 to 100") rather than pydantic's "Field required"."""
        required = _required(cls)
        if required <= data.keys():  # the usual case: nothing to build
            return data
        return {**dict.fromkeys(required - data.keys()), **data}


@cache
def _required(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(f.alias or name for name, f in model.model_fields.items() if f.is_required())


def partial(model: type[M], name: str, doc: str = "") -> type[M]:
    """`model` with every field optional (None = not given), and none of its checks across
    fields: what a PATCH takes before the service merges it with what is stored."""
    fields = {key: ((Annotated[f.annotation, *f.metadata] if f.metadata else f.annotation) | None,
                    Field(None, alias=f.alias, description=f.description))
              for key, f in model.model_fields.items()}
    patch = create_model(name, __base__=Input, __doc__=doc or model.__doc__, __module__=model.__module__, **fields)
    patch.errors_name = model.errors_name if issubclass(model, Input) else None
    return patch


# --- from pydantic's errors to ours -----------------------------------------------------------------


def error_path(loc: Iterable[str | int]) -> str:
    """("rules", 2, "effect", "points") -> "rules[2].effect.points"."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def error_details(errors: list[dict], *, model: type[BaseModel] | None = None, every: bool = False,
                  root: str = "body") -> dict[str, str]:
    """Pydantic's errors as {path: why}: the first one (the first field that is wrong, as the
    services have always answered), or `every` one. Given the `model` the errors are of, its
    top level speaks its own words: unknown fields as the model names them (before anything
    else), a value that is no object is "an object" under the model's name."""
    details: dict[str, str] = {}
    name = getattr(model, "errors_name", None) or root
    if model is not None:
        unknown = [e["loc"][0] for e in errors if e["type"] == "extra_forbidden" and len(e["loc"]) == 1]
        if unknown:
            details.update(model.unknown_details(unknown) if issubclass(model, Input) else
                           {u: "unknown field" for u in unknown})
            if not every:
                return details
            errors = [e for e in errors if not (e["type"] == "extra_forbidden" and len(e["loc"]) == 1)]
    for e in errors:
        loc = tuple(e["loc"])
        why = e["msg"]
        if model is not None and not loc and e["type"] in ("model_type", "model_attributes_type", "dict_type"):
            why = "an object"
        details.setdefault(error_path(loc) or name, why)
        if not every:
            break
    return details


def validated(model: type[M], data: Any, *, every: bool = False) -> M:
    """`data` as a `model` (an instance of it passes as it is), or ValidationFailed with
    `error_details`: the first field that is wrong, or `every` one."""
    if isinstance(data, model):
        return data
    if isinstance(data, Mapping) and issubclass(model, Input):
        data = model.filled(data)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed(details=error_details(error.errors(), model=model, every=every)) from None


@cache
def _adapter(kind: Any) -> TypeAdapter:
    return TypeAdapter(kind)


def checked(kind: Any, value: Any, name: str) -> Any:
    """One value of the field type `kind`, or ValidationFailed naming it `name`."""
    try:
        return _adapter(kind).validate_python(value)
    except ValidationError as error:
        raise ValidationFailed(details=error_details(error.errors(), root=name)) from None
