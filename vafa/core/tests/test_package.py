"""The built package is complete: its wheel holds the compiled catalogs and the front-end files the
pages use, and installed alone in a fresh virtualenv it answers in Persian and serves whole pages.

The wheel is built the way a release is: `python -m build` makes the sdist, then the wheel from the
unpacked sdist, so a file the build needs but the sdist forgets fails here. Building and installing
take a minute or two, so `make test` runs these (marker `package`) in its PostgreSQL run only.
"""

import gettext
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "vafa" / "web" / "templates"
PO_FA = ROOT / "vafa" / "locale" / "fa" / "LC_MESSAGES" / "django.po"
STATIC_REF = re.compile(r"""\{%\s*static\s+['"]([^'"]+)['"]\s*%\}""")
# What never goes into the copy the package is built from: the checkout's own state.
NOT_SOURCE = {".git", ".venv", "node_modules", "var", "build", "dist", "test-artifacts", "__pycache__",
              ".hypothesis", ".ruff_cache", ".import_linter_cache", ".pytest_cache"}


def referenced_static_files() -> set[str]:
    """Every static file a template names, and every file a vendor stylesheet loads (the font)."""
    found = {ref for path in TEMPLATES.rglob("*.html") for ref in STATIC_REF.findall(path.read_text())}
    for ref in [ref for ref in found if ref.endswith(".css") and ref.startswith("vendor/")]:
        css = (ROOT / "vafa" / "web" / "static" / ref).read_text()
        for url in re.findall(r"url\(['\"]?([^'\")]+)['\"]?\)", css):
            found.add(str(Path(ref).parent / url))
    return found


def test_every_static_file_a_page_names_is_found_where_the_installed_package_has_it():
    # The same folder serves in a checkout (`make install` fills it) and in an installed wheel.
    from django.contrib.staticfiles import finders

    refs = referenced_static_files()
    assert {"vendor/htmx/htmx.min.js", "vendor/chartjs/chart.umd.min.js",
            "vendor/vazirmatn/fonts/webfonts/Vazirmatn[wght].woff2"} <= refs
    missing = [ref for ref in sorted(refs) if not finders.find(ref)]
    assert missing == [], "run `make install` (tools/build_assets.py fills vafa/web/static/vendor/)"
    for ref in refs:
        assert Path(finders.find(ref)).is_relative_to(ROOT / "vafa"), ref


def _source_copy(dest: Path) -> Path:
    def ignore(folder, names):
        return [name for name in names if name in NOT_SOURCE or name.endswith((".egg-info", ".mo", ".pyc"))
                or Path(folder, name) == ROOT / "vafa" / "web" / "static" / "vendor"]

    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


def _clean_env(**extra) -> dict[str, str]:
    """The environment of someone who has never run Vafa (no settings, no database named)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("VAFA_", "DJANGO_", "VIRTUAL_ENV", "PYTHON")) and key != "DATABASE_URL"}
    return {**env, **extra}


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    work = tmp_path_factory.mktemp("build")
    source = _source_copy(work / "src")
    out = work / "dist"
    result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(source)], env=_clean_env(),
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = out.glob("vafa-*.whl")
    (sdist,) = out.glob("vafa-*.tar.gz")
    return wheel, sdist


@pytest.mark.package
@pytest.mark.xdist_group("package")
def test_the_wheel_holds_the_catalogs_and_exactly_the_front_end_files_and_the_sdist_what_builds_it(dist):
    from tools.build_assets import VENDOR_FILES

    wheel, sdist = dist
    names = set(zipfile.ZipFile(wheel).namelist())
    # The compiled catalogs, with every message of the .po
    for lang in ("fa", "en"):
        assert f"vafa/locale/{lang}/LC_MESSAGES/django.mo" in names
    with zipfile.ZipFile(wheel).open("vafa/locale/fa/LC_MESSAGES/django.mo") as handle:
        catalog = gettext.GNUTranslations(handle)
    assert catalog.gettext("Log in or join the club") == _persian("Log in or join the club")
    assert len(catalog._catalog) > 300
    # Every file the pages reference, and nothing else of the npm packages
    static = {name.removeprefix("vafa/web/static/") for name in names if name.startswith("vafa/web/static/")}
    assert referenced_static_files() <= static
    assert {name for name in static if name.startswith("vendor/")} == {f"vendor/{t}" for _, _, t in VENDOR_FILES}
    # The sdist carries what building the wheel needs, and nothing generated
    with tarfile.open(sdist) as tar:
        members = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert {"package.json", "package-lock.json", "setup.py", "MANIFEST.in", "tools/build_assets.py",
            "vafa/locale/fa/LC_MESSAGES/django.po", "vafa/locale/en/LC_MESSAGES/django.po",
            "deploy/vafa-web.service", "deploy/vafa-worker.service"} <= members
    assert [name for name in members if name.endswith(".mo") or "/static/vendor/" in name] == []


def _persian(msgid: str) -> str:
    """The Persian of a one-line message, from the source catalog."""
    text = PO_FA.read_text(encoding="utf-8")
    match = re.search(rf'^msgid "{re.escape(msgid)}"\nmsgstr "(.+)"$', text, re.MULTILINE)
    assert match, msgid
    return match.group(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.package
@pytest.mark.xdist_group("package")
def test_the_wheel_in_a_fresh_virtualenv_answers_in_persian_and_serves_complete_pages(dist, tmp_path):
    wheel, _ = dist
    # Given the wheel installed alone in a fresh virtualenv (its dependencies from the index)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    installed = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], env=_clean_env(),
                               capture_output=True, text=True, timeout=1200)
    assert installed.returncode == 0, installed.stderr[-3000:]
    vafa = str(venv / "bin" / "vafa")
    # And an empty folder, with nothing configured
    site = tmp_path / "site"
    site.mkdir()
    env = _clean_env()

    def run(*args):
        result = subprocess.run([vafa, *args], cwd=site, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"vafa {' '.join(args)}: {result.stderr[-3000:]}"
        return result

    # When it is migrated and a merchant is created
    run("migrate", "-v0")
    assert (site / "var" / "vafa.env").exists() and (site / "var" / "vafa.sqlite3").exists()
    key = run("create-merchant", "Shop").stdout.strip().splitlines()[-1]
    # And it is served
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with (tmp_path / "serve.log").open("w") as log:
        server = subprocess.Popen([vafa, "serve", "--port", str(port), "--workers", "1"], cwd=site, env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.2)
        # Then an API error speaks Persian when asked, from the compiled catalog
        auth = {"Authorization": f"Bearer {key}"}
        status, body = _get(f"{base}/api/v1/members/999999", {**auth, "Accept-Language": "en"})
        english = json.loads(body)["error"]["message"]
        status, body = _get(f"{base}/api/v1/members/999999", {**auth, "Accept-Language": "fa"})
        assert status == 404
        assert json.loads(body)["error"] == {**json.loads(body)["error"], "code": "member_not_found",
                                             "message": _persian(english)}
        # And the portal's login page is Persian, right to left
        status, page = _get(f"{base}/login/")
        html = page.decode()
        assert status == 200
        assert '<html lang="fa" dir="rtl">' in html
        assert _persian("Log in or join the club") in html
        # And every file the page loads is served, with the font its stylesheet names and Chart.js
        urls = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))
        assert {"/static/vendor/htmx/htmx.min.js", "/static/vendor/vazirmatn/Vazirmatn-Variable-font-face.css"} <= urls
        urls |= {"/static/vendor/vazirmatn/fonts/webfonts/Vazirmatn%5Bwght%5D.woff2",
                 "/static/vendor/chartjs/chart.umd.min.js"}
        for url in sorted(urls):
            status, content = _get(base + url)
            assert (url, status) == (url, 200) and content
    finally:
        server.terminate()
        server.wait(timeout=30)
