"""The audit log: every change a staff member makes, with the object before and after.

Pages of the back-office call `audit_record` beside the service they run, in its transaction.
Changes made in the Django admin are caught by model signals while a staff request is being
served (`AdminAuditMiddleware` names the actor), so no admin class has to remember it.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from vafa.core.models import AuditEntry

_actor: contextvars.ContextVar[tuple[Any, str | None] | None] = contextvars.ContextVar("audit_actor", default=None)

# Rows other rows' changes already explain, or that change on every request.
_SKIPPED_MODELS = {"core.auditentry", "sessions.session", "admin.logentry", "contenttypes.contenttype",
                   "auth.permission", "django_tasks_db.dbtaskresult"}
_SECRET_FIELDS = {"password", "digest", "code_hash"}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The object's own field values as JSON (foreign keys as ids, secrets left out)."""
    values = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in _SECRET_FIELDS:
            continue
        values[field.name] = _plain(getattr(instance, field.attname))
    return values


def _changed(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Only the fields that differ, so an entry says what changed rather than everything."""
    if before is None or after is None:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def audit_record(*, actor, action: str, target: models.Model | None = None, target_type: str = "",
                 target_id: str = "", target_label: str = "", before: dict | None = None,
                 after: dict | None = None, ip: str | None = None) -> AuditEntry:
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        target_label = target_label or str(target)[:200]
    name = ""
    if actor is not None and getattr(actor, "is_authenticated", False):
        name = actor.get_username()
    else:
        actor = None
    return AuditEntry.objects.create(
        actor=actor, actor_name=name, action=action, target_type=target_type, target_id=str(target_id),
        target_label=target_label[:200], before=_plain(before), after=_plain(after), ip=ip or None,
    )


def client_ip(request) -> str | None:
    """The visitor's address, for rate limits and the log.

    Behind N reverse proxies (`VAFA_TRUSTED_PROXIES=N`) it is the N-th address from the right of
    X-Forwarded-For, the one the nearest trusted proxy saw; anything further left is whatever the
    client claimed. Without proxies the header is ignored, so it cannot be forged.
    """
    hops = settings.TRUSTED_PROXIES
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None


class AdminAuditMiddleware:
    """Names the staff member behind Django admin requests, for the model signals below."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if request.method not in ("GET", "HEAD", "OPTIONS") and request.path.startswith("/admin/") \
                and user is not None and user.is_authenticated and user.is_staff:
            token = _actor.set((user, client_ip(request)))
            try:
                return self.get_response(request)
            finally:
                _actor.reset(token)
        return self.get_response(request)


def _watched(sender) -> bool:
    return _actor.get() is not None and sender._meta.label_lower not in _SKIPPED_MODELS


def _before_save(sender, instance, raw=False, **kwargs):
    if raw or not _watched(sender):
        return
    previous = None
    if instance.pk is not None:
        old = sender._default_manager.filter(pk=instance.pk).first()
        previous = snapshot(old) if old is not None else None
    instance._audit_before = previous


def _after_save(sender, instance, created, raw=False, **kwargs):
    if raw or not _watched(sender):
        return
    actor, ip = _actor.get()
    before, after = _changed(getattr(instance, "_audit_before", None), snapshot(instance))
    if not created and before == {} and after == {}:
        return
    audit_record(actor=actor, action="admin.add" if created else "admin.change", target=instance,
                 before=None if created else before, after=after, ip=ip)


def _after_delete(sender, instance, **kwargs):
    if not _watched(sender):
        return
    actor, ip = _actor.get()
    audit_record(actor=actor, action="admin.delete", target=instance, before=snapshot(instance), ip=ip)


def connect_admin_audit() -> None:
    pre_save.connect(_before_save, dispatch_uid="vafa-audit-pre-save")
    post_save.connect(_after_save, dispatch_uid="vafa-audit-post-save")
    post_delete.connect(_after_delete, dispatch_uid="vafa-audit-post-delete")
