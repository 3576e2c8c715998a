"""What other apps may use of the integrations: sending an SMS or an e-mail through the
configured gateway, always by the outbox (written in the deciding transaction, sent after the
commit)."""

from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from vafa.core.models import OutboxEntry
from vafa.core.outbox import outbox_deliver_now, outbox_enqueue
from vafa.integrations.email import Email, email_attempt
from vafa.integrations.sms.base import (
    BLOCKED,
    DELIVERED,
    FAILED,
    PENDING,
    DeliveryReport,
    SmsBackend,
    SmsError,
    SmsMessage,
    get_backend,
    sms_message,
)
from vafa.integrations.sms.outbox import HANDLER, SmsAttempt, expires_iso, sms_attempt


def sms_queue(*, to: str, text: str, purpose: str, expires_at: datetime | None = None, secret: bool = False,
              send_at_once: bool = False) -> OutboxEntry:
    """Queue one SMS in the caller's transaction (checked now: `InvalidPhone`/`ValidationFailed`).
    `expires_at`: not worth sending after this (a login code); `secret`: the text is wiped once
    handled; `send_at_once`: this process tries it right after the commit (the worker retries)."""
    message = sms_message(to=to, text=text, purpose=purpose)
    payload = {"to": message.to, "text": message.text, "purpose": purpose, "expires_at": expires_iso(expires_at)}
    if secret:
        payload["secret_keys"] = ["text"]
    entry = outbox_enqueue(handler=HANDLER, type=f"sms.{purpose}", payload=payload, sensitive=secret)
    if send_at_once:
        transaction.on_commit(lambda: outbox_deliver_now(entry.pk))
    return entry


def sms_reports_backend() -> SmsBackend | None:
    """The configured SMS gateway when it gives delivery reports (`delivery_reports(ids)`, at most
    `reports_batch` ids a call, raising `SmsError` when it cannot be asked), else None: the console
    backend, or settings no gateway can run with (sending says why, loudly)."""
    try:
        backend = get_backend()
    except ImproperlyConfigured:
        return None
    return backend if backend.reports_batch > 0 else None


__all__ = ["BLOCKED", "DELIVERED", "FAILED", "PENDING", "DeliveryReport", "Email", "SmsAttempt", "SmsBackend",
           "SmsError", "SmsMessage", "email_attempt", "sms_attempt", "sms_message", "sms_queue",
           "sms_reports_backend"]
