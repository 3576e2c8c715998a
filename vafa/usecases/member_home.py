"""The member portal's home: the balance and its value, points expiring soon, the tier and the
way to the next one, and the latest ledger lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from vafa.commerce.selectors import TierStatus, member_tier_status
from vafa.ledger.selectors import PointsSummary, member_points
from vafa.program.selectors import earn_policy
from vafa.usecases.member_history import ActivityLine, member_activity

SOON_DAYS = 90  # "expiring soon": within this many days


@dataclass(frozen=True)
class HomeSummary:
    points: PointsSummary
    point_value_rial: int
    value_rial: int  # the balance's worth: balance x point value (never below 0)
    expiring_soon: list[dict]  # [{"points", "expires_at"}] within SOON_DAYS
    next_expiry: dict | None  # the first expiry after that, when nothing expires soon
    tier: TierStatus
    tier_progress: float | None  # 0..1 of the way to the next tier
    recent: list[ActivityLine] = field(default_factory=list)


def member_home(*, member_id: int, now: datetime | None = None, recent: int = 5) -> HomeSummary:
    """The figures of the member's home page."""
    now = now or timezone.now()
    points = member_points(member_id=member_id, now=now)
    value = earn_policy().point_value_rial
    soon_limit = now + timedelta(days=SOON_DAYS)
    soon = [e for e in points.expiring if e["expires_at"] <= soon_limit]
    later = [e for e in points.expiring if e["expires_at"] > soon_limit]
    status = member_tier_status(member_id=member_id, now=now)
    progress = None
    if status.next_tier is not None and status.to_next_tier is not None:
        threshold = status.next_tier.threshold
        progress = 1.0 if threshold <= 0 else max(0.0, min(1.0, (threshold - status.to_next_tier) / threshold))
    lines, _cursor = member_activity(member_id=member_id, limit=recent)
    return HomeSummary(points=points, point_value_rial=value, value_rial=max(points.balance, 0) * value,
                       expiring_soon=soon, next_expiry=later[0] if later and not soon else None,
                       tier=status, tier_progress=progress, recent=lines)

