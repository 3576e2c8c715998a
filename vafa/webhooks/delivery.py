"""Delivery of one webhook message (the outbox handler `webhooks.deliver`): a signed POST of the
stored body, every attempt logged, retried on Standard Webhooks' schedule for about three days.

Signature: `v1,` + base64 of HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, keyed by
the base64-decoded part of the secret after `whsec_`; during a rotation's overlap a second `v1,`
value signed with the previous secret follows, space-separated."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import http.client
import ipaddress
import json
import random
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from vafa.core.outbox import Delivery, GiveUp, RetryAt, outbox_handler
from vafa.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from vafa.webhooks.services import DELIVER, SECRET_PREFIX, webhook_disable

TIMEOUT_SECONDS = 10  # each wait (connect, each read); the whole POST gets half as long again
USER_AGENT = "Vafa-Webhooks/1"
# Seconds before attempt 2, 3, ... (the first is at once): about three days in all.
SCHEDULE = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600)
DISABLE_AFTER = timedelta(days=3)  # of continuous failure
RETRY_AFTER_STATUSES = {429, 502, 503, 504}
RETRY_AFTER_MOST = timedelta(days=1)


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signatures(endpoint: WebhookEndpoint, message_id: str, timestamp: int, body: bytes, now: datetime) -> str:
    values = [sign(endpoint.secret, message_id, timestamp, body)]
    if endpoint.previous_secret and endpoint.previous_until and now < endpoint.previous_until:
        values.append(sign(endpoint.previous_secret, message_id, timestamp, body))
    return " ".join(values)


class Refused(Exception):
    """The URL leads to an address webhooks may not call."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback)


def resolve(host: str, port: int) -> str:
    """One address to connect to; every address of the host must be public (a host with one
    private address could be made to use it), unless private receivers are allowed."""
    try:
        addresses = list(dict.fromkeys(info[4][0] for info in
                                       socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))
    except socket.gaierror as error:
        raise OSError(f"cannot resolve {host}: {error}") from error
    if not settings.WEBHOOKS_ALLOW_PRIVATE and not all(_public(a) for a in addresses):
        raise Refused(f"{host} resolves to a private or reserved address")
    return addresses[0]


class _Pinned(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to next."""

    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address, self._tls = address, ssl.create_default_context()

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


@dataclass
class Answer:
    status_code: int | None
    text: str = ""
    error: str = ""
    retry_after: str | None = None


def _cut(connection: http.client.HTTPConnection, fired: threading.Event) -> None:
    """The deadline passed: the socket shut, so the read waiting on it ends with an error."""
    fired.set()
    try:
        if connection.sock is not None:
            connection.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """One POST, no redirect followed (http.client never follows one), within a deadline for the
    whole exchange: a receiver answering a byte at a time never trips a per-read timeout, and
    must not hold the worker."""
    parts = urlsplit(url)
    tls = parts.scheme == "https"
    fired = threading.Event()
    try:
        port = parts.port or (443 if tls else 80)
        address = resolve(parts.hostname or "", port)
        connection = (_PinnedTLS if tls else _Pinned)(parts.hostname, port, address, timeout=TIMEOUT_SECONDS)
        deadline = threading.Timer(TIMEOUT_SECONDS * 1.5, _cut, args=(connection, fired))
        deadline.start()
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read(2000).decode("utf-8", "replace")[:500]
            return Answer(response.status, text, retry_after=response.getheader("Retry-After"))
        finally:
            deadline.cancel()
            connection.close()
    except Refused as error:
        return Answer(None, error=str(error))
    except (OSError, http.client.HTTPException, ValueError) as error:
        # ValueError: a host the resolver cannot encode (a label over 63 characters), a bad port
        if fired.is_set():
            return Answer(None, error=f"no answer within {TIMEOUT_SECONDS * 1.5:g} s")
        return Answer(None, error=f"{type(error).__name__}: {error}"[:500])


def retry_after(value: str | None, now: datetime) -> datetime | None:
    """`Retry-After` as seconds or an HTTP date, at most RETRY_AFTER_MOST ahead; None when it is
    neither."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return now + min(timedelta(seconds=min(int(value), 10**9)), RETRY_AFTER_MOST)
    try:
        at = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if at.tzinfo is None:  # "-0000": UTC, its source unknown (RFC 5322)
        at = at.replace(tzinfo=UTC)
    return min(at, now + RETRY_AFTER_MOST)


def next_attempt(attempts: int, now: datetime, answer: Answer) -> datetime:
    """When to try again after `attempts` failed attempts: the schedule's step, a tenth longer at
    most (so endpoints failing together do not come back together), or later if asked."""
    at = now + timedelta(seconds=SCHEDULE[attempts - 1] * random.uniform(1.0, 1.1))
    if answer.status_code in RETRY_AFTER_STATUSES:
        asked = retry_after(answer.retry_after, now)
        if asked is not None and asked > at:
            at = asked
    return at


def _failed(message: WebhookMessage, why: str) -> str:
    WebhookMessage.objects.filter(pk=message.pk).update(status=WebhookMessage.Status.FAILED)
    return why


# The lease covers a whole claimed batch of slow receivers (each POST ends by its deadline), so
# no other worker takes a row while this one is still on it.
@outbox_handler(DELIVER, transactional=False, lease_seconds=900, max_attempts=len(SCHEDULE) + 1)
def deliver(delivery: Delivery) -> str | None:
    message = WebhookMessage.objects.select_related("endpoint").get(pk=delivery.payload["message_id"])
    if message.status != WebhookMessage.Status.PENDING:
        return f"{message.status} before"  # delivered, or failed (a replay makes it pending again)
    try:
        return _attempt(delivery, message)
    except (GiveUp, RetryAt):
        raise
    except Exception:
        # Whatever broke, the message does not stay pending once no attempt is left.
        if delivery.entry.attempts > len(SCHEDULE):
            _failed(message, "no attempt left")
        raise


def _attempt(delivery: Delivery, message: WebhookMessage) -> str:
    endpoint, now = message.endpoint, delivery.now
    if endpoint.status != WebhookEndpoint.Status.ENABLED or endpoint.deleted_at is not None:
        return _failed(message, "endpoint disabled")
    body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(now.timestamp())
    headers = {"webhook-id": message.public_id, "webhook-timestamp": str(timestamp),
               "webhook-signature": signatures(endpoint, message.public_id, timestamp, body, now),
               "content-type": "application/json", "user-agent": USER_AGENT}
    started = time.monotonic()
    answer = post(endpoint.url, body, headers)
    WebhookAttempt.objects.create(message=message, endpoint=endpoint, at=now, status_code=answer.status_code,
                                  duration_ms=int((time.monotonic() - started) * 1000), response=answer.text,
                                  error=answer.error)
    WebhookMessage.objects.filter(pk=message.pk).update(attempts=message.attempts + 1)
    code = answer.status_code
    if code is not None and 200 <= code < 300:
        WebhookMessage.objects.filter(pk=message.pk).update(status=WebhookMessage.Status.DELIVERED,
                                                            delivered_at=timezone.now())
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(failing_since=None)
        return f"delivered: {code}"
    if code == 410:
        webhook_disable(endpoint=endpoint, reason=WebhookEndpoint.DisabledReason.GONE)
        raise GiveUp(_failed(message, "410 Gone: endpoint disabled"))
    why = f"HTTP {code}" if code is not None else answer.error
    if endpoint.failing_since is None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    elif now - endpoint.failing_since >= DISABLE_AFTER:
        webhook_disable(endpoint=endpoint, reason=WebhookEndpoint.DisabledReason.FAILING)
        raise GiveUp(_failed(message, f"{why}; failing for three days: endpoint disabled"))
    if delivery.entry.attempts > len(SCHEDULE):
        raise GiveUp(_failed(message, f"{why}; no attempt left"))
    raise RetryAt(next_attempt(delivery.entry.attempts, now, answer), why)
