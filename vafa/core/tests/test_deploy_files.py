"""The files in deploy/ name commands and options that exist, and agree with one another."""

import configparser
import re
import shlex
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


def exec_start(path: Path) -> list[str]:
    return shlex.split(unit(path)["Service"]["ExecStart"])


def test_there_are_units_for_the_web_and_the_worker():
    assert [path.name for path in UNITS] == ["vafa-web.service", "vafa-worker.service"]
    assert [exec_start(path)[1] for path in UNITS] == ["serve", "worker"]


@pytest.mark.parametrize("path", UNITS, ids=lambda path: path.name)
def test_a_unit_runs_an_existing_vafa_command_with_options_it_accepts(path):
    program, subcommand, *options = exec_start(path)
    # The console script, as `vafa` itself maps it (dashes to underscores).
    assert Path(program).name == "vafa" and Path(program).is_absolute()
    name = subcommand.replace("-", "_")
    commands = get_commands()
    assert name in commands, f"{path.name}: no command `vafa {subcommand}`"
    parser = load_command_class(commands[name], name).create_parser("vafa", name)
    parser.parse_args(options)  # a CommandError for an option the command does not take


@pytest.mark.parametrize("path", UNITS, ids=lambda path: path.name)
def test_a_unit_runs_as_the_vafa_user_with_its_var_folder(path):
    service = unit(path)["Service"]
    assert (service["User"], service["Group"]) == ("vafa", "vafa")
    assert service["Environment"] == "VAFA_VAR_DIR=/var/lib/vafa"
    assert service["WorkingDirectory"] == service["ReadWritePaths"] == "/var/lib/vafa"
    assert unit(path)["Install"]["WantedBy"] == "multi-user.target"


def test_nginx_proxies_to_where_the_web_unit_serves():
    options = exec_start(DEPLOY / "vafa-web.service")[2:]
    host, port = options[options.index("--host") + 1], options[options.index("--port") + 1]
    site = (DEPLOY / "nginx-vafa.conf").read_text()
    assert re.search(rf"upstream vafa \{{\s*server {re.escape(host)}:{port};", site)
    assert "proxy_pass http://vafa;" in site
    # What VAFA_TRUSTED_PROXIES=1 and the HTTPS header expect of the proxy.
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "ssl_certificate /etc/letsencrypt/live/" in site


def test_the_example_settings_name_only_settings_that_exist():
    readme = (DEPLOY.parent / "README.md").read_text()
    names = re.findall(r"^#? ?(VAFA_[A-Z_]+|DATABASE_URL)=", (DEPLOY / "vafa.env.example").read_text(), re.M)
    assert len(names) >= 8
    assert [name for name in names if f"`{name}`" not in readme] == []


def test_vafa_check_deploy_passes_with_the_documented_production_settings(tmp_path):
    """deploy/vafa.env.example, with a secret, is a production installation Django's deploy
    checks (and Vafa's own) find nothing wrong with; without a gateway it fails."""
    import os
    import secrets
    import subprocess
    import sys

    settings_file = tmp_path / "vafa.env"
    example = (DEPLOY / "vafa.env.example").read_text()
    settings_file.write_text(f"VAFA_SECRET_KEY={secrets.token_urlsafe(50)}\n{example}".replace(
        "DATABASE_URL=postgres://vafa@127.0.0.1:5432/vafa", "DATABASE_URL="))
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("VAFA_", "DJANGO_")) and k != "DATABASE_URL"}  # the browser tests set some
    env = {**clean, "VAFA_VAR_DIR": str(tmp_path)}

    def check(**extra):
        return subprocess.run([sys.executable, "-m", "vafa", "check", "--deploy", "--fail-level", "WARNING"],
                              env={**env, **extra}, capture_output=True, text=True, timeout=120)

    passed = check()
    assert passed.returncode == 0, passed.stderr
    assert "System check identified no issues (2 silenced)." in passed.stdout
    settings_file.write_text(settings_file.read_text().replace("VAFA_SMS_BACKEND=kavenegar", ""))
    failed = check()
    assert failed.returncode == 1 and "vafa.E001" in failed.stderr
