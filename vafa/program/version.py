"""The program's version: every change of rules, tiers, rewards or plans raises it, so each
process reloads its cached live program on its next purchase."""

from django.db.models import F
from django.utils import timezone

from vafa.program.models import ProgramSettings


def program_changed() -> None:
    """Call inside the transaction that changes rules, tiers or rewards."""
    updated = ProgramSettings.objects.filter(pk=1).update(version=F("version") + 1, updated_at=timezone.now())
    if not updated:
        ProgramSettings.objects.get_or_create(pk=1)


def program_changed_by(event) -> None:
    """Handler of events that change what the live program holds (a paid plan's earn percent)."""
    program_changed()
