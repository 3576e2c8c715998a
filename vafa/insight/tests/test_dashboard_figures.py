"""The dashboard's figures: exact values on a known club, Jalali month buckets, zero denominators.

Since the rollups (issue 13) every figure counts by when things happened: G's imported purchases,
booked in Azar, earn their points in Ordibehesht and Mordad (before, Azar showed them all)."""

from datetime import UTC, datetime
from itertools import pairwise

import pytest

from vafa.insight.selectors import (
    dashboard_figures,
    jalali_months,
    outstanding_liability,
    points_by_month,
    purchase_rates,
    tier_distribution,
    top_rewards,
)
from vafa.insight.tests.dataset import NOW, booked_at, build_club, tehran
from vafa.ledger.models import Account
from vafa.ledger.services import points_adjust
from vafa.program.selectors import earn_policy

pytestmark = pytest.mark.django_db

MONTH_KEYS = ["1404-10", "1404-11", "1404-12", "1405-01", "1405-02", "1405-03",
              "1405-04", "1405-05", "1405-06", "1405-07", "1405-08", "1405-09"]


def test_the_twelve_jalali_months_up_to_now_have_tehran_boundaries():
    months = jalali_months(NOW)
    assert [m.key for m in months] == MONTH_KEYS
    # 1 Dey 1404 is 22 December 2025; Azar 1405 ends when 1 Dey 1405 (22 December 2026) begins
    assert months[0].start == tehran(2025, 12, 22, 0, 0)
    assert months[-1].end == tehran(2026, 12, 22, 0, 0)
    # 1 Farvardin 1405 is 21 March 2026; each month ends where the next begins
    assert months[3].start == tehran(2026, 3, 21, 0, 0)
    assert all(a.end == b.start for a, b in pairwise(months))
    assert (months[-1].year, months[-1].month) == (1405, 9)


def test_a_month_begins_at_tehran_midnight_not_utc_midnight(merchant, member):
    # Given two credits on the same UTC (and Gregorian) day, 21 November 2026, one second apart
    # around 20:30 UTC, which is midnight in Tehran: 30 Aban 1405 ends, 1 Azar begins
    for points, moment in [(7, datetime(2026, 11, 21, 20, 29, 59, tzinfo=UTC)),
                           (11, datetime(2026, 11, 21, 20, 30, 0, tzinfo=UTC))]:
        with booked_at(moment):
            points_adjust(member_id=member.pk, points=points, reason="r", merchant_id=merchant.pk, expires_at=None)
    # When the months are summed
    by_key = {m.month.key: m for m in points_by_month(jalali_months(NOW))}
    # Then each lands in its own Jalali month
    assert (by_key["1405-08"].issued, by_key["1405-09"].issued) == (7, 11)
    assert sum(m.issued for m in by_key.values()) == 18


def test_an_empty_club_has_zeros_and_no_rates():
    figures = dashboard_figures(now=NOW)
    assert (figures.members_total, figures.members_new_this_month, figures.members_active) == (0, 0, 0)
    assert [(m.issued, m.spent, m.expired) for m in figures.points_by_month] == [(0, 0, 0)] * 12
    assert figures.redemption_rate is None
    assert figures.repeat_rate is None
    assert (figures.liability.points, figures.liability.rial, figures.liability.deficit_points) == (0, 0, 0)
    assert [(t.tier_id, t.members) for t in figures.tiers] == [(None, 0)]
    assert figures.top_rewards == []


def test_the_known_club_gives_exact_figures(merchant):
    # Given the club of dataset.py
    club = build_club(merchant)
    # When the dashboard is computed on 4 Azar 1405
    figures = dashboard_figures(now=NOW)
    # Then the members
    assert figures.members_total == 7
    assert figures.members_new_this_month == 3  # C, E and G (B joined a minute before Azar)
    assert figures.members_active == 4  # A, B, C, G (D's recent purchase was refunded in full)
    assert [(m.month.key, m.joined) for m in figures.new_members_by_month if m.joined] == [
        ("1405-07", 1), ("1405-08", 2), ("1405-09", 3)]
    # And the points per Jalali month: earned, adjusted, reversed, issued, redeemed, returned, spent, expired
    rows = {m.month.key: (m.earned, m.adjusted, m.reversed, m.issued, m.redeemed, m.returned, m.spent, m.expired)
            for m in figures.points_by_month}
    assert [m.month.key for m in figures.points_by_month] == MONTH_KEYS
    assert {k: v for k, v in rows.items() if any(v)} == {
        "1405-02": (200, 0, 0, 200, 0, 0, 0, 0),  # G's imported purchase of Ordibehesht, booked in Azar
        "1405-03": (30, 40, 30, 40, 0, 0, 0, 0),
        "1405-05": (100, 0, 0, 100, 0, 0, 0, 0),  # and of Mordad
        "1405-06": (0, 0, 0, 0, 0, 0, 0, 40),
        "1405-07": (100, 0, 100, 0, 100, 0, 100, 0),
        "1405-08": (300, 0, 0, 300, 0, 0, 0, 0),
        "1405-09": (2699, -20, 49, 2630, 730, 15, 715, 0),  # booked-time months had 2,999 earned here
    }
    assert (figures.issued, figures.spent, figures.expired) == (3270, 815, 40)
    assert figures.redemption_rate == 815 / 3270
    # And the liability: positive balances A 200 + B 65 + C 1,900 + D 40 + G 350 at 100 Rials a point; F owes 100
    assert (figures.liability.points, figures.liability.rial, figures.liability.deficit_points) == (2555, 255_500, 100)
    # And the purchase rates: A, B, C, D, G bought (F's only purchase was refunded); A, B and G twice or more
    assert (figures.rates.buyers, figures.rates.repeat_buyers) == (5, 3)
    assert figures.repeat_rate == 0.6
    # And the tiers, no tier first (D's row without a tier, E, F, G), then by rank
    assert [(t.code, t.members) for t in figures.tiers] == [("", 4), ("bronze", 0), ("silver", 2), ("gold", 1)]
    assert figures.tiers[3].tier_id == club.tiers["gold"].pk
    # And the rewards members chose (E's free Cinema from a rule is not counted)
    assert [(r.name, r.redemptions, r.points) for r in figures.top_rewards] == [("Coffee", 3, 300), ("Cinema", 1, 500)]


def test_balances_reconcile_with_issued_spent_and_expired(merchant):
    # Given the club, whose only movement before the months shown is D's 40 points in Azar 1404
    build_club(merchant)
    figures = dashboard_figures(now=NOW)
    # Then every balance together is what was issued, less spent and expired
    total = sum(Account.objects.filter(role="member").values_list("balance", flat=True))
    assert total == 40 + figures.issued - figures.spent - figures.expired == 2455
    # and over all time, by the breakage figures
    assert total == figures.breakage.issued - figures.breakage.spent - figures.breakage.expired


def test_a_later_now_moves_the_window(merchant):
    # Given the club seen a year later (4 Azar 1406): all of its history is before the 12 months
    build_club(merchant)
    later = dashboard_figures(now=tehran(2027, 11, 25, 12, 0))
    assert later.months[0].key == "1405-10"
    assert later.issued == 0 and later.redemption_rate is None
    assert later.members_new_this_month == 0
    assert later.top_rewards == []
    # the liability and tiers are today's, whatever the window
    assert later.liability.points == 2555


def test_small_selectors_answer_on_their_own(merchant):
    club = build_club(merchant)
    months = jalali_months(NOW)
    assert outstanding_liability().rial == 255_500
    # the last purchases: C on 2 Azar 12:00, B on 3 Azar 11:00, G on 3 Azar 21:00; now is 4 Azar 12:00
    assert purchase_rates(NOW, active_days=1).active == 1
    assert purchase_rates(NOW, active_days=2).active == 2
    assert purchase_rates(NOW, active_days=3).active == 3
    assert [t.members for t in tier_distribution()] == [4, 0, 2, 1]
    assert [r.reward_id for r in top_rewards(months[-1].start, months[-1].end, limit=1)] == [club.rewards["coffee"].pk]


def test_the_figures_take_a_bounded_number_of_queries(merchant, django_assert_max_num_queries):
    build_club(merchant)
    earn_policy()  # the live program as a running server holds it (one query when unchanged)
    dashboard_figures(now=NOW)  # the rollups read everything once
    # the rollups' state and the sources' last ids (nothing new), days, totals, the active members
    # (2), cohorts, program version, tiers (2), rewards, the RFM grid and the scoring's last run; a
    # grid this small is compared with the scores themselves on the page (4)
    with django_assert_max_num_queries(17):
        dashboard_figures(now=NOW)
