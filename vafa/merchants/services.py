import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from vafa.core.errors import ValidationFailed
from vafa.core.events import publish
from vafa.merchants.events import MerchantCreated
from vafa.merchants.models import ApiKey, Branch, Merchant

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


@transaction.atomic
def api_key_create(*, merchant: Merchant, name: str = "default") -> tuple[ApiKey, str]:
    """Create a key and return it with the raw secret, which is never stored or shown again."""
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(merchant=merchant, name=name, prefix=prefix, digest=api_key_digest(raw))
    return key, raw


def api_key_revoke(*, key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def branch_create(*, merchant: Merchant, code: str, name: str, city: str = "") -> Branch:
    return Branch.objects.create(merchant=merchant, code=code, name=name, city=city)


# --- what the app's other modules offer (other apps import only this module) -------------------
from vafa.merchants.staff import (  # noqa: E402
    login_allowed,
    login_failed,
    role_groups_ensure,
    staff_create,
    staff_deactivate,
    staff_role_set,
)
from vafa.merchants.staff_accounts import staff_account_create, staff_active_set, staff_role_change  # noqa: E402

__all__ = [
    "KEY_PREFIX", "api_key_create", "api_key_digest", "api_key_revoke", "branch_create", "login_allowed",
    "login_failed", "merchant_create", "role_groups_ensure", "staff_account_create", "staff_active_set",
    "staff_create", "staff_deactivate", "staff_role_change", "staff_role_set",
]
