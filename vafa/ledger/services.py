"""Changes to points that stand on their own: redemption, adjustment, expiry.

Purchases and refunds write through the same book from `commerce`."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from vafa.core.errors import MemberBlocked, MemberPending
from vafa.core.inputs import checked, validated
from vafa.core.limits import MAX_POINTS
from vafa.ledger.accounts import system_account_id
from vafa.ledger.book import MemberBook, book_open
from vafa.ledger.inputs import AdjustmentInput, Change, Spend
from vafa.ledger.models import Account, Lot, Transfer


def check_points(value: int, *, field: str = "points", allow_negative: bool = False) -> int:
    """Points to spend (1 to MAX_POINTS), or with `allow_negative` a change either way, never 0."""
    return checked(Change if allow_negative else Spend, value, field)


def ensure_not_blocked(book: MemberBook) -> None:
    if book.member_status == "blocked":
        raise MemberBlocked(details={"status": "blocked"})


def ensure_can_spend(book: MemberBook) -> None:
    """Blocked members do nothing; pending applicants (closed club) earn but cannot spend."""
    ensure_not_blocked(book)
    if book.member_status == "pending":
        raise MemberPending(details={"status": "pending"})


@dataclass(frozen=True)
class PointsChange:
    transfers: list[Transfer]
    points: int
    balance_after: int


def points_redeem(*, member_id: int, points: int, merchant_id: int, memo: str = "",
                  source: tuple[str, int | None] = ("", None)) -> PointsChange:
    """Spend available points (a discount outside a recorded purchase, or a reward)."""
    check_points(points)
    with transaction.atomic(savepoint=False):
        book = book_open(member_id=member_id)
        ensure_can_spend(book)
        transfers = book.debit(points, kind=Transfer.Kind.REDEEM, merchant_id=merchant_id,
                               to_account_id=system_account_id(Account.Role.REDEEMED, merchant_id),
                               source=source, memo=memo)
        book.flush()
        return PointsChange(transfers, points, book.balance)


def points_adjust(*, member_id: int, points: int, reason: str, merchant_id: int | None,
                  expires_at: datetime | None, source: tuple[str, int | None] = ("", None)) -> PointsChange:
    """A staff or integrator correction with a mandatory reason. A negative adjustment takes
    at most what the member holds (available or pending): it never creates a deficit."""
    adjustment = validated(AdjustmentInput, {"points": points, "reason": reason or ""})
    points, reason = adjustment.points, adjustment.reason
    with transaction.atomic(savepoint=False):
        book = book_open(member_id=member_id)
        adjustments = system_account_id(Account.Role.ADJUSTMENTS)
        if points > 0:
            transfers = [book.credit(points, kind=Transfer.Kind.ADJUST, from_account_id=adjustments,
                                     merchant_id=merchant_id, expires_at=expires_at, memo=reason,
                                     source=source)]
        else:
            transfers = book.debit(-points, kind=Transfer.Kind.ADJUST, to_account_id=adjustments,
                                   merchant_id=merchant_id, include_pending=True, memo=reason, source=source)
        book.flush()
        return PointsChange(transfers, points, book.balance)


@dataclass(frozen=True)
class ExpiryRun:
    members: int
    points: int


def points_expire(*, now: datetime | None = None) -> ExpiryRun:
    """Expire what remains of every lot whose time has come. Safe to run twice or from two
    schedulers at once: each member is locked and an expired lot is left at zero."""
    now = now or timezone.now()
    account_ids = list(
        Lot.objects.filter(remaining__gt=0, expires_at__lte=now)
        .values_list("account_id", flat=True).distinct()
    )
    members = points = 0
    expired_account = system_account_id(Account.Role.EXPIRED)
    for account_id in account_ids:
        with transaction.atomic():
            book = book_open(member_id=Account.objects.values_list("member_id", flat=True).get(pk=account_id))
            book.now = now
            expired = book.expire_due(to_account_id=expired_account)
            book.flush()
        if expired:
            members += 1
            points += expired
    return ExpiryRun(members=members, points=points)


def idempotency_forget(*, phone: str) -> int:
    """Delete the kept answers that show this phone (a member's answers, replayed to retries):
    an erased member's data must not come back from them."""
    from vafa.ledger.models import IdempotencyRecord

    deleted, _ = IdempotencyRecord.objects.filter(body__phone=phone).delete()
    return deleted


def idempotency_purge(*, before: datetime) -> int:
    """Forget the answers to writes sent with an Idempotency-Key before `before`: a retry
    after that is a new request (clients retry within minutes, the default keeps 30 days)."""
    from vafa.core.retention import purge
    from vafa.ledger.models import IdempotencyRecord

    return purge(IdempotencyRecord.objects.filter(created_at__lt=before))


# --- what the app's other modules offer (other apps import only this module) -------------------
from vafa.ledger.accounts import open_member_account, open_merchant_accounts  # noqa: E402

__all__ = [
    "MAX_POINTS", "ExpiryRun", "MemberBook", "PointsChange", "book_open", "check_points", "ensure_can_spend",
    "ensure_not_blocked", "idempotency_forget", "idempotency_purge", "open_member_account",
    "open_merchant_accounts", "points_adjust", "points_expire", "points_redeem", "system_account_id",
]
