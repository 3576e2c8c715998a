"""Applications to a closed club: a member who joins one is `pending` until staff approve them,
or until they qualify by spending (the program says how much; commerce checks it).

A rejected applicant becomes `blocked`: the club said no, so they neither earn nor spend and
cannot join again with the same phone. Staff who change their mind set the member active in the
admin; the application stays as the record of the decision.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from vafa.core.audit import Actor, audit_record
from vafa.core.errors import ApplicationDecided, ApplicationNotFound, MemberBlocked, ValidationFailed
from vafa.members.models import Application, Member
from vafa.members.moderation import member_status_set

AUTO = "auto"  # `decided_by` of an application approved because the customer qualified


def aware_now(at: datetime | None) -> datetime:
    """`at`, or now; a time without its zone is refused (these are recorded decisions)."""
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValidationFailed(details={"at": "a time with its time zone"})
    return at


# --- applications (closed club) ---------------------------------------------------------------


def application_open(*, member_id: int, at: datetime | None = None) -> Application:
    """A pending application for a member who joined a closed club (called by member_join)."""
    with transaction.atomic():
        return Application.objects.create(member_id=member_id, created_at=aware_now(at))


def _pending_application(member_id: int) -> Application:
    """The member's application, locked; refused when there is none or it is decided."""
    application = Application.objects.select_for_update(no_key=True).filter(member_id=member_id).first()
    if application is None:
        raise ApplicationNotFound(details={"member_id": member_id})
    if application.status != Application.Status.PENDING:
        raise ApplicationDecided(details={"member_id": member_id, "status": application.status})
    return application


def _decide(application: Application, *, status: str, staff: str, reason: str, at: datetime) -> None:
    application.status = status
    application.decided_by = staff[:150]
    application.decided_at = at
    application.reason = reason
    application.save(update_fields=["status", "decided_by", "decided_at", "reason"])


def application_approve(*, member_id: int, staff: str = "", at: datetime | None = None,
                        actor: Actor | None = None) -> Application:
    """Approve a pending application: the member becomes active. `staff` names who decided
    (`auto` when the customer qualified by spending). A blocked member stays blocked. Audited as
    `actor`'s."""
    at = aware_now(at)
    with transaction.atomic():
        application = _pending_application(member_id)
        member = Member.objects.get(pk=member_id)
        if member.status == Member.Status.BLOCKED:
            raise MemberBlocked(details={"status": member.status})
        before = {"application": application.status, "status": member.status}
        _decide(application, status=Application.Status.APPROVED, staff=staff, reason="", at=at)
        member_status_set(member=member, status=Member.Status.ACTIVE)
        application.member = member
        if actor is not None:
            audit_record(actor=actor, action="application.approve", target=member, before=before,
                         after={"application": application.status, "status": member.status})
        return application


def application_reject(*, member_id: int, reason: str, staff: str = "", at: datetime | None = None,
                       actor: Actor | None = None) -> Application:
    """Reject a pending application, with a reason: the member becomes blocked (see the module's
    note on this decision). Audited as `actor`'s."""
    reason = (reason or "").strip()
    if len(reason) > 255:
        raise ValidationFailed(details={"reason": "at most 255 characters"})
    at = aware_now(at)
    with transaction.atomic():
        application = _pending_application(member_id)
        member = Member.objects.get(pk=member_id)
        before = {"application": application.status, "status": member.status}
        _decide(application, status=Application.Status.REJECTED, staff=staff, reason=reason, at=at)
        member_status_set(member=member, status=Member.Status.BLOCKED)
        application.member = member
        if actor is not None:
            audit_record(actor=actor, action="application.reject", target=member, before=before,
                         after={"application": application.status, "status": member.status, "reason": reason})
        return application


def application_auto_approve(*, member_id: int, at: datetime) -> bool:
    """Approve a pending application because the customer qualified (the caller checked how).

    A conditional update, so that two purchases crossing the threshold together approve it
    once; answers whether this call approved it. A blocked member is not approved."""
    with transaction.atomic():
        approved = Application.objects.filter(
            member_id=member_id, status=Application.Status.PENDING, member__status=Member.Status.PENDING,
        ).update(status=Application.Status.APPROVED, decided_by=AUTO, decided_at=at)
        if approved:
            member_status_set(member=Member.objects.get(pk=member_id), status=Member.Status.ACTIVE)
        return bool(approved)


def application_get(*, member_id: int) -> Application:
    application = Application.objects.select_related("member").filter(member_id=member_id).first()
    if application is None:
        raise ApplicationNotFound(details={"member_id": member_id})
    return application


def application_list(*, status: str | None = None, limit: int = 100) -> QuerySet[Application]:
    """Applications in the order they arrived (a queue to work through), optionally by status."""
    if status is not None and status not in Application.Status.values:
        raise ValidationFailed(details={"status": f"one of {', '.join(Application.Status.values)}"})
    qs = Application.objects.select_related("member").order_by("created_at", "id")
    if status is not None:
        qs = qs.filter(status=status)
    return qs[:limit]


def applications_pending() -> QuerySet[Application]:
    return Application.objects.select_related("member").filter(
        status=Application.Status.PENDING).order_by("created_at", "id")


