"""`vafa worker`: the outbox, the task queue and the periodic jobs, in one process.

    vafa worker                                   run until stopped (SIGTERM/SIGINT finish the tick)
    vafa worker --once                            everything due now, then exit (cron, tests)
    vafa worker --once --now 2026-12-24T10:00:00+03:30    as of that time (catching up, tests)

Each tick: schedule the periodic jobs that are due (vafa.core.jobs), handle the due outbox rows
(vafa.core.outbox), and run the ready tasks of the database task backend. Several workers may run
at once, on one machine or several: rows, runs and tasks are claimed in the database, so nothing
is handled twice. With another task backend (RQ on Redis, say) its own workers run the tasks and
this command schedules them and keeps handling the outbox.
"""

import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from vafa.core.jobs import jobs_schedule_due, tick_run
from vafa.core.outbox import outbox_run_due, worker_name


def run_ready_tasks(name: str) -> int | None:
    """Run every ready task of the database task backend, one at a time, each claimed under a row
    lock (two workers never run one task); answers how many ran, or None when the task backend is
    not the database (its own workers run the tasks then)."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    backend = task_backends["default"]
    if not isinstance(backend, DatabaseBackend):
        return None
    runner = Worker(queue_names=["*"], interval=0, batch=True, backend_name=backend.alias, startup_delay=False,
                    max_tasks=None, worker_id=name[:64], excluded_queue_names=[])
    ran = 0
    while True:
        with exclusive_transaction():
            task = DBTaskResult.objects.ready().filter(backend_name=backend.alias).get_locked()
            if task is not None:
                task.claim(runner.worker_id)
        if task is None:
            return ran
        runner.run_task(task)  # records success or failure on the task's row
        ran += 1


class Command(BaseCommand):
    help = ("Handle the outbox (SMS and everything else that leaves the process), run background tasks and "
            "schedule the periodic jobs (points expiry, tier reviews, birthdays and anniversaries).")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="handle everything due now, then exit")
        parser.add_argument("--now", help="act as of this time (ISO 8601 with its offset); only with --once")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="seconds to wait when there was nothing to do (default 1)")

    def handle(self, *args, once: bool, now: str | None, interval: float, **options):
        moment = None
        if now is not None:
            if not once:
                raise CommandError("--now needs --once: a running worker always acts as of the clock")
            moment = parse_datetime(now)
            if moment is None or timezone.is_naive(moment):
                raise CommandError(f"--now: not a time with its offset: {now!r} (e.g. 2026-12-24T10:00:00+03:30)")
        if interval < 0:
            raise CommandError("--interval: not below 0")
        name = worker_name()
        if once:
            self._tick(name, moment, verbose=True)
            return
        stopping = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.append(True))
        self.stdout.write(f"Vafa worker {name} started")
        self.stdout.flush()
        while not stopping:
            if not self._tick(name, None, verbose=False):
                time.sleep(interval)
        self.stdout.write("Vafa worker stopped")

    def _tick(self, name: str, now, *, verbose: bool) -> bool:
        """One round of everything due; answers whether there was anything to do."""
        scheduled = jobs_schedule_due(now)
        tasks = run_ready_tasks(name) or 0
        ticked = tick_run(now)
        outbox = outbox_run_due(now=now, by=name)
        tasks += run_ready_tasks(name) or 0
        if verbose or scheduled or outbox["handled"] or outbox["failed"] or tasks or ticked:
            work = "".join(f"; {key}: {count}" for key, count in ticked.items())
            self.stdout.write(f"jobs scheduled: {', '.join(scheduled) or 'none'}; outbox: {outbox['handled']} "
                              f"handled, {outbox['failed']} failed; tasks run: {tasks}{work}")
            self.stdout.flush()
        return bool(scheduled or outbox["handled"] or outbox["failed"] or tasks or ticked)
