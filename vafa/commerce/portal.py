"""What the member portal reads about one member's own points: the home summary, the ledger
lines with what each one was for, and the member's purchases.

Selectors only (nothing here writes). Every query is scoped by the member's id, which the
portal takes from the session, never from the address."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from vafa.commerce.models import Purchase
from vafa.commerce.tiers import TierStatus, member_tier_status
from vafa.ledger.selectors import PointsSummary, member_ledger, member_points
from vafa.program.models import Rule
from vafa.program.selectors import earn_policy
from vafa.rewards.models import Redemption

SOON_DAYS = 90  # "expiring soon": within this many days
MAX_PAGE = 100


@dataclass(frozen=True)
class ActivityLine:
    """One ledger line as the member reads it: signed points and what they were for."""

    id: int
    kind: str
    points: int  # + credited to the member, - taken from them
    created_at: datetime
    source_kind: str
    rule: str  # "base", a rule's id, or ""
    rule_name: str  # the earning rule's name when a rule gave the points
    memo: str
    purchase_at: datetime | None  # the purchase behind the line, when there is one
    reward_name: str  # the reward the points were spent on


def _page_size(limit: int) -> int:
    return max(1, min(int(limit), MAX_PAGE))


def member_activity(*, member_id: int, limit: int = 20, before_id: int | None = None
                    ) -> tuple[list[ActivityLine], int | None]:
    """The member's ledger lines, newest first, with the names that explain them; answers the
    cursor of the next page (None on the last page). A constant number of queries."""
    limit = _page_size(limit)
    rows = member_ledger(member_id=member_id, limit=limit + 1, before_id=before_id)
    page = rows[:limit]
    next_cursor = page[-1].id if len(rows) > limit else None
    rule_ids = {int(t.rule) for t in page if t.rule.isdigit()}
    rule_names = dict(Rule.objects.filter(pk__in=rule_ids).values_list("pk", "name")) if rule_ids else {}
    purchase_ids = {t.source_id for t in page if t.source_kind == "purchase" and t.source_id}
    purchases = dict(Purchase.objects.filter(pk__in=purchase_ids, member_id=member_id)
                     .values_list("pk", "occurred_at")) if purchase_ids else {}
    redemption_ids = {t.source_id for t in page if t.source_kind == "reward" and t.source_id}
    rewards = dict(Redemption.objects.filter(pk__in=redemption_ids, member_id=member_id)
                   .values_list("pk", "reward__name")) if redemption_ids else {}
    lines = [
        ActivityLine(
            id=t.id, kind=t.kind, points=t.signed_amount, created_at=t.created_at, source_kind=t.source_kind,
            rule=t.rule, rule_name=rule_names.get(int(t.rule), "") if t.rule.isdigit() else "", memo=t.memo,
            purchase_at=purchases.get(t.source_id) if t.source_kind == "purchase" else None,
            reward_name=rewards.get(t.source_id, "") if t.source_kind == "reward" else "",
        )
        for t in page
    ]
    return lines, next_cursor


def member_purchases(*, member_id: int, limit: int = 20, before_id: int | None = None
                     ) -> tuple[list[Purchase], int | None]:
    """The member's purchases, latest recorded first, with their refunds; answers the next cursor."""
    limit = _page_size(limit)
    qs = Purchase.objects.filter(member_id=member_id)
    if before_id:
        qs = qs.filter(pk__lt=before_id)
    rows = list(qs.prefetch_related("refunds").order_by("-id")[:limit + 1])
    page = rows[:limit]
    return page, (page[-1].pk if len(rows) > limit else None)


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

