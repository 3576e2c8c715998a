"""Delivery reports from the gateways: the exact request each documents, every status mapped to
pending / delivered / failed / blocked, and a gateway that cannot answer raising `SmsError`."""

import urllib.parse

import pytest

from vafa.integrations.services import sms_reports_backend
from vafa.integrations.sms import DeliveryReport, SmsError, get_backend
from vafa.integrations.sms.console import ConsoleBackend
from vafa.integrations.sms.ghasedak import GhasedakBackend
from vafa.integrations.tests.conftest import KEY


def form(request) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(request.body.decode("ascii"), strict_parsing=True)


def backend_for(settings, name):
    settings.SMS_BACKEND = name
    return get_backend()


# --- Kavenegar ---------------------------------------------------------------------------------------


def kavenegar_status(*entries):
    return {"return": {"status": 200, "message": "تایید شد"},
            "entries": [{"messageid": mid, "status": status, "statustext": "..."} for mid, status in entries]}


def test_kavenegar_asks_for_the_ids_in_one_form_post_and_maps_every_status(fake_gateway, settings):
    kavenegar = backend_for(settings, "kavenegar")
    statuses = [1, 2, 4, 5, 10, 6, 11, 13, 14, 100, 3]
    fake_gateway.answer(200, kavenegar_status(*((8792300 + i, s) for i, s in enumerate(statuses))))

    reports = kavenegar.delivery_reports([str(8792300 + i) for i in range(len(statuses))])

    assert reports == [
        DeliveryReport("8792300", "pending", "1"),
        DeliveryReport("8792301", "pending", "2"),
        DeliveryReport("8792302", "pending", "4"),
        DeliveryReport("8792303", "pending", "5"),
        DeliveryReport("8792304", "delivered", "10"),
        DeliveryReport("8792305", "failed", "6"),
        DeliveryReport("8792306", "failed", "11"),
        DeliveryReport("8792307", "failed", "13"),
        DeliveryReport("8792308", "blocked", "14"),
        DeliveryReport("8792309", "pending", "100"),  # unknown id: no verdict
        DeliveryReport("8792310", "pending", "3"),  # a code not documented: no verdict either
    ]
    [request] = fake_gateway.requests
    assert (request.method, request.path) == ("POST", f"/v1/{KEY}/sms/status.json")
    assert request.headers["content-type"] == "application/x-www-form-urlencoded; charset=utf-8"
    assert request.headers["accept"] == "application/json"
    assert form(request) == {"messageid": [",".join(str(8792300 + i) for i in range(len(statuses)))]}


def test_kavenegar_takes_500_ids_at_once_and_no_more(fake_gateway, settings):
    kavenegar = backend_for(settings, "kavenegar")
    assert kavenegar.reports_batch == 500
    ids = [str(1000 + i) for i in range(500)]
    fake_gateway.answer(200, kavenegar_status(*((int(i), 10) for i in ids)))
    assert len(kavenegar.delivery_reports(ids)) == 500
    assert form(fake_gateway.requests[0]) == {"messageid": [",".join(ids)]}
    with pytest.raises(ValueError):
        kavenegar.delivery_reports([*ids, "1500"])
    assert kavenegar.delivery_reports([]) == []
    assert len(fake_gateway.requests) == 1


def test_kavenegar_leaves_out_entries_it_cannot_read(fake_gateway, settings):
    fake_gateway.answer(200, {"return": {"status": 200, "message": "تایید شد"},
                              "entries": [{"messageid": 1, "status": 10}, {"messageid": 2, "status": "10"},
                                          {"status": 10}, "junk", {"messageid": "3", "status": 6}]})
    assert backend_for(settings, "kavenegar").delivery_reports(["1", "2", "3"]) == [
        DeliveryReport("1", "delivered", "10"), DeliveryReport("3", "failed", "6")]


@pytest.mark.parametrize(
    ("http_status", "payload", "code", "retryable", "text"),
    [
        (403, {"return": {"status": 403, "message": "کلید نامعتبر"}, "entries": None}, 403, False,
         "kavenegar: refused: کلید نامعتبر"),
        (409, {"return": {"status": 409, "message": "مشغول"}, "entries": None}, 409, True, "kavenegar: refused: مشغول"),
        (500, b"<html>Internal Server Error</html>", 500, True, "kavenegar: HTTP 500"),
        (200, b"OK", 200, False, "kavenegar: unreadable answer (HTTP 200)"),
    ],
)
def test_kavenegar_errors_raise(fake_gateway, settings, caplog, http_status, payload, code, retryable, text):
    fake_gateway.answer(http_status, payload)
    with pytest.raises(SmsError) as caught:
        backend_for(settings, "kavenegar").delivery_reports(["8792343"])
    assert (caught.value.code, caught.value.retryable, str(caught.value)) == (code, retryable, text)
    assert KEY not in caplog.text and "Delivery reports from kavenegar failed" in caplog.text


def test_a_timeout_raises_a_retryable_error_without_the_key(fake_gateway, settings, caplog):
    settings.SMS_TIMEOUT = 0.3
    fake_gateway.answer(200, kavenegar_status((8792343, 10)), delay=1.5)
    with pytest.raises(SmsError) as caught:
        backend_for(settings, "kavenegar").delivery_reports(["8792343"])
    assert (caught.value.retryable, str(caught.value)) == (True, "kavenegar: the gateway did not answer in time")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert KEY not in caplog.text


# --- SMS.ir ---------------------------------------------------------------------------------------------


def smsir_report(message_id, state):
    return {"status": 1, "message": "موفق",
            "data": {"messageId": message_id, "mobile": 9121234567, "messageText": "...", "sendDateTime": 1628683626,
                     "lineNumber": 30001234, "cost": 1.0, "deliveryState": state,
                     "deliveryDateTime": 1628683629 if state == 1 else None}}


def test_smsir_asks_each_id_with_a_get_and_maps_every_state(fake_gateway, settings):
    smsir = backend_for(settings, "smsir")
    states = [1, 2, 3, 4, 5, 6, 7, 8, None]
    for i, state in enumerate(states):
        fake_gateway.answer(200, smsir_report(89545110 + i, state))

    reports = smsir.delivery_reports([str(89545110 + i) for i in range(len(states))])

    assert reports == [
        DeliveryReport("89545110", "delivered", "1"),
        DeliveryReport("89545111", "failed", "2"),
        DeliveryReport("89545112", "pending", "3"),
        DeliveryReport("89545113", "failed", "4"),
        DeliveryReport("89545114", "pending", "5"),
        DeliveryReport("89545115", "failed", "6"),
        DeliveryReport("89545116", "blocked", "7"),
        DeliveryReport("89545117", "pending", "8"),
        DeliveryReport("89545118", "pending", ""),  # no state yet
    ]
    assert [(r.method, r.path, r.body) for r in fake_gateway.requests] == [
        ("GET", f"/v1/send/{89545110 + i}", b"") for i in range(len(states))]
    assert {r.headers["x-api-key"] for r in fake_gateway.requests} == {KEY}
    assert {r.headers["accept"] for r in fake_gateway.requests} == {"application/json"}


def test_smsir_leaves_out_ids_it_does_not_know(fake_gateway, settings):
    fake_gateway.answer(400, {"status": 105, "message": "پیامک یافت نشد", "data": None})
    fake_gateway.answer(200, {"status": 1, "message": "موفق", "data": None})
    fake_gateway.answer(200, smsir_report(999, 1))  # about another message
    fake_gateway.answer(200, smsir_report(89545112, 1))
    assert backend_for(settings, "smsir").delivery_reports(["1", "2", "3", "89545112"]) == [
        DeliveryReport("89545112", "delivered", "1")]
    assert len(fake_gateway.requests) == 4


def test_smsir_keeps_what_it_learnt_before_the_gateway_failed(fake_gateway, settings):
    fake_gateway.answer(200, smsir_report(1, 1))
    fake_gateway.answer(503, b"")
    assert backend_for(settings, "smsir").delivery_reports(["1", "2", "3"]) == [DeliveryReport("1", "delivered", "1")]
    assert [r.path for r in fake_gateway.requests] == ["/v1/send/1", "/v1/send/2"]  # the third not asked


@pytest.mark.parametrize(
    ("http_status", "payload", "code", "retryable"),
    [
        (401, {"status": 10, "message": "کلید نامعتبر", "data": None}, 10, False),
        (401, b"", 401, False),
        (429, {"status": 20, "message": "تعداد درخواست بیش از حد", "data": None}, 20, True),
        (500, {"status": 0, "message": "خطا", "data": None}, 0, True),
        (502, b"Bad Gateway", 502, True),
    ],
)
def test_smsir_errors_on_the_first_id_raise(fake_gateway, settings, caplog, http_status, payload, code, retryable):
    fake_gateway.answer(http_status, payload)
    with pytest.raises(SmsError) as caught:
        backend_for(settings, "smsir").delivery_reports(["1", "2"])
    assert (caught.value.code, caught.value.retryable) == (code, retryable)
    assert len(fake_gateway.requests) == 1 and KEY not in caplog.text


# --- Ghasedak -------------------------------------------------------------------------------------------


def ghasedak_status(*items):
    return {"isSuccess": True, "statusCode": 200, "message": "موفق",
            "data": [{"messageId": mid, "clientReferenceId": None, "message": "...", "lineNumber": "30001234",
                      "receptor": "09121234567", "status": status, "price": 0, "sendDate": "2026-12-05T10:00:00"}
                     for mid, status in items]}


def test_ghasedak_asks_check_sms_status_and_maps_every_status(fake_gateway, settings):
    ghasedak = backend_for(settings, "ghasedak")
    statuses = [10, 11, 12, 13, 14, 15, 16, 1, 6, 7, 8, 0, 2, 3, 17]
    fake_gateway.answer(200, ghasedak_status(*((str(1234500 + i), s) for i, s in enumerate(statuses))))

    reports = ghasedak.delivery_reports([str(1234500 + i) for i in range(len(statuses))])

    assert [(r.gateway_id, r.state, r.raw_status) for r in reports] == [
        ("1234500", "pending", "10"),
        ("1234501", "pending", "11"),
        ("1234502", "blocked", "12"),
        ("1234503", "failed", "13"),
        ("1234504", "delivered", "14"),
        ("1234505", "blocked", "15"),
        ("1234506", "failed", "16"),
        ("1234507", "failed", "1"),
        ("1234508", "failed", "6"),
        ("1234509", "failed", "7"),
        ("1234510", "failed", "8"),
        ("1234511", "pending", "0"),
        ("1234512", "pending", "2"),
        ("1234513", "pending", "3"),
        ("1234514", "pending", "17"),
    ]
    [request] = fake_gateway.requests
    ids = "".join(f"&Ids={1234500 + i}" for i in range(len(statuses)))
    assert (request.method, request.path, request.body) == (
        "GET", f"/Rest/api/v1/WebService/CheckSmsStatus?Type=1{ids}", b"")
    assert request.headers["apikey"] == KEY
    assert request.headers["accept"] == "application/json"


def test_ghasedak_reads_numeric_ids_and_takes_100_at_once(fake_gateway, settings):
    ghasedak = backend_for(settings, "ghasedak")
    assert ghasedak.reports_batch == 100
    fake_gateway.answer(200, ghasedak_status((1234567, 14)))
    assert ghasedak.delivery_reports(["1234567"]) == [DeliveryReport("1234567", "delivered", "14")]
    with pytest.raises(ValueError):
        ghasedak.delivery_reports([str(i) for i in range(101)])


def test_ghasedak_reports_come_from_its_newer_gateway_unless_a_base_url_is_set():
    assert GhasedakBackend(api_key=KEY).reports_url == "https://gw.ghasedak.me"
    assert GhasedakBackend(api_key=KEY).base_url == "https://api.ghasedak.me"
    assert GhasedakBackend(api_key=KEY, base_url="http://proxy.local/").reports_url == "http://proxy.local"


@pytest.mark.parametrize(
    ("http_status", "payload", "code", "retryable"),
    [
        (401, {"isSuccess": False, "statusCode": 401, "message": "کلید نامعتبر", "data": None}, 401, False),
        (200, {"isSuccess": False, "statusCode": 400, "message": "خطا", "data": None}, 400, False),
        (500, {"isSuccess": False, "statusCode": 500, "message": "خطا", "data": None}, 500, True),
        (503, b"Service Unavailable", 503, True),
    ],
)
def test_ghasedak_errors_raise(fake_gateway, settings, caplog, http_status, payload, code, retryable):
    fake_gateway.answer(http_status, payload)
    with pytest.raises(SmsError) as caught:
        backend_for(settings, "ghasedak").delivery_reports(["1234567"])
    assert (caught.value.code, caught.value.retryable) == (code, retryable)
    assert KEY not in caplog.text


# --- which backends report --------------------------------------------------------------------------------


def test_the_console_backend_reports_nothing(settings, tmp_path):
    settings.SMS_BACKEND, settings.SMS_OUTBOX = "console", tmp_path / "outbox.jsonl"
    console = ConsoleBackend()
    assert console.reports_batch == 0
    assert console.delivery_reports(["1"]) == []
    assert sms_reports_backend() is None


def test_the_real_backends_report(fake_gateway, settings):
    for name in ("kavenegar", "smsir", "ghasedak"):
        settings.SMS_BACKEND = name
        assert sms_reports_backend().name == name


def test_no_backend_reports_when_none_can_run(settings):
    settings.SMS_BACKEND, settings.SMS_API_KEY = "kavenegar", ""  # no key
    assert sms_reports_backend() is None
    settings.DEV_MODE, settings.SMS_BACKEND, settings.SMS_BACKEND_CHOSEN = False, "console", False
    assert sms_reports_backend() is None
