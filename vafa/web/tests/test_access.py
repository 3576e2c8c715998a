"""Every back-office URL is closed to the roles it does not name, and every member page to strangers.

The views declare their roles (`staff_required`); this walks every URL of the back-office and of
the portal, so a page added without a guard fails here.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver

from vafa.merchants.staff import staff_create
from vafa.web.manage.urls import urlpatterns as manage_patterns
from vafa.web.portal.urls import urlpatterns as portal_patterns

pytestmark = pytest.mark.django_db
ROLES = ("owner", "manager", "cashier", "marketer")
OPEN_MANAGE = {"login", "logout"}
OPEN_PORTAL = {"login", "login_code", "login_resend", "join", "join_link", "logout"}


def _flatten(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _flatten(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _path(route: str, ids: dict) -> str:
    # Fill converters with ids of real objects, or 1 where the test has none of that kind.
    import re

    def fill(match):
        name = match.group(2)
        return str(ids.get(name, 1))

    return re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


@pytest.fixture
def ids(member):
    return {"member_id": member.pk, "pk": member.pk, "id": member.pk}


@pytest.fixture
def clients():
    made = {}
    for role in ROLES:
        user = staff_create(username=f"{role}-x", password="long-enough-pass-1", role=role)
        client = Client()
        client.force_login(user)
        made[role] = client
    return made


MANAGE = [(route, p) for route, p in _flatten(manage_patterns) if p.name not in OPEN_MANAGE]


def test_every_back_office_view_names_its_roles():
    unguarded = [route for route, p in MANAGE if not getattr(p.callback, "allowed_roles", None)]
    assert unguarded == []
    assert len(MANAGE) >= 10


@pytest.mark.parametrize(("route", "pattern"), MANAGE, ids=[r or "home" for r, _ in MANAGE])
def test_roles_outside_the_list_get_403_and_anonymous_goes_to_login(route, pattern, clients, ids):
    url = "/manage/" + _path(route, ids)
    allowed = pattern.callback.allowed_roles
    for role in ROLES:
        got = clients[role].get(url).status_code
        posted = clients[role].post(url, {}).status_code
        if role in allowed:
            assert got != 403 and posted != 403, (role, url)
            assert got < 500 and posted < 500, (role, url)
        else:
            assert got in (403, 405) and posted == 403, (role, url, got, posted)
    anonymous = Client().get(url)
    assert anonymous.status_code in (302, 405)
    if anonymous.status_code == 302:
        assert anonymous["Location"].startswith("/manage/login/?next=")


def test_the_reports_and_their_downloads_are_walked():
    # issue 13: every report is a page, a CSV and a workbook, each walked above for every role
    from vafa.web.manage.reports import REPORTS

    routes = {route for route, _p in MANAGE}
    assert "reports/" in routes
    for name in REPORTS:
        assert {f"reports/{name}/", f"reports/{name}.csv", f"reports/{name}.xlsx"} <= routes, name


# The referral link answers at "join" and "join/" (the second one unnamed).
PORTAL = [(route, p) for route, p in _flatten(portal_patterns)
          if p.name not in OPEN_PORTAL and route != "join/"]


def test_every_member_page_needs_the_member_session():
    unguarded = [route for route, p in PORTAL if not getattr(p.callback, "member_only", False)]
    assert unguarded == []


@pytest.mark.parametrize(("route", "pattern"), PORTAL, ids=[r or "home" for r, _ in PORTAL])
def test_member_pages_send_strangers_and_staff_to_the_member_login(route, pattern, clients, ids):
    url = "/" + _path(route, ids)
    for client in (Client(), clients["owner"]):
        response = client.get(url)
        assert response.status_code in (302, 405), url
        if response.status_code == 302:
            assert response["Location"].startswith("/login/"), url


# --- a partner's staff: the till only (issue 11) ---------------------------------------------------


@pytest.mark.parametrize(("route", "pattern"), MANAGE, ids=[r or "home" for r, _ in MANAGE])
def test_a_partners_staff_open_only_the_till(route, pattern, ids, merchant):
    from vafa.merchants.services import merchant_create

    partner = merchant_create(name="Partner cafe")
    url = "/manage/" + _path(route, ids)
    for role in ROLES:
        client = Client()
        client.force_login(staff_create(username=f"p-{role}", password="long-enough-pass-1", role=role,
                                        merchant_id=partner.pk))
        got, posted = client.get(url).status_code, client.post(url, {}).status_code
        if pattern.callback.partner_staff and role in pattern.callback.allowed_roles:
            assert got != 403 and posted != 403 and got < 500 and posted < 500, (role, url)
        else:
            assert got in (403, 405) and posted == 403, (role, url, got, posted)


def test_a_partners_staff_have_no_admin_and_land_at_the_till(merchant):
    from vafa.merchants.services import merchant_create

    partner = merchant_create(name="Partner cafe")
    user = staff_create(username="p-owner", password="long-enough-pass-1", role="owner", merchant_id=partner.pk)
    assert (user.is_staff, user.is_superuser) == (False, False)
    client = Client()
    client.force_login(user)
    assert client.get("/manage/")["Location"] == "/manage/pos/"
    assert client.get("/admin/members/member/").status_code == 302  # the admin's door: not staff
    # The operator's own staff keep the admin
    own = staff_create(username="o-manager", password="long-enough-pass-1", role="manager", merchant_id=merchant.pk)
    assert own.is_staff
