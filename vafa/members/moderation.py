"""A member's status, and staff blocking and unblocking a member (the back-office's member page).

A blocked member neither earns nor spends. Unblocking gives back the state the member would
otherwise be in: `pending` while their application to a closed club still waits for a
decision, else `active`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from vafa.core.audit import Actor, audit_change
from vafa.core.errors import MemberNotFound, ValidationFailed
from vafa.core.ids import parse_id
from vafa.members.models import Application, Member


@transaction.atomic
def member_status_set(*, member: Member, status: str) -> Member:
    if status not in Member.Status.values:
        raise ValidationFailed(details={"status": status})
    Member.objects.filter(pk=member.pk).update(status=status)
    member.status = status
    return member


@dataclass(frozen=True)
class StatusChange:
    member: Member
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _locked(member_id) -> Member:
    member = Member.objects.select_for_update(no_key=True).filter(pk=parse_id(member_id, MemberNotFound)).first()
    if member is None:
        raise MemberNotFound(details={"id": str(member_id)[:64]})
    return member


def _audited(change: StatusChange, action: str, actor: Actor | None) -> StatusChange:
    audit_change(actor=actor, action=action, target=change.member, before={"status": change.before},
                 after={"status": change.after})
    return change


def member_block(*, member_id, actor: Actor | None = None) -> StatusChange:
    """Block a member; a member already blocked stays so (no change). Audited as `actor`'s."""
    with transaction.atomic():
        member = _locked(member_id)
        before = member.status
        if before != Member.Status.BLOCKED:
            member_status_set(member=member, status=Member.Status.BLOCKED)
        return _audited(StatusChange(member, before, member.status), "member.block", actor)


def member_unblock(*, member_id, actor: Actor | None = None) -> StatusChange:
    """Unblock a member: `pending` while their application waits, else `active`. A member who
    is not blocked is left as they are. Audited as `actor`'s."""
    with transaction.atomic():
        member = _locked(member_id)
        before = member.status
        if before == Member.Status.BLOCKED:
            waiting = Application.objects.filter(member_id=member.pk, status=Application.Status.PENDING).exists()
            member_status_set(member=member, status=Member.Status.PENDING if waiting else Member.Status.ACTIVE)
        return _audited(StatusChange(member, before, member.status), "member.unblock", actor)
