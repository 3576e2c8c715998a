"""Delivery at its edges: odd Retry-After values, a host the resolver cannot encode, a message
never left pending when its attempts run out, a receiver answering a byte at a time, and the
signature checked with the Standard Webhooks reference library (standardwebhooks, a dev
dependency)."""

import json
import socket
import threading
import time
from datetime import timedelta

import pytest
import standardwebhooks
from django.utils import timezone

from vafa.core.models import OutboxEntry
from vafa.core.outbox import outbox_run_due
from vafa.webhooks import delivery
from vafa.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from vafa.webhooks.selectors import enabled_endpoints
from vafa.webhooks.services import new_secret
from vafa.webhooks.tests.test_webhooks import buy, endpoint_for

pytestmark = pytest.mark.django_db


def _entry():
    return OutboxEntry.objects.get(handler="webhooks.deliver")


@pytest.mark.parametrize("value", [
    "Wed, 21 Oct 2099 07:28:00 -0000",  # RFC 5322 "-0000": parsedate_to_datetime answers a naive datetime
    "99999999999999999999",  # absurd seconds: timedelta overflows
    "\u00b2",  # str.isdigit() is True, int() refuses it
])
def test_an_odd_retry_after_is_capped_not_a_crash(merchant, member, receiver, value):
    endpoint_for(merchant, receiver.url)
    buy(member, merchant)
    receiver.answers = [(503, {"Retry-After": value})]
    now = timezone.now() + timedelta(seconds=1)
    outbox_run_due(now=now)
    entry = _entry()
    # The handler's own decision (RetryAt): at most a day later, the error the receiver's answer.
    assert entry.last_error.startswith("RetryAt: HTTP 503"), entry.last_error
    assert now + timedelta(seconds=5) <= entry.available_at <= now + timedelta(days=1)


LONG_LABEL_URL = "https://" + "a" * 64 + ".example.com/hook"  # a DNS label of 64 characters


def long_label_endpoint(merchant):
    """Made directly (as if kept from before the input refused such a URL): delivery must cope."""
    endpoint = WebhookEndpoint.objects.create(merchant=merchant, url=LONG_LABEL_URL, events=["purchase.recorded"],
                                              secret=new_secret())
    enabled_endpoints.clear()
    return endpoint


def test_a_host_with_a_label_too_long_is_an_attempt_logged_not_a_crash(merchant, member):
    endpoint = long_label_endpoint(merchant)
    buy(member, merchant)
    now = timezone.now() + timedelta(seconds=1)
    outbox_run_due(now=now)
    entry = _entry()
    # the handler's own decision (an attempt that failed, retried on the schedule), not a crash
    assert entry.last_error.startswith("RetryAt: UnicodeError"), entry.last_error
    assert WebhookAttempt.objects.filter(endpoint=endpoint).count() == 1  # the deliveries log shows it


def test_a_message_is_never_left_pending_once_its_outbox_row_is_given_up(merchant, member):
    long_label_endpoint(merchant)
    buy(member, merchant)
    now = timezone.now() + timedelta(seconds=1)
    for _ in range(15):
        outbox_run_due(now=now)
        entry = _entry()
        if entry.done_at or entry.gave_up:
            break
        now = entry.available_at
    entry = _entry()
    assert entry.done_at or entry.gave_up
    assert WebhookMessage.objects.get().status == "failed"  # not "pending" for ever


def test_a_slow_receiver_cannot_hold_the_worker_past_the_timeout(monkeypatch):
    """A receiver sending its answer one byte at a time never trips a per-read timeout; the POST
    needs an overall deadline, or a worker is held past its 60 s lease (and another sends again)."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 1)
    from django.conf import settings
    monkeypatch.setattr(settings, "WEBHOOKS_ALLOW_PRIVATE", True)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    stop = threading.Event()

    def drip():
        conn, _ = server.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not stop.is_set():
            try:
                conn.sendall(b"a")
            except OSError:
                break
            time.sleep(0.3)
        conn.close()

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        # stop dripping after 8 s at most, so the test ends either way
        threading.Timer(8, stop.set).start()
        delivery.post(f"http://127.0.0.1:{port}/hook", b"{}", {})
        took = time.monotonic() - started
    finally:
        stop.set()
        server.close()
    assert took < 4, f"the POST took {took:.1f} s with a 1 s timeout"


def test_a_delivery_verifies_with_the_reference_library_and_retries_keep_the_id(merchant, member, receiver):
    endpoint = endpoint_for(merchant, receiver.url)
    buy(member, merchant)
    receiver.answers = [(500, {}), (200, {})]
    outbox_run_due(now=timezone.now())
    outbox_run_due(now=_entry().available_at)  # 5 s later: inside the library's 5-minute tolerance
    assert len(receiver.got) == 2
    hook = standardwebhooks.Webhook(endpoint.secret)
    for headers, body in receiver.got:
        signed = {k: headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
        assert hook.verify(body, signed)["type"] == "purchase.recorded"
    assert receiver.got[0][0]["webhook-id"] == receiver.got[1][0]["webhook-id"]
    assert json.loads(receiver.got[0][1]) == json.loads(receiver.got[1][1])
