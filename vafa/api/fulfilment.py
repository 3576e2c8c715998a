"""REST API v1: shipments of physical rewards; scope `rewards`.

The club's operator sees every shipment; a partner's key only those of redemptions made at its
own merchant (another's answers 404, as a shipment that does not exist). A step is a POST with
an `Idempotency-Key` like every write: a retry replays the first answer; the same step again
without a key changes nothing and answers 200."""

from ninja import Query, Router, Schema

from vafa.api import fulfilment_schemas as fs
from vafa.api.auth import needs
from vafa.api.common import READ_ERRORS, WRITE_ERRORS, IdempotencyKey
from vafa.api.idempotency import json_response, run_write
from vafa.core.errors import ValidationFailed
from vafa.merchants.services import operator_id
from vafa.rewards.inputs import SHIPMENT_STATUSES
from vafa.rewards.selectors import shipment_get, shipments_list
from vafa.usecases.fulfilment import shipment_advance

router = Router()

MAX_LIMIT = 500
STATUS_FILTERS = ("waiting", *SHIPMENT_STATUSES)


def _only_merchant(request) -> int | None:
    """None for the club's operator (every shipment); a partner's own merchant id."""
    return None if request.auth.id == operator_id() else request.auth.id


class ShipmentsQuery(Schema):
    status: str | None = None
    limit: int = 100


@router.get("/shipments", auth=needs("rewards"), response={200: list[fs.ShipmentOut], **READ_ERRORS},
            tags=["shipments"])
def list_shipments(request, query: Query[ShipmentsQuery]):
    """Shipments, what waits first (requested, then being prepared), each status oldest first.
    `status`: one of requested, preparing, sent, delivered, cancelled, or `waiting` (requested
    or being prepared); none: every shipment. At most `limit` (1 to 500, default 100)."""
    if query.status not in (None, "", *STATUS_FILTERS):
        raise ValidationFailed(details={"status": f"one of {', '.join(STATUS_FILTERS)}"})
    if not 1 <= query.limit <= MAX_LIMIT:
        raise ValidationFailed(details={"limit": f"from 1 to {MAX_LIMIT}"})
    rows = list(shipments_list(status=query.status or None, merchant_id=_only_merchant(request))
                .prefetch_related("steps")[: query.limit])
    return json_response(200, [fs.shipment_body(s) for s in rows])


@router.get("/shipments/{shipment_id}", auth=needs("rewards"), response={200: fs.ShipmentOut, **READ_ERRORS},
            tags=["shipments"])
def get_shipment(request, shipment_id: str):
    return json_response(200, fs.shipment_body(shipment_get(shipment_id=shipment_id,
                                                            merchant_id=_only_merchant(request))))


@router.post("/shipments/{shipment_id}/steps", auth=needs("rewards"),
             response={200: fs.ShipmentOut, 201: fs.ShipmentOut, **WRITE_ERRORS}, tags=["shipments"])
def create_step(request, shipment_id: str, payload: fs.ShipmentStepInput,
                idempotency_key: str | None = IdempotencyKey):
    """Move the shipment on: `preparing`, `sent` (with `tracking_code`, optionally `carrier`),
    `delivered`, or `cancelled` (with the reason as `note`: the points go back to the member).
    201 with the shipment when the step is recorded (the member is told by SMS, and by e-mail
    when they have one); 200 when the shipment was already there (nothing changes, nobody is
    told), except `sent` with another tracking code, which corrects it (201). A step back or
    out of delivered / cancelled, or cancelling once sent: 409 shipment_step_refused."""
    merchant_id = _only_merchant(request)

    def produce():
        outcome = shipment_advance(shipment_id=shipment_id, status=payload.status,
                                   tracking_code=payload.tracking_code, carrier=payload.carrier, note=payload.note,
                                   by=request.api_actor.name, merchant_id=merchant_id)
        shipment = shipment_get(shipment_id=outcome.shipment.pk)
        return (201 if outcome.changed else 200), fs.shipment_body(shipment)

    return run_write(request, produce, audit="shipment.step")
