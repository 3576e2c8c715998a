import socket
import urllib.parse

import pytest

from vafa.integrations.sms import SmsError, SmsMessage, SmsResult, get_backend, sms_send
from vafa.integrations.tests.conftest import KEY, PERSIAN


def ok(messageid=8792343, status=1):
    return {
        "return": {"status": 200, "message": "تایید شد"},
        "entries": [{"messageid": messageid, "message": PERSIAN, "status": status, "statustext": "در صف ارسال",
                     "sender": "30001234", "receptor": "09121234567", "date": 1356619709, "cost": 120}],
    }


@pytest.fixture
def gateway(fake_gateway, settings):
    settings.SMS_BACKEND = "kavenegar"
    return fake_gateway


def test_sends_the_documented_request_and_reads_the_message_id(gateway):
    gateway.answer(200, ok())

    result = sms_send(to="+989121234567", text=PERSIAN)

    assert result == SmsResult(message_id="8792343", status="queued")
    [request] = gateway.requests
    assert request.method == "POST"
    assert request.path == f"/v1/{KEY}/sms/send.json"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded; charset=utf-8"
    assert request.headers["accept"] == "application/json"
    request.body.decode("ascii")  # percent-encoded UTF-8, nothing raw
    assert urllib.parse.parse_qs(request.body.decode("ascii"), strict_parsing=True) == {
        "receptor": ["09121234567"],
        "message": [PERSIAN],
        "sender": ["30001234"],
    }


def test_without_a_sender_the_accounts_default_line_is_used(gateway, settings):
    settings.SMS_SENDER = ""
    gateway.answer(200, ok())
    sms_send(to="09351234567", text="hi")
    assert urllib.parse.parse_qs(gateway.requests[0].body.decode("ascii")) == {
        "receptor": ["09351234567"], "message": ["hi"],
    }


def test_the_key_is_quoted_into_the_path(gateway, settings):
    settings.SMS_API_KEY = "a/b+c="
    gateway.answer(200, ok())
    sms_send(to="09121234567", text="hi")
    assert gateway.requests[0].path == "/v1/a%2Fb%2Bc%3D/sms/send.json"


@pytest.mark.parametrize(
    ("http_status", "code", "retryable"),
    [
        (418, 418, False),  # not enough credit
        (403, 403, False),  # invalid API key
        (411, 411, False),  # invalid receptor
        (412, 412, False),  # invalid sender
        (200, 501, False),  # a test account may only send to its owner
        (409, 409, True),  # server busy, try later
        (451, 451, True),  # too many calls
    ],
)
def test_gateway_error_codes_map_to_sms_error(gateway, caplog, http_status, code, retryable):
    gateway.answer(http_status, {"return": {"status": code, "message": "خطا"}, "entries": None})
    with pytest.raises(SmsError) as caught:
        sms_send(to="09121234567", text="hi")
    assert (caught.value.code, caught.value.retryable) == (code, retryable)
    assert str(caught.value) == "kavenegar: refused: خطا"
    assert KEY not in caplog.text
    assert "+98912***4567" in caplog.text  # the number is masked in the log


@pytest.mark.parametrize("entry_status", [6, 11, 13, 14, 100])
def test_a_message_the_gateway_did_not_queue_is_an_error(gateway, entry_status):
    gateway.answer(200, ok(status=entry_status))
    with pytest.raises(SmsError) as caught:
        sms_send(to="09121234567", text="hi")
    assert (caught.value.code, caught.value.retryable) == (entry_status, False)


def test_http_500_without_the_envelope_is_retryable(gateway, caplog):
    gateway.answer(500, b"<html>Internal Server Error</html>")
    with pytest.raises(SmsError) as caught:
        sms_send(to="09121234567", text="hi")
    assert (caught.value.code, caught.value.retryable) == (500, True)
    assert KEY not in str(caught.value) and KEY not in caplog.text


def test_an_unreadable_success_is_not_retried(gateway):
    gateway.answer(200, b"OK")
    with pytest.raises(SmsError) as caught:
        sms_send(to="09121234567", text="hi")
    assert (caught.value.code, caught.value.retryable) == (200, False)


def test_a_timeout_is_retryable(gateway, settings, caplog):
    settings.SMS_TIMEOUT = 0.3
    gateway.answer(200, ok(), delay=1.5)
    with pytest.raises(SmsError) as caught:
        get_backend().send(SmsMessage(to="+989121234567", text="hi"))
    assert caught.value.retryable is True
    assert str(caught.value) == "kavenegar: the gateway did not answer in time"
    assert KEY not in str(caught.value) and KEY not in caplog.text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_an_unreachable_gateway_is_retryable(settings, caplog):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.SMS_BACKEND = "kavenegar"
    settings.SMS_API_KEY = KEY
    settings.SMS_BASE_URL = f"http://127.0.0.1:{port}"
    with pytest.raises(SmsError) as caught:
        sms_send(to="09121234567", text="hi")
    assert caught.value.retryable is True
    assert str(caught.value) == "kavenegar: the gateway could not be reached"
    assert KEY not in caplog.text
