"""A spreadsheet row's cells read by the project's rules: Persian and Arabic-Indic digits,
thousands separators, Jalali or ISO dates (a date alone is noon Tehran time), yes/no in either
language. Each refusal is the API's `validation_error` naming the column."""

import datetime as dt
import re

from django.utils.dateparse import parse_datetime

from vafa.core.digits import to_ascii_digits
from vafa.core.errors import ValidationFailed
from vafa.core.jalali import TEHRAN, parse_jalali_date

_SEPARATORS = str.maketrans("", "", ",٬، _'")
_DATE = re.compile(r"(\d{4})\s*[-/]\s*(\d{1,2})\s*[-/]\s*(\d{1,2})")
_DATE_AND_TIME = re.compile(r"(\d{4}\s*[-/]\s*\d{1,2}\s*[-/]\s*\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
# A four-digit year below this is a Jalali one (1403), above it a Gregorian one (2024).
_FIRST_GREGORIAN_YEAR = 1700
NOON = dt.time(12, 0)
_YES = {"true", "1", "yes", "y", "on", "بله", "آری", "بلی", "دارد"}
_NO = {"false", "0", "no", "n", "off", "خیر", "نه", "ندارد"}


def refuse(field: str, why: str):
    raise ValidationFailed(details={field: why})


def plain(text: str) -> str:
    return to_ascii_digits(text or "").strip()


def amount(text: str, field: str, *, required: bool = True) -> int | None:
    """Whole Rials: `1250000`, `1,250,000` or `۱٬۲۵۰٬۰۰۰`."""
    value = plain(text).translate(_SEPARATORS)
    if not value:
        if required:
            refuse(field, "required: an integer number of Rials")
        return None
    if not value.isdigit() or not value.isascii():
        refuse(field, "an integer number of Rials (digits only)")
    return int(value)


def count(text: str, field: str, default: int) -> int:
    value = plain(text).translate(_SEPARATORS)
    if not value:
        return default
    if not value.isdigit() or not value.isascii():
        refuse(field, "a whole number")
    return int(value)


def yes_no(text: str, field: str) -> bool | None:
    value = plain(text).lower()
    if not value:
        return None
    if value in _YES:
        return True
    if value in _NO:
        return False
    refuse(field, "true or false (also yes/no, 1/0, بله/خیر)")


def _day(text: str, field: str) -> dt.date:
    match = _DATE.fullmatch(text)
    if match is None:
        refuse(field, "a date: 2024-10-06 or 1403/07/15")
    try:
        if int(match.group(1)) < _FIRST_GREGORIAN_YEAR:
            return parse_jalali_date(text)
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        refuse(field, "a date the calendar has")


def date(text: str, field: str) -> dt.date | None:
    value = plain(text)
    if not value:
        return None
    if "T" in value or " " in value.strip():  # a date-time where a date is asked: keep the date
        value = re.split(r"[T ]", value, maxsplit=1)[0]
    return _day(value, field)


def moment(text: str, field: str) -> dt.datetime | None:
    """An ISO date-time (with or without an offset: without, Tehran time), or a date, ISO or
    Jalali, with an optional `HH:MM[:SS]`; a date alone is noon Tehran time."""
    value = plain(text)
    if not value:
        return None
    match = _DATE_AND_TIME.fullmatch(value)
    if match is not None:
        day = _day(match.group(1), field)
        hour, minute, second = (int(part or 0) for part in match.group(2, 3, 4))
        if match.group(2) is None:
            return dt.datetime.combine(day, NOON, tzinfo=TEHRAN)
        if hour > 23 or minute > 59 or second > 59:
            refuse(field, "a time of day from 00:00 to 23:59")
        return dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=TEHRAN)
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        refuse(field, "a date or a date and time: 2024-10-06, 2024-10-06T14:30:00+03:30 or 1403/07/15 14:30")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=TEHRAN)


def words(text: str, separator: str = ";") -> list[str]:
    return [w.strip() for w in (text or "").split(separator) if w.strip()]
