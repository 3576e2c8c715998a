"""Background tasks of member events (run by `vafa worker`)."""

from django.utils.dateparse import parse_datetime
from django_tasks import task

from vafa.core.jobs import job_finished
from vafa.member_events.occasions import occasions_award


@task()
def award_occasions(now: str) -> dict:
    """The day's birthdays and anniversaries, as of `now` (ISO 8601; a missed day is run with
    that day's time)."""
    moment = parse_datetime(now)
    counts = occasions_award(now=moment)
    job_finished(job="award-occasions", now=moment, result=", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
