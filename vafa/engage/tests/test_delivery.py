"""Delivery reports (`deliveries_check`, the worker's "deliveries" tick) against a fake gateway:
the exact requests, batches of the gateway's size, only SMS sent by the configured gateway within
48 hours and not checked in the last 10 minutes, delivered / failed / blocked recorded, a blocked
number getting no more marketing (service still goes), gateway errors changing nothing until
the next try, and console messages never touched."""

import urllib.parse
from datetime import timedelta

import pytest

from vafa.core.jobs import tick_run
from vafa.engage import delivery
from vafa.engage.delivery import deliveries_check
from vafa.engage.messages import Draft, message_queue, messages_decide
from vafa.engage.models import BlockedNumber, Message
from vafa.engage.tests.conftest import tehran, work
from vafa.integrations.sms.kavenegar import KavenegarBackend
from vafa.integrations.tests.conftest import KEY, fake_gateway  # noqa: F401  (the fixture)
from vafa.members.models import Consent, ConsentChange

pytestmark = pytest.mark.django_db

NOW = tehran(2026, 12, 5, 12, 0)
STATUS_PATH = f"/v1/{KEY}/sms/status.json"


@pytest.fixture
def gateway(fake_gateway, settings):  # noqa: F811
    settings.SMS_BACKEND = "kavenegar"
    return fake_gateway


@pytest.fixture
def fan(member_factory):
    return member_factory(phone="09121234567", consents={"sms": True})


def kavenegar_sent(messageid):
    return {"return": {"status": 200, "message": "تایید شد"},
            "entries": [{"messageid": messageid, "message": "...", "status": 1, "statustext": "در صف ارسال",
                         "sender": "30001234", "receptor": "09121234567", "date": 1356619709, "cost": 120}]}


def kavenegar_status(*entries):
    return {"return": {"status": 200, "message": "تایید شد"},
            "entries": [{"messageid": int(mid), "status": status, "statustext": "..."} for mid, status in entries]}


def asked(request) -> list[str]:
    """The ids a Kavenegar status request asked about."""
    assert (request.method, request.path) == ("POST", STATUS_PATH)
    body = urllib.parse.parse_qs(request.body.decode("ascii"), strict_parsing=True)
    assert list(body) == ["messageid"]
    return body["messageid"][0].split(",")


def sent(member, gateway_id, *, ago=timedelta(hours=1), gateway="kavenegar", purpose="marketing", channel="sms",
         checked_ago=None) -> Message:
    at = NOW - ago
    return Message.objects.create(
        member=member, channel=channel, purpose=purpose, to=member.phone if channel == "sms" else "a@example.com",
        text="تخفیف ویژه", parts=1, status="sent", gateway=gateway, gateway_id=gateway_id, created_at=at, due_at=at,
        sent_at=at, status_checked_at=NOW - checked_ago if checked_ago is not None else None)


def state(message) -> tuple:
    message.refresh_from_db()
    return message.status, message.gateway_status, message.error, message.delivered_at


UNCHANGED = ("sent", "", "", None)


def test_a_blocked_number_gets_no_more_marketing_but_service_messages_still_go(gateway, fan):
    morning = tehran(2026, 12, 5, 10)
    message = messages_decide(drafts=[Draft(fan.pk, "تخفیف ویژه")], channel="sms", purpose="marketing",
                              now=morning)[0]
    gateway.answer(200, kavenegar_sent(8792343))
    work(morning)
    message.refresh_from_db()
    assert (message.status, message.gateway, message.gateway_id) == ("sent", "kavenegar", "8792343")
    changes = ConsentChange.objects.count()

    gateway.answer(200, kavenegar_status(("8792343", 14)))
    assert deliveries_check(morning + timedelta(minutes=3)) == 1

    assert len(gateway.requests) == 2 and asked(gateway.requests[1]) == ["8792343"]
    assert state(message) == ("failed", "14", "kavenegar: the number blocks advertising (status 14)", None)
    assert list(BlockedNumber.objects.values_list("phone", "gateway")) == [("+989121234567", "kavenegar")]
    # The block list only: the member's consent stays as they gave it.
    assert Consent.objects.get(member=fan, channel="sms").granted is True
    assert ConsentChange.objects.count() == changes

    tomorrow = morning + timedelta(days=1)
    later = messages_decide(drafts=[Draft(fan.pk, "حراج")], channel="sms", purpose="marketing", now=tomorrow)[0]
    assert (later.status, later.skip_reason) == ("skipped", "blocked_number")
    service = message_queue(member_id=fan.pk, channel="sms", purpose="service", text="رسید خرید", now=tomorrow)
    assert (service.status, service.skip_reason) == ("queued", "")


def test_delivered_and_failed_are_recorded_and_shown_by_the_api(gateway, fan, api):
    delivered, undelivered, cancelled = sent(fan, "101"), sent(fan, "102"), sent(fan, "103", purpose="service")
    gateway.answer(200, kavenegar_status(("101", 10), ("102", 11), ("103", 13)))

    assert deliveries_check(NOW) == 3

    assert asked(gateway.requests[0]) == ["101", "102", "103"]
    assert state(delivered) == ("delivered", "10", "", NOW)
    assert state(undelivered) == ("failed", "11", "kavenegar: not delivered (status 11)", None)
    assert state(cancelled) == ("failed", "13", "kavenegar: not delivered (status 13)", None)
    assert not BlockedNumber.objects.exists()
    items = api.get(f"/members/{fan.pk}/messages").json()["items"]
    assert [(m["id"], m["status"], m["gateway_status"]) for m in items] == [
        (cancelled.pk, "failed", "13"), (undelivered.pk, "failed", "11"), (delivered.pk, "delivered", "10")]
    assert items[2]["delivered_at"].startswith("2026-12-05T08:30:00")


def test_a_blocked_service_message_records_the_number_too(gateway, fan):
    receipt = sent(fan, "201", purpose="service")
    gateway.answer(200, kavenegar_status(("201", 14)))
    assert deliveries_check(NOW) == 1
    assert state(receipt) == ("failed", "14", "kavenegar: the number blocks advertising (status 14)", None)
    assert BlockedNumber.objects.get().phone == "+989121234567"


def test_more_than_500_messages_are_asked_in_two_requests(gateway, member_factory):
    member = member_factory()
    Message.objects.bulk_create([
        Message(member=member, channel="sms", purpose="marketing", to=member.phone, text="x", parts=1, status="sent",
                gateway="kavenegar", gateway_id=str(5000 + i), created_at=NOW - timedelta(hours=2),
                due_at=NOW - timedelta(hours=2), sent_at=NOW - timedelta(hours=2, seconds=-i)) for i in range(501)])
    gateway.answer(200, kavenegar_status(*((str(5000 + i), 10) for i in range(500))))
    gateway.answer(200, kavenegar_status(("5500", 11)))

    assert deliveries_check(NOW) == 501

    first, second = gateway.requests
    assert asked(first) == [str(5000 + i) for i in range(500)]  # the first sent first
    assert asked(second) == ["5500"]
    assert Message.objects.filter(status="delivered", gateway_status="10", delivered_at=NOW).count() == 500
    assert list(Message.objects.filter(status="failed").values_list("gateway_id", "gateway_status")) == [("5500", "11")]
    assert deliveries_check(NOW + timedelta(hours=1)) == 0 and len(gateway.requests) == 2


def test_a_tick_asks_a_bounded_number_of_batches_and_the_next_one_goes_on(gateway, fan, monkeypatch):
    monkeypatch.setattr(KavenegarBackend, "reports_batch", 1)
    monkeypatch.setattr(delivery, "BATCHES_PER_TICK", 2)
    first, second, third = sent(fan, "1", ago=timedelta(hours=3)), sent(fan, "2", ago=timedelta(hours=2)), \
        sent(fan, "3")
    for gateway_id in ("1", "2", "3"):
        gateway.answer(200, kavenegar_status((gateway_id, 10)))
    assert deliveries_check(NOW) == 2
    assert [asked(r) for r in gateway.requests] == [["1"], ["2"]]
    assert (state(first)[0], state(second)[0], state(third)[0]) == ("delivered", "delivered", "sent")
    assert deliveries_check(NOW) == 1
    assert asked(gateway.requests[2]) == ["3"] and state(third)[0] == "delivered"


def test_only_sms_of_this_gateway_sent_within_48_hours_and_not_just_now_are_asked(gateway, fan):
    inside = sent(fan, "301", ago=timedelta(hours=47, minutes=59))
    others = [
        sent(fan, "302", ago=timedelta(hours=48)),  # the gateway no longer knows it
        sent(fan, "303", ago=timedelta(minutes=1)),  # asked after its first two minutes
        sent(fan, "304", gateway="smsir"),  # sent before a switch of gateway: not this key's
        sent(fan, "305", gateway="console"),
        sent(fan, ""),  # an attempt after a crash found it sent: no id to ask about
        sent(fan, "", channel="email", gateway="email"),
        sent(fan, "306", checked_ago=timedelta(minutes=9)),  # asked a moment ago
    ]
    queued = message_queue(member_id=fan.pk, channel="sms", purpose="service", text="رسید", now=NOW)
    gateway.answer(200, kavenegar_status(("301", 10)))

    assert deliveries_check(NOW) == 1

    [request] = gateway.requests
    assert asked(request) == ["301"]
    assert state(inside) == ("delivered", "10", "", NOW)
    assert [state(m) for m in others] == [UNCHANGED] * len(others)
    assert state(queued) == ("queued", "", "", None)


def test_a_message_still_on_its_way_is_asked_again_after_ten_minutes(gateway, fan):
    message = sent(fan, "401")
    gateway.answer(200, kavenegar_status(("401", 4)))
    assert deliveries_check(NOW) == 1
    assert state(message) == ("sent", "4", "", None)

    assert deliveries_check(NOW + timedelta(minutes=9, seconds=59)) == 0
    assert len(gateway.requests) == 1

    gateway.answer(200, kavenegar_status(("401", 10)))
    assert deliveries_check(NOW + timedelta(minutes=10)) == 1
    assert asked(gateway.requests[1]) == ["401"]
    assert state(message) == ("delivered", "10", "", NOW + timedelta(minutes=10))


def test_a_verdict_is_never_asked_about_or_undone(gateway, fan):
    message = sent(fan, "501")
    gateway.answer(200, kavenegar_status(("501", 10)))
    deliveries_check(NOW)
    assert deliveries_check(NOW + timedelta(hours=1)) == 0
    assert len(gateway.requests) == 1 and state(message) == ("delivered", "10", "", NOW)


@pytest.mark.parametrize("trouble", ["http 500", "timeout", "refused key"])
def test_a_gateway_error_changes_nothing_and_is_tried_again_later(gateway, fan, settings, caplog, trouble):
    message = sent(fan, "601")
    if trouble == "http 500":
        gateway.answer(500, b"<html>Internal Server Error</html>")
    elif trouble == "timeout":
        settings.SMS_TIMEOUT = 0.3
        gateway.answer(200, kavenegar_status(("601", 10)), delay=1.5)
    else:
        gateway.answer(403, {"return": {"status": 403, "message": "کلید نامعتبر"}, "entries": None})

    assert deliveries_check(NOW) == 0

    assert state(message) == UNCHANGED
    assert "Delivery reports of 1 messages not fetched" in caplog.text and KEY not in caplog.text
    assert deliveries_check(NOW + timedelta(minutes=1)) == 0  # not at once: the gateway gets a rest
    assert len(gateway.requests) == 1
    gateway.answer(200, kavenegar_status(("601", 10)))
    assert deliveries_check(NOW + timedelta(minutes=10)) == 1
    assert state(message) == ("delivered", "10", "", NOW + timedelta(minutes=10))


def test_smsir_is_asked_message_by_message(gateway, fan, settings):
    settings.SMS_BACKEND = "smsir"
    first, second = sent(fan, "89545112", gateway="smsir", ago=timedelta(hours=2)), \
        sent(fan, "89545113", gateway="smsir")
    for message_id, delivery_state in ((89545112, 1), (89545113, 7)):
        gateway.answer(200, {"status": 1, "message": "موفق", "data": {
            "messageId": message_id, "mobile": 9121234567, "messageText": "...", "sendDateTime": 1628683626,
            "lineNumber": 30001234, "cost": 1.0, "deliveryState": delivery_state, "deliveryDateTime": None}})

    assert deliveries_check(NOW) == 2

    assert [(r.method, r.path, r.headers["x-api-key"]) for r in gateway.requests] == [
        ("GET", "/v1/send/89545112", KEY), ("GET", "/v1/send/89545113", KEY)]
    assert state(first) == ("delivered", "1", "", NOW)
    assert state(second) == ("failed", "7", "smsir: the number blocks advertising (status 7)", None)
    assert list(BlockedNumber.objects.values_list("phone", "gateway")) == [("+989121234567", "smsir")]


def test_ghasedak_12_and_15_block_the_number(gateway, member_factory, settings):
    settings.SMS_BACKEND = "ghasedak"
    one, two = member_factory(phone="09121111111"), member_factory(phone="09122222222")
    first, second = sent(one, "7001", gateway="ghasedak", ago=timedelta(hours=2)), sent(two, "7002", gateway="ghasedak")
    gateway.answer(200, {"isSuccess": True, "statusCode": 200, "message": "موفق", "data": [
        {"messageId": "7001", "status": 12}, {"messageId": "7002", "status": 15}]})

    assert deliveries_check(NOW) == 2

    [request] = gateway.requests
    assert (request.method, request.path, request.headers["apikey"]) == (
        "GET", "/Rest/api/v1/WebService/CheckSmsStatus?Type=1&Ids=7001&Ids=7002", KEY)
    assert state(first) == ("failed", "12", "ghasedak: the number blocks advertising (status 12)", None)
    assert state(second) == ("failed", "15", "ghasedak: the number blocks advertising (status 15)", None)
    assert sorted(BlockedNumber.objects.values_list("phone", "gateway")) == [
        ("+989121111111", "ghasedak"), ("+989122222222", "ghasedak")]


def test_console_messages_never_change(sms_file, fan):
    morning = tehran(2026, 12, 5, 10)
    message = messages_decide(drafts=[Draft(fan.pk, "تخفیف ویژه")], channel="sms", purpose="marketing",
                              now=morning)[0]
    work(morning)
    message.refresh_from_db()
    assert (message.status, message.gateway) == ("sent", "console")
    for hours in (1, 2, 47):
        assert deliveries_check(morning + timedelta(hours=hours)) == 0
    message.refresh_from_db()
    assert (message.status, message.gateway_status, message.delivered_at, message.status_checked_at) == (
        "sent", "", None, None)


def test_the_worker_ticks_the_check(gateway, fan):
    message = sent(fan, "801")
    gateway.answer(200, kavenegar_status(("801", 10)))
    assert tick_run(NOW)["deliveries"] == 1  # (beside it, the insight rollups read what is new)
    assert state(message) == ("delivered", "10", "", NOW)
