from dataclasses import fields

from vafa.program.earning import EarnPolicy
from vafa.program.models import ProgramSettings

_POLICY_FIELDS = [f.name for f in fields(EarnPolicy)]


def earn_policy() -> EarnPolicy:
    """The live policy (one query). Without a saved record, the defaults of a fresh install."""
    row = ProgramSettings.objects.filter(pk=1).values(*_POLICY_FIELDS).first()
    return EarnPolicy(**row) if row else EarnPolicy()
