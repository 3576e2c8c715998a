"""The audit log: every change a staff member makes, with the object before and after.

Services record what a staff member (or an API key) changed, in the transaction of the change:
they take the acting `Actor` and call `audit_record`. Changes made in the Django admin are caught
by `vafa.core.admin_audit`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from django.db import models

from vafa.core.masking import mask_personal
from vafa.core.models import AuditEntry

# Never kept in an entry (a webhook's signing secret is shown once, to whoever made it).
_SECRET_FIELDS = {"password", "digest", "code_hash", "secret", "previous_secret"}


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


def changed_fields(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Only the fields that differ, so an entry says what changed rather than everything."""
    if before is None or after is None:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


@dataclass(frozen=True)
class Actor:
    """Who makes a change, as the audit log records it: a staff user, or an API key, and the
    address their request came from. Views build it (`Actor.of(request)`) and pass it to the
    service, which writes the entry in the transaction of the change."""

    user: Any = None
    ip: str | None = None
    api_key_id: int | None = None
    api_key_prefix: str = ""

    @classmethod
    def of(cls, request) -> Actor:
        from vafa.core.client_ip import client_ip

        return cls(user=getattr(request, "user", None), ip=client_ip(request))

    @classmethod
    def of_key(cls, request, *, key_id: int, prefix: str) -> Actor:
        from vafa.core.client_ip import client_ip

        return cls(ip=client_ip(request), api_key_id=key_id, api_key_prefix=prefix)

    @property
    def name(self) -> str:
        if self.api_key_id is not None:
            return f"API {self.api_key_prefix}"
        user = self.user
        return user.get_username() if user is not None and getattr(user, "is_authenticated", False) else ""


# The API key behind the current request, for the rows it writes to say so (a transfer, a
# purchase); set by the API's authentication and cleared when the request ends.
_calling_key: ContextVar[Actor | None] = ContextVar("vafa_calling_key", default=None)


def calling_key_set(actor: Actor | None) -> Token:
    return _calling_key.set(actor)


def calling_key_reset(token: Token) -> None:
    _calling_key.reset(token)


def calling_key_id() -> int | None:
    actor = _calling_key.get()
    return actor.api_key_id if actor is not None else None


def _masked_label(target) -> str:
    from vafa.core.phone import mask_phone

    return str(target).replace(target.phone, mask_phone(target.phone)) if target.phone else str(target)


def _unsecret(data: dict | None) -> dict | None:
    return {k: v for k, v in data.items() if k not in _SECRET_FIELDS} if isinstance(data, dict) else data


def audit_record(*, actor, action: str, target: models.Model | None = None, target_type: str = "",
                 target_id: str = "", target_label: str = "", before: dict | None = None,
                 after: dict | None = None, ip: str | None = None) -> AuditEntry:
    """One entry. `actor` is an `Actor` (a staff user or an API key) or a user (whose `ip` may
    be given apart)."""
    api_key_id = None
    if isinstance(actor, Actor):
        api_key_id, name, ip = actor.api_key_id, actor.name, ip or actor.ip
        actor = actor.user if api_key_id is None else None
    else:
        name = Actor(user=actor).name
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        # A member is named by the masked number (their name is kept: whom an entry is about).
        target_label = target_label or (_masked_label(target) if hasattr(target, "phone") else str(target))[:200]
    return AuditEntry.objects.create(
        actor=actor, actor_name=name, api_key_id=api_key_id, action=action, target_type=target_type,
        target_id=str(target_id), target_label=target_label[:200], before=mask_personal(_plain(_unsecret(before))),
        after=mask_personal(_plain(_unsecret(after))),
        ip=ip or None,
    )


def audit_change(*, actor: Actor | None, action: str, target: models.Model, before: dict, after: dict) -> None:
    """An entry with the fields that changed, when some did and someone is acting."""
    if actor is None:
        return
    before, after = changed_fields(before, after)
    if before or after:
        audit_record(actor=actor, action=action, target=target, before=before, after=after)
