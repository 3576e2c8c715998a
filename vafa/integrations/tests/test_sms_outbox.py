"""SMS through the outbox: the login code's SMS is a row written with the code, sent right after
the commit by the web process, retried by the worker when the gateway fails, never sent twice."""

import json
import re
import urllib.parse
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from vafa.core.models import OutboxEntry
from vafa.core.outbox import outbox_claim, outbox_handle, outbox_run_due
from vafa.integrations.services import sms_queue
from vafa.integrations.tests.conftest import PERSIAN
from vafa.integrations.tests.test_sms_kavenegar import ok
from vafa.members.models import OneTimeCode
from vafa.members.services import otp_request

pytestmark = pytest.mark.django_db
PHONE = "+989121234567"


@pytest.fixture
def console(settings, tmp_path):
    settings.SMS_BACKEND = "console"
    settings.SMS_OUTBOX = tmp_path / "outbox.jsonl"
    return settings.SMS_OUTBOX


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_a_login_code_is_written_with_its_sms_and_sent_at_once_after_the_commit(
        console, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        otp = otp_request(phone="09121234567", now=timezone.now())
    # One row in the outbox, written in the code's transaction, sent by this (the web) process
    assert len(callbacks) == 1
    [entry] = OutboxEntry.objects.all()
    [sent] = lines(console)
    code = re.search(r"[0-9]{6}", sent["text"]).group()
    assert sent == {"to": PHONE, "text": sent["text"], "at": sent["at"], "purpose": "login_code",
                    "message_id": str(entry.pk)}
    assert (entry.type, entry.handler, entry.attempts, entry.handled_by.split(":")[0]) == (
        "sms.login_code", "sms.send", 1, "web")
    assert entry.note == f"console written {entry.pk}"
    # The code lives in the database only as its hash: the row's copy of the text is wiped
    assert entry.payload == {"to": PHONE, "text": "[wiped]", "purpose": "login_code",
                             "expires_at": entry.payload["expires_at"], "secret_keys": ["text"]}
    life = parse_datetime(entry.payload["expires_at"]) - entry.created_at
    assert otp.expires_at - otp.created_at - timedelta(seconds=1) < life <= otp.expires_at - otp.created_at
    assert code not in json.dumps(list(OutboxEntry.objects.values()), default=str)
    # And the worker, later, sends nothing again
    assert outbox_run_due(now=timezone.now() + timedelta(hours=1)) == {"handled": 0, "failed": 0}
    assert len(lines(console)) == 1


@pytest.fixture
def kavenegar(fake_gateway, settings):
    settings.SMS_BACKEND = "kavenegar"
    return fake_gateway


def form(request) -> dict:
    return {k: v[0] for k, v in urllib.parse.parse_qs(request.body.decode("ascii")).items()}


def test_a_gateway_error_at_once_is_retried_by_the_worker_with_the_same_key(
        kavenegar, django_capture_on_commit_callbacks):
    kavenegar.answer(500, {"return": {"status": 500, "message": "خطای سرور"}})
    with django_capture_on_commit_callbacks(execute=True):
        otp_request(phone=PHONE, now=timezone.now())
    [entry] = OutboxEntry.objects.all()
    assert (entry.done_at, entry.attempts) == (None, 1)
    assert entry.last_error.startswith("SmsError: kavenegar: refused")
    # The page went on (the code is stored); the worker sends it once the backoff has passed
    kavenegar.answer(200, ok(messageid=777))
    call_command("worker", once=True, now=(timezone.now() + timedelta(seconds=11)).isoformat())
    entry.refresh_from_db()
    assert (entry.attempts, entry.note, entry.last_error) == (2, "kavenegar queued 777", "")
    assert entry.handled_by.startswith("worker:")
    first, second = (form(r) for r in kavenegar.requests)
    assert first["localid"] == second["localid"] == str(entry.pk)  # Kavenegar delivers one of them
    assert first["receptor"] == second["receptor"] == "09121234567"


def test_a_code_that_expired_before_the_gateway_recovered_is_not_sent(kavenegar, django_capture_on_commit_callbacks):
    kavenegar.answer(502, b"bad gateway")
    with django_capture_on_commit_callbacks(execute=True):
        otp_request(phone=PHONE, now=timezone.now())
    call_command("worker", once=True, now=(timezone.now() + timedelta(minutes=5)).isoformat())
    [entry] = OutboxEntry.objects.all()
    assert (entry.note, entry.gave_up, len(kavenegar.requests)) == ("not sent: expired before it could be sent",
                                                                    False, 1)
    assert OneTimeCode.objects.count() == 1


def test_a_timeout_leaves_the_next_attempt_in_doubt_and_kavenegar_is_asked_again_under_the_same_key(
        kavenegar, settings):
    settings.SMS_TIMEOUT = 0.2
    kavenegar.answer(200, ok(), delay=1)  # it took the message, but answered too late
    entry = sms_queue(to=PHONE, text=PERSIAN, purpose="receipt")
    assert outbox_run_due(now=timezone.now()) == {"handled": 0, "failed": 1}
    entry.refresh_from_db()
    assert entry.in_doubt is True
    kavenegar.answer(200, ok(messageid=9))
    assert outbox_run_due(now=timezone.now() + timedelta(seconds=11)) == {"handled": 1, "failed": 0}
    assert [form(r)["localid"] for r in kavenegar.requests] == [str(entry.pk)] * 2


def test_in_doubt_the_console_backend_sends_only_what_its_file_lacks(console):
    entry = sms_queue(to=PHONE, text="first", purpose="receipt")
    other = sms_queue(to=PHONE, text="second", purpose="receipt")
    now = timezone.now() + timedelta(seconds=1)
    claimed = outbox_claim(by="worker:a", now=now)
    # worker:a sent the first message and died before marking it; it died before sending the second
    outbox_handle(claimed[0], by="worker:a", now=now)
    OutboxEntry.objects.filter(pk=entry.pk).update(done_at=None, handled_by="", claimed_by="worker:a",
                                                   started_at=now, claimed_until=now)
    OutboxEntry.objects.filter(pk=other.pk).update(started_at=now)
    assert outbox_run_due(by="worker:b", now=now + timedelta(minutes=5)) == {"handled": 2, "failed": 0}
    assert [m["text"] for m in lines(console)] == ["first", "second"]
    entry.refresh_from_db()
    assert entry.note == "already sent by an earlier attempt"


def test_in_doubt_a_gateway_that_cannot_deduplicate_is_not_asked_twice(fake_gateway, settings):
    settings.SMS_BACKEND = "smsir"
    entry = sms_queue(to=PHONE, text=PERSIAN, purpose="receipt")
    now = timezone.now() + timedelta(seconds=1)
    outbox_claim(by="worker:a", now=now)
    OutboxEntry.objects.filter(pk=entry.pk).update(started_at=now)  # and then worker:a died
    assert outbox_run_due(by="worker:b", now=now + timedelta(minutes=5)) == {"handled": 0, "failed": 1}
    entry.refresh_from_db()
    assert entry.gave_up is True and fake_gateway.requests == []
    assert entry.last_error == ("GiveUp: an earlier attempt may have sent it and smsir cannot tell: "
                                "not sent again")


def test_a_refusal_that_cannot_change_gives_up_at_once(kavenegar):
    kavenegar.answer(200, {"return": {"status": 411, "message": "گیرنده نامعتبر"}})
    entry = sms_queue(to=PHONE, text=PERSIAN, purpose="receipt")
    assert outbox_run_due(now=timezone.now()) == {"handled": 0, "failed": 1}
    entry.refresh_from_db()
    assert (entry.gave_up, entry.attempts) == (True, 1)


def test_a_bad_number_or_text_is_refused_when_queued_and_nothing_is_written(console):
    from vafa.core.errors import InvalidPhone, ValidationFailed

    with pytest.raises(InvalidPhone):
        sms_queue(to="12345", text="hi", purpose="receipt")
    with pytest.raises(ValidationFailed):
        sms_queue(to=PHONE, text=" ", purpose="receipt")
    assert OutboxEntry.objects.count() == 0
