"""The database itself keeps the ledger's history (DESIGN.md, "The points ledger").

On PostgreSQL, row triggers refuse any UPDATE or DELETE of a transfer, any DELETE of a lot,
and any UPDATE of a lot that changes a column other than `remaining` and `expired` (the only
two the unit of work, `MemberBook.flush`, writes). Model methods already refuse this; the
triggers also stop a queryset's `.update()`/`.delete()`, raw SQL and a hand-run psql session.
TRUNCATE fires no row trigger, so test flushes (and a deliberate wipe) still work. A refusal
is PL/pgSQL's RAISE (SQLSTATE P0001), which Django raises as ProgrammingError: no service
catches that, unlike IntegrityError, which several read as a lost race.

The lot check compares the whole row as JSON less those two columns, so a column added to
`Lot` later is guarded without touching this trigger. A data migration that must rewrite
ledger rows has to lift the guard itself (`ALTER TABLE ... DISABLE TRIGGER ...`) and say why.

SQLite gets no triggers: Django empties an SQLite database with DELETE (every transactional
test's flush), and rebuilds an SQLite table to alter it, which silently drops its triggers.
"""

from django.db import migrations

# One statement per string: each is sent on its own (server-side binding takes one at a time).
FORWARD = [
    r"""
CREATE FUNCTION ledger_transfer_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger transfers are immutable: record a reversing transfer'
        USING DETAIL = format('%s of ledger_transfer id %s refused', TG_OP, OLD.id);
END
$$""",
    """
CREATE TRIGGER ledger_transfer_immutable
    BEFORE UPDATE OR DELETE ON ledger_transfer
    FOR EACH ROW EXECUTE FUNCTION ledger_transfer_refuse()""",
    r"""
CREATE FUNCTION ledger_lot_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger lots are never deleted: record a reversing transfer'
            USING DETAIL = format('DELETE of ledger_lot id %s refused', OLD.id);
    END IF;
    SELECT string_agg(n.key, ', ' ORDER BY n.key) INTO changed
      FROM jsonb_each(to_jsonb(NEW)) AS n
     WHERE n.value IS DISTINCT FROM to_jsonb(OLD) -> n.key;
    RAISE EXCEPTION 'ledger lots change only in remaining and expired: record a reversing transfer'
        USING DETAIL = format('UPDATE of ledger_lot id %s refused (changed: %s)', OLD.id, changed);
END
$$""",
    # The WHEN clause keeps the unit of work's own updates free of any PL/pgSQL call.
    """
CREATE TRIGGER ledger_lot_guarded_columns
    BEFORE UPDATE ON ledger_lot
    FOR EACH ROW
    WHEN ((to_jsonb(OLD) - '{remaining,expired}'::text[]) IS DISTINCT FROM
          (to_jsonb(NEW) - '{remaining,expired}'::text[]))
    EXECUTE FUNCTION ledger_lot_refuse()""",
    """
CREATE TRIGGER ledger_lot_kept
    BEFORE DELETE ON ledger_lot
    FOR EACH ROW EXECUTE FUNCTION ledger_lot_refuse()""",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_lot_kept ON ledger_lot",
    "DROP TRIGGER IF EXISTS ledger_lot_guarded_columns ON ledger_lot",
    "DROP FUNCTION IF EXISTS ledger_lot_refuse()",
    "DROP TRIGGER IF EXISTS ledger_transfer_immutable ON ledger_transfer",
    "DROP FUNCTION IF EXISTS ledger_transfer_refuse()",
]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                # No parameters: the %s of format() must reach PostgreSQL as written.
                schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0004_idempotency_names"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD)),
    ]
