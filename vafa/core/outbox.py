"""The transactional outbox: everything that must leave the process (an SMS, later e-mail and
webhooks) or happen after a commit is written as a row in the transaction that decides it, and a
worker handles it after the commit.

    outbox_enqueue(handler="sms.send", type="sms.login_code", payload={...})   # in the transaction

    @outbox_handler("sms.send", transactional=False, lease_seconds=60)
    def send(delivery: Delivery) -> str: ...

How a row is handled:
- A worker claims due rows (`available_at` has come, not done, no live lease): on PostgreSQL with
  `SELECT ... FOR UPDATE SKIP LOCKED`, so two workers never claim one row; on SQLite the write
  lock already serialises claims. A claim is committed at once and holds a lease, so the handler
  runs outside any lock.
- The handler runs; success marks the row done with who handled it (`handled_by`). A failure
  keeps its error and makes the row due again after an exponential backoff with jitter; after
  `max_attempts` the row is given up (`gave_up`), error kept. A handler with a schedule of its
  own (webhooks) raises `RetryAt(until)` to say when the next attempt is due.
- A worker that dies leaves its lease behind; once it expires another worker claims the row. A
  handler whose effect cannot be rolled back (a gateway call) marks the row `started` just before
  it, so the next attempt knows whether the effect may have happened (`Delivery.in_doubt`) and can
  ask the gateway to deduplicate instead of sending twice.
- A `transactional` handler (the default) runs in one transaction with the row's "done" mark, so
  its database effects happen exactly once.

`outbox_deliver_now(entry_id)` lets the process that wrote a row try it right after the commit
(the portal's login code must arrive within seconds); the worker is the safety net, and the lease
keeps the two from handling it together.
"""

from __future__ import annotations

import logging
import os
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from vafa.core.models import OutboxEntry

logger = logging.getLogger("vafa.outbox")

BACKOFF_BASE_SECONDS = 10
BACKOFF_CAP_SECONDS = 3600
DEFAULT_MAX_ATTEMPTS = 12  # about nine hours of retries with the backoff above
DEFAULT_LEASE_SECONDS = 120


@dataclass(frozen=True)
class OutboxHandler:
    name: str
    function: Callable[[Delivery], str | None]
    transactional: bool = True
    lease_seconds: int = DEFAULT_LEASE_SECONDS
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


_registry: dict[str, OutboxHandler] = {}


def outbox_handler(name: str, *, transactional: bool = True, lease_seconds: int = DEFAULT_LEASE_SECONDS,
                   max_attempts: int = DEFAULT_MAX_ATTEMPTS):
    """Register the function that handles the outbox rows of `name`. It gets a `Delivery` and may
    answer a note kept on the row; raising makes the row retry."""

    def register(function: Callable[[Delivery], str | None]):
        _registry[name] = OutboxHandler(name, function, transactional, lease_seconds, max_attempts)
        return function

    return register


def registered_handlers() -> dict[str, OutboxHandler]:
    return dict(_registry)


def outbox_enqueue(*, handler: str, type: str, payload: dict[str, Any], available_at: datetime | None = None,
                   sensitive: bool = False) -> OutboxEntry:
    """Write one row for `handler` in the caller's transaction. `sensitive`: the payload holds a
    secret (a login code) that is wiped once handled."""
    now = timezone.now()
    return OutboxEntry.objects.create(type=type, handler=handler, payload=payload, created_at=now,
                                      available_at=available_at or now, sensitive=sensitive)


def outbox_enqueue_many(rows: list[tuple[str, str, dict[str, Any], datetime]]) -> list[OutboxEntry]:
    """Write many rows at once (handler, type, payload, available_at), in the caller's
    transaction: a campaign's chunk of messages."""
    now = timezone.now()
    return OutboxEntry.objects.bulk_create([
        OutboxEntry(type=type_, handler=handler, payload=payload, created_at=now, available_at=at)
        for handler, type_, payload, at in rows])


def worker_name(role: str = "worker") -> str:
    return f"{role}:{socket.gethostname()}:{os.getpid()}"[:100]


@dataclass
class Delivery:
    """One attempt at one row, as its handler sees it."""

    entry: OutboxEntry
    by: str
    now: datetime
    in_doubt: bool = False  # an earlier attempt reached its point of no return and never reported back
    _started: bool = field(default=False, repr=False)

    @property
    def payload(self) -> dict[str, Any]:
        return self.entry.payload

    def point_of_no_return(self) -> None:
        """Say (committed at once) that the effect is about to leave the process, so that a crash
        from here on makes the next attempt `in_doubt`."""
        if self._started:
            return
        OutboxEntry.objects.filter(pk=self.entry.pk, claimed_by=self.by).update(started_at=timezone.now())
        self._started = True


def _backoff(attempts: int) -> timedelta:
    """Exponential, capped, with jitter (a half to the whole of the step), so that rows failing
    together do not come back together."""
    step = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=step * random.uniform(0.5, 1.0))


def _due(now: datetime):
    return OutboxEntry.objects.filter(done_at__isnull=True, available_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def _claim(ids: list[int], *, by: str, now: datetime) -> list[OutboxEntry]:
    """Take the lease of these rows (those still free), answering the rows taken. The lease is
    the longest a handler of the row may need."""
    leases = {}
    for entry in OutboxEntry.objects.filter(pk__in=ids).only("id", "handler"):
        registered = _registry.get(entry.handler)
        leases[entry.pk] = registered.lease_seconds if registered else DEFAULT_LEASE_SECONDS
    taken = []
    for entry_id in ids:
        previous = _due(now).filter(pk=entry_id).values_list("claimed_by", "started_at", "in_doubt").first()
        if previous is None:
            continue
        holder, started_at, in_doubt = previous
        # In doubt: an earlier attempt ended uncertain, or its holder vanished after its point of
        # no return (a holder that fails cleanly releases the row).
        claimed = _due(now).filter(pk=entry_id).update(
            claimed_by=by, claimed_until=now + timedelta(seconds=leases.get(entry_id, DEFAULT_LEASE_SECONDS)),
            attempts=F("attempts") + 1, in_doubt=bool(in_doubt or (holder and started_at)), started_at=None)
        if claimed:
            taken.append(entry_id)
    return list(OutboxEntry.objects.filter(pk__in=taken).order_by("available_at", "id"))


def outbox_claim(*, by: str, now: datetime | None = None, limit: int = 50) -> list[OutboxEntry]:
    """Claim up to `limit` due rows, oldest first, in one short transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        due = _due(now).order_by("available_at", "id")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:limit])
        return _claim(ids, by=by, now=now)


def _finish(entry: OutboxEntry, *, by: str, now: datetime, note: str | None) -> None:
    changes: dict[str, Any] = {"done_at": now, "handled_by": by, "claimed_until": None, "last_error": "",
                               "note": (note or "")[:255]}
    if entry.sensitive:
        changes["payload"] = {key: ("[wiped]" if key in entry.payload.get("secret_keys", ()) else value)
                              for key, value in entry.payload.items()}
    OutboxEntry.objects.filter(pk=entry.pk, claimed_by=by).update(**changes)


class GiveUp(Exception):
    """Raised by a handler when trying again cannot help (the gateway refused the number): the
    row is given up at once, its error kept."""


class RetryAt(Exception):
    """Raised by a handler that keeps its own retry schedule (webhooks: minutes, then hours, and a
    receiver's `Retry-After`): the attempt counts as a failure, its error kept, and the row comes
    back at `until` instead of after the outbox's own backoff. `max_attempts` still ends it."""

    def __init__(self, until: datetime, why: str = ""):
        super().__init__(why or f"retry at {until.isoformat()}")
        self.until = until


class Postpone(Exception):
    """Raised by a handler whose row is not due yet after all (a marketing message outside the
    sending window): the row comes back at `until`, the attempt not counted."""

    def __init__(self, until: datetime, why: str = ""):
        super().__init__(why or f"postponed until {until.isoformat()}")
        self.until = until


class OutcomeUnknown(Exception):
    """Raised by a handler whose effect may or may not have happened (a gateway that did not
    answer in time): the next attempt is `in_doubt`."""


def _postpone(entry: OutboxEntry, postpone: Postpone, *, by: str) -> None:
    OutboxEntry.objects.filter(pk=entry.pk, claimed_by=by).update(
        claimed_by="", claimed_until=None, available_at=postpone.until, attempts=F("attempts") - 1,
        note=str(postpone)[:255])


def _fail(entry: OutboxEntry, error: BaseException, *, by: str, now: datetime, max_attempts: int) -> None:
    message = f"{type(error).__name__}: {error}"[:2000]
    changes: dict[str, Any] = {"last_error": message, "claimed_by": "", "claimed_until": None,
                               "in_doubt": isinstance(error, OutcomeUnknown) or entry.in_doubt}
    if isinstance(error, GiveUp) or entry.attempts >= max_attempts:
        changes.update(done_at=now, gave_up=True)
        logger.error("outbox %s (%s) given up after %d attempts: %s", entry.pk, entry.handler, entry.attempts,
                     message)
    else:
        changes["available_at"] = error.until if isinstance(error, RetryAt) else now + _backoff(entry.attempts)
        logger.warning("outbox %s (%s) attempt %d failed: %s", entry.pk, entry.handler, entry.attempts, message)
    OutboxEntry.objects.filter(pk=entry.pk, claimed_by=by).update(**changes)


def outbox_handle(entry: OutboxEntry, *, by: str, now: datetime | None = None) -> bool:
    """Run the handler of a row this process has claimed; answers whether it succeeded."""
    now = now or timezone.now()
    registered = _registry.get(entry.handler)
    if registered is None:
        _fail(entry, LookupError(f"no outbox handler named {entry.handler!r}"), by=by, now=now,
              max_attempts=DEFAULT_MAX_ATTEMPTS)
        return False
    delivery = Delivery(entry=entry, by=by, now=now, in_doubt=entry.in_doubt)
    try:
        if registered.transactional:
            with transaction.atomic():
                note = registered.function(delivery)
                _finish(entry, by=by, now=now, note=note)
        else:
            note = registered.function(delivery)
            _finish(entry, by=by, now=now, note=note)
    except Postpone as postpone:
        _postpone(entry, postpone, by=by)
        return True
    except Exception as error:  # a handler's failure is the row's to retry, never the worker's to die of
        _fail(entry, error, by=by, now=now, max_attempts=registered.max_attempts)
        return False
    return True


def outbox_run_due(*, now: datetime | None = None, by: str | None = None, limit: int = 50) -> dict[str, int]:
    """Claim and handle due rows until none is left (or `limit` per batch, batch after batch)."""
    by = by or worker_name()
    counts = {"handled": 0, "failed": 0}
    while True:
        entries = outbox_claim(by=by, now=now, limit=limit)
        if not entries:
            return counts
        for entry in entries:
            if outbox_handle(entry, by=by, now=now):
                counts["handled"] += 1
            else:
                counts["failed"] += 1


def outbox_deliver_now(entry_id: int, *, by: str | None = None) -> bool:
    """Try one row at once (after the commit that wrote it); the worker retries what fails here.
    Never raises: the caller's work is done and committed."""
    by = by or worker_name("web")
    now = timezone.now()
    try:
        with transaction.atomic():
            entries = _claim([entry_id], by=by, now=now)
        return bool(entries) and outbox_handle(entries[0], by=by, now=now)
    except Exception:  # the worker will try again; the page must not fail for it
        logger.exception("outbox %s could not be tried at once", entry_id)
        return False
