from hypothesis import given, settings
from hypothesis import strategies as st

from vafa.core.digits import to_ascii_digits, to_persian_digits

# No example database: these tests must not write into the source tree.
quick = settings(database=None)


def test_persian_digits_to_ascii():
    assert to_ascii_digits("۰۱۲۳۴۵۶۷۸۹") == "0123456789"


def test_arabic_indic_digits_to_ascii():
    assert to_ascii_digits("٠١٢٣٤٥٦٧٨٩") == "0123456789"


def test_to_ascii_leaves_other_characters_alone():
    assert to_ascii_digits("کد: ۱۲3٤ - abc") == "کد: 1234 - abc"
    assert to_ascii_digits("") == ""
    # Fullwidth digits are neither Persian nor Arabic-Indic.
    assert to_ascii_digits("１２") == "１２"


def test_ascii_digits_to_persian():
    assert to_persian_digits("0123456789") == "۰۱۲۳۴۵۶۷۸۹"
    assert to_persian_digits("Order 125, 2026/11/25") == "Order ۱۲۵, ۲۰۲۶/۱۱/۲۵"
    assert to_persian_digits("") == ""


def test_to_persian_leaves_arabic_indic_digits_alone():
    assert to_persian_digits("٣") == "٣"


@quick
@given(st.text())
def test_persian_round_trip(text):
    assert to_ascii_digits(to_persian_digits(text)) == to_ascii_digits(text)


@quick
@given(st.text())
def test_conversions_keep_length_and_leave_no_source_digits(text):
    persian = to_persian_digits(text)
    ascii_ = to_ascii_digits(text)
    assert len(persian) == len(text) == len(ascii_)
    assert not any(c in "0123456789" for c in persian)
    assert not any(c in "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩" for c in ascii_)
