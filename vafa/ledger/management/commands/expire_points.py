from django.core.management.base import BaseCommand

from vafa.ledger.services import points_expire


class Command(BaseCommand):
    help = "Expire the points of every lot whose expiry has passed (idempotent)."

    def handle(self, *args, **options):
        run = points_expire()
        self.stdout.write(f"Expired {run.points} points of {run.members} members.")
