"""Background tasks of the ledger (run by `vafa worker`, on the task backend of the settings)."""

from django.utils.dateparse import parse_datetime
from django_tasks import task

from vafa.core.jobs import job_finished
from vafa.ledger.services import points_expire


@task()
def expire_points(now: str) -> dict:
    """The nightly expiry, as of `now` (ISO 8601)."""
    moment = parse_datetime(now)
    run = points_expire(now=moment)
    job_finished(job="expire-points", now=moment, result=f"{run.points} points of {run.members} members")
    return {"members": run.members, "points": run.points}
