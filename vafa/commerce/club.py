"""Joining the club in its current mode, and approving applicants who qualify by spending.

These need the program settings (open or closed club, the spend that qualifies) and the
purchases, so they live here rather than in members."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Sum

from vafa.commerce.models import Purchase
from vafa.core.jalali import add_months
from vafa.members.club import application_auto_approve, application_open
from vafa.members.models import Application, Member
from vafa.members.services import member_create
from vafa.program.models import ProgramSettings


@dataclass(frozen=True)
class ClubPolicy:
    mode: str = ProgramSettings.ClubMode.OPEN
    approve_spend_rial: int | None = None  # None: staff approve every application
    approve_months: int = 6

    @property
    def closed(self) -> bool:
        return self.mode == ProgramSettings.ClubMode.CLOSED


def club_policy() -> ClubPolicy:
    """The club's door, from the program settings (one small query; a fresh install is open)."""
    row = (ProgramSettings.objects.filter(pk=1)
           .values_list("club_mode", "approve_spend_rial", "approve_months").first())
    return ClubPolicy(*row) if row else ClubPolicy()


def member_join(*, merchant_id: int | None, **fields: Any) -> Member:
    """Join a member as the club's mode says, in one transaction: in an open club the member is
    active; in a closed club they are `pending` with a pending application, approved at once
    only if the club approves on a spend of 0. `fields` are member_create's."""
    policy = club_policy()
    status = Member.Status.PENDING if policy.closed else Member.Status.ACTIVE
    with transaction.atomic():
        member = member_create(merchant_id=merchant_id, status=status, **fields)
        if policy.closed:
            application_open(member_id=member.pk, at=member.joined_at)
            if _qualifies(member.pk, member.joined_at, policy):
                application_auto_approve(member_id=member.pk, at=member.joined_at)
                member.status = Member.Status.ACTIVE
    return member


def member_spend(*, member_id: int, since: datetime) -> int:
    """What the member has spent since `since`: purchases less their refunds (Rials)."""
    total = (Purchase.objects.filter(member_id=member_id, occurred_at__gte=since)
             .aggregate(total=Sum(F("amount") - F("refunded_amount")))["total"])
    return int(total or 0)


def _qualifies(member_id: int, now: datetime, policy: ClubPolicy) -> bool:
    if policy.approve_spend_rial is None:
        return False
    since = add_months(now, -policy.approve_months)
    return member_spend(member_id=member_id, since=since) >= policy.approve_spend_rial


def application_review(*, member_id: int, now: datetime, member_status: str | None = None) -> bool:
    """Approve a pending applicant automatically when their spend over the last
    `approve_months` months reaches `approve_spend_rial`; answers whether it approved them.

    Called inside the purchase transaction after the purchase row is written, so the purchase
    that crosses the threshold counts. A caller that knows the member's status passes it:
    anyone but a pending member is answered without a query."""
    if member_status is not None and member_status != Member.Status.PENDING:
        return False
    pending = Application.objects.filter(member_id=member_id, status=Application.Status.PENDING,
                                         member__status=Member.Status.PENDING).exists()
    if not pending or not _qualifies(member_id, now, club_policy()):
        return False
    return application_auto_approve(member_id=member_id, at=now)
