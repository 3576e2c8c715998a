"""What the webhooks read: a merchant's endpoints, their deliveries, and (for the fan-out) the
enabled endpoints, cached per process."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from vafa.core.errors import WebhookMessageNotFound, WebhookNotFound
from vafa.core.ids import parse_id
from vafa.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage

CACHE_SECONDS = 5.0
# After a change in a transaction that never committed (rolled back), how long the cache stays
# off: by then that transaction has ended either way.
HOLD_SECONDS = 60.0


@dataclass(frozen=True)
class Target:
    endpoint_id: int
    merchant_id: int
    events: frozenset[str]


class _EnabledEndpoints:
    """The enabled endpoints, read at most every few seconds per process, so that an event
    nobody listens to costs no query. A change made here clears it at once (and again on
    commit); while a change is uncommitted nothing read is kept, so a rolled-back endpoint is
    never remembered. Another process's change shows within CACHE_SECONDS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._targets: tuple[Target, ...] | None = None
        self._read_at = 0.0
        self._hold_until = 0.0

    def get(self) -> tuple[Target, ...]:
        now = time.monotonic()
        with self._lock:
            if self._targets is not None and now - self._read_at < CACHE_SECONDS:
                return self._targets
        targets = tuple(Target(pk, merchant_id, frozenset(events)) for pk, merchant_id, events in
                        WebhookEndpoint.objects.filter(status=WebhookEndpoint.Status.ENABLED, deleted_at__isnull=True)
                        .order_by("pk").values_list("pk", "merchant_id", "events"))
        with self._lock:
            if now >= self._hold_until:
                self._targets, self._read_at = targets, now
        return targets

    def changing(self) -> None:
        with self._lock:
            self._targets = None
            self._hold_until = time.monotonic() + HOLD_SECONDS

    def committed(self) -> None:
        with self._lock:
            self._targets = None
            self._hold_until = 0.0

    clear = committed


enabled_endpoints = _EnabledEndpoints()


def webhook_list(*, merchant_id: int) -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(merchant_id=merchant_id, deleted_at__isnull=True).order_by("pk"))


def webhook_get(*, merchant_id: int, endpoint_id: str | int) -> WebhookEndpoint:
    """The merchant's endpoint; another merchant's (or a deleted one) is not found."""
    found = WebhookEndpoint.objects.filter(pk=parse_id(endpoint_id, WebhookNotFound), merchant_id=merchant_id,
                                           deleted_at__isnull=True).first()
    if found is None:
        raise WebhookNotFound(details={"id": str(endpoint_id)})
    return found


def webhook_message_get(*, endpoint: WebhookEndpoint, message_id: str) -> WebhookMessage:
    found = WebhookMessage.objects.filter(endpoint=endpoint, public_id=message_id).first()
    if found is None:
        raise WebhookMessageNotFound(details={"message_id": message_id})
    return found


def webhook_attempts(*, endpoint: WebhookEndpoint, before_id: int | None, limit: int) -> list[WebhookAttempt]:
    """Every attempt at the endpoint's messages, newest first."""
    rows = WebhookAttempt.objects.filter(endpoint=endpoint).select_related("message").order_by("-pk")
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    return list(rows[:limit])
