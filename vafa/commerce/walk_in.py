"""Sales without a member: what a shop sold to customers who are not in the club, recorded so
the owner can compare members with non-members (basket, spend; see
vafa.insight.selectors.members_vs_non_members). No points, no redemption, no coupon, no events:
nothing follows a sale that no one owns. Reached through vafa.commerce.services.

The same `external_id` from the same merchant is recorded once, as for purchases: the same sale
again replays the first answer, a different one is `duplicate_external_id`."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from django.db import IntegrityError, transaction
from django.utils import timezone

from vafa.commerce.inputs import WalkInSaleInput
from vafa.commerce.models import Purchase, WalkInSale, WalkInSaleItem
from vafa.core.errors import (
    BranchNotFound,
    DuplicateExternalId,
    PurchaseNotFound,
    RefundExceedsPurchase,
    ValidationFailed,
)
from vafa.core.ids import parse_id
from vafa.core.inputs import validated
from vafa.merchants.selectors import branch_id_for_code


@dataclass(frozen=True)
class WalkInResult:
    sale: WalkInSale
    replayed: bool = False


def walk_in_fingerprint(sale: WalkInSaleInput) -> str:
    canonical = json.dumps(sale.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def walk_in_sale_record(*, merchant_id: int, sale: WalkInSaleInput | None = None, **fields) -> WalkInResult:
    """Record a sale without a member: `sale`, already checked, or the fields of
    WalkInSaleInput as keywords (`amount` in IRR, `occurred_at`, `items`, `branch`,
    `external_id`, `channel`, `payment_method`, `tax`, `shipping`)."""
    given = sale if sale is not None else validated(WalkInSaleInput, fields)
    fingerprint = walk_in_fingerprint(given)
    external_id = given.external_id or None
    if external_id is not None and WalkInSale.objects.filter(merchant_id=merchant_id,
                                                             external_id=external_id).exists():
        return _resolve_duplicate(merchant_id=merchant_id, external_id=external_id, fingerprint=fingerprint)
    if external_id is not None and Purchase.objects.filter(merchant_id=merchant_id, external_id=external_id).exists():
        # A member's purchase holds this id: the same sale sent once with a member and once without
        # would count twice.
        raise DuplicateExternalId(details={"external_id": external_id, "reason": "a member's purchase"})
    branch_id = None
    if given.branch:
        branch_id = branch_id_for_code(merchant_id=merchant_id, code=given.branch)
        if branch_id is None:
            raise BranchNotFound(details={"branch": given.branch})
    try:
        with transaction.atomic():
            recorded = WalkInSale.objects.create(
                merchant_id=merchant_id, branch_id=branch_id, external_id=external_id, amount=given.amount,
                tax=given.tax, shipping=given.shipping, channel=given.channel,
                payment_method=given.payment_method, fingerprint=fingerprint,
                occurred_at=(given.occurred_at or timezone.now()).astimezone(UTC))
            WalkInSaleItem.objects.bulk_create([
                WalkInSaleItem(sale=recorded, sku=i.sku, name=i.name, category=i.category, quantity=i.quantity,
                               unit_price=i.unit_price) for i in given.items])
    except IntegrityError:
        if transaction.get_connection().in_atomic_block or external_id is None:
            raise  # the caller's transaction is broken: it resolves after rolling back
        return _resolve_duplicate(merchant_id=merchant_id, external_id=external_id, fingerprint=fingerprint)
    return WalkInResult(recorded)


def walk_in_resolve_duplicate(*, merchant_id: int, sale: WalkInSaleInput) -> WalkInResult:
    """After an insert lost to an existing external_id (the API's retry): replay or refuse."""
    return _resolve_duplicate(merchant_id=merchant_id, external_id=sale.external_id,
                              fingerprint=walk_in_fingerprint(sale))


def _resolve_duplicate(*, merchant_id: int, external_id: str | None, fingerprint: str) -> WalkInResult:
    existing = WalkInSale.objects.filter(merchant_id=merchant_id, external_id=external_id).first()
    if existing is None:
        raise DuplicateExternalId(details={"external_id": external_id})
    if existing.fingerprint != fingerprint:
        raise DuplicateExternalId(details={"external_id": external_id, "sale_id": existing.pk})
    return WalkInResult(existing, replayed=True)


def walk_in_sale_refund(*, merchant_id: int, sale_id, amount: int) -> WalkInSale:
    """Take `amount` (IRR, > 0) of what was returned off a sale: the figures count it net.
    At most what remains of the sale (`refund_exceeds_purchase`)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise ValidationFailed(details={"amount": "an integer number of Rials from 1"})
    pk = parse_id(sale_id, PurchaseNotFound)  # a sale's id is a purchase id to its callers
    with transaction.atomic():
        sale = WalkInSale.objects.select_for_update().filter(pk=pk, merchant_id=merchant_id).first()
        if sale is None:
            raise PurchaseNotFound(details={"id": str(sale_id)})
        left = sale.amount - sale.refunded_amount
        if amount > left:
            raise RefundExceedsPurchase(details={"refundable": left, "requested": amount})
        sale.refunded_amount += amount
        sale.save(update_fields=["refunded_amount"])
    return sale


def walk_in_sale_find(*, merchant_id: int, sale_id) -> WalkInSale | None:
    """The merchant's sale without a member with this id (another merchant's is None)."""
    pk = int(sale_id) if str(sale_id).isdigit() else None
    return WalkInSale.objects.filter(pk=pk, merchant_id=merchant_id).first() if pk else None
