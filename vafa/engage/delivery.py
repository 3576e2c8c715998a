"""Delivery reports: what became of the SMS messages a gateway took.

The worker asks the configured gateway (`deliveries_check`, every tick) about the messages it
sent within the last REPORTS_COVER (Kavenegar answers for 48 hours; later an id is unknown to
it): each FIRST_CHECK after it was sent (most are delivered by then) and again at most every
RECHECK while no verdict has come, in batches of the gateway's size. A batch is claimed in the
database (`status_checked_at`) before the gateway is asked, so two workers never ask about the
same message at once, and nothing is ever loaded but one batch.

A report moves a message on: `delivered` (with `delivered_at`, when Vafa learnt it), `failed`
(the error says what the gateway said), or, when the number blocks advertising, `failed` and
the number recorded (`number_blocks_advertising`): no marketing SMS goes to it again, service
messages still do, and the member's consent is left as it is (they did not withdraw it from
this club). Still on its way: only the gateway's status is kept. A gateway that cannot be asked
(no answer, 5xx, a refused key) changes nothing but the claim: the messages are asked about
again after RECHECK. Messages of another gateway (sent before a switch; the key at hand is not
theirs) and of the console backend, which reports nothing, stay `sent`.
"""

import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q

from vafa.engage.models import Channel, Message
from vafa.engage.services import number_blocks_advertising
from vafa.integrations.services import BLOCKED, DELIVERED, FAILED, DeliveryReport, SmsError, sms_reports_backend

log = logging.getLogger("vafa.engage.delivery")

REPORTS_COVER = timedelta(hours=48)
FIRST_CHECK = timedelta(minutes=2)
RECHECK = timedelta(minutes=10)
# A tick asks at most this many batches, so the outbox and the other ticks get their turn; the
# worker comes back at once while there is more (the tick answered how many it checked).
BATCHES_PER_TICK = 10


def _due(gateway: str, now: datetime):
    return (Message.objects.filter(channel=Channel.SMS, status=Message.Status.SENT, gateway=gateway,
                                   sent_at__gt=now - REPORTS_COVER, sent_at__lte=now - FIRST_CHECK)
            .exclude(gateway_id="")
            .filter(Q(status_checked_at__isnull=True) | Q(status_checked_at__lte=now - RECHECK)))


def _claim(gateway: str, now: datetime, size: int) -> list[tuple[int, str, str]]:
    """The next batch due for a check, as (id, gateway's id, number), marked checked at `now`."""
    with transaction.atomic():
        query = _due(gateway, now).order_by("sent_at", "pk")
        if connection.vendor == "postgresql":
            query = query.select_for_update(skip_locked=True)
        rows = list(query.values_list("pk", "gateway_id", "to")[:size])
        if rows:
            Message.objects.filter(pk__in=[row[0] for row in rows]).update(status_checked_at=now)
    return rows


def _error_text(gateway: str, state: str, raw_status: str) -> str:
    if state == BLOCKED:
        return f"{gateway}: the number blocks advertising (status {raw_status})"
    return f"{gateway}: not delivered (status {raw_status})"


def _apply(gateway: str, rows: list[tuple[int, str, str]], reports: list[DeliveryReport], now: datetime) -> None:
    by_id = {report.gateway_id: report for report in reports}
    groups: dict[tuple[str, str], list[int]] = {}  # (state, raw status) -> message ids
    blocked: set[str] = set()
    for pk, gateway_id, to in rows:
        report = by_id.get(gateway_id)
        if report is None:
            continue  # the gateway said nothing of it: asked again later
        groups.setdefault((report.state, report.raw_status), []).append(pk)
        if report.state == BLOCKED:
            blocked.add(to)
    with transaction.atomic():
        for (state, raw_status), ids in groups.items():
            # Only a message still `sent` moves: nothing undoes a verdict already recorded.
            still_sent = Message.objects.filter(pk__in=ids, status=Message.Status.SENT)
            if state == DELIVERED:
                still_sent.update(status=Message.Status.DELIVERED, delivered_at=now, gateway_status=raw_status,
                                  error="")
            elif state in (FAILED, BLOCKED):
                still_sent.update(status=Message.Status.FAILED, gateway_status=raw_status,
                                  error=_error_text(gateway, state, raw_status)[:255])
            else:
                still_sent.exclude(gateway_status=raw_status).update(gateway_status=raw_status)
        for phone in sorted(blocked):
            number_blocks_advertising(phone=phone, gateway=gateway)


def deliveries_check(now: datetime) -> int:
    """Ask the gateway about the sent SMS messages that are due for a check (see the module);
    answers how many it asked about."""
    backend = sms_reports_backend()
    if backend is None:
        return 0
    checked = 0
    for _ in range(BATCHES_PER_TICK):
        rows = _claim(backend.name, now, backend.reports_batch)
        if not rows:
            break
        try:
            reports = backend.delivery_reports([gateway_id for _, gateway_id, _ in rows])
        except SmsError as error:
            log.warning("Delivery reports of %d messages not fetched (%s); asked again in %d minutes",
                        len(rows), error, RECHECK.seconds // 60)
            break
        _apply(backend.name, rows, reports, now)
        checked += len(rows)
    return checked
