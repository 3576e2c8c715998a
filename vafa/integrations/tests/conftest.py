"""A fake SMS gateway on 127.0.0.1: records every request exactly, answers what a test queued."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


@dataclass
class Answer:
    status: int
    body: bytes
    delay: float = 0.0


@dataclass
class FakeGateway:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)

    def answer(self, status: int, payload, *, delay: float = 0.0) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.answers.append(Answer(status, body, delay))


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self._answer("POST")

    def do_GET(self):  # the gateways' report methods
        self._answer("GET")

    def _answer(self, method: str):
        gateway: FakeGateway = self.server.gateway
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        gateway.requests.append(Recorded(method, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        answer = gateway.answers.pop(0) if gateway.answers else Answer(500, b"no answer queued")
        time.sleep(answer.delay)
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except OSError:
            pass  # the client gave up (the timeout test)

    def log_message(self, *args):
        pass


KEY = "secret-key-123"
SENDER = "30001234"
PERSIAN = "باشگاه وفا: کد ورود شما ۱۲۳۴۵ است"


@pytest.fixture
def fake_gateway(settings, monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.block_on_close = False
    gateway = FakeGateway(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.gateway = gateway
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    settings.SMS_BASE_URL = gateway.url
    settings.SMS_API_KEY = KEY
    settings.SMS_SENDER = SENDER
    settings.SMS_TIMEOUT = 5
    yield gateway
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
