"""The typed input layer (vafa.core.inputs): each field type takes what it should and refuses the
rest in the project's own words, and pydantic's errors become {path: why} with the services' paths."""

from datetime import UTC, datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from pydantic import Field, ValidationError, model_validator

from vafa.core.errors import ValidationFailed
from vafa.core.inputs import (
    HHMM,
    Bool,
    Choice,
    Input,
    Int,
    Ints,
    Moment,
    Rial,
    Text,
    Texts,
    checked,
    error_details,
    error_path,
    fail,
    partial,
    says,
    validated,
)
from vafa.core.limits import MAX_RIAL

TEHRAN = ZoneInfo("Asia/Tehran")


def refused(kind, value) -> str:
    with pytest.raises(ValidationFailed) as caught:
        checked(kind, value, "field")
    assert list(caught.value.details) == ["field"]
    return caught.value.details["field"]


# --- field types ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1, 5, 10])
def test_an_int_in_range_is_taken(value):
    assert checked(Int(1, 10), value, "n") == value


@pytest.mark.parametrize("value", [True, False, 1.0, 2.5, "5", None, 0, 11, [5], {"n": 5}, 10**30])
def test_an_int_refuses_bools_floats_text_none_and_what_is_out_of_range(value):
    assert refused(Int(1, 10), value) == "an integer from 1 to 10"


def test_an_optional_int_takes_none_and_a_message_of_its_own():
    assert checked(Int(1, 10, optional=True), None, "n") is None
    assert refused(Int(1, 10, optional=True, why="an integer from 1 to 10 or null"), 0) == (
        "an integer from 1 to 10 or null")


def test_rials_are_whole_and_within_the_limit():
    assert checked(Rial(), 0, "a") == 0
    assert checked(Rial(), MAX_RIAL, "a") == MAX_RIAL
    for value in (-1, MAX_RIAL + 1, 1.5, True, "100", None):
        assert refused(Rial(), value) == f"an integer number of Rials from 0 to {MAX_RIAL}"
    assert refused(Rial(1), 0) == f"an integer number of Rials from 1 to {MAX_RIAL}"


@pytest.mark.parametrize("value", [1, 0, "true", "yes", None, 1.0])
def test_a_bool_is_true_or_false_only(value):
    assert refused(Bool, value) == "true or false"
    assert checked(Bool, False, "b") is False


def test_text_is_stripped_and_bounded():
    kind = Text(5, min_length=1)
    assert checked(kind, "  abc ", "t") == "abc"
    for value in ("", "   ", "abcdef", 5, None, b"abc", ["a"]):
        assert refused(kind, value) == "required, at most 5 characters"
    assert refused(Text(5), "abcdef") == "a text of at most 5 characters"
    assert checked(Text(5, strip=False), " a ", "t") == " a "
    assert checked(Text(5, optional=True), None, "t") is None


def test_text_may_tell_its_errors_apart():
    kind = Text(5, min_length=1, why="at most 5 characters", string_type="must be text", string_too_short="required")
    assert (refused(kind, 5), refused(kind, " "), refused(kind, "abcdef")) == (
        "must be text", "required", "at most 5 characters")
    assert refused(Text(5, missing="required"), None) == "required"


def test_a_choice_is_one_of_its_values():
    kind = Choice(("draft", "live"))
    assert checked(kind, "live", "c") == "live"
    for value in ("gone", "", None, 1, ["live"], True):
        assert refused(kind, value) == "one of draft, live"


def test_texts_are_a_list_of_short_texts_without_repeats():
    assert checked(Texts(), None, "l") == []
    assert checked(Texts(), ["tea", "cake", "tea"], "l") == ["tea", "cake"]
    for value in ("tea", ["tea", 5], ["x" * 65], [""], [None], {"a": 1}, 5):
        assert refused(Texts(), value) == "a list of short texts"
    weekdays = Texts(choices=("thu", "fri"))
    assert checked(weekdays, ["fri", "thu", "fri"], "l") == ["fri", "thu"]
    assert refused(weekdays, ["thu", "funday"]) == "one of thu, fri"
    stripped = Texts(strip=True, max_length=None, max_items=3, why="a list of at most 3 texts")
    assert checked(stripped, (" gold ", "gold", "  "), "l") == ["gold"]
    assert refused(stripped, ["a", "b", "c", "d"]) == "a list of at most 3 texts"


def test_ints_are_a_list_of_integers_in_range():
    kind = Ints(1, 9, why="a list of numbers", unique=True)
    assert checked(kind, [6, 2, 6], "l") == [2, 6]
    assert checked(kind, None, "l") == []
    assert refused(kind, 5) == "a list of numbers"
    for value in ([0], [10], [True], [1.0], ["1"], [None]):
        assert refused(kind, value) == "an integer from 1 to 9"
    assert checked(Ints(1, 9, why="x"), [3, 3], "l") == [3, 3]


def test_a_moment_is_aware_and_a_time_without_an_offset_is_tehran_time():
    assert checked(Moment(), "2026-03-21T00:00:00", "m") == datetime(2026, 3, 21, tzinfo=TEHRAN)
    assert checked(Moment(), "2026-03-21T00:00:00Z", "m") == datetime(2026, 3, 21, tzinfo=UTC)
    assert checked(Moment(), datetime(2026, 3, 21, 10), "m") == datetime(2026, 3, 21, 10, tzinfo=TEHRAN)
    assert checked(Moment(), None, "m") is None


@pytest.mark.parametrize("value", ["yesterday", "2026-03-21", "2026-13-01T00:00", "2025-01-01T00:00:00+99:00", 5,
                                   1.5, True, ["2026-03-21T00:00"]])
def test_what_is_not_a_moment_is_refused(value):
    assert refused(Moment(), value) == "an ISO date-time, e.g. 2026-03-21T00:00:00+03:30, from 1970 to 2200"
    assert refused(Moment(why="a date and time (ISO 8601)"), value) == "a date and time (ISO 8601)"


@pytest.mark.parametrize("value", ["1969-12-31T23:59:59Z", "0001-01-01T00:00:00", "2201-01-01T00:00:00+03:30",
                                   "9999-12-31T23:59:59-05:00", "1970-01-01T02:00:00"])  # the last is 1969 in UTC
def test_a_moment_no_database_can_read_back_is_refused(value):
    assert refused(Moment(), value) == "a date-time from 1970 to 2200"
    assert refused(Moment(early="not before 1970", late="in the future"), value) in ("not before 1970", "in the future")


@pytest.mark.parametrize(("value", "good"), [
    ("10:00", True), ("00:00", True), ("23:59", True), ("24:00", True), ("9:00", False), ("24:01", False),
    ("25:00", False), ("10:60", False), ("1000", False), ("", False), (None, False), (1000, False)])
def test_a_time_of_day_is_hh_mm(value, good):
    if good:
        assert checked(HHMM, value, "h") == value
    else:
        assert refused(HHMM, value) == "a time HH:MM"


# --- the models ----------------------------------------------------------------------------------


class Window(Input):
    from_: HHMM = Field(alias="from")
    to: HHMM

    @model_validator(mode="after")
    def _differ(self):
        if self.from_ == self.to:
            fail("from and to differ")
        return self


class Line(Input):
    sku: Text(64, min_length=1)
    quantity: Int(1, 100)


class Order(Input):
    errors_name: ClassVar[str] = "order"

    name: Text(20, min_length=1)
    amount: Rial()
    tax: Rial() = 0
    lines: list[Line] = []
    hours: Window | None = None

    @model_validator(mode="after")
    def _tax(self):
        if self.tax > self.amount:
            fail("part of the amount", "tax")
        return self


class Reward(Input):  # no errors_name: each unknown field is named
    name: Text(20, min_length=1)


def failing(model, data, **options) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        validated(model, data, **options)
    assert caught.value.code == "validation_error"
    return caught.value.details


def test_a_model_is_frozen_and_an_instance_passes_as_it_is():
    order = validated(Order, {"name": " Tea ", "amount": 10, "lines": [{"sku": "T", "quantity": 2}]})
    assert (order.name, order.amount, order.lines[0].quantity) == ("Tea", 10, 2)
    assert validated(Order, order) is order
    with pytest.raises(ValidationError):
        order.amount = 5


def test_errors_name_the_path_as_the_services_always_have():
    assert failing(Order, {"name": "x", "amount": 1, "lines": [{"sku": "T", "quantity": 1},
                                                               {"sku": "T", "quantity": 0}]}) == {
        "lines[1].quantity": "an integer from 1 to 100"}
    assert failing(Order, {"name": "x", "amount": 1, "hours": {"from": "9:00", "to": "10:00"}}) == {
        "hours.from": "a time HH:MM"}
    assert failing(Order, {"name": "x", "amount": 1, "hours": {"from": "10:00", "to": "10:00"}}) == {
        "hours": "from and to differ"}
    assert failing(Order, {"name": "x", "amount": 1, "tax": 2}) == {"tax": "part of the amount"}
    assert error_path(("rules", 2, "effect", "points")) == "rules[2].effect.points"
    assert error_path(()) == ""


def test_the_first_field_that_is_wrong_is_named_or_every_one():
    data = {"name": "", "amount": -1, "tax": True}
    assert failing(Order, data) == {"name": "required, at most 20 characters"}
    assert failing(Order, data, every=True) == {
        "name": "required, at most 20 characters", "amount": f"an integer number of Rials from 0 to {MAX_RIAL}",
        "tax": f"an integer number of Rials from 0 to {MAX_RIAL}"}


def test_a_missing_field_says_what_it_must_be():
    assert failing(Order, {"name": "x"}) == {"amount": f"an integer number of Rials from 0 to {MAX_RIAL}"}
    assert failing(Order, {"amount": 1, "lines": [{"sku": "T"}]}) == {"name": "required, at most 20 characters"}


def test_unknown_fields_are_refused_first_in_the_models_words():
    assert failing(Order, {"name": "", "amount": 1, "zeta": 1, "alpha": 2}) == {"order": "unknown fields: alpha, zeta"}
    assert failing(Reward, {"name": "x", "colour": "red", "size": 1}) == {"colour": "unknown field",
                                                                          "size": "unknown field"}
    assert failing(Reward, {"name": "", "colour": "red"}, every=True) == {
        "colour": "unknown field", "name": "required, at most 20 characters"}
    # below the top, a model without words of its own speaks pydantic's
    assert failing(Order, {"name": "x", "amount": 1, "lines": [{"sku": "T", "quantity": 1, "x": 1}]}) == {
        "lines[0].x": "Extra inputs are not permitted"}


@pytest.mark.parametrize("data", [[], "order", 5, None])
def test_what_is_not_an_object_is_refused_under_the_models_name(data):
    assert failing(Order, data) == {"order": "an object"}


def test_without_a_model_pydantics_own_words_are_kept():
    errors = [{"type": "missing", "loc": ("format",), "msg": "Field required"},
              {"type": "extra_forbidden", "loc": ("members",), "msg": "Extra inputs are not permitted"}]
    assert error_details(errors, every=True) == {"format": "Field required",
                                                 "members": "Extra inputs are not permitted"}
    assert error_details([{"type": "model_type", "loc": (), "msg": "Input should be an object"}]) == {
        "body": "Input should be an object"}


def test_a_patch_takes_each_field_optional_without_the_checks_across_fields():
    OrderPatch = partial(Order, "OrderPatch")
    patch = validated(OrderPatch, {"tax": 5})
    assert patch.model_dump(exclude_unset=True) == {"tax": 5}
    assert validated(OrderPatch, {"name": None}).name is None
    assert failing(OrderPatch, {"amount": -1}) == {"amount": f"an integer number of Rials from 0 to {MAX_RIAL}"}
    assert failing(OrderPatch, {"price": 1}) == {"order": "unknown fields: price"}
    assert "required" not in OrderPatch.model_json_schema()


def test_fail_refuses_at_the_value_or_below_it():
    with pytest.raises(ValidationError) as caught:
        Window.model_validate({"from": "10:00", "to": "10:00"})
    assert [(e["loc"], e["msg"]) for e in caught.value.errors()] == [((), "from and to differ")]
    kind = Int(0, 1, why="zero or one", int_type="whole")
    assert (refused(kind, "x"), refused(kind, 2)) == ("whole", "zero or one")
    assert says("x", a="b").by_type == (("a", "b"),)


def test_the_json_schema_documents_every_bound():
    schema = Order.model_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["name", "amount"]
    assert schema["properties"]["amount"] == {"maximum": MAX_RIAL, "minimum": 0, "title": "Amount",
                                              "type": "integer"}
    assert schema["properties"]["name"]["maxLength"] == 20
    window = schema["$defs"]["Window"]
    assert set(window["properties"]) == {"from", "to"}
    assert window["properties"]["from"]["pattern"]
