from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from vafa.core.errors import MemberNotFound
from vafa.ledger.models import Account, Lot, LotUse, Transfer


@dataclass(frozen=True)
class PointsSummary:
    balance: int
    available: int
    pending: int
    deficit: int
    expiring: list[dict]


def member_account(*, member_id: int) -> Account:
    account = Account.objects.filter(member_id=member_id).first()
    if account is None:
        raise MemberNotFound(details={"id": member_id})
    return account


def member_points(*, member_id: int, now: datetime | None = None, expiring_limit: int = 20) -> PointsSummary:
    now = now or timezone.now()
    account = member_account(member_id=member_id)
    lots = list(
        Lot.objects.filter(account=account).exclude(remaining=0)
        .order_by("expires_at", "id").values("remaining", "available_at", "expires_at")
    )
    def live(lot) -> bool:  # not past its expiry, even if the expiry run has not come yet
        return lot["expires_at"] is None or lot["expires_at"] > now

    available = sum(lot["remaining"] for lot in lots
                    if lot["remaining"] < 0 or (lot["available_at"] <= now and live(lot)))
    pending = sum(lot["remaining"] for lot in lots if lot["remaining"] > 0 and lot["available_at"] > now and live(lot))
    deficit = -sum(lot["remaining"] for lot in lots if lot["remaining"] < 0)
    by_date: dict[datetime, int] = {}
    for lot in lots:
        if lot["remaining"] > 0 and lot["expires_at"] is not None and live(lot):
            by_date[lot["expires_at"]] = by_date.get(lot["expires_at"], 0) + lot["remaining"]
    expiring = [{"points": p, "expires_at": d} for d, p in sorted(by_date.items())][:expiring_limit]
    return PointsSummary(balance=account.balance, available=available, pending=pending,
                         deficit=deficit, expiring=expiring)


def member_ledger(*, member_id: int, limit: int = 50, before_id: int | None = None) -> list[Transfer]:
    """Transfers touching a member, newest first; `before_id` is the cursor of the next page."""
    account = member_account(member_id=member_id)
    qs: QuerySet[Transfer] = Transfer.objects.filter(Q(debit=account) | Q(credit=account))
    if before_id:
        qs = qs.filter(id__lt=before_id)
    rows = list(qs.select_related("debit", "credit").order_by("-id")[:limit])
    for row in rows:
        row.signed_amount = row.amount if row.credit_id == account.id else -row.amount
    return rows


def account_derived_balances() -> dict[int, int]:
    """Every account's balance as the sum of its transfers (credits minus debits)."""
    balances: dict[int, int] = {}
    for row in Transfer.objects.values("credit_id").annotate(total=Sum("amount")):
        balances[row["credit_id"]] = balances.get(row["credit_id"], 0) + row["total"]
    for row in Transfer.objects.values("debit_id").annotate(total=Sum("amount")):
        balances[row["debit_id"]] = balances.get(row["debit_id"], 0) - row["total"]
    return balances


# --- what the app's other modules offer (other apps import only this module) -------------------
from vafa.ledger.checks import verify_ledger  # noqa: E402

__all__ = ["PointsSummary", "account_derived_balances", "member_account", "member_ledger", "member_points",
           "verify_ledger"]


def lots_spent_by(*, source_kind: str, source_id: int) -> dict[int, int]:
    """Lot id -> points a source's redemptions took from it and no refund has given back yet."""
    rows = (LotUse.objects.filter(transfer__source_kind=source_kind, transfer__source_id=source_id)
            .filter(Q(transfer__kind=Transfer.Kind.REDEEM) | Q(points__lt=0))
            .values("lot_id").annotate(s=Sum("points")).values_list("lot_id", "s"))
    return {lot_id: points for lot_id, points in rows if points > 0}
