"""Imports and exports started from the back-office run in a process of their own (`vafa
run-data-job`), started at once by the page, so a big file neither holds up a web request nor the
worker's tick. The worker's tick is the safety net: a job that waits, or whose process stopped
touching it (killed, the machine restarted), is started again and continues where it stopped."""

from __future__ import annotations

import subprocess
import sys

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from vafa.portability.imports import STALE_AFTER
from vafa.portability.models import ExportJob, ImportJob

_UNFINISHED = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)


def _command(kind: str, job_id: int) -> list[str]:
    return [sys.executable, "-m", "vafa", "run-data-job", kind, str(job_id)]


def _spawn(kind: str, job_id: int) -> None:
    log = (settings.VAR_DIR / "data-jobs.log").open("ab")
    subprocess.Popen(_command(kind, job_id), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                     start_new_session=True, close_fds=True)
    log.close()


def import_job_launch(job: ImportJob, now=None) -> bool:
    """Start the job's process unless one was started or touched it within STALE_AFTER; answers
    whether this call started it (two workers never start it twice: the row says who did)."""
    now = now or timezone.now()
    stale = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - STALE_AFTER)
    claimed = (ImportJob.objects.filter(stale, pk=job.pk, status__in=_UNFINISHED)
               .update(status=ImportJob.Status.QUEUED, heartbeat_at=now))
    if claimed:
        _spawn("import", job.pk)
    return bool(claimed)


def export_job_launch(job: ExportJob, now=None) -> bool:
    now = now or timezone.now()
    stale = Q(progress__at__isnull=True) | Q(progress__at__lt=(now - STALE_AFTER).isoformat())
    claimed = (ExportJob.objects.filter(stale, pk=job.pk, status__in=_UNFINISHED)
               .update(status=ExportJob.Status.QUEUED, progress={"at": now.isoformat()}))
    if claimed:
        _spawn("export", job.pk)
    return bool(claimed)


def data_jobs_resume(now) -> int:
    """The worker's tick: start again what waits or was cut off."""
    started = 0
    stale = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - STALE_AFTER)
    for job in ImportJob.objects.filter(stale, status__in=_UNFINISHED).order_by("pk")[:5]:
        started += import_job_launch(job, now)
    exports = ExportJob.objects.filter(Q(progress__at__isnull=True) | Q(progress__at__lt=(now - STALE_AFTER)
                                                                           .isoformat()), status__in=_UNFINISHED)
    for job in exports.order_by("pk")[:2]:
        started += export_job_launch(job, now)
    return started
