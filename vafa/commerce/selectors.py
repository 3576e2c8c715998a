"""Reads of purchases: what a member spent, their purchases page by page, their tier status."""

from vafa.commerce.facts import purchase_facts, purchase_facts_bulk
from vafa.commerce.models import Purchase
from vafa.commerce.spend import applicant_qualifies, member_spend
from vafa.commerce.tiers import TierStatus, member_tier_status
from vafa.commerce.walk_in import walk_in_sale_find

MAX_PAGE = 100


def member_purchases(*, member_id: int, limit: int = 20, before_id: int | None = None
                     ) -> tuple[list[Purchase], int | None]:
    """The member's purchases, latest recorded first, with their refunds; answers the next cursor."""
    limit = max(1, min(int(limit), MAX_PAGE))
    qs = Purchase.objects.filter(member_id=member_id)
    if before_id:
        qs = qs.filter(pk__lt=before_id)
    rows = list(qs.prefetch_related("refunds").order_by("-id")[:limit + 1])
    page = rows[:limit]
    return page, (page[-1].pk if len(rows) > limit else None)


def purchase_with_external_id(*, merchant_id: int, external_id: str) -> bool:
    return Purchase.objects.filter(merchant_id=merchant_id, external_id=external_id).exists()


__all__ = [
    "TierStatus",
    "applicant_qualifies",
    "member_purchases",
    "member_spend",
    "member_tier_status",
    "purchase_facts",
    "purchase_facts_bulk",
    "purchase_with_external_id",
    "walk_in_sale_find",
]
