"""Date-times that come from outside (API bodies, rule conditions, imports): aware, and in a
range every database and Python can store and read back."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from vafa.core.errors import ValidationFailed

EARLIEST_YEAR, LATEST_YEAR = 1970, 2200
RANGE = f"from {EARLIEST_YEAR} to {LATEST_YEAR}"
# A time a little ahead of ours is a till whose clock runs fast, not a purchase from the future.
FUTURE_TOLERANCE = timedelta(minutes=5)


def checked_moment(value, field: str) -> datetime | None:
    """`value` (a datetime or ISO text; None passes) made aware (naive = Tehran time) and
    checked to lie between 1970 and 2200 in UTC; else `validation_error` naming `field`."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = parse_datetime(value)
        except ValueError:  # well-formed but impossible, e.g. an offset of +99:00
            value = None
    if not isinstance(value, datetime):
        raise ValidationFailed(details={field: f"an ISO date-time, e.g. 2026-03-21T00:00:00+03:30, {RANGE}"})
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationFailed(details={field: f"a date-time {RANGE}"})
    value = timezone.make_aware(value) if timezone.is_naive(value) else value
    if not EARLIEST_YEAR <= value.astimezone(UTC).year <= LATEST_YEAR:
        raise ValidationFailed(details={field: f"a date-time {RANGE}"})
    return value
