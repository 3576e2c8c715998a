"""Rules and tiers as data (vafa.program.rules): one shape, validated, saved with history,
each change raising the program's version; a refused change changes nothing."""

import pytest

from vafa.core.errors import RuleNotFound, TierNotFound, ValidationFailed
from vafa.core.tests.fixtures import db_state
from vafa.program.models import ProgramSettings, Rule, RuleRevision, Tier
from vafa.program.rules import (
    rule_body,
    rule_clean,
    rule_create,
    rule_get,
    rule_update,
    tier_body,
    tier_create,
    tier_get,
    tier_update,
)

FIXED = {"type": "fixed_points", "points": 40}


def version() -> int:
    return ProgramSettings.objects.get(pk=1).version


PROGRAM_WRITES = (Rule, RuleRevision, Tier, ProgramSettings)  # rules, their history, tiers, the program's version


def test_rule_clean_keeps_only_what_is_set_in_a_stable_form():
    clean = rule_clean({"name": "  Tea  ", "effect": {"type": "free_item", "sku": "TEA-1"},
                        "conditions": {"categories": ["tea", "tea", "cake"], "nth_purchase": [6, 2, 6],
                                       "first_purchase": False, "tags": [], "amount_min": None,
                                       "starts_at": "2026-03-21T00:00:00"}})
    assert clean == {
        "name": "Tea", "status": "draft", "trigger": "purchase", "occasion": "", "event_type": "",
        "conditions": {"categories": ["tea", "cake"], "nth_purchase": [2, 6],
                       "starts_at": "2026-03-21T00:00:00+03:30"},  # a naive time is Tehran's
        "effect": {"type": "free_item", "sku": "TEA-1", "quantity": 1}, "priority": 0, "stacking": "cumulative",
        "caps": {}, "budget": {}, "pending_days": None, "expiry_months": None, "merchant_id": None}


@pytest.mark.parametrize(("data", "details"), [
    ({"effect": FIXED}, {"name": "required, at most 200 characters"}),
    ({"name": "x"}, {"effect": "an object with a type: points_per_amount, fixed_points, multiplier, cashback, "
                               "reward, free_item"}),
    ({"name": "x", "effect": {**FIXED, "percent": 3}}, {"effect": "unknown fields for fixed_points: percent"}),
    ({"name": "x", "effect": {"type": "cashback", "percent": 101}}, {"effect.percent": "an integer from 1 to 100"}),
    ({"name": "x", "effect": FIXED, "priority": True}, {"priority": "an integer from -1000000 to 1000000"}),
    ({"name": "x", "effect": {**FIXED, "member": "referred"}}, {"effect.member": "only for referral_completed rules"}),
    ({"name": "x", "effect": FIXED, "conditions": {"starts_at": "2026-05-01T00:00:00+03:30",
                                                   "ends_at": "2026-04-01T00:00:00+03:30"}},
     {"conditions.ends_at": "after starts_at"}),
    ({"name": "x", "effect": FIXED, "conditions": {"hours": {"from": "10:00", "to": "10:00"}}},
     {"conditions.hours": "from and to differ"}),
    ({"name": "x", "effect": FIXED, "conditions": {"hours": {"from": "9:00", "to": "10:00"}}},
     {"conditions.hours.from": "a time HH:MM"}),
    ({"name": "x", "effect": FIXED, "budget": {"points": -1}}, {"budget.points": "an integer from 0 to "
                                                                                 "1000000000000000"}),
    ({"name": "x", "effect": FIXED, "flavour": 1}, {"rule": "unknown fields: flavour"}),
])
def test_rule_clean_names_the_field_that_is_wrong(db, data, details):
    with pytest.raises(ValidationFailed) as caught:
        rule_clean(data)
    assert caught.value.details == details


def test_a_created_rule_has_its_first_revision_and_raises_the_version(db):
    before = version()
    rule = rule_create(data={"name": "Forty", "status": "live", "effect": FIXED}, changed_by="sara")
    assert (rule.revision, rule.status, rule.effect) == (1, "live", FIXED)
    revision = RuleRevision.objects.get()
    assert (revision.rule_id, revision.revision, revision.data, revision.changed_by) == (
        rule.pk, 1, rule_body(rule), "sara")
    assert version() == before + 1


def test_an_update_changes_only_what_it_gives_and_keeps_each_state(db):
    rule = rule_create(data={"name": "Forty", "effect": FIXED, "priority": 3, "caps": {"per_member_day": 80}})
    first = rule_body(rule)
    rule_update(rule_id=rule.pk, data={"status": "live"}, changed_by="sara")
    rule = rule_update(rule_id=str(rule.pk), data={"effect": {"type": "fixed_points", "points": 60}},
                       changed_by="ali")
    assert (rule.revision, rule.status, rule.priority, rule.caps, rule.effect) == (
        3, "live", 3, {"per_member_day": 80}, {"type": "fixed_points", "points": 60})
    history = list(rule.revisions.order_by("revision").values_list("revision", "data", "changed_by"))
    assert history == [
        (1, first, ""),
        (2, {**first, "status": "live", "revision": 2}, "sara"),
        (3, {**first, "status": "live", "revision": 3, "effect": {"type": "fixed_points", "points": 60}}, "ali"),
    ]
    assert rule_body(rule_get(rule_id=rule.pk)) == history[-1][1]


def test_an_update_that_changes_nothing_writes_nothing(db):
    rule = rule_create(data={"name": "Forty", "effect": FIXED})
    before = db_state(*PROGRAM_WRITES)
    rule_update(rule_id=rule.pk, data={"name": "Forty", "conditions": {"tags": []}})
    assert db_state(*PROGRAM_WRITES) == before


@pytest.mark.parametrize("data", [{"status": "gone"}, {"trigger": "event"}, {"effect": {"type": "multiplier"}},
                                  {"merchant_id": 999}, {"id": 5, "nonsense": 1}])
def test_a_refused_update_changes_nothing(db, data):
    rule = rule_create(data={"name": "Forty", "effect": FIXED})
    before = db_state(*PROGRAM_WRITES)
    with pytest.raises(ValidationFailed):
        rule_update(rule_id=rule.pk, data=data)
    assert db_state(*PROGRAM_WRITES) == before


@pytest.mark.parametrize("rule_id", ["abc", "0", "-1", "1e3", "٣", "۱", 0, -1, None, "", "1 ", "99999"])
def test_a_rule_id_that_names_no_rule_is_rule_not_found(db, rule_id):
    rule_create(data={"name": "Forty", "effect": FIXED})
    with pytest.raises(RuleNotFound) as caught:
        rule_get(rule_id=rule_id)
    assert caught.value.details == {"id": str(rule_id)}
    before = db_state(*PROGRAM_WRITES)
    with pytest.raises(RuleNotFound):
        rule_update(rule_id=rule_id, data={"priority": 1})
    assert db_state(*PROGRAM_WRITES) == before


def test_tiers_are_created_found_by_id_or_code_and_updated_in_part(db):
    before = version()
    gold = tier_create(data={"name": "طلایی", "rank": 2, "qualify": {"by": "points", "threshold": 900}})
    assert tier_body(gold) == {"id": gold.pk, "code": "طلایی", "name": "طلایی", "rank": 2, "color": "#9e9e9e",
                               "qualify": {"by": "points", "threshold": 900, "window": "rolling_365"},
                               "earn_percent": 100, "grace_days": 0, "page_text": ""}
    assert tier_get(tier_id=gold.pk) == tier_get(tier_id=str(gold.pk)) == tier_get(tier_id="طلایی") == gold
    tier = tier_update(tier_id="طلایی", data={"code": "gold", "earn_percent": 200, "color": "#C9A227"})
    assert (tier.code, tier.name, tier.rank, tier.earn_percent, tier.color, tier.threshold) == (
        "gold", "طلایی", 2, 200, "#c9a227", 900)
    assert version() == before + 2


@pytest.mark.parametrize(("data", "details"), [
    ({"code": "gold", "name": "Other", "rank": 5}, {"code": "another tier has this code"}),
    ({"code": "silver", "name": "Silver", "rank": 2}, {"rank": "another tier has this rank"}),
    ({"name": "Silver"}, {"rank": "an integer from 0 to 32767"}),
    ({"name": "Silver", "rank": 1, "grace_days": 4000}, {"grace_days": "an integer from 0 to 3650"}),
    ({"name": "Silver", "rank": 1, "qualify": {"window": "forever"}},
     {"qualify.window": "one of rolling_365, jalali_year"}),
    ({"name": "Silver", "rank": 1, "perks": "tea"}, {"tier": "unknown fields: perks"}),
])
def test_a_refused_tier_changes_nothing(db, data, details):
    tier_create(data={"code": "gold", "name": "Gold", "rank": 2})
    before = db_state(*PROGRAM_WRITES)
    with pytest.raises(ValidationFailed) as caught:
        tier_create(data=data)
    assert caught.value.details == details
    assert db_state(*PROGRAM_WRITES) == before


@pytest.mark.parametrize("tier_id", ["abc", "0", "-1", "1e3", "٣", "99999", "Gold"])
def test_a_tier_that_does_not_exist_is_tier_not_found(db, tier_id):
    tier_create(data={"code": "gold", "name": "Gold", "rank": 2})
    with pytest.raises(TierNotFound) as caught:
        tier_get(tier_id=tier_id)
    assert caught.value.details == {"id": tier_id}
