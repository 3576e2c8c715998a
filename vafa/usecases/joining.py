"""Joining the club in its current mode: in an open club the member is active at once; in a
closed club they apply, and are approved at once only if the club approves on a spend of 0."""

from typing import Any

from django.db import transaction

from vafa.commerce.selectors import applicant_qualifies
from vafa.members.models import Member
from vafa.members.services import application_auto_approve, application_open, member_create
from vafa.program.selectors import club_policy


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
            if applicant_qualifies(member.pk, member.joined_at, policy):
                application_auto_approve(member_id=member.pk, at=member.joined_at)
                member.status = Member.Status.ACTIVE
    return member
