"""One-time codes by SMS (issues 5 and 11): expiry, single use, rate limits, burning, and locks of
the guessing address (IPv6 by /64), never of the phone."""

import json
import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone, translation

from vafa.core.errors import InvalidPhone, OtpInvalid, OtpLocked, RateLimited
from vafa.core.tests.fixtures import db_state
from vafa.ledger.tests.test_concurrency_postgres import run_together
from vafa.members.models import CodeFailure, OneTimeCode
from vafa.members.services import otp_request, otp_verify

PHONE = "+989121234567"
T0 = timezone.now().replace(microsecond=0)


def at(seconds: float):
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def outbox(settings, tmp_path):
    settings.SMS_BACKEND = "console"
    settings.SMS_OUTBOX = tmp_path / "outbox.jsonl"
    return settings.SMS_OUTBOX


def messages(outbox) -> list[dict]:
    if not outbox.exists():
        return []
    return [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def request_code(outbox, django_capture_on_commit_callbacks):
    """Request a code (running the on-commit SMS) and answer the code the SMS carried."""

    def request(phone: str = PHONE, *, seconds: float = 0, ip: str | None = None) -> str:
        before = len(messages(outbox))
        with django_capture_on_commit_callbacks(execute=True):
            otp_request(phone=phone, ip=ip, now=at(seconds))
        sent = messages(outbox)
        assert len(sent) == before + 1
        return re.search(r"[0-9]{6}", sent[-1]["text"]).group()

    return request


def snapshot(outbox):
    return db_state(OneTimeCode), messages(outbox)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def fail_verify(error, *, seconds: float, code: str, phone: str = PHONE):
    with pytest.raises(error) as caught:
        otp_verify(phone=phone, code=code, now=at(seconds))
    return caught.value


pytestmark = pytest.mark.django_db


# --- request -----------------------------------------------------------------------------------


def test_request_stores_a_hashed_code_and_sends_it_by_sms(outbox, django_capture_on_commit_callbacks):
    # When a person who is not a member yet asks for a code, typing the phone in Persian digits
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True) as callbacks:
        otp = otp_request(phone="۰۹۱۲ ۱۲۳ ۴۵۶۷", ip="192.0.2.7", now=T0)

    # Then one code row exists for the E.164 phone, valid exactly 2 minutes
    assert len(callbacks) == 1
    row = OneTimeCode.objects.get()
    assert (row.pk, row.phone, row.purpose, row.created_at, row.expires_at) == (
        otp.pk, PHONE, "login", T0, T0 + timedelta(minutes=2)
    )
    assert (row.attempts, row.used_at, row.requested_ip) == (0, None, "192.0.2.7")
    # And the SMS carrying a 6-digit code went to that phone
    [message] = messages(outbox)
    assert message["to"] == PHONE
    code = re.fullmatch(r"Your club login code: ([0-9]{6})", message["text"]).group(1)
    # And the code itself is nowhere in the database row
    assert re.fullmatch(r"[0-9a-f]{64}", row.code_hash)
    assert all(code not in str(value) for value in OneTimeCode.objects.values().get().values())


def test_the_sms_is_not_sent_when_the_transaction_rolls_back(outbox, django_capture_on_commit_callbacks):
    class Abort(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Abort), transaction.atomic():
        otp_request(phone=PHONE, now=T0)
        raise Abort  # e.g. the page's later step failed
    assert (OneTimeCode.objects.count(), messages(outbox)) == (0, [])


def test_an_invalid_phone_is_refused_and_nothing_happens(outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidPhone):
        otp_request(phone="02112345678", now=T0)  # a Tehran landline: cannot receive SMS
    assert (OneTimeCode.objects.count(), messages(outbox)) == (0, [])


def test_a_new_code_voids_the_earlier_one(request_code):
    first = request_code(seconds=0)
    second = request_code(seconds=60)
    fail_verify(OtpInvalid, seconds=61, code=first)
    assert otp_verify(phone=PHONE, code=second, now=at(61)) == PHONE


# --- rate limits ---------------------------------------------------------------------------------


def test_one_code_per_phone_per_minute(request_code, outbox):
    request_code(seconds=0)
    before = snapshot(outbox)

    for seconds, retry_after in [(0, 60), (30.5, 30), (59.9, 1)]:
        with pytest.raises(RateLimited) as caught:
            otp_request(phone="09121234567", now=at(seconds))
        assert (type(caught.value), caught.value.details) == (RateLimited, {"retry_after": retry_after})
    assert snapshot(outbox) == before

    request_code(seconds=60)  # exactly a minute later: allowed
    assert OneTimeCode.objects.count() == 2


def test_five_codes_per_phone_per_hour(request_code, outbox):
    for i in range(5):
        request_code(seconds=i * 60)
    before = snapshot(outbox)

    with pytest.raises(RateLimited) as caught:
        otp_request(phone=PHONE, now=at(300))
    # The first code leaves the hour at T0 + 3600
    assert caught.value.details == {"retry_after": 3300}
    assert snapshot(outbox) == before

    request_code(seconds=3600)
    assert OneTimeCode.objects.count() == 6


def test_twenty_codes_per_ip_per_hour(request_code, outbox):
    phones = [f"0912{1_000_000 + i}" for i in range(22)]
    for i in range(20):
        request_code(phones[i], seconds=i, ip="192.0.2.7")
    before = snapshot(outbox)

    with pytest.raises(RateLimited) as caught:
        otp_request(phone=phones[20], ip="192.0.2.7", now=at(100))
    assert caught.value.details == {"retry_after": 3500}
    assert snapshot(outbox) == before

    request_code(phones[20], seconds=100, ip="198.51.100.1")  # another IP is not limited
    request_code(phones[21], seconds=3600, ip="192.0.2.7")  # the first code has left the hour
    assert OneTimeCode.objects.count() == 22


# --- verify --------------------------------------------------------------------------------------


def test_a_correct_code_works_once(request_code):
    code = request_code(seconds=0)

    assert otp_verify(phone="0912 123 4567", code=code, now=at(10)) == PHONE
    assert OneTimeCode.objects.get().used_at == at(10)

    error = fail_verify(OtpInvalid, seconds=11, code=code)
    assert error.details == {}
    assert OneTimeCode.objects.values_list("attempts", "used_at").get() == (0, at(10))


@pytest.mark.parametrize("digits", ["۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩"], ids=["persian", "arabic"])
def test_persian_and_arabic_digits_are_accepted(request_code, digits):
    code = request_code(seconds=0)
    typed = " " + "".join(digits[int(d)] for d in code) + " "
    assert otp_verify(phone=PHONE, code=typed, now=at(5)) == PHONE


def test_the_code_expires_at_exactly_two_minutes(request_code, outbox):
    code = request_code(seconds=0)
    before = snapshot(outbox)

    fail_verify(OtpInvalid, seconds=120, code=code)
    assert snapshot(outbox) == before  # no attempt counted, nothing used

    assert otp_verify(phone=PHONE, code=code, now=at(119.999)) == PHONE


def test_a_malformed_code_spends_no_attempt(request_code, outbox):
    request_code(seconds=0)
    before = snapshot(outbox)
    for typed in ["", "12345", "1234567", "12a456", "۱۲۳۴۵"]:
        error = fail_verify(OtpInvalid, seconds=5, code=typed)
        assert error.details == {"code": "6 digits"}
    assert snapshot(outbox) == before


def test_without_a_code_verify_is_refused_and_changes_nothing(outbox):
    fail_verify(OtpInvalid, seconds=0, code="123456")
    assert (OneTimeCode.objects.count(), messages(outbox)) == (0, [])


def test_wrong_attempts_are_counted_and_five_burn_the_code(request_code):
    code = request_code(seconds=0)

    for n in range(1, 6):
        error = fail_verify(OtpInvalid, seconds=n, code=wrong(code))
        # The wrong attempt is kept although an error was raised
        assert error.details == {"attempts_left": 5 - n}
        assert OneTimeCode.objects.get().attempts == n

    # The burnt code no longer works, even when right, and no further attempt is counted
    error = fail_verify(OtpInvalid, seconds=6, code=code)
    assert error.details == {}
    assert OneTimeCode.objects.values_list("attempts", "used_at").get() == (5, None)


def fail_from(error, *, seconds: float, code: str, ip: str, phone: str = PHONE):
    with pytest.raises(error) as caught:
        otp_verify(phone=phone, code=code, ip=ip, now=at(seconds))
    return caught.value


ATTACKER = "198.51.100.9"


def test_ten_wrong_codes_from_one_address_lock_that_address_not_the_phone(request_code, outbox):
    first = request_code(seconds=0)
    for n in range(5):
        fail_from(OtpInvalid, seconds=1 + n, code=wrong(first), ip=ATTACKER)
    second = request_code(seconds=60)
    for n in range(4):
        fail_from(OtpInvalid, seconds=61 + n, code=wrong(second), ip=ATTACKER)

    # The tenth wrong code from the address locks the address for thirty minutes
    error = fail_from(OtpLocked, seconds=70, code=wrong(second), ip=ATTACKER)
    assert error.details == {"retry_after": 1800}
    assert CodeFailure.objects.filter(locked_until__isnull=False).get().locked_until == at(1870)
    before = snapshot(outbox), db_state(CodeFailure)

    # While locked, the address can neither ask for a code nor try one, even the right one
    with pytest.raises(OtpLocked) as caught:
        otp_request(phone="09351234567", ip=ATTACKER, now=at(100))
    assert caught.value.details == {"retry_after": 1770}
    assert fail_from(OtpLocked, seconds=1869.5, code=second, ip=ATTACKER).details == {"retry_after": 1}
    assert (snapshot(outbox), db_state(CodeFailure)) == before

    # The member, from their own address, is never locked out: a new code works at once
    third = request_code(seconds=120, ip="192.0.2.50")
    assert otp_verify(phone=PHONE, code=third, ip="192.0.2.50", now=at(121)) == PHONE

    # When the lock ends, the old failures do not lock the address again at once
    fourth = request_code(seconds=1870, ip=ATTACKER)
    assert fail_from(OtpInvalid, seconds=1871, code=wrong(fourth), ip=ATTACKER).details == {"attempts_left": 4}
    assert otp_verify(phone=PHONE, code=fourth, ip=ATTACKER, now=at(1872)) == PHONE


def test_an_ipv6_address_counts_by_its_64(request_code, settings):
    settings.VAFA_OTP_MAX_ATTEMPTS = 20
    code = request_code(seconds=0)
    # Ten wrong codes from ten addresses of one /64 are ten from one address
    for n in range(9):
        fail_from(OtpInvalid, seconds=1 + n, code=wrong(code), ip=f"2001:db8:7:7::{n + 1:x}")
    error = fail_from(OtpLocked, seconds=20, code=wrong(code), ip="2001:db8:7:7:ffff:ffff:ffff:ffff")
    assert error.details == {"retry_after": 1800}
    assert set(CodeFailure.objects.values_list("address", flat=True)) == {"2001:db8:7:7::"}
    # Another /64 is another address
    assert fail_from(OtpInvalid, seconds=21, code=wrong(code), ip="2001:db8:7:8::1").details == {
        "attempts_left": 9}


def test_codes_asked_from_one_ipv6_64_share_the_hourly_limit(request_code, settings):
    settings.VAFA_OTP_IP_PER_HOUR = 2
    request_code("09120000001", ip="2001:db8::1")
    request_code("09120000002", ip="2001:db8::2")
    with pytest.raises(RateLimited):
        otp_request(phone="09120000003", ip="2001:db8::ffff", now=at(0))
    request_code("09120000004", ip="2001:db8:0:1::1")


def test_the_club_wide_hourly_cap_refuses_codes_and_logs_an_error(request_code, settings, caplog):
    from django.core.cache import cache

    cache.delete("vafa:otp-club-cap-alerted")
    settings.VAFA_OTP_CLUB_PER_HOUR = 3
    for n in range(3):
        request_code(f"0912000000{n}", seconds=n, ip=f"192.0.2.{n}")
    with caplog.at_level("ERROR", logger="vafa.security"):
        for n in range(2):
            with pytest.raises(RateLimited) as caught:
                otp_request(phone=f"0935000000{n}", ip=f"203.0.113.{n}", now=at(10))
    assert caught.value.details == {"retry_after": 3590}
    alerts = [r for r in caplog.records if "club-wide limit of 3 an hour" in r.getMessage()]
    assert len(alerts) == 1  # once, not per request
    assert OneTimeCode.objects.count() == 3
    # An hour after the first code, codes go again
    request_code("09350000009", seconds=3601)


def test_failures_older_than_an_hour_do_not_count(request_code):
    first = request_code(seconds=0)
    for n in range(5):
        fail_from(OtpInvalid, seconds=1 + n, code=wrong(first), ip=ATTACKER)
    second = request_code(seconds=3601)
    for n in range(5):
        fail_from(OtpInvalid, seconds=3602 + n, code=wrong(second), ip=ATTACKER)
    assert CodeFailure.objects.filter(locked_until__isnull=False).count() == 0
    third = request_code(seconds=3661)
    assert otp_verify(phone=PHONE, code=third, ip=ATTACKER, now=at(3662)) == PHONE


def test_limits_follow_the_settings(request_code, settings):
    settings.VAFA_OTP_TTL_SECONDS = 30
    settings.VAFA_OTP_MAX_ATTEMPTS = 2
    code = request_code(seconds=0)
    assert OneTimeCode.objects.get().expires_at == at(30)
    assert fail_verify(OtpInvalid, seconds=1, code=wrong(code)).details == {"attempts_left": 1}
    assert fail_verify(OtpInvalid, seconds=2, code=wrong(code)).details == {"attempts_left": 0}
    fail_verify(OtpInvalid, seconds=3, code=code)


# --- concurrency (PostgreSQL) --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_requests_for_one_phone_send_one_code(outbox):
    # (From one address: each address has its own once-a-minute allowance for a phone)
    results = run_together(8, lambda i: otp_request(phone=PHONE, ip="10.0.0.1"))

    assert sum(isinstance(r, OneTimeCode) for r in results) == 1
    assert sorted(type(r).__name__ for r in results if not isinstance(r, OneTimeCode)) == ["RateLimited"] * 7
    assert OneTimeCode.objects.count() == 1
    assert len(messages(outbox)) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_verifies_of_one_code_let_exactly_one_in(outbox):
    otp_request(phone=PHONE, now=timezone.now())  # autocommit: the SMS goes out at once
    code = re.search(r"[0-9]{6}", messages(outbox)[-1]["text"]).group()

    results = run_together(10, lambda i: otp_verify(phone=PHONE, code=code))

    assert results.count(PHONE) == 1
    assert sorted(type(r).__name__ for r in results if r != PHONE) == ["OtpInvalid"] * 9
    assert OneTimeCode.objects.values_list("attempts", flat=True).get() == 0
    assert OneTimeCode.objects.get().used_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_wrong_codes_lose_no_attempt(outbox):
    otp_request(phone=PHONE, now=timezone.now())
    code = re.search(r"[0-9]{6}", messages(outbox)[-1]["text"]).group()

    results = run_together(10, lambda i: otp_verify(phone=PHONE, code=wrong(code)))

    # Five attempts burn the code; the other five find no code to try
    assert all(isinstance(r, OtpInvalid) for r in results)
    assert sorted(r.details.get("attempts_left", -1) for r in results) == [-1] * 5 + [0, 1, 2, 3, 4]
    assert OneTimeCode.objects.values_list("attempts", "used_at").get() == (5, None)


def test_a_stranger_asking_codes_for_a_members_number_never_locks_the_member_out(request_code, settings):
    stranger, member_ip = "198.51.100.9", "192.0.2.50"
    for n in range(5):
        request_code(seconds=61 * n, ip=stranger)
    with pytest.raises(RateLimited):
        otp_request(phone=PHONE, ip=stranger, now=at(400))
    # The member, from their own address, asks for a code and logs in with it, although the
    # stranger's codes came later and are still live
    mine = request_code(seconds=300, ip=member_ip)
    request_code(seconds=320, ip="203.0.113.4")
    assert otp_verify(phone=PHONE, code=mine, ip=member_ip, now=at(330)) == PHONE
    # The whole phone still has a ceiling, so a number is not flooded from many addresses
    settings.VAFA_OTP_PHONE_ALL_PER_HOUR = 7  # seven asked already
    with pytest.raises(RateLimited):
        otp_request(phone=PHONE, ip="203.0.113.99", now=at(500))


def test_a_code_typed_from_another_address_still_works(request_code):
    code = request_code(seconds=0, ip="192.0.2.50")
    assert otp_verify(phone=PHONE, code=code, ip="10.1.2.3", now=at(5)) == PHONE
