import pytest
from django.core.exceptions import ImproperlyConfigured

from vafa.core.errors import InvalidPhone, ValidationFailed
from vafa.integrations.sms import MAX_TEXT_LENGTH, get_backend, sms_send
from vafa.integrations.sms.console import ConsoleBackend
from vafa.integrations.sms.ghasedak import GhasedakBackend
from vafa.integrations.sms.kavenegar import KavenegarBackend
from vafa.integrations.sms.smsir import SmsIrBackend


@pytest.fixture
def outbox(settings, tmp_path):
    settings.SMS_BACKEND = "console"
    settings.SMS_OUTBOX = tmp_path / "outbox.jsonl"
    return settings.SMS_OUTBOX


@pytest.mark.parametrize("to", ["12345", "+14155550123", "", "02112345678", "0912123456", "abc", None])
def test_a_bad_number_is_refused_and_nothing_is_sent(outbox, to):
    with pytest.raises(InvalidPhone) as caught:
        sms_send(to=to, text="سلام")
    assert isinstance(caught.value, ValidationFailed)
    assert caught.value.code == "invalid_phone"
    assert caught.value.details == {"to": "an Iranian mobile number"}
    assert not outbox.exists()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "a non-empty text"),
        ("  \n\t", "a non-empty text"),
        (None, "a non-empty text"),
        (12345, "a non-empty text"),
        ("x" * (MAX_TEXT_LENGTH + 1), f"a text of at most {MAX_TEXT_LENGTH} characters"),
    ],
)
def test_a_bad_text_is_refused_and_nothing_is_sent(outbox, text, why):
    with pytest.raises(ValidationFailed) as caught:
        sms_send(to="09121234567", text=text)
    assert caught.value.code == "validation_error"
    assert caught.value.details == {"text": why}
    assert not outbox.exists()


def test_a_text_of_exactly_the_limit_is_sent(outbox, capsys):
    assert MAX_TEXT_LENGTH == 1000
    sms_send(to="09121234567", text="ش" * MAX_TEXT_LENGTH)
    assert outbox.read_text(encoding="utf-8").count("\n") == 1


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("console", ConsoleBackend),
        ("kavenegar", KavenegarBackend),
        ("smsir", SmsIrBackend),
        ("ghasedak", GhasedakBackend),
    ],
)
def test_get_backend_follows_the_setting(settings, name, cls):
    settings.SMS_BACKEND = name
    settings.SMS_API_KEY = "k"
    settings.SMS_SENDER = "30001234"
    settings.SMS_BASE_URL = ""
    settings.SMS_TIMEOUT = 7.5
    backend = get_backend()
    assert type(backend) is cls
    if name != "console":
        assert backend.base_url == cls.default_base_url
        assert backend.timeout == 7.5
        assert backend.sender == "30001234"


def test_get_backend_defaults_to_the_console(settings):
    assert settings.SMS_BACKEND == "console"  # the project default, no gateway account needed
    assert type(get_backend()) is ConsoleBackend


def test_an_unknown_backend_is_a_configuration_error(settings):
    settings.SMS_BACKEND = "pigeon"
    with pytest.raises(ImproperlyConfigured, match="pigeon"):
        get_backend()


@pytest.mark.parametrize("name", ["kavenegar", "smsir", "ghasedak"])
def test_a_real_gateway_without_a_key_is_a_configuration_error(settings, name):
    settings.SMS_BACKEND = name
    settings.SMS_API_KEY = ""
    settings.SMS_SENDER = "30001234"
    with pytest.raises(ImproperlyConfigured, match="VAFA_SMS_API_KEY"):
        get_backend()


def test_smsir_needs_a_numeric_line_number(settings):
    settings.SMS_BACKEND = "smsir"
    settings.SMS_API_KEY = "k"
    settings.SMS_SENDER = "VAFA"
    with pytest.raises(ImproperlyConfigured, match="VAFA_SMS_SENDER"):
        get_backend()


def test_the_key_is_not_in_a_backends_repr(settings):
    settings.SMS_BACKEND = "kavenegar"
    settings.SMS_API_KEY = "secret-key-123"
    assert "secret-key-123" not in repr(get_backend())
