"""A worker dying after its POST loses nothing: once its lease has expired the message is sent
again under the same webhook-id (at least once; the receiver keeps it once by that id)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from vafa.core.models import OutboxEntry
from vafa.core.outbox import outbox_claim, outbox_handle, outbox_run_due
from vafa.webhooks import delivery
from vafa.webhooks.models import WebhookMessage
from vafa.webhooks.tests.test_webhooks import buy, endpoint_for

pytestmark = pytest.mark.django_db


def test_a_worker_killed_after_its_post_loses_nothing_and_resends_the_same_id(merchant, member, receiver, monkeypatch):
    endpoint_for(merchant, receiver.url)
    buy(member, merchant)
    real_post = delivery.post

    def post_then_die(*args, **kwargs):
        real_post(*args, **kwargs)
        raise KeyboardInterrupt  # the worker is killed before it records the attempt

    monkeypatch.setattr(delivery, "post", post_then_die)
    now = timezone.now() + timedelta(seconds=1)
    [entry] = outbox_claim(by="dying", now=now, limit=10)
    with pytest.raises(KeyboardInterrupt):
        outbox_handle(entry, by="dying", now=now)
    monkeypatch.setattr(delivery, "post", real_post)
    outbox_run_due(now=now + timedelta(seconds=901))  # the lease (900 s) has expired
    assert len(receiver.got) == 2
    assert receiver.got[0][0]["webhook-id"] == receiver.got[1][0]["webhook-id"]
    assert WebhookMessage.objects.get().status == "delivered"
    assert OutboxEntry.objects.get(handler="webhooks.deliver").done_at is not None
