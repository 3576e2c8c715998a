"""Deleting what a club keeps only for a while (one-time codes, failed logins, idempotency
records): in batches, so a large backlog never holds a long lock or a whole table in memory."""

from django.db import models, transaction

BATCH = 5_000


def purge(queryset: models.QuerySet, *, batch: int = BATCH) -> int:
    """Delete the rows of `queryset` a batch at a time (each batch its own transaction);
    answers how many were deleted."""
    deleted = 0
    model = queryset.model
    while True:
        with transaction.atomic():
            ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                return deleted
            model.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
