"""Random programmes under random purchases, refunds and events: the ledger always verifies,
no cap or budget is ever exceeded, and every purchase's lines add up to what it earned."""

from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vafa.commerce.models import Purchase
from vafa.commerce.services import purchase_record, refund_record
from vafa.core.errors import ApplicationError
from vafa.core.jalali import TEHRAN, jalali_today
from vafa.core.tests.fixtures import assert_ledger_ok
from vafa.member_events.services import event_record
from vafa.members.services import member_create
from vafa.merchants.services import merchant_create
from vafa.program.models import Rule, RuleAward
from vafa.program.rules import rule_create, tier_create
from vafa.program.selectors import forget_program

EFFECTS = st.one_of(
    st.builds(lambda p: {"type": "fixed_points", "points": p}, st.integers(1, 400)),
    st.builds(lambda p: {"type": "multiplier", "percent": p}, st.integers(100, 400)),
    st.builds(lambda p, r: {"type": "points_per_amount", "points": p, "per_rial": r}, st.integers(1, 5),
              st.sampled_from([5_000, 20_000, 70_000])),
    st.builds(lambda p: {"type": "cashback", "percent": p}, st.integers(1, 10)),
)
CONDITIONS = st.fixed_dictionaries({}, optional={
    "amount_min": st.sampled_from([0, 200_000, 1_000_000]),
    "nth_purchase": st.lists(st.integers(1, 6), min_size=1, max_size=2),
    "every_nth_purchase": st.integers(2, 3),
    "weekdays": st.lists(st.sampled_from(["sat", "sun", "mon", "tue", "wed", "thu", "fri"]), min_size=1, max_size=4),
    "tiers": st.just(["gold"]),
})
CAPS = st.fixed_dictionaries({}, optional={"per_member_day": st.integers(0, 300),
                                           "per_member_month": st.integers(0, 600),
                                           "per_member_jalali_year": st.integers(0, 900)})
BUDGETS = st.one_of(st.just({}), st.builds(lambda p: {"points": p}, st.integers(0, 800)),
                    st.builds(lambda r: {"rials": r}, st.integers(0, 80_000)))
def _fit(spec: dict) -> dict:
    # A review earns fixed points only: multipliers and rates need a purchase.
    if spec["trigger"] == "review":
        return {**spec, "effect": {"type": "fixed_points", "points": 50}, "conditions": {}}
    return spec


RULES = st.lists(st.fixed_dictionaries({
    "effect": EFFECTS, "conditions": CONDITIONS, "caps": CAPS, "budget": BUDGETS,
    "stacking": st.sampled_from(["cumulative", "cumulative", "exclusive"]), "priority": st.integers(0, 3),
    "trigger": st.sampled_from(["purchase", "purchase", "purchase", "review"]),
}).map(_fit), min_size=1, max_size=4)
OPS = st.lists(st.one_of(
    st.tuples(st.just("buy"), st.integers(0, 2), st.integers(10_000, 3_000_000), st.integers(0, 40),
              st.sampled_from([0, 0, 50, 10**6])),
    st.tuples(st.just("refund"), st.integers(0, 20), st.sampled_from([1, 2, 3])),
    st.tuples(st.just("review"), st.integers(0, 2)),
), min_size=1, max_size=20)


def _check_caps_and_budgets(rules: list[Rule]) -> None:
    for rule in rules:
        rule.refresh_from_db()
        awards = list(RuleAward.objects.filter(rule=rule).values_list("member_id", "occurred_at", "points"))
        total = sum(points for _m, _at, points in awards)
        if "points" in rule.budget:
            assert total <= rule.budget["points"], (rule.budget, total)
        if "rials" in rule.budget:
            assert total * 100 <= rule.budget["rials"], (rule.budget, total)
        if rule.budget:
            assert rule.issued_points == total
        sums: dict = defaultdict(int)
        for member_id, at, points in awards:
            year, month, _day = jalali_today(at)
            local_day = at.astimezone(TEHRAN).date()
            sums[("per_member_day", member_id, local_day)] += points
            sums[("per_member_month", member_id, (year, month))] += points
            sums[("per_member_jalali_year", member_id, year)] += points
        for (cap, _member, _period), total in sums.items():
            if cap in rule.caps:
                assert total <= rule.caps[cap], (cap, rule.caps, total)


def _run(op, merchant, members, purchases: list[int], now) -> None:
    if op[0] == "buy":
        _kind, who, amount, days_ago, redeem = op
        result = purchase_record(merchant_id=merchant.pk, member_id=members[who].pk, amount=amount,
                                 occurred_at=now - timedelta(days=days_ago, hours=who), redeem_points=redeem)
        purchases.append(result.purchase.pk)
    elif op[0] == "refund" and purchases:
        purchase = Purchase.objects.get(pk=purchases[op[1] % len(purchases)])
        left = purchase.amount - purchase.refunded_amount
        if left:
            refund_record(merchant_id=merchant.pk, purchase_id=purchase.pk, amount=max(left // op[2], 1))
    elif op[0] == "review":
        event_record(member_id=members[op[1]].pk, event_type="review", merchant_id=merchant.pk)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(rule_specs=RULES, ops=OPS)
def test_random_programmes_keep_the_ledger_and_their_limits(rule_specs, ops):
    with transaction.atomic():
        forget_program()
        merchant = merchant_create(name="m")
        members = [member_create(phone=f"0912000000{i}") for i in range(3)]
        tier_create(data={"code": "gold", "name": "Gold", "rank": 1, "earn_percent": 150,
                          "qualify": {"by": "spend", "threshold": 2_000_000}})
        rules = [rule_create(data={"name": f"r{i}", "status": "live", **spec}) for i, spec in enumerate(rule_specs)]
        purchases: list[int] = []
        now = timezone.now()
        for op in ops:
            try:
                with transaction.atomic():  # a refusal rolls back its own savepoint only
                    _run(op, merchant, members, purchases, now)
            except ApplicationError:
                pass  # refusals (e.g. too few points to spend) change nothing; checked elsewhere
        assert_ledger_ok()
        _check_caps_and_budgets(rules)
        live = {str(r.pk) for r in rules} | {"base", "tier:gold"}
        for purchase in Purchase.objects.all():
            assert sum(line["points"] for line in purchase.applied_rules) == purchase.points_earned
            assert {line["rule_id"] for line in purchase.applied_rules} <= live
        transaction.set_rollback(True)
    forget_program()
