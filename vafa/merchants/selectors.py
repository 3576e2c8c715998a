from vafa.core import sql
from vafa.core.idcache import CommittedIdCache
from vafa.merchants.models import ApiKey, Branch, Merchant
from vafa.merchants.services import api_key_digest


def merchant_for_api_key(raw_key: str) -> Merchant | None:
    """The active merchant a raw API key belongs to, or None: one indexed query, in plain
    SQL because every API call runs it (see vafa.core.sql)."""
    if not raw_key:
        return None
    rows = sql.fetch(
        f"SELECT m.{sql.column(Merchant, 'id')}, m.{sql.column(Merchant, 'name')}, m.{sql.column(Merchant, 'slug')}"
        f" FROM {sql.table(ApiKey)} k JOIN {sql.table(Merchant)} m ON m.id = k.{sql.column(ApiKey, 'merchant')}"
        f" WHERE k.{sql.column(ApiKey, 'digest')} = %s AND k.{sql.column(ApiKey, 'revoked_at')} IS NULL"
        f" AND m.{sql.column(Merchant, 'is_active')}",
        [api_key_digest(raw_key)],
    )
    if not rows:
        return None
    return Merchant.from_db("default", ["id", "name", "slug", "is_active"], [*rows[0], True])


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
from vafa.merchants.staff import ROLES, staff_role  # noqa: E402
from vafa.merchants.staff_accounts import StaffState, staff_get, staff_list, staff_state  # noqa: E402

__all__ = [
    "ROLES", "StaffState", "branch_id_for_code", "club_merchant_id", "merchant_for_api_key", "staff_get",
    "staff_list", "staff_role", "staff_state",
]
