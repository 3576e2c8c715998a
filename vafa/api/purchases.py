"""REST API v1: purchases, their refunds, and the checkout preview."""

from ninja import Router

from vafa.api import purchase_schemas as ps
from vafa.api import schemas as s
from vafa.api.common import CALC_ERRORS, WRITE_ERRORS, IdempotencyKey
from vafa.api.idempotency import json_response, run_write
from vafa.api.presenters import purchase_body, refund_body
from vafa.commerce import services as commerce
from vafa.members import selectors as members
from vafa.usecases.checkout_preview import checkout_preview, offers

router = Router()


@router.post("/purchases", response={201: s.PurchaseOut, **WRITE_ERRORS}, tags=["purchases"])
def create_purchase(request, payload: s.PurchaseIn, idempotency_key: str | None = IdempotencyKey):
    data = payload.dict()
    items = [commerce.ItemIn(**item) for item in data.pop("items")]
    if data["member_id"] is not None:
        data["member_id"] = members.parse_member_id(data["member_id"])

    def produce():
        result = commerce.purchase_record(merchant_id=request.auth.id, items=items, **data)
        return 201, purchase_body(result.purchase)

    # Losing the insert race to an existing external_id: recording again finds it, and
    # replays it (same content) or refuses it (other content), as a sequential retry would.
    return run_write(request, produce, on_integrity_error=produce)


@router.post("/purchases/{purchase_id}/refunds", response={201: s.RefundOut, **WRITE_ERRORS}, tags=["purchases"])
def create_refund(request, purchase_id: str, payload: s.RefundIn,
                  idempotency_key: str | None = IdempotencyKey):
    def produce():
        refund = commerce.refund_record(merchant_id=request.auth.id, purchase_id=purchase_id,
                                        amount=payload.amount)
        return 201, refund_body(refund)

    return run_write(request, produce)


@router.post("/checkout/preview", response={200: ps.PreviewOut, **CALC_ERRORS}, tags=["purchases"])
def preview_checkout(request, payload: ps.PreviewIn):
    """What a basket would earn, the rewards and coupons that apply and the most points the
    member can spend on it. Writes nothing."""
    data = payload.dict()
    data.pop("external_id")
    items = [commerce.ItemIn(**item) for item in data.pop("items")]
    preview = checkout_preview(merchant_id=request.auth.id, items=items, **data)
    return json_response(200, preview_body(preview, amount=payload.amount))


def preview_body(preview, *, amount: int) -> dict:
    rewards, coupons = offers(member_id=preview.member_id, amount=amount)
    return {**preview.__dict__, "rewards": rewards, "coupons": coupons}
