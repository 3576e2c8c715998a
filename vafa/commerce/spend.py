"""What a member has spent, and whether a closed club's applicant has spent enough to be approved."""

from datetime import datetime

from django.db.models import F, Sum

from vafa.commerce.models import Purchase
from vafa.core.jalali import add_months
from vafa.program.selectors import ClubPolicy


def member_spend(*, member_id: int, since: datetime) -> int:
    """What the member has spent since `since`: purchases less their refunds (Rials)."""
    total = (Purchase.objects.filter(member_id=member_id, occurred_at__gte=since)
             .aggregate(total=Sum(F("amount") - F("refunded_amount")))["total"])
    return int(total or 0)


def applicant_qualifies(member_id: int, now: datetime, policy: ClubPolicy) -> bool:
    if policy.approve_spend_rial is None:
        return False
    since = add_months(now, -policy.approve_months)
    return member_spend(member_id=member_id, since=since) >= policy.approve_spend_rial
