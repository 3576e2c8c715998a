"""Helpers shared by the tests of every app: a member's balance, the ledger's invariants,
"refused, and nothing changed", and the count of SQL statements a piece of work runs.

Plain functions, imported where they are used (`from vafa.core.tests.fixtures import ...`):
tests call them in the middle of their own steps, which a pytest fixture cannot do. They live
under `vafa.core.tests` because test packages may import any app (see the import contracts
in pyproject.toml), and this one is beside the lowest layer, which every app's tests use.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, models, transaction

from vafa.commerce.models import Purchase, PurchaseItem, Refund
from vafa.core.errors import ApplicationError
from vafa.ledger.checks import verify_ledger
from vafa.ledger.models import Account, Lot, LotUse, Transfer
from vafa.members.models import Consent, Member, Occasion
from vafa.program.models import Reward
from vafa.rewards.models import Coupon, CouponUse, GiftCard, GiftCardUse, PartnerCode, Redemption

# --- points -------------------------------------------------------------------------------------


def balance(member) -> int:
    """The member's cached balance, read afresh from the database."""
    return Account.objects.get(member=member).balance


def ledger_problems() -> list[tuple[str, list[str]]]:
    """The ledger checks (DESIGN.md's invariants and those apps register) that fail, with what they found."""
    return [(name, found) for name, found in verify_ledger() if found]


def assert_ledger_ok() -> None:
    assert ledger_problems() == []


# The database refuses to edit ledger history (ledger migration 0005, PostgreSQL only); tests of
# what `vafa verify-ledger` catches, and data sets that re-date history, lift the guard on purpose.
_LEDGER_GUARDS = (("ledger_transfer", "ledger_transfer_immutable"), ("ledger_lot", "ledger_lot_guarded_columns"),
                  ("ledger_lot", "ledger_lot_kept"), ("ledger_lotuse", "ledger_lotuse_immutable"))


@contextmanager
def ledger_unguarded() -> Iterator[None]:
    """Let the block update and delete transfers and lots, as only a corrupted or hand-edited
    database would. The block runs in its own transaction (savepoint) with the triggers off,
    and they are on again when it ends, whether it raises or not."""
    if connection.vendor != "postgresql":  # SQLite has no such triggers
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        _toggle(cursor, "DISABLE")
        yield
        _toggle(cursor, "ENABLE")


def _toggle(cursor, action: str) -> None:
    # ALTER TABLE refuses to run while foreign key checks are pending (Django defers them to
    # the commit): check them now, then defer them again as Django declares them.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table, trigger in _LEDGER_GUARDS:
        cursor.execute(f"ALTER TABLE {table} {action} TRIGGER {trigger}")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# --- nothing changed ----------------------------------------------------------------------------


# What a request to the API may write about members and points. Idempotency records are left
# out: a refused request sent with a key is remembered on purpose.
REQUEST_WRITES = (Member, Consent, Occasion, Account, Transfer, Lot, LotUse, Purchase, PurchaseItem, Refund)
# What redeeming a reward, or using a coupon or a gift card, may write.
REWARD_WRITES = (Account, Transfer, Lot, LotUse, Reward, Redemption, Coupon, CouponUse, GiftCard, GiftCardUse,
                 PartnerCode)


def db_state(*tables: type[models.Model]) -> dict[str, list[dict]]:
    """Every row of each model, every column, in id order: equal states mean nothing changed."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in tables}


@contextmanager
def unchanged(*tables: type[models.Model]) -> Iterator[None]:
    """The block leaves every row of `tables` as it was (e.g. a refused request)."""
    before = db_state(*tables)
    yield
    after = db_state(*tables)
    assert after == before, f"changed: {', '.join(label for label in before if after[label] != before[label])}"


@contextmanager
def refused(error: type[Exception] | tuple[type[Exception], ...] | str, *tables: type[models.Model],
            atomic: bool = False):
    """The block raises `error` (an exception class or classes, as for pytest.raises, or the code
    of an ApplicationError) and leaves every row of `tables` as it was. Answers pytest's
    ExceptionInfo: `caught.value` is the error.

    With `atomic`, the block runs in its own transaction, as a request does, so the error rolls
    back whatever it wrote; without, the code under test must leave nothing behind itself."""
    with unchanged(*tables), pytest.raises(ApplicationError if isinstance(error, str) else error) as caught:
        if atomic:
            with transaction.atomic():
                yield caught
        else:
            yield caught
    if isinstance(error, str):
        assert caught.value.code == error, caught.value


# --- SQL statements -----------------------------------------------------------------------------


def statements(queries) -> int:
    """The statements that do work among captured queries (a CaptureQueriesContext, or its
    `captured_queries`): Django logs SQLite's BEGIN and COMMIT, and not PostgreSQL's."""
    captured = getattr(queries, "captured_queries", queries)
    return sum(1 for q in captured if not q["sql"].startswith(("BEGIN", "COMMIT")))
