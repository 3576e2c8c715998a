import urllib.parse

import pytest

from vafa.integrations.sms import SmsError, SmsMessage, SmsResult, get_backend, sms_send
from vafa.integrations.tests.conftest import KEY, PERSIAN

OK = {"result": {"code": 200, "message": "success"}, "items": [1234567]}


@pytest.fixture
def gateway(fake_gateway, settings):
    settings.SMS_BACKEND = "ghasedak"
    return fake_gateway


def test_sends_the_documented_request_and_reads_the_message_id(gateway):
    gateway.answer(200, OK)

    result = sms_send(to="+989121234567", text=PERSIAN)

    assert result == SmsResult(message_id="1234567", status="queued")
    [request] = gateway.requests
    assert (request.method, request.path) == ("POST", "/v2/sms/send/simple")
    assert request.headers["apikey"] == KEY
    assert request.headers["content-type"] == "application/x-www-form-urlencoded; charset=utf-8"
    assert request.headers["accept"] == "application/json"
    assert urllib.parse.parse_qs(request.body.decode("ascii"), strict_parsing=True) == {
        "message": [PERSIAN],
        "receptor": ["09121234567"],
        "linenumber": ["30001234"],
    }


def test_without_a_line_number_the_field_is_left_out(gateway, settings):
    settings.SMS_SENDER = ""
    gateway.answer(200, OK)
    sms_send(to="09121234567", text="hi")
    assert urllib.parse.parse_qs(gateway.requests[0].body.decode("ascii")) == {
        "message": ["hi"], "receptor": ["09121234567"],
    }


@pytest.mark.parametrize(
    ("http_status", "code", "retryable"),
    [
        (401, 401, False),  # invalid API key
        (400, 400, False),  # invalid parameters
        (200, 418, False),  # not enough credit, reported in a 200
        (412, 412, False),  # no access to the line
        (500, 500, True),
        (503, 503, True),
    ],
)
def test_gateway_error_codes_map_to_sms_error(gateway, caplog, http_status, code, retryable):
    gateway.answer(http_status, {"result": {"code": code, "message": "خطا"}, "items": None})
    with pytest.raises(SmsError) as caught:
        sms_send(to="09121234567", text="hi")
    assert (caught.value.code, caught.value.retryable) == (code, retryable)
    assert str(caught.value) == "ghasedak: refused: خطا"
    assert KEY not in caplog.text


def test_http_500_without_the_envelope_is_retryable(gateway):
    gateway.answer(500, b"Internal Server Error")
    with pytest.raises(SmsError) as caught:
        sms_send(to="09121234567", text="hi")
    assert (caught.value.code, caught.value.retryable) == (500, True)


def test_a_timeout_is_retryable(gateway, settings):
    settings.SMS_TIMEOUT = 0.3
    gateway.answer(200, OK, delay=1.5)
    with pytest.raises(SmsError) as caught:
        get_backend().send(SmsMessage(to="+989121234567", text="hi"))
    assert caught.value.retryable is True
    assert str(caught.value) == "ghasedak: the gateway did not answer in time"
