"""Periodic jobs (points expiry, tier reviews, birthdays and anniversaries): each runs once a
Tehran day, at or after its time, as a task on the configured task backend (django-tasks).

Apps register their jobs in `AppConfig.ready`:

    jobs_register(PeriodicJob("expire-points", "vafa.ledger.tasks.expire_points", at=time(0, 5)))

`vafa worker` calls `jobs_schedule_due(now)` on every tick: a job whose time has come today and
that has no run for today gets one — a `JobRun(job, day)` row, unique, so two workers or a
restarted one schedule it once — and its task is enqueued in the same transaction (with the
database backend, the task row commits with the run). A job that `catches_up` is also run for
the days the worker missed (at most `VAFA_JOBS_CATCH_UP_DAYS`, default 7; 1: only the same
day), each with that day as its `now`: a birthday on a day the server was down is still
celebrated. Each task is idempotent by itself (an expired lot stays at zero; an award is keyed
by member, occasion and year), so even a task run twice changes nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from vafa.core.jalali import TEHRAN
from vafa.core.models import JobRun

CATCH_UP_DAYS = 7  # the default of VAFA_JOBS_CATCH_UP_DAYS


def _catch_up_days() -> int:
    from django.conf import settings

    return getattr(settings, "JOBS_CATCH_UP_DAYS", CATCH_UP_DAYS)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: str  # dotted path of a django-tasks task taking `now` (ISO 8601)
    at: time  # Tehran time of day
    catches_up: bool = False


_jobs: dict[str, PeriodicJob] = {}


def jobs_register(job: PeriodicJob) -> None:
    _jobs[job.name] = job


def registered_jobs() -> list[PeriodicJob]:
    return sorted(_jobs.values(), key=lambda job: (job.at, job.name))


def _moment(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=TEHRAN)


def _due_days(job: PeriodicJob, now: datetime) -> list[date]:
    """The days the job should have run by `now` and has not: today once its time has come (else
    yesterday), and for a job that catches up, the missed days of the last week since it first ran."""
    today = now.astimezone(TEHRAN).date()
    last = today if now >= _moment(today, job.at) else today - timedelta(days=1)
    window = [last - timedelta(days=n) for n in range(_catch_up_days() - 1, -1, -1)] if job.catches_up else [last]
    ran = set(JobRun.objects.filter(job=job.name, period__gte=window[0].isoformat())
              .values_list("period", flat=True))
    first = JobRun.objects.filter(job=job.name).order_by("period").values_list("period", flat=True).first()
    # A new installation starts with today: it does not celebrate the week before it existed.
    if first is None:
        return [last] if last == today else []
    return [day for day in window if day.isoformat() not in ran and day.isoformat() > first]


def jobs_schedule_due(now: datetime | None = None) -> list[str]:
    """Enqueue the task of every job that is due and not yet run for its day; answers
    "job day" for each one scheduled."""
    now = now or timezone.now()
    scheduled = []
    for job in registered_jobs():
        for day in _due_days(job, now):
            period = day.isoformat()
            moment = max(_moment(day, job.at), now) if day == now.astimezone(TEHRAN).date() else _moment(day, job.at)
            try:
                with transaction.atomic():
                    JobRun.objects.create(job=job.name, period=period, started_at=now)
                    import_string(job.task).enqueue(moment.isoformat())
            except IntegrityError:
                continue  # another worker scheduled it a moment ago
            scheduled.append(f"{job.name} {period}")
    return scheduled


def job_finished(*, job: str, now: datetime, result: str) -> None:
    """Called by a job's task when it is done: the run's record says when and what it did."""
    period = now.astimezone(TEHRAN).date().isoformat()
    JobRun.objects.filter(job=job, period=period).update(finished_at=timezone.now(), result=result[:255])


# --- work looked at on every tick ---------------------------------------------------------------------
# Apps register what the worker checks each tick besides the outbox (campaigns that are due):
# a function of `now` answering how much it did; it claims its own rows, so two workers may run it.

_tick_work: dict[str, object] = {}


def tick_register(name: str, function) -> None:
    _tick_work[name] = function


def tick_run(now: datetime | None = None) -> dict[str, int]:
    """Run every registered tick function; answers what each did (those that did something)."""
    now = now or timezone.now()
    done = {}
    for name, function in sorted(_tick_work.items()):
        count = function(now)
        if count:
            done[name] = count
    return done
