"""REST API v1: purchases, their refunds, and the checkout preview."""

from ninja import Router

from vafa.api import purchase_schemas as ps
from vafa.api import schemas as s
from vafa.api.auth import needs
from vafa.api.common import CALC_ERRORS, WRITE_ERRORS, IdempotencyKey
from vafa.api.idempotency import json_response, run_write
from vafa.api.presenters import purchase_body, refund_body
from vafa.commerce import services as commerce
from vafa.core.errors import Forbidden
from vafa.members import selectors as members
from vafa.usecases.checkout_preview import checkout_preview, offers
from vafa.usecases.spend_proof import purchase_spend_proof, spend_proof_needed, spend_proof_use

router = Router()


@router.post("/purchases", auth=needs("purchases"), response={201: s.PurchaseOut | ps.WalkInSaleOut, **WRITE_ERRORS},
             tags=["purchases"])
def create_purchase(request, payload: ps.PurchaseInput, idempotency_key: str | None = IdempotencyKey):
    """A member's purchase; or, with `without_member: true` and no member, a sale to a customer
    outside the club, recorded for the owner's statistics only (no points)."""
    if payload.without_member:
        return _create_walk_in(request, payload.walk_in())
    if payload.member_id is not None:
        members.parse_member_id(payload.member_id)  # any other shape names no member
    spends = payload.redeem_points > 0
    needs_proof = spend_proof_needed(merchant_id=request.auth.id, points=payload.redeem_points)
    if spends and not request.api_key.allows("points:spend"):
        raise Forbidden(details={"scope": "this key lacks the scope points:spend (for redeem_points)"})
    proof = []

    def check_presence():
        proof.append(purchase_spend_proof(merchant_id=request.auth.id, purchase=payload, code=payload.member_code))

    def produce():
        if proof:
            spend_proof_use(proof=proof[0], merchant_id=request.auth.id)
        # Checked once, by ninja: the service takes the purchase as it is.
        result = commerce.purchase_record(merchant_id=request.auth.id, purchase=payload)
        return 201, purchase_body(result.purchase)

    # Losing the insert race to an existing external_id: recording again finds it, and
    # replays it (same content) or refuses it (other content), as a sequential retry would.
    return run_write(request, produce, on_integrity_error=produce, precheck=check_presence if needs_proof else None)


def _create_walk_in(request, sale):
    def produce():
        result = commerce.walk_in_sale_record(merchant_id=request.auth.id, sale=sale)
        return 201, ps.walk_in_body(result.sale)

    def resolve():  # lost the insert race to the same external_id: replay it or refuse it
        return 201, ps.walk_in_body(commerce.walk_in_resolve_duplicate(merchant_id=request.auth.id, sale=sale).sale)

    return run_write(request, produce, on_integrity_error=resolve)


@router.post("/purchases/{purchase_id}/refunds", auth=needs("purchases"),
             response={201: s.RefundOut, **WRITE_ERRORS}, tags=["purchases"])
def create_refund(request, purchase_id: str, payload: ps.RefundInput,
                  idempotency_key: str | None = IdempotencyKey):
    def produce():
        refund = commerce.refund_record(merchant_id=request.auth.id, purchase_id=purchase_id,
                                        amount=payload.amount, external_id=payload.external_id)
        return 201, refund_body(refund)

    return run_write(request, produce)


@router.post("/checkout/preview", auth=needs("purchases"),
             response={200: ps.PreviewOut, **CALC_ERRORS}, tags=["purchases"])
def preview_checkout(request, payload: ps.PreviewInput):
    """What a basket would earn, the rewards and coupons that apply and the most points the
    member can spend on it. Writes nothing."""
    preview = checkout_preview(merchant_id=request.auth.id, basket=payload)
    return json_response(200, preview_body(preview, amount=payload.amount))


def preview_body(preview, *, amount: int) -> dict:
    rewards, coupons = offers(member_id=preview.member_id, amount=amount)
    return {**preview.__dict__, "rewards": rewards, "coupons": coupons}
