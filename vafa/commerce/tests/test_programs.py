"""Realistic programmes end to end through the API: rules, tiers and plans as data, applied
by purchases, with every figure exact and every award named in `applied_rules` and the ledger."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from vafa.core.tests.fixtures import assert_ledger_ok, balance
from vafa.ledger.models import Transfer
from vafa.program.models import ProgramSettings, RuleAward, TierChange
from vafa.program.rules import rule_create, rule_update, tier_create

TEHRAN = ZoneInfo("Asia/Tehran")
pytestmark = pytest.mark.django_db


def live(**data):
    return rule_create(data={"status": "live", **data})


def buy(api, member, amount, **extra):
    response = api.post("/purchases", {"member_id": member.pk, "amount": amount, **extra})
    assert response.status_code == 201, response.content
    body = response.json()
    assert sum(line["points"] for line in body["applied_rules"]) == body["points_earned"]
    return body


def lines(body):
    return [(line["rule_id"], line["points"]) for line in body["applied_rules"]]


def test_points_per_toman_with_a_gold_multiplier(api, member):
    # Given 1 point per Toman (10 Rials), silver for everyone who buys and gold from 5,000,000
    # Rials spent in the last 365 days, earning double
    ProgramSettings.objects.filter(pk=1).update(earn_points=1, earn_per_rial=10)
    tier_create(data={"code": "silver", "name": "نقره‌ای", "rank": 1, "qualify": {"by": "spend", "threshold": 1}})
    tier_create(data={"code": "gold", "name": "طلایی", "rank": 2, "earn_percent": 200, "color": "#c9a227",
                      "qualify": {"by": "spend", "threshold": 5_000_000, "window": "rolling_365"}})
    # When the member buys three times
    first = buy(api, member, 3_000_000)
    second = buy(api, member, 2_500_000)
    third = buy(api, member, 1_000_000)
    # Then the base is one point per Toman; silver comes after the first, gold after the
    # second purchase (upgrade at once), and gold doubles the third
    assert lines(first) == [("base", 300_000)]
    assert lines(second) == [("base", 250_000)]
    assert lines(third) == [("base", 100_000), ("tier:gold", 100_000)]
    assert third["balance_after"] == 750_000 == balance(member)
    history = list(TierChange.objects.filter(member=member).order_by("changed_at", "id")
                   .values_list("from_tier__code", "to_tier__code"))
    assert history == [(None, "silver"), ("silver", "gold")]
    answer = api.get(f"/members/{member.pk}").json()
    assert (answer["tier"], answer["next_tier"], answer["to_next_tier"]) == ("gold", None, None)
    assert answer["tier_detail"]["name"] == "طلایی"
    # And the ledger names the tier's line
    bonus = Transfer.objects.get(source_kind="purchase", source_id=third["id"], rule="tier:gold")
    assert (bonus.kind, bonus.amount) == ("bonus", 100_000)
    assert_ledger_ok()


def test_members_answer_what_remains_to_the_next_tier(api, member):
    tier_create(data={"code": "gold", "name": "Gold", "rank": 2,
                      "qualify": {"by": "purchases", "threshold": 3, "window": "jalali_year"}})
    buy(api, member, 100_000)
    answer = api.get(f"/members/{member.pk}").json()
    assert (answer["tier"], answer["next_tier"], answer["to_next_tier"]) == (None, "gold", 2)


def test_a_gift_on_the_2nd_and_again_on_the_6th_purchase(api, member):
    live(name="Gift on 2nd and 6th", conditions={"nth_purchase": [2, 6]}, effect={"type": "fixed_points",
                                                                                 "points": 500})
    earned = [buy(api, member, 10_000)["points_earned"] for _ in range(7)]
    assert earned == [1, 501, 1, 1, 1, 501, 1]
    assert RuleAward.objects.filter(member=member).count() == 2


def test_every_third_purchase(api, member):
    live(name="Every 3rd", conditions={"every_nth_purchase": 3}, effect={"type": "fixed_points", "points": 50})
    earned = [buy(api, member, 10_000)["points_earned"] for _ in range(7)]
    assert earned == [1, 1, 51, 1, 1, 51, 1]


def test_the_nth_purchase_counts_by_when_it_happened(api, member):
    # Given a first-purchase bonus, When an older purchase is imported after a newer one
    live(name="Welcome", conditions={"first_purchase": True}, effect={"type": "fixed_points", "points": 100})
    now = timezone.now()
    newer = buy(api, member, 10_000, occurred_at=(now - timedelta(days=1)).isoformat())
    older = buy(api, member, 10_000, occurred_at=(now - timedelta(days=3)).isoformat())
    # Then each was the first when recorded: the newer had no purchase before it, the older neither
    assert (newer["points_earned"], older["points_earned"]) == (101, 101)
    third = buy(api, member, 10_000)
    assert third["points_earned"] == 1


def test_happy_hour_double_points(api, member):
    # Given double points on Thursdays from 10:00 to 12:00 Tehran time
    live(name="Happy hour", conditions={"weekdays": ["thu"], "hours": {"from": "10:00", "to": "12:00"}},
         effect={"type": "multiplier", "percent": 200})
    thursday = datetime(2026, 11, 19, tzinfo=TEHRAN)
    # When purchases of 1,000,000 Rials happen inside and around the window
    inside = buy(api, member, 1_000_000, occurred_at=thursday.replace(hour=11, minute=59).isoformat())
    at_noon = buy(api, member, 1_000_000, occurred_at=thursday.replace(hour=12).isoformat())
    wednesday = buy(api, member, 1_000_000, occurred_at=(thursday - timedelta(days=1)).replace(hour=11).isoformat())
    utc = buy(api, member, 1_000_000, occurred_at="2026-11-19T07:00:00Z")  # 10:30 in Tehran
    # Then only the ones inside get the multiplier's line (base x (200 - 100) / 100)
    assert lines(inside)[1][1] == 100 and len(lines(inside)) == 2
    assert lines(at_noon) == [("base", 100)]
    assert lines(wednesday) == [("base", 100)]
    assert [p for _r, p in lines(utc)] == [100, 100]


def test_an_organisation_volume_rule(api, member_factory, merchant):
    # Given wholesale orders of organisations (from 50,000,000 Rials) earn 1 extra point per
    # 20,000 Rials, capped at 6,000 points a Jalali month
    rule = live(name="Wholesale", conditions={"member_kinds": ["organization"], "amount_min": 50_000_000},
                effect={"type": "points_per_amount", "points": 1, "per_rial": 20_000},
                caps={"per_member_month": 6_000})
    company = member_factory(kind="organization", organization_name="شرکت نمونه")
    person = member_factory()
    # When each buys
    big = buy(api, company, 100_000_000)
    small = buy(api, company, 40_000_000)
    person_big = buy(api, person, 100_000_000)
    capped = buy(api, company, 60_000_000)
    # Then only the organisation's wholesale orders earn the extra points, until the cap
    assert lines(big) == [("base", 10_000), (str(rule.pk), 5_000)]
    assert lines(small) == [("base", 4_000)]
    assert lines(person_big) == [("base", 10_000)]
    assert lines(capped) == [("base", 6_000), (str(rule.pk), 1_000)]
    assert "per_member_month" in capped["applied_rules"][1]["detail"]


def test_a_daily_cap_and_a_total_budget(api, member_factory):
    capped = live(name="Daily", effect={"type": "fixed_points", "points": 100}, caps={"per_member_day": 250})
    budget = live(name="Launch", effect={"type": "fixed_points", "points": 70}, budget={"points": 150})
    a, b, c = member_factory(), member_factory(), member_factory()
    got_a = [dict(lines(buy(api, a, 10_000))) for _ in range(4)]
    assert [x.get(str(capped.pk), 0) for x in got_a] == [100, 100, 50, 0]
    assert [x.get(str(budget.pk), 0) for x in got_a] == [70, 70, 10, 0]
    assert dict(lines(buy(api, b, 10_000))).get(str(budget.pk), 0) == 0
    assert dict(lines(buy(api, c, 10_000)))[str(capped.pk)] == 100
    budget.refresh_from_db()
    assert (budget.issued_points, budget.issued_rial) == (150, 15_000)
    assert_ledger_ok()


def test_exclusive_rules_keep_only_the_highest_priority(api, member):
    live(name="Low", effect={"type": "fixed_points", "points": 10}, priority=1, stacking="exclusive")
    high = live(name="High", effect={"type": "fixed_points", "points": 30}, priority=5, stacking="exclusive")
    extra = live(name="Extra", effect={"type": "fixed_points", "points": 5})
    body = buy(api, member, 10_000)
    assert lines(body) == [("base", 1), (str(high.pk), 30), (str(extra.pk), 5)]


def test_a_draft_or_paused_rule_earns_nothing_and_an_edit_applies_at_once(api, member):
    rule = rule_create(data={"name": "Bonus", "effect": {"type": "fixed_points", "points": 10}})
    assert lines(buy(api, member, 10_000)) == [("base", 1)]
    rule_update(rule_id=rule.pk, data={"status": "live"})
    assert lines(buy(api, member, 10_000)) == [("base", 1), (str(rule.pk), 10)]
    rule_update(rule_id=rule.pk, data={"effect": {"type": "fixed_points", "points": 20}})
    assert lines(buy(api, member, 10_000)) == [("base", 1), (str(rule.pk), 20)]
    rule_update(rule_id=rule.pk, data={"status": "paused"})
    assert lines(buy(api, member, 10_000)) == [("base", 1)]
    assert list(rule.revisions.order_by("revision").values_list("revision", "data__status", "data__effect__points")) \
        == [(1, "draft", 10), (2, "live", 10), (3, "live", 20), (4, "paused", 20)]


def test_rule_overrides_of_pending_days_and_expiry(api, member):
    rule = live(name="Slow", effect={"type": "fixed_points", "points": 40}, pending_days=14, expiry_months=1)
    body = buy(api, member, 10_000)
    transfer = Transfer.objects.get(source_kind="purchase", source_id=body["id"], rule=str(rule.pk))
    lot = transfer.lots.get()
    from vafa.commerce.models import Purchase

    occurred = Purchase.objects.get(pk=body["id"]).occurred_at
    assert lot.available_at - occurred == timedelta(days=14)
    assert (lot.expires_at.astimezone(TEHRAN).month - occurred.astimezone(TEHRAN).month) % 12 == 1
    points = api.get(f"/members/{member.pk}/points").json()
    assert (points["available"], points["pending"]) == (1, 40)


def test_a_merchants_own_rule_applies_only_to_its_purchases(api, member, merchant):
    from vafa.api.tests.test_api_errors import new_merchant_api

    rule = live(name="Ours", effect={"type": "fixed_points", "points": 9}, merchant_id=merchant.pk)
    assert lines(buy(api, member, 10_000)) == [("base", 1), (str(rule.pk), 9)]
    other = new_merchant_api()
    response = other.post("/purchases", {"member_id": member.pk, "amount": 10_000})
    assert lines(response.json()) == [("base", 1)]


def test_a_refund_reverses_its_share_of_every_line(api, member):
    live(name="Double", effect={"type": "multiplier", "percent": 200})
    body = buy(api, member, 1_000_000)
    assert body["points_earned"] == 200
    refund = api.post(f"/purchases/{body['id']}/refunds", {"amount": 500_000}).json()
    assert (refund["points_reversed"], refund["balance_after"]) == (100, 100)
    api.post(f"/purchases/{body['id']}/refunds", {"amount": 500_000})
    assert balance(member) == 0
    assert_ledger_ok()


def test_a_free_item_line_on_the_receipt(api, member):
    rule = live(name="Free cookie", conditions={"categories": ["coffee"], "min_quantity": 2},
                effect={"type": "free_item", "sku": "COOKIE", "quantity": 1})
    body = buy(api, member, 200_000, items=[{"sku": "LATTE", "category": "coffee", "quantity": 2,
                                              "unit_price": 100_000}])
    assert body["applied_rules"][1] == {"rule_id": str(rule.pk), "name": "Free cookie", "points": 0,
                                        "detail": "free item", "free_item": {"sku": "COOKIE", "quantity": 1}}


def test_a_reward_given_by_a_rule_on_the_second_purchase(api, member):
    from vafa.program.catalog import reward_create
    from vafa.rewards.models import Coupon

    reward = reward_create(name="50,000 off", kind="coupon_amount", cost_points=500, amount_rial=50_000)
    live(name="Coupon on 2nd", conditions={"nth_purchase": [2]}, effect={"type": "reward", "reward_id": reward.pk})
    buy(api, member, 10_000)
    assert Coupon.objects.filter(member=member).count() == 0
    second = buy(api, member, 10_000)
    coupon = Coupon.objects.get(member=member)
    assert (coupon.amount_rial, coupon.used_count, coupon.usage_limit) == (50_000, 0, 1)
    assert second["points_earned"] == 1 and balance(member) == 2  # given free: no points spent


def test_a_referral_completes_on_the_first_purchase_and_rewards_both(api, member):
    # Given 1,000 points for the referrer and 500 for the new member when a referral completes
    for_referrer = live(name="Thanks", trigger="referral_completed", effect={"type": "fixed_points", "points": 1000})
    for_friend = live(name="Welcome friend", trigger="referral_completed",
                      effect={"type": "fixed_points", "points": 500, "member": "referred"})
    # When a friend joins with the member's code and buys twice
    joined = api.post("/members", {"phone": "09351234567", "first_name": "رضا",
                                   "referral_code": member.referral_code.lower()})
    assert joined.status_code == 201, joined.content
    friend_id = joined.json()["id"]
    first = api.post("/purchases", {"member_id": friend_id, "amount": 100_000}).json()
    second = api.post("/purchases", {"member_id": friend_id, "amount": 100_000}).json()
    # Then the referral completed once, on the first purchase, in the same transaction
    assert first["balance_after"] == 10 + 500
    assert second["balance_after"] == 510 + 10
    assert balance(member) == 1000
    referrer_line = Transfer.objects.get(rule=str(for_referrer.pk))
    assert (referrer_line.kind, referrer_line.amount, referrer_line.credit.member_id) == ("referral", 1000, member.pk)
    assert Transfer.objects.get(rule=str(for_friend.pk)).credit.member_id == friend_id
    referrals = api.get(f"/members/{member.pk}/referrals").json()["referrals"]
    assert [(r["member_id"], r["status"]) for r in referrals] == [(friend_id, "completed")]
    assert_ledger_ok()


def test_a_paid_plan_multiplies_base_points_while_it_lasts(api, member):
    from vafa.members.services import membership_record, plan_create

    plan = plan_create(name="Plus", fee_rial=5_000_000, duration_days=30, earn_percent=150)
    assert lines(buy(api, member, 1_000_000)) == [("base", 100)]
    membership_record(member_id=member.pk, plan_id=plan.pk, amount_rial=5_000_000, payment_reference="R1")
    assert lines(buy(api, member, 1_000_000)) == [("base", 100), (f"plan:{plan.pk}", 50)]
    later = timezone.now() + timedelta(days=31)
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=later):
        assert lines(buy(api, member, 1_000_000)) == [("base", 100)]


def test_a_blocked_referrer_earns_nothing_when_the_referral_completes(api, member):
    from vafa.members.services import member_status_set

    live(name="Thanks", trigger="referral_completed", effect={"type": "fixed_points", "points": 1000})
    friend = api.post("/members", {"phone": "09351234567", "referral_code": member.referral_code}).json()
    member_status_set(member=member, status="blocked")
    api.post("/purchases", {"member_id": friend["id"], "amount": 100_000})
    assert balance(member) == 0
    assert_ledger_ok()


def test_a_full_refund_of_the_purchase_that_completed_a_referral_undoes_it(api, member):
    # Given a referral paid on the friend's first purchase
    live(name="Thanks", trigger="referral_completed", effect={"type": "fixed_points", "points": 1000})
    live(name="Welcome friend", trigger="referral_completed",
         effect={"type": "fixed_points", "points": 500, "member": "referred"})
    friend = api.post("/members", {"phone": "09351234567", "referral_code": member.referral_code}).json()
    first = api.post("/purchases", {"member_id": friend["id"], "amount": 100_000}).json()
    assert (balance(member), first["balance_after"]) == (1000, 510)
    # When half is refunded, the referral stands; when the rest is, it is undone
    api.post(f"/purchases/{first['id']}/refunds", {"amount": 50_000})
    assert balance(member) == 1000
    last = api.post(f"/purchases/{first['id']}/refunds", {"amount": 50_000}).json()
    assert (balance(member), last["balance_after"]) == (0, 0)
    referrals = api.get(f"/members/{member.pk}/referrals").json()["referrals"]
    assert [r["status"] for r in referrals] == ["pending"]
    # And the next qualifying purchase completes it again
    api.post("/purchases", {"member_id": friend["id"], "amount": 100_000})
    assert balance(member) == 1000
    assert [r["status"] for r in api.get(f"/members/{member.pk}/referrals").json()["referrals"]] == ["completed"]
    assert_ledger_ok()


def test_undoing_a_referral_the_referrer_already_spent_leaves_a_deficit(api, member, merchant):
    live(name="Thanks", trigger="referral_completed", effect={"type": "fixed_points", "points": 1000})
    friend = api.post("/members", {"phone": "09351234567", "referral_code": member.referral_code}).json()
    purchase = api.post("/purchases", {"member_id": friend["id"], "amount": 100_000}).json()
    api.post(f"/members/{member.pk}/redemptions", {"points": 800})
    api.post(f"/purchases/{purchase['id']}/refunds", {"amount": 100_000})
    points = api.get(f"/members/{member.pk}/points").json()
    assert (points["balance"], points["deficit"]) == (-800, 800)
    assert_ledger_ok()


def test_a_referral_completed_and_undone_twice_takes_back_each_award_once(api, member):
    # Given referral rules, one of them capped at 100 a month for the referrer
    live(name="Thanks", trigger="referral_completed", effect={"type": "fixed_points", "points": 100},
         caps={"per_member_month": 100}, budget={"points": 1000})
    live(name="Welcome friend", trigger="referral_completed",
         effect={"type": "fixed_points", "points": 40, "member": "referred"})
    friend = api.post("/members", {"phone": "09351234567", "referral_code": member.referral_code}).json()
    # When the friend's completing purchase is refunded in full, twice over
    for _ in range(2):
        purchase = api.post("/purchases", {"member_id": friend["id"], "amount": 100_000}).json()
        assert balance(member) == 100  # the undone award no longer counts against the cap
        api.post(f"/purchases/{purchase['id']}/refunds", {"amount": 100_000})
        assert balance(member) == 0
    # Then each award was taken back once: nobody is left in deficit
    points = api.get(f"/members/{friend['id']}/points").json()
    assert (points["balance"], points["deficit"]) == (0, 0)
    assert api.get(f"/members/{member.pk}/points").json()["deficit"] == 0
    from vafa.program.models import Rule

    assert Rule.objects.get(name="Thanks").issued_points == 0
    assert_ledger_ok()


def test_a_daily_cap_counts_the_tehran_day_also_after_midnight_there(merchant, member):
    # Between midnight in Tehran and midnight in UTC the two dates differ: the cap must count
    # the Tehran day (SQLite keeps UTC text, so the bounds must go in as UTC too).
    from datetime import datetime

    from vafa.commerce.services import purchase_record
    from vafa.core.jalali import TEHRAN

    capped = live(name="Daily", effect={"type": "fixed_points", "points": 100}, caps={"per_member_day": 150})
    late = datetime(2026, 2, 28, 23, 50, tzinfo=TEHRAN)
    early = datetime(2026, 3, 1, 0, 30, tzinfo=TEHRAN)  # 21:00 UTC on 28 February
    earned = [purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=10_000, occurred_at=at)
              .purchase.applied_rules for at in (late, early, early)]
    assert [dict((r["rule_id"], r["points"]) for r in rules).get(str(capped.pk), 0) for rules in earned] == [
        100, 100, 50]
