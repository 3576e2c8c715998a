"""A member's points history as the portal and the back-office show it: every ledger line with
what it was for (the rule, the purchase, the reward).

Reads only. Every query is scoped by the member's id, which the portal takes from the session,
never from the address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vafa.commerce.models import Purchase
from vafa.ledger.selectors import member_ledger
from vafa.program.models import Rule
from vafa.rewards.models import Redemption

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
