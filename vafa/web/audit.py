"""Back-office views record what a staff member changed, in the same transaction as the change.

    with transaction.atomic():
        before = snapshot(member, ["status"])
        member_status_set(member=member, status="blocked")
        audit(request, "member.block", member, before=before, after=snapshot(member, ["status"]))
"""

from vafa.core.audit import audit_record, snapshot
from vafa.core.client_ip import client_ip

__all__ = ["audit", "snapshot"]


def audit(request, action: str, target=None, *, before: dict | None = None, after: dict | None = None,
          target_label: str = ""):
    return audit_record(actor=request.user, action=action, target=target, before=before, after=after,
                        ip=client_ip(request), target_label=target_label)
