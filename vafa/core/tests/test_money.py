import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vafa.core.digits import to_ascii_digits
from vafa.core.money import format_points, format_toman, rial_to_toman

quick = settings(database=None)


@pytest.mark.parametrize(
    ("rials", "toman"),
    [
        (125_000, 12_500),
        (125_009, 12_500),
        (10, 1),
        (9, 0),
        (0, 0),
        (-125_000, -12_500),
        (-125_009, -12_500),  # toward zero, like the purchase it refunds
        (-9, 0),
        (-10, -1),
    ],
)
def test_rial_to_toman(rials, toman):
    assert rial_to_toman(rials) == toman


@pytest.mark.parametrize("value", [1.5, 10.0, True, "100", None])
def test_rial_to_toman_takes_integers_only(value):
    with pytest.raises(TypeError):
        rial_to_toman(value)


@pytest.mark.parametrize(
    ("rials", "lang", "expected"),
    [
        (125_000, "fa", "۱۲٬۵۰۰ تومان"),
        (125_000, "en", "12,500 Toman"),
        (0, "fa", "۰ تومان"),
        (0, "en", "0 Toman"),
        (9_990, "fa", "۹۹۹ تومان"),
        (10_000, "fa", "۱٬۰۰۰ تومان"),
        (1_234_567_890, "fa", "۱۲۳٬۴۵۶٬۷۸۹ تومان"),
        (1_234_567_890, "en", "123,456,789 Toman"),
        (-125_000, "fa", "-۱۲٬۵۰۰ تومان"),
        (-125_000, "en", "-12,500 Toman"),
        (125_000, "fa-ir", "۱۲٬۵۰۰ تومان"),
        (125_000, "en-us", "12,500 Toman"),
    ],
)
def test_format_toman(rials, lang, expected):
    assert format_toman(rials, lang) == expected


def test_format_toman_defaults_to_persian_with_the_persian_separator():
    text = format_toman(125_000)
    assert text == "۱۲٬۵۰۰ تومان"
    assert "\u066c" in text
    assert "," not in text


@pytest.mark.parametrize(
    ("points", "lang", "expected"),
    [
        (1_250, "fa", "۱٬۲۵۰"),
        (1_250, "en", "1,250"),
        (0, "fa", "۰"),
        (999, "fa", "۹۹۹"),
        (1_000_000, "fa", "۱٬۰۰۰٬۰۰۰"),
        (1_000_000, "en", "1,000,000"),
        (-1_250, "fa", "-۱٬۲۵۰"),
    ],
)
def test_format_points(points, lang, expected):
    assert format_points(points, lang) == expected


def test_format_points_defaults_to_persian():
    assert format_points(1_250) == "۱٬۲۵۰"


@pytest.mark.parametrize("value", [1.5, True, "1250"])
def test_format_points_takes_integers_only(value):
    with pytest.raises(TypeError):
        format_points(value)


@quick
@given(st.integers())
def test_rial_to_toman_truncates_toward_zero(rials):
    toman = rial_to_toman(rials)
    assert abs(toman) == abs(rials) // 10
    assert toman == 0 or (toman > 0) == (rials > 0)


@quick
@given(st.integers(), st.sampled_from(["fa", "en"]))
def test_formatted_points_read_back(points, lang):
    text = format_points(points, lang)
    assert int(to_ascii_digits(text).replace("\u066c", "").replace(",", "")) == points


@quick
@given(st.integers())
def test_formatted_toman_read_back(rials):
    fa = format_toman(rials, "fa")
    en = format_toman(rials, "en")
    assert fa.endswith(" تومان")
    assert en.endswith(" Toman")
    assert int(to_ascii_digits(fa.removesuffix(" تومان")).replace("\u066c", "")) == rial_to_toman(rials)
    assert int(en.removesuffix(" Toman").replace(",", "")) == rial_to_toman(rials)
