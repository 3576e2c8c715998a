"""Purchases and refunds: record them and write their points through the member's book."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from vafa.commerce.after_purchase import after_purchase
from vafa.commerce.events import PurchaseRecorded, PurchaseRefunded
from vafa.commerce.facts import purchase_facts
from vafa.commerce.inputs import ItemIn, PurchaseInput, RefundInput
from vafa.commerce.models import Purchase, PurchaseItem, Refund, WalkInSale
from vafa.commerce.referral_awards import referral_undo, referrer_book
from vafa.core import sql
from vafa.core.audit import calling_key_id
from vafa.core.errors import (
    BranchNotFound,
    DuplicateExternalId,
    PurchaseNotFound,
    RefundExceedsPurchase,
)
from vafa.core.events import publish
from vafa.core.ids import parse_id
from vafa.core.inputs import validated
from vafa.core.phone import normalize_phone
from vafa.ledger.models import Account, Lot, Transfer
from vafa.ledger.selectors import lots_spent_by
from vafa.ledger.services import book_open, ensure_can_spend, ensure_not_blocked, system_account_id
from vafa.merchants.selectors import branch_id_for_code
from vafa.program.selectors import earn_policy, program_now, purchase_lines, recorded_usage
from vafa.program.services import lines_apply, rule_usage_record


def purchase_fingerprint(*, member_ref: str, amount: int, tax: int, shipping: int, redeem_points: int,
                         items, occurred_at: datetime | None, branch: str | None) -> str:
    canonical = json.dumps(
        [member_ref, amount, tax, shipping, redeem_points,
         [{"sku": i.sku, "quantity": i.quantity, "unit_price": i.unit_price, "category": i.category,
           "name": i.name} for i in items],
         occurred_at.isoformat() if occurred_at else None, branch or None],
        sort_keys=True, ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class PurchaseResult:
    purchase: Purchase
    replayed: bool = False


def purchase_record(*, merchant_id: int, purchase: PurchaseInput | None = None, earns: bool = True,
                    **fields) -> PurchaseResult:
    """Record a purchase in one transaction: spend `redeem_points` as a discount (capped at
    what the amount allows), earn on the configured base, and answer what happened.

    The purchase is `purchase`, already checked (the API's body), or the fields of
    vafa.commerce.inputs.PurchaseInput as keywords: `amount` (IRR), `member_id` or `phone`,
    `external_id`, `occurred_at` (default now; a time without an offset is Tehran time),
    `items` (ItemIn), `branch` (a code), `redeem_points`, `tax`, `shipping`, `channel`,
    `payment_method`.

    The same `external_id` from the same merchant is recorded once: the same purchase again
    replays the first answer; a different one is `duplicate_external_id`.

    `earns=False` records the purchase without points (an import of history with `--no-points`):
    it still counts for tiers, statistics and badges."""
    given = purchase if purchase is not None else validated(PurchaseInput, fields)
    now = timezone.now()
    member_id, amount, tax, shipping = given.member_id, given.amount, given.tax, given.shipping
    redeem_points, items, branch, occurred_at = given.redeem_points, given.items, given.branch, given.occurred_at
    phone = normalize_phone(given.phone) if member_id is None else None
    external_id = given.external_id or None
    fingerprint = purchase_fingerprint(
        member_ref=str(member_id or phone), amount=amount, tax=tax, shipping=shipping,
        redeem_points=redeem_points, items=items, occurred_at=occurred_at, branch=branch)
    branch_id = None
    if branch:
        branch_id = branch_id_for_code(merchant_id=merchant_id, code=branch)
        if branch_id is None:
            raise BranchNotFound(details={"branch": branch})
    if external_id is not None:
        # A retry of a recorded purchase replays it before anything else is checked: the
        # member may have spent the points or been blocked since.
        # One statement asks both tables: a sale without a member holds its external_id too.
        recorded = sql.fetch(
            f"SELECT 1 FROM {sql.table(Purchase)} WHERE {sql.column(Purchase, 'merchant_id')} = %s"
            f" AND {sql.column(Purchase, 'external_id')} = %s"
            f" UNION ALL SELECT 2 FROM {sql.table(WalkInSale)} WHERE {sql.column(WalkInSale, 'merchant_id')} = %s"
            f" AND {sql.column(WalkInSale, 'external_id')} = %s", [merchant_id, external_id, merchant_id, external_id])
        if any(row[0] == 2 for row in recorded):
            raise DuplicateExternalId(details={"external_id": external_id, "reason": "a sale without a member"})
        if recorded:
            return purchase_resolve_duplicate(merchant_id=merchant_id, external_id=external_id,
                                              fingerprint=fingerprint)
    try:
        with transaction.atomic(savepoint=False):
            purchase = _record(
                merchant_id=merchant_id, member_id=member_id, phone=phone, external_id=external_id,
                amount=amount, tax=tax, shipping=shipping, occurred_at=(occurred_at or now).astimezone(UTC),
                items=items, branch_id=branch_id, redeem_points=redeem_points, channel=given.channel,
                payment_method=given.payment_method, fingerprint=fingerprint, earns=earns)
            return PurchaseResult(purchase)
    except IntegrityError:
        if transaction.get_connection().in_atomic_block or external_id is None:
            raise  # the caller's transaction is broken: it resolves after rolling back
        return purchase_resolve_duplicate(merchant_id=merchant_id, external_id=external_id,
                                          fingerprint=fingerprint)


def purchase_resolve_duplicate(*, merchant_id: int, external_id: str, fingerprint: str) -> PurchaseResult:
    """After an insert lost to an existing external_id: replay it, or refuse a different one."""
    existing = Purchase.objects.filter(merchant_id=merchant_id, external_id=external_id).first()
    if existing is None:
        raise DuplicateExternalId(details={"external_id": external_id})
    if existing.fingerprint != fingerprint:
        raise DuplicateExternalId(details={"external_id": external_id, "purchase_id": existing.pk})
    return PurchaseResult(existing, replayed=True)


def _record(*, merchant_id, member_id, phone, external_id, amount, tax, shipping, occurred_at, items,
            branch_id, redeem_points, channel, payment_method, fingerprint, earns=True) -> Purchase:
    book = book_open(member_id=member_id, phone=phone)
    ensure_not_blocked(book)
    if redeem_points:
        ensure_can_spend(book)
    program = program_now()
    policy = program.policy
    referrer = referrer_book(program, book, amount) if earns else None
    source = ("purchase", None)

    redeemed = policy.redeemable_points(redeem_points, amount=amount)
    if redeemed:
        book.debit(redeemed, kind=Transfer.Kind.REDEEM, merchant_id=merchant_id, source=source,
                   to_account_id=system_account_id(Account.Role.REDEEMED, merchant_id))
    facts = purchase_facts(program, member_id=book.member_id, member_kind=book.member_kind,
                           merchant_id=merchant_id, occurred_at=occurred_at, amount=amount, tax=tax,
                           shipping=shipping, discount=redeemed * policy.point_value_rial, items=items,
                           branch_id=branch_id, channel=channel, payment_method=payment_method)
    lines = purchase_lines(program, facts, program.rules_for("purchase"),
                           recorded_usage(program, member_id=book.member_id, moment=occurred_at)) if earns else []
    earned = lines_apply(book, lines, program, merchant_id=merchant_id, occurred_at=occurred_at, source=source)
    purchase = Purchase(
        merchant_id=merchant_id, member_id=book.member_id, branch_id=branch_id,
        external_id=external_id, api_key_id=calling_key_id(), amount=amount, tax=tax, shipping=shipping,
        discount=facts.discount,
        channel=channel, payment_method=payment_method, points_earned=earned, points_redeemed=redeemed,
        balance_after=book.balance, applied_rules=[line.body() for line in lines], fingerprint=fingerprint,
        occurred_at=occurred_at, recorded_at=book.now,
    )
    _insert(purchase, _PURCHASE_FIELDS)
    sql.insert(PurchaseItem, _ITEM_FIELDS, [
        [purchase.id, i.sku, i.name[:200], i.category[:64], i.quantity, i.unit_price] for i in items])
    book.set_source("purchase", purchase.pk)
    book.flush()
    source = ("purchase", purchase.pk)
    rule_usage_record(lines, program, member_id=book.member_id, occurred_at=occurred_at, source=source)
    after_purchase(program, book, purchase, lines, facts, referrer, earns=earns)
    publish(PurchaseRecorded(purchase_id=purchase.pk, member_id=purchase.member_id, merchant_id=merchant_id,
                             external_id=external_id, amount=amount, points_earned=earned, points_redeemed=redeemed,
                             balance_after=purchase.balance_after, occurred_at=occurred_at))
    return purchase


_PURCHASE_FIELDS = ["merchant_id", "member_id", "branch_id", "external_id", "api_key_id", "amount", "tax",
                    "shipping", "discount", "channel", "payment_method", "points_earned", "points_redeemed",
                    "balance_after", "applied_rules", "refunded_amount", "points_reversed", "points_returned",
                    "fingerprint", "occurred_at", "recorded_at"]
_ITEM_FIELDS = ["purchase_id", "sku", "name", "category", "quantity", "unit_price"]


def _insert(obj, fields: list[str]) -> None:
    """Insert one model instance in plain SQL (the purchase hot path; see vafa.core.sql)."""
    [obj.id] = sql.insert(type(obj), fields, [[getattr(obj, f) for f in fields]])
    obj._state.adding = False


def refund_record(*, merchant_id: int, purchase_id, amount: int, external_id: str | None = None) -> Refund:
    """Refund part of a purchase. Its share of the purchase reverses that share of the points
    earned and gives back that share of the points spent; cumulative rounding makes the last
    refund exact. A reversal the member already spent becomes a deficit. A refund sent again
    with the same `external_id` answers the first one (another amount: DuplicateExternalId)."""
    pk = parse_id(purchase_id, PurchaseNotFound)
    asked = validated(RefundInput, {"amount": amount, "external_id": external_id})
    amount, external_id = asked.amount, asked.external_id
    with transaction.atomic(savepoint=False):
        member_id = (Purchase.objects.filter(pk=pk, merchant_id=merchant_id)
                     .values_list("member_id", flat=True).first())
        if member_id is None:
            raise PurchaseNotFound(details={"id": pk})
        book = book_open(member_id=member_id)  # serialises refunds of this member's purchases
        if external_id is not None:
            earlier = Refund.objects.filter(purchase_id=pk, external_id=external_id).first()
            if earlier is not None:
                if earlier.amount != amount:
                    raise DuplicateExternalId(details={"external_id": external_id, "refund_id": earlier.pk,
                                                       "amount": earlier.amount})
                return earlier
        purchase = Purchase.objects.get(pk=pk)
        left = purchase.amount - purchase.refunded_amount
        if amount > left:
            raise RefundExceedsPurchase(details={"refundable": left, "requested": amount})
        refunded = purchase.refunded_amount + amount
        reverse = purchase.points_earned * refunded // purchase.amount - purchase.points_reversed
        give_back = purchase.points_redeemed * refunded // purchase.amount - purchase.points_returned
        source = ("purchase", purchase.pk)
        originals = list(Transfer.objects.filter(source_kind="purchase", source_id=purchase.pk,
                                                 credit_id=book.account.id, kind__in=_EARNING_KINDS)
                         .order_by("id"))
        redeemed = Transfer.objects.filter(source_kind="purchase", source_id=purchase.pk,
                                           kind=Transfer.Kind.REDEEM).first()
        clawed = _claw_back(book, purchase, originals, reverse, merchant_id=merchant_id, source=source,
                            amount=amount)
        if give_back:
            _give_back(book, purchase, give_back, redeemed, merchant_id=merchant_id, source=source, amount=amount)
        if refunded == purchase.amount:
            referral_undo(book, purchase, merchant_id=merchant_id)
        book.flush()
        Purchase.objects.filter(pk=purchase.pk).update(
            refunded_amount=refunded, points_reversed=purchase.points_reversed + reverse,
            points_returned=purchase.points_returned + give_back)
        refund = Refund.objects.create(purchase=purchase, external_id=external_id, amount=amount,
                                       points_reversed=clawed, points_returned=give_back,
                                       balance_after=book.balance)
        publish(PurchaseRefunded(refund_id=refund.pk, purchase_id=purchase.pk, member_id=member_id,
                                 merchant_id=merchant_id, amount=amount, points_reversed=clawed,
                                 points_returned=give_back, balance_after=book.balance))
        return refund


_EARNING_KINDS = [Transfer.Kind.EARN, Transfer.Kind.BONUS]


def _give_back(book, purchase: Purchase, points: int, redeemed: Transfer | None, *, merchant_id: int, source,
               amount: int) -> None:
    """Give back spent points to the lots they came from, with the expiry they had; what had
    expired meanwhile expires again at once. A purchase recorded before lots were tracked
    gets a fresh lot, as it always did."""
    spent = lots_spent_by(source_kind="purchase", source_id=purchase.pk)
    from_account = system_account_id(Account.Role.REDEEMED, merchant_id)
    memo = f"refund of {amount} IRR"
    if sum(spent.values()) >= points:
        book.restore(points, spent, from_account_id=from_account, merchant_id=merchant_id, source=source,
                     reverses=redeemed, memo=memo)
        book.expire_due(to_account_id=system_account_id(Account.Role.EXPIRED))
        return
    book.credit(points, kind=Transfer.Kind.REFUND_REVERSAL, merchant_id=merchant_id, source=source,
                from_account_id=from_account, reverses=redeemed, expires_at=earn_policy().expires_at(book.now),
                memo=memo)


def _claw_back(book, purchase: Purchase, earned: list[Transfer], reverse: int, *, merchant_id: int, source,
               amount: int) -> int:
    """Take back `reverse` earned points, first from the purchase's own lots (base and rule
    awards alike). Points of those lots that already expired are gone: they are not clawed
    back a second time."""
    if not reverse or not earned:
        return 0
    book.expire_due(to_account_id=system_account_id(Account.Role.EXPIRED))  # as the expiry run would now
    book.flush()
    expired = Lot.objects.filter(transfer__in=earned).aggregate(s=Sum("expired"))["s"] or 0
    already = Transfer.objects.filter(source_kind="purchase", source_id=purchase.pk, debit_id=book.account.id,
                                      kind=Transfer.Kind.REFUND_REVERSAL).aggregate(s=Sum("amount"))["s"] or 0
    clawed = min(reverse, max(purchase.points_earned - expired - already, 0))
    if clawed:
        book.debit(clawed, kind=Transfer.Kind.REFUND_REVERSAL, merchant_id=merchant_id, source=source,
                   to_account_id=system_account_id(Account.Role.ISSUED, merchant_id), rule="base",
                   include_pending=True, allow_deficit=True, reverses=earned[0],
                   prefer_transfer_ids=[t.pk for t in earned], memo=f"refund of {amount} IRR")
    return clawed


def purchases_recorded(*, merchant_id: int, external_ids: list[str]) -> dict[str, tuple[int, str]]:
    """Those of these external ids the merchant has recorded already: their purchase id and
    fingerprint (the same purchase again replays; another is `duplicate_external_id`)."""
    return {external_id: (pk, fingerprint) for pk, external_id, fingerprint in
            # "not null" said outright: PostgreSQL proves a partial index's condition from an IN
            # list of at most 100 values, and would scan the table for a chunk's thousand.
            Purchase.objects.filter(merchant_id=merchant_id, external_id__isnull=False, external_id__in=external_ids)
            .values_list("pk", "external_id", "fingerprint")}


# --- what the app's other modules offer (other apps import only this module) -------------------
from vafa.commerce.history import PastPurchase, purchases_record_past  # noqa: E402
from vafa.commerce.tiers import tier_reviews_due  # noqa: E402
from vafa.commerce.walk_in import (  # noqa: E402
    WalkInResult,
    walk_in_resolve_duplicate,
    walk_in_sale_record,
    walk_in_sale_refund,
)

__all__ = ["ItemIn", "PastPurchase", "PurchaseInput", "PurchaseResult", "WalkInResult", "purchase_fingerprint",
           "purchase_record", "purchase_resolve_duplicate", "purchases_record_past", "purchases_recorded",
           "refund_record", "tier_reviews_due", "walk_in_resolve_duplicate", "walk_in_sale_record",
           "walk_in_sale_refund"]
