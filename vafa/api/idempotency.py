"""Idempotency-Key on every POST.

The answer is stored in the same transaction as the effect, so a crash leaves neither.
A concurrent duplicate either waits on the member's lock or loses the unique insert of the
key; either way its transaction rolls back and it replays the first answer: one effect.
Errors raised by the services are stored too, so a retry gets the same answer."""

import hashlib
import json
from collections.abc import Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone

from vafa.api.errors import error_body
from vafa.core import sql
from vafa.core.audit import audit_record
from vafa.core.errors import ApplicationError, IdempotencyConflict, ValidationFailed
from vafa.core.masking import mask_national_ids
from vafa.ledger.models import IdempotencyRecord

Produce = Callable[[], tuple[int, dict]]


def _json(body: dict) -> dict:
    return json.loads(json.dumps(body, cls=DjangoJSONEncoder))


def json_response(status: int, body: dict | list) -> JsonResponse:
    return JsonResponse(body, status=status, encoder=DjangoJSONEncoder, safe=False,
                        json_dumps_params={"ensure_ascii": False})


def _fingerprint(request) -> str:
    try:
        canonical = json.dumps(json.loads(request.body or b"{}"), sort_keys=True).encode()
    except ValueError:
        canonical = request.body
    return hashlib.sha256(request.method.encode() + request.path.encode() + b"\n" + canonical).hexdigest()


def _replay(merchant, key: str, fingerprint: str, request=None) -> JsonResponse | None:
    record = IdempotencyRecord.objects.filter(merchant_id=merchant.id, key=key).first()
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise IdempotencyConflict(details={"idempotency_key": key})
    body = record.body
    if request is not None and not request.api_key.allows("members:pii"):
        # Records are the merchant's, not one key's: another key replays it as it may read it.
        body = mask_national_ids(body)
    response = json_response(record.status, body)
    response["Idempotent-Replayed"] = "true"
    return response


def _audited(request, produce: Produce, action: str) -> Produce:
    """`produce`, and an audit entry of what it made, as the key's change, in its transaction."""

    def run() -> tuple[int, dict]:
        status, body = produce()
        target = body.get("id", body.get("member_id", "")) if isinstance(body, dict) else ""
        after = _json(body) if isinstance(body, dict) else body  # audit_record masks personal fields
        audit_record(actor=request.api_actor, action=f"api.{action}", target_type=action.partition(".")[0],
                     target_id=str(target), target_label=str(body.get("name", "") if isinstance(body, dict) else ""),
                     after=after)
        return status, body

    return run


def run_write(request, produce: Produce, *, on_integrity_error: Produce | None = None,
              precheck: Callable[[], None] | None = None, audit: str | None = None) -> JsonResponse:
    """Run one write endpoint: `produce` calls the service and answers (status, body).
    `precheck` runs before the write's transaction and only when there is no answer to replay
    (a member's spend code, whose wrong tries must be counted even though the write is refused).
    `audit` names the change ("rule.create") for the audit log; the ledger's own writes need
    none: their transfers and purchases record the key."""
    if audit is not None:
        produce = _audited(request, produce, audit)
        if on_integrity_error is not None:
            on_integrity_error = _audited(request, on_integrity_error, audit)
    key = request.headers.get("Idempotency-Key")
    if precheck is not None:
        stored = None
        if key is not None and key.strip() and len(key.strip()) <= 255:
            stored = _replay(request.auth, key.strip(), _fingerprint(request), request)
        if stored is not None:
            return stored
        precheck()
    if key is None:
        try:
            with transaction.atomic():
                return json_response(*produce())
        except IntegrityError:
            if on_integrity_error is None:
                raise
            return json_response(*on_integrity_error())
    key = key.strip()
    if not key or len(key) > 255:
        raise ValidationFailed(details={"Idempotency-Key": "1 to 255 characters"})
    merchant, fingerprint = request.auth, _fingerprint(request)
    try:
        with transaction.atomic():
            status, body = produce()
            sql.insert(IdempotencyRecord, ["merchant_id", "key", "fingerprint", "status", "body", "created_at"],
                       [[merchant.id, key, fingerprint, status, _json(body), timezone.now()]])
        return json_response(status, body)
    except ApplicationError as exc:
        replayed = _replay(merchant, key, fingerprint, request)
        if replayed is not None:
            return replayed
        if exc.status in (400, 422):
            raise  # invalid input is not an answer to remember: the corrected request may follow
        return _store(merchant, key, fingerprint, exc)
    except IntegrityError:
        replayed = _replay(merchant, key, fingerprint, request)
        if replayed is not None:
            return replayed
        if on_integrity_error is None:
            raise
        status, body = on_integrity_error()
        return _store_answer(merchant, key, fingerprint, status, body)


def _store(merchant, key, fingerprint, exc: ApplicationError) -> JsonResponse:
    return _store_answer(merchant, key, fingerprint, exc.status, error_body(exc.code, exc.message, exc.details))


def _store_answer(merchant, key, fingerprint, status: int, body: dict) -> JsonResponse:
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(merchant_id=merchant.id, key=key, fingerprint=fingerprint,
                                             status=status, body=_json(body))
    except IntegrityError:
        return _replay(merchant, key, fingerprint) or json_response(status, body)
    return json_response(status, body)
