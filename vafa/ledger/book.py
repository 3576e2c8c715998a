"""A member's book: the unit of work for every change of a member's points.

Open it inside a transaction (it locks the member's account row), call `debit` and
`credit` as often as needed, then `flush`: every transfer, lot and the cached balance
are written with a constant number of bulk queries, whatever the number of changes.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import F
from django.utils import timezone

from vafa.core.errors import InsufficientPoints, MemberNotFound
from vafa.ledger.models import Account, Lot, Transfer


@dataclass
class _Source:
    kind: str = ""
    id: int | None = None


@dataclass
class MemberBook:
    account: Account
    now: datetime = field(default_factory=timezone.now)
    balance: int = 0
    _lots: list[Lot] | None = None
    _transfers: list[Transfer] = field(default_factory=list)
    _new_lots: list[tuple[Transfer, Lot]] = field(default_factory=list)
    _dirty: dict[int, Lot] = field(default_factory=dict)

    def __post_init__(self):
        self.balance = self.account.balance

    @property
    def member(self):
        return self.account.member

    # --- reading -----------------------------------------------------------------
    def lots(self) -> list[Lot]:
        """Open lots (remaining != 0), first to expire first; loaded once."""
        if self._lots is None:
            self._lots = list(
                Lot.objects.filter(account=self.account)
                .exclude(remaining=0)
                .order_by(F("expires_at").asc(nulls_last=True), "id")
            )
        return self._lots

    def _all_lots(self) -> Iterable[Lot]:
        yield from self.lots()
        for _t, lot in self._new_lots:
            yield lot

    def available(self) -> int:
        """Spendable now: positive lots already available, less any deficit."""
        if self.balance == 0 and not self._new_lots:
            return 0
        total = 0
        for lot in self._all_lots():
            if lot.remaining < 0 or lot.available_at <= self.now:
                total += lot.remaining
        return total

    def deficit(self) -> int:
        return -sum(lot.remaining for lot in self._all_lots() if lot.remaining < 0)

    # --- writing -----------------------------------------------------------------
    def _transfer(self, **fields) -> Transfer:
        transfer = Transfer(created_at=self.now, **fields)
        self._transfers.append(transfer)
        return transfer

    def _touch(self, lot: Lot, delta: int) -> None:
        lot.remaining += delta
        if lot.pk is not None:
            self._dirty[lot.pk] = lot

    def credit(self, amount: int, *, kind: str, from_account_id: int, merchant_id: int | None,
               available_at: datetime | None = None, expires_at: datetime | None = None,
               source: tuple[str, int | None] = ("", None), rule: str = "", memo: str = "",
               reverses: Transfer | None = None) -> Transfer:
        assert amount > 0, "credit amount must be positive"
        transfer = self._transfer(
            debit_id=from_account_id, credit_id=self.account.id, amount=amount, kind=kind,
            merchant_id=merchant_id, issuer_id=merchant_id, source_kind=source[0], source_id=source[1],
            rule=rule, memo=memo[:255], reverses=reverses,
        )
        lot = Lot(account=self.account, merchant_id=merchant_id, amount=amount, remaining=amount,
                  available_at=available_at or self.now, expires_at=expires_at, created_at=self.now)
        # A deficit (negative balance before this credit) is repaid first.
        if self.balance < 0 or self._lots is not None:
            for debt in [lot_ for lot_ in self._all_lots() if lot_.remaining < 0]:
                repay = min(lot.remaining, -debt.remaining)
                self._touch(debt, repay)
                lot.remaining -= repay
        self._new_lots.append((transfer, lot))
        self.balance += amount
        return transfer

    def debit(self, amount: int, *, kind: str, to_account_id: int, merchant_id: int | None,
              source: tuple[str, int | None] = ("", None), rule: str = "", memo: str = "",
              include_pending: bool = False, allow_deficit: bool = False,
              prefer_transfer_ids: Iterable[int] = (), reverses: Transfer | None = None) -> list[Transfer]:
        """Take `amount` points, consuming lots first-to-expire-first (lots made by
        `prefer_transfer_ids` first). One transfer per issuing merchant of the consumed
        lots, so coalition settlement is exact. Without `allow_deficit` a shortfall
        raises InsufficientPoints and nothing is changed."""
        assert amount > 0, "debit amount must be positive"
        preferred = set(prefer_transfer_ids)
        candidates = [lot for lot in self._all_lots() if lot.remaining > 0
                      and (include_pending or lot.available_at <= self.now)]
        candidates.sort(key=lambda lot: lot.transfer_id not in preferred)  # stable: FIFO within each group
        spendable = sum(lot.remaining for lot in candidates) - self.deficit()
        if not allow_deficit and amount > spendable:
            raise InsufficientPoints(details={"requested": amount, "available": max(spendable, 0),
                                              "deficit": self.deficit()})
        taken_by_issuer: dict[int | None, int] = defaultdict(int)
        left = amount
        for lot in candidates:
            if left == 0:
                break
            take = min(lot.remaining, left)
            self._touch(lot, -take)
            taken_by_issuer[lot.merchant_id] += take
            left -= take
        transfers = []
        for issuer_id, taken in taken_by_issuer.items():
            transfers.append(self._transfer(
                debit_id=self.account.id, credit_id=to_account_id, amount=taken, kind=kind,
                merchant_id=merchant_id, issuer_id=issuer_id, source_kind=source[0], source_id=source[1],
                rule=rule, memo=memo[:255], reverses=reverses,
            ))
        if left:
            # Only claw-backs get here: the shortfall becomes a debt lot, repaid by later credits.
            transfer = self._transfer(
                debit_id=self.account.id, credit_id=to_account_id, amount=left, kind=kind,
                merchant_id=merchant_id, issuer_id=merchant_id, source_kind=source[0], source_id=source[1],
                rule=rule, memo=memo[:255], reverses=reverses,
            )
            transfers.append(transfer)
            debts = [lot for lot in self._all_lots() if lot.remaining < 0]
            if debts:
                self._touch(debts[0], -left)
            else:
                self._new_lots.append((transfer, Lot(
                    account=self.account, merchant_id=merchant_id, amount=0, remaining=-left,
                    available_at=self.now, expires_at=None, created_at=self.now)))
        self.balance -= amount
        return transfers

    def expire_due(self, *, to_account_id: int) -> int:
        """Move what remains of every lot expired by `now` to `to_account_id`, one transfer
        per issuing merchant. Answers the points expired."""
        due: dict[int | None, list[Lot]] = defaultdict(list)
        for lot in self.lots():
            if lot.remaining > 0 and lot.expires_at is not None and lot.expires_at <= self.now:
                due[lot.merchant_id].append(lot)
        total = 0
        for issuer_id, lots in due.items():
            amount = sum(lot.remaining for lot in lots)
            self._transfer(debit_id=self.account.id, credit_id=to_account_id, amount=amount,
                           kind=Transfer.Kind.EXPIRE, merchant_id=issuer_id, issuer_id=issuer_id,
                           source_kind="expiry", memo=f"{len(lots)} lot(s)")
            for lot in lots:
                self._touch(lot, -lot.remaining)
            total += amount
        self.balance -= total
        return total

    def set_source(self, kind: str, source_id: int) -> None:
        """Name the source of transfers whose source row did not exist when they were made."""
        for transfer in self._transfers:
            if transfer.source_kind == kind and transfer.source_id is None:
                transfer.source_id = source_id

    def flush(self) -> None:
        if self._transfers:
            Transfer.objects.bulk_create(self._transfers)
        if self._new_lots:
            for transfer, lot in self._new_lots:
                lot.transfer_id = transfer.id
            Lot.objects.bulk_create([lot for _t, lot in self._new_lots])
        if self._dirty:
            Lot.objects.bulk_update(list(self._dirty.values()), ["remaining"])
        if self.balance != self.account.balance:
            Account.objects.filter(pk=self.account.pk).update(balance=self.balance)
            self.account.balance = self.balance
        if self._lots is not None:
            self._lots = [lot for lot in self._all_lots() if lot.remaining != 0]
        self._transfers, self._new_lots, self._dirty = [], [], {}


def book_open(*, member_id: int | None = None, phone: str | None = None) -> MemberBook:
    """Lock a member's account row for the rest of the transaction and open its book."""
    qs = Account.objects.select_related("member").select_for_update(
        of=("self",) if connection.features.has_select_for_update_of else ()
    )
    account = qs.filter(member_id=member_id).first() if member_id else qs.filter(member__phone=phone).first()
    if account is None:
        raise MemberNotFound(details={"id": member_id} if member_id else {"phone": phone})
    return MemberBook(account=account)
