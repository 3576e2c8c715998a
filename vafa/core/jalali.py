"""Calendar helpers: the club runs on the Jalali (Solar Hijri) calendar in Tehran time.

Points expire "at the end of the Jalali month/year" and reports group by Jalali month, so those
boundaries are computed here, once. All datetimes are timezone-aware; a naive one is rejected
because silently treating it as server-local time would shift boundaries by hours.
"""

import calendar
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import jdatetime

from vafa.core.digits import to_ascii_digits, to_persian_digits

TEHRAN = ZoneInfo("Asia/Tehran")

_LAST_INSTANT = time(23, 59, 59, 999999)
_ESFAND = 12
# Year, month, day; either separator, one or two digit month/day.
_DATE_TEXT = re.compile(r"([0-9]{4})\s*[/-]\s*([0-9]{1,2})\s*[/-]\s*([0-9]{1,2})")


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("A timezone-aware datetime is required.")


def _jalali_date(moment: datetime) -> jdatetime.date:
    """The Jalali date of `moment` as the club sees it: in Tehran time."""
    _require_aware(moment)
    return jdatetime.date.fromgregorian(date=moment.astimezone(TEHRAN).date())


def _days_in_jalali_month(year: int, month: int) -> int:
    if month == _ESFAND:
        return 30 if jdatetime.date(year, 1, 1).isleap() else 29
    return jdatetime.j_days_in_month[month - 1]


def _last_instant_of(jalali_day: jdatetime.date) -> datetime:
    return datetime.combine(jalali_day.togregorian(), _LAST_INSTANT, tzinfo=TEHRAN)


def add_months(moment: datetime, months: int) -> datetime:
    """The same wall-clock time `months` Gregorian months later (or earlier, if negative).

    The day is clamped to the target month's length: Jan 31 + 1 month is Feb 28 (or 29).
    """
    _require_aware(moment)
    year, month_index = divmod(moment.year * 12 + (moment.month - 1) + months, 12)
    month = month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    # replace() keeps the wall-clock time and tzinfo; zoneinfo works out the offset of the
    # new date (so a DST change in between does not shift the hour).
    return moment.replace(year=year, month=month, day=day)


def end_of_jalali_month(moment: datetime, periods: int = 0) -> datetime:
    """The last instant (23:59:59.999999, Tehran) of the Jalali month `periods` after `moment`'s."""
    today = _jalali_date(moment)
    year, month_index = divmod(today.year * 12 + (today.month - 1) + periods, 12)
    month = month_index + 1
    return _last_instant_of(jdatetime.date(year, month, _days_in_jalali_month(year, month)))


def end_of_jalali_year(moment: datetime, periods: int = 0) -> datetime:
    """The last instant (23:59:59.999999, Tehran) of the Jalali year `periods` after `moment`'s."""
    year = _jalali_date(moment).year + periods
    return _last_instant_of(jdatetime.date(year, _ESFAND, _days_in_jalali_month(year, _ESFAND)))


def jalali_month_key(moment: datetime) -> str:
    """The Jalali year and month in Tehran, "1405-09", for grouping and sorting reports."""
    today = _jalali_date(moment)
    return f"{today.year:04d}-{today.month:02d}"


def format_jalali_date(d: date | datetime, persian_digits: bool = True) -> str:
    """A date as Iranians write it, "۱۴۰۵/۰۹/۰۴" (or "1405/09/04" with ASCII digits).

    A datetime is shown as its Tehran date; a plain date is taken as it is.
    """
    # datetime is a subclass of date, so it has to be checked first.
    jalali = _jalali_date(d) if isinstance(d, datetime) else jdatetime.date.fromgregorian(date=d)
    text = f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}"
    return to_persian_digits(text) if persian_digits else text


def parse_jalali_date(text: str) -> date:
    """The Gregorian date for a Jalali date written "1405/09/04", "1405-9-4" or "۱۴۰۵/۰۹/۰۴".

    Raises `ValueError` for anything else, including days the month does not have.
    """
    if not isinstance(text, str):
        raise ValueError("A Jalali date must be given as text.")
    match = _DATE_TEXT.fullmatch(to_ascii_digits(text).strip())
    if match is None:
        raise ValueError(f"Not a Jalali date: {text!r}")
    year, month, day = (int(part) for part in match.groups())
    # Checked here rather than trusting jdatetime to reject e.g. Esfand 30 in a common year.
    if not 1 <= month <= 12 or not 1 <= day <= _days_in_jalali_month(year, month):
        raise ValueError(f"Not a Jalali date: {text!r}")
    return jdatetime.date(year, month, day).togregorian()


def _first_instant_of(jalali_day: jdatetime.date) -> datetime:
    return datetime.combine(jalali_day.togregorian(), time(0), tzinfo=TEHRAN)


def periods_of(moment: datetime) -> dict[str, tuple[datetime, datetime]]:
    """The Tehran day, Jalali month and Jalali year holding `moment`, each as [start, end)."""
    today = _jalali_date(moment)
    next_day = today + jdatetime.timedelta(days=1)
    month_start = jdatetime.date(today.year, today.month, 1)
    next_month = (jdatetime.date(today.year + 1, 1, 1) if today.month == _ESFAND
                  else jdatetime.date(today.year, today.month + 1, 1))
    return {
        "day": (_first_instant_of(today), _first_instant_of(next_day)),
        "month": (_first_instant_of(month_start), _first_instant_of(next_month)),
        "jalali_year": (_first_instant_of(jdatetime.date(today.year, 1, 1)),
                        _first_instant_of(jdatetime.date(today.year + 1, 1, 1))),
    }


def jalali_year_bounds(moment: datetime) -> tuple[datetime, datetime]:
    return periods_of(moment)["jalali_year"]


def jalali_month_day(d: date) -> tuple[int, int]:
    """A Gregorian date's Jalali month and day."""
    j = jdatetime.date.fromgregorian(date=d)
    return j.month, j.day


def is_jalali_leap(year: int) -> bool:
    return jdatetime.date(year, 1, 1).isleap()


def jalali_today(moment: datetime) -> tuple[int, int, int]:
    j = _jalali_date(moment)
    return j.year, j.month, j.day


def celebrated_on(day: date) -> tuple[int, list[int]]:
    """The Jalali year of a (Tehran) day and the month-days (month x 100 + day) celebrated on it:
    its own, and on Esfand 29 of a year without Esfand 30 also Esfand 30's."""
    j = jdatetime.date.fromgregorian(date=day)
    keys = [j.month * 100 + j.day]
    if (j.month, j.day) == (12, 29) and not j.isleap():
        keys.append(1230)
    return j.year, keys
