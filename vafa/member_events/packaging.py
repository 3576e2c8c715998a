"""Packaging codes: codes printed in products, entered by members (the `packaging_code`
trigger). Once the club uploads its codes, only those earn, each once; until then any code
earns once (the integrator checks them)."""

from django.db import transaction

from vafa.core.codes import normalize_code
from vafa.core.errors import PackagingCodeNotFound, PackagingCodeUsed
from vafa.core.inputs import validated
from vafa.member_events.inputs import PackagingCodesInput
from vafa.member_events.models import PackagingCode


def packaging_codes_upload(*, codes: list[str], sku: str = "", batch: str = "") -> int:
    """Add codes to the pool (normalised like every code: case, digits, dashes and spaces do
    not matter); answers how many were new. Codes already in the pool are skipped."""
    upload = validated(PackagingCodesInput, {"codes": codes, "sku": sku, "batch": batch})
    unique = list(dict.fromkeys(upload.codes))
    with transaction.atomic():
        known = set(PackagingCode.objects.filter(code__in=unique).values_list("code", flat=True))
        new = [PackagingCode(code=c, sku=upload.sku, batch=upload.batch) for c in unique if c not in known]
        PackagingCode.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def packaging_code_claim(code: str) -> PackagingCode | None:
    """Inside the event's transaction: the pooled code, locked, if the club has a pool (None
    when it has none). Unknown → `packaging_code_not_found`; used → `packaging_code_used`."""
    if not PackagingCode.objects.exists():
        return None
    found = PackagingCode.objects.select_for_update().filter(code=normalize_code(code)).first()
    if found is None:
        raise PackagingCodeNotFound(details={"code": code[:64]})
    if found.event_id is not None:
        raise PackagingCodeUsed(details={"code": code[:64]})
    return found


def packaging_codes_unused() -> int:
    return PackagingCode.objects.filter(event__isnull=True).count()
