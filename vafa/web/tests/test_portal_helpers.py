"""Helpers shared by the portal tests (no tests here): the SMS outbox, a logged-in client."""

from __future__ import annotations

import json
import re
from pathlib import Path

from vafa.core.digits import to_ascii_digits
from vafa.web.access import MEMBER_SESSION_KEY


class Outbox:
    def __init__(self, path: Path):
        self.path = path

    def messages(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def last_code(self, phone: str) -> str:
        texts = [m["text"] for m in self.messages() if m["to"] == phone]
        assert texts, f"no SMS to {phone}"
        match = re.search(r"[0-9۰-۹]{6}", texts[-1])
        assert match, texts[-1]
        return to_ascii_digits(match.group(0))


def make_outbox(settings, tmp_path) -> Outbox:
    """The console SMS backend writing to a file of the test's own (use from a fixture)."""
    settings.SMS_BACKEND = "console"
    settings.SMS_OUTBOX = tmp_path / "outbox.jsonl"
    return Outbox(settings.SMS_OUTBOX)


def log_in(client, member) -> None:
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()


def logged_in_id(client):
    return client.session.get(MEMBER_SESSION_KEY)
