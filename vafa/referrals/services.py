"""Referrals: recorded when a referred member joins, completed on their first purchase."""

from datetime import datetime, timedelta

from django.db import transaction

from vafa.core.errors import InvalidReferralCode, ReferralRefused
from vafa.core.events import publish
from vafa.members.events import MemberJoined
from vafa.members.models import Member
from vafa.referrals.events import ReferralCompleted
from vafa.referrals.models import Referral
from vafa.referrals.selectors import referral_policy


def _refuse(reason: str) -> ReferralRefused:
    return ReferralRefused(details={"reason": reason})


def referral_record(joined: MemberJoined) -> Referral | None:
    """Handler of MemberJoined: record the referral of a member who joined with a code.

    It runs inside member_create's transaction, so a refusal (ReferralRefused with a `reason`)
    rolls the whole join back. Refused: a blocked referrer; the referrer's own phone or
    national code; a phone or national code that was referred before (e.g. someone who left
    and joined again); more than `referral_limit` referrals by the referrer within the last
    `referral_period_days`."""
    if joined.referred_by_id is None:
        return None
    with transaction.atomic():
        # Serialise the referrer's referrals, so concurrent joins cannot pass the limit together.
        # NO KEY UPDATE: the new member's foreign key already holds a KEY SHARE lock on this row,
        # and a plain FOR UPDATE from two joins would deadlock on those.
        referrer = (Member.objects.select_for_update(no_key=True).filter(pk=joined.referred_by_id)
                    .values("phone", "national_id", "status").first())
        if referrer is None:  # the referrer left while this member was joining
            raise InvalidReferralCode(details={"referral_code": ""})
        if referrer["status"] == Member.Status.BLOCKED:
            raise _refuse("referrer_blocked")
        # The limit first: a refusal that depends on the national code must never be told apart
        # from one that does not, or a join with a referral code at its limit would answer
        # whether a guessed national code is the referrer's (an oracle for the whole code).
        policy = referral_policy()
        if policy.limit is not None:
            recent = Referral.objects.filter(
                referrer_id=joined.referred_by_id, created_at__gt=joined.joined_at - timedelta(days=policy.period_days),
                created_at__lte=joined.joined_at).count()
            if recent >= policy.limit:
                raise _refuse("limit_reached")
        if joined.phone == referrer["phone"] or (joined.national_id
                                                 and joined.national_id == referrer["national_id"]):
            raise _refuse("self_referral")
        if Referral.objects.filter(phone=joined.phone).exists() or (
                joined.national_id and Referral.objects.filter(national_id=joined.national_id).exists()):
            raise _refuse("already_referred")
        return Referral.objects.create(referrer_id=joined.referred_by_id, referred_id=joined.member_id,
                                       phone=joined.phone, national_id=joined.national_id,
                                       created_at=joined.joined_at)


def referral_forget(*, member_id: int) -> None:
    """An erased member's referral keeps its place in the referrer's count, not their number
    or national code."""
    for referral in Referral.objects.filter(referred_id=member_id):
        referral.phone, referral.national_id = f"erased-{referral.pk}"[:16], ""
        referral.save(update_fields=["phone", "national_id"])


def referral_complete(*, member_id: int, purchase_id: int, at: datetime) -> Referral | None:
    """Complete the pending referral of `member_id` on their purchase, exactly once.

    A conditional update (pending -> completed): of two concurrent first purchases, the second
    waits on the row and then finds it completed. Answers the completed referral, or None when
    the member has no pending referral."""
    with transaction.atomic():
        updated = Referral.objects.filter(referred_id=member_id, status=Referral.Status.PENDING).update(
            status=Referral.Status.COMPLETED, completed_at=at, purchase_id=purchase_id)
        if not updated:
            return None
        referral = Referral.objects.get(referred_id=member_id)
        publish(ReferralCompleted(referral_id=referral.pk, referrer_id=referral.referrer_id, referred_id=member_id,
                                  purchase_id=purchase_id, completed_at=at))
        return referral


def referral_reopen(*, purchase_id: int) -> Referral | None:
    """The purchase that completed a referral was refunded in full: it did not qualify after
    all, so the referral is pending again (the next qualifying purchase completes it).
    Answers the referral that was reopened, or None."""
    with transaction.atomic():
        referral = (Referral.objects.select_for_update()
                    .filter(purchase_id=purchase_id, status=Referral.Status.COMPLETED).first())
        if referral is None:
            return None
        Referral.objects.filter(pk=referral.pk).update(status=Referral.Status.PENDING, completed_at=None,
                                                       purchase_id=None)
        return referral
