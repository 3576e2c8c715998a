"""REST API v1: member events (a review, a survey, a packaging code, any custom type) and the
pool of packaging codes."""

from ninja import Router

from vafa.api import member_event_schemas as es
from vafa.api.auth import needs
from vafa.api.common import WRITE_ERRORS, IdempotencyKey
from vafa.api.idempotency import run_write
from vafa.member_events.selectors import packaging_codes_unused
from vafa.member_events.services import event_record, packaging_codes_upload

router = Router()


@router.post("/events", auth=needs("members:write"), response={201: es.EventOut, **WRITE_ERRORS}, tags=["program"])
def create_event(request, payload: es.EventIn, idempotency_key: str | None = IdempotencyKey):
    """A member's event (a review, a survey, a packaging code, any custom type): the live
    rules it triggers award points. The same `key` again replays the first answer."""

    def produce():
        event, _replayed = event_record(member_id=payload.member_id, event_type=payload.type,
                                        properties=payload.properties, key=payload.key,
                                        merchant_id=request.auth.id, occurred_at=payload.occurred_at)
        return 201, {"id": event.pk, "member_id": event.member_id, "type": event.type,
                     "points_earned": event.points_earned, "applied_rules": event.applied_rules,
                     "balance_after": getattr(event, "balance_after", None), "occurred_at": event.occurred_at}

    return run_write(request, produce, audit="event.create")


@router.post("/program/packaging-codes", auth=needs("program"),
             response={201: es.PackagingCodesOut, **WRITE_ERRORS}, tags=["program"])
def upload_packaging_codes(request, payload: es.PackagingCodesInput, idempotency_key: str | None = IdempotencyKey):
    """Add codes printed in products to the pool: from then on only pooled codes earn (the
    `packaging_code` trigger), each once; `sku` lets rules ask for the product."""

    def produce():
        added = packaging_codes_upload(codes=payload.codes, sku=payload.sku, batch=payload.batch)
        return 201, {"added": added, "unused": packaging_codes_unused()}

    return run_write(request, produce, audit="packaging_codes.upload")
