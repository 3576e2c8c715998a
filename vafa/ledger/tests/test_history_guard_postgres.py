"""PostgreSQL itself keeps the ledger's history (ledger migration 0005): whoever writes SQL, a
transfer is never updated or deleted, a lot never deleted, and a lot's only columns that may
change are `remaining` and `expired` (what the unit of work writes). Every refusal leaves the
rows byte for byte as they were; the services' own writes go through untouched."""

from datetime import timedelta

import pytest
from django.db import ProgrammingError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from vafa.commerce.services import purchase_record, refund_record
from vafa.core.tests.fixtures import assert_ledger_ok, balance, ledger_unguarded
from vafa.ledger.models import Account, Lot, LotUse, Transfer
from vafa.ledger.services import points_adjust, points_expire, points_redeem

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TRANSFER_IMMUTABLE = "ledger transfers are immutable: record a reversing transfer"
LOT_KEPT = "ledger lots are never deleted: record a reversing transfer"
LOT_USE_KEPT = "ledger lot uses are only ever added"
LOT_COLUMNS = "ledger lots change only in remaining and expired: record a reversing transfer"
TRIGGERS = [("ledger_lot", "ledger_lot_guarded_columns"), ("ledger_lot", "ledger_lot_kept"),
            ("ledger_lotuse", "ledger_lotuse_immutable"),
            ("ledger_transfer", "ledger_transfer_immutable")]


def rows() -> dict[str, list[str]]:
    """The tables as PostgreSQL prints their rows: equal means byte for byte the same."""
    with connection.cursor() as cursor:
        found = {}
        for table in ("ledger_transfer", "ledger_lot", "ledger_lotuse"):
            cursor.execute(f"SELECT t::text FROM {table} t ORDER BY id")
            found[table] = [row for (row,) in cursor.fetchall()]
    return found


def refused_by_the_database(message: str, change) -> None:
    """`change` fails with the trigger's message and leaves both tables exactly as they were."""
    before = rows()
    with pytest.raises(ProgrammingError, match=message), transaction.atomic():
        change()
    assert rows() == before


def execute(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def installed_triggers() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                       " WHERE NOT t.tgisinternal AND c.relname IN ('ledger_transfer', 'ledger_lot', 'ledger_lotuse')"
                       " ORDER BY 1, 2")
        return cursor.fetchall()


@pytest.fixture
def history(member, merchant):
    """A purchase that earned (a transfer with its lot) and a redemption (a transfer without one)."""
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=2_500_000, external_id="P-1")
    points_redeem(member_id=member.pk, points=50, merchant_id=merchant.pk)
    earn = Transfer.objects.get(kind="earn")
    return {"earn": earn, "redeem": Transfer.objects.get(kind="redeem"), "lot": Lot.objects.get(transfer=earn)}


# --- transfers -------------------------------------------------------------------------------


def test_a_transfers_amount_cannot_be_changed_by_sql_or_the_orm(history):
    earn = history["earn"]
    refused_by_the_database(TRANSFER_IMMUTABLE, lambda: execute(
        "UPDATE ledger_transfer SET amount = amount + 1 WHERE id = %s", [earn.pk]))
    refused_by_the_database(TRANSFER_IMMUTABLE, lambda: Transfer.objects.filter(pk=earn.pk).update(amount=1))
    # Not even a change of its memo, nor an UPDATE that writes the same values
    refused_by_the_database(TRANSFER_IMMUTABLE, lambda: Transfer.objects.filter(pk=earn.pk).update(memo="fixed"))
    refused_by_the_database(TRANSFER_IMMUTABLE, lambda: execute("UPDATE ledger_transfer SET amount = amount"))


def test_a_transfer_cannot_be_deleted_by_sql_or_the_orm(history):
    # The redemption's transfer has no lot (its lot uses go first, so the ORM's delete reaches
    # the database)
    redeem = history["redeem"]
    refused_by_the_database(TRANSFER_IMMUTABLE, lambda: execute(
        "DELETE FROM ledger_transfer WHERE id = %s", [redeem.pk]))
    refused_by_the_database(LOT_USE_KEPT, lambda: (LotUse.objects.filter(transfer=redeem)._raw_delete(
        connection.alias), Transfer.objects.filter(pk=redeem.pk).delete()))
    refused_by_the_database(TRANSFER_IMMUTABLE, lambda: Transfer.objects.filter(pk=redeem.pk)._raw_delete(
        connection.alias))


def test_the_error_says_which_row_and_what_was_refused(history):
    earn = history["earn"]
    with pytest.raises(ProgrammingError) as caught, transaction.atomic():
        Transfer.objects.filter(pk=earn.pk).update(amount=1)
    assert caught.value.__cause__.sqlstate == "P0001"  # PL/pgSQL's RAISE: nothing in the app catches it
    assert caught.value.__cause__.diag.message_detail == f"UPDATE of ledger_transfer id {earn.pk} refused"
    lot = history["lot"]
    with pytest.raises(ProgrammingError) as caught, transaction.atomic():
        Lot.objects.filter(pk=lot.pk).update(amount=1, remaining=1, expires_at=None)
    assert caught.value.__cause__.diag.message_detail == (
        f"UPDATE of ledger_lot id {lot.pk} refused (changed: amount, expires_at, remaining)")


def test_a_lot_use_cannot_be_changed_or_deleted(history):
    use = LotUse.objects.get(transfer=history["redeem"])
    assert (use.lot_id, use.points) == (history["lot"].pk, 50)
    refused_by_the_database(LOT_USE_KEPT, lambda: LotUse.objects.filter(pk=use.pk).update(points=1))
    refused_by_the_database(LOT_USE_KEPT, lambda: execute("DELETE FROM ledger_lotuse"))


# --- lots ------------------------------------------------------------------------------------


def test_a_lots_amount_account_and_expiry_cannot_be_changed(history, member_factory):
    lot = history["lot"]
    other = Account.objects.get(member=member_factory())
    later = lot.expires_at + timedelta(days=30)
    for change in (
        lambda: execute("UPDATE ledger_lot SET amount = amount + 1 WHERE id = %s", [lot.pk]),
        lambda: Lot.objects.filter(pk=lot.pk).update(amount=lot.amount + 1),
        lambda: execute("UPDATE ledger_lot SET account_id = %s WHERE id = %s", [other.pk, lot.pk]),
        lambda: Lot.objects.filter(pk=lot.pk).update(account=other),
        lambda: execute("UPDATE ledger_lot SET expires_at = %s WHERE id = %s", [later, lot.pk]),
        lambda: Lot.objects.filter(pk=lot.pk).update(expires_at=later),
        lambda: Lot.objects.filter(pk=lot.pk).update(expires_at=None),
        # Beside an allowed column, too
        lambda: Lot.objects.filter(pk=lot.pk).update(remaining=0, available_at=timezone.now()),
    ):
        refused_by_the_database(LOT_COLUMNS, change)


def test_a_lot_cannot_be_deleted_by_sql_or_the_orm(history, member, merchant):
    # A lot nothing was spent from (no lot use protects it), so the ORM's delete reaches the database
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000, external_id="P-2")
    lot = Lot.objects.get(transfer__source_kind="purchase", transfer__kind="earn", uses__isnull=True)
    refused_by_the_database(LOT_KEPT, lambda: execute("DELETE FROM ledger_lot WHERE id = %s", [lot.pk]))
    refused_by_the_database(LOT_KEPT, lambda: Lot.objects.filter(pk=lot.pk).delete())
    refused_by_the_database(LOT_KEPT, lambda: Lot.objects.get(pk=lot.pk).delete())


def test_a_lots_remaining_and_expired_may_change_and_an_unchanged_column_may_be_written(history):
    lot = history["lot"]
    # What the unit of work's UPDATE ... CASE writes, and the ORM's full-row save of the same values
    execute("UPDATE ledger_lot SET remaining = remaining - 1, expired = expired + 1, amount = amount,"
            " account_id = account_id WHERE id = %s", [lot.pk])
    stored = Lot.objects.get(pk=lot.pk)
    assert (stored.remaining, stored.expired) == (lot.remaining - 1, 1)
    stored.save()


# --- the unit of work is unaffected ------------------------------------------------------------


def test_purchases_redemptions_refunds_and_expiry_still_write_the_ledger(member, merchant):
    now = timezone.now()
    # A purchase earns (a new transfer and lot)
    bought = purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=3_000_000,
                             external_id="P-1").purchase
    assert balance(member) == 300
    # A redemption consumes the lot (its remaining)
    points_redeem(member_id=member.pk, points=120, merchant_id=merchant.pk)
    assert balance(member) == 180
    # A half refund claws back 150 of the 300 earned
    refund_record(merchant_id=merchant.pk, purchase_id=bought.pk, amount=1_500_000)
    assert balance(member) == 30
    # An adjustment that expires tomorrow, swept by the expiry run the day after (remaining and expired)
    points_adjust(member_id=member.pk, points=40, reason="welcome", merchant_id=merchant.pk,
                  expires_at=now + timedelta(days=1))
    run = points_expire(now=now + timedelta(days=2))
    assert (run.members, run.points, balance(member)) == (1, 40, 30)
    # A purchase that spends 10 points (1,000 IRR) earns on the 999,000 IRR left to pay
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000, external_id="P-2",
                    redeem_points=10)
    assert balance(member) == 30 - 10 + 99
    assert sorted(Lot.objects.filter(account__member=member).values_list("amount", "remaining", "expired")) == [
        (40, 0, 40), (99, 99, 0), (300, 20, 0)]
    assert_ledger_ok()


# --- the guard itself ------------------------------------------------------------------------------


def test_the_triggers_are_installed_and_the_migration_removes_them_again(db):
    assert installed_triggers() == TRIGGERS
    executor = MigrationExecutor(connection)
    executor.migrate([("ledger", "0004_idempotency_names")])
    assert installed_triggers() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_proc WHERE proname IN ('ledger_transfer_refuse', 'ledger_lot_refuse',"
                       " 'ledger_lotuse_refuse')")
        assert cursor.fetchone() == (0,)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("ledger"))
    assert installed_triggers() == TRIGGERS


def test_truncate_still_empties_the_ledger(history):
    # What pytest-django's flush does between transactional tests, and a deliberate wipe (the
    # fixture's foreign key checks, deferred to a commit that never comes here, must run first)
    with transaction.atomic():
        execute("SET CONSTRAINTS ALL IMMEDIATE")
        execute("TRUNCATE ledger_lot, ledger_transfer CASCADE")
        assert (Transfer.objects.count(), Lot.objects.count()) == (0, 0)
        transaction.set_rollback(True)
    assert Transfer.objects.count() == 2


def test_the_test_helper_lifts_the_guard_for_its_block_only(history):
    lot = history["lot"]
    with ledger_unguarded():
        Transfer.objects.filter(pk=history["earn"].pk).update(memo="re-dated")
        Lot.objects.filter(pk=lot.pk).update(expires_at=None)
    assert Transfer.objects.get(pk=history["earn"].pk).memo == "re-dated"
    assert installed_triggers() == TRIGGERS
    refused_by_the_database(LOT_COLUMNS, lambda: Lot.objects.filter(pk=lot.pk).update(expires_at=lot.expires_at))
