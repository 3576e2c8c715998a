"""The pure rules engine: exact points for triggers, conditions, effects, stacking, caps, budgets."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vafa.program.engine import TEHRAN, Context, Item, Rule, Usage, evaluate, matches

HAPPY_HOUR = {"hours": {"from": "10:00", "to": "12:00"}}
# Thursday 2026-11-26 10:30 in Tehran
THURSDAY_MORNING = datetime(2026, 11, 26, 10, 30, tzinfo=TEHRAN)


def purchase(**overrides) -> Context:
    values = {"trigger": "purchase", "occurred_at": THURSDAY_MORNING, "amount": 2_500_000, "earn_base": 2_500_000,
              "base_points": 250, "items": (Item("TEA-1", 2, 500_000, "tea"), Item("CAKE", 1, 1_500_000, "pastry"))}
    values.update(overrides)
    return Context(**values)


def points(rules, ctx, usage=None):
    return [(a.rule_id, a.points) for a in evaluate(rules, ctx, usage)]


def test_effects_give_exact_points_rounded_down():
    rules = [
        Rule(1, "per amount", effect={"type": "points_per_amount", "points": 3, "per_rial": 70_000}),
        Rule(2, "fixed", effect={"type": "fixed_points", "points": 40}),
        Rule(3, "double", effect={"type": "multiplier", "percent": 200}),
        Rule(4, "triple", effect={"type": "multiplier", "percent": 300}),
        Rule(5, "cashback", effect={"type": "cashback", "percent": 3}),
    ]
    # 2,500,000 x 3 / 70,000 = 107.14 -> 107; 250 x 100% = 250; 250 x 200% = 500; 3% of 2.5M = 75,000 IRR = 750
    assert sorted(points(rules, purchase())) == [(1, 107), (2, 40), (3, 250), (4, 500), (5, 750)]


def test_reward_and_free_item_effects_name_what_they_give():
    rules = [Rule(1, "gift", effect={"type": "reward", "reward_id": 9}),
             Rule(2, "free tea", effect={"type": "free_item", "sku": "TEA-1", "quantity": 1})]
    awards = {a.rule_id: a for a in evaluate(rules, purchase())}
    assert (awards[1].points, awards[1].reward_id) == (0, 9)
    assert (awards[2].points, awards[2].free_item) == (0, {"sku": "TEA-1", "quantity": 1})


@pytest.mark.parametrize(("conditions", "ctx", "expected"), [
    ({"amount_min": 2_500_000}, purchase(), True),
    ({"amount_min": 2_500_001}, purchase(), False),
    ({"amount_max": 1_000_000}, purchase(), False),
    ({"categories": ["tea"], "min_quantity": 2}, purchase(), True),
    ({"categories": ["tea"], "min_quantity": 3}, purchase(), False),
    ({"skus": ["CAKE"]}, purchase(), True),
    ({"skus": ["COFFEE"]}, purchase(), False),
    ({"member_kinds": ["organization"]}, purchase(), False),
    ({"member_kinds": ["organization"]}, purchase(member_kind="organization"), True),
    ({"tiers": ["gold"]}, purchase(tier="gold"), True),
    ({"tiers": ["gold"]}, purchase(tier="silver"), False),
    ({"tags": ["vip"]}, purchase(tags=frozenset({"vip", "tehran"})), True),
    ({"nth_purchase": [2, 6]}, purchase(nth_purchase=6), True),
    ({"nth_purchase": [2, 6]}, purchase(nth_purchase=4), False),
    ({"every_nth_purchase": 3}, purchase(nth_purchase=9), True),
    ({"every_nth_purchase": 3}, purchase(nth_purchase=10), False),
    ({"first_purchase": True}, purchase(nth_purchase=1), True),
    ({"first_purchase": True}, purchase(nth_purchase=2), False),
    ({"weekdays": ["thu", "fri"]}, purchase(), True),
    ({"weekdays": ["sat"]}, purchase(), False),
    ({"hours": {"from": "10:00", "to": "12:00"}}, purchase(), True),
    # 07:30 UTC is 11:00 in Tehran: inside the happy hour; 09:00 UTC is 12:30, outside
    (HAPPY_HOUR, purchase(occurred_at=datetime(2026, 11, 26, 7, 30, tzinfo=UTC)), True),
    (HAPPY_HOUR, purchase(occurred_at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC)), False),
    ({"starts_at": datetime(2026, 12, 1, tzinfo=TEHRAN)}, purchase(), False),
    ({"ends_at": datetime(2026, 11, 27, tzinfo=TEHRAN)}, purchase(), True),
    ({"branches": ["THR-1"]}, purchase(branch="THR-1"), True),
    ({"channels": ["online"]}, purchase(), False),
    ({"payment_methods": ["card"]}, purchase(payment_method="card"), True),
    ({"interests": ["coffee"]}, purchase(interests=frozenset({"coffee"})), True),
    ({"interests": ["coffee"]}, purchase(), False),
    ({"merchants": [3]}, purchase(merchant_id=3), True),
    ({"merchants": [3]}, purchase(merchant_id=4), False),
    # A window past midnight wraps: 22:00 to 02:00 holds at 23:30 and 01:00, not at 10:30
    ({"hours": {"from": "22:00", "to": "02:00"}}, purchase(occurred_at=datetime(2026, 11, 26, 23, 30, tzinfo=TEHRAN)),
     True),
    ({"hours": {"from": "22:00", "to": "02:00"}}, purchase(occurred_at=datetime(2026, 11, 27, 1, 0, tzinfo=TEHRAN)),
     True),
    ({"hours": {"from": "22:00", "to": "02:00"}}, purchase(), False),
    ({"hours": {"from": "18:00", "to": "24:00"}}, purchase(occurred_at=datetime(2026, 11, 26, 23, 59, tzinfo=TEHRAN)),
     True),
])
def test_each_condition(conditions, ctx, expected):
    assert matches(Rule(1, "r", conditions=conditions, effect={"type": "fixed_points", "points": 1}), ctx) is expected


def test_triggers_occasions_and_events_must_match():
    birthday = Rule(1, "birthday", trigger="occasion", occasion="birthday",
                    effect={"type": "fixed_points", "points": 100})
    review = Rule(2, "review", trigger="event", event_type="review_written",
                  effect={"type": "fixed_points", "points": 20})
    on_birthday = Context(trigger="occasion", occurred_at=THURSDAY_MORNING, occasion="birthday")
    on_wedding = Context(trigger="occasion", occurred_at=THURSDAY_MORNING, occasion="wedding")
    on_review = Context(trigger="event", occurred_at=THURSDAY_MORNING, event_type="review_written")
    assert points([birthday, review], on_birthday) == [(1, 100)]
    assert points([birthday, review], on_wedding) == []
    assert points([birthday, review], on_review) == [(2, 20)]
    assert points([birthday, review], purchase()) == []


def test_only_the_highest_priority_exclusive_rule_counts_beside_cumulative_ones():
    rules = [
        Rule(1, "low exclusive", priority=1, stacking="exclusive", effect={"type": "fixed_points", "points": 10}),
        Rule(2, "high exclusive", priority=5, stacking="exclusive", effect={"type": "fixed_points", "points": 30}),
        Rule(3, "cumulative", priority=0, effect={"type": "fixed_points", "points": 7}),
    ]
    assert points(rules, purchase()) == [(2, 30), (3, 7)]


def test_caps_and_budgets_clamp_to_what_is_left():
    rule = Rule(1, "capped", effect={"type": "fixed_points", "points": 100},
                caps={"per_member_day": 150, "per_member_month": 1000},
                budget={"points": 10_000, "rials": None})
    assert points([rule], purchase(), {1: Usage(member_day=120)}) == [(1, 30)]
    assert points([rule], purchase(), {1: Usage(member_day=0, member_month=990)}) == [(1, 10)]
    assert points([rule], purchase(), {1: Usage(total_points=9_960)}) == [(1, 40)]
    assert points([rule], purchase(), {1: Usage(total_points=10_000)}) == [(1, 0)]
    in_rials = Rule(2, "rial budget", effect={"type": "fixed_points", "points": 100}, budget={"rials": 5_000})
    # 5,000 IRR left at 100 IRR a point: 50 points
    assert points([in_rials], purchase()) == [(2, 50)]
    award = evaluate([rule], purchase(), {1: Usage(member_day=120)})[0]
    assert award.reason == "100 points, limited by per_member_day"


rule_strategy = st.builds(
    Rule,
    id=st.integers(1, 50),
    name=st.just("r"),
    effect=st.one_of(
        st.builds(lambda p: {"type": "fixed_points", "points": p}, st.integers(0, 500)),
        st.builds(lambda p: {"type": "multiplier", "percent": p}, st.integers(100, 500)),
        st.builds(lambda p, r: {"type": "points_per_amount", "points": p, "per_rial": r},
                  st.integers(1, 10), st.integers(1_000, 100_000)),
    ),
    priority=st.integers(0, 5),
    stacking=st.sampled_from(["cumulative", "exclusive"]),
    caps=st.fixed_dictionaries({"per_member_day": st.one_of(st.none(), st.integers(0, 300))}),
    budget=st.fixed_dictionaries({"points": st.one_of(st.none(), st.integers(0, 1000))}),
)


@given(st.lists(rule_strategy, max_size=6, unique_by=lambda r: r.id),
       st.integers(0, 10_000_000), st.integers(0, 400), st.integers(0, 1000))
def test_evaluation_is_deterministic_and_never_exceeds_caps_or_budgets(rules, amount, used_today, used_total):
    ctx = purchase(amount=amount, earn_base=amount, base_points=amount // 10_000)
    usage = {r.id: Usage(member_day=used_today, total_points=used_total) for r in rules}
    first = evaluate(rules, ctx, usage)
    assert first == evaluate(list(reversed(rules)), ctx, usage)
    assert sum(r.stacking == "exclusive" for r in rules if any(a.rule_id == r.id for a in first)) <= 1
    for award in first:
        rule = next(r for r in rules if r.id == award.rule_id)
        assert award.points >= 0
        if rule.caps["per_member_day"] is not None:
            assert award.points <= max(rule.caps["per_member_day"] - used_today, 0)
        if rule.budget["points"] is not None:
            assert award.points <= max(rule.budget["points"] - used_total, 0)


def test_a_merchants_own_rule_applies_only_at_that_merchant():
    rule = Rule(1, "ours", effect={"type": "fixed_points", "points": 5}, merchant_id=7)
    assert points([rule], purchase(merchant_id=7)) == [(1, 5)]
    assert points([rule], purchase(merchant_id=8)) == []


def test_an_exclusive_rule_whose_budget_is_spent_gives_way_to_the_next():
    spent = Rule(1, "spent", effect={"type": "fixed_points", "points": 10}, priority=10, stacking="exclusive",
                 budget={"points": 10})
    next_one = Rule(2, "next", effect={"type": "fixed_points", "points": 20}, priority=1, stacking="exclusive")
    assert points([spent, next_one], purchase()) == [(1, 10)]
    assert points([spent, next_one], purchase(), {1: Usage(total_points=10)}) == [(2, 20)]


def test_equal_priorities_are_ordered_by_id_numerically_and_drafts_after_saved_rules():
    def exclusive(rule_id, pts):
        return Rule(rule_id, str(rule_id), effect={"type": "fixed_points", "points": pts}, stacking="exclusive")

    assert points([exclusive(10, 1), exclusive(9, 2)], purchase()) == [(9, 2)]
    assert points([exclusive("draft:10", 1), exclusive("draft:2", 2)], purchase()) == [("draft:2", 2)]
    assert points([exclusive("draft:1", 1), exclusive(500, 2)], purchase()) == [(500, 2)]
