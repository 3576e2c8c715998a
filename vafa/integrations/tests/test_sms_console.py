import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from vafa.integrations.sms import SmsMessage, SmsResult, sms_send
from vafa.integrations.sms.console import ConsoleBackend
from vafa.integrations.tests.conftest import PERSIAN


@pytest.fixture
def outbox(settings, tmp_path):
    settings.SMS_BACKEND = "console"
    settings.SMS_OUTBOX = tmp_path / "nested" / "var" / "outbox.jsonl"
    return settings.SMS_OUTBOX


def test_console_appends_exactly_one_json_line_with_the_contract_keys(outbox, capsys):
    # given an outbox whose folder does not exist yet
    assert not outbox.parent.exists()
    before = datetime.now(UTC)

    # when a message is sent
    result = ConsoleBackend().send(SmsMessage(to="+989121234567", text=PERSIAN))

    # then one line holds exactly to / text / at, Persian unescaped, `at` in UTC
    after = datetime.now(UTC)
    raw = outbox.read_text(encoding="utf-8")
    assert raw.endswith("\n") and raw.count("\n") == 1
    record = json.loads(raw)
    assert set(record) == {"to", "text", "at"}
    assert record["to"] == "+989121234567"
    assert record["text"] == PERSIAN
    at = datetime.fromisoformat(record["at"])
    assert at.utcoffset() == timedelta(0)
    assert before <= at <= after
    assert raw == json.dumps({"to": "+989121234567", "text": PERSIAN, "at": record["at"]}, ensure_ascii=False) + "\n"
    assert PERSIAN in raw  # not \u-escaped
    # and the message is printed, and reported as written
    assert capsys.readouterr().out == f"SMS to +989121234567: {PERSIAN}\n"
    assert isinstance(result, SmsResult) and result.status == "written" and len(result.message_id) == 32


def test_console_appends_and_never_rewrites_earlier_lines(outbox):
    # given one message already in the outbox
    ConsoleBackend().send(SmsMessage(to="+989121234567", text="first"))
    first_line = outbox.read_text(encoding="utf-8")

    # when two more are sent
    ConsoleBackend().send(SmsMessage(to="+989351234567", text="second"))
    ConsoleBackend().send(SmsMessage(to="+989121234567", text="سوم\nدو خط"))

    # then the file grew by two lines, the first untouched, a newline in a text stays escaped
    lines = outbox.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(lines) == 3
    assert lines[0] == first_line
    assert [(json.loads(x)["to"], json.loads(x)["text"]) for x in lines] == [
        ("+989121234567", "first"),
        ("+989351234567", "second"),
        ("+989121234567", "سوم\nدو خط"),
    ]


def test_sms_send_uses_the_console_backend_by_default_and_writes_e164(outbox, capsys):
    # when sending to a number written the domestic way, with Persian digits
    result = sms_send(to="۰۹۱۲ ۱۲۳ ۴۵۶۷", text=PERSIAN)

    # then the outbox holds it in E.164
    record = json.loads(outbox.read_text(encoding="utf-8"))
    assert (record["to"], record["text"]) == ("+989121234567", PERSIAN)
    assert result.status == "written"


def test_concurrent_sends_from_threads_leave_only_whole_lines(outbox, capsys):
    # given 8 threads each sending 40 long messages at once
    threads_count, per_thread = 8, 40
    start = threading.Barrier(threads_count)
    errors = []

    def send_many(n: int) -> None:
        backend = ConsoleBackend()
        start.wait()
        try:
            for i in range(per_thread):
                backend.send(SmsMessage(to="+989121234567", text=f"{n}-{i} " + "پیام طولانی " * 70))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=send_many, args=(n,)) for n in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then every line is a whole JSON record and none is lost or doubled
    assert errors == []
    lines = outbox.read_text(encoding="utf-8").splitlines()
    assert len(lines) == threads_count * per_thread
    texts = sorted(json.loads(line)["text"].split(" ", 1)[0] for line in lines)
    assert texts == sorted(f"{n}-{i}" for n in range(threads_count) for i in range(per_thread))
