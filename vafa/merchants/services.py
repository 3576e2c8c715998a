import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from vafa.core.audit import audit_record
from vafa.core.errors import ValidationFailed
from vafa.core.events import publish
from vafa.core.idcache import CommittedIdCache
from vafa.merchants.events import MerchantCreated
from vafa.merchants.models import ALL_SCOPES, PARTNER_SCOPES, ApiKey, Branch, Merchant, Scope

KEY_PREFIX = "vafa_"


def api_key_digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def _unique_slug(name: str) -> str:
    base = slugify(name, allow_unicode=True)[:60] or "merchant"
    slug, n = base, 1
    while Merchant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def merchant_create(*, name: str, slug: str | None = None) -> Merchant:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(details={"name": "required"})
    merchant = Merchant.objects.create(name=name, slug=slug or _unique_slug(name))
    publish(MerchantCreated(merchant_id=merchant.pk))
    return merchant


_operator = CommittedIdCache()


def operator_id() -> int | None:
    """The club's operator: its first merchant, for ever (later merchants are partners), so
    it is looked up once per process."""
    found = _operator.get("operator")
    if found is None:
        found = Merchant.objects.order_by("pk").values_list("pk", flat=True).first()
        if found is not None:
            _operator.remember("operator", found)
    return found


def scopes_allowed(merchant_id: int) -> frozenset[str]:
    return ALL_SCOPES if merchant_id == operator_id() else PARTNER_SCOPES


def _checked_scopes(merchant_id: int, scopes) -> list[str]:
    """The scopes in a stable order, or the reason they cannot be given to this merchant."""
    wanted = {str(s).strip() for s in scopes if str(s).strip()}
    unknown = sorted(wanted - ALL_SCOPES)
    if unknown:
        raise ValidationFailed(details={"scopes": f"unknown scope(s): {', '.join(unknown)}"})
    if not wanted:
        raise ValidationFailed(details={"scopes": "at least one scope is required"})
    refused = sorted(wanted - scopes_allowed(merchant_id))
    if refused:
        raise ValidationFailed(details={"scopes": f"a partner's key cannot hold: {', '.join(refused)}"})
    return [s for s in Scope.values if s in wanted]


def _audit_key(actor, action: str, key: ApiKey, before: dict | None = None) -> None:
    if actor is not None:
        audit_record(actor=actor, action=action, target=key, before=before,
                     after={"name": key.name, "scopes": key.scopes, "revoked": key.revoked_at is not None})


@transaction.atomic
def api_key_create(*, merchant: Merchant, name: str = "default", scopes=None, actor=None) -> tuple[ApiKey, str]:
    """Create a key and return it with the raw secret, which is never stored or shown again.
    Without `scopes` the key holds everything its merchant may hold."""
    name = (name or "").strip()[:100] or "default"
    chosen = _checked_scopes(merchant.pk, scopes) if scopes is not None else [
        s for s in Scope.values if s in scopes_allowed(merchant.pk)]
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(merchant=merchant, name=name, prefix=prefix, digest=api_key_digest(raw),
                                scopes=chosen)
    _audit_key(actor, "api_key.create", key)
    return key, raw


@transaction.atomic
def api_key_scopes_set(*, key_id: int, scopes, actor=None) -> ApiKey:
    key = ApiKey.objects.select_for_update().get(pk=key_id)
    before = {"scopes": key.scopes}
    key.scopes = _checked_scopes(key.merchant_id, scopes)
    key.save(update_fields=["scopes"])
    _audit_key(actor, "api_key.scopes", key, before)
    return key


@transaction.atomic
def api_key_rotate(*, key_id: int, actor=None) -> tuple[ApiKey, str]:
    """A new secret with the same name and scopes (those its merchant may still hold); the old
    one stops working at once."""
    old = ApiKey.objects.select_for_update().get(pk=key_id, revoked_at__isnull=True)
    kept = [s for s in old.scopes if s in scopes_allowed(old.merchant_id)]
    if not kept:
        raise ValidationFailed(details={"scopes": "the key holds no scope its merchant may hold: give it scopes "
                                                  "first"})
    old.revoked_at = timezone.now()
    old.save(update_fields=["revoked_at"])
    key, raw = api_key_create(merchant=old.merchant, name=old.name, scopes=kept)
    _audit_key(actor, "api_key.rotate", key, {"replaces": old.prefix})
    return key, raw


def api_key_revoke(*, key: ApiKey, actor=None) -> None:
    with transaction.atomic():
        if ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            key.refresh_from_db()
            _audit_key(actor, "api_key.revoke", key)


_TOUCH_EVERY = timedelta(minutes=1)


def api_key_touch(*, key_id: int, last_used_at, now) -> None:
    """Remember when a key was last used, at most once a minute per key (not a write per call)."""
    if last_used_at is None or now - last_used_at >= _TOUCH_EVERY:
        ApiKey.objects.filter(pk=key_id).update(last_used_at=now)


def branch_create(*, merchant: Merchant, code: str, name: str, city: str = "") -> Branch:
    return Branch.objects.create(merchant=merchant, code=code, name=name, city=city)


# --- what the app's other modules offer (other apps import only this module) -------------------
from vafa.merchants.staff import (  # noqa: E402
    login_allowed,
    login_failed,
    login_failures_purge,
    login_unlock,
    role_groups_ensure,
    staff_create,
    staff_deactivate,
    staff_role_set,
)
from vafa.merchants.staff_accounts import staff_account_create, staff_active_set, staff_role_change  # noqa: E402

__all__ = [
    "KEY_PREFIX",
    "api_key_create",
    "api_key_digest",
    "api_key_revoke",
    "api_key_rotate",
    "api_key_scopes_set",
    "api_key_touch",
    "branch_create",
    "login_allowed",
    "login_failed",
    "login_failures_purge",
    "login_unlock",
    "merchant_create",
    "operator_id",
    "role_groups_ensure",
    "scopes_allowed",
    "staff_account_create",
    "staff_active_set",
    "staff_create",
    "staff_deactivate",
    "staff_role_change",
    "staff_role_set",
]
