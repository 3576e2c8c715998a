"""The reports' figures on the known club (dataset.py): purchases per month, cohorts, tier moves,
breakage and liability, the RFM grid, before and after joining; and each equal to the figures
computed row by row (truth.py)."""

import pytest
from django.utils import timezone

from vafa.insight.selectors import (
    breakage,
    cohorts,
    dashboard_figures,
    jalali_months,
    joining_figures,
    points_by_month,
    purchases_by_month,
    rfm_grid,
    tier_moves,
)
from vafa.insight.tests.dataset import NOW, SCORED_AT, build_club, tehran
from vafa.insight.tests.truth import assert_matches, rfm_cells
from vafa.members.models import MemberScore

pytestmark = pytest.mark.django_db


def test_purchases_per_month_count_by_when_they_happened(merchant):
    build_club(merchant)
    rows = {m.month.key: (m.buyers, m.purchases, m.amount_rial, m.basket_rial, m.joined)
            for m in purchases_by_month(jalali_months(NOW))}
    assert {k: v for k, v in rows.items() if any(x for x in v if x)} == {
        "1405-02": (1, 1, 2_000_000, 2_000_000, 0),  # G's imported purchase
        "1405-05": (1, 1, 1_000_000, 1_000_000, 0),
        "1405-07": (0, 0, 0, None, 1),  # F joined; F's purchase was refunded in full
        "1405-08": (1, 2, 3_000_000, 1_500_000, 2),  # A twice; B joined
        # B 500,000 and 1,000,000 half refunded, C 25,000,000, G 500,000
        "1405-09": (3, 4, 26_500_000, 6_625_000, 3),
    }
    # D's purchase of Khordad was refunded in full: it is not there at all
    assert rows["1405-03"] == (0, 0, 0, None, 0)


def test_the_cohort_triangle(merchant):
    build_club(merchant)
    found = {c.month.key: (c.size, c.buyers, c.shares) for c in cohorts(jalali_months(NOW))}
    assert len(found) == 12
    assert found["1405-07"] == (1, [0, 0, 0], [0.0, 0.0, 0.0])  # F: refunded in full
    assert found["1405-08"] == (2, [1, 1], [0.5, 0.5])  # A in Aban, B (joined Aban 30) in Azar
    assert found["1405-09"] == (3, [2], [2 / 3])  # C and G bought; E did not
    # months nobody joined in: a row of zeros, shares unknown
    assert found["1404-10"][0] == 0 and found["1404-10"][2] == [None] * 12
    # G's purchases before joining (Ordibehesht, Mordad) are not in the triangle
    assert sum(b for _s, buyers, _sh in found.values() for b in buyers) == 4


def test_tier_moves_per_month(merchant):
    build_club(merchant)
    moves = {m.month.key: (m.ups, m.downs) for m in tier_moves(jalali_months(NOW)) if m.ups or m.downs}
    assert moves == {"1405-03": (0, 1), "1405-07": (1, 0), "1405-08": (1, 0), "1405-09": (2, 1)}


def test_breakage_and_the_liability_after_it(merchant):
    build_club(merchant)
    b = breakage(NOW)
    # all time: D's 40 of Azar 1404 besides the 3,270 of the months shown
    assert (b.issued, b.spent, b.expired) == (3310, 815, 40)
    assert b.rate == 40 / 3310
    assert b.redemption_rate == 815 / 3310
    # 2,555 points held; 2,555 x 40 // 3,310 = 30 expected to expire
    assert (b.liability.points, b.expected_points, b.expected_rial, b.liability_after_rial) == (
        2555, 30, 3_000, 252_500)


def test_breakage_of_an_empty_club():
    b = breakage(NOW)
    assert (b.issued, b.rate, b.redemption_rate, b.expected_points, b.liability_after_rial) == (0, None, None, 0, 0)


def test_the_rfm_grid_counts_members_and_their_spend(merchant):
    build_club(merchant)
    grid = rfm_grid()
    assert grid.members == 5
    assert {k: (c.members, c.spend_rial, c.average_spend_rial) for k, c in grid.cells.items()} == {
        (5, 4): (2, 4_000_000, 2_000_000),  # A 3,000,000 and B 1,000,000 (net of the half refund)
        (4, 1): (1, 25_000_000, 25_000_000),
        (1, 1): (1, 400_000, 400_000),  # D: the refunded purchase counts for nothing
        (3, 3): (1, 3_500_000, 3_500_000),  # G, imported history included
    }
    assert grid.cell(2, 2).members == 0
    assert grid.scored_at == SCORED_AT and grid.complete
    assert {k: (c.members, c.spend_rial) for k, c in grid.cells.items()} == rfm_cells()


def test_the_rfm_grid_follows_new_scores(merchant, monkeypatch):
    from vafa.core.models import JobRun
    from vafa.insight import rollups

    club = build_club(merchant)
    rfm_grid()
    # When the nightly scoring moves G, in a club too big to take the grid again on a page
    MemberScore.objects.filter(member=club.members["G"]).update(rfm_r=5, rfm_f=4, scored_at=NOW)
    monkeypatch.setattr(rollups, "RFM_INLINE", 1)
    JobRun.objects.create(job=rollups.SCORING_JOB, period="2026-11-25", finished_at=timezone.now())
    grid = rfm_grid()
    # Then the page shows the grid as it was taken, and says it is being taken again
    assert (grid.cell(5, 4).members, grid.cell(3, 3).members, grid.pending) == (2, 1, True)
    # Which the worker does at its next tick, the scoring having finished since the grid was taken
    assert rollups.rfm_check(NOW) is True
    assert rollups.rfm_check(NOW) is False  # looked a moment ago, and nothing finished since
    grid = rfm_grid()
    assert (grid.cell(5, 4).members, grid.cell(5, 4).spend_rial, grid.cell(3, 3).members) == (3, 7_500_000, 0)
    assert grid.complete


def test_scores_written_another_way_are_seen_within_minutes(merchant, monkeypatch):
    from datetime import timedelta

    from vafa.insight import rollups

    club = build_club(merchant)
    rfm_grid()  # a small grid: taken on the page, as of now
    monkeypatch.setattr(rollups, "RFM_INLINE", 1)
    looked = timezone.now()
    assert rollups.rfm_check(looked, force=True) is False  # the same scores
    MemberScore.objects.filter(member=club.members["D"]).update(rfm_r=2)
    assert rollups.rfm_check(looked + timedelta(minutes=4)) is False  # not looked at yet
    assert rollups.rfm_check(looked + timedelta(minutes=5, seconds=1)) is True
    assert rfm_grid().cell(2, 1).members == 1


def test_purchases_before_and_after_joining(merchant):
    build_club(merchant)
    j = joining_figures(NOW)
    # G: 2,000,000 on Ordibehesht 15 and 1,000,000 on Mordad 19 before joining on Azar 3 09:00
    assert (j.members, j.before_purchases, j.before_rial, j.before_basket_rial) == (1, 2, 3_000_000, 1_500_000)
    assert j.before_days == pytest.approx(202.875)  # 5 May 12:00 to 24 November 09:00
    assert (j.after_purchases, j.after_rial, j.after_basket_rial) == (1, 500_000, 500_000)
    assert j.after_days == pytest.approx(1.125)  # to now, 25 November 12:00
    assert j.before_per_30_days == pytest.approx(2 / 202.875 * 30)
    assert j.after_per_30_days == pytest.approx(1 / 1.125 * 30)


def test_no_history_before_joining():
    j = joining_figures(NOW)
    assert (j.members, j.before_basket_rial, j.before_per_30_days, j.after_per_30_days) == (0, None, None, None)


def test_every_figure_equals_the_figures_row_by_row(merchant):
    build_club(merchant)
    assert_matches(dashboard_figures(now=NOW), joining_figures(NOW), rfm_grid(), NOW)


def test_points_of_a_purchase_booked_late_count_in_the_month_it_happened(merchant, member):
    from vafa.commerce.services import purchase_record, refund_record
    from vafa.insight.tests.dataset import booked_at

    # Given a purchase of Tir 1405 recorded (and its points booked) in Azar, then half refunded in Azar
    with booked_at(tehran(2026, 11, 24, 10, 0)):
        bought = purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000,
                                 occurred_at=tehran(2026, 7, 1, 12, 0)).purchase
    with booked_at(tehran(2026, 11, 24, 11, 0)):
        refund_record(merchant_id=merchant.pk, purchase_id=bought.pk, amount=500_000)
    by_key = {m.month.key: (m.earned, m.reversed) for m in points_by_month(jalali_months(NOW))}
    # Then the points it earned are Tir's, and what the refund took back is Azar's
    assert by_key["1405-04"] == (100, 0)
    assert by_key["1405-09"] == (0, 50)
    # And the purchase (net of the refund) is Tir's too
    tir = next(m for m in purchases_by_month(jalali_months(NOW)) if m.month.key == "1405-04")
    assert (tir.purchases, tir.amount_rial) == (1, 500_000)
