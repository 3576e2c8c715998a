"""REST API v1: outgoing webhooks (DESIGN, "Shop connections and outgoing webhooks"). Every
call needs the `webhooks` scope; a merchant sees only its own endpoints (another's is 404)."""

from datetime import datetime

from ninja import Query, Router, Schema

from vafa.api.auth import needs
from vafa.api.common import READ_ERRORS, WRITE_ERRORS, IdempotencyKey, Page, page_cursor
from vafa.api.idempotency import json_response, run_write
from vafa.webhooks import selectors as webhooks
from vafa.webhooks import services as hooking
from vafa.webhooks.inputs import EndpointInput

router = Router()


class EndpointOut(Schema):
    id: int
    url: str
    events: list[str]
    description: str
    status: str
    disabled_reason: str
    created_at: datetime


class CreatedOut(EndpointOut):
    secret: str


class RotatedOut(Schema):
    secret: str
    previous_valid_until: datetime


class AttemptOut(Schema):
    id: int
    message_id: str
    type: str
    message_status: str
    at: datetime
    status_code: int | None
    duration_ms: int
    response: str
    error: str


class AttemptsOut(Schema):
    items: list[AttemptOut]
    next_cursor: str | None


class ReplayOut(Schema):
    message_id: str
    status: str


def endpoint_body(endpoint) -> dict:
    return {"id": endpoint.pk, "url": endpoint.url, "events": endpoint.events, "description": endpoint.description,
            "status": endpoint.status, "disabled_reason": endpoint.disabled_reason,
            "created_at": endpoint.created_at}


def attempt_body(attempt) -> dict:
    return {"id": attempt.pk, "message_id": attempt.message.public_id, "type": attempt.message.type,
            "message_status": attempt.message.status, "at": attempt.at, "status_code": attempt.status_code,
            "duration_ms": attempt.duration_ms, "response": attempt.response, "error": attempt.error}


TAGS = ["webhooks"]


@router.post("/webhooks", auth=needs("webhooks"), response={201: CreatedOut, **WRITE_ERRORS}, tags=TAGS)
def create_webhook(request, payload: EndpointInput, idempotency_key: str | None = IdempotencyKey):
    def produce():
        endpoint = hooking.webhook_create(merchant=request.auth, data=payload)
        return 201, {**endpoint_body(endpoint), "secret": endpoint.secret}

    return run_write(request, produce, audit="webhook.create")


@router.get("/webhooks", auth=needs("webhooks"), response={200: list[EndpointOut], **READ_ERRORS}, tags=TAGS)
def list_webhooks(request):
    return json_response(200, [endpoint_body(e) for e in webhooks.webhook_list(merchant_id=request.auth.pk)])


@router.get("/webhooks/{endpoint_id}", auth=needs("webhooks"), response={200: EndpointOut, **READ_ERRORS},
            tags=TAGS)
def get_webhook(request, endpoint_id: str):
    return json_response(200, endpoint_body(webhooks.webhook_get(merchant_id=request.auth.pk,
                                                                 endpoint_id=endpoint_id)))


@router.delete("/webhooks/{endpoint_id}", auth=needs("webhooks"), response={204: None, **WRITE_ERRORS},
               tags=TAGS)
def delete_webhook(request, endpoint_id: str):
    def produce():
        hooking.webhook_delete(merchant=request.auth, endpoint_id=endpoint_id)
        return 204, {"id": int(endpoint_id)}

    response = run_write(request, produce, audit="webhook.delete")
    response.content = b""
    return response


@router.post("/webhooks/{endpoint_id}/rotate-secret", auth=needs("webhooks"),
             response={200: RotatedOut, **WRITE_ERRORS}, tags=TAGS)
def rotate_secret(request, endpoint_id: str, idempotency_key: str | None = IdempotencyKey):
    def produce():
        endpoint = hooking.webhook_rotate_secret(merchant=request.auth, endpoint_id=endpoint_id)
        return 200, {"id": endpoint.pk, "secret": endpoint.secret, "previous_valid_until": endpoint.previous_until}

    return run_write(request, produce, audit="webhook.rotate_secret")


@router.post("/webhooks/{endpoint_id}/enable", auth=needs("webhooks"), response={200: EndpointOut, **WRITE_ERRORS},
             tags=TAGS)
def enable_webhook(request, endpoint_id: str, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 200, endpoint_body(hooking.webhook_enable(merchant=request.auth, endpoint_id=endpoint_id))

    return run_write(request, produce, audit="webhook.enable")


@router.get("/webhooks/{endpoint_id}/deliveries", auth=needs("webhooks"), response={200: AttemptsOut, **READ_ERRORS},
            tags=TAGS)
def list_deliveries(request, endpoint_id: str, query: Query[Page]):
    endpoint = webhooks.webhook_get(merchant_id=request.auth.pk, endpoint_id=endpoint_id)
    rows = webhooks.webhook_attempts(endpoint=endpoint, before_id=page_cursor(query), limit=query.limit + 1)
    page = rows[: query.limit]
    return json_response(200, {"items": [attempt_body(a) for a in page],
                               "next_cursor": str(page[-1].pk) if len(rows) > query.limit else None})


@router.post("/webhooks/{endpoint_id}/deliveries/{message_id}/replay", auth=needs("webhooks"),
             response={202: ReplayOut, **WRITE_ERRORS}, tags=TAGS)
def replay_delivery(request, endpoint_id: str, message_id: str, idempotency_key: str | None = IdempotencyKey):
    def produce():
        message = hooking.webhook_replay(merchant=request.auth, endpoint_id=endpoint_id, message_id=message_id)
        return 202, {"message_id": message.public_id, "status": message.status}

    return run_write(request, produce, audit="webhook.replay")
