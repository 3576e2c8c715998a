"""The installation's settings file (var/vafa.env) and typed settings: one clear line, never a traceback."""

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from vafa import config

VAFA = shutil.which("vafa", path=str(Path(sys.executable).parent)) or "vafa"
DEV_SECRET = "vafa-local-development-secret-do-not-use-in-production"
NOTE = "this installation's settings go there"


@pytest.fixture
def environ(monkeypatch):
    """An empty process environment for the test (the settings file writes into it)."""
    env: dict[str, str] = {}
    monkeypatch.setattr(os, "environ", env)
    monkeypatch.setattr(config, "_from_file", {})
    return env


def secret_in(path: Path) -> str:
    return next(line.partition("=")[2] for line in path.read_text().splitlines()
                if line.startswith("VAFA_SECRET_KEY="))


def test_first_run_creates_the_file_with_a_secret_private_and_later_runs_reuse_it(environ, tmp_path, capsys):
    # Given no secret in the environment and no settings file, When the settings load
    path = config.load_settings_file(tmp_path)
    # Then the file is created, readable by its owner only, with a new secret now in effect
    assert path == tmp_path / "vafa.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = secret_in(path)
    assert len(secret) >= 60
    assert environ["VAFA_SECRET_KEY"] == secret
    assert capsys.readouterr().err == f"vafa: created {path} with a new secret key; {NOTE}\n"
    # And it describes the main settings, commented out
    text = path.read_text()
    for name in ("DATABASE_URL", "VAFA_ALLOWED_HOSTS", "VAFA_SMS_BACKEND", "VAFA_WORKERS"):
        assert f"\n# {name}=" in text
    assert "\nVAFA_DEV=" not in text
    # When a later command loads them, Then the same secret is used and nothing is written or said
    environ.clear()
    config.load_settings_file(tmp_path)
    assert environ["VAFA_SECRET_KEY"] == secret
    assert path.read_text() == text
    assert capsys.readouterr().err == ""


def test_a_developer_machine_is_recorded_so_bare_commands_behave_the_same(environ, tmp_path):
    # Given `make` exported VAFA_DEV=1 when the file was created
    environ["VAFA_DEV"] = "1"
    config.load_settings_file(tmp_path)
    # When a command is typed later without it, Then it is still a developer's machine
    environ.clear()
    config.load_settings_file(tmp_path)
    assert environ["VAFA_DEV"] == "1"


def test_no_file_is_created_when_the_environment_holds_the_secret(environ, tmp_path):
    environ["VAFA_SECRET_KEY"] = "s" * 50
    config.load_settings_file(tmp_path)
    assert not (tmp_path / "vafa.env").exists()


def test_the_environment_wins_over_the_file_even_when_empty(environ, tmp_path):
    # Given a settings file, and an environment that sets two of its variables
    (tmp_path / "vafa.env").write_text(
        "# comment\n\n; also a comment\nVAFA_SECRET_KEY = 'from the file'\nVAFA_WORKERS=3\n"
        'DATABASE_URL="postgres://vafa@db:5432/vafa"\nVAFA_SMS_SENDER=3000\n')
    environ.update(VAFA_WORKERS="5", DATABASE_URL="")
    # When the settings load, Then the environment's values stand and the file fills the rest
    config.load_settings_file(tmp_path)
    assert {k: v for k, v in environ.items() if k != "PYTEST_CURRENT_TEST"} == {
        "VAFA_SECRET_KEY": "from the file", "VAFA_WORKERS": "5", "DATABASE_URL": "", "VAFA_SMS_SENDER": "3000"}
    assert config.env_int("VAFA_WORKERS", 1, minimum=1) == 5
    # And an empty value means the default
    assert config.env_str("DATABASE_URL", "sqlite:///x") == "sqlite:///x"


def test_a_malformed_line_names_its_line_but_does_not_repeat_it(environ, tmp_path):
    (tmp_path / "vafa.env").write_text("VAFA_SECRET_KEY=abc\nVAFA SECRET=hunter2\n")
    with pytest.raises(ImproperlyConfigured) as caught:
        config.load_settings_file(tmp_path)
    assert str(caught.value) == f"{tmp_path / 'vafa.env'}, line 2: expected NAME=value"
    (tmp_path / "vafa.env").write_text("VAFA_VAR_DIR=/elsewhere\n")
    with pytest.raises(ImproperlyConfigured, match="VAFA_VAR_DIR is read from the environment only"):
        config.load_settings_file(tmp_path)


def test_processes_starting_together_agree_on_one_secret(tmp_path):
    # gunicorn's workers and parallel test runs may all find no file at the same moment.
    env = {key: value for key, value in os.environ.items() if not key.startswith("VAFA_")}
    code = ("import os, pathlib, sys, vafa.config as c; c.load_settings_file(pathlib.Path(sys.argv[1])); "
            "print(os.environ['VAFA_SECRET_KEY'])")
    runs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert {out.strip() for out, _ in outputs} == {secret_in(tmp_path / "vafa.env")}
    assert sum("created" in err for _, err in outputs) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["vafa.env"]


@pytest.mark.parametrize(("name", "value", "read", "message"), [
    ("VAFA_WORKERS", "abc", lambda: config.env_int("VAFA_WORKERS", 1, minimum=1),
     "VAFA_WORKERS must be a whole number of at least 1, not 'abc'"),
    ("VAFA_WORKERS", "0", lambda: config.env_int("VAFA_WORKERS", 1, minimum=1),
     "VAFA_WORKERS must be a whole number of at least 1, not '0'"),
    ("VAFA_SMS_TIMEOUT", "x", lambda: config.env_float("VAFA_SMS_TIMEOUT", 10.0),
     "VAFA_SMS_TIMEOUT must be a number above 0, not 'x'"),
    ("VAFA_SMS_TIMEOUT", "nan", lambda: config.env_float("VAFA_SMS_TIMEOUT", 10.0),
     "VAFA_SMS_TIMEOUT must be a number above 0, not 'nan'"),
    ("VAFA_DEV", "maybe", lambda: config.env_bool("VAFA_DEV", False),
     "VAFA_DEV must be 1 or 0 (or true/false, yes/no, on/off), not 'maybe'"),
    ("VAFA_SMS_BACKEND", "twilio", lambda: config.env_choice("VAFA_SMS_BACKEND", "console", ("console", "smsir")),
     "VAFA_SMS_BACKEND must be one of console, smsir, not 'twilio'"),
])
def test_a_bad_value_is_one_line_naming_the_variable(environ, name, value, read, message):
    environ[name] = value
    with pytest.raises(ImproperlyConfigured) as caught:
        read()
    assert str(caught.value) == message


def test_a_bad_value_from_the_file_says_so(environ, tmp_path):
    (tmp_path / "vafa.env").write_text("VAFA_SECRET_KEY=abc\nVAFA_THREADS=many\n")
    config.load_settings_file(tmp_path)
    with pytest.raises(ImproperlyConfigured) as caught:
        config.env_int("VAFA_THREADS", 1, minimum=1)
    assert str(caught.value) == (f"VAFA_THREADS must be a whole number of at least 1, not 'many' "
                                 f"(in {tmp_path / 'vafa.env'})")


@pytest.mark.parametrize(("url", "start"), [
    ("localhost/vafa", "DATABASE_URL must start with postgres:// or sqlite:/// (it has no scheme;"),
    ("mysql://vafa:hunter2@db/vafa", "DATABASE_URL must be a PostgreSQL or SQLite database, not mysql://"),
    ("postgres://vafa:hunter2@db:port/vafa", "DATABASE_URL is not a valid database address"),
    ("postgres://vafa:hunter2@db:5432", "DATABASE_URL names no database"),
])
def test_a_malformed_database_url_is_one_line_without_the_password(environ, url, start):
    with pytest.raises(ImproperlyConfigured) as caught:
        config.database_settings(url)
    assert str(caught.value).startswith(start)
    assert "hunter2" not in str(caught.value) and "\n" not in str(caught.value)


def test_the_sms_backends_settings_checks_are_the_ones_that_exist(settings):
    from vafa.integrations.sms.base import BACKENDS

    assert set(settings.SMS_BACKENDS) == set(BACKENDS)


# The real `vafa` command, as a newcomer types it: in a folder of their own, ./var by default.


@pytest.fixture
def vafa(tmp_path):
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith("VAFA_") and key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}

    def run(*args, **env):
        return subprocess.run([VAFA, *args], cwd=tmp_path, env={**clean, **env}, capture_output=True, text=True,
                              timeout=180)

    return run


def test_after_make_run_commands_typed_by_hand_work_and_bad_values_are_one_line(vafa, tmp_path):
    # Given `make run`'s first command (it exports VAFA_DEV=1) in a fresh folder
    migrated = vafa("migrate", "-v0", VAFA_DEV="1")
    assert migrated.returncode == 0, migrated.stderr
    settings_file = tmp_path / "var" / "vafa.env"
    assert migrated.stderr == f"vafa: created {settings_file} with a new secret key; {NOTE}\n"
    assert (tmp_path / "var" / "vafa.sqlite3").exists()
    # When the newcomer types a command without VAFA_DEV, Then it works, quietly
    verified = vafa("verify-ledger")
    assert (verified.returncode, verified.stderr) == (0, ""), verified.stderr
    assert "All ledger invariants hold." in verified.stdout
    # When a setting is bad in the environment, Then one line names it and the exit status is 2
    served = vafa("serve", VAFA_WORKERS="abc")
    assert (served.returncode, served.stdout) == (2, "")
    assert served.stderr == "vafa: VAFA_WORKERS must be a whole number of at least 1, not 'abc'\n"
    # And the same for one in the settings file
    with settings_file.open("a") as handle:
        handle.write("VAFA_SMS_TIMEOUT=x\n")
    broken = vafa("verify-ledger")
    assert broken.returncode == 2
    assert broken.stderr == f"vafa: VAFA_SMS_TIMEOUT must be a number above 0, not 'x' (in {settings_file})\n"


@pytest.mark.parametrize(("env", "message"), [
    ({"VAFA_SECRET_KEY": DEV_SECRET}, "vafa: VAFA_SECRET_KEY is the built-in development secret, refused in "
                                      "production"),
    ({"VAFA_SECRET_KEY": "change-me"}, "vafa: VAFA_SECRET_KEY is too short for production (9 characters"),
    ({"VAFA_SECRET_KEY": "k" * 50, "VAFA_SMS_BACKEND": "nope"}, "vafa: VAFA_SMS_BACKEND must be one of console, "),
    ({"VAFA_SECRET_KEY": "k" * 50, "DATABASE_URL": "mysql://u:hunter2@db/vafa"},
     "vafa: DATABASE_URL must be a PostgreSQL or SQLite database, not mysql://"),
])
def test_production_refuses_what_it_cannot_run_with_in_one_line(vafa, env, message):
    result = vafa("verify-ledger", **env)
    assert result.returncode == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert "hunter2" not in result.stderr


def test_production_without_a_secret_in_an_existing_file_is_one_line(vafa, tmp_path):
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "vafa.env").write_text("DATABASE_URL=\n")
    result = vafa("verify-ledger")
    assert result.returncode == 2
    assert result.stderr == (f"vafa: VAFA_SECRET_KEY is not set (in the environment or {tmp_path}/var/vafa.env); "
                             "VAFA_DEV=1 allows a development secret on a developer's machine\n")


def test_every_setting_is_in_the_readme():
    root = Path(__file__).resolve().parents[3]
    read = set(re.findall(r'env_\w+\(f?"((?:VAFA_|DATABASE_URL)[A-Z_]*)', (root / "vafa/settings.py").read_text()))
    read.discard("VAFA_OTP_")  # documented together as VAFA_OTP_*
    assert len(read) > 20
    table = (root / "README.md").read_text().partition("## Configuration")[2].partition("\n## ")[0]
    assert sorted(name for name in read if f"`{name}`" not in table) == []
