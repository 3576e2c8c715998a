"""The portal's spend code: made on request (never by a GET), shown as digits and QR, and it
lets a partner spend the member's points once."""

import re

import pytest

from vafa.core.digits import to_ascii_digits
from vafa.core.tests.fixtures import balance
from vafa.members.models import SpendCode
from vafa.members.services import spend_code_check
from vafa.usecases.points import member_adjust
from vafa.web.tests.test_portal_helpers import log_in


@pytest.fixture
def rich(merchant, member):
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=500, reason="welcome")
    return member


def test_a_get_makes_no_code_and_a_post_shows_one(client, rich):
    log_in(client, rich)
    assert 'data-testid="spend-code-link"' in client.get("/").content.decode()
    page = client.get("/spend-code/").content.decode()
    assert 'data-testid="new-spend-code"' in page and 'data-testid="spend-code"' not in page
    assert not SpendCode.objects.exists()
    page = client.post("/spend-code/").content.decode()
    shown = re.search(r'data-testid="spend-code">([^<]+)<', page).group(1)
    assert re.fullmatch(r"[۰-۹]{6}", shown)  # Persian digits in Persian
    assert 'data-testid="qr"><svg role="img"' in page
    spend = SpendCode.objects.get()
    assert (spend.member_id, spend.via, spend.used_at) == (rich.pk, "portal", None)
    assert spend_code_check(member_id=rich.pk, code=shown) == spend.pk
    assert to_ascii_digits(shown).isdigit() and balance(rich) == 500


def test_a_stranger_is_sent_to_log_in_and_no_code_is_made(client, rich):
    response = client.post("/spend-code/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not SpendCode.objects.exists()


def test_a_code_is_made_only_with_the_csrf_token(rich):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    log_in(strict, rich)
    assert strict.post("/spend-code/").status_code == 403
    assert not SpendCode.objects.exists()
