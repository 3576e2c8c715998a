"""A member's book: the unit of work for every change of a member's points.

Open it inside a transaction (it locks the member's account row), call `debit` and
`credit` as often as needed, then `flush`: every transfer, lot and the cached balance
are written with a constant number of bulk queries, whatever the number of changes.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from vafa.core import sql
from vafa.core.audit import calling_key_id
from vafa.core.errors import InsufficientPoints, MemberNotFound, PointsOutOfBounds
from vafa.core.events import publish
from vafa.core.limits import MAX_BALANCE
from vafa.ledger.events import PointsAdjusted, PointsExpired, PointsRedeemed
from vafa.ledger.models import Account, Lot, LotUse, Transfer
from vafa.members.models import Member

_TRANSFER_FIELDS = ["debit_id", "credit_id", "amount", "kind", "merchant_id", "issuer_id", "source_kind",
                    "source_id", "rule", "memo", "reverses_id", "api_key_id", "created_at"]
_ANNOUNCED = (Transfer.Kind.REDEEM, Transfer.Kind.EXPIRE, Transfer.Kind.ADJUST)
_LOT_FIELDS = ["account_id", "transfer_id", "merchant_id", "amount", "remaining", "expired", "available_at",
               "expires_at", "created_at"]


@dataclass
class _Source:
    kind: str = ""
    id: int | None = None


@dataclass
class MemberBook:
    account: Account
    member_status: str = Member.Status.ACTIVE
    member_kind: str = Member.Kind.PERSON
    referred_by_id: int | None = None
    now: datetime = field(default_factory=timezone.now)
    balance: int = 0
    debt: int = 0
    _lots: list[Lot] | None = None
    _transfers: list[Transfer] = field(default_factory=list)
    _new_lots: list[tuple[Transfer, Lot]] = field(default_factory=list)
    _dirty: dict[int, Lot] = field(default_factory=dict)
    _expired_lots: dict[int, Lot] = field(default_factory=dict)
    _uses: list[tuple[Transfer, Lot, int]] = field(default_factory=list)

    def __post_init__(self):
        self.balance = self.account.balance
        self.debt = self.account.deficit

    @property
    def member_id(self) -> int:
        return self.account.member_id

    # --- reading -----------------------------------------------------------------
    def lots(self) -> list[Lot]:
        """Open lots (remaining != 0), first to expire first; loaded once."""
        if self._lots is None:
            expires = sql.column(Lot, "expires_at")
            rows = sql.fetch(
                f"SELECT {sql.columns(Lot, ['id', 'transfer_id', 'merchant_id', 'amount', 'remaining', 'expired'])},"
                f" {sql.column(Lot, 'available_at')}, {expires} FROM {sql.table(Lot)}"
                f" WHERE {sql.column(Lot, 'account_id')} = %s AND {sql.column(Lot, 'remaining')} <> 0"
                f" ORDER BY ({expires} IS NULL), {expires}, {sql.column(Lot, 'id')}",
                [self.account.id],
            )
            self._lots = []
            for lot_id, transfer_id, merchant_id, amount, remaining, expired, available_at, expires_at in rows:
                lot = Lot(id=lot_id, account_id=self.account.id, transfer_id=transfer_id, merchant_id=merchant_id,
                          amount=amount, remaining=remaining, expired=expired, available_at=sql.aware(available_at),
                          expires_at=sql.aware(expires_at))
                lot._state.adding = False
                self._lots.append(lot)
        return self._lots

    def _spendable_now(self, lot: Lot) -> bool:
        """Available, and not past its expiry (even if the expiry run has not come yet)."""
        return lot.available_at <= self.now and (lot.expires_at is None or lot.expires_at > self.now)

    def _all_lots(self) -> Iterable[Lot]:
        yield from self.lots()
        for _t, lot in self._new_lots:
            yield lot

    def available(self) -> int:
        """Spendable now: positive lots already available, less any deficit."""
        if self.balance == 0 and not self._new_lots:
            return 0
        return sum(lot.remaining for lot in self._all_lots() if lot.remaining < 0 or self._spendable_now(lot))

    def deficit(self) -> int:
        return -sum(lot.remaining for lot in self._all_lots() if lot.remaining < 0)

    # --- writing -----------------------------------------------------------------
    def _transfer(self, **fields) -> Transfer:
        transfer = Transfer(created_at=self.now, api_key_id=calling_key_id(), **fields)
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
        if self.balance + amount > MAX_BALANCE:
            raise PointsOutOfBounds(details={"points": f"the member's balance would pass {MAX_BALANCE}"})
        transfer = self._transfer(
            debit_id=from_account_id, credit_id=self.account.id, amount=amount, kind=kind,
            merchant_id=merchant_id, issuer_id=merchant_id, source_kind=source[0], source_id=source[1],
            rule=rule, memo=memo[:255], reverses=reverses,
        )
        lot = Lot(account=self.account, merchant_id=merchant_id, amount=amount, remaining=amount,
                  available_at=available_at or self.now, expires_at=expires_at, created_at=self.now)
        # A deficit (negative balance before this credit) is repaid first, by points that are
        # still live: points already past their expiry (imported history) only expire.
        if self.debt > 0 and not self._expired(lot):
            for debt in [lot_ for lot_ in self._all_lots() if lot_.remaining < 0]:
                repay = min(lot.remaining, -debt.remaining)
                self._touch(debt, repay)
                lot.remaining -= repay
                self.debt -= repay
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
        candidates = [lot for lot in self._all_lots() if lot.remaining > 0 and (
            self._spendable_now(lot) if not include_pending else not self._expired(lot))]
        candidates.sort(key=lambda lot: lot.transfer_id not in preferred)  # stable: FIFO within each group
        spendable = sum(lot.remaining for lot in candidates) - self.deficit()
        if not allow_deficit and amount > spendable:
            raise InsufficientPoints(details={"requested": amount, "available": max(spendable, 0),
                                              "deficit": self.deficit()})
        takes: dict[int | None, list[tuple[Lot, int]]] = defaultdict(list)
        left = amount
        for lot in candidates:
            if left == 0:
                break
            take = min(lot.remaining, left)
            self._touch(lot, -take)
            takes[lot.merchant_id].append((lot, take))
            left -= take
        transfers = []
        for issuer_id, taken in takes.items():
            transfer = self._transfer(
                debit_id=self.account.id, credit_id=to_account_id, amount=sum(t for _l, t in taken), kind=kind,
                merchant_id=merchant_id, issuer_id=issuer_id, source_kind=source[0], source_id=source[1],
                rule=rule, memo=memo[:255], reverses=reverses,
            )
            transfers.append(transfer)
            self._uses += [(transfer, lot, take) for lot, take in taken]
        if left:
            # Only claw-backs get here: the shortfall becomes a debt lot, repaid by later credits.
            transfer = self._transfer(
                debit_id=self.account.id, credit_id=to_account_id, amount=left, kind=kind,
                merchant_id=merchant_id, issuer_id=merchant_id, source_kind=source[0], source_id=source[1],
                rule=rule, memo=memo[:255], reverses=reverses,
            )
            transfers.append(transfer)
            self.debt += left
            debts = [lot for lot in self._all_lots() if lot.remaining < 0]
            if debts:
                self._touch(debts[0], -left)
            else:
                self._new_lots.append((transfer, Lot(
                    account=self.account, merchant_id=merchant_id, amount=0, remaining=-left,
                    available_at=self.now, expires_at=None, created_at=self.now)))
        self.balance -= amount
        return transfers

    def restore(self, amount: int, spent: dict[int, int], *, from_account_id: int, merchant_id: int | None,
                source: tuple[str, int | None] = ("", None), memo: str = "",
                reverses: Transfer | None = None) -> list[Transfer]:
        """Give back `amount` of the points a debit took, to the very lots it took them from
        (`spent`: lot id -> points still owed back), so they keep their expiry: the latest to
        expire first. Points of a lot already past its expiry expire again at once
        (`expire_due`). One transfer per issuer, as the debit made."""
        assert 0 < amount <= sum(spent.values()), "restore more than was spent"
        lots = self._lots_by_id(list(spent))
        lots.sort(key=lambda lot: (lot.expires_at is not None, -(lot.expires_at.timestamp() if lot.expires_at
                                                                 else 0), -lot.pk))
        backs: list[tuple[Lot, int]] = []
        left = amount
        for lot in lots:
            if left == 0:
                break
            back = min(spent[lot.pk], left)
            self._touch(lot, back)
            backs.append((lot, back))
            left -= back
        by_issuer: dict[int | None, list[tuple[Lot, int]]] = defaultdict(list)
        for lot, back in backs:
            by_issuer[lot.merchant_id].append((lot, back))
        transfers = []
        for issuer_id, given in by_issuer.items():
            transfer = self._transfer(
                debit_id=from_account_id, credit_id=self.account.id, amount=sum(b for _l, b in given),
                kind=Transfer.Kind.REFUND_REVERSAL, merchant_id=merchant_id, issuer_id=issuer_id,
                source_kind=source[0], source_id=source[1], rule="", memo=memo[:255], reverses=reverses)
            transfers.append(transfer)
            self._uses += [(transfer, lot, -back) for lot, back in given]
        self.balance += amount
        for lot, back in backs:  # restored live points repay a deficit first, as any credit does
            debts = [debt for debt in self._all_lots() if debt.remaining < 0]
            if self.debt and debts and not self._expired(lot):
                repay = min(back, self.debt, -debts[0].remaining)
                self._touch(debts[0], repay)
                self._touch(lot, -repay)
                self.debt -= repay
        return transfers

    def _lots_by_id(self, ids: list[int]) -> list[Lot]:
        """These lots, spent ones too (the open ones come from `lots()`, the rest are loaded)."""
        known = {lot.pk: lot for lot in self.lots()}
        missing = [pk for pk in ids if pk not in known]
        if missing:
            for lot in Lot.objects.filter(pk__in=missing, account_id=self.account.id):
                known[lot.pk] = lot
                self._lots.append(lot)
            # Back in first-to-expire-first order, as `lots()` loads them.
            self._lots.sort(key=lambda lot: (lot.expires_at is None, lot.expires_at or self.now, lot.pk))
        return [known[pk] for pk in ids if pk in known]

    def _expired(self, lot: Lot) -> bool:
        return lot.expires_at is not None and lot.expires_at <= self.now

    def expire_due(self, *, to_account_id: int) -> int:
        """Move what remains of every lot expired by `now` to `to_account_id`, one transfer
        per issuing merchant. Answers the points expired."""
        due: dict[int | None, list[Lot]] = defaultdict(list)
        for lot in self.lots():
            if lot.remaining > 0 and self._expired(lot):
                due[lot.merchant_id].append(lot)
        total = 0
        for issuer_id, lots in due.items():
            amount = sum(lot.remaining for lot in lots)
            self._transfer(debit_id=self.account.id, credit_id=to_account_id, amount=amount,
                           kind=Transfer.Kind.EXPIRE, merchant_id=issuer_id, issuer_id=issuer_id,
                           source_kind="expiry", memo=f"{len(lots)} lot(s)")
            for lot in lots:
                lot.expired += lot.remaining
                self._expired_lots[lot.pk] = lot
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
        """Write everything in a constant number of statements (plain SQL: the hot path)."""
        ids = sql.insert(Transfer, _TRANSFER_FIELDS, [[getattr(t, f) for f in _TRANSFER_FIELDS]
                                                      for t in self._transfers])
        for transfer, transfer_id in zip(self._transfers, ids, strict=True):
            transfer.id = transfer_id
            transfer._state.adding = False
        for transfer, lot in self._new_lots:
            lot.transfer_id = transfer.id
        lot_ids = sql.insert(Lot, _LOT_FIELDS, [[getattr(lot, f) for f in _LOT_FIELDS] for _t, lot in self._new_lots])
        for (_t, lot), lot_id in zip(self._new_lots, lot_ids, strict=True):
            lot.id = lot_id
            lot._state.adding = False
        sql.insert(LotUse, ["transfer_id", "lot_id", "points"],
                   [[transfer.id, lot.id, points] for transfer, lot, points in self._uses])
        sql.update_by_id(Lot, "remaining", {lot.id: lot.remaining for lot in self._dirty.values()})
        sql.update_by_id(Lot, "expired", {lot.id: lot.expired for lot in self._expired_lots.values()})
        if self.balance != self.account.balance:
            sql.update_by_id(Account, "balance", {self.account.id: self.balance})
            self.account.balance = self.balance
        if self.debt != self.account.deficit:
            sql.update_by_id(Account, "deficit", {self.account.id: self.debt})
            self.account.deficit = self.debt
        if self._lots is not None:
            self._lots = [lot for lot in self._all_lots() if lot.remaining != 0]
        written = self._transfers
        self._transfers, self._new_lots, self._dirty, self._expired_lots, self._uses = [], [], {}, {}, []
        self._announce(written)

    def _announce(self, transfers: list[Transfer]) -> None:
        """Points spent, expired and adjusted, one event per kind and source (a redemption of
        points from several issuers is one event)."""
        totals: dict[tuple, int] = defaultdict(int)
        for t in transfers:
            if t.kind in _ANNOUNCED:
                sign = 1 if t.credit_id == self.account.id else -1
                totals[(t.kind, t.merchant_id, t.source_kind, t.source_id)] += sign * t.amount
        for (kind, merchant_id, source_kind, source_id), points in totals.items():
            if kind == Transfer.Kind.REDEEM:
                publish(PointsRedeemed(member_id=self.member_id, points=-points, merchant_id=merchant_id,
                                       source_kind=source_kind, source_id=source_id, balance_after=self.balance))
            elif kind == Transfer.Kind.EXPIRE:
                publish(PointsExpired(member_id=self.member_id, points=-points, balance_after=self.balance))
            else:
                publish(PointsAdjusted(member_id=self.member_id, points=points, merchant_id=merchant_id,
                                       source_kind=source_kind, source_id=source_id, balance_after=self.balance))


def book_open(*, member_id: int | None = None, phone: str | None = None) -> MemberBook:
    """Lock a member's account row for the rest of the transaction and open its book."""
    key_column = f"m.{sql.column(Member, 'id')}" if member_id else f"m.{sql.column(Member, 'phone')}"
    rows = sql.fetch(
        f"SELECT a.{sql.column(Account, 'id')}, a.{sql.column(Account, 'balance')}, a.{sql.column(Account, 'deficit')},"
        f" m.{sql.column(Member, 'id')},"
        f" m.{sql.column(Member, 'status')}, m.{sql.column(Member, 'kind')}, m.{sql.column(Member, 'referred_by')}"
        f" FROM {sql.table(Account)} a"
        f" JOIN {sql.table(Member)} m ON m.{sql.column(Member, 'id')} = a.{sql.column(Account, 'member')}"
        f" WHERE {key_column} = %s" + sql.for_update("a"),
        [member_id or phone],
    )
    if not rows:
        raise MemberNotFound(details={"id": member_id} if member_id else {"phone": phone})
    account_id, balance, deficit, found_member_id, status, kind, referred_by_id = rows[0]
    account = Account(id=account_id, balance=balance, deficit=deficit, member_id=found_member_id,
                      role=Account.Role.MEMBER)
    account._state.adding = False
    return MemberBook(account=account, member_status=status, member_kind=kind, referred_by_id=referred_by_id)
