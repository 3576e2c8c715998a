"""The published CDNOW figures, end to end: the 1/10th sample of CDNOW (2,357 customers, from the
`lifetimes` 0.11.3 wheel on PyPI, read from the zip without installing it) loaded THROUGH `vafa
import` (members, then purchases with --no-points), then `vafa clv-fit --calibration-end
1997-09-30 --unit week` must give Fader, Hardie & Lee's BG/NBD parameters and Fader & Hardie's
Gamma-Gamma ones (reference/clv.md: CLVTools' test and the lifetimes documentation).

Dollars are imported as cents, as Rials: γ (a scale of the amounts) comes out x 100. The wheel is
downloaded once into var/test-data/ (git-ignored) and checked against its SHA-256; without the
network the test fails and says so (it is never skipped)."""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from vafa.insight.models import ClvFit
from vafa.members.models import Member, MemberScore

ROOT = Path(__file__).resolve().parents[3]
CACHE = ROOT / "var" / "test-data"
WHEEL = "Lifetimes-0.11.3-py3-none-any.whl"
WHEEL_SHA256 = "261e3dc89977c2b60767ca6728aaa29d429de0c814635070a749c36555895da8"
SAMPLE = "lifetimes/datasets/CDNOW_sample.txt"

pytestmark = pytest.mark.django_db


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lifetimes_wheel() -> Path:
    """The wheel, downloaded with the venv's pip the first time (one process at a time: the
    SQLite and PostgreSQL runs of `make test` may both ask at once)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    wheel = CACHE / WHEEL
    with open(CACHE / ".lifetimes.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not wheel.exists() or _sha256(wheel) != WHEEL_SHA256:
            wheel.unlink(missing_ok=True)
            command = [sys.executable, "-m", "pip", "download", "lifetimes==0.11.3", "--no-deps",
                       "--only-binary=:all:", "--disable-pip-version-check", "-d", str(CACHE)]
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=300)
            except subprocess.TimeoutExpired:
                pytest.fail("downloading the CDNOW data (lifetimes 0.11.3 from PyPI) took over 5 minutes: "
                            "is the network down?")
            found = next(iter(CACHE.glob("[Ll]ifetimes-0.11.3-py3-none-any.whl")), None)
            if done.returncode != 0 or found is None:
                pytest.fail("could not download the CDNOW data (the lifetimes 0.11.3 wheel from PyPI; this test "
                            f"needs the network once, then uses {CACHE}):\n{done.stderr[-2000:]}")
            found.rename(wheel)
            if _sha256(wheel) != WHEEL_SHA256:
                wheel.unlink()
                pytest.fail("the downloaded lifetimes 0.11.3 wheel is not the one published (SHA-256 differs)")
    return wheel


def cdnow_rows() -> list[tuple[int, int, date, float]]:
    """(line number, customer id, day, dollars) of the sample: columns master id, sample id,
    YYYYMMDD, CDs, dollars; the customer is the sample id (customer 1 is the paper's)."""
    with zipfile.ZipFile(lifetimes_wheel()) as wheel:
        text = wheel.read(SAMPLE).decode("ascii")
    rows = []
    for line, record in enumerate(text.splitlines(), start=1):
        if not record.strip():
            continue
        _master, customer, day, _cds, dollars = record.split()
        rows.append((line, int(customer), date(int(day[:4]), int(day[4:6]), int(day[6:])), float(dollars)))
    return rows


def _csv(path: Path, rows: list[list]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def load_through_import(rows, folder: Path) -> None:
    """The members and their purchases as a shop would bring them: two CSV files and `vafa import`."""
    customers = sorted({customer for _, customer, _, _ in rows})
    members = _csv(folder / "members.csv", [["phone", "external_ref"]] +
                   [[f"+98912{customer:07d}", str(customer)] for customer in customers])
    purchases = _csv(folder / "purchases.csv", [["external_id", "member_ref", "occurred_at", "amount"]] +
                     [[f"{customer}-{line}", str(customer), day.isoformat(), str(round(dollars * 100))]
                      for line, customer, day, dollars in rows])
    call_command("import", "members", str(members), stdout=io.StringIO())
    call_command("import", "purchases", str(purchases), "--no-points", stdout=io.StringIO())


def test_the_cdnow_sample_gives_the_published_parameters(merchant, tmp_path):
    rows = cdnow_rows()
    assert len(rows) == 6919
    load_through_import(rows, tmp_path)
    assert Member.objects.count() == 2357

    out = io.StringIO()
    call_command("clv_fit", "--calibration-end", "1997-09-30", "--unit", "week", "--json", stdout=out)
    answer = json.loads(out.getvalue())
    assert set(answer) == {"members", "bgnbd", "gamma_gamma"}
    assert answer["members"] == 2357
    bg, gg = answer["bgnbd"], answer["gamma_gamma"]
    assert set(bg) == {"r", "alpha", "a", "b", "log_likelihood"}
    assert set(gg) == {"p", "q", "gamma", "log_likelihood"}
    within = {"rel": 0.005}
    assert bg["r"] == pytest.approx(0.243, **within)
    assert bg["alpha"] == pytest.approx(4.414, **within)
    assert bg["a"] == pytest.approx(0.793, **within)
    assert bg["b"] == pytest.approx(2.426, **within)
    assert bg["log_likelihood"] == pytest.approx(-9582.4, **within)
    assert gg["p"] == pytest.approx(6.25, **within)
    assert gg["q"] == pytest.approx(3.74, **within)
    assert gg["gamma"] / 100 == pytest.approx(15.44, **within)  # cents as Rials
    # Closer still: CLVTools' own test of the same data
    assert (bg["r"], bg["alpha"], bg["a"], bg["b"]) == pytest.approx((0.2425945, 4.4136019, 0.7929199, 2.4258881),
                                                                     rel=1e-4)
    assert bg["log_likelihood"] == pytest.approx(-9582.429, abs=0.01)

    fit = ClvFit.objects.get()
    assert (fit.status, fit.unit, fit.calibration_end, fit.members, fit.repeat_members) == (
        "fitted", "week", date(1997, 9, 30), 2357, 946)
    assert MemberScore.objects.count() == 2357

    # The summary and customer 1's predictions, from --out over the next 39 weeks
    table = tmp_path / "clv.csv"
    call_command("clv_fit", "--calibration-end", "1997-09-30", "--horizon", "39", "--out", str(table),
                 stdout=io.StringIO())
    with table.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert len(lines) == 2357
    assert sum(int(line["x"]) for line in lines) == 2457
    assert sum(int(line["x"]) > 0 for line in lines) == 946
    [first] = [line for line in lines if line["external_ref"] == "1"]
    assert (int(first["x"]), float(first["t_x"]), float(first["T"])) == (2, pytest.approx(30.43, abs=0.005),
                                                                          pytest.approx(38.86, abs=0.005))
    assert float(first["expected_purchases"]) == pytest.approx(1.226, abs=0.0005)
    assert int(first["expected_avg_spend_rial"]) / 100 == pytest.approx(24.65, abs=0.005)
    score = MemberScore.objects.get(member__external_ref="1")
    assert score.repeat_days == 2
    assert score.expected_avg_spend_rial == int(first["expected_avg_spend_rial"])
    assert score.p_alive == pytest.approx(float(first["p_alive"]), abs=1e-6)

    # Same-day purchases are one transaction: counted row by row, x would be 2,603
    by_day: dict[tuple[int, date], float] = defaultdict(float)
    for _, customer, day, dollars in rows:
        if day <= date(1997, 9, 30):
            by_day[customer, day] += dollars
    assert len(by_day) - 2357 == 2457
    assert sum(1 for *_, day, _ in rows if day <= date(1997, 9, 30)) - 2357 == 2603
