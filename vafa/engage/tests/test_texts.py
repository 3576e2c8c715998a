"""The text of a message: SMS parts, «لغو۱۱», placeholders, cost; exact values."""

import pytest

from vafa.core.errors import UnknownPlaceholder
from vafa.engage.texts import (
    OPT_OUT,
    missing_in,
    placeholders_check,
    placeholders_in,
    render,
    sms_cost_rial,
    sms_length,
    with_opt_out,
)


@pytest.mark.parametrize(("text", "characters", "unicode", "parts", "per_part"), [
    ("", 0, False, 0, 160),
    ("a" * 160, 160, False, 1, 160),
    ("a" * 161, 161, False, 2, 153),
    ("a" * 306, 306, False, 2, 153),
    ("a" * 307, 307, False, 3, 153),
    ("a" * 159 + "€", 161, False, 2, 153),  # a GSM extension character counts twice
    ("[" * 80, 160, False, 1, 160),
    ("س" * 70, 70, True, 1, 70),
    ("س" * 71, 71, True, 2, 67),
    ("س" * 134, 134, True, 2, 67),
    ("س" * 135, 135, True, 3, 67),
    ("a" * 69 + "ب", 70, True, 1, 70),  # one Persian letter makes the whole text UCS-2
    ("😀" * 35, 70, True, 1, 70),  # beyond the BMP: two UTF-16 units each
    ("😀" * 36, 72, True, 2, 67),
])
def test_sms_length_follows_the_part_rules(text, characters, unicode, parts, per_part):
    length = sms_length(text)
    assert (length.characters, length.unicode, length.parts, length.per_part) == (characters, unicode, parts,
                                                                                  per_part)


def test_the_opt_out_ends_a_marketing_sms_once_and_counts_in_its_length():
    assert OPT_OUT == "لغو۱۱"
    assert with_opt_out("سلام  ") == "سلام\nلغو۱۱"
    assert with_opt_out(with_opt_out("سلام")) == "سلام\nلغو۱۱"
    assert sms_length(with_opt_out("س" * 64)).parts == 1  # 64 + newline + 5 = 70
    assert sms_length(with_opt_out("س" * 65)).parts == 2


def test_placeholders_known_unknown_and_broken():
    assert placeholders_in("{first_name} {points} {first_name}") == ["first_name", "points"]
    placeholders_check("سلام {first_name}، {points} امتیاز تا {expiring_date}")
    with pytest.raises(UnknownPlaceholder) as caught:
        placeholders_check("سلام {name} {phone}")
    assert caught.value.details["text"] == "unknown placeholders: name, phone"
    assert caught.value.status == 422 and caught.value.code == "unknown_placeholder"
    with pytest.raises(UnknownPlaceholder) as caught:
        placeholders_check("سلام {first_name")
    assert caught.value.details == {"text": "unmatched { or }"}


def test_a_missing_value_leaves_no_raw_placeholder():
    values = {"first_name": "سارا"}
    assert render("سلام {first_name} {last_name}، {points} امتیاز", values) == "سلام سارا، امتیاز"
    assert render("Hi {first_name} {last_name}, welcome", {}) == "Hi, welcome"
    assert missing_in("سلام {first_name} {last_name} {tier}", values) == ["last_name", "tier"]


def test_cost_is_parts_times_the_price():
    assert sms_cost_rial(3, price_per_part_rial=1_500) == 4_500
    assert sms_cost_rial(0, price_per_part_rial=1_500) == 0
