"""The restore's rule mapping at its edges (vafa/portability/restore.py `restore_rules`, `rule_ref`):
names shared by an ended and a live rule, names with blanks, and a restore of a restore."""

from __future__ import annotations

import pytest

from vafa.commerce.models import Purchase
from vafa.commerce.services import purchase_record
from vafa.core.tests.fixtures import assert_ledger_ok
from vafa.ledger.models import Transfer
from vafa.portability.export import export_write
from vafa.portability.restore import export_restore
from vafa.portability.tests.test_export import SARA
from vafa.portability.tests.test_restore import empty_the_database
from vafa.portability.tests.test_restore_rules import GONE, ONCE, club  # noqa: F401  (fixture)
from vafa.program.models import Rule, RuleAward
from vafa.program.rules import rule_create

pytestmark = pytest.mark.django_db


def _refs(external_id: str) -> list[str]:
    earned = Purchase.objects.get(external_id=external_id)
    return [line.get("rule_id") for line in earned.applied_rules]


def test_an_ended_rule_and_a_live_one_of_the_same_name(club, tmp_path):  # noqa: F811
    """GONE ended; a new live rule named GONE too: the live one is mapped to the
    restored GONE, the ended one's references become ended:<id>, never the live one's id."""
    new = rule_create(data={"name": GONE, "status": "live", "trigger": "purchase",
                            "effect": {"type": "fixed_points", "points": 3}})
    purchase_record(merchant_id=club["merchant"].pk, phone=SARA, amount=500_000, external_id="2002")
    folder = tmp_path / "export"
    export_write(folder)
    old_gone, old_new = club["gone"].pk, new.pk
    empty_the_database()
    export_restore(folder)
    gone_here = Rule.objects.get(name=GONE)
    assert f"ended:{old_gone}" in _refs("2001")
    assert str(gone_here.pk) in _refs("2002") and f"ended:{old_new}" not in _refs("2002")
    assert set(RuleAward.objects.values_list("rule_id", flat=True)) == {Rule.objects.get(name=ONCE).pk,
                                                                        gone_here.pk}
    assert_ledger_ok()


def test_a_rule_name_with_blanks_around_it_is_found_again(club, tmp_path):  # noqa: F811
    """Pins (passes): a rule row whose name has blanks around it (the program import strips them)."""
    Rule.objects.filter(pk=club["once"].pk).update(name=f"  {ONCE} ")
    folder = tmp_path / "export"
    export_write(folder)
    empty_the_database()
    export_restore(folder)
    once = Rule.objects.get(name=ONCE)
    assert str(once.pk) in _refs("2001")
    assert once.issued_points == 50


def test_a_restore_of_a_restore_keeps_ended_refs(club, tmp_path):  # noqa: F811
    """Pins (passes): exported again after a restore, "ended:<id>" stays as it is (never read as a
    rule of the second installation), and a line without rule_id is left alone."""
    earned = club["earned"]
    Purchase.objects.filter(pk=earned.pk).update(applied_rules=[*earned.applied_rules, {"name": "x", "points": 0}])
    first = tmp_path / "one"
    export_write(first)
    old_gone = club["gone"].pk
    empty_the_database()
    export_restore(first)
    second = tmp_path / "two"
    export_write(second)
    empty_the_database()
    export_restore(second)
    refs = _refs("2001")
    assert f"ended:{old_gone}" in refs and None in refs
    assert f"ended:{old_gone}" in set(Transfer.objects.values_list("rule", flat=True))
    assert_ledger_ok()
