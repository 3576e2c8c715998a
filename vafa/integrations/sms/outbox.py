"""SMS through the outbox: the message is a row written in the transaction that decided it, and
this handler sends it after the commit (the web process right away when asked, the worker as the
safety net), exactly once as far as the gateway allows:

- the outbox entry's id is the message's key (`message_id` in the console file, `localid` at
  Kavenegar);
- an attempt marks its point of no return just before calling the gateway; an attempt after a
  crash past that point is `in_doubt`: it asks the backend whether the key was sent (the console
  file), or resends under the same key where the gateway deduplicates (Kavenegar), and otherwise
  does not send again (the row says why) rather than risk a second message;
- a gateway that may have taken the message without saying so (a timeout) makes the next attempt
  in doubt too; a refusal that will never change (an invalid number) gives up at once;
- a login code past its expiry is not sent at all, and its text is wiped once handled.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.utils.dateparse import parse_datetime

from vafa.core.outbox import Delivery, GiveUp, OutcomeUnknown, outbox_handler
from vafa.integrations.sms.base import SmsError, SmsMessage, SmsNotChosen, get_backend, sms_message

log = logging.getLogger("vafa.sms")

HANDLER = "sms.send"


@dataclass(frozen=True)
class SmsAttempt:
    gateway: str
    message_id: str  # the gateway's id ("" when an earlier attempt sent it)
    status: str
    already_sent: bool = False


def sms_attempt(delivery: Delivery, message: SmsMessage) -> SmsAttempt:
    """Send `message` (keyed) once as far as the gateway allows, for the outbox row `delivery`:
    an attempt in doubt asks the backend whether the key was sent, or resends where the gateway
    deduplicates, and otherwise gives up rather than risk a second message. Raises `GiveUp`,
    `OutcomeUnknown` or `SmsError` (to retry)."""
    try:
        backend = get_backend()
    except SmsNotChosen as error:
        log.error("SMS %s not sent: %s", message.key, error)
        raise GiveUp(str(error)) from None
    if delivery.in_doubt:
        sent = backend.was_sent(message.key, message.purpose)
        if sent:
            return SmsAttempt(backend.name, "", "sent", already_sent=True)
        if sent is None and not backend.deduplicates:
            raise GiveUp(f"an earlier attempt may have sent it and {backend.name} cannot tell: not sent again")
    delivery.point_of_no_return()
    try:
        result = backend.send(message)
    except SmsError as error:
        if error.may_have_sent:
            raise OutcomeUnknown(str(error)) from error
        if not error.retryable:
            raise GiveUp(str(error)) from error
        raise
    return SmsAttempt(backend.name, result.message_id, result.status)


@outbox_handler(HANDLER, transactional=False, lease_seconds=60, max_attempts=10)
def sms_outbox_send(delivery: Delivery) -> str:
    payload = delivery.payload
    expires_at = parse_datetime(payload["expires_at"]) if payload.get("expires_at") else None
    if expires_at is not None and delivery.now >= expires_at:
        return "not sent: expired before it could be sent"
    message = sms_message(to=payload["to"], text=payload["text"], key=str(delivery.entry.pk),
                          purpose=payload.get("purpose", ""))
    attempt = sms_attempt(delivery, message)
    if attempt.already_sent:
        return "already sent by an earlier attempt"
    return f"{attempt.gateway} {attempt.status} {attempt.message_id}"


def expires_iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
