"""The default backend: no gateway account needed, every message is kept where a person (or a test
outside the project) can read it.

Each message is printed and appended to the outbox file (`VAFA_SMS_OUTBOX`, default
`var/outbox.jsonl`) as ONE JSON line with the keys `to` (E.164), `text` and `at` (ISO 8601, UTC),
and, for a message sent through the outbox, `message_id` (its key) and `purpose`. That line is a
public contract: keep its keys and shape.
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
    deduplicates = True  # the file itself tells whether a key was sent

    def __init__(self, *, outbox: Path | str | None = None):
        self.outbox = Path(outbox if outbox is not None else settings.SMS_OUTBOX)

    def send(self, message: SmsMessage) -> SmsResult:
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        record = {"to": message.to, "text": message.text, "at": at}
        if message.key:
            record.update(purpose=message.purpose, message_id=message.key)
        line = json.dumps(record, ensure_ascii=False) + "\n"
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
        return SmsResult(message_id=message.key or uuid.uuid4().hex, status="written")

    def was_sent(self, key: str, purpose: str = "") -> bool:
        """Asked only when an earlier attempt may have sent it (a crash), so reading the file
        through is affordable; a line is matched on its JSON, never on text inside a message."""
        if not key or not self.outbox.exists():
            return False
        with self.outbox.open(encoding="utf-8") as outbox:
            for line in outbox:
                if f'"message_id": "{key}"' not in line:
                    continue
                record = json.loads(line)
                if record.get("message_id") == key and (not purpose or record.get("purpose") == purpose):
                    return True
        return False
