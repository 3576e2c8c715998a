"""Rules across an export and its restore: every rule in rules.csv (ended ones too), what they gave
members in rule_awards.csv; restored, a rule's per-member cap and budget go on counting what it
gave before, and whatever names a rule by id (a transfer's `rule`, a purchase's `applied_rules`,
the programme effect) names the new installation's rule, or "ended:<old id>" for a rule that is
not there, never another rule. An export made before the two files restores as it always did."""

import json

import pytest
from django.utils import timezone, translation

from vafa.commerce.models import Purchase
from vafa.commerce.services import purchase_record
from vafa.core.tests.fixtures import assert_ledger_ok
from vafa.insight.effect import programme_effects_compute
from vafa.insight.models import ProgrammeEffect
from vafa.insight.selectors import programme_effects
from vafa.ledger.models import Transfer
from vafa.members.models import Member, MembershipPlan
from vafa.members.services import membership_record, plan_create
from vafa.merchants.models import Merchant
from vafa.portability.export import export_write
from vafa.portability.restore import RestoreError, export_restore
from vafa.portability.tests.test_export import ALI, ORG, SARA, build_club, read_csv
from vafa.portability.tests.test_restore import empty_the_database
from vafa.program.models import Rule, RuleAward
from vafa.program.rules import rule_create, rule_update

pytestmark = pytest.mark.django_db

ONCE, GONE, PLAN = "هدیه خرید اول", "جشنواره تمام‌شده", "عضویت دوبرابر"


@pytest.fixture
def club(settings, tmp_path):
    """The small club, with a rule each member earns once (50 points, a cap of 50 a Jalali year,
    a budget of 100 points), a rule that ended after Sara earned it, and a plan that doubles the
    base points: Sara's purchase 2001 earned all three."""
    settings.SMS_BACKEND = "console"
    settings.SMS_OUTBOX = tmp_path / "outbox.jsonl"
    club = build_club()
    once = rule_create(data={"name": ONCE, "status": "live", "trigger": "purchase",
                             "effect": {"type": "fixed_points", "points": 50},
                             "caps": {"per_member_jalali_year": 50}, "budget": {"points": 100}})
    gone = rule_create(data={"name": GONE, "status": "live", "trigger": "purchase",
                             "effect": {"type": "fixed_points", "points": 7}})
    plan = plan_create(name=PLAN, fee_rial=1_000_000, duration_days=365, earn_percent=200)
    membership_record(member_id=club["sara"].pk, plan_id=plan.pk, amount_rial=1_000_000, payment_reference="PAY-2")
    earned = purchase_record(merchant_id=club["merchant"].pk, phone=SARA, amount=500_000, external_id="2001").purchase
    assert [(line["rule_id"], line["points"]) for line in earned.applied_rules] == [
        ("base", 50), (f"plan:{plan.pk}", 50), (str(once.pk), 50), (str(gone.pk), 7)]
    rule_update(rule_id=gone.pk, data={"status": "ended"})
    return {**club, "once": once, "gone": gone, "double": plan, "earned": earned}


@pytest.fixture
def exported(club, tmp_path):
    folder = tmp_path / "export"
    export_write(folder)
    return folder


def _rule_points(purchase) -> dict[str, int]:
    return {line["name"]: line["points"] for line in purchase.applied_rules if line["rule_id"] != "base"}


def test_every_rule_and_every_award_is_exported(club, exported):
    once, gone, sara = club["once"], club["gone"], club["sara"]
    rules = {row["id"]: row for row in read_csv(exported / "rules.csv")}
    assert {k: rules[str(once.pk)][k] for k in ("name", "status", "issued_points", "caps", "merchant")} == {
        "name": ONCE, "status": "live", "issued_points": "50", "caps": '{"per_member_jalali_year": 50}',
        "merchant": ""}
    assert (rules[str(gone.pk)]["name"], rules[str(gone.pk)]["status"]) == (GONE, "ended")  # not in program.json
    assert [r["name"] for r in json.loads((exported / "program.json").read_text(encoding="utf-8"))["rules"]] == [ONCE]
    awards = read_csv(exported / "rule_awards.csv")
    assert [(a["rule_id"], a["member_id"], a["points"], a["source_kind"], a["source_id"]) for a in awards] == [
        (str(once.pk), str(sara.pk), "50", "purchase", str(club["earned"].pk)),
        (str(gone.pk), str(sara.pk), "7", "purchase", str(club["earned"].pk))]


def test_a_restored_rule_caps_and_budgets_what_it_gave_before(club, exported):
    old_once = club["once"].pk
    empty_the_database()
    summary = export_restore(exported)
    assert (summary["files"]["rules.csv"], summary["files"]["rule_awards.csv"]) == (1, 1)  # the ended rule's left out
    once = Rule.objects.get(name=ONCE)
    assert once.pk != old_once
    assert not Rule.objects.filter(name=GONE).exists()
    sara = Member.objects.get(phone=SARA)
    earned = Purchase.objects.get(external_id="2001")
    assert list(RuleAward.objects.values_list("rule_id", "member_id", "points", "source_kind", "source_id")) == [
        (once.pk, sara.pk, 50, "purchase", earned.pk)]
    assert (once.issued_points, once.issued_rial) == (50, 5_000)  # the budget goes on from there
    assert_ledger_ok()
    merchant = Merchant.objects.get()

    # Sara had it once: no more this Jalali year. Ali never had it: he gets it, and that spends the budget.
    again = purchase_record(merchant_id=merchant.pk, phone=SARA, amount=500_000, external_id="3001").purchase
    assert ONCE not in _rule_points(again)
    ali = purchase_record(merchant_id=merchant.pk, phone=ALI, amount=500_000, external_id="3002").purchase
    assert _rule_points(ali) == {ONCE: 50}
    org = purchase_record(merchant_id=merchant.pk, phone=ORG, amount=500_000, external_id="3003").purchase
    assert ONCE not in _rule_points(org)  # 100 points of budget given
    assert Rule.objects.get(pk=once.pk).issued_points == 100


def test_what_names_a_rule_names_the_new_one_and_an_ended_rule_none(club, exported):
    old_once, old_gone, old_plan = club["once"].pk, club["gone"].pk, club["double"].pk
    empty_the_database()
    export_restore(exported)
    once, plan = Rule.objects.get(name=ONCE), MembershipPlan.objects.get(name=PLAN)
    earned = Purchase.objects.get(external_id="2001")
    expected = [("base", 50), (f"plan:{plan.pk}", 50), (str(once.pk), 50), (f"ended:{old_gone}", 7)]
    assert [(line["rule_id"], line["points"]) for line in earned.applied_rules] == expected
    assert sorted(Transfer.objects.filter(source_kind="purchase", source_id=earned.pk).values_list(
        "rule", "amount")) == sorted(expected)
    # No transfer keeps a bare id of the export's: each names a rule of this installation
    refs = set(Transfer.objects.values_list("rule", flat=True))
    assert {int(r) for r in refs if r.isdigit()} == {once.pk} != {old_once}
    assert f"plan:{old_plan}" not in refs

    programme_effects_compute(now=timezone.now())
    with translation.override("en"):
        names = {row.row.ref: row.name for row in programme_effects() if row.kind == ProgrammeEffect.Kind.RULE}
    assert names[str(once.pk)] == ONCE
    assert names[f"plan:{plan.pk}"] == PLAN
    # its points apart, credited to no rule here
    assert names[f"ended:{old_gone}"] == f"An ended rule of the earlier installation (#{old_gone})"
    assert str(old_once) not in names and str(old_gone) not in names


def _as_before_the_rules_files(folder) -> None:
    """The export as the version before rules.csv and rule_awards.csv wrote it: its manifest lists
    neither. The files stay in the folder: the manifest decides what the export holds."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = [e for e in manifest["files"] if e["name"] not in ("rules.csv", "rule_awards.csv")]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_an_export_without_the_rules_files_restores_as_before(club, exported):
    old_once, old_gone, old_plan = club["once"].pk, club["gone"].pk, club["double"].pk
    _as_before_the_rules_files(exported)
    empty_the_database()
    summary = export_restore(exported)
    assert "rules.csv" not in summary["files"] and "rule_awards.csv" not in summary["files"]
    assert_ledger_ok()
    # As before: the references kept as they were, no awards, nothing issued
    earned = Purchase.objects.get(external_id="2001")
    assert [line["rule_id"] for line in earned.applied_rules] == ["base", f"plan:{old_plan}", str(old_once),
                                                                   str(old_gone)]
    assert sorted(Transfer.objects.filter(source_kind="purchase", source_id=earned.pk).values_list(
        "rule", flat=True)) == sorted(["base", f"plan:{old_plan}", str(old_once), str(old_gone)])
    assert not RuleAward.objects.exists()
    assert Rule.objects.get(name=ONCE).issued_points == 0


def test_awards_without_the_rules_they_name_are_refused(club, exported):
    manifest = json.loads((exported / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = [e for e in manifest["files"] if e["name"] != "rules.csv"]
    (exported / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    empty_the_database()
    with translation.override("en"), pytest.raises(RestoreError) as caught:
        export_restore(exported)
    assert str(caught.value.message) == ("rule_awards.csv: the manifest lists it without rules.csv, "
                                         "which names its rules")
    assert not Member.objects.exists()
