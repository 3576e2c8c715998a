"""Spend codes' daily ceilings: a partner cannot send a member more than ten SMS codes a day,
nor try more than twenty wrong codes a day, however many codes it asks for."""

from datetime import timedelta

import pytest
from django.utils import timezone

from vafa.core.errors import Forbidden, RateLimited
from vafa.members.models import SpendCode
from vafa.members.services import member_create, spend_code_check, spend_code_issue
from vafa.members.spend_codes import SMS_PER_DAY, WRONG_PER_DAY

pytestmark = pytest.mark.django_db
T0 = timezone.now()


def test_at_most_ten_sms_codes_a_day(settings, tmp_path):
    settings.SMS_OUTBOX = tmp_path / "outbox.jsonl"
    member = member_create(phone="09121234567")
    for n in range(SMS_PER_DAY):
        spend_code_issue(member_id=member.pk, via="sms", now=T0 + timedelta(minutes=2 * n))
    with pytest.raises(RateLimited) as caught:
        spend_code_issue(member_id=member.pk, via="sms", now=T0 + timedelta(hours=1))
    assert caught.value.details["per_day"] == SMS_PER_DAY
    assert SpendCode.objects.count() == SMS_PER_DAY
    spend_code_issue(member_id=member.pk, via="sms", now=T0 + timedelta(days=1, minutes=1))  # a new day


def test_at_most_twenty_wrong_tries_a_day(settings):
    member = member_create(phone="09121234567")
    tries = 0
    while tries < WRONG_PER_DAY:
        _spend, code = spend_code_issue(member_id=member.pk, via="portal", now=T0)
        for _ in range(5):
            with pytest.raises(Forbidden):
                spend_code_check(member_id=member.pk, code=f"{(int(code) + 1) % 10**6:06d}", now=T0)
            tries += 1
    _spend, code = spend_code_issue(member_id=member.pk, via="portal", now=T0)
    with pytest.raises(RateLimited):  # even the right code: the day's tries are spent
        spend_code_check(member_id=member.pk, code=code, now=T0)
