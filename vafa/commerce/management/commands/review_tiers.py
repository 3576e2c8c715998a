from django.core.management.base import BaseCommand
from django.utils import timezone

from vafa.commerce.services import tier_reviews_due


class Command(BaseCommand):
    help = "Review tiers whose period (with grace) has ended: keep, or move down (idempotent)."

    def handle(self, *args, **options):
        counts = tier_reviews_due(now=timezone.now())
        self.stdout.write("Tiers reviewed: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
