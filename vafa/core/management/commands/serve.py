import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Vafa with gunicorn (a production WSGI server), several workers."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        default_workers = int(os.environ.get("VAFA_WORKERS", 2 * (os.cpu_count() or 1) + 1))
        parser.add_argument("--workers", type=int, default=default_workers)
        parser.add_argument("--threads", type=int, default=int(os.environ.get("VAFA_THREADS", 1)))

    def handle(self, *args, host, port, workers, threads, **options):
        self.stdout.write(f"Vafa serving on http://{host}:{port}/ with {workers} worker(s)")
        self.stdout.flush()
        argv = [sys.executable, "-m", "gunicorn", "vafa.wsgi:application", "--bind", f"{host}:{port}",
                "--workers", str(workers), "--threads", str(threads),
                "--graceful-timeout", "10", "--timeout", "60"]
        if os.environ.get("VAFA_ACCESS_LOG", "1") == "1":
            argv += ["--access-logfile", "-"]
        os.execv(sys.executable, argv)
