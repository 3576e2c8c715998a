"""The inbound SMS hook and the unsubscribe link: secrets checked, 11/12 honoured in any digits,
GET never changes anything, a forged token is refused."""

import pytest
from django.test import Client

from vafa.engage.messages import unsubscribe_token
from vafa.members.models import Consent, ConsentChange

pytestmark = pytest.mark.django_db

TOKEN = "hook-secret-0123456789"


@pytest.fixture
def fan(member_factory, settings):
    settings.SMS_INBOUND_TOKEN = TOKEN
    return member_factory(phone="09121234567", consents={"sms": True, "email": True})


def consent(member, channel="sms"):
    return Consent.objects.get(member=member, channel=channel).granted


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x"])
def test_a_wrong_or_missing_token_is_403_and_changes_nothing(fan, token):
    path = "/hooks/sms/inbound" + (f"?token={token}" if token is not None else "")
    response = Client().post(path, {"from": "09121234567", "text": "11"})
    assert response.status_code == 403
    assert consent(fan) is True


def test_without_a_configured_token_the_hook_is_off(fan, settings):
    settings.SMS_INBOUND_TOKEN = ""
    assert Client().post("/hooks/sms/inbound?token=", {"from": "09121234567", "text": "11"}).status_code == 403
    assert consent(fan) is True


def test_form_json_and_kavenegar_fields(fan):
    client = Client()
    response = client.post(f"/hooks/sms/inbound?token={TOKEN}", {"from": "+989121234567", "text": "۱۱"})
    assert (response.status_code, response.json()) == (200, {"result": "withdrawn"})
    assert consent(fan) is False
    response = client.post(f"/hooks/sms/inbound?token={TOKEN}", {"from": "09121234567", "text": " 1 2 "},
                           content_type="application/json")
    assert (response.status_code, response.json()) == (200, {"result": "granted"})
    response = client.post(f"/hooks/sms/inbound?token={TOKEN}", {"from": "09121234567", "message": "11",
                                                                 "to": "10004346", "messageid": "123"})
    assert response.json() == {"result": "withdrawn"}
    assert list(ConsentChange.objects.filter(member=fan, channel="sms").order_by("pk")
                .values_list("granted", "source")) == [(True, "join"), (False, "sms_reply"), (True, "sms_reply"),
                                                       (False, "sms_reply")]


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"from": 5}', b"{}"])
def test_odd_bodies_are_200_and_ignored(fan, body):
    response = Client().post(f"/hooks/sms/inbound?token={TOKEN}", body, content_type="application/json")
    assert (response.status_code, response.json()) == (200, {"result": "ignored"})
    assert consent(fan) is True


def test_the_hook_takes_only_post(fan):
    assert Client().get(f"/hooks/sms/inbound?token={TOKEN}").status_code == 405


def test_unsubscribe_get_asks_post_withdraws_and_forged_tokens_are_404(fan):
    client = Client()
    token = unsubscribe_token(fan.pk)
    page = client.get(f"/u/{token}")
    assert page.status_code == 200 and b'data-testid="unsubscribe"' in page.content
    assert consent(fan, "email") is True
    done = client.post(f"/u/{token}")
    assert done.status_code == 200 and b'data-testid="unsubscribed"' in done.content
    assert consent(fan, "email") is False and consent(fan, "sms") is True
    assert client.post(f"/u/{token}").status_code == 200  # again: still withdrawn, no error
    for forged in (token[:-2] + "xx", "abc", unsubscribe_token(fan.pk).replace(":", "")):
        assert client.post(f"/u/{forged}").status_code == 404
