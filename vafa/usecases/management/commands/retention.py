from django.core.management.base import BaseCommand

from vafa.usecases.retention import retention_run


class Command(BaseCommand):
    help = ("Delete now what the club keeps only for a while: one-time codes and failed logins older than "
            "VAFA_RETENTION_DAYS, idempotency records older than VAFA_IDEMPOTENCY_DAYS (the worker does it nightly).")

    def handle(self, *args, **options):
        self.stdout.write(f"{retention_run()}.")
