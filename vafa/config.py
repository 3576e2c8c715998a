"""How vafa/settings.py reads its values: the installation's settings file, then typed variables.

The settings file is `<VAFA_VAR_DIR>/vafa.env` (`./var/vafa.env` by default): one NAME=value a
line, `#` comments, optional quotes around a value, the same format as a systemd EnvironmentFile.
When neither the environment holds VAFA_SECRET_KEY nor the file exists, the first `vafa` command
creates it with a new secret. Its values go into the process environment wherever the environment
has none, so the environment wins, and everything started from the process (gunicorn's workers,
subprocesses) sees the same settings.

A value that cannot be used is an ImproperlyConfigured naming the variable in one line (and the
file, when it came from there); `vafa` prints it without a traceback. An empty value means the
default.
"""

from __future__ import annotations

import math
import os
import re
import secrets
import sys
from datetime import date
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

SETTINGS_FILE_NAME = "vafa.env"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

# Which variables came from the settings file, to say so in an error.
_from_file: dict[str, Path] = {}

_TEMPLATE = """\
# Vafa's settings for this installation: one NAME=value a line, read by every `vafa` command
# (and the workers of `vafa serve`) whose var folder is this one ({var_dir}).
# A variable set in the environment wins over this file; an empty value means the default.
# Created on {today} with a new secret key: keep this file private (it is mode 0600).
# The README's Configuration table describes every setting; the main ones are below.

# Signs sessions and one-time codes; changing it logs everyone out.
VAFA_SECRET_KEY={secret}
{dev}
# The database; the default is SQLite in this folder (vafa.sqlite3).
# DATABASE_URL=postgres://vafa@127.0.0.1:5432/vafa

# The site behind an HTTPS proxy (the README's Production section).
# VAFA_ALLOWED_HOSTS=club.example.com
# VAFA_CSRF_TRUSTED_ORIGINS=https://club.example.com
# VAFA_TRUSTED_PROXIES=1
# VAFA_HTTPS=1

# The SMS gateway: console (prints and appends to outbox.jsonl here), kavenegar, smsir, ghasedak.
# VAFA_SMS_BACKEND=kavenegar
# VAFA_SMS_API_KEY=
# VAFA_SMS_SENDER=

# Processes and threads of `vafa serve` (default 2 x cores + 1, and 1).
# VAFA_WORKERS=3
# VAFA_THREADS=1
"""

_DEV_LINES = """
# A developer's machine (`make` set VAFA_DEV=1 when this file was made): the development
# defaults apply, cookies are sent over plain HTTP. Remove it on a server.
VAFA_DEV=1
"""


def load_settings_file(var_dir: Path) -> Path:
    """Create `var_dir/vafa.env` on the first run, then put its values into os.environ where the
    environment has none; answers the file's path."""
    path = var_dir / SETTINGS_FILE_NAME
    if not os.environ.get("VAFA_SECRET_KEY") and not path.exists():
        _create(path, var_dir)
    for name, value in read_settings_file(path).items():
        if name not in os.environ:
            os.environ[name] = value
            _from_file[name] = path
    return path


def read_settings_file(path: Path) -> dict[str, str]:
    """The NAME=value lines of a settings file ({} when there is none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeError) as exc:
        raise ImproperlyConfigured(f"cannot read the settings file {path}: {exc}") from None
    values = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        name, equals, value = line.partition("=")
        name, value = name.strip(), value.strip()
        # The line itself is not repeated: it may hold a secret.
        if not equals or not _NAME.fullmatch(name):
            raise ImproperlyConfigured(f"{path}, line {number}: expected NAME=value")
        if name == "VAFA_VAR_DIR":
            raise ImproperlyConfigured(f"{path}, line {number}: VAFA_VAR_DIR is read from the environment only "
                                       "(it says where this file is)")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name] = value
    return values


def _create(path: Path, var_dir: Path) -> None:
    dev = os.environ.get("VAFA_DEV", "").strip().lower() in _TRUE
    text = _TEMPLATE.format(var_dir=var_dir, today=date.today().isoformat(), secret=secrets.token_urlsafe(50),
                            dev=_DEV_LINES if dev else "")
    # Written aside and linked into place: several processes starting at once (gunicorn's
    # workers, parallel test runs) agree on one file, and none reads it half written.
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            os.link(draft, path)
        except FileExistsError:
            return  # another process was first; its file is the one
        except OSError:
            # A file system without hard links: create it exclusively in place instead.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
        finally:
            draft.unlink()
    except OSError as exc:
        raise ImproperlyConfigured(f"cannot create the settings file {path} ({exc.strerror}): set VAFA_SECRET_KEY "
                                   "in the environment, or VAFA_VAR_DIR to a folder this user may write") from None
    print(f"vafa: created {path} with a new secret key; this installation's settings go there",
          file=sys.stderr)


def _where(name: str) -> str:
    return f" (in {_from_file[name]})" if name in _from_file else ""


def _bad(name: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name} must be {expected}, not {os.environ[name]!r}{_where(name)}")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name).lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _bad(name, "1 or 0 (or true/false, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = env_str(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise _bad(name, f"a whole number of at least {minimum}") from None
    if number < minimum:
        raise _bad(name, f"a whole number of at least {minimum}")
    return number


def env_float(name: str, default: float, *, above: float = 0.0) -> float:
    value = env_str(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise _bad(name, f"a number above {above:g}") from None
    if not math.isfinite(number) or number <= above:
        raise _bad(name, f"a number above {above:g}")
    return number


def env_choice(name: str, default: str, choices: tuple[str, ...] | list[str]) -> str:
    """One of `choices`, given in any case."""
    value = env_str(name, default)
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise _bad(name, f"one of {', '.join(choices)}")


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated list; blanks around the items are dropped."""
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def database_settings(url: str, **options) -> dict:
    """Django's DATABASES entry for a DATABASE_URL; Vafa runs on PostgreSQL or SQLite. The address
    is never repeated in an error (it may hold a password)."""
    import dj_database_url

    scheme = url.partition("://")[0] if "://" in url else ""
    where = _where("DATABASE_URL")
    hint = "e.g. postgres://vafa@127.0.0.1:5432/vafa or sqlite:////var/lib/vafa/vafa.sqlite3"
    try:
        config = dj_database_url.parse(url, **options)
    except dj_database_url.UnknownSchemeError:
        shown = f"{scheme}://" if scheme else "no scheme"
        raise ImproperlyConfigured(f"DATABASE_URL must start with postgres:// or sqlite:/// (it has {shown}; {hint})"
                                   f"{where}") from None
    except Exception:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database address (a port that is not a number, "
                                   f"or a character to %-quote in the password?; {hint}){where}") from None
    engine = config.get("ENGINE", "")
    if engine not in {"django.db.backends.postgresql", "django.db.backends.sqlite3"}:
        raise ImproperlyConfigured(f"DATABASE_URL must be a PostgreSQL or SQLite database, not {scheme}:// ({hint})"
                                   f"{where}")
    if not config.get("NAME") or config["NAME"] == ":memory:":
        raise ImproperlyConfigured(f"DATABASE_URL names no database ({hint}){where}")
    return config
