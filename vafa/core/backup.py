"""`vafa backup PATH` and `vafa restore PATH`: a complete copy of the database, and loading one
into an empty database.

PostgreSQL goes through `pg_dump --format=custom` and `pg_restore` (consistent while the club
runs: pg_dump reads one snapshot); SQLite through its online backup API (consistent too, page
by page, while others write). A restore refuses a database that already holds tables, and a
backup of the other kind of database; afterwards `vafa verify-ledger` checks the books.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """Said in one line by the command."""


def _pg_args() -> tuple[list[str], dict[str, str]]:
    """Connection options of pg_dump/pg_restore for the configured database (the password in
    the environment, never on a command line others can read)."""
    db = connection.settings_dict
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt install postgresql-client)")
    return found


def _sqlite_path() -> Path:
    return Path(connection.settings_dict["NAME"])


def backup(path: Path) -> str:
    """Write a complete backup of the database to `path`; answers what was written."""
    path = Path(path)
    if path.exists() and path.is_dir():
        raise BackupError(f"{path} is a folder: name the backup file")
    draft = path.with_name(f".{path.name}.partial")
    if connection.vendor == "postgresql":
        args, env = _pg_args()
        done = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(draft), *args],
                              env=env, capture_output=True, text=True)
        if done.returncode != 0:
            draft.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {done.stderr.strip().splitlines()[-1] if done.stderr else done}")
    else:
        connection.ensure_connection()
        target = sqlite3.connect(draft)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    draft.replace(path)  # a backup file is whole or absent
    return f"{connection.vendor} backup of {connection.settings_dict['NAME']} written to {path}"


def _has_tables() -> bool:
    return bool(connection.introspection.table_names())


def restore(path: Path) -> str:
    """Load the backup at `path` into the configured database, which must be empty."""
    path = Path(path)
    try:
        head = path.open("rb").read(16)
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from None
    kind = "postgresql" if head.startswith(PG_MAGIC) else "sqlite" if head.startswith(SQLITE_MAGIC) else None
    if kind is None:
        raise BackupError(f"{path} is not a backup made by vafa backup")
    if kind != connection.vendor:
        raise BackupError(f"{path} is a {kind} backup; DATABASE_URL names a {connection.vendor} database")
    if _has_tables():
        raise BackupError(f"the database {connection.settings_dict['NAME']} is not empty: restore into a new, "
                          "empty database (DATABASE_URL)")
    if kind == "postgresql":
        args, env = _pg_args()
        connection.close()
        done = subprocess.run([_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction",
                               *args, str(path)], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip().splitlines()[-1] if done.stderr else done}")
    else:
        connection.close()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path())
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    return f"{path} restored into {connection.settings_dict['NAME']}; check it with vafa verify-ledger"
