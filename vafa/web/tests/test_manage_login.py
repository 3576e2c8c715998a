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
