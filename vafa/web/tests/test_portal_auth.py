"""Logging in and joining the member portal with an SMS code."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from vafa.members.models import Member, OneTimeCode
from vafa.referrals.models import Referral
from vafa.web.tests.test_portal_helpers import log_in, logged_in_id, make_outbox

PHONE = "+989121234567"
pytestmark = pytest.mark.django_db


def request_code(client, capture, phone="09121234567"):
    with capture(execute=True):
        return client.post("/login/", {"phone": phone})


@pytest.fixture
def outbox(settings, tmp_path):
    return make_outbox(settings, tmp_path)


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def test_known_member_logs_in_with_the_sms_code(client, member_factory, outbox, capture):
    # given a member and the login page
    member = member_factory(phone="09121234567")
    assert client.get("/login/").status_code == 200
    # when they ask for a code with a Persian-digit number and type the code from the SMS
    response = request_code(client, capture, phone="۰۹۱۲ ۱۲۳ ۴۵۶۷")
    assert response.status_code == 302 and response["Location"] == "/login/code/"
    page = client.get("/login/code/")
    assert 'autocomplete="one-time-code"' in page.content.decode()
    assert 'inputmode="numeric"' in page.content.decode()
    code = outbox.last_code(PHONE)
    response = client.post("/login/code/", {"code": code})
    # then they are logged in and sent home
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in_id(client) == member.pk
    assert client.get("/").status_code == 200


def test_new_phone_joins_with_a_referral_code_from_the_link(client, member_factory, outbox, capture):
    # given a referrer whose link the newcomer opened
    referrer = member_factory(phone="09120000001")
    response = client.get(f"/join?ref={referrer.referral_code}")
    assert response.status_code == 302
    client.get(response["Location"])
    request_code(client, capture)
    response = client.post("/login/code/", {"code": outbox.last_code(PHONE)})
    assert response["Location"] == "/login/join/"
    assert logged_in_id(client) is None
    form = client.get("/login/join/").content.decode()
    assert f'value="{referrer.referral_code}"' in form  # prefilled from the link
    # when they fill the join form (a planted phone field is ignored)
    response = client.post("/login/join/", {"first_name": "Reza", "last_name": "Karimi", "kind": "person",
                                            "referral_code": referrer.referral_code, "phone": "09129999999"})
    # then the member exists with the verified phone, is logged in, and the referral is recorded
    assert response.status_code == 302 and response["Location"] == "/"
    new = Member.objects.get(phone=PHONE)
    assert (new.first_name, new.last_name, new.kind, new.status) == ("Reza", "Karimi", "person", "active")
    assert not Member.objects.filter(phone="+989129999999").exists()
    assert logged_in_id(client) == new.pk
    referral = Referral.objects.get(referred=new)
    assert referral.referrer_id == referrer.pk and referral.status == "pending"


def test_organization_join_needs_its_name_and_unknown_referral_code_creates_nothing(client, outbox, capture):
    request_code(client, capture)
    client.post("/login/code/", {"code": outbox.last_code(PHONE)})
    response = client.post("/login/join/", {"first_name": "A", "last_name": "B", "kind": "organization",
                                            "organization_name": ""})
    assert response.status_code == 422
    assert 'data-testid="error-organization_name"' in response.content.decode()
    response = client.post("/login/join/", {"first_name": "A", "last_name": "B", "kind": "person",
                                            "referral_code": "NOPE777"})
    assert response.status_code == 422
    assert 'data-testid="error-referral_code"' in response.content.decode()
    assert Member.objects.count() == 0 and logged_in_id(client) is None
    response = client.post("/login/join/", {"first_name": "A", "last_name": "B", "kind": "organization",
                                            "organization_name": "Tea House"})
    assert response.status_code == 302
    assert Member.objects.get(phone=PHONE).organization_name == "Tea House"


def test_join_form_needs_a_verified_phone(client):
    assert client.get("/login/join/")["Location"] == "/login/"
    response = client.post("/login/join/", {"first_name": "A", "last_name": "B", "kind": "person"})
    assert response.status_code == 302 and Member.objects.count() == 0


def test_invalid_phone_is_422_and_sends_nothing(client, outbox, capture):
    response = request_code(client, capture, phone="0912")
    assert response.status_code == 422
    assert 'data-testid="error-phone"' in response.content.decode()
    assert OneTimeCode.objects.count() == 0 and outbox.messages() == []


def test_wrong_code_is_422_and_logs_nobody_in(client, member_factory, outbox, capture):
    member_factory(phone="09121234567")
    request_code(client, capture)
    good = outbox.last_code(PHONE)
    wrong = "000000" if good != "000000" else "111111"
    response = client.post("/login/code/", {"code": wrong})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-code="otp_invalid"' in body and 'data-testid="attempts-left"' in body
    assert logged_in_id(client) is None
    response = client.post("/login/code/", {"code": "12"})  # not even 6 digits
    assert response.status_code == 422 and logged_in_id(client) is None


def test_expired_code_is_refused(client, member_factory, outbox, capture):
    member_factory(phone="09121234567")
    request_code(client, capture)
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post("/login/code/", {"code": outbox.last_code(PHONE)})
    assert response.status_code == 422
    assert 'data-code="otp_invalid"' in response.content.decode()
    assert logged_in_id(client) is None


def test_asking_again_at_once_is_rate_limited_429(client, outbox, capture):
    request_code(client, capture)
    response = request_code(client, capture)
    assert response.status_code == 429
    body = response.content.decode()
    assert 'data-code="rate_limited"' in body and 'data-testid="retry"' in body
    assert OneTimeCode.objects.count() == 1 and len(outbox.messages()) == 1
    response = client.post("/login/resend/")
    assert response.status_code == 429 and OneTimeCode.objects.count() == 1


def test_resend_after_the_wait_sends_a_new_code(client, outbox, capture):
    request_code(client, capture)
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    with capture(execute=True):
        response = client.post("/login/resend/")
    assert response.status_code == 302 and OneTimeCode.objects.count() == 2 and len(outbox.messages()) == 2


def test_too_many_wrong_codes_lock_the_address_429(client, member_factory, outbox, capture, settings):
    settings.VAFA_OTP_IP_MAX_FAILURES = 3
    member_factory(phone="09121234567")
    request_code(client, capture)
    good = outbox.last_code(PHONE)
    wrong = "000000" if good != "000000" else "111111"
    statuses = [client.post("/login/code/", {"code": wrong}).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
    # even the right code is refused while locked
    response = client.post("/login/code/", {"code": good})
    assert response.status_code == 429
    assert 'data-code="otp_locked"' in response.content.decode()
    assert logged_in_id(client) is None


@pytest.mark.parametrize("target, expected", [
    ("/history/", "/history/"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
])
def test_next_url_is_followed_only_on_this_site(client, member_factory, outbox, capture, target, expected):
    member_factory(phone="09121234567")
    client.get("/login/", {"next": target})
    request_code(client, capture)
    response = client.post("/login/code/", {"code": outbox.last_code(PHONE)})
    assert response.status_code == 302 and response["Location"] == expected


def test_blocked_member_is_told_and_not_logged_in(client, member_factory, outbox, capture):
    member_factory(phone="09121234567", status="blocked")
    request_code(client, capture)
    response = client.post("/login/code/", {"code": outbox.last_code(PHONE)})
    assert response.status_code == 403
    assert 'data-testid="blocked"' in response.content.decode()
    assert logged_in_id(client) is None


def test_a_session_of_a_member_blocked_later_ends(client, member_factory):
    member = member_factory(status="active")
    log_in(client, member)
    Member.objects.filter(pk=member.pk).update(status="blocked")
    response = client.get("/")
    assert response.status_code == 403 and logged_in_id(client) is None


def test_logout_is_post_only(client, member):
    log_in(client, member)
    assert client.get("/logout/").status_code == 405
    assert logged_in_id(client) == member.pk
    response = client.post("/logout/")
    assert response.status_code == 302 and logged_in_id(client) is None


@pytest.mark.parametrize("url", ["/", "/history/", "/history/purchases/", "/history/coupons/", "/rewards/",
                                 "/rewards/1/redeem/", "/rewards/redemptions/1/", "/referrals/", "/profile/"])
def test_anonymous_visitors_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == ("/login/" if url == "/" else f"/login/?{urlencode({'next': url})}")


def test_the_next_address_keeps_its_own_query(client):
    response = client.get("/history/?tab=coupons&page=2")
    assert response["Location"] == "/login/?next=%2Fhistory%2F%3Ftab%3Dcoupons%26page%3D2"


def test_csrf_is_enforced(member):
    client = Client(enforce_csrf_checks=True)
    log_in(client, member)
    response = client.post("/profile/", {"first_name": "X"})
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.first_name != "X"
    response = client.post("/login/", {"phone": "09121234567"})
    assert response.status_code == 403 and OneTimeCode.objects.count() == 0
