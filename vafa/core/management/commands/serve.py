import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Vafa with gunicorn (a production WSGI server), several workers."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        # Defaults from the settings (VAFA_WORKERS, VAFA_THREADS: environment or settings file).
        parser.add_argument("--workers", type=int, default=settings.SERVE_WORKERS)
        parser.add_argument("--threads", type=int, default=settings.SERVE_THREADS)

    def handle(self, *args, host, port, workers, threads, **options):
        self.stdout.write(f"Vafa serving on http://{host}:{port}/ with {workers} worker(s)")
        self.stdout.flush()
        argv = [sys.executable, "-m", "gunicorn", "vafa.wsgi:application", "--bind", f"{host}:{port}",
                "--workers", str(workers), "--threads", str(threads),
                "--graceful-timeout", "10", "--timeout", "60"]
        if settings.SERVE_ACCESS_LOG:
            argv += ["--access-logfile", "-"]
        os.execv(sys.executable, argv)
