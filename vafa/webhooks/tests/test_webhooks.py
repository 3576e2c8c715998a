"""Outgoing webhooks against a real receiver on 127.0.0.1: signed deliveries retried on the
schedule under one webhook-id, the fan-out in the purchase's transaction, 410, rotation, the
private-address refusal, three days of failure, replay."""

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from vafa.commerce.services import purchase_record
from vafa.core.models import AuditEntry, OutboxEntry
from vafa.core.outbox import outbox_run_due
from vafa.merchants.services import merchant_create
from vafa.webhooks.inputs import EndpointInput
from vafa.webhooks.models import WebhookAttempt, WebhookMessage
from vafa.webhooks.services import webhook_create, webhook_replay, webhook_rotate_secret

pytestmark = pytest.mark.django_db


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """The receiver's check, as Standard Webhooks publishes it."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(value.removeprefix("v1,"), expected)
               for value in headers["webhook-signature"].split(" "))


def endpoint_for(merchant, url, events=("purchase.recorded",)):
    return webhook_create(merchant=merchant, data=EndpointInput(url=url, events=list(events)))


def buy(member, merchant, amount=100_000):
    return purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=amount)


def test_a_purchase_is_delivered_signed_retried_on_schedule_with_one_webhook_id(merchant, member, receiver):
    endpoint = endpoint_for(merchant, receiver.url)
    other = endpoint_for(merchant, receiver.url, events=("tier.changed",))  # not subscribed to purchases
    buy(member, merchant)
    message = WebhookMessage.objects.get()
    assert message.endpoint == endpoint and message.public_id.startswith("msg_") and len(message.public_id) == 30
    assert not WebhookMessage.objects.filter(endpoint=other).exists()
    receiver.answers = [(500, {}), (429, {"Retry-After": "3600"}), (200, {})]
    now = timezone.now() + timedelta(seconds=1)
    outbox_run_due(now=now)
    entry = OutboxEntry.objects.get(handler="webhooks.deliver")
    # 5 s after the first failure (a tenth of jitter at most)
    assert now + timedelta(seconds=5) <= entry.available_at <= now + timedelta(seconds=5.5)
    now = entry.available_at
    outbox_run_due(now=now)
    entry.refresh_from_db()
    assert entry.available_at == now + timedelta(seconds=3600)  # Retry-After is later than 5 min
    outbox_run_due(now=entry.available_at)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("delivered", 3)
    assert len(receiver.got) == 3 and len({h["webhook-id"] for h, _ in receiver.got}) == 1
    assert {b for _, b in receiver.got} == {receiver.got[0][1]}  # the same body each time
    for headers, body in receiver.got:
        assert verify(endpoint.secret, headers, body) and headers["content-type"] == "application/json"
        assert headers["webhook-id"] == message.public_id
    body = json.loads(receiver.got[0][1])
    assert body["type"] == "purchase.recorded" and body["data"]["member_id"] == member.pk
    assert [a.status_code for a in WebhookAttempt.objects.order_by("pk")] == [500, 429, 200]


def test_a_rolled_back_purchase_sends_nothing_and_each_endpoint_gets_one_message(merchant, member, receiver):
    endpoint_for(merchant, receiver.url)
    endpoint_for(merchant, receiver.url)
    partner = merchant_create(name="شریک")
    endpoint_for(partner, receiver.url)  # a partner sees only its own purchases
    with pytest.raises(RuntimeError), transaction.atomic():
        buy(member, merchant)
        raise RuntimeError("the sale was cancelled")
    assert not WebhookMessage.objects.exists() and not OutboxEntry.objects.filter(handler="webhooks.deliver").exists()
    buy(member, merchant)
    assert WebhookMessage.objects.count() == 2
    buy(member, partner)  # the operator's two and the partner's
    assert WebhookMessage.objects.count() == 5


def test_no_endpoint_no_query_for_the_webhooks(merchant, member, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    buy(member, merchant)  # warms the cache
    with CaptureQueriesContext(connection) as queries:
        buy(member, merchant)
    assert not [q for q in queries.captured_queries if "webhooks_" in q["sql"]]


def test_410_disables_the_endpoint_and_its_pending_messages_fail(merchant, member, receiver):
    endpoint = endpoint_for(merchant, receiver.url)
    buy(member, merchant)
    buy(member, merchant)
    receiver.answers = [(410, {})]
    outbox_run_due(now=timezone.now() + timedelta(seconds=1))
    endpoint.refresh_from_db()
    assert (endpoint.status, endpoint.disabled_reason) == ("disabled", "gone")
    assert set(WebhookMessage.objects.values_list("status", flat=True)) == {"failed"}
    assert len(receiver.got) == 1  # the second was not sent
    assert AuditEntry.objects.filter(action="webhooks.endpoint_disabled", target_id=str(endpoint.pk)).exists()
    buy(member, merchant)
    assert WebhookMessage.objects.count() == 2  # a disabled endpoint gets no more


def test_enabled_again_it_does_not_send_what_failed_when_it_was_disabled(merchant, member, receiver):
    from vafa.core.outbox import outbox_claim, outbox_handle
    from vafa.webhooks.services import webhook_enable

    endpoint = endpoint_for(merchant, receiver.url)
    buy(member, merchant)
    buy(member, merchant)
    receiver.answers = [(410, {})]
    now = timezone.now() + timedelta(seconds=1)
    [first] = outbox_claim(by="test", now=now, limit=1)
    outbox_handle(first, by="test", now=now)  # 410: disabled, the other message failed unsent
    webhook_enable(merchant=merchant, endpoint_id=str(endpoint.pk))
    outbox_run_due(now=now)
    assert len(receiver.got) == 1
    assert set(WebhookMessage.objects.values_list("status", flat=True)) == {"failed"}
    buy(member, merchant)  # what happens after it is enabled again is sent
    outbox_run_due(now=timezone.now() + timedelta(seconds=1))
    assert len(receiver.got) == 2 and WebhookMessage.objects.filter(status="delivered").count() == 1


def test_rotation_signs_with_both_secrets_during_the_overlap(merchant, member, receiver):
    endpoint = endpoint_for(merchant, receiver.url)
    old = endpoint.secret
    rotated = webhook_rotate_secret(merchant=merchant, endpoint_id=str(endpoint.pk))
    buy(member, merchant)
    outbox_run_due(now=timezone.now() + timedelta(seconds=1))
    headers, body = receiver.got[0]
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify(old, headers, body) and verify(rotated.secret, headers, body)
    buy(member, merchant)
    outbox_run_due(now=timezone.now() + timedelta(hours=25))
    headers, body = receiver.got[1]
    assert verify(rotated.secret, headers, body) and not verify(old, headers, body)


def test_a_private_address_is_refused_when_the_setting_is_off(merchant, member, receiver, settings):
    endpoint = endpoint_for(merchant, receiver.url.replace("http://", "https://"))
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    buy(member, merchant)
    outbox_run_due(now=timezone.now() + timedelta(seconds=1))
    attempt = WebhookAttempt.objects.get(endpoint=endpoint)
    assert attempt.status_code is None and "private" in attempt.error and not receiver.got


def test_three_days_of_failure_disable_the_endpoint_and_tell_its_owner(merchant, member, receiver):
    endpoint = endpoint_for(merchant, receiver.url)
    buy(member, merchant)
    receiver.answers = [(500, {})] * 20
    now = timezone.now() + timedelta(seconds=1)
    for _ in range(12):
        outbox_run_due(now=now)
        entry = OutboxEntry.objects.get(handler="webhooks.deliver")
        if entry.done_at:
            break
        now = entry.available_at
    endpoint.refresh_from_db()
    assert (endpoint.status, endpoint.disabled_reason) == ("disabled", "failing")
    assert now - endpoint.failing_since >= timedelta(days=3)
    assert WebhookMessage.objects.get().status == "failed"
    assert AuditEntry.objects.filter(action="webhooks.endpoint_disabled").count() == 1


def test_replay_sends_the_same_message_again(merchant, member, receiver):
    endpoint = endpoint_for(merchant, receiver.url)
    buy(member, merchant)
    outbox_run_due(now=timezone.now() + timedelta(seconds=1))
    message = WebhookMessage.objects.get()
    webhook_replay(merchant=merchant, endpoint_id=str(endpoint.pk), message_id=message.public_id)
    outbox_run_due(now=timezone.now() + timedelta(seconds=2))
    assert len(receiver.got) == 2 and receiver.got[0][0]["webhook-id"] == receiver.got[1][0]["webhook-id"]
    assert WebhookAttempt.objects.filter(message=message).count() == 2
