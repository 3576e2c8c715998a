"""`make bench`, importing history: 100,000 members and 1,000,000 purchases through `vafa import`
on PostgreSQL, with the wall time and the peak memory of each command, against a baseline
measured in the same run.

    .venv/bin/python bench/imports.py [--members 100000] [--purchases 1000000]
        [--pg-url postgres://postgres@127.0.0.1:5432/vafa_bench_imports]

1. Two CSV files written row by row (nothing held in memory): members (phone, external_ref,
   names, every third with interests, half with SMS consent, a fifth with a Jalali birthday) and
   purchases over two years (external_id, member_ref, a Jalali or ISO date, an amount, a SKU and
   a category), a member's purchases spread over the file as a shop's export has them.
2. A fresh database (dropped and made again), migrated, one merchant; the program earns its base
   points and a live rule doubles a category's (the bulk path evaluates it purchase by purchase).
3. `vafa import members FILE` and then `vafa import purchases FILE`, each a process of its own,
   timed, with its peak resident memory (getrusage of the child). The purchase import ends with
   the ledger's invariants checked, as it always does.
4. Baseline: the same two files loaded with PostgreSQL's own `\\copy` into bare tables of text
   columns (no checks, no ledger): the least a database takes to swallow the rows.

Prints the figures with their ratios to the baseline and writes them to var/bench-imports.json.
Exit status 1 when an import refused a row or left the wrong counts."""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAFA = [sys.executable, "-m", "vafa"]


def log(text: str) -> None:
    print(text, flush=True)


def write_files(folder: Path, members: int, purchases: int) -> tuple[Path, Path]:
    people, sales = folder / "members.csv", folder / "purchases.csv"
    with people.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["phone", "external_ref", "first_name", "last_name", "interests", "sms_consent", "birth_date"])
        for n in range(1, members + 1):
            out.writerow([f"0912{n:07d}", f"C{n}", "سارا", "احمدی", "کتاب;ورزش" if n % 3 == 0 else "",
                          "بله" if n % 2 else "", f"13{60 + n % 20}/{n % 12 + 1:02d}/{n % 28 + 1:02d}" if n % 5 == 0
                          else ""])
    with sales.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["external_id", "member_ref", "occurred_at", "amount", "sku", "category"])
        for n in range(1, purchases + 1):
            member = (n * 7919) % members + 1  # spread over the file, as a shop's export has them
            day = n * 730 // purchases  # two years, in order
            year, rest = divmod(day, 365)
            month, mday = rest // 31 + 1, rest % 28 + 1
            when = f"{1402 + year}/{min(month, 12):02d}/{mday:02d}" if n % 2 else \
                f"{2023 + year}-{min(month, 12):02d}-{mday:02d}"
            out.writerow([f"S{n}", f"C{member}", when, 50_000 + (n % 40) * 25_000, f"K{n % 300}",
                          "books" if n % 10 == 0 else "food"])
    return people, sales


def timed(command: list[str], env: dict) -> tuple[float, float, str]:
    """Wall seconds, peak resident MB of this very child (wait4), its output."""
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as output:
        child = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        output.seek(0)
        text = output.read()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{text[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, text  # ru_maxrss: KB on Linux


def baseline(server_url: str, name: str, people: Path, sales: Path) -> float:
    url = f"{server_url}/{name}"
    statements = [
        "DROP TABLE IF EXISTS bare_members, bare_purchases",
        "CREATE TABLE bare_members (phone text, external_ref text, first_name text, last_name text, interests text,"
        " sms_consent text, birth_date text)",
        "CREATE TABLE bare_purchases (external_id text, member_ref text, occurred_at text, amount text, sku text,"
        " category text)",
    ]
    for statement in statements:
        subprocess.run(["psql", url, "-qc", statement], check=True, capture_output=True)
    started = time.monotonic()
    for table, path in (("bare_members", people), ("bare_purchases", sales)):
        subprocess.run(["psql", url, "-qc", f"\\copy {table} FROM '{path}' WITH (FORMAT csv, HEADER true)"],
                       check=True, capture_output=True)
    seconds = time.monotonic() - started
    subprocess.run(["psql", url, "-qc", "DROP TABLE bare_members, bare_purchases"], check=True, capture_output=True)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/vafa_bench_imports")
    args = parser.parse_args()
    server, name = args.pg_url.rsplit("/", 1)
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing an unusual database name: {name!r}")
    for statement in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", f"{server}/postgres", "-qc", statement], check=True, capture_output=True)
    folder = Path(tempfile.mkdtemp(prefix="vafa-bench-imports-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAFA_")}
    env.update(DATABASE_URL=args.pg_url, VAFA_DEV="1", VAFA_VAR_DIR=str(folder / "var"))
    started = time.monotonic()
    people, sales = write_files(folder, args.members, args.purchases)
    log(f"files: {people.stat().st_size / 1e6:.1f} MB of members, {sales.stat().st_size / 1e6:.1f} MB of purchases"
        f" written in {time.monotonic() - started:.1f}s")
    subprocess.run([*VAFA, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*VAFA, "create-merchant", "فروشگاه"], env=env, check=True, capture_output=True)
    subprocess.run([*VAFA, "shell", "-c",
                    "from vafa.program.services import rule_create; rule_create(data={'name': 'Books double', "
                    "'status': 'live', 'conditions': {'categories': ['books']}, "
                    "'effect': {'type': 'multiplier', 'percent': 200}})"], env=env, check=True, capture_output=True)

    bare = baseline(server, name, people, sales)
    log(f"baseline: both files \\copy'd into bare tables in {bare:.1f}s")
    members_s, members_mb, members_out = timed([*VAFA, "import", "members", str(people)], env)
    log(f"vafa import members: {args.members:,} in {members_s:.1f}s ({args.members / members_s:,.0f}/s),"
        f" peak {members_mb:.0f} MB: {members_out.strip().splitlines()[0]}")
    purchases_s, purchases_mb, purchases_out = timed([*VAFA, "import", "purchases", str(sales)], env)
    log(f"vafa import purchases: {args.purchases:,} in {purchases_s:.1f}s ({args.purchases / purchases_s:,.0f}/s),"
        f" peak {purchases_mb:.0f} MB: {' '.join(purchases_out.strip().splitlines())}")
    total = members_s + purchases_s
    log(f"together {total:.1f}s = {total / bare:.1f} x the bare \\copy ({bare:.1f}s); target under 600 s and 500 MB")
    expected_members = f"members: imported {args.members:,}".replace(",", "")
    expected_purchases = f"purchases: imported {args.purchases}"
    ok = (members_out.startswith(expected_members) and purchases_out.startswith(expected_purchases)
          and "refused 0" in members_out and "refused 0" in purchases_out)
    figures = {"members": args.members, "purchases": args.purchases, "members_seconds": round(members_s, 1),
               "members_peak_mb": round(members_mb), "purchases_seconds": round(purchases_s, 1),
               "purchases_peak_mb": round(purchases_mb), "bare_copy_seconds": round(bare, 1),
               "ratio_to_bare": round(total / bare, 1), "ok": ok}
    out = ROOT / "var" / "bench-imports.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    log(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
