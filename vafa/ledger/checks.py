"""The ledger invariants of DESIGN.md, checked against the stored data.

Each check answers a list of problems (empty when the invariant holds). Apps above the
ledger add checks of their own with `register` (e.g. commerce: a purchase never earns twice).
"""

from collections import defaultdict
from collections.abc import Callable

from django.db.models import Count, Q, Sum
from django.utils import timezone

from vafa.ledger.models import Account, IdempotencyRecord, Lot, LotUse, Transfer
from vafa.ledger.selectors import account_derived_balances

Check = Callable[[], list[str]]
_extra_checks: list[tuple[str, Check]] = []


def register(name: str, check: Check) -> None:
    if all(existing != name for existing, _ in _extra_checks):
        _extra_checks.append((name, check))


def check_zero_sum() -> list[str]:
    derived = account_derived_balances()
    member_cached = Account.objects.filter(role=Account.Role.MEMBER).aggregate(s=Sum("balance"))["s"] or 0
    system_ids = set(Account.objects.exclude(role=Account.Role.MEMBER).values_list("id", flat=True))
    system_derived = sum(v for k, v in derived.items() if k in system_ids)
    total = member_cached + system_derived
    if total == 0:
        return []
    return [f"1. accounts sum to {total}, not 0 (members {member_cached}, system {system_derived})"]


def check_cached_balances() -> list[str]:
    derived = account_derived_balances()
    return [
        f"2. member account {code} caches {balance} but its transfers sum to {derived.get(pk, 0)}"
        for pk, code, balance in Account.objects.filter(role=Account.Role.MEMBER).values_list("id", "code", "balance")
        if balance != derived.get(pk, 0)
    ]


def check_lots() -> list[str]:
    lot_sums = dict(Lot.objects.values("account_id").annotate(s=Sum("remaining")).values_list("account_id", "s"))
    problems = [
        f"3. member account {code} has balance {balance} but its lots hold {lot_sums.get(pk, 0)}"
        for pk, code, balance in Account.objects.filter(role=Account.Role.MEMBER).values_list("id", "code", "balance")
        if balance != lot_sums.get(pk, 0)
    ]
    for lot in Lot.objects.filter(remaining__lt=0).exclude(amount=0):
        problems.append(f"3. lot {lot.pk} is negative but is not a debt lot")
    for lot in Lot.objects.filter(account__role__in=[r for r in Account.Role.values if r != "member"]):
        problems.append(f"3. lot {lot.pk} belongs to a system account")
    return problems


def check_no_overspend() -> list[str]:
    """4. Only claw-backs make deficits: a member in deficit holds no positive lot, and
    every deficit was made by a refund reversal."""
    problems = []
    debt_accounts = defaultdict(list)
    for lot in Lot.objects.filter(remaining__lt=0).select_related("transfer"):
        debt_accounts[lot.account_id].append(lot)
        if lot.transfer.kind != Transfer.Kind.REFUND_REVERSAL:
            problems.append(f"4. debt lot {lot.pk} was made by a {lot.transfer.kind}, not a refund claw-back")
    debts = {account_id: -sum(lot.remaining for lot in lots) for account_id, lots in debt_accounts.items()}
    for account_id, code, cached in Account.objects.filter(role=Account.Role.MEMBER).values_list(
            "id", "code", "deficit"):
        if cached != debts.get(account_id, 0):
            problems.append(f"4. member account {code} caches a deficit of {cached} but its debt lots hold "
                            f"{debts.get(account_id, 0)}")
    for account_id, lots in debt_accounts.items():
        if len(lots) > 1:
            problems.append(f"4. account {account_id} has {len(lots)} debt lots")
        # Points past their expiry wait for the expiry run; they never repay a deficit.
        live = Lot.objects.filter(account_id=account_id, remaining__gt=0).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        if live.exists():
            problems.append(f"4. account {account_id} is in deficit yet holds unspent points")
    return problems


def check_single_effect() -> list[str]:
    """5. One earn per source and rule; idempotency keys unique per merchant."""
    problems = [
        f"5. {row['source_kind']} {row['source_id']} earned {row['n']} times by rule {row['rule']!r}"
        for row in Transfer.objects.filter(kind=Transfer.Kind.EARN, source_id__isnull=False)
        .values("source_kind", "source_id", "rule").annotate(n=Count("id")).filter(n__gt=1)
    ]
    problems += [
        f"5. idempotency key {row['key']!r} stored {row['n']} times"
        for row in IdempotencyRecord.objects.values("merchant_id", "key").annotate(n=Count("id")).filter(n__gt=1)
    ]
    return problems


def check_lot_uses() -> list[str]:
    """6. A debit's recorded lot uses add up to what it took from lots (a redemption: all of
    it; a claw-back: at most all, the rest is a deficit); a restore gives back what it credits;
    no lot gives more than it held or gets back more than it gave."""
    problems = []
    by_transfer = (LotUse.objects.values("transfer_id", "transfer__amount", "transfer__kind")
                   .annotate(taken=Sum("points", filter=Q(points__gt=0)), back=Sum("points", filter=Q(points__lt=0))))
    for row in by_transfer:
        taken, back, amount = row["taken"] or 0, -(row["back"] or 0), row["transfer__amount"]
        if taken and back:
            problems.append(f"6. transfer {row['transfer_id']} both takes from and gives back to lots")
        elif back and back != amount:
            problems.append(f"6. transfer {row['transfer_id']} gives back {back} to lots but credits {amount}")
        elif taken > amount or (row["transfer__kind"] == Transfer.Kind.REDEEM and taken != amount):
            problems.append(f"6. transfer {row['transfer_id']} took {taken} from lots but debits {amount}")
    by_lot = LotUse.objects.values("lot_id", "lot__amount").annotate(net=Sum("points"))
    for row in by_lot:
        if not 0 <= row["net"] <= row["lot__amount"]:
            problems.append(f"6. lot {row['lot_id']} of {row['lot__amount']} points has {row['net']} used")
    return problems


CHECKS: list[tuple[str, Check]] = [
    ("1. all balances sum to zero", check_zero_sum),
    ("2. cached member balances equal their transfers", check_cached_balances),
    ("3. member balances equal their lots", check_lots),
    ("4. no redemption below zero", check_no_overspend),
    ("5. no write takes effect twice", check_single_effect),
    ("6. lot uses match their transfers", check_lot_uses),
]


def verify_ledger() -> list[tuple[str, list[str]]]:
    return [(name, check()) for name, check in [*CHECKS, *_extra_checks]]
