"""Complementary products: "bought X, then Y", from the members' purchase items (`ProductPair`).

Definitions (tests pin them with exact values):

- A purchase **counts** unless it was refunded in full (`refunded_amount >= amount > 0`), as in
  the rest of insight; sales without a member are left out (no one to follow).
- Among the members who bought SKU X, those who bought Y (Y != X) in the same purchase or a
  later one (`occurred_at` at or after their first purchase of X): a Y bought only before X
  does not count. `members` = that count;
- **support** = members / members with any purchase item; **confidence** = members / members
  who bought X; **lift** = confidence / (members who bought Y / members with any item), so 1
  when buying X tells nothing about Y.
- Kept: pairs of at least `min_members` members, the `per_sku` of best lift for each X (then
  more members, then Y), among the `top_skus` SKUs with most buyers (both X and Y): the work is
  then bounded by those SKUs' buyers whatever the catalogue's size. `then_name` is the name Y
  had in its most recent purchase (empty when it never had one).

Computed nightly (the "product-pairs" job, vafa/insight/apps.py) in set-based SQL, one
statement, the same on SQLite and PostgreSQL; the table's rows are replaced in one transaction,
so a page reads either yesterday's pairs or today's, never half of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from vafa.commerce.models import Purchase, PurchaseItem
from vafa.core import sql
from vafa.insight.models import ProductPair

MIN_MEMBERS = 3  # a pair two members share says little
PER_SKU = 20  # pairs kept for each first SKU (best lift)
TOP_SKUS = 500  # SKUs considered: those with most buyers


@dataclass(frozen=True)
class PairsComputed:
    pairs: int
    seconds: float


def _counted_items() -> str:
    """(member, sku, at) of every item of a purchase that counts and has a member."""
    def pc(name):
        return f"p.{sql.column(Purchase, name)}"

    def ic(name):
        return f"i.{sql.column(PurchaseItem, name)}"

    return (f"SELECT {pc('member')} AS member, {ic('sku')} AS sku, {pc('occurred_at')} AS at"
            f" FROM {sql.table(PurchaseItem)} AS i JOIN {sql.table(Purchase)} AS p ON {pc('id')} = {ic('purchase')}"
            f" WHERE {pc('member')} IS NOT NULL"
            f" AND NOT ({pc('amount')} > 0 AND {pc('refunded_amount')} >= {pc('amount')})")


def _statement() -> str:
    items, purchases = sql.table(PurchaseItem), sql.table(Purchase)
    counted = _counted_items()
    fields = ["first_sku", "then_sku", "then_name", "members", "support", "confidence", "lift", "computed_at"]
    real = "DOUBLE PRECISION"
    # One pass over the items (member_skus, which both databases materialise: it is used thrice).
    # INSERT first, then the WITH: SQLite tells the rows inserted only of a statement starting so.
    return f"""
    INSERT INTO {sql.table(ProductPair)} ({sql.columns(ProductPair, fields)})
    WITH member_skus AS (
        SELECT member, sku, MIN(at) AS first_at, MAX(at) AS last_at FROM ({counted}) AS c GROUP BY member, sku
    ), top_skus AS (
        SELECT sku, COUNT(*) AS n FROM member_skus GROUP BY sku ORDER BY COUNT(*) DESC, sku LIMIT %s
    ), bought AS (
        SELECT m.* FROM member_skus AS m JOIN top_skus AS t ON t.sku = m.sku
    ), buyers AS (
        SELECT sku, n FROM top_skus
    ), everyone AS (
        SELECT COUNT(DISTINCT member) AS n FROM member_skus
    ), pairs AS (
        SELECT a.sku AS x, b.sku AS y, COUNT(*) AS n
        FROM bought AS a JOIN bought AS b ON b.member = a.member AND b.sku <> a.sku AND b.last_at >= a.first_at
        GROUP BY a.sku, b.sku HAVING COUNT(*) >= %s
    ), measured AS (
        SELECT pairs.x, pairs.y, pairs.n,
               CAST(pairs.n AS {real}) / everyone.n AS support,
               CAST(pairs.n AS {real}) / bx.n AS confidence,
               (CAST(pairs.n AS {real}) / bx.n) / (CAST(bt.n AS {real}) / everyone.n) AS lift
        FROM pairs JOIN buyers AS bx ON bx.sku = pairs.x JOIN buyers AS bt ON bt.sku = pairs.y
        CROSS JOIN everyone
    ), ranked AS (
        SELECT measured.*, ROW_NUMBER() OVER (PARTITION BY x ORDER BY lift DESC, n DESC, y) AS place FROM measured
    ), kept AS (
        SELECT * FROM ranked WHERE place <= %s
    ), named AS (
        SELECT sku, name FROM (
            SELECT i.{sql.column(PurchaseItem, 'sku')} AS sku, i.{sql.column(PurchaseItem, 'name')} AS name,
                   ROW_NUMBER() OVER (PARTITION BY i.{sql.column(PurchaseItem, 'sku')}
                                      ORDER BY p.{sql.column(Purchase, 'occurred_at')} DESC,
                                               i.{sql.column(PurchaseItem, 'id')} DESC) AS latest
            FROM {items} AS i JOIN {purchases} AS p
                 ON p.{sql.column(Purchase, 'id')} = i.{sql.column(PurchaseItem, 'purchase')}
            WHERE i.{sql.column(PurchaseItem, 'name')} <> ''
              AND i.{sql.column(PurchaseItem, 'sku')} IN (SELECT DISTINCT y FROM kept)
        ) AS n WHERE latest = 1
    )
    SELECT kept.x, kept.y, COALESCE(named.name, ''), kept.n, kept.support, kept.confidence, kept.lift, %s
    FROM kept LEFT JOIN named ON named.sku = kept.y
    """


def product_pairs_compute(*, now: datetime | None = None, min_members: int = MIN_MEMBERS, per_sku: int = PER_SKU,
                          top_skus: int = TOP_SKUS) -> PairsComputed:
    """Recompute every `ProductPair` from the purchases as they stand (see the module's definitions)."""
    for name, value in (("min_members", min_members), ("per_sku", per_sku), ("top_skus", top_skus)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: an integer of at least 1")
    started = timezone.now()
    now = now or started
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {sql.table(ProductPair)}")
        cursor.execute(_statement(), [top_skus, min_members, per_sku, connection.ops.adapt_datetimefield_value(now)])
        pairs = cursor.rowcount
    return PairsComputed(pairs=pairs, seconds=(timezone.now() - started).total_seconds())
