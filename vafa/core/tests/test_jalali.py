from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vafa.core.jalali import (
    TEHRAN,
    add_months,
    end_of_jalali_month,
    end_of_jalali_year,
    format_jalali_date,
    jalali_month_key,
    parse_jalali_date,
)

quick = settings(database=None)

NEW_YORK = ZoneInfo("America/New_York")
ONE_MICROSECOND = timedelta(microseconds=1)


def tehran(*args: int) -> datetime:
    return datetime(*args, tzinfo=TEHRAN)


def last_instant(year: int, month: int, day: int) -> datetime:
    return tehran(year, month, day, 23, 59, 59, 999999)


def test_tehran_constant():
    assert TEHRAN.key == "Asia/Tehran"


# --- known conversions (checked against jdatetime and the official calendar) ----------------


@pytest.mark.parametrize(
    ("gregorian", "jalali"),
    [
        (date(2026, 3, 21), "1405/01/01"),  # Nowruz 1405
        (date(2026, 3, 20), "1404/12/29"),  # 1404 is a common year: Esfand has 29 days
        (date(2025, 3, 20), "1403/12/30"),  # 1403 is a leap year: Esfand 30
        (date(2025, 3, 21), "1404/01/01"),
        (date(2026, 11, 25), "1405/09/04"),
        (date(2030, 3, 20), "1408/12/30"),  # 1408 is the next leap year (not 1407)
    ],
)
def test_known_conversions(gregorian, jalali):
    assert format_jalali_date(gregorian, persian_digits=False) == jalali
    assert parse_jalali_date(jalali) == gregorian


# --- format_jalali_date -------------------------------------------------------------------


def test_format_with_persian_digits_by_default():
    assert format_jalali_date(date(2026, 11, 25)) == "۱۴۰۵/۰۹/۰۴"


def test_format_with_ascii_digits():
    assert format_jalali_date(date(2026, 11, 25), persian_digits=False) == "1405/09/04"


def test_format_datetime_uses_the_tehran_date():
    # 21:00 UTC on Nov 24 is 00:30 on Nov 25 in Tehran.
    assert format_jalali_date(datetime(2026, 11, 24, 21, 0, tzinfo=UTC)) == "۱۴۰۵/۰۹/۰۴"
    assert format_jalali_date(datetime(2026, 11, 24, 20, 29, tzinfo=UTC)) == "۱۴۰۵/۰۹/۰۳"


def test_format_rejects_naive_datetime():
    with pytest.raises(ValueError, match="timezone-aware"):
        format_jalali_date(datetime(2026, 11, 25, 12, 0))


# --- parse_jalali_date --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["1405/09/04", "1405-9-4", "1405-09-04", "1405/9/04", "۱۴۰۵/۰۹/۰۴", "١٤٠٥/٩/٤", " 1405 / 09 / 04 "],
)
def test_parse_accepted_forms(text):
    assert parse_jalali_date(text) == date(2026, 11, 25)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "1405/09",
        "1405/09/04/01",
        "05/09/04",
        "1405.09.04",
        "1405/09/04 12:00",
        "1405/13/01",
        "1405/00/10",
        "1405/09/00",
        "1405/07/31",  # Mehr has 30 days
        "1404/12/30",  # 1404 is not a leap year
        "1405/009/04",
        "0000/01/01",
        "１４０５/０９/０４",  # fullwidth digits
    ],
)
def test_parse_rejects_garbage(text):
    with pytest.raises(ValueError):
        parse_jalali_date(text)


def test_parse_edges_of_months():
    assert parse_jalali_date("1405/06/31") == date(2026, 9, 22)  # Shahrivar has 31 days
    assert parse_jalali_date("1405/07/30") == date(2026, 10, 22)
    assert parse_jalali_date("1403/12/30") == date(2025, 3, 20)


@pytest.mark.parametrize("value", [None, 14050904, date(2026, 11, 25)])
def test_parse_rejects_non_text(value):
    with pytest.raises(ValueError):
        parse_jalali_date(value)


@quick
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)), st.booleans())
def test_format_parse_round_trip(day, persian_digits):
    assert parse_jalali_date(format_jalali_date(day, persian_digits=persian_digits)) == day


# --- add_months ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (tehran(2026, 1, 31, 14, 30), 1, tehran(2026, 2, 28, 14, 30)),
        (tehran(2028, 1, 31, 14, 30), 1, tehran(2028, 2, 29, 14, 30)),  # leap year
        (tehran(2026, 3, 31, 9, 0), 1, tehran(2026, 4, 30, 9, 0)),
        (tehran(2026, 12, 15, 8, 0), 1, tehran(2027, 1, 15, 8, 0)),
        (tehran(2026, 11, 25, 8, 0), 12, tehran(2027, 11, 25, 8, 0)),
        (tehran(2026, 11, 25, 8, 0), 0, tehran(2026, 11, 25, 8, 0)),
        (tehran(2026, 3, 31, 8, 0), -1, tehran(2026, 2, 28, 8, 0)),
        (tehran(2026, 1, 10, 8, 0), -2, tehran(2025, 11, 10, 8, 0)),
        (tehran(2024, 2, 29, 8, 0), 12, tehran(2025, 2, 28, 8, 0)),
        (tehran(2026, 8, 31, 23, 59, 59, 999999), 6, tehran(2027, 2, 28, 23, 59, 59, 999999)),
    ],
)
def test_add_months(start, months, expected):
    result = add_months(start, months)
    assert result == expected
    assert result.tzinfo is TEHRAN


def test_add_months_keeps_the_wall_clock_time_and_zone():
    result = add_months(datetime(2026, 1, 31, 22, 15, tzinfo=UTC), 1)
    assert result == datetime(2026, 2, 28, 22, 15, tzinfo=UTC)
    assert result.tzinfo is UTC


def test_add_months_across_a_historical_tehran_dst_change():
    # Tehran observed DST until 2022: +03:30 on 1 March 2021, +04:30 on 1 April 2021.
    result = add_months(tehran(2021, 3, 1, 12, 0), 1)
    assert (result.year, result.month, result.day, result.hour, result.minute) == (2021, 4, 1, 12, 0)
    assert result.utcoffset() == timedelta(hours=4, minutes=30)


def test_add_months_rejects_naive():
    with pytest.raises(ValueError):
        add_months(datetime(2026, 1, 31), 1)


aware_datetimes = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.sampled_from([UTC, TEHRAN])
)


@quick
@given(aware_datetimes, st.integers(-240, 240))
def test_add_months_properties(moment, months):
    result = add_months(moment, months)
    assert (result.year * 12 + result.month) - (moment.year * 12 + moment.month) == months
    assert result.day <= moment.day
    assert result.time() == moment.time()
    assert result.tzinfo is moment.tzinfo
    # The day only moves when the target month is too short.
    if result.day < moment.day:
        assert (result.replace(tzinfo=None) + timedelta(days=1)).day == 1


# --- end_of_jalali_month ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "periods", "expected"),
    [
        (tehran(2026, 11, 25, 10, 0), 0, last_instant(2026, 12, 21)),  # Azar 1405 ends on Azar 30
        (tehran(2026, 11, 25, 10, 0), 1, last_instant(2027, 1, 20)),  # Dey 30
        (tehran(2026, 11, 25, 10, 0), 3, last_instant(2027, 3, 20)),  # Esfand 1405 (29 days)
        (tehran(2026, 11, 25, 10, 0), 4, last_instant(2027, 4, 20)),  # Farvardin 1406
        (tehran(2026, 11, 25, 10, 0), -1, last_instant(2026, 11, 21)),  # Aban 30
        (tehran(2026, 1, 21, 0, 0), 2, last_instant(2026, 4, 20)),  # Bahman 1404 -> Farvardin 1405
        (tehran(2025, 3, 1, 12, 0), 0, last_instant(2025, 3, 20)),  # Esfand 1403, leap: 30 days
        (tehran(2026, 3, 1, 12, 0), 0, last_instant(2026, 3, 20)),  # Esfand 1404: 29 days
        (tehran(2026, 9, 1, 12, 0), 0, last_instant(2026, 9, 22)),  # Shahrivar: 31 days
        (tehran(2026, 10, 1, 12, 0), 0, last_instant(2026, 10, 22)),  # Mehr: 30 days
        (last_instant(2026, 12, 21), 0, last_instant(2026, 12, 21)),  # already the last instant
        (tehran(2026, 12, 22, 0, 0), 0, last_instant(2027, 1, 20)),  # first instant of Dey
    ],
)
def test_end_of_jalali_month(moment, periods, expected):
    result = end_of_jalali_month(moment, periods)
    assert result == expected
    assert result.tzinfo is TEHRAN
    assert (result.hour, result.minute, result.second, result.microsecond) == (23, 59, 59, 999999)


def test_end_of_jalali_month_uses_tehran_time():
    # 20:29 UTC on 20 March 2026 is 23:59 in Tehran: still Esfand 1404.
    assert end_of_jalali_month(datetime(2026, 3, 20, 20, 29, tzinfo=UTC)) == last_instant(2026, 3, 20)
    # 20:30 UTC is midnight in Tehran: Farvardin 1405 has begun.
    assert end_of_jalali_month(datetime(2026, 3, 20, 20, 30, tzinfo=UTC)) == last_instant(2026, 4, 20)
    # Evening of 20 March in New York is already 21 March in Tehran.
    assert end_of_jalali_month(datetime(2026, 3, 20, 18, 0, tzinfo=NEW_YORK)) == last_instant(2026, 4, 20)


def test_end_of_jalali_month_rejects_naive():
    with pytest.raises(ValueError):
        end_of_jalali_month(datetime(2026, 3, 20, 12, 0))


@quick
@given(aware_datetimes, st.integers(0, 36))
def test_end_of_jalali_month_properties(moment, periods):
    end = end_of_jalali_month(moment, periods)
    assert end >= moment
    assert end.tzinfo is TEHRAN
    # The next instant is the first of a Jalali month, `periods + 1` months on.
    after = end + ONE_MICROSECOND
    assert format_jalali_date(after, persian_digits=False).endswith("/01")
    assert (after.hour, after.minute, after.second, after.microsecond) == (0, 0, 0, 0)
    start_year, start_month = map(int, jalali_month_key(moment).split("-"))
    end_year, end_month = map(int, jalali_month_key(end).split("-"))
    assert (end_year * 12 + end_month) - (start_year * 12 + start_month) == periods


# --- end_of_jalali_year -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "periods", "expected"),
    [
        (tehran(2024, 11, 25, 10, 0), 0, last_instant(2025, 3, 20)),  # 1403, leap: Esfand 30
        (tehran(2025, 11, 25, 10, 0), 0, last_instant(2026, 3, 20)),  # 1404: Esfand 29
        (tehran(2026, 11, 25, 10, 0), 0, last_instant(2027, 3, 20)),  # 1405
        (tehran(2026, 11, 25, 10, 0), 1, last_instant(2028, 3, 19)),  # 1406
        (tehran(2026, 11, 25, 10, 0), 2, last_instant(2029, 3, 19)),  # 1407
        (tehran(2026, 11, 25, 10, 0), 3, last_instant(2030, 3, 20)),  # 1408, leap: Esfand 30
        (tehran(2026, 11, 25, 10, 0), -2, last_instant(2025, 3, 20)),  # 1403
        (tehran(2026, 3, 21, 0, 0), 0, last_instant(2027, 3, 20)),  # Nowruz starts a new year
        (last_instant(2026, 3, 20), 0, last_instant(2026, 3, 20)),
    ],
)
def test_end_of_jalali_year(moment, periods, expected):
    result = end_of_jalali_year(moment, periods)
    assert result == expected
    assert result.tzinfo is TEHRAN


def test_end_of_jalali_year_uses_tehran_time():
    assert end_of_jalali_year(datetime(2026, 3, 20, 20, 29, tzinfo=UTC)) == last_instant(2026, 3, 20)
    assert end_of_jalali_year(datetime(2026, 3, 20, 20, 30, tzinfo=UTC)) == last_instant(2027, 3, 20)


@quick
@given(aware_datetimes, st.integers(0, 10))
def test_end_of_jalali_year_properties(moment, periods):
    end = end_of_jalali_year(moment, periods)
    assert end >= moment
    assert format_jalali_date(end + ONE_MICROSECOND, persian_digits=False).endswith("/01/01")
    start_year = int(jalali_month_key(moment)[:4])
    assert jalali_month_key(end) == f"{start_year + periods}-12"


# --- jalali_month_key ---------------------------------------------------------------------


def test_jalali_month_key():
    assert jalali_month_key(tehran(2026, 11, 25, 10, 0)) == "1405-09"
    assert jalali_month_key(tehran(2026, 3, 21, 0, 0)) == "1405-01"
    assert jalali_month_key(tehran(2026, 3, 20, 23, 59)) == "1404-12"


def test_jalali_month_key_uses_tehran_time():
    assert jalali_month_key(datetime(2026, 3, 20, 20, 29, tzinfo=UTC)) == "1404-12"
    assert jalali_month_key(datetime(2026, 3, 20, 20, 30, tzinfo=UTC)) == "1405-01"


def test_jalali_month_key_rejects_naive():
    with pytest.raises(ValueError):
        jalali_month_key(datetime(2026, 3, 21))
