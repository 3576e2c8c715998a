"""Background tasks of the use cases (run by `vafa worker`)."""

from django.utils.dateparse import parse_datetime
from django_tasks import task

from vafa.core.jobs import job_finished
from vafa.usecases.retention import retention_run


@task()
def retention(now: str) -> dict:
    """The nightly retention run, as of `now` (ISO 8601)."""
    moment = parse_datetime(now)
    run = retention_run(now=moment)
    job_finished(job="retention", now=moment, result=str(run))
    return {"codes": run.codes, "login_failures": run.login_failures,
            "idempotency_records": run.idempotency_records}
