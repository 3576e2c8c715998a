"""Programme effect (vafa/insight/effect.py): a constructed history with exact figures for a rule, a
reward and a campaign with a hold-out, their comparable members counted one by one; the report and
the dashboard's table.

NOW is 2026-11-25 12:00 Tehran. Every member joined on 2026-01-01 but E (2026-10-15). Scores
(rfm_r/rfm_f): A-E 5/4, F 3/3, G none. The rule "Happy hour" (10 points a purchase) is live for
A's purchases of 10-01 and 10-10 and B's of 10-21 only; every other purchase is recorded with it
paused.

member  purchases (12:00)                                           received
A       09-01 100,000; 10-01 1,000,000; 10-10 500,000; 11-20 700,000 the rule (10-01, 10-10); Coffee 11-01
B       10-21 200,000; 10-25 300,000 refunded in full                 the rule (10-21); held out of the campaign
C       09-15 100,000; 10-20 400,000; 11-15 250,000                   the campaign 11-10 (2 SMS parts)
D       11-05 100,000, half refunded (net 50,000)                     the campaign 11-10 (2 SMS parts)
E       none (joined 10-15)                                           -
F       none                                                          held out of the campaign
G       none                                                          -

The rule: recipients A (first at 10-01, bought in the 90 days before, then 500,000 on 10-10) and B
(10-21, nothing before; 10-25 refunded in full does not count). Their quintiles' mean reference
time is 10-11 12:00: comparable C (bought before; 400,000 on 10-20), D (nothing before; 50,000
net on 11-05) and B, who had not received it yet then (nothing before; 200,000 on 10-21); E had
not joined by then, F and G have other quintiles.

Coffee: A at 11-01 (bought before; 700,000 on 11-20). Comparable at 11-01: B and C bought in the
90 days before (C 250,000 on 11-15); D and E did not, a stratum without recipients.

The campaign: C (11-15, 250,000) and D (nothing) at 11-10. Comparable at 11-10: A (700,000 on
11-20) and B (nothing), both bought in the 90 days before; E did not. Hold-out: contacted C, D
(one buyer) vs held out B, F (none).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from openpyxl import load_workbook

from vafa.commerce.services import purchase_record, refund_record
from vafa.engage.models import Campaign, CampaignMember, Message, Segment
from vafa.insight import effect
from vafa.insight.models import ProgrammeEffect
from vafa.insight.selectors import programme_effects
from vafa.insight.tests.dataset import booked_at, tehran
from vafa.ledger.models import Transfer
from vafa.members.models import MemberScore
from vafa.members.services import member_create
from vafa.merchants.staff import staff_create
from vafa.program.catalog import reward_create
from vafa.program.models import Rule
from vafa.program.rules import rule_create
from vafa.program.selectors import earn_policy, forget_program
from vafa.rewards.services import reward_redeem
from vafa.web.manage import reports

pytestmark = pytest.mark.django_db
NOW = tehran(2026, 11, 25, 12, 0)
SMS_PRICE = 2_000


def _status(rule: Rule, status: str) -> None:
    Rule.objects.filter(pk=rule.pk).update(status=status)
    forget_program()


@pytest.fixture
def history(merchant, settings):
    settings.SMS_PRICE_PER_PART_RIAL = SMS_PRICE
    m = merchant.pk
    joined = tehran(2026, 1, 1, 9, 0)
    people = {name: member_create(phone=f"0912000010{i}", first_name=name,
                                  joined_at=tehran(2026, 10, 15, 9, 0) if name == "E" else joined)
              for i, name in enumerate("ABCDEFG")}
    for name in "ABCDE":
        MemberScore.objects.create(member=people[name], rfm_r=5, rfm_f=4, scored_at=NOW)
    MemberScore.objects.create(member=people["F"], rfm_r=3, rfm_f=3, scored_at=NOW)

    def buy(name: str, amount: int, month: int, day: int):
        at = tehran(2026, month, day, 12, 0)
        with booked_at(at):
            return purchase_record(merchant_id=m, member_id=people[name].pk, amount=amount, occurred_at=at).purchase

    def refund(purchase, amount: int):
        with booked_at(purchase.occurred_at + timedelta(hours=1)):
            refund_record(merchant_id=m, purchase_id=purchase.pk, amount=amount)

    rule = rule_create(data={"name": "Happy hour", "status": "live", "effect": {"type": "fixed_points", "points": 10}})
    buy("A", 1_000_000, 10, 1)
    buy("A", 500_000, 10, 10)
    buy("B", 200_000, 10, 21)
    _status(rule, "paused")
    buy("A", 100_000, 9, 1)
    buy("A", 700_000, 11, 20)
    refund(buy("B", 300_000, 10, 25), 300_000)
    buy("C", 100_000, 9, 15)
    buy("C", 400_000, 10, 20)
    buy("C", 250_000, 11, 15)
    refund(buy("D", 100_000, 11, 5), 50_000)

    coffee = reward_create(name="Coffee", kind="non_material", cost_points=100)
    with booked_at(tehran(2026, 11, 1, 12, 0)):
        reward_redeem(member_id=people["A"].pk, reward_id=coffee.pk, merchant_id=m)

    started = tehran(2026, 11, 10, 12, 0)
    segment = Segment.objects.create(code="all", name="All", conditions={})
    campaign = Campaign.objects.create(name="Autumn", channel="sms", segment=segment, text="Come back",
                                       holdout_percent=50, lift_days=30, status=Campaign.Status.SENT, audience=4,
                                       holdout=2, audience_drawn=True, started_at=started, finished_at=started)
    for i, (name, held) in enumerate([("C", False), ("D", False), ("B", True), ("F", True)]):
        CampaignMember.objects.create(campaign=campaign, member=people[name], draw=i, holdout=held)
        if not held:
            Message.objects.create(member=people[name], channel="sms", purpose="marketing", to="09120000000",
                                   text="Come back", parts=2, status=Message.Status.SENT, campaign=campaign,
                                   due_at=started, sent_at=started)
    # A message that failed is no receipt, and costs nothing
    Message.objects.create(member=people["E"], channel="sms", purpose="marketing", to="09120000000", text="Come back",
                           parts=2, status=Message.Status.FAILED, campaign=campaign, due_at=started)
    return {"people": people, "rule": rule, "coffee": coffee, "campaign": campaign}


def _rows() -> dict[tuple[str, str], ProgrammeEffect]:
    return {(r.kind, r.ref): r for r in ProgrammeEffect.objects.all()}


def _values(row: ProgrammeEffect) -> tuple:
    return (row.name, row.recipients, row.points, row.cost_rial, row.recipients_buyers, row.recipients_spend_rial,
            row.comparison, row.comparison_buyers, row.comparison_spend_rial, row.window_days)


def test_a_rule_a_reward_and_a_campaign_against_comparable_members(history):
    value = earn_policy().point_value_rial
    assert effect.programme_effects_compute(now=NOW) == 4  # the base earning, the rule, Coffee, the campaign
    rows = _rows()
    rule, coffee, campaign = (rows[("rule", str(history["rule"].pk))], rows[("reward", str(history["coffee"].pk))],
                              rows[("campaign", str(history["campaign"].pk))])
    # The rule gave 30 points (the ledger says so too)
    assert sum(Transfer.objects.filter(rule=str(history["rule"].pk)).values_list("amount", flat=True)) == 30
    assert _values(rule) == ("Happy hour", 2, 30, 30 * value, 1, 500_000, 3, 3, 650_000, 30)
    assert rule.figures == {"matched": 2, "matched_buyers": 1, "matched_spend_rial": 500_000, "comparison_rate": 1.0,
                            "comparison_spend_per_member_rial": 262_500, "strata": 2}
    assert _values(coffee) == ("Coffee", 1, 100, 100 * value, 1, 700_000, 2, 1, 250_000, 30)
    assert coffee.figures == {"matched": 1, "matched_buyers": 1, "matched_spend_rial": 700_000, "comparison_rate": 0.5,
                              "comparison_spend_per_member_rial": 125_000, "strata": 1, "discount_rial": 0}
    assert _values(campaign) == ("Autumn", 2, 0, 4 * SMS_PRICE, 1, 250_000, 2, 1, 700_000, 30)
    lift = campaign.figures.pop("holdout_lift")
    assert campaign.figures == {"matched": 2, "matched_buyers": 1, "matched_spend_rial": 250_000,
                                "comparison_rate": 0.5, "comparison_spend_per_member_rial": 350_000, "strata": 1,
                                "sms_parts": 4}
    assert lift == {
        "lift_days": 30, "complete": False, "rate_difference": 0.5, "z": 1.155, "significant": False,
        "contacted": {"members": 2, "buyers": 1, "purchase_rate": 0.5, "spend_rial": 250_000,
                      "spend_per_member_rial": 125_000},
        "held_out": {"members": 2, "buyers": 0, "purchase_rate": 0.0, "spend_rial": 0, "spend_per_member_rial": 0},
    }


def test_the_reader_gives_the_differences_in_kind_then_cost_order(history):
    effect.programme_effects_compute(now=NOW)
    found = programme_effects()
    assert [e.kind for e in found] == ["rule", "rule", "reward", "campaign"]
    base, rule, coffee, campaign = found
    assert base.row.ref == "base" and base.row.cost_rial > rule.row.cost_rial  # the most costly rule first
    assert (rule.purchase_rate, rule.comparison_rate, rule.rate_difference) == (0.5, 1.0, -0.5)
    assert (rule.spend_per_member_rial, rule.comparison_spend_per_member_rial, rule.spend_difference_rial) == (
        250_000, 262_500, -12_500)
    assert (coffee.rate_difference, coffee.spend_difference_rial) == (0.5, 575_000)
    assert (campaign.rate_difference, campaign.spend_difference_rial, campaign.holdout_rate_difference) == (
        0.0, -225_000, 0.5)
    assert rule.holdout_lift is None and coffee.holdout_rate_difference is None
    assert [e.kind for e in programme_effects(limit=2)] == ["rule", "rule"]


def test_recomputing_replaces_the_rows_with_the_same_figures(history):
    effect.programme_effects_compute(now=NOW)
    first = {k: (_values(r), r.figures) for k, r in _rows().items()}
    assert effect.programme_effects_compute(now=NOW) == 4
    assert {k: (_values(r), r.figures) for k, r in _rows().items()} == first
    assert ProgrammeEffect.objects.count() == 4


def test_a_failed_computation_keeps_the_rows_of_the_last_one(history, monkeypatch):
    effect.programme_effects_compute(now=NOW)
    before = {k: (_values(r), r.figures, r.computed_at) for k, r in _rows().items()}

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(effect, "campaign_lift", broken)
    with pytest.raises(RuntimeError):
        effect.programme_effects_compute(now=NOW + timedelta(days=1))
    assert {k: (_values(r), r.figures, r.computed_at) for k, r in _rows().items()} == before


def test_receipts_outside_the_year_are_left_out(history):
    # A year and a day after the campaign, nothing of this history is in the period
    assert effect.programme_effects_compute(now=tehran(2027, 11, 26, 12, 0)) == 0
    assert ProgrammeEffect.objects.count() == 0


def test_each_kind_of_item_takes_a_bounded_number_of_queries(history, django_assert_max_num_queries):
    # the point value, the items given (3), their names (rules, tiers, plans, rewards, campaigns) and
    # the rewards' discounts (6), 2 per kind of item for all its items (the two rules together: the
    # ledger is read twice, not twice per rule), the campaign's lift (4), the replacement
    # (savepoint, delete, insert, release)
    with django_assert_max_num_queries(1 + 3 + 6 + 2 * 3 + 4 + 4):
        effect.programme_effects_compute(now=NOW)


# --- the report and the dashboard ----------------------------------------------------------------------------


def staff_client(role: str = "owner", lang: str = "en") -> Client:
    user = staff_create(username=f"{role}-e-{lang}", password="vafa-test-pass-1", role=role)
    client = Client(headers={"Accept-Language": lang})
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client


@pytest.fixture
def computed(history, monkeypatch):
    monkeypatch.setattr(reports, "_now", lambda: NOW)
    effect.programme_effects_compute(now=NOW)
    return history


def test_the_report_as_csv_and_xlsx(computed):
    client = staff_client()
    value = earn_policy().point_value_rial
    body = client.get("/manage/reports/programme-effect.csv").content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0] == ["Kind", "Name", "Recipients", "Cost (Rials)", "Purchase rate after",
                       "Comparable members' purchase rate", "Difference in purchase rate",
                       "Spend per member after (Rials)", "Comparable members' spend per member (Rials)",
                       "Difference in spend (Rials)", "Comparable members", "Hold-out lift (purchase rate)"]
    assert rows[1][:2] == ["rule", "Base earning"]
    assert rows[2:] == [
        ["rule", "Happy hour", "2", str(30 * value), "0.5", "1.0", "-0.5", "250000", "262500", "-12500", "3", ""],
        ["reward", "Coffee", "1", str(100 * value), "1.0", "0.5", "0.5", "700000", "125000", "575000", "2", ""],
        ["campaign", "Autumn", "2", str(4 * SMS_PRICE), "0.5", "0.5", "0.0", "125000", "350000", "-225000", "2",
         "0.5"],
    ]
    book = load_workbook(io.BytesIO(client.get("/manage/reports/programme-effect.xlsx").content))
    sheet = list(book.active.iter_rows(values_only=True))
    assert sheet[3] == ("reward", "Coffee", 1, 100 * value, 1.0, 0.5, 0.5, 700_000, 125_000, 575_000, 2, None)
    assert sheet[4][-1] == 0.5


def test_the_report_page_and_the_dashboard_table_in_persian(computed):
    client = staff_client(lang="fa")
    page = client.get("/manage/reports/programme-effect/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Happy hour" in html and "Coffee" in html and "Autumn" in html
    dashboard = client.get("/manage/dashboard/").content.decode()
    assert 'data-testid="table-programme-effect"' in dashboard
    assert f'data-effect="campaign-{computed["campaign"].pk}"' in dashboard
    assert "۵۰٪" in dashboard  # the campaign's hold-out lift, in Persian digits
    assert 'href="/manage/reports/programme-effect/"' in dashboard


def test_the_dashboard_says_when_nothing_was_measured_yet(merchant):
    html = staff_client().get("/manage/dashboard/").content.decode()
    assert 'data-testid="no-programme-effect"' in html


@pytest.mark.parametrize("url", ["/manage/reports/programme-effect/", "/manage/reports/programme-effect.csv",
                                 "/manage/reports/programme-effect.xlsx"])
def test_a_cashier_and_a_stranger_get_no_programme_effect(computed, url):
    assert staff_client("cashier").get(url).status_code == 403
    assert Client().get(url)["Location"].startswith("/manage/login/?next=")


def test_blocked_and_erased_members_are_not_comparable(history):
    from vafa.members.models import Member

    Member.objects.filter(pk=history["people"]["D"].pk).update(status=Member.Status.BLOCKED)
    effect.programme_effects_compute(now=NOW)
    rule = _rows()[("rule", str(history["rule"].pk))]
    # C and B, not D (blocked)
    assert (rule.comparison, rule.comparison_buyers, rule.comparison_spend_rial) == (2, 2, 600_000)
    Member.objects.filter(pk=history["people"]["D"].pk).update(status=Member.Status.ACTIVE, erased_at=NOW)
    effect.programme_effects_compute(now=NOW)
    rule = _rows()[("rule", str(history["rule"].pk))]
    assert (rule.comparison, rule.comparison_buyers, rule.comparison_spend_rial) == (2, 2, 600_000)


def test_a_tiers_extra_earning_is_named_by_the_tier(merchant):
    from vafa.program.models import MemberTier, Tier

    gold = Tier.objects.create(code="gold", name="طلایی", rank=1, earn_percent=150)
    forget_program()
    member = member_create(phone="09120000201", first_name="Z", joined_at=tehran(2026, 1, 1, 9, 0))
    MemberTier.objects.create(member=member, tier=gold, since=tehran(2026, 1, 1, 9, 0))
    at = tehran(2026, 11, 1, 12, 0)
    with booked_at(at):
        purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000, occurred_at=at)
    assert Transfer.objects.filter(rule="tier:gold").exists()
    effect.programme_effects_compute(now=NOW)
    assert ProgrammeEffect.objects.get(kind="rule", ref="tier:gold").name == "طلایی"


def test_a_join_award_counts_from_when_the_member_joined_not_when_it_was_booked(merchant):
    """The demo (and any club whose members' joining is recorded late) books the welcome points
    today for members who joined months ago: the award was received when they joined, so what
    they bought since follows it."""
    welcome = rule_create(data={"name": "Welcome", "status": "live", "trigger": "join",
                                "effect": {"type": "fixed_points", "points": 50}})
    joined = tehran(2026, 10, 1, 10, 0)
    with booked_at(NOW - timedelta(hours=1)):  # booked just now, for a member who joined on 10-01
        early = member_create(phone="09120000301", first_name="J", joined_at=joined)
    at = tehran(2026, 10, 11, 12, 0)
    with booked_at(at):
        purchase_record(merchant_id=merchant.pk, member_id=early.pk, amount=400_000, occurred_at=at)
    assert Transfer.objects.get(rule=str(welcome.pk)).created_at == NOW - timedelta(hours=1)
    effect.programme_effects_compute(now=NOW)
    row = ProgrammeEffect.objects.get(kind="rule", ref=str(welcome.pk))
    assert (row.name, row.recipients, row.points, row.recipients_buyers, row.recipients_spend_rial) == (
        "Welcome", 1, 50, 1, 400_000)


def test_the_comparison_in_parts_of_items_gives_the_same_figures(history, monkeypatch):
    # Parts of one item each (a statement per item), as many items in a year would need
    effect.programme_effects_compute(now=NOW)
    whole = {k: (_values(r), r.figures) for k, r in _rows().items()}
    monkeypatch.setattr(effect, "REFS_PER_STATEMENT", 1)
    assert [len(p) for p in effect._reference_parts({("a", 1, 1): 1.0, ("a", 2, 2): 2.0, ("b", 1, 1): 3.0})] == [2, 1]
    effect.programme_effects_compute(now=NOW)
    assert {k: (_values(r), r.figures) for k, r in _rows().items()} == whole
