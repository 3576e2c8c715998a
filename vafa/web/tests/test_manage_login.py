"""The back-office's front door: staff log in, others do not, guessing is slowed down."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from vafa.merchants.models import LoginFailure
from vafa.merchants.staff import LOGIN_MAX_PER_USERNAME, staff_create

pytestmark = pytest.mark.django_db
PASSWORD = "long-enough-pass-1"


def _login(client, username, password=PASSWORD, next_url=""):
    return client.post("/manage/login/", {"username": username, "password": password, "next": next_url})


def test_each_role_lands_on_its_first_page(client):
    staff_create(username="ali", password=PASSWORD, role="cashier")
    staff_create(username="maryam", password=PASSWORD, role="marketer")
    response = _login(client, "ali")
    assert response.status_code == 302 and response["Location"] == "/manage/"
    assert client.get("/manage/")["Location"] == "/manage/pos/"
    other = Client()
    _login(other, "maryam")
    assert other.get("/manage/")["Location"] == "/manage/dashboard/"


def test_anonymous_is_sent_to_login_with_next(client):
    response = client.get("/manage/members/")
    assert response.status_code == 302
    assert response["Location"] == "/manage/login/?next=/manage/members/"


def test_next_must_be_on_this_site(client):
    staff_create(username="ali", password=PASSWORD, role="manager")
    assert _login(client, "ali", next_url="https://evil.example/")["Location"] == "/manage/"
    client.post("/manage/logout/")
    assert _login(client, "ali", next_url="/manage/members/")["Location"] == "/manage/members/"


def test_a_user_without_a_role_is_refused_and_not_logged_in(client):
    get_user_model().objects.create_user("plain", password=PASSWORD)
    response = _login(client, "plain")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(username="plain").count() == 1


def test_wrong_passwords_lock_the_username_for_a_while(client):
    staff_create(username="ali", password=PASSWORD, role="cashier")
    for _ in range(LOGIN_MAX_PER_USERNAME):
        assert _login(client, "ali", password="nope").status_code == 200
    # Even the right password is refused now: the form is not even checked.
    response = _login(client, "ali")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.count() == LOGIN_MAX_PER_USERNAME


def test_spaces_around_the_name_do_not_start_a_fresh_count(client):
    staff_create(username="ali", password=PASSWORD, role="cashier")
    for _ in range(LOGIN_MAX_PER_USERNAME):
        _login(client, "ali", password="nope")
    # The form would log " ali " in as "ali": the limit must see the same name.
    assert _login(client, " ali ").status_code == 429
    assert _login(client, "ALI").status_code == 429
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(client):
    staff_create(username="ali", password=PASSWORD, role="cashier")
    _login(client, "ali")
    assert client.get("/manage/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    assert client.post("/manage/logout/")["Location"] == "/manage/login/"
    assert "_auth_user_id" not in client.session


def test_login_form_needs_the_csrf_token():
    staff_create(username="ali", password=PASSWORD, role="cashier")
    client = Client(enforce_csrf_checks=True)
    assert _login(client, "ali").status_code == 403
    assert "_auth_user_id" not in client.session


def test_pages_are_persian_unless_english_was_chosen_while_the_api_follows_accept_language(api):
    client = Client()
    page = client.get("/manage/login/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="fa" dir="rtl">' in page.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/manage/login/"})
    page = client.get("/manage/login/")
    assert '<html lang="en" dir="ltr">' in page.content.decode()
    fa = api.get("/members/999999", lang="fa").json()["error"]["message"]
    en = api.get("/members/999999", lang="en").json()["error"]["message"]
    assert en == "No member with this id or phone number exists." and fa != en and "عضو" in fa


# --- one way in, locks that nobody else can cause (issue 11) ---------------------------------------


def test_the_admin_login_is_the_back_office_login_with_its_throttle(client):
    staff_create(username="ali", password=PASSWORD, role="manager")
    response = client.get("/admin/login/?next=/admin/members/")
    assert (response.status_code, response["Location"]) == (302, "/manage/login/?next=%2Fadmin%2Fmembers%2F")
    # A POST to the admin's form logs nobody in: its form is not served at all
    response = client.post("/admin/login/", {"username": "ali", "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" not in client.session
    # Guessing through the one form is throttled, and a right password then goes to the admin
    for _ in range(LOGIN_MAX_PER_USERNAME):
        _login(client, "ali", password="nope", next_url="/admin/")
    assert _login(client, "ali", next_url="/admin/").status_code == 429
    assert client.get("/admin/").status_code == 302  # still not logged in


def test_wrong_passwords_from_one_address_do_not_lock_the_name_elsewhere(client):
    staff_create(username="owner", password=PASSWORD, role="owner")
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(LOGIN_MAX_PER_USERNAME):
        _login(attacker, "owner", password="nope")
    assert _login(attacker, "owner").status_code == 429
    # The owner, at the shop's address, logs in
    owner = Client(REMOTE_ADDR="192.0.2.10")
    assert _login(owner, "owner").status_code == 302
    assert "_auth_user_id" in owner.session


def test_an_ipv6_attacker_counts_as_one_address_per_64(client):
    staff_create(username="ali", password=PASSWORD, role="cashier")
    for n in range(LOGIN_MAX_PER_USERNAME):
        _login(Client(REMOTE_ADDR=f"2001:db8:5:5::{n + 1}"), "ali", password="nope")
    assert _login(Client(REMOTE_ADDR="2001:db8:5:5:aaaa::1"), "ali").status_code == 429
    assert _login(Client(REMOTE_ADDR="2001:db8:5:6::1"), "ali").status_code == 302
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"2001:db8:5:5::"}


def test_vafa_unlock_login_lets_a_locked_name_in_at_once(client):
    from io import StringIO

    from django.core.management import call_command

    staff_create(username="ali", password=PASSWORD, role="cashier")
    for _ in range(LOGIN_MAX_PER_USERNAME):
        _login(client, "ali", password="nope")
    assert _login(client, "ali").status_code == 429
    out = StringIO()
    call_command("unlock_login", "ALI", stdout=out)
    assert out.getvalue() == "ALI: 5 failed login(s) forgotten; the name may log in now.\n"
    assert _login(client, "ali").status_code == 302


def test_a_forwarded_for_header_without_trusted_proxies_is_warned_of_once(client, caplog, settings):
    from vafa.core import client_ip

    settings.TRUSTED_PROXIES = 0
    client_ip._warned = False
    with caplog.at_level("WARNING", logger="vafa.security"):
        for _ in range(3):
            client.get("/manage/login/", headers={"X-Forwarded-For": "203.0.113.5"})
            _login(client, "nobody", password="nope")
    warnings = [r for r in caplog.records if "VAFA_TRUSTED_PROXIES is 0" in r.getMessage()]
    assert len(warnings) == 1
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"127.0.0.1"}
