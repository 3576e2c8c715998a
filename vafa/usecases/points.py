"""A member's points as the API and the back-office use them: their value in Rials, spending
them outside a purchase, and a correction with a reason (added points expire like earned ones)."""

from django.db import transaction
from django.utils import timezone

from vafa.core.audit import Actor, audit_record
from vafa.core.audit_search import audit_token_used
from vafa.core.errors import DuplicateSubmission
from vafa.ledger.selectors import PointsSummary, member_points
from vafa.ledger.services import PointsChange, points_adjust, points_redeem
from vafa.members.selectors import member_get
from vafa.program.selectors import earn_policy


def member_points_with_value(*, member_id: int) -> tuple[PointsSummary, int]:
    """The member's points and the value of what is available, in Rials."""
    summary = member_points(member_id=member_id)
    return summary, max(summary.available, 0) * earn_policy().point_value_rial


def member_redeem(*, merchant_id: int, member_id: int, points: int) -> PointsChange:
    return points_redeem(member_id=member_id, points=points, merchant_id=merchant_id,
                         source=("api", merchant_id))


def member_adjust(*, merchant_id: int | None, member_id: int, points: int, reason: str,
                  staff_user_id: int | None = None, actor: Actor | None = None, token: str = "") -> PointsChange:
    """A correction; added points expire like earned ones. With an `actor` (a staff member) it is
    audited in the same transaction; `token` is the form's one-time token: the same form sent
    again is `duplicate_submission` and changes nothing (checked under the member's lock, so a
    concurrent double submit waits for the first and then sees it)."""
    expires = earn_policy().expires_at(timezone.now()) if isinstance(points, int) and points > 0 else None
    source = ("staff", staff_user_id) if staff_user_id else ("api", merchant_id)
    with transaction.atomic():
        change = points_adjust(member_id=member_id, points=points, reason=reason, merchant_id=merchant_id,
                               expires_at=expires, source=source)
        if actor is not None:
            if token and audit_token_used(action="member.points_adjust", target_id=member_id, token=token):
                raise DuplicateSubmission(details={"token": token})
            audit_record(actor=actor, action="member.points_adjust", target=member_get(member_id=member_id),
                         before={"balance": change.balance_after - points},
                         after={"balance": change.balance_after, "points": points, "reason": reason,
                                "token": token})
        return change
