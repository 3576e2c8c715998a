"""What the import and export path offers the pages and commands (other apps import only this
module)."""

from pathlib import Path

from django.utils.translation import gettext as _

from vafa.core.errors import ValidationFailed
from vafa.merchants.models import Merchant
from vafa.portability.background import export_job_launch, import_job_launch
from vafa.portability.imports import ImportRefused, errors_path_for, import_job_open, import_run
from vafa.portability.models import ImportJob
from vafa.portability.readers import UnreadableFile


def import_merchant(name: str | None) -> Merchant:
    """The merchant named (by name or slug), or the only one there is."""
    merchants = Merchant.objects.filter(is_active=True)
    if name:
        found = merchants.filter(name=name).first() or merchants.filter(slug=name).first()
        if found is None:
            raise ValidationFailed(_("No merchant is named %(name)s.") % {"name": name},
                                   details={"merchant": "no merchant has this name"})
        return found
    first_two = list(merchants.order_by("pk")[:2])
    if len(first_two) != 1:
        raise ValidationFailed(_("Name the merchant with --merchant: there are several, or none."),
                               details={"merchant": "required when there is not exactly one merchant"})
    return first_two[0]


def import_file(*, kind: str, path, merchant_id: int, dry_run: bool = False, earns: bool = True,
                progress=None, created_by=None) -> ImportJob:
    """Import the file now (the command's way), continuing an earlier unfinished run of it."""
    job = import_job_open(kind=kind, path=Path(path), merchant_id=merchant_id, dry_run=dry_run, earns=earns,
                          created_by=created_by)
    return import_run(job, progress=progress)


def export_run(job_id: int):
    from vafa.portability.export import export_run as run

    return run(job_id)


__all__ = [
    "ImportJob",
    "ImportRefused",
    "UnreadableFile",
    "errors_path_for",
    "export_job_launch",
    "export_run",
    "import_file",
    "import_job_launch",
    "import_job_open",
    "import_merchant",
    "import_run",
]
