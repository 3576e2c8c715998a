"""Occasions: birthdays, wedding and membership anniversaries on the right Jalali day (Tehran
time), awarded once per member, occasion and Jalali year by the daily run."""

import logging
from datetime import date, datetime, timedelta

from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from vafa.core.errors import ApplicationError
from vafa.core.jalali import TEHRAN, is_jalali_leap, jalali_month_day, jalali_today
from vafa.member_events.triggers import trigger_once
from vafa.members.models import Member, Occasion
from vafa.program.selectors import program_now

logger = logging.getLogger(__name__)


def _same_jalali_day(d: date, today: tuple[int, int, int]) -> bool:
    """Whether `d`'s Jalali month and day is today's. A date on Esfand 30 is celebrated on
    Esfand 29 in a year that has no Esfand 30."""
    year, month, day = today
    m, dd = jalali_month_day(d)
    if (m, dd) == (month, day):
        return True
    return (m, dd) == (12, 30) and (month, day) == (12, 29) and not is_jalali_leap(year)


def occasion_candidates(queryset, field: str, today: date):
    """Rows whose Gregorian month/day is within a day of today's (a Jalali date falls on one
    of those Gregorian dates every year); the exact Jalali test is done in Python."""
    query = Q()
    days = [today + timedelta(days=shift) for shift in (-1, 0, 1, 2)]
    for d in days:
        query |= Q(**{f"{field}__month": d.month, f"{field}__day": d.day})
    if any((d.month, d.day) in ((2, 28), (3, 1)) for d in days):
        query |= Q(**{f"{field}__month": 2, f"{field}__day": 29})  # born on 29 February: a common year has none
    return queryset.filter(query)


def occasions_award(*, now: datetime | None = None) -> dict[str, int]:
    """Award today's birthdays, wedding anniversaries and membership anniversaries (Tehran
    time, Jalali calendar). Keyed by the member, occasion and Jalali year: idempotent."""
    now = now or timezone.now()
    program = program_now()
    occasions = {r.occasion for r in program.rules_for("occasion")}
    counts = {"birthday": 0, "wedding": 0, "membership_anniversary": 0}
    if not occasions:
        return counts
    today = jalali_today(now)
    local_today = now.astimezone(TEHRAN).date()
    found: list[tuple[int, str]] = []
    members = Member.objects.exclude(status=Member.Status.BLOCKED)
    if "birthday" in occasions:
        for member_id, born in occasion_candidates(members.filter(birth_date__isnull=False), "birth_date",
                                           local_today).values_list("id", "birth_date"):
            if _same_jalali_day(born, today):
                found.append((member_id, "birthday"))
    if "wedding" in occasions:
        rows = occasion_candidates(Occasion.objects.filter(kind=Occasion.Kind.WEDDING,
                                                   member__in=members), "date", local_today)
        for member_id, day in rows.values_list("member_id", "date"):
            if _same_jalali_day(day, today) and day < local_today:
                found.append((member_id, "wedding"))
    if "membership_anniversary" in occasions:
        rows = occasion_candidates(members.filter(joined_at__lt=now), "joined_at", local_today)
        for member_id, joined in rows.values_list("id", "joined_at"):
            if jalali_today(joined)[0] < today[0] and _same_jalali_day(joined.astimezone(TEHRAN).date(), today):
                found.append((member_id, "membership_anniversary"))
    for member_id, occasion in sorted(set(found)):
        try:
            event = trigger_once(member_id=member_id, event_type=f"occasion.{occasion}", at=now,
                                 key=f"occasion:{occasion}:{member_id}:{today[0]}")
        except IntegrityError:
            continue  # another run awarded it a moment ago
        except ApplicationError:
            logger.exception("occasion %s of member %s not awarded", occasion, member_id)
            continue  # one member's problem never stops everyone else's occasion
        if event is not None:
            counts[occasion] += 1
    return counts
