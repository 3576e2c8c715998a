from dataclasses import fields

from vafa.core import sql
from vafa.program.earning import EarnPolicy
from vafa.program.models import ProgramSettings

_POLICY_FIELDS = [f.name for f in fields(EarnPolicy)]


def earn_policy() -> EarnPolicy:
    """The live policy (one query, plain SQL: every purchase reads it). Without a saved
    record, the defaults of a fresh install."""
    rows = sql.fetch(f"SELECT {sql.columns(ProgramSettings, _POLICY_FIELDS)} FROM {sql.table(ProgramSettings)}"
                     f" WHERE {sql.column(ProgramSettings, 'id')} = 1")
    if not rows:
        return EarnPolicy()
    values = dict(zip(_POLICY_FIELDS, rows[0], strict=True))
    for name in ("earn_includes_tax", "earn_includes_shipping"):
        values[name] = bool(values[name])  # SQLite answers 0/1
    return EarnPolicy(**values)


def member_tier(*, member_id: int):
    """The member's current tier, or None."""
    from vafa.program.models import MemberTier

    state = MemberTier.objects.select_related("tier").filter(member_id=member_id).first()
    return state.tier if state else None
