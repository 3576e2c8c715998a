"""Changes made in the Django admin go to the audit log: model signals record them while a
staff request to /admin/ is being served (`AdminAuditMiddleware` names the actor), so no admin
class has to remember it."""

from __future__ import annotations

import contextvars
from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save

from vafa.core.audit import audit_record, changed_fields, snapshot
from vafa.core.client_ip import client_ip

_actor: contextvars.ContextVar[tuple[Any, str | None] | None] = contextvars.ContextVar("audit_actor", default=None)

# Rows other rows' changes already explain, or that change on every request.
_SKIPPED_MODELS = {"core.auditentry", "sessions.session", "admin.logentry", "contenttypes.contenttype",
                   "auth.permission", "django_tasks_db.dbtaskresult", "core.outboxentry", "core.jobrun"}


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
    before, after = changed_fields(getattr(instance, "_audit_before", None), snapshot(instance))
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
