"""Background tasks of purchases and tiers (run by `vafa worker`)."""

from django.utils.dateparse import parse_datetime
from django_tasks import task

from vafa.commerce.tiers import tier_reviews_due
from vafa.core.jobs import job_finished


@task()
def review_tiers(now: str) -> dict:
    """The nightly tier review, as of `now` (ISO 8601)."""
    moment = parse_datetime(now)
    counts = tier_reviews_due(now=moment)
    job_finished(job="review-tiers", now=moment, result=", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
