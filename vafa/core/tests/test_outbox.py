"""The transactional outbox: a row is handled at least once, each handler takes effect once; a
failure retries with backoff and keeps its error; a lease keeps two handlers apart; a vanished
worker's row is taken over, knowing whether its effect may have happened."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from vafa.core import outbox
from vafa.core.models import AuditEntry, OutboxEntry
from vafa.core.outbox import (
    Delivery,
    GiveUp,
    OutcomeUnknown,
    RetryAt,
    outbox_claim,
    outbox_deliver_now,
    outbox_enqueue,
    outbox_handle,
    outbox_handler,
    outbox_run_due,
)

pytestmark = pytest.mark.django_db
calls: list[tuple[str, int, bool]] = []


@outbox_handler("test.record")
def _record(delivery: Delivery) -> str:
    # A database effect, committed with the row's "done" mark.
    AuditEntry.objects.create(action="test.record", target_id=str(delivery.entry.pk))
    calls.append(("record", delivery.entry.pk, delivery.in_doubt))
    return "recorded"


@outbox_handler("test.fail_then_record", max_attempts=3)
def _fail_then_record(delivery: Delivery) -> None:
    calls.append(("fail", delivery.entry.pk, delivery.in_doubt))
    AuditEntry.objects.create(action="test.partial", target_id=str(delivery.entry.pk))  # rolled back below
    if delivery.entry.attempts < 2:
        raise ConnectionError("the other side is down")


@outbox_handler("test.give_up")
def _give_up(delivery: Delivery) -> None:
    raise GiveUp("the number does not exist")


@outbox_handler("test.unknown_outcome", transactional=False)
def _unknown(delivery: Delivery) -> None:
    calls.append(("unknown", delivery.entry.pk, delivery.in_doubt))
    delivery.point_of_no_return()
    if delivery.entry.attempts == 1:
        raise OutcomeUnknown("the gateway did not answer in time")


@outbox_handler("test.retry_at", transactional=False, max_attempts=2)
def _retry_at(delivery: Delivery) -> None:
    calls.append(("retry_at", delivery.entry.pk, delivery.in_doubt))
    raise RetryAt(delivery.now + timedelta(hours=5), "the receiver asked for five hours")


@pytest.fixture(autouse=True)
def _clean_calls():
    calls.clear()


@pytest.fixture
def t0():
    """A moment just after the rows of the test are written."""
    return timezone.now() + timedelta(milliseconds=1)


def test_a_row_is_handled_once_and_says_by_whom(t0):
    entry = outbox_enqueue(handler="test.record", type="thing.happened", payload={"n": 1})
    assert outbox_run_due(by="worker:a", now=t0 + timedelta(seconds=1)) == {"handled": 1, "failed": 0}
    assert outbox_run_due(by="worker:b", now=t0 + timedelta(hours=1)) == {"handled": 0, "failed": 0}
    entry.refresh_from_db()
    assert (entry.attempts, entry.handled_by, entry.note, entry.last_error, entry.claimed_until) == (
        1, "worker:a", "recorded", "", None)
    assert entry.done_at == t0 + timedelta(seconds=1)
    assert AuditEntry.objects.filter(action="test.record").count() == 1 and calls == [("record", entry.pk, False)]


def test_a_failure_keeps_its_error_and_retries_after_a_growing_jittered_wait(t0):
    entry = outbox_enqueue(handler="test.fail_then_record", type="thing", payload={})
    now = t0 + timedelta(seconds=1)
    assert outbox_run_due(by="w", now=now) == {"handled": 0, "failed": 1}
    entry.refresh_from_db()
    assert (entry.attempts, entry.done_at, entry.claimed_by) == (1, None, "")
    assert entry.last_error == "ConnectionError: the other side is down"
    # the first wait is 5 to 10 seconds (half to all of 10 s); nothing of the attempt was kept
    assert now + timedelta(seconds=5) <= entry.available_at <= now + timedelta(seconds=10)
    assert not AuditEntry.objects.filter(action="test.partial").exists()
    assert outbox_run_due(by="w", now=now + timedelta(seconds=4)) == {"handled": 0, "failed": 0}  # not due yet
    assert outbox_run_due(by="w", now=now + timedelta(seconds=11)) == {"handled": 1, "failed": 0}
    entry.refresh_from_db()
    assert (entry.attempts, entry.last_error, entry.gave_up) == (2, "", False)
    assert AuditEntry.objects.filter(action="test.partial").count() == 1


def test_backoff_doubles_up_to_an_hour_with_jitter():
    for attempts, step in ((1, 10), (2, 20), (3, 40), (10, 3600), (30, 3600)):
        waits = {outbox._backoff(attempts).total_seconds() for _ in range(50)}
        assert all(step / 2 <= w <= step for w in waits)
        assert len(waits) > 1  # jittered


def test_a_row_that_keeps_failing_is_given_up_with_its_error_and_give_up_ends_at_once(t0):
    failing = outbox_enqueue(handler="test.fail_then_record", type="thing", payload={})
    OutboxEntry.objects.filter(pk=failing.pk).update(attempts=2)  # two earlier failures
    hopeless = outbox_enqueue(handler="test.give_up", type="thing", payload={})
    assert outbox_run_due(by="w", now=t0 + timedelta(seconds=1)) == {"handled": 1, "failed": 1}
    hopeless.refresh_from_db()
    assert (hopeless.gave_up, hopeless.attempts, hopeless.last_error) == (True, 1, "GiveUp: the number does not exist")
    assert hopeless.done_at is not None
    assert outbox_run_due(by="w", now=t0 + timedelta(days=1)) == {"handled": 0, "failed": 0}


def test_a_handler_with_its_own_schedule_says_when_to_retry_and_max_attempts_still_ends_it(t0):
    entry = outbox_enqueue(handler="test.retry_at", type="thing", payload={})
    now = t0 + timedelta(seconds=1)
    assert outbox_run_due(by="w", now=now) == {"handled": 0, "failed": 1}
    entry.refresh_from_db()
    # exactly when the handler said (no jitter of the outbox's own), the attempt counted, the error kept
    assert (entry.available_at, entry.attempts, entry.done_at) == (now + timedelta(hours=5), 1, None)
    assert entry.last_error == "RetryAt: the receiver asked for five hours"
    assert outbox_run_due(by="w", now=now + timedelta(hours=4)) == {"handled": 0, "failed": 0}
    assert outbox_run_due(by="w", now=now + timedelta(hours=5)) == {"handled": 0, "failed": 1}
    entry.refresh_from_db()
    assert (entry.attempts, entry.gave_up) == (2, True) and entry.done_at is not None
    assert len(calls) == 2


def test_an_unknown_handler_is_an_error_kept_on_the_row_not_a_crash(t0):
    entry = outbox_enqueue(handler="test.nobody", type="thing", payload={})
    assert outbox_run_due(by="w", now=t0 + timedelta(seconds=1)) == {"handled": 0, "failed": 1}
    entry.refresh_from_db()
    assert entry.last_error == "LookupError: no outbox handler named 'test.nobody'"


def test_a_leased_row_is_not_claimed_again_until_its_lease_ends(t0):
    entry = outbox_enqueue(handler="test.record", type="thing", payload={})
    [claimed] = outbox_claim(by="worker:a", now=t0 + timedelta(seconds=1))
    assert claimed.pk == entry.pk and claimed.claimed_by == "worker:a"
    assert outbox_claim(by="worker:b", now=t0 + timedelta(seconds=60)) == []  # within the 120 s lease
    assert outbox_deliver_now(entry.pk, by="web:c") is False  # the web process may not take it either
    # worker:a vanished before its effect: once the lease is over, worker:b takes over, not in doubt
    [taken] = outbox_claim(by="worker:b", now=t0 + timedelta(seconds=122))
    assert (taken.claimed_by, taken.attempts, taken.in_doubt) == ("worker:b", 2, False)
    assert outbox_handle(taken, by="worker:b", now=t0 + timedelta(seconds=122)) is True
    assert AuditEntry.objects.filter(action="test.record").count() == 1


def test_a_late_worker_cannot_mark_a_row_it_lost(t0):
    entry = outbox_enqueue(handler="test.record", type="thing", payload={})
    [stale] = outbox_claim(by="worker:a", now=t0 + timedelta(seconds=1))
    [fresh] = outbox_claim(by="worker:b", now=t0 + timedelta(seconds=200))
    assert outbox_handle(fresh, by="worker:b", now=t0 + timedelta(seconds=200)) is True
    outbox_handle(stale, by="worker:a", now=t0 + timedelta(seconds=201))  # its lease was taken over
    entry.refresh_from_db()
    assert entry.handled_by == "worker:b"


def test_a_worker_that_vanished_past_its_point_of_no_return_leaves_the_next_attempt_in_doubt(t0):
    entry = outbox_enqueue(handler="test.unknown_outcome", type="thing", payload={})
    [claimed] = outbox_claim(by="worker:a", now=t0 + timedelta(seconds=1))
    Delivery(entry=claimed, by="worker:a", now=t0).point_of_no_return()  # ... and then it died
    [taken] = outbox_claim(by="worker:b", now=t0 + timedelta(seconds=200))
    assert (taken.pk, taken.in_doubt, taken.started_at) == (entry.pk, True, None)


def test_an_unknown_outcome_makes_the_next_attempt_in_doubt(t0):
    entry = outbox_enqueue(handler="test.unknown_outcome", type="thing", payload={})
    assert outbox_run_due(by="w", now=t0 + timedelta(seconds=1)) == {"handled": 0, "failed": 1}
    assert outbox_run_due(by="w", now=t0 + timedelta(minutes=5)) == {"handled": 1, "failed": 0}
    assert calls == [("unknown", entry.pk, False), ("unknown", entry.pk, True)]


def test_deliver_now_handles_the_row_at_once_after_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        entry = outbox_enqueue(handler="test.record", type="thing", payload={})
        transaction.on_commit(lambda: outbox_deliver_now(entry.pk, by="web:x"))
    entry.refresh_from_db()
    assert (entry.handled_by, entry.attempts) == ("web:x", 1)
    assert outbox_run_due(by="w", now=timezone.now() + timedelta(hours=1)) == {"handled": 0, "failed": 0}


def test_a_secret_in_the_payload_is_wiped_once_handled(t0):
    entry = outbox_enqueue(handler="test.record", type="sms.login_code", sensitive=True,
                           payload={"to": "+989121234567", "text": "code 123456", "secret_keys": ["text"]})
    outbox_run_due(by="w", now=t0 + timedelta(seconds=1))
    entry.refresh_from_db()
    assert entry.payload == {"to": "+989121234567", "text": "[wiped]", "secret_keys": ["text"]}
