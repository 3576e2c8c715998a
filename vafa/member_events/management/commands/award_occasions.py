from django.core.management.base import BaseCommand

from vafa.member_events.services import occasions_award


class Command(BaseCommand):
    help = "Award today's birthdays and anniversaries (Jalali calendar, Tehran time; idempotent)."

    def handle(self, *args, **options):
        counts = occasions_award()
        self.stdout.write("Occasions awarded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
