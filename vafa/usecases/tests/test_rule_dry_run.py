"""The rule dry run and the checkout preview: computed as the live engine would, writing nothing."""

import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from vafa.api.tests.test_api_errors import assert_error
from vafa.core.jalali import TEHRAN
from vafa.core.tests.fixtures import REQUEST_WRITES, db_state
from vafa.program.models import Rule, RuleAward
from vafa.program.rules import rule_create, rule_update, tier_create
from vafa.usecases.rule_dry_run import rules_simulate

pytestmark = pytest.mark.django_db

DRAFTS = [
    {"name": "Second visit", "conditions": {"nth_purchase": [2]}, "effect": {"type": "fixed_points", "points": 300}},
    {"name": "Big baskets", "conditions": {"amount_min": 2_000_000},
     "effect": {"type": "multiplier", "percent": 300}, "caps": {"per_member_day": 500}},
    {"name": "Tea lovers", "conditions": {"categories": ["tea"], "min_quantity": 2},
     "effect": {"type": "points_per_amount", "points": 1, "per_rial": 5_000}, "budget": {"points": 700}},
    {"name": "Organisations", "conditions": {"member_kinds": ["organization"]},
     "effect": {"type": "cashback", "percent": 2}, "stacking": "exclusive", "priority": 5},
    {"name": "Gold only", "conditions": {"tiers": ["gold"]}, "effect": {"type": "fixed_points", "points": 40}},
]
BASKETS = [  # (member index, amount, tea quantity)
    (0, 1_000_000, 0), (1, 3_000_000, 2), (0, 2_500_000, 3), (2, 5_000_000, 1), (1, 800_000, 4),
    (0, 4_000_000, 0), (2, 2_200_000, 2), (1, 3_300_000, 2), (0, 600_000, 5), (2, 9_000_000, 0),
]


def _members(member_factory):
    return [member_factory(), member_factory(), member_factory(kind="organization", organization_name="شرکت")]


def _record(api, members):
    for who, amount, tea in BASKETS:
        items = [{"sku": "TEA", "category": "tea", "quantity": tea, "unit_price": 10_000}] if tea else []
        response = api.post("/purchases", {"member_id": members[who].pk, "amount": amount, "items": items})
        assert response.status_code == 201, response.content


def test_the_dry_run_agrees_exactly_with_the_live_engine(api, member_factory):
    # Given tiers, purchases recorded today under the default program only
    tier_create(data={"code": "gold", "name": "Gold", "rank": 1, "qualify": {"by": "spend", "threshold": 4_000_000}})
    _record(api, _members(member_factory))
    today = timezone.now().astimezone(TEHRAN).date()
    # When the draft rules are replayed over today's purchases
    before = db_state(*REQUEST_WRITES)
    dry = rules_simulate(rules=DRAFTS, date_from=today, date_to=today)
    assert db_state(*REQUEST_WRITES) == before
    assert dry["purchases"] == len(BASKETS) and dry["live"]["points"] == 0
    assert dry["points"] > 0 and dry["difference"]["points"] == dry["points"]
    # Then making them live and recording the same purchases for members alike issues exactly that
    rules = [rule_create(data={**draft, "status": "live"}) for draft in DRAFTS]
    _record(api, _members(member_factory))
    issued = {str(r.pk): sum(RuleAward.objects.filter(rule=r).values_list("points", flat=True)) for r in rules}
    assert sum(issued.values()) == dry["points"]
    assert [issued[str(r.pk)] for r in rules] == [
        next((line["points"] for line in dry["by_rule"] if line["name"] == draft["name"]), 0)
        for r, draft in zip(rules, DRAFTS, strict=True)]
    assert dry["value_rial"] == dry["points"] * 100
    awarded = {m for m in RuleAward.objects.values_list("member_id", flat=True)}
    assert dry["members"] == len(awarded)


def test_live_rules_come_beside_the_draft(api, member):
    live = rule_create(data={"name": "Now", "status": "live", "effect": {"type": "fixed_points", "points": 10}})
    for _ in range(3):
        api.post("/purchases", {"member_id": member.pk, "amount": 10_000})
    today = timezone.now().astimezone(TEHRAN).date()
    draft = {"name": "Instead", "effect": {"type": "fixed_points", "points": 25}}
    result = rules_simulate(rules=[draft], date_from=today, date_to=today)
    assert (result["points"], result["members"]) == (75, 1)
    assert result["live"]["points"] == 30 and result["live"]["by_rule"][0]["rule_id"] == str(live.pk)
    assert result["difference"] == {"points": 45, "value_rial": 4500, "members": 0}
    # An existing rule by id replays too, whatever its status
    rule_update(rule_id=live.pk, data={"status": "paused"})
    assert rules_simulate(rules=[live.pk], date_from=today, date_to=today)["points"] == 30


def test_simulate_over_the_api_and_its_errors(api, member):
    api.post("/purchases", {"member_id": member.pk, "amount": 1_000_000})
    today = timezone.now().astimezone(TEHRAN).date().isoformat()
    body = {"rules": [{"name": "x", "effect": {"type": "multiplier", "percent": 150}}], "from": today, "to": today}
    response = api.post("/program/simulate", body)
    assert response.status_code == 200, response.content
    assert (response.json()["points"], response.json()["purchases"]) == (50, 1)
    before = db_state(*REQUEST_WRITES)
    bad_effect = {**body, "rules": [{"name": "x", "effect": {"type": "multiplier", "percent": 50}}]}
    assert "rules[0].effect.percent" in assert_error(api.post("/program/simulate", bad_effect), 422,
                                                     "validation_error")
    assert_error(api.post("/program/simulate", {**body, "to": "2020-01-01"}), 422, "validation_error")
    assert_error(api.post("/program/simulate", {**body, "rules": [987654]}), 404, "rule_not_found")
    join_rule = {**body, "rules": [{"name": "j", "trigger": "join", "effect": {"type": "fixed_points", "points": 1}}]}
    assert_error(api.post("/program/simulate", join_rule), 422, "validation_error")
    assert db_state(*REQUEST_WRITES) == before and Rule.objects.count() == 0


def test_the_simulate_rules_command(api, member, tmp_path, capsys):
    api.post("/purchases", {"member_id": member.pk, "amount": 1_000_000})
    today = timezone.now().astimezone(TEHRAN).date().isoformat()
    path = tmp_path / "draft.json"
    path.write_text(json.dumps([{"name": "Triple", "effect": {"type": "multiplier", "percent": 300}}]))
    call_command("simulate_rules", "--from", today, "--to", today, "--file", str(path))
    out = capsys.readouterr().out
    assert out.splitlines()[1] == f"{'draft':>10}: {200:>12,} points  {20_000:>16,} IRR  {1:>8,} members"
    call_command("simulate_rules", "--from", today, "--to", today, "--file", str(path), "--json")
    assert json.loads(capsys.readouterr().out)["points"] == 200


def test_the_preview_is_what_the_purchase_then_does(api, member):
    rule = rule_create(data={"name": "Happy", "status": "live", "conditions": {"amount_min": 500_000},
                      "effect": {"type": "fixed_points", "points": 70}, "caps": {"per_member_day": 100}})
    api.post("/purchases", {"member_id": member.pk, "amount": 2_000_000})  # 200 + 70 points
    basket = {"member_id": member.pk, "amount": 1_000_000, "redeem_points": 150}
    before = db_state(*REQUEST_WRITES)
    preview = api.post("/checkout/preview", basket)
    assert preview.status_code == 200, preview.content
    assert db_state(*REQUEST_WRITES) == before
    body = preview.json()
    assert (body["available_points"], body["max_redeem_points"], body["redeem_points"], body["discount"]) == \
        (270, 270, 150, 15_000)
    assert [(r["rule_id"], r["points"]) for r in body["applied_rules"]] == [("base", 98), (str(rule.pk), 30)]
    purchase = api.post("/purchases", basket).json()
    assert (purchase["points_earned"], purchase["applied_rules"]) == (body["points_earned"], body["applied_rules"])
    assert body["points_earned"] == 98 + 30  # the daily cap of 100 leaves 30


def test_a_guest_preview_and_errors(api, merchant):
    response = api.post("/checkout/preview", {"amount": 1_000_000})
    assert response.status_code == 200
    assert (response.json()["points_earned"], response.json()["max_redeem_points"]) == (100, 0)
    assert_error(api.post("/checkout/preview", {"phone": "09120000999", "amount": 1}), 404, "member_not_found")
    assert_error(api.post("/checkout/preview", {"amount": -1}), 422, "validation_error")
    assert_error(api.post("/checkout/preview", {"amount": 1, "branch": "NOPE"}), 404, "branch_not_found")


def test_a_blocked_member_preview_is_refused_like_the_purchase(api, member):
    from vafa.members.services import member_status_set

    member_status_set(member=member, status="blocked")
    assert_error(api.post("/checkout/preview", {"member_id": member.pk, "amount": 10_000}), 409, "member_blocked")


@pytest.mark.parametrize(("change", "field"), [({"to": "9999-12-31"}, "to"), ({"from": "0001-01-01"}, "from")])
def test_simulate_dates_out_of_range_are_refused(api, change, field):
    today = timezone.now().astimezone(TEHRAN).date().isoformat()
    body = {"rules": [{"name": "x", "effect": {"type": "fixed_points", "points": 1}}], "from": today, "to": today}
    assert field in assert_error(api.post("/program/simulate", {**body, **change}), 422, "validation_error")


def test_a_draft_rule_with_an_impossible_time_offset_is_refused(api):
    today = timezone.now().astimezone(TEHRAN).date().isoformat()
    rule = {"name": "x", "effect": {"type": "fixed_points", "points": 1},
            "conditions": {"starts_at": "2025-01-01T00:00:00+99:00"}}
    details = assert_error(api.post("/program/simulate", {"rules": [rule], "from": today, "to": today}), 422,
                           "validation_error")
    assert "rules[0].conditions.starts_at" in details


def test_the_dry_run_reads_the_period_in_chunks_with_bounded_id_lists(api, member_factory, monkeypatch):
    """However many buyers a period has, no query lists more ids than a chunk holds (PostgreSQL
    refuses more than 65,535 parameters): the answer is the same chunk by chunk as all at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from vafa.commerce import facts

    tier_create(data={"code": "gold", "name": "Gold", "rank": 1, "qualify": {"by": "spend", "threshold": 4_000_000}})
    _record(api, _members(member_factory))
    _record(api, _members(member_factory))
    today = timezone.now().astimezone(TEHRAN).date()
    whole = rules_simulate(rules=DRAFTS, date_from=today, date_to=today)
    monkeypatch.setattr(facts, "BULK_CHUNK", 3)
    with CaptureQueriesContext(connection) as ctx:
        chunked = rules_simulate(rules=DRAFTS, date_from=today, date_to=today)
    assert chunked == whole and chunked["purchases"] == 2 * len(BASKETS)
    longest = max(len(q["sql"].split(" IN (")[1].split(")")[0].split(",")) for q in ctx.captured_queries
                  if " IN (" in q["sql"])
    assert longest <= 3
    pages = [q for q in ctx.captured_queries if 'FROM "commerce_purchase"' in q["sql"] and "LIMIT 3" in q["sql"]]
    assert len(pages) == 7  # 20 purchases, 3 at a time
