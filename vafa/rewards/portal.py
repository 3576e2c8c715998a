"""Redeeming from the member portal, where a double click or a reload must not spend twice, and
reading back what a redemption gave — only ever the member's own.

The portal's form carries a one-time token; the redemption and a record of the token are
written in one transaction (the API's `IdempotencyRecord`, keyed `portal:<member>:<token>`),
so a second submission of the same form answers the first redemption instead of a new one.
A concurrent duplicate waits on the member's account lock, then loses the unique insert of
the key and rolls back: one effect."""

from __future__ import annotations

import hashlib
import re

from django.db import IntegrityError, transaction

from vafa.core.errors import ApplicationError, IdempotencyConflict, ValidationFailed
from vafa.ledger.models import IdempotencyRecord
from vafa.merchants.selectors import club_merchant_id
from vafa.rewards.models import Redemption
from vafa.rewards.services import reward_redeem

_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_ID = re.compile(r"[1-9][0-9]{0,17}")


def _with_gifts(qs):
    return qs.select_related("reward", "coupon", "gift_card", "partner_code")


def _replay(*, merchant_id: int, key: str, fingerprint: str, member_id: int) -> Redemption | None:
    record = IdempotencyRecord.objects.filter(merchant_id=merchant_id, key=key).first()
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise IdempotencyConflict(details={"token": "already used for another reward"})
    redemption = _with_gifts(Redemption.objects.filter(pk=record.body.get("redemption_id"),
                                                       member_id=member_id)).first()
    if redemption is not None:
        redemption.replayed = True
    return redemption


def portal_reward_redeem(*, member_id: int, reward_id, token: str) -> Redemption:
    """Redeem `reward_id` for the member once per `token` (the form's one-time token).

    Answers the Redemption (with `replayed` True when this token had already redeemed it).
    Raises what `reward_redeem` raises, changing nothing; `validation_error` for a malformed
    token; `idempotency_conflict` for a token already used for another reward."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise ValidationFailed(details={"token": "missing or malformed"})
    merchant_id = club_merchant_id()
    if merchant_id is None:  # no merchant yet: nothing to record the token against
        redemption = reward_redeem(member_id=member_id, reward_id=reward_id)
        redemption.replayed = False
        return redemption
    key = f"portal:{member_id}:{token}"
    fingerprint = hashlib.sha256(f"portal-redeem:{reward_id}".encode()).hexdigest()
    replay = _replay(merchant_id=merchant_id, key=key, fingerprint=fingerprint, member_id=member_id)
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            redemption = reward_redeem(member_id=member_id, reward_id=reward_id)
            IdempotencyRecord.objects.create(merchant_id=merchant_id, key=key, fingerprint=fingerprint,
                                             status=201, body={"redemption_id": redemption.pk})
    except (ApplicationError, IntegrityError):
        # A duplicate that ran alongside: the first one's answer, not this one's refusal.
        replay = _replay(merchant_id=merchant_id, key=key, fingerprint=fingerprint, member_id=member_id)
        if replay is not None:
            return replay
        raise
    redemption.replayed = False
    return redemption


def member_redemption(*, member_id: int, redemption_id) -> Redemption | None:
    """One of the member's own redemptions with what it gave, or None (also for anyone else's)."""
    if not _ID.fullmatch(str(redemption_id)):
        return None
    return _with_gifts(Redemption.objects.filter(pk=int(redemption_id), member_id=member_id)).first()


def member_redemptions(*, member_id: int, limit: int = 100) -> list[Redemption]:
    """The member's redemptions, newest first, with what each gave."""
    return list(_with_gifts(Redemption.objects.filter(member_id=member_id)).order_by("-id")[:limit])
