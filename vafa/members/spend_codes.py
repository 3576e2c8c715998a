"""Proof that a member is present when a partner spends their points.

The member opens the portal and shows a spend code (six digits and a QR of them), or the
partner asks for one by SMS; the cashier types it with the spend. A code lives five minutes
and works once; five wrong tries burn every live code of the member, so guessing one of a
million takes a new code each five tries and the member sees codes vanish, not a lock-out.

    code = spend_code_issue(member_id=7, via="portal")          # (SpendCode, "482913")
    proof = spend_code_check(member_id=7, code="۴۸۲۹۱۳")        # the code's id, or Forbidden
    spend_code_use(proof=proof, merchant_id=2)                    # in the spend's transaction
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from vafa.core.digits import to_ascii_digits
from vafa.core.errors import Forbidden, RateLimited
from vafa.integrations.services import sms_queue
from vafa.members.models import Member, SpendCode

DIGITS = 6
LIFETIME = timedelta(minutes=5)
MAX_WRONG = 5
SMS_EVERY = timedelta(seconds=60)
# A day's ceilings per member: SMS codes (each costs the club and wakes the member) and wrong
# tries (past them a guesser, even one with many codes, stops for the day).
SMS_PER_DAY = 10
WRONG_PER_DAY = 20
DAY = timedelta(days=1)


def _hash(member_id: int, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"spend:{member_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _live(member_id: int, now: datetime):
    return SpendCode.objects.filter(member_id=member_id, used_at__isnull=True, expires_at__gt=now,
                                    attempts__lt=MAX_WRONG)


def spend_code_issue(*, member_id: int, via: str, merchant_id: int | None = None,
                     now: datetime | None = None) -> tuple[SpendCode, str]:
    """A new code for the member; by SMS at most once a minute (each SMS costs the club)."""
    now = now or timezone.now()
    code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member_id)
        if via == SpendCode.Via.SMS:
            last = (SpendCode.objects.filter(member_id=member_id, via=via).order_by("-created_at")
                    .values_list("created_at", flat=True).first())
            if last is not None and now - last < SMS_EVERY:
                raise RateLimited(details={"retry_after": int((last + SMS_EVERY - now).total_seconds()) + 1})
            if SpendCode.objects.filter(member_id=member_id, via=via, created_at__gt=now - DAY).count() >= SMS_PER_DAY:
                raise RateLimited(details={"retry_after": 3600, "per_day": SMS_PER_DAY})
        spend = SpendCode.objects.create(member=member, via=via, code_hash=_hash(member_id, code),
                                         requested_by_id=merchant_id, created_at=now, expires_at=now + LIFETIME)
        if via == SpendCode.Via.SMS:
            text = gettext("Your code to spend club points: %(code)s. Give it only to the cashier.") % {"code": code}
            sms_queue(to=member.phone, text=text, purpose="spend_code", secret=True, send_at_once=True,
                      expires_at=timezone.now() + LIFETIME)
    return spend, code


def spend_code_check(*, member_id: int, code, now: datetime | None = None) -> int:
    """The id of the member's live code equal to `code`, or `Forbidden`. A wrong try is
    committed before the refusal (so this must not run inside the spend's transaction)."""
    now = now or timezone.now()
    typed = to_ascii_digits(code if isinstance(code, str) else "").strip()
    if not typed:
        raise Forbidden(gettext("The member's spend code is required to spend their points here."),
                        details={"member_code": "required"})
    wrong_today = (SpendCode.objects.filter(member_id=member_id, created_at__gt=now - DAY)
                   .aggregate(n=Sum("attempts"))["n"] or 0)
    if wrong_today >= WRONG_PER_DAY:
        raise RateLimited(details={"retry_after": 3600, "wrong_per_day": WRONG_PER_DAY})
    with transaction.atomic(durable=True):
        live = list(_live(member_id, now).select_for_update().order_by("-created_at")[:20])
        for spend in live:
            if len(typed) == DIGITS and typed.isdigit() and hmac.compare_digest(spend.code_hash,
                                                                                _hash(member_id, typed)):
                return spend.pk
        for spend in live:  # every live code takes the wrong try: five of them burn them all
            spend.attempts += 1
            spend.save(update_fields=["attempts"])
    raise Forbidden(gettext("The spend code is wrong or has expired; ask the member for a new one."),
                    details={"member_code": "wrong or expired"})


def spend_code_use(*, proof: int, merchant_id: int, now: datetime | None = None) -> None:
    """Use the checked code up, in the transaction of the spend: a code spends once."""
    now = now or timezone.now()
    if not SpendCode.objects.filter(pk=proof, used_at__isnull=True).update(used_at=now, used_by_id=merchant_id):
        raise Forbidden(gettext("The spend code is wrong or has expired; ask the member for a new one."),
                        details={"member_code": "already used"})
