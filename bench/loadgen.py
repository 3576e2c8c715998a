"""A cheap HTTP load generator for POST /api/v1/purchases.

Every request is pre-built as raw bytes before the timed section; the timed section is
`procs` forked processes, each with `threads` threads, each thread sending its share of
the requests one after another over a plain socket (HTTP/1.1, keep-alive when the server
allows it; gunicorn's sync workers close after each answer, so then it reconnects).
The client spends a few tens of microseconds of CPU per request, which matters on a
2-core machine that also runs the server and the database.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import queue
import random
import socket
import threading
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

PATH = "/api/v1/purchases"

# A small, realistic catalogue: (sku, category, unit price in Rials).
CATALOGUE = [
    ("TEA-AHMAD-500", "tea", 1_850_000),
    ("TEA-GOLESTAN-450", "tea", 1_420_000),
    ("RICE-TAREM-10KG", "groceries", 9_800_000),
    ("OIL-LADAN-1.5L", "groceries", 1_150_000),
    ("SAFFRON-1MTH", "groceries", 3_900_000),
    ("PISTACHIO-500", "nuts", 4_750_000),
    ("DATES-MAZAFATI", "nuts", 980_000),
    ("BREAD-SANGAK", "bakery", 120_000),
    ("GAZ-ISFAHAN", "sweets", 2_600_000),
    ("SOHAN-QOM", "sweets", 1_350_000),
    ("YOGURT-KALEH-2KG", "dairy", 890_000),
    ("CHEESE-LIGHVAN", "dairy", 1_600_000),
    ("DOOGH-ABALI-1.5L", "drinks", 310_000),
    ("SHAMPOO-PAVEH", "care", 1_050_000),
    ("DETERGENT-GOLRANG", "home", 1_740_000),
    ("NOTEBOOK-100", "stationery", 450_000),
]


def purchase_body(rng: random.Random, *, member_id: int, external_id: str, redeem: int, occurred_at: datetime) -> dict:
    items = []
    for sku, category, price in rng.sample(CATALOGUE, rng.randint(1, 5)):
        # Prices move a little from shop to shop; keep them whole hundreds of Rials.
        unit_price = price + rng.randint(-20, 20) * 1_000
        items.append(
            {"sku": sku, "category": category, "quantity": rng.choice((1, 1, 1, 2, 2, 3)), "unit_price": unit_price}
        )
    body = {
        "member_id": member_id,
        "external_id": external_id,
        "amount": sum(i["quantity"] * i["unit_price"] for i in items),
        "occurred_at": occurred_at.isoformat(timespec="seconds"),
        "items": items,
        "payment_method": rng.choice(("card", "card", "cash", "wallet")),
    }
    if redeem:
        body["redeem_points"] = redeem
    return body


def raw_request(*, host: str, port: int, api_key: str, body: dict, idempotency_key: str) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    head = (
        f"POST {PATH} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Authorization: Bearer {api_key}\r\n"
        "Content-Type: application/json\r\n"
        "Accept-Language: en\r\n"
        f"Idempotency-Key: {idempotency_key}\r\n"
        f"Content-Length: {len(payload)}\r\n"
        "\r\n"
    )
    return head.encode() + payload


@dataclass
class Plan:
    """What to send: pre-built raw requests and whether each one redeems points."""

    requests: list[bytes]
    redeems: list[bool]


def build_plan(
    n: int,
    *,
    seed: int,
    tag: str,
    host: str,
    port: int,
    api_key: str,
    member_ids: list[int],
    funded_ids: list[int],
    redeem_every: int = 10,
    funding: int = 0,
) -> Plan:
    """`n` purchases: a random member each; one in `redeem_every` (when funded members exist)
    spends 10-50 points of a member known to hold some. With `funding`, instead one large
    purchase per member of `funded_ids` (so that later redemptions succeed)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    requests, redeems = [], []
    targets = funded_ids[:n] if funding else None
    for i in range(len(targets) if targets is not None else n):
        redeem = 0
        if targets is not None:
            member_id = targets[i]
            body = purchase_body(
                rng,
                member_id=member_id,
                external_id=f"{tag}-{i}",
                redeem=0,
                occurred_at=now - timedelta(minutes=rng.randint(1, 120)),
            )
            body["items"] = [{"sku": "GIFTBOX-NOROOZ", "category": "gifts", "quantity": 1, "unit_price": funding}]
            body["amount"] = funding
        else:
            if funded_ids and redeem_every and rng.randrange(redeem_every) == 0:
                member_id = rng.choice(funded_ids)
                redeem = rng.randint(10, 50)
            else:
                member_id = rng.choice(member_ids)
            body = purchase_body(
                rng,
                member_id=member_id,
                external_id=f"{tag}-{i}",
                redeem=redeem,
                occurred_at=now - timedelta(seconds=rng.randint(0, 3600)),
            )
        requests.append(raw_request(host=host, port=port, api_key=api_key, body=body, idempotency_key=f"{tag}-key-{i}"))
        redeems.append(bool(redeem))
    return Plan(requests, redeems)


@dataclass
class Result:
    latencies: array = field(default_factory=lambda: array("d"))  # seconds, one per answered request
    statuses: Counter = field(default_factory=Counter)  # "201", "409 insufficient_points", "conn_error", ...
    samples: dict = field(default_factory=dict)  # one body per non-201 status
    replayed: int = 0
    redeem_201: int = 0
    started: float = 0.0
    finished: float = 0.0

    def merge(self, other: Result) -> None:
        self.latencies.extend(other.latencies)
        self.statuses.update(other.statuses)
        for k, v in other.samples.items():
            self.samples.setdefault(k, v)
        self.replayed += other.replayed
        self.redeem_201 += other.redeem_201
        if other.started:
            self.started = min(self.started, other.started) if self.started else other.started
        self.finished = max(self.finished, other.finished)


class _Conn:
    def __init__(self, host: str, port: int, timeout: float):
        self.addr, self.timeout = (host, port), timeout
        self.sock: socket.socket | None = None
        self.buf = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buf = None, b""

    def _connect(self) -> None:
        self.sock = socket.create_connection(self.addr, timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _recv_until(self, marker: bytes) -> int:
        while (pos := self.buf.find(marker)) < 0:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by the server")
            self.buf += chunk
        return pos

    def exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        """Send one request, answer (status, body, replayed). Retries once on a stale
        keep-alive connection (safe: every request carries an Idempotency-Key)."""
        for attempt in (0, 1):
            reused = self.sock is not None
            if not reused:
                self._connect()
            try:
                self.sock.sendall(request)
                end = self._recv_until(b"\r\n\r\n")
                break
            except (ConnectionError, OSError):
                self.close()
                if not reused or attempt:
                    raise
        head, self.buf = self.buf[:end].decode("latin-1"), self.buf[end + 4 :]
        lines = head.split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, close, replayed = 0, False, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection":
                close = value.strip().lower() == "close"
            elif name == "idempotent-replayed":
                replayed = True
        while len(self.buf) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed in the middle of a body")
            self.buf += chunk
        body, self.buf = self.buf[:length], self.buf[length:]
        if close:
            self.close()
        return status, body, replayed


def _error_code(body: bytes) -> str:
    try:
        return json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return ""


def _run_thread(
    host: str, port: int, plan: Plan, indexes: range | list[int], result: Result, lock: threading.Lock, timeout: float
) -> None:
    local = Result()
    conn = _Conn(host, port, timeout)
    clock = time.monotonic
    for i in indexes:
        t0 = clock()
        try:
            status, body, replayed = conn.exchange(plan.requests[i])
        except (OSError, ValueError, IndexError) as exc:
            conn.close()
            label = "conn_error"
            local.statuses[label] += 1
            local.samples.setdefault(label, repr(exc))
            continue
        local.latencies.append(clock() - t0)
        if status == 201:
            local.statuses["201"] += 1
            local.replayed += replayed
            local.redeem_201 += plan.redeems[i]
        else:
            label = f"{status} {_error_code(body)}".strip()
            local.statuses[label] += 1
            local.samples.setdefault(label, body[:400].decode("utf-8", "replace"))
    conn.close()
    with lock:
        result.merge(local)


def _run_process(host, port, plan, chunks, timeout, start_event, out_queue) -> None:
    result, lock = Result(), threading.Lock()
    threads = [
        threading.Thread(target=_run_thread, args=(host, port, plan, chunk, result, lock, timeout)) for chunk in chunks
    ]
    start_event.wait()
    result.started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.finished = time.monotonic()
    out_queue.put(
        (
            result.latencies.tobytes(),
            dict(result.statuses),
            result.samples,
            result.replayed,
            result.redeem_201,
            result.started,
            result.finished,
        )
    )


def drive(plan: Plan, *, host: str, port: int, clients: int = 16, procs: int = 4, timeout: float = 60.0) -> Result:
    """Send the plan from `clients` concurrent connections spread over `procs` processes.
    Answers the merged result; `finished - started` is the wall time of the timed section."""
    procs = max(1, min(procs, clients))
    per_client = [list(range(c, len(plan.requests), clients)) for c in range(clients)]
    per_proc = [per_client[p::procs] for p in range(procs)]
    ctx = mp.get_context("fork")  # children inherit the pre-built plan: nothing to pickle
    start_event, out_queue = ctx.Event(), ctx.Queue()
    children = [
        ctx.Process(target=_run_process, args=(host, port, plan, chunks, timeout, start_event, out_queue), daemon=True)
        for chunks in per_proc
    ]
    for child in children:
        child.start()
    time.sleep(0.3)  # let every child reach the start line
    start_event.set()
    total = Result()
    try:
        received = 0
        while received < len(children):
            try:
                message = out_queue.get(timeout=5)
            except queue.Empty:
                if not any(child.is_alive() for child in children) and out_queue.empty():
                    raise RuntimeError("a load generator process died without reporting") from None
                continue
            received += 1
            lat, statuses, samples, replayed, redeem_201, started, finished = message
            part = Result(array("d"), Counter(statuses), samples, replayed, redeem_201, started, finished)
            part.latencies.frombytes(lat)
            total.merge(part)
    finally:
        for child in children:
            child.join(timeout=5)
            if child.is_alive():
                child.kill()
    return total


def percentile(sorted_values, q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(q / 100 * len(sorted_values))))
    return sorted_values[rank - 1]
