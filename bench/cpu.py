"""Where the CPU went during a timed run (Linux /proc): the server's process group, the
database's backends, the load generator, and everything else on the machine.

CPU time per purchase holds up when the machine is shared with other work, where
purchases per second do not; the share used by other processes says how shared it was.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def group_cpu(pgid: int) -> dict[int, float]:
    """CPU seconds of every live process in process group `pgid`."""
    out = {}
    for pid in _pids():
        fields = _stat_fields(pid)
        if fields and int(fields[2]) == pgid:
            out[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return out


def backends_cpu(database: str) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends connected to `database`."""
    out = {}
    marker = f" {database} ".encode()
    for pid in _pids():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if cmdline.startswith(b"postgres: ") and marker in cmdline:
            fields = _stat_fields(pid)
            if fields:
                out[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return out


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return (total - idle) / TICK, total / TICK


def own_and_children_cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


@dataclass
class Sample:
    server: dict[int, float]
    db: dict[int, float]
    busy: float
    total: float
    client: float


class CpuMeter:
    """`start()` before the timed section and `stop()` after it, while the server still runs.
    "client" is this process and its children (the load generator, pgbench)."""

    def __init__(self, server_pgid: int | None, database: str | None):
        self.pgid, self.database = server_pgid, database

    def _sample(self) -> Sample:
        busy, total = machine_busy()
        return Sample(
            group_cpu(self.pgid) if self.pgid else {},
            backends_cpu(self.database) if self.database else {},
            busy,
            total,
            own_and_children_cpu(),
        )

    def start(self) -> None:
        self.before = self._sample()
        # Processes that end before `stop()` (pgbench's backends) are remembered as last seen.
        self._seen = Sample({}, {}, 0.0, 0.0, 0.0)
        self._stopping = threading.Event()
        self._poller = threading.Thread(target=self._poll, daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._stopping.wait(0.25):
            sample = self._sample()
            self._seen.server.update(sample.server)
            self._seen.db.update(sample.db)

    def stop(self, purchases: int) -> dict:
        self._stopping.set()
        self._poller.join()
        after, before = self._sample(), self.before
        after.server = {**self._seen.server, **after.server}
        after.db = {**self._seen.db, **after.db}

        def delta(a: dict[int, float], b: dict[int, float]) -> float:
            return sum(v - b.get(pid, 0.0) for pid, v in a.items())

        server, db = delta(after.server, before.server), delta(after.db, before.db)
        client = after.client - before.client
        busy, capacity = after.busy - before.busy, after.total - before.total
        other = max(busy - server - db - client, 0.0)
        n = max(purchases, 1)
        return {
            "server_ms_per_purchase": round(1000 * server / n, 2),
            "db_ms_per_purchase": round(1000 * db / n, 2),
            "client_ms_per_purchase": round(1000 * client / n, 2),
            "machine_busy_pct": round(100 * busy / capacity, 1) if capacity else 0.0,
            "other_processes_pct": round(100 * other / capacity, 1) if capacity else 0.0,
        }
