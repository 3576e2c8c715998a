"""Browser tests: Playwright driving Debian's Chromium against a live server.

Fixtures:
- `browser`: one Chromium per test process (`/usr/bin/chromium`, or `VAFA_CHROMIUM`).
- `page`: a fresh desktop page (1280x800, or `@pytest.mark.viewport(375, 812)`); the test fails on
  any JavaScript console error or uncaught exception (`page_errors.allow("...")` admits an
  expected one, e.g. a 403 the test asks for); a full-page screenshot is saved at the end to
  `test-artifacts/screenshots/<test name>.png`.
- `another_page(width, height)`: a second person's browser in the same test (own cookies).
- `shot(page, "step")`: an extra screenshot of a step.
- `axe_check(page)`: runs axe-core (from npm) for WCAG 2.1 A/AA and fails on any violation.
- `login_staff(page, user)` / `login_member(page, member)`: a logged-in session without typing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop in this thread; the ORM calls tests make between
# page steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[4]
SHOTS = Path(os.environ.get("VAFA_SCREENSHOTS", ROOT / "test-artifacts" / "screenshots"))
CHROMIUM = os.environ.get("VAFA_CHROMIUM", "/usr/bin/chromium")


def _axe_script() -> Path:
    from django.conf import settings

    return Path(settings.NODE_MODULES) / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make install` installs Debian's chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


class PageErrors:
    def __init__(self):
        self.errors: list[str] = []
        self.allowed: list[re.Pattern] = []

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def add(self, text: str) -> None:
        if not any(p.search(text) for p in self.allowed):
            self.errors.append(text)


@pytest.fixture
def page_errors():
    return PageErrors()


def _shot_name(request, step: str = "") -> str:
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    return f"{name}{'-' + step if step else ''}.png"


def _open_page(browser, base_url: str, errors: PageErrors, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=base_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and errors.add(f"console: {msg.text}"))
    page.on("pageerror", lambda exc: errors.add(f"uncaught: {exc}"))
    # Chromium's console line for a failed load has no address; this one names it.
    page.on("response", lambda r: r.status >= 400 and errors.add(f"http {r.status}: {r.url}"))
    return page


@pytest.fixture
def page(request, browser, live_server, page_errors, settings):
    settings.DEBUG = False
    marker = request.node.get_closest_marker("viewport")
    width, height = marker.args if marker else (1280, 800)
    page = _open_page(browser, live_server.url, page_errors, width, height)
    yield page
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=SHOTS / _shot_name(request), full_page=True)
    finally:
        page.context.close()
    assert page_errors.errors == [], "JavaScript errors on the page:\n" + "\n".join(page_errors.errors)


@pytest.fixture
def another_page(request, browser, live_server, page_errors):
    """Another person's browser (own cookies) beside `page`: `another_page(width, height)`.
    Its errors fail the test like the first page's; each gets a screenshot at the end."""
    opened = []

    def make(width: int = 1280, height: int = 800):
        opened.append(_open_page(browser, live_server.url, page_errors, width, height))
        return opened[-1]

    yield make
    SHOTS.mkdir(parents=True, exist_ok=True)
    for n, extra in enumerate(opened, start=2):
        try:
            extra.screenshot(path=SHOTS / _shot_name(request, f"browser{n}"), full_page=True)
        finally:
            extra.context.close()


@pytest.fixture
def shot(request):
    def take(page, step: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / _shot_name(request, step), full_page=True)

    return take


@pytest.fixture
def axe_check():
    def check(page) -> None:
        # Evaluated by the browser's debugger, not as a page script: the pages' Content-Security-
        # Policy (rightly) refuses an inline <script>, which is what add_script_tag would add.
        page.evaluate(_axe_script().read_text(encoding="utf-8") + "\n;window.axe = axe;")
        result = page.evaluate(
            """async () => await axe.run(document, {runOnly: {type: 'tag',
                 values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
        )
        found = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
                 for v in result["violations"]]
        assert found == [], f"accessibility problems on {page.url}:\n" + "\n".join(found)

    return check


def _session_cookie(page, live_server, session_key: str) -> None:
    from django.conf import settings

    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_key,
                               "url": live_server.url}])


@pytest.fixture
def login_staff(live_server):
    def login(page, user) -> None:
        from django.test import Client

        client = Client()
        client.force_login(user)
        _session_cookie(page, live_server, client.cookies["sessionid"].value)

    return login


@pytest.fixture
def login_member(live_server):
    def login(page, member) -> None:
        from django.contrib.sessions.backends.db import SessionStore

        from vafa.web.access import MEMBER_SESSION_KEY

        store = SessionStore()
        store[MEMBER_SESSION_KEY] = member.pk
        store.create()
        _session_cookie(page, live_server, store.session_key)

    return login


@pytest.fixture
def staff_factory(transactional_db):
    """Makes a staff account with a role: `staff_factory("cashier")` (password "vafa-test-pass-1")."""
    from vafa.merchants.staff import staff_create

    def make(role: str, username: str | None = None):
        return staff_create(username=username or f"{role}-user", password="vafa-test-pass-1", role=role,
                            first_name=role.title())

    return make
