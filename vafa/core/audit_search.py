"""Reading the audit log: entries newest first, by who, what, which object and when."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet

from vafa.core.jalali import TEHRAN
from vafa.core.models import AuditEntry


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TEHRAN)


def audit_search(*, actor: str = "", action: str = "", target_type: str = "", target_id: str = "",
                 since: date | None = None, until: date | None = None) -> QuerySet[AuditEntry]:
    """Entries matching every filter given, newest first. `action` ending in "." matches a
    family ("member." finds member.block, member.points_adjust, ...); `since`/`until` are
    Tehran days, both included."""
    qs = AuditEntry.objects.order_by("-created_at", "-id")
    if actor:
        qs = qs.filter(actor_name=actor)
    if action:
        qs = qs.filter(action__startswith=action) if action.endswith(".") else qs.filter(action=action)
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id:
        qs = qs.filter(target_id=target_id.strip())
    if since:
        qs = qs.filter(created_at__gte=_day_start(since))
    if until and until < date.max:  # the last day there is has no end bound
        qs = qs.filter(created_at__lt=_day_start(until + timedelta(days=1)))
    return qs


def audit_choices(limit: int = 200) -> dict[str, list[str]]:
    """The staff names, actions and object types the log holds (for the filters' lists)."""
    def distinct(field: str) -> list[str]:
        return list(AuditEntry.objects.exclude(**{field: ""}).order_by(field).values_list(field, flat=True)
                    .distinct()[:limit])

    return {"actors": distinct("actor_name"), "actions": distinct("action"), "target_types": distinct("target_type")}


def audit_token_used(*, action: str, target_id, token: str) -> bool:
    """Whether a form with this one-time token was already recorded (a double submit)."""
    return AuditEntry.objects.filter(action=action, target_id=str(target_id), after__token=token).exists()
