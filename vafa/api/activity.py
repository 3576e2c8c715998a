"""REST API v1: events, the checkout preview, the rule dry run and profile changes."""

from ninja import Router

from vafa.api import activity_schemas as a
from vafa.api import schemas as s
from vafa.api.endpoints import WRITE_ERRORS, IdempotencyKey
from vafa.api.idempotency import json_response, run_write
from vafa.commerce import services as commerce
from vafa.commerce.activity import event_record
from vafa.commerce.packaging import packaging_codes_unused, packaging_codes_upload
from vafa.commerce.preview import checkout_preview
from vafa.commerce.simulate import rules_simulate

router = Router()
CALC_ERRORS = {code: s.ErrorOut for code in (400, 401, 404, 409, 422)}


@router.post("/events", response={201: a.EventOut, **WRITE_ERRORS}, tags=["program"])
def create_event(request, payload: a.EventIn, idempotency_key: str | None = IdempotencyKey):
    """A member's event (a review, a survey, a packaging code, any custom type): the live
    rules it triggers award points. The same `key` again replays the first answer."""

    def produce():
        event, _replayed = event_record(member_id=payload.member_id, event_type=payload.type,
                                        properties=payload.properties, key=payload.key,
                                        merchant_id=request.auth.id, occurred_at=payload.occurred_at)
        return 201, {"id": event.pk, "member_id": event.member_id, "type": event.type,
                     "points_earned": event.points_earned, "applied_rules": event.applied_rules,
                     "balance_after": getattr(event, "balance_after", None), "occurred_at": event.occurred_at}

    return run_write(request, produce)


@router.post("/checkout/preview", response={200: a.PreviewOut, **CALC_ERRORS}, tags=["purchases"])
def preview_checkout(request, payload: a.PreviewIn):
    """What a basket would earn, the rewards and coupons that apply and the most points the
    member can spend on it. Writes nothing."""
    data = payload.dict()
    data.pop("external_id")
    items = [commerce.ItemIn(**item) for item in data.pop("items")]
    preview = checkout_preview(merchant_id=request.auth.id, items=items, **data)
    return json_response(200, preview_body(preview, amount=payload.amount))


def preview_body(preview, *, amount: int) -> dict:
    from vafa.commerce.preview import offers

    rewards, coupons = offers(member_id=preview.member_id, amount=amount)
    return {**preview.__dict__, "rewards": rewards, "coupons": coupons}


@router.post("/program/simulate", response={200: dict, **CALC_ERRORS}, tags=["program"])
def simulate(request, payload: a.SimulateIn):
    """Dry run: what the given rules (ids or draft rule objects) alone would have issued on
    the purchases of the period (Tehran dates, both included), beside the live rules."""
    return json_response(200, rules_simulate(rules=payload.rules, date_from=payload.from_, date_to=payload.to))


@router.post("/program/packaging-codes", response={201: a.PackagingCodesOut, **WRITE_ERRORS}, tags=["program"])
def upload_packaging_codes(request, payload: a.PackagingCodesIn, idempotency_key: str | None = IdempotencyKey):
    """Add codes printed in products to the pool: from then on only pooled codes earn (the
    `packaging_code` trigger), each once; `sku` lets rules ask for the product."""

    def produce():
        added = packaging_codes_upload(codes=payload.codes, sku=payload.sku, batch=payload.batch)
        return 201, {"added": added, "unused": packaging_codes_unused()}

    return run_write(request, produce)
