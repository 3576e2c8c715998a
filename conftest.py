"""Test set-up shared by every app: factories as fixtures, PostgreSQL-only marks."""

import os

import pytest
from hypothesis import settings as hypothesis_settings

# CI explores the same examples every run (a red CI must be reproducible); a developer's run
# draws new ones each time, to keep finding what CI has not seen.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _require_postgres_when_asked(django_db_blocker):
    # `make test` sets this for its PostgreSQL run, so a misconfigured run fails
    # instead of silently skipping the concurrency tests.
    if os.environ.get("VAFA_REQUIRE_POSTGRES") == "1":
        from django.db import connection

        assert connection.vendor == "postgresql", "VAFA_REQUIRE_POSTGRES=1 but the database is not PostgreSQL"


@pytest.fixture(autouse=True)
def _forget_cached_ids():
    # Tests roll back or truncate rows that per-process id caches may remember.
    from vafa.core.idcache import clear_all
    from vafa.program.selectors import forget_program

    clear_all()
    forget_program()
    yield
    clear_all()
    forget_program()


@pytest.fixture
def merchant(db):
    from vafa.merchants.services import merchant_create

    return merchant_create(name="فروشگاه نمونه")


@pytest.fixture
def api_key(merchant):
    from vafa.merchants.services import api_key_create

    return api_key_create(merchant=merchant)[1]


@pytest.fixture
def member_factory(db):
    from vafa.members.services import member_create

    counter = {"n": 0}

    def make(**kwargs):
        counter["n"] += 1
        kwargs.setdefault("phone", f"0912{counter['n']:07d}")
        kwargs.setdefault("first_name", "سارا")
        kwargs.setdefault("last_name", "محمدی")
        return member_create(**kwargs)

    return make


@pytest.fixture
def member(member_factory):
    return member_factory()


@pytest.fixture
def sms_file(settings, tmp_path):
    """The console SMS backend writing to a file of this test's own."""
    settings.SMS_OUTBOX = tmp_path / "outbox.jsonl"
    settings.SMS_BACKEND = "console"
    return settings.SMS_OUTBOX


@pytest.fixture
def api(client, api_key):
    """A Django test client speaking JSON with the merchant's API key."""

    class Api:
        def __init__(self):
            self.headers = {"Authorization": f"Bearer {api_key}"}

        def post(self, path, body=None, *, raw=None, headers=None, lang="en"):
            return client.post(f"/api/v1{path}", data=raw if raw is not None else body or {},
                               content_type="application/json",
                               headers={**self.headers, "Accept-Language": lang, **(headers or {})})

        def patch(self, path, body=None, *, headers=None, lang="en"):
            return client.patch(f"/api/v1{path}", data=body or {}, content_type="application/json",
                                headers={**self.headers, "Accept-Language": lang, **(headers or {})})

        def get(self, path, *, headers=None, lang="en"):
            return client.get(f"/api/v1{path}", headers={**self.headers, "Accept-Language": lang,
                                                          **(headers or {})})

    return Api()
