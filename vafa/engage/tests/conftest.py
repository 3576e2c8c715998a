"""Set-up for the engagement tests: purchases in the past, the worker's tick, the SMS lines sent."""

import json
from datetime import datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone

from vafa.core.jalali import TEHRAN

_ids = count(1)


@pytest.fixture
def buy(merchant):
    """buy(member, amount, days_ago=0, skus=(), category="", now=None): a purchase that long ago."""
    from vafa.commerce.inputs import ItemIn
    from vafa.commerce.services import purchase_record

    def make(member, amount, days_ago=0.0, *, skus=(), category="", now=None):
        at = (now or timezone.now()) - timedelta(days=days_ago)
        items = [ItemIn(sku=sku, quantity=1, unit_price=amount // max(len(skus), 1), category=category)
                 for sku in skus]
        return purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=amount, occurred_at=at,
                               items=items, external_id=f"t-{next(_ids)}")

    return make


def sent_lines(path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def tehran(year, month, day, hour=10, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TEHRAN)


def work(now: datetime) -> None:
    """One worker tick as of `now`: the ticks (campaigns, automations), then the outbox."""
    from vafa.core.jobs import tick_run
    from vafa.core.outbox import outbox_run_due

    tick_run(now)
    outbox_run_due(now=now, by="test")
