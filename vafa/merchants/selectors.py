import json
from dataclasses import dataclass
from datetime import datetime

from vafa.core import sql
from vafa.core.idcache import CommittedIdCache
from vafa.merchants.models import ApiKey, Branch, Merchant
from vafa.merchants.services import api_key_digest


@dataclass(frozen=True)
class KeyGrant:
    """What an API call's key may do: its id (recorded with what it writes) and its scopes."""

    key_id: int
    prefix: str
    scopes: frozenset[str]
    last_used_at: datetime | None

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def api_key_grant(raw_key: str) -> tuple[Merchant, KeyGrant] | None:
    """The active merchant a raw API key belongs to and what the key may do, or None: one
    indexed query, in plain SQL because every API call runs it (see vafa.core.sql)."""
    if not raw_key:
        return None
    rows = sql.fetch(
        f"SELECT m.{sql.column(Merchant, 'id')}, m.{sql.column(Merchant, 'name')}, m.{sql.column(Merchant, 'slug')},"
        f" k.{sql.column(ApiKey, 'id')}, k.{sql.column(ApiKey, 'prefix')}, k.{sql.column(ApiKey, 'scopes')},"
        f" k.{sql.column(ApiKey, 'last_used_at')}"
        f" FROM {sql.table(ApiKey)} k JOIN {sql.table(Merchant)} m ON m.id = k.{sql.column(ApiKey, 'merchant')}"
        f" WHERE k.{sql.column(ApiKey, 'digest')} = %s AND k.{sql.column(ApiKey, 'revoked_at')} IS NULL"
        f" AND m.{sql.column(Merchant, 'is_active')}",
        [api_key_digest(raw_key)],
    )
    if not rows:
        return None
    merchant_id, name, slug, key_id, prefix, scopes, last_used_at = rows[0]
    scopes = json.loads(scopes) if isinstance(scopes, str) else scopes  # text on SQLite
    last_used_at = sql.aware(last_used_at)
    merchant = Merchant.from_db("default", ["id", "name", "slug", "is_active"], [merchant_id, name, slug, True])
    return merchant, KeyGrant(key_id=key_id, prefix=prefix, scopes=frozenset(scopes or ()), last_used_at=last_used_at)


def merchant_for_api_key(raw_key: str) -> Merchant | None:
    found = api_key_grant(raw_key)
    return found[0] if found else None


def api_keys_of(*, merchant_id: int | None = None):
    """Keys newest first, with their merchant (all merchants' when `merchant_id` is None)."""
    keys = ApiKey.objects.select_related("merchant").order_by("-created_at", "-pk")
    return keys if merchant_id is None else keys.filter(merchant_id=merchant_id)


def merchants_all():
    return Merchant.objects.order_by("pk")


_branch_ids = CommittedIdCache()


def branch_id_for_code(*, merchant_id: int, code: str) -> int | None:
    """A branch id by its code. Ids never change, so they are remembered per process
    to keep a purchase free of a lookup query."""
    branch_id = _branch_ids.get((merchant_id, code))
    if branch_id is None:
        branch_id = (
            Branch.objects.filter(merchant_id=merchant_id, code=code, is_active=True)
            .values_list("id", flat=True)
            .first()
        )
        if branch_id is not None:
            _branch_ids.remember((merchant_id, code), branch_id)
    return branch_id


def club_merchant_id() -> int | None:
    """The club's operator: its first active merchant (a single-shop club has one), or None
    before any merchant exists."""
    return Merchant.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True).first()


# --- what the app's other modules offer (other apps import only this module) -------------------
from vafa.merchants.staff import ROLES, staff_is_partner, staff_profile_of, staff_role  # noqa: E402
from vafa.merchants.staff_accounts import StaffState, staff_get, staff_list, staff_state  # noqa: E402

__all__ = [
    "ROLES",
    "KeyGrant",
    "StaffState",
    "api_key_grant",
    "api_keys_of",
    "branch_id_for_code",
    "club_merchant_id",
    "merchant_for_api_key",
    "merchants_all",
    "staff_get",
    "staff_is_partner",
    "staff_list",
    "staff_profile_of",
    "staff_role",
    "staff_state",
]
