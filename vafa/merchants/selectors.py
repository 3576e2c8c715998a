from vafa.core.idcache import CommittedIdCache
from vafa.merchants.models import ApiKey, Branch, Merchant
from vafa.merchants.services import api_key_digest


def merchant_for_api_key(raw_key: str) -> Merchant | None:
    """The active merchant a raw API key belongs to, or None (one indexed query)."""
    if not raw_key:
        return None
    key = (
        ApiKey.objects.select_related("merchant")
        .filter(digest=api_key_digest(raw_key), revoked_at__isnull=True, merchant__is_active=True)
        .first()
    )
    return key.merchant if key else None


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
