import json

import pytest

from vafa.integrations.sms import SmsError, SmsMessage, SmsResult, get_backend, sms_send
from vafa.integrations.tests.conftest import KEY, PERSIAN

OK = {"status": 1, "message": "موفق", "data": {"packId": "3c1a-pack", "messageIds": [86522023], "cost": 1.0}}


@pytest.fixture
def gateway(fake_gateway, settings):
    settings.SMS_BACKEND = "smsir"
    return fake_gateway


def test_sends_the_documented_request_and_reads_the_message_id(gateway):
    gateway.answer(200, OK)

    result = sms_send(to="+989121234567", text=PERSIAN)

    assert result == SmsResult(message_id="86522023", status="queued")
    [request] = gateway.requests
    assert (request.method, request.path) == ("POST", "/v1/send/bulk")
    assert request.headers["x-api-key"] == KEY
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert json.loads(request.body.decode("utf-8")) == {
        "lineNumber": 30001234,
        "messageText": PERSIAN,
        "mobiles": ["09121234567"],
        "sendDateTime": None,
    }
    assert PERSIAN.encode("utf-8") in request.body  # UTF-8 on the wire, not \u escapes


@pytest.mark.parametrize(
    ("http_status", "status", "retryable"),
    [
        (401, 10, False),  # invalid API key
        (401, 13, False),  # account disabled
        (400, 101, False),  # invalid line number
        (400, 102, False),  # not enough credit
        (400, 104, False),  # invalid mobile
        (500, 0, True),  # the gateway's own error
        (429, 429, True),  # too many requests
    ],
)
def test_gateway_error_codes_map_to_sms_error(gateway, caplog, http_status, status, retryable):
    gateway.answer(http_status, {"status": status, "message": "خطا", "data": None})
    with pytest.raises(SmsError) as caught:
        sms_send(to="09121234567", text="hi")
    assert (caught.value.code, caught.value.retryable) == (status, retryable)
    assert str(caught.value) == "smsir: refused: خطا"
    assert KEY not in caplog.text


def test_http_500_without_a_body_is_retryable(gateway):
    gateway.answer(503, b"")
    with pytest.raises(SmsError) as caught:
        sms_send(to="09121234567", text="hi")
    assert (caught.value.code, caught.value.retryable) == (503, True)


def test_a_success_without_message_ids_is_not_retried(gateway):
    gateway.answer(200, {"status": 1, "message": "موفق", "data": None})
    with pytest.raises(SmsError) as caught:
        sms_send(to="09121234567", text="hi")
    assert caught.value.retryable is False


def test_a_timeout_is_retryable(gateway, settings):
    settings.SMS_TIMEOUT = 0.3
    gateway.answer(200, OK, delay=1.5)
    with pytest.raises(SmsError) as caught:
        get_backend().send(SmsMessage(to="+989121234567", text="hi"))
    assert caught.value.retryable is True
    assert str(caught.value) == "smsir: the gateway did not answer in time"
