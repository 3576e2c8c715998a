from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Run background tasks and the periodic jobs, daily in Tehran time: points expiry, tier reviews, "
            "birthday and anniversary awards.")

    def add_arguments(self, parser):
        parser.add_argument("--expiry-hour", type=int, default=0)

    def handle(self, *args, expiry_hour, **options):
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(timezone="Asia/Tehran")
        # Each job is idempotent (an expired lot is left at zero), so a re-run or a second
        # scheduler never expires twice.
        scheduler.add_job(lambda: call_command("expire_points"), "cron", hour=expiry_hour, minute=5,
                          id="expire-points", coalesce=True, max_instances=1)
        # Keyed by member, occasion and Jalali year / by the tier period: re-runs award nothing twice.
        scheduler.add_job(lambda: call_command("review_tiers"), "cron", hour=expiry_hour, minute=20,
                          id="review-tiers", coalesce=True, max_instances=1)
        scheduler.add_job(lambda: call_command("award_occasions"), "cron", hour=8, minute=0,
                          id="award-occasions", coalesce=True, max_instances=1)
        scheduler.start()
        try:
            call_command("db_worker")
        finally:
            scheduler.shutdown(wait=False)
