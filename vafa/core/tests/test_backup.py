"""`vafa backup` and `vafa restore`, as an operator runs them: a club backed up and restored
into a fresh, empty database holds the same members, transfers and points outstanding, and
passes `vafa verify-ledger`; a restore never overwrites a database that holds tables."""

import os
import re
import sqlite3
import subprocess
import sys
import uuid

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def vafa(*args, env):
    return subprocess.run([sys.executable, "-m", "vafa", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def _env(tmp_path, database_url):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VAFA_") and k != "DATABASE_URL"}
    return {**clean, "VAFA_DEV": "1", "VAFA_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": database_url}


def _club(env):
    for args in (["migrate", "-v0"], ["demo", "--members", "15", "--purchases", "120"]):
        done = vafa(*args, env=env)
        assert done.returncode == 0, done.stderr


def _summary(env) -> str:
    done = vafa("verify-ledger", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("All ledger invariants hold.")
    return re.search(r"\d+ transfers, \d+ lots, \d+ member accounts, -?\d+ points outstanding\.", done.stdout).group()


def test_a_sqlite_club_is_backed_up_and_restored_whole(tmp_path):
    source = _env(tmp_path, f"sqlite:///{tmp_path / 'club.sqlite3'}")
    _club(source)
    made = vafa("backup", str(tmp_path / "club.backup"), env=source)
    assert made.returncode == 0 and "sqlite backup of" in made.stdout, made.stderr
    target = {**source, "DATABASE_URL": f"sqlite:///{tmp_path / 'restored.sqlite3'}"}
    restored = vafa("restore", str(tmp_path / "club.backup"), env=target)
    assert restored.returncode == 0, restored.stderr
    assert _summary(target) == _summary(source)
    counts = [sqlite3.connect(tmp_path / name).execute("SELECT count(*) FROM members_member").fetchone()
              for name in ("club.sqlite3", "restored.sqlite3")]
    assert counts[0] == counts[1] == (15,)
    # Never over a database that holds tables; never a file that is not a backup
    again = vafa("restore", str(tmp_path / "club.backup"), env=target)
    assert again.returncode == 1 and "is not empty" in again.stderr
    (tmp_path / "junk").write_text("hello")
    junk = vafa("restore", str(tmp_path / "junk"), env={**target, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert junk.returncode == 1 and "is not a backup made by vafa backup" in junk.stderr


@pytest.mark.postgres
def test_a_postgresql_club_is_backed_up_and_restored_whole(tmp_path):
    import psycopg

    server = connection.settings_dict
    base = f"postgres://{server['USER']}@{server['HOST']}:{server['PORT'] or 5432}"
    names = [f"vafa_backup_{uuid.uuid4().hex[:8]}_{n}" for n in ("src", "dst")]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        source = _env(tmp_path, f"{base}/{names[0]}")
        _club(source)
        made = vafa("backup", str(tmp_path / "club.dump"), env=source)
        assert made.returncode == 0 and "postgresql backup of" in made.stdout, made.stderr
        assert (tmp_path / "club.dump").read_bytes()[:5] == b"PGDMP"
        target = {**source, "DATABASE_URL": f"{base}/{names[1]}"}
        restored = vafa("restore", str(tmp_path / "club.dump"), env=target)
        assert restored.returncode == 0, restored.stderr
        assert _summary(target) == _summary(source)
        with psycopg.connect(f"{base}/{names[1]}") as db:
            assert db.execute("SELECT count(*) FROM members_member").fetchone() == (15,)
            triggers = db.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'ledger_%'").fetchone()
            assert triggers == (4,)  # the ledger's history guard comes back with the tables
        again = vafa("restore", str(tmp_path / "club.dump"), env=target)
        assert again.returncode == 1 and "is not empty" in again.stderr
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
