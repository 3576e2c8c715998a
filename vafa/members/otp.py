"""One-time codes by SMS: how a person proves a phone number to log in or join.

    code = otp_request(phone="09121234567", ip=request_ip)   # queues the SMS; sent after the commit
    phone = otp_verify(phone="09121234567", code="۱۲۳۴۵۶")   # "+989121234567", or raises

Rules (each number is a setting, `VAFA_OTP_*`, with the default shown):
- a code has 6 digits, lives 120 s (`TTL_SECONDS`) and works once; requesting a new code voids
  the earlier ones;
- per phone and address at most one code every 60 s (`RESEND_SECONDS`) and 5 an hour
  (`PHONE_PER_HOUR`), per phone from all addresses 20 an hour (`PHONE_ALL_PER_HOUR`); per
  address 20 an hour (`IP_PER_HOUR`); the whole club 3,000 an hour (`CLUB_PER_HOUR`, with an
  error in the log: someone is spending the club's SMS credit) -> `RateLimited` with
  `details={"retry_after": seconds}`;
- 5 wrong attempts burn a code (`MAX_ATTEMPTS`); 10 wrong codes from one address within an hour
  (`IP_MAX_FAILURES`) lock that address for 1800 s (`LOCK_SECONDS`) -> `OtpLocked`, for requests
  and verifies alike. The lock is on the guesser's address, never on the phone: a stranger
  typing wrong codes for a member's number cannot keep the member out, and per phone the
  guesses stay few (5 codes an hour, 5 tries each, of a million).

Addresses are counted as `vafa.core.client_ip.address_group` gives them: IPv6 by its /64.

Only an HMAC of the code is stored, so a database dump does not hand out valid codes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from vafa.core.client_ip import address_group
from vafa.core.digits import to_ascii_digits
from vafa.core.errors import OtpInvalid, OtpLocked, RateLimited
from vafa.core.phone import normalize_phone
from vafa.integrations.services import sms_queue
from vafa.members.models import CodeFailure, OneTimeCode

log = logging.getLogger("vafa.security")

CODE_DIGITS = 6
HOUR = timedelta(hours=1)

_DEFAULTS = {
    "TTL_SECONDS": 120,
    "RESEND_SECONDS": 60,
    "PHONE_PER_HOUR": 5,
    "PHONE_ALL_PER_HOUR": 20,
    "IP_PER_HOUR": 20,
    "MAX_ATTEMPTS": 5,
    "IP_MAX_FAILURES": 10,
    "CLUB_PER_HOUR": 3000,
    "LOCK_SECONDS": 1800,
}


def _setting(name: str) -> int:
    return int(getattr(settings, f"VAFA_OTP_{name}", _DEFAULTS[name]))


def _hash(*, phone: str, purpose: str, code: str) -> str:
    # Phone and purpose are in the message, so one code's hash says nothing about another row's.
    message = f"{purpose}:{phone}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _lock_state(*, address: str, now: datetime) -> tuple[datetime | None, datetime]:
    """(the end of the address's current lock or None, where its failure window starts).

    Failures made before the last lock ended are already paid for, so they do not count again.
    """
    last_lock = (
        CodeFailure.objects.filter(address=address, locked_until__isnull=False)
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    if last_lock is not None and last_lock > now:
        return last_lock, now
    window_start = now - HOUR
    if last_lock is not None and last_lock > window_start:
        window_start = last_lock
    return None, window_start


def _raise_if_locked(*, address: str | None, now: datetime) -> datetime:
    if address is None:
        return now
    locked_until, window_start = _lock_state(address=address, now=now)
    if locked_until is not None:
        raise OtpLocked(details={"retry_after": _seconds_until(locked_until, now)})
    return window_start


def _check_rate(codes, *, limit: int, window: timedelta, now: datetime) -> None:
    """Refuse when `codes` already holds `limit` codes created within `window` before now."""
    recent = list(
        codes.filter(created_at__gt=now - window).order_by("-created_at").values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        # The oldest of the last `limit` codes leaving the window frees one place.
        raise RateLimited(details={"retry_after": _seconds_until(recent[-1] + window, now)})


def _lock_phone(phone: str) -> None:
    """Serialise code requests for one phone until the transaction ends. PostgreSQL takes an
    advisory lock on a hash of the phone; SQLite's writers are serialised already (IMMEDIATE)."""
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(f"otp:{phone}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def otp_request(*, phone: str, ip: str | None = None, now: datetime | None = None) -> OneTimeCode:
    """Create a login code for `phone` (a member or not yet) and queue its SMS in the outbox, in
    the same transaction: after the commit this process tries to send it at once (the person is
    waiting), and the worker retries it if the gateway fails, until the code expires.

    Raises `InvalidPhone`, `OtpLocked` or `RateLimited` (details `retry_after`), changing nothing.
    """
    phone = normalize_phone(phone)
    address = address_group(ip)
    now = now or timezone.now()
    purpose = OneTimeCode.Purpose.LOGIN
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        # Checked and written under one lock per phone, so two requests at the same instant
        # cannot both pass the once-a-minute check.
        _lock_phone(phone)
        _raise_if_locked(address=address, now=now)
        # The per-phone limits count the requests from this address: a stranger asking codes for
        # a member's number uses up their own allowance, not the member's. The whole phone has a
        # larger ceiling, so nobody sends a number a flood of messages from many addresses.
        by_phone = OneTimeCode.objects.filter(phone=phone)
        here = by_phone.filter(requested_ip=address) if address else by_phone.filter(requested_ip__isnull=True)
        _check_rate(here, limit=1, window=timedelta(seconds=_setting("RESEND_SECONDS")), now=now)
        _check_rate(here, limit=_setting("PHONE_PER_HOUR"), window=HOUR, now=now)
        _check_rate(by_phone, limit=_setting("PHONE_ALL_PER_HOUR"), window=HOUR, now=now)
        if address:
            _check_rate(OneTimeCode.objects.filter(requested_ip=address), limit=_setting("IP_PER_HOUR"),
                        window=HOUR, now=now)
        _check_club_rate(now)
        # One valid code per phone and address: the newest SMS is the one the person will type
        # (a code a stranger asked for elsewhere does not void the member's).
        here.filter(purpose=purpose, used_at__isnull=True).update(used_at=now)
        otp = OneTimeCode.objects.create(
            phone=phone,
            purpose=purpose,
            code_hash=_hash(phone=phone, purpose=purpose, code=code),
            created_at=now,
            expires_at=now + timedelta(seconds=_setting("TTL_SECONDS")),
            requested_ip=address,
        )
        text = gettext("Your club login code: %(code)s") % {"code": code}
        # Not worth sending once the code's life is over, counted from now on the clock.
        sms_queue(to=phone, text=text, purpose="login_code", secret=True, send_at_once=True,
                  expires_at=timezone.now() + (otp.expires_at - now))
    return otp


def _check_club_rate(now: datetime) -> None:
    """The club's own ceiling: past it, somebody is sending codes to many numbers (SMS pumping)."""
    limit = _setting("CLUB_PER_HOUR")
    try:
        _check_rate(OneTimeCode.objects.all(), limit=limit, window=HOUR, now=now)
    except RateLimited:
        if cache.add("vafa:otp-club-cap-alerted", True, timeout=600):  # once per ten minutes
            log.error("One-time codes: the club-wide limit of %d an hour is reached; new codes are refused. "
                      "Check the login page's traffic (VAFA_OTP_CLUB_PER_HOUR).", limit)
        raise


def otp_verify(*, phone: str, code: str, ip: str | None = None, now: datetime | None = None) -> str:
    """Check `code` (ASCII, Persian or Arabic digits) for `phone`; answer the E.164 phone.

    The code is used up on success. Raises `InvalidPhone`, `OtpLocked` (details `retry_after`:
    the address `ip` guessed too often) or `OtpInvalid` (wrong, expired, used or burnt; details
    `attempts_left` after a wrong try). A wrong attempt is committed before the error is
    raised, so this must not run inside an outer transaction (the durable block refuses to).
    """
    phone = normalize_phone(phone)
    address = address_group(ip)
    now = now or timezone.now()
    purpose = OneTimeCode.Purpose.LOGIN
    window_start = _raise_if_locked(address=address, now=now)
    code = to_ascii_digits(code if isinstance(code, str) else "").strip()
    if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
        raise OtpInvalid(details={"code": f"{CODE_DIGITS} digits"})  # cannot match: no attempt spent

    max_attempts = _setting("MAX_ATTEMPTS")
    error: Exception
    with transaction.atomic(durable=True):
        # The row lock makes racing verifies of one code take turns: only the first can use it.
        live = (OneTimeCode.objects.select_for_update()
                .filter(phone=phone, purpose=purpose, used_at__isnull=True, expires_at__gt=now,
                        attempts__lt=max_attempts)
                .order_by("-created_at"))
        # The code asked for from this address (the person typing it asked for it), else the
        # newest: a phone that changed address between the SMS and the typing still gets in.
        otp = (live.filter(requested_ip=address).first() if address else None) or live.first()
        if otp is None:
            raise OtpInvalid()
        if hmac.compare_digest(otp.code_hash, _hash(phone=phone, purpose=purpose, code=code)):
            otp.used_at = now
            otp.save(update_fields=["used_at"])
            return phone
        otp.attempts += 1
        otp.save(update_fields=["attempts"])
        error = OtpInvalid(details={"attempts_left": max_attempts - otp.attempts})
        if address is not None:
            failure = CodeFailure.objects.create(address=address, phone=phone, at=now)
            failures = CodeFailure.objects.filter(address=address, at__gt=window_start).count()
            if failures >= _setting("IP_MAX_FAILURES"):
                failure.locked_until = now + timedelta(seconds=_setting("LOCK_SECONDS"))
                failure.save(update_fields=["locked_until"])
                error = OtpLocked(details={"retry_after": _setting("LOCK_SECONDS")})
    # Raised after the block: the wrong attempt is committed, not rolled back with the error.
    raise error


def otp_purge(*, before: datetime) -> int:
    """Forget one-time codes, wrong codes and spend codes older than `before` (every limit
    looks back an hour at most); answers the rows deleted."""
    from vafa.core.retention import purge
    from vafa.members.models import SpendCode

    return (purge(OneTimeCode.objects.filter(expires_at__lt=before))
            + purge(CodeFailure.objects.filter(at__lt=before).filter(Q(locked_until__isnull=True)
                                                                    | Q(locked_until__lt=before)))
            + purge(SpendCode.objects.filter(created_at__lt=before)))
