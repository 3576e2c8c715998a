"""The `vafa` console command as an operator uses it: a fresh SQLite database in a temp folder."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

VAFA = shutil.which("vafa", path=str(Path(sys.executable).parent)) or "vafa"


@pytest.fixture
def run(tmp_path):
    env = {**os.environ, "VAFA_DEV": "1", "VAFA_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)

    def vafa(*args):
        return subprocess.run([VAFA, *args], env=env, capture_output=True, text=True, timeout=120)

    return vafa


def test_operator_commands_on_a_fresh_install(run, tmp_path):
    # Given a fresh install
    assert run("migrate", "-v0").returncode == 0
    assert (tmp_path / "vafa.sqlite3").exists()
    # When a merchant is created, Then its API key is the last line of the output
    created = run("create-merchant", "فروشگاه آزمایشی")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("vafa_") and len(key) > 40
    # And an empty ledger verifies, and expiry has nothing to do
    verified = run("verify-ledger")
    assert verified.returncode == 0, verified.stdout
    assert "All ledger invariants hold." in verified.stdout
    expired = run("expire-points")
    assert expired.returncode == 0
    assert expired.stdout.strip() == "Expired 0 points of 0 members."


def test_verify_ledger_exits_1_with_the_broken_invariant(run, tmp_path):
    import sqlite3

    assert run("migrate", "-v0").returncode == 0
    assert run("create-merchant", "Shop").returncode == 0
    # Given a corrupted cached balance on a member account
    with sqlite3.connect(tmp_path / "vafa.sqlite3") as db:
        db.execute("INSERT INTO members_member (phone, kind, first_name, last_name, organization_name, national_id,"
                   " email, status, referral_code, joined_at) VALUES ('+989121234567', 'person', '', '', '', '', '',"
                   " 'active', 'ABCDEFG', '2026-01-01 00:00:00')")
        member_id = db.execute("SELECT id FROM members_member").fetchone()[0]
        db.execute("INSERT INTO ledger_account (code, role, member_id, balance, deficit) VALUES (?, 'member', ?, 5, 0)",
                   (f"member:{member_id}", member_id))
    # When the ledger is verified, Then it fails with a precise report
    result = run("verify-ledger")
    assert result.returncode == 1
    assert "FAIL 1. all balances sum to zero" in result.stdout
    assert f"member account member:{member_id} caches 5 but its transfers sum to 0" in result.stdout
