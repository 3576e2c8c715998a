"""Reads of the referrals app: the policy it enforces and who referred whom."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from vafa.core.phone import mask_phone
from vafa.program.models import ProgramSettings
from vafa.referrals.models import Referral


@dataclass(frozen=True)
class ReferralPolicy:
    limit: int | None = None  # None: no limit
    period_days: int = 30


def referral_policy() -> ReferralPolicy:
    """How many referrals a member may make per period (program settings; one small query)."""
    row = ProgramSettings.objects.filter(pk=1).values_list("referral_limit", "referral_period_days").first()
    return ReferralPolicy(*row) if row else ReferralPolicy()


@dataclass(frozen=True)
class ReferralRow:
    member_id: int | None  # None once the referred member has left the club
    name: str
    phone: str  # masked: the referrer sees who joined, not their number
    status: str
    joined_at: datetime
    completed_at: datetime | None


def _name(member) -> str:
    # Not display_name: it falls back to the phone number, which the referrer must not see.
    if member.kind == member.Kind.ORGANIZATION and member.organization_name:
        return member.organization_name
    return f"{member.first_name} {member.last_name}".strip()


def member_referrals(*, member_id: int) -> list[ReferralRow]:
    """The referrals a member has made, newest first."""
    rows = (Referral.objects.filter(referrer_id=member_id).select_related("referred")
            .order_by("-created_at", "-id"))
    return [
        ReferralRow(member_id=r.referred_id, name=_name(r.referred) if r.referred else "",
                    phone=mask_phone(r.phone), status=r.status, joined_at=r.created_at,
                    completed_at=r.completed_at)
        for r in rows
    ]


def referral_of(*, member_id: int) -> Referral | None:
    """The referral that brought this member in, if any."""
    return Referral.objects.select_related("referrer").filter(referred_id=member_id).first()


def referral_link(*, code: str) -> str:
    """The join link a member shares: absolute when the site's public address is configured."""
    base = getattr(settings, "VAFA_PUBLIC_URL", "") or ""
    return f"{base.rstrip('/')}/join?ref={code}"
