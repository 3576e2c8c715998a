"""The default backend: no gateway account needed, every message is kept where a person (or a test
outside the project) can read it.

Each message is printed and appended to the outbox (`VAFA_SMS_OUTBOX`, default
`var/outbox.jsonl`) as ONE JSON line with exactly the keys `to` (E.164), `text` and `at`
(ISO 8601, UTC). That line is a public contract: keep its keys and shape.
"""

from __future__ import annotations

import fcntl
import json
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from vafa.integrations.sms.base import SmsBackend, SmsMessage, SmsResult


class ConsoleBackend(SmsBackend):
    name = "console"

    def __init__(self, *, outbox: Path | str | None = None):
        self.outbox = Path(outbox if outbox is not None else settings.SMS_OUTBOX)

    def send(self, message: SmsMessage) -> SmsResult:
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        line = json.dumps({"to": message.to, "text": message.text, "at": at}, ensure_ascii=False) + "\n"
        self.outbox.parent.mkdir(parents=True, exist_ok=True)
        # Several processes (web workers, the task worker) append to the same file: the lock keeps
        # each line whole, and one write of the whole line keeps it from being split.
        with self.outbox.open("a", encoding="utf-8") as outbox:
            fcntl.flock(outbox, fcntl.LOCK_EX)
            try:
                outbox.write(line)
                outbox.flush()
            finally:
                fcntl.flock(outbox, fcntl.LOCK_UN)
        print(f"SMS to {message.to}: {message.text}", file=sys.stdout, flush=True)
        return SmsResult(message_id=uuid.uuid4().hex, status="written")
