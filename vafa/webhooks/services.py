"""Outgoing webhooks: endpoints kept per merchant, and the fan-out of events to them.

Each typed event below is mapped to its webhook type; in the transaction that decided it, every
enabled endpoint subscribed to the type and allowed to see it gets a `WebhookMessage` (its body
fixed there) and an outbox row for `webhooks.deliver` (vafa/webhooks/delivery.py). Who sees what:
an event naming a merchant goes to that merchant's endpoints and the operator's; one without a
merchant (a tier change, expired points) to the operator's only.

`data` is the event's own payload (ids and figures), less the member's national code, which a
partner may not read. `points.expiring` is not sent yet: nothing announces it as an event.
"""

from __future__ import annotations

import base64
import os
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from vafa.commerce.events import PurchaseRecorded, PurchaseRefunded, TierChanged
from vafa.core import events
from vafa.core.audit import audit_record
from vafa.core.events import Event
from vafa.core.idcache import cache_register
from vafa.core.outbox import outbox_enqueue
from vafa.engage.events import SurveyAnswered
from vafa.ledger.events import PointsExpired, PointsRedeemed
from vafa.members.events import ConsentChanged, MemberJoined, MemberUpdated
from vafa.merchants.models import Merchant
from vafa.merchants.services import operator_id
from vafa.referrals.events import ReferralCompleted
from vafa.rewards.events import RewardRedeemed
from vafa.webhooks.inputs import EndpointInput
from vafa.webhooks.models import WebhookEndpoint, WebhookMessage
from vafa.webhooks.selectors import enabled_endpoints, webhook_get, webhook_message_get

DELIVER = "webhooks.deliver"
SECRET_PREFIX = "whsec_"
ROTATION_OVERLAP = timedelta(hours=24)
# Each event type is its webhook type (their names were chosen so).
SENT_EVENTS: tuple[type[Event], ...] = (
    MemberJoined, MemberUpdated, ConsentChanged, PurchaseRecorded, PurchaseRefunded, TierChanged,
    PointsRedeemed, PointsExpired, RewardRedeemed, ReferralCompleted, SurveyAnswered)
_NOT_SENT_FIELDS = {"national_id"}
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

cache_register(enabled_endpoints)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    """`msg_` and a ULID (48 bits of milliseconds, 80 random): unique, and sorted by time."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "msg_" + "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def event_data(event: Event) -> dict[str, Any]:
    return {key: value for key, value in event.payload().items() if key not in _NOT_SENT_FIELDS}


def _endpoint_ids_for(event_type: str, merchant_id: int | None) -> list[int]:
    targets = enabled_endpoints.get()
    if not targets:
        return []
    allowed = {operator_id(), merchant_id} - {None}
    return [t.endpoint_id for t in targets if event_type in t.events and t.merchant_id in allowed]


def on_event(event: Event) -> None:
    """Fan the event out to its endpoints, in the deciding transaction."""
    endpoint_ids = _endpoint_ids_for(event.name, getattr(event, "merchant_id", None))
    if not endpoint_ids:
        return
    now = timezone.now()
    body = {"type": event.name, "timestamp": now.isoformat(), "data": event_data(event)}
    for endpoint_id in endpoint_ids:
        message = WebhookMessage.objects.create(public_id=new_message_id(), endpoint_id=endpoint_id,
                                                type=event.name, payload=body, created_at=now)
        outbox_enqueue(handler=DELIVER, type=f"webhook.{event.name}", payload={"message_id": message.pk})


def webhooks_subscribe() -> None:
    # Last in each event's transaction (order 90): the webhook says what the others decided.
    for event_type in SENT_EVENTS:
        events.subscribe(event_type, on_event, order=90)


def _changed() -> None:
    enabled_endpoints.changing()
    transaction.on_commit(enabled_endpoints.committed)


@transaction.atomic
def webhook_create(*, merchant: Merchant, data: EndpointInput) -> WebhookEndpoint:
    _changed()
    return WebhookEndpoint.objects.create(merchant=merchant, url=data.url, events=list(data.events),
                                          description=data.description, secret=new_secret())


@transaction.atomic
def webhook_delete(*, merchant: Merchant, endpoint_id: str) -> None:
    endpoint = webhook_get(merchant_id=merchant.pk, endpoint_id=endpoint_id)
    _changed()
    endpoint.deleted_at = timezone.now()
    endpoint.save(update_fields=["deleted_at"])
    _fail_pending(endpoint)


@transaction.atomic
def webhook_rotate_secret(*, merchant: Merchant, endpoint_id: str,
                          now: datetime | None = None) -> WebhookEndpoint:
    """A new secret; the old one still signs (a second signature) for ROTATION_OVERLAP, so the
    receiver can switch without losing a delivery."""
    endpoint = webhook_get(merchant_id=merchant.pk, endpoint_id=endpoint_id)
    endpoint.previous_secret, endpoint.secret = endpoint.secret, new_secret()
    endpoint.previous_until = (now or timezone.now()) + ROTATION_OVERLAP
    endpoint.save(update_fields=["secret", "previous_secret", "previous_until"])
    return endpoint


@transaction.atomic
def webhook_enable(*, merchant: Merchant, endpoint_id: str) -> WebhookEndpoint:
    endpoint = webhook_get(merchant_id=merchant.pk, endpoint_id=endpoint_id)
    _changed()
    endpoint.status, endpoint.disabled_reason, endpoint.failing_since = WebhookEndpoint.Status.ENABLED, "", None
    endpoint.save(update_fields=["status", "disabled_reason", "failing_since"])
    return endpoint


@transaction.atomic
def webhook_replay(*, merchant: Merchant, endpoint_id: str, message_id: str) -> WebhookMessage:
    """Send the message again: the same body and `webhook-id`, a new outbox row (so a new run of
    the retry schedule)."""
    endpoint = webhook_get(merchant_id=merchant.pk, endpoint_id=endpoint_id)
    message = webhook_message_get(endpoint=endpoint, message_id=message_id)
    message.status = WebhookMessage.Status.PENDING
    message.save(update_fields=["status"])
    outbox_enqueue(handler=DELIVER, type=f"webhook.{message.type}", payload={"message_id": message.pk})
    return message


def _fail_pending(endpoint: WebhookEndpoint) -> None:
    WebhookMessage.objects.filter(endpoint=endpoint, status=WebhookMessage.Status.PENDING).update(
        status=WebhookMessage.Status.FAILED)


@transaction.atomic
def webhook_disable(*, endpoint: WebhookEndpoint, reason: str) -> None:
    """Disable the endpoint (its pending messages failed, none sent) and tell its owner: an audit
    entry, which the staff's audit log shows with the merchant's endpoint."""
    _changed()
    updated = WebhookEndpoint.objects.filter(pk=endpoint.pk, status=WebhookEndpoint.Status.ENABLED).update(
        status=WebhookEndpoint.Status.DISABLED, disabled_reason=reason)
    _fail_pending(endpoint)
    if updated:
        audit_record(actor=None, action="webhooks.endpoint_disabled", target=endpoint,
                     target_label=f"{endpoint.merchant_id}: {endpoint.url}"[:200],
                     before={"status": WebhookEndpoint.Status.ENABLED},
                     after={"status": WebhookEndpoint.Status.DISABLED, "disabled_reason": reason,
                            "failing_since": endpoint.failing_since})
