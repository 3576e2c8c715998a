"""Export and import of the whole program: one document, no installation ids in it, an exact
round trip, all-or-nothing imports with every error under its path."""

import json
from datetime import UTC, datetime

import pytest

from vafa.core.errors import ValidationFailed
from vafa.program.catalog import reward_create
from vafa.program.document import program_export, program_import
from vafa.program.models import ProgramSettings, Reward, Rule, RuleRevision, Tier
from vafa.program.rules import rule_create, rule_update, tier_create

DEFAULT_SETTINGS = {
    "earn_points": 1, "earn_per_rial": 10_000, "earn_base": "net", "earn_includes_tax": False,
    "earn_includes_shipping": False, "point_value_rial": 100, "max_redeem_percent": 100, "expiry": "months",
    "expiry_periods": 12, "pending_days": 0, "min_purchase_rial": 0, "club_mode": "open",
    "approve_spend_rial": None, "approve_months": 6, "referral_limit": None, "referral_period_days": 30,
}
UNCHANGED = {"settings": "unchanged", "tiers": {"created": 0, "updated": 0, "unchanged": 0},
             "rewards": {"created": 0, "updated": 0, "unchanged": 0, "deactivated": 0},
             "rules": {"created": 0, "updated": 0, "unchanged": 0, "ended": 0}}


def program_state() -> dict:
    return {
        "settings": list(ProgramSettings.objects.values()),
        "tiers": list(Tier.objects.order_by("pk").values()),
        "rewards": list(Reward.objects.order_by("pk").values()),
        "rules": list(Rule.objects.order_by("pk").values()),
        "revisions": list(RuleRevision.objects.order_by("pk").values_list("rule_id", "revision", "data")),
    }


def wipe_program() -> None:
    """An installation with no program yet (merchants and membership plans are not part of it)."""
    RuleRevision.objects.all().delete()
    Rule.objects.all().delete()
    Reward.objects.all().delete()
    Tier.objects.all().delete()
    ProgramSettings.objects.all().delete()


def as_json(document: dict) -> dict:
    """What the other installation reads: the document through JSON."""
    return json.loads(json.dumps(document))


@pytest.fixture
def rich_program(merchant):
    """A program using every kind of reference: tiers, rewards (one with tiers, dates and a
    membership plan), rules naming a reward, a merchant, merchants in conditions."""
    from vafa.members.models import MembershipPlan
    from vafa.merchants.services import merchant_create

    other = merchant_create(name="Other shop", slug="other-shop")
    plan = MembershipPlan.objects.create(name="VIP", fee_rial=5_000_000)
    ProgramSettings.objects.filter(pk=1).update(earn_points=3, earn_per_rial=50_000, club_mode="closed",
                                               approve_spend_rial=20_000_000, referral_limit=5,
                                               earn_includes_tax=True, expiry="jalali_year_end", expiry_periods=1)
    tier_create(data={"code": "silver", "name": "Silver", "rank": 1,
                      "qualify": {"by": "purchases", "threshold": 5, "window": "rolling_365"}})
    tier_create(data={"code": "gold", "name": "طلایی", "rank": 2, "color": "#c9a227", "earn_percent": 150,
                      "qualify": {"by": "spend", "threshold": 50_000_000, "window": "jalali_year"},
                      "grace_days": 30, "page_text": "Double tea."})
    tea = reward_create(name="Free tea", kind="free_product", sku="TEA-1", cost_points=300, stock=40,
                        tiers=["gold"], plans=[plan.pk], per_member_limit=2,
                        starts_at=datetime(2026, 3, 20, 20, 30, tzinfo=UTC),
                        ends_at=datetime(2026, 9, 22, 20, 30, 0, 123456, tzinfo=UTC), valid_days=30)
    reward_create(name="10% off", kind="coupon_percent", percent=10, cap_rial=500_000, cost_points=1000)
    reward_create(name="Donate", kind="charity", charity_name="Mahak", cost_points=100, active=False)
    rule_create(data={"name": "Happy hour", "status": "live", "priority": 5,
                      "conditions": {"hours": {"from": "10:00", "to": "12:00"}, "weekdays": ["thu"],
                                     "merchants": [merchant.pk, other.pk], "starts_at": "2026-03-21T00:00:00+03:30"},
                      "effect": {"type": "multiplier", "percent": 200},
                      "caps": {"per_member_day": 500}, "budget": {"points": 1_000_000}})
    rule_create(data={"name": "Tea on the 2nd and 6th", "status": "paused", "conditions": {"nth_purchase": [2, 6]},
                      "effect": {"type": "reward", "reward_id": tea.pk}, "merchant_id": other.pk})
    rule_create(data={"name": "Birthday", "status": "live", "trigger": "occasion", "occasion": "birthday",
                      "effect": {"type": "fixed_points", "points": 200}, "expiry_months": 2})
    rule_create(data={"name": "App installed", "trigger": "event", "event_type": "app_install",
                      "effect": {"type": "fixed_points", "points": 20}, "pending_days": 7})
    rule_create(data={"name": "Old", "status": "ended", "effect": {"type": "fixed_points", "points": 1}})
    return {"merchant": merchant, "other": other, "plan": plan, "tea": tea}


def test_a_fresh_install_exports_the_default_program(db):
    assert program_export() == {"format": "vafa-program", "version": 1, "settings": DEFAULT_SETTINGS,
                                "tiers": [], "rewards": [], "rules": []}


def test_the_export_names_rewards_merchants_and_plans_instead_of_ids(rich_program):
    document = program_export()
    assert json.loads(json.dumps(document)) == document  # JSON as it is
    assert document["settings"] == {**DEFAULT_SETTINGS, "earn_points": 3, "earn_per_rial": 50_000,
                                    "club_mode": "closed", "approve_spend_rial": 20_000_000, "referral_limit": 5,
                                    "earn_includes_tax": True, "expiry": "jalali_year_end", "expiry_periods": 1}
    assert document["tiers"][1] == {"code": "gold", "name": "طلایی", "rank": 2, "color": "#c9a227",
                                    "qualify": {"by": "spend", "threshold": 50_000_000, "window": "jalali_year"},
                                    "earn_percent": 150, "grace_days": 30, "page_text": "Double tea."}
    assert [r["name"] for r in document["rewards"]] == ["Donate", "Free tea", "10% off"]
    assert document["rewards"][1] == {
        "name": "Free tea", "description": "", "kind": "free_product", "active": True, "cost_points": 300,
        "amount_rial": None, "percent": None, "cap_rial": None, "min_purchase_rial": 0, "sku": "TEA-1",
        "stock": 40, "per_member_limit": 2, "tiers": ["gold"], "member_kinds": [], "plans": ["VIP"],
        "starts_at": "2026-03-20T20:30:00+00:00", "ends_at": "2026-09-22T20:30:00.123456+00:00",
        "valid_days": 30, "charity_name": ""}
    # Ended rules are not part of the program; the rest by priority
    assert [r["name"] for r in document["rules"]] == ["Happy hour", "Tea on the 2nd and 6th", "Birthday",
                                                      "App installed"]
    happy, tea = document["rules"][:2]
    assert happy == {
        "name": "Happy hour", "status": "live", "trigger": "purchase", "occasion": "", "event_type": "",
        "conditions": {"hours": {"from": "10:00", "to": "12:00"}, "weekdays": ["thu"],
                       "merchants": [rich_program["merchant"].slug, "other-shop"],
                       "starts_at": "2026-03-21T00:00:00+03:30"},
        "effect": {"type": "multiplier", "percent": 200}, "priority": 5, "stacking": "cumulative",
        "caps": {"per_member_day": 500}, "budget": {"points": 1_000_000}, "pending_days": None,
        "expiry_months": None, "merchant": None}
    assert (tea["effect"], tea["merchant"]) == ({"type": "reward", "reward": "Free tea"}, "other-shop")


def test_export_then_import_into_an_empty_installation_then_export_gives_the_same_document(rich_program):
    document = as_json(program_export())
    # Given an installation without a program (the same merchants and membership plans)
    wipe_program()
    assert program_export()["rules"] == []
    # When the document is imported
    summary = program_import(data=document, changed_by="mover")
    # Then everything is created
    assert summary == {"settings": "updated", "tiers": {"created": 2, "updated": 0, "unchanged": 0},
                       "rewards": {"created": 3, "updated": 0, "unchanged": 0, "deactivated": 0},
                       "rules": {"created": 4, "updated": 0, "unchanged": 0, "ended": 0}}
    # And the export is the same document, exactly
    assert as_json(program_export()) == document
    # And the rules point at this installation's reward and merchants, each with its first revision
    tea = Rule.objects.get(name="Tea on the 2nd and 6th")
    assert tea.effect == {"type": "reward", "reward_id": Reward.objects.get(name="Free tea").pk}
    assert tea.merchant_id == rich_program["other"].pk
    assert Rule.objects.get(name="Happy hour").conditions["merchants"] == [rich_program["merchant"].pk,
                                                                           rich_program["other"].pk]
    assert list(RuleRevision.objects.values_list("revision", "changed_by").distinct()) == [(1, "mover")]


def test_importing_the_installation_s_own_export_changes_nothing(rich_program):
    document = as_json(program_export())
    before = program_state()
    assert program_import(data=document) == {
        "settings": "unchanged", "tiers": {"created": 0, "updated": 0, "unchanged": 2},
        "rewards": {"created": 0, "updated": 0, "unchanged": 3, "deactivated": 0},
        "rules": {"created": 0, "updated": 0, "unchanged": 4, "ended": 0}}
    assert program_state() == before  # not even the program's version


def test_a_changed_rule_is_updated_through_its_history_and_a_missing_one_is_ended(rich_program):
    document = as_json(program_export())
    happy = Rule.objects.get(name="Happy hour")
    birthday = Rule.objects.get(name="Birthday")
    document["rules"][0]["effect"]["percent"] = 300
    del document["rules"][2]  # Birthday
    summary = program_import(data=document, changed_by="ali")
    assert summary["rules"] == {"created": 0, "updated": 1, "unchanged": 2, "ended": 1}
    happy.refresh_from_db()
    birthday.refresh_from_db()
    assert (happy.effect, happy.revision, happy.issued_points) == ({"type": "multiplier", "percent": 300}, 2, 0)
    assert (birthday.status, birthday.revision) == ("ended", 2)  # ended, never deleted
    assert list(happy.revisions.order_by("revision").values_list("revision", "changed_by")) == [(1, ""), (2, "ali")]
    assert birthday.revisions.get(revision=2).data["status"] == "ended"
    assert as_json(program_export()) == document


def test_every_rule_the_document_lacks_is_ended_and_a_section_left_out_is_left_alone(rich_program):
    before = program_state()
    assert program_import(data={"format": "vafa-program", "version": 1}) == UNCHANGED
    assert program_state() == before
    summary = program_import(data={"format": "vafa-program", "version": 1, "rules": []})
    assert summary == {**UNCHANGED, "rules": {"created": 0, "updated": 0, "unchanged": 0, "ended": 4}}
    assert set(Rule.objects.values_list("status", flat=True)) == {"ended"}
    assert Rule.objects.count() == 5
    assert Tier.objects.count() == 2 and Reward.objects.filter(active=True).count() == 2


def test_missing_fields_of_an_item_take_their_defaults(rich_program):
    document = {"format": "vafa-program", "version": 1,
                "rules": [{"name": "Happy hour", "effect": {"type": "fixed_points", "points": 5}}]}
    program_import(data=document)
    happy = Rule.objects.get(name="Happy hour")
    assert (happy.status, happy.priority, happy.conditions, happy.caps, happy.budget) == ("draft", 0, {}, {}, {})


def test_rewards_are_matched_by_name_their_stock_kept_and_the_missing_ones_made_inactive(rich_program):
    document = as_json(program_export())
    tea = rich_program["tea"]
    Reward.objects.filter(pk=tea.pk).update(stock=37)  # three redeemed since the export
    document["rewards"] = [r for r in document["rewards"] if r["name"] != "10% off"]
    document["rewards"][1]["cost_points"] = 350
    document["rewards"].append({"name": "Cinema", "kind": "partner_code", "cost_points": 2000})
    summary = program_import(data=document)
    assert summary["rewards"] == {"created": 1, "updated": 1, "unchanged": 1, "deactivated": 1}
    tea.refresh_from_db()
    assert (tea.cost_points, tea.stock) == (350, 37)
    assert Reward.objects.get(name="10% off").active is False
    assert Reward.objects.get(name="Cinema").kind == "partner_code"


def test_tiers_are_matched_by_code_and_may_swap_ranks(rich_program):
    document = as_json(program_export())
    document["tiers"][0]["rank"], document["tiers"][1]["rank"] = 2, 1
    document["tiers"].append({"code": "platinum", "name": "Platinum", "rank": 3})
    summary = program_import(data=document)
    assert summary["tiers"] == {"created": 1, "updated": 2, "unchanged": 0}
    assert list(Tier.objects.order_by("rank").values_list("code", "rank")) == [
        ("gold", 1), ("silver", 2), ("platinum", 3)]


def test_a_document_referring_to_what_this_installation_lacks_is_refused(rich_program):
    document = as_json(program_export())
    document["rules"][1]["effect"]["reward"] = "Free coffee"
    document["rules"][0]["conditions"]["merchants"] = ["nowhere"]
    document["rewards"][1]["plans"] = ["Platinum plan"]
    document["rewards"][1]["tiers"] = ["diamond"]
    before = program_state()
    with pytest.raises(ValidationFailed) as caught:
        program_import(data=document)
    assert caught.value.details == {
        "rewards[1].plans": "no membership plan named Platinum plan: create it first",
        "rules[0].conditions.merchants": "no merchant with the slug nowhere",
        "rules[1].effect.reward": "no reward with this name",
    }
    assert program_state() == before
    document["rewards"][1]["plans"] = ["VIP"]
    with pytest.raises(ValidationFailed) as caught:
        program_import(data={**document, "rules": []})
    assert caught.value.details == {"rewards[1].tiers": "no tier with code diamond"}
    assert program_state() == before


def test_an_invalid_part_anywhere_refuses_the_whole_import_and_names_every_path(rich_program):
    document = as_json(program_export())
    document["settings"]["earn_points"] = 2  # valid, and not written
    document["settings"]["expiry"] = "soon"
    document["tiers"].append({"code": "platinum", "name": "Platinum", "rank": 3, "color": "blue"})
    document["rewards"][0]["kind"] = "hug"
    document["rules"][3]["effect"]["points"] = -5
    document["rules"][1]["conditions"]["weekdays"] = ["someday"]
    document["rules"].append({"name": "New", "effect": {"type": "fixed_points", "points": 1}})  # valid
    before = program_state()
    with pytest.raises(ValidationFailed) as caught:
        program_import(data=document, changed_by="x")
    assert caught.value.details == {
        "rewards[0].kind": "one of coupon_amount, coupon_percent, free_product, gift_card, partner_code, charity, "
                           "non_material",
        "rules[1].conditions.weekdays": "one of mon, tue, wed, thu, fri, sat, sun",
        "rules[3].effect.points": "an integer from 1 to 1000000000000",
        "settings.expiry": "one of months, jalali_month_end, jalali_year_end, never",
        "tiers[2].color": "a colour like #c9a227",
    }
    assert program_state() == before


@pytest.mark.parametrize(("document", "details"), [
    ([], {"program": "an object"}),
    ({}, {"format": '"vafa-program"', "version": "1 (this installation reads version 1 documents)"}),
    ({"format": "vafa-program", "version": True}, {"version": "1 (this installation reads version 1 documents)"}),
    ({"format": "vafa-program", "version": 1, "tier": []}, {"program": "unknown fields: tier"}),
    ({"format": "vafa-program", "version": 1, "settings": []}, {"settings": "an object"}),
    ({"format": "vafa-program", "version": 1, "settings": {"version": 9, "club_mode": "secret", "pending_days": -1,
                                                           "earn_includes_tax": 1, "referral_limit": None,
                                                           "earn_per_rial": None}},
     {"settings.version": "unknown field", "settings.club_mode": "one of open, closed",
      "settings.pending_days": "an integer from 0 to 32767", "settings.earn_includes_tax": "true or false",
      "settings.earn_per_rial": "required"}),
    ({"format": "vafa-program", "version": 1, "tiers": [{"name": "No code", "rank": 1}, "gold"]},
     {"tiers[0].code": "required: the import finds the existing item by its code", "tiers[1]": "an object"}),
    ({"format": "vafa-program", "version": 1, "tiers": [{"code": "a", "name": "A", "rank": 1},
                                                        {"code": "b", "name": "B", "rank": 1}]},
     {"tiers[1].rank": "another tier of the document has this rank"}),
    ({"format": "vafa-program", "version": 1, "rules": [
        {"name": "Twice", "effect": {"type": "fixed_points", "points": 1}},
        {"name": "Twice ", "effect": {"type": "fixed_points", "points": 2}}]},
     {"rules[1].name": "another item of rules has this name"}),
    ({"format": "vafa-program", "version": 1, "rules": [
        {"name": "Extra", "effect": {"type": "fixed_points", "points": 1}, "colour": "red"},
        {"name": "Id", "effect": {"type": "reward", "reward": "Free tea", "reward_id": 1}},
        {"name": "Shop", "effect": {"type": "fixed_points", "points": 1}, "merchant": "no-such-shop"}]},
     {"rules[0]": "unknown fields: colour", "rules[1].effect.reward": "no reward with this name",
      "rules[2].merchant": "no merchant with the slug no-such-shop"}),
])
def test_a_malformed_document_is_refused_with_its_paths(db, document, details):
    before = program_state()
    with pytest.raises(ValidationFailed) as caught:
        program_import(data=document)
    assert caught.value.details == details
    assert program_state() == before


def test_an_import_changes_the_program_s_version_once_the_change_is_in(rich_program):
    from vafa.program.selectors import program_now

    before = program_now()
    document = as_json(program_export())
    document["rules"][2]["effect"]["points"] = 300  # Birthday
    program_import(data=document)
    after = program_now()
    assert after.version > before.version
    assert [r.effect for r in after.rules if r.name == "Birthday"] == [{"type": "fixed_points", "points": 300}]


def test_a_rule_reused_name_updates_the_rule_that_still_counts(db):
    old = rule_create(data={"name": "Weekend", "status": "live", "effect": {"type": "fixed_points", "points": 1}})
    rule_update(rule_id=old.pk, data={"status": "ended"})
    new = rule_create(data={"name": "Weekend", "status": "live", "effect": {"type": "fixed_points", "points": 2}})
    document = as_json(program_export())
    assert [r["name"] for r in document["rules"]] == ["Weekend"]
    document["rules"][0]["priority"] = 4
    program_import(data=document)
    assert Rule.objects.get(pk=new.pk).priority == 4
    assert Rule.objects.get(pk=old.pk).revision == 2  # untouched


def test_a_name_two_rewards_share_is_refused_on_import_rather_than_guessed(db):
    from vafa.core.errors import ValidationFailed
    from vafa.program.catalog import reward_create
    from vafa.program.document import program_export, program_import

    reward_create(name="same", kind="non_material")
    reward_create(name="same", kind="coupon_amount", amount_rial=1000)
    document = program_export()
    with pytest.raises(ValidationFailed) as refused:
        program_import(data=document)
    assert refused.value.details == {
        "rewards[0].name": "two or more rewards have this name in this installation: rename one first",
        "rewards[1].name": "another item of rewards has this name"}
