"""Members vs non-members, and the tiers compared, on the known club (dataset.py) plus sales
without a member around the Aban/Azar 1405 boundary; each figure exact, and equal to the one
computed row by row from the sources (month_of, counts: truth.py's definitions)."""

from collections import Counter, defaultdict

import pytest

from vafa.commerce.models import Purchase, WalkInSale
from vafa.commerce.services import walk_in_sale_record, walk_in_sale_refund
from vafa.insight.selectors import SideFigures, jalali_months, members_vs_non_members, tiers_compared
from vafa.insight.tests.dataset import NOW, build_club, tehran
from vafa.insight.tests.truth import counts, month_of, tiers_shown, tiers_truth
from vafa.program.models import MemberTier

pytestmark = pytest.mark.django_db


def _walk_ins(merchant) -> None:
    """Non-members: Aban 30 23:59:59 500,000; Azar 1 00:00:10 1,000,000; Azar 3 600,000 of which
    200,000 refunded; Azar 3 300,000 refunded in full; Azar 1404 700,000 (before the months)."""
    m = merchant.pk
    walk_in_sale_record(merchant_id=m, amount=500_000, occurred_at=tehran(2026, 11, 21, 23, 59, 59))
    walk_in_sale_record(merchant_id=m, amount=1_000_000, occurred_at=tehran(2026, 11, 22, 0, 0, 10))
    part = walk_in_sale_record(merchant_id=m, amount=600_000, occurred_at=tehran(2026, 11, 24, 10)).sale
    walk_in_sale_refund(merchant_id=m, sale_id=part.pk, amount=200_000)
    full = walk_in_sale_record(merchant_id=m, amount=300_000, occurred_at=tehran(2026, 11, 24, 11)).sale
    walk_in_sale_refund(merchant_id=m, sale_id=full.pk, amount=300_000)
    walk_in_sale_record(merchant_id=m, amount=700_000, occurred_at=tehran(2025, 12, 1, 12))


def _rows(compared):
    return {c.month.key: ((c.members.purchases, c.members.buyers, c.members.spend_rial, c.members.basket_rial,
                           c.members.frequency),
                          (c.non_members.purchases, c.non_members.spend_rial, c.non_members.basket_rial,
                           c.non_members.frequency))
            for c in compared.months}


def test_members_vs_non_members_per_month(merchant):
    build_club(merchant)
    _walk_ins(merchant)
    compared = members_vs_non_members(jalali_months(NOW))
    rows = _rows(compared)
    assert len(rows) == 12
    assert {k: v for k, v in rows.items() if v[0][0] or v[1][0]} == {
        "1405-02": ((1, 1, 2_000_000, 2_000_000, 1.0), (0, 0, None, None)),
        "1405-05": ((1, 1, 1_000_000, 1_000_000, 1.0), (0, 0, None, None)),
        # A twice; the sale of Aban 30 23:59:59 Tehran is Aban's
        "1405-08": ((2, 1, 3_000_000, 1_500_000, 2.0), (1, 500_000, 500_000, None)),
        # 1,000,000 and 600,000 less 200,000; the sale refunded in full is not counted
        "1405-09": ((4, 3, 26_500_000, 6_625_000, 4 / 3), (2, 1_400_000, 700_000, None)),
    }
    azar = compared.months[-1]
    assert azar.members_share == 26_500_000 / 27_900_000
    assert compared.months[0].members_share is None  # Dey 1404: nothing sold (Azar 1404's sale is before it)
    assert compared.members == SideFigures(purchases=8, buyers=None, spend_rial=32_500_000)
    assert compared.non_members == SideFigures(purchases=3, buyers=None, spend_rial=1_900_000)
    assert compared.non_members.basket_rial == 633_333 and compared.non_members.frequency is None


def test_members_vs_non_members_equal_the_rows_counted_one_by_one(merchant):
    build_club(merchant)
    _walk_ins(merchant)
    months = jalali_months(NOW)
    shown = {m.number for m in months}
    purchases, buyers, spend = Counter(), defaultdict(set), Counter()
    for p in Purchase.objects.all():
        month = month_of(p.occurred_at)
        if month in shown and counts(p):
            purchases[month] += 1
            buyers[month].add(p.member_id)
        if month in shown:
            spend[month] += p.amount - p.refunded_amount
    sales, sales_spend = Counter(), Counter()
    for s in WalkInSale.objects.all():
        month = month_of(s.occurred_at)
        if month in shown:
            sales[month] += not (s.amount > 0 and s.refunded_amount >= s.amount)
            sales_spend[month] += s.amount - s.refunded_amount
    for c in members_vs_non_members(months).months:
        n = c.month.number
        assert (c.members.purchases, c.members.buyers, c.members.spend_rial) == (
            purchases[n], len(buyers[n]), spend[n]), c.month.key
        assert (c.non_members.purchases, c.non_members.spend_rial) == (sales[n], sales_spend[n]), c.month.key


def test_no_sales_at_all_is_zeros_and_unknowns(merchant):
    compared = members_vs_non_members(jalali_months(NOW))
    assert all(c.members == SideFigures(0, 0, 0) and c.non_members == SideFigures(0, None, 0)
               for c in compared.months)
    assert all(c.members.basket_rial is None and c.members.frequency is None and c.members_share is None
               for c in compared.months)


def test_tiers_compared_over_the_months(merchant):
    build_club(merchant)
    _walk_ins(merchant)  # sales without a member belong to no tier
    rows = [(t.code, t.members, t.figures.buyers, t.figures.purchases, t.figures.spend_rial, t.figures.basket_rial,
             t.figures.frequency) for t in tiers_compared(jalali_months(NOW))]
    assert rows == [
        # D (a tier row without a tier), E, F and G: only G bought (Ordibehesht, Mordad, Azar);
        # D's Khordad purchase and F's were refunded in full, D's Azar 1404 is before the months
        ("", 4, 1, 3, 3_500_000, 1_166_666, 3.0),
        ("bronze", 0, 0, 0, 0, None, None),
        ("silver", 2, 2, 4, 4_000_000, 1_000_000, 2.0),  # A twice in Aban; B twice in Azar, one half refunded
        ("gold", 1, 1, 1, 25_000_000, 25_000_000, 1.0),
    ]


def test_tiers_compared_equal_the_rows_counted_one_by_one(merchant):
    build_club(merchant)
    months = jalali_months(NOW)
    shown = _tiers_shown(months)
    assert shown == tiers_truth(months, shown)


def _tiers_shown(months) -> dict:
    return tiers_shown(tiers_compared(months))


def test_tiers_compared_follow_tier_moves_and_purchases_dated_between_others(merchant):
    """The rollup counts a member under their tier as it is now: a move takes their months (all of
    them) to the new tier; a purchase dated before a member's other months in the run changes which
    of their months is the first (each buyer still counted once)."""
    from vafa.commerce.services import purchase_record
    from vafa.insight.rollups import rollups_rebuild
    from vafa.program.models import TierChange

    club = build_club(merchant)
    months = jalali_months(NOW)
    assert _tiers_shown(months)[club.tiers["gold"].pk] == (1, 1, 25_000_000)  # C, built here
    a, g = club.members["A"], club.members["G"]
    silver, gold = club.tiers["silver"], club.tiers["gold"]
    # A silver -> gold; G (no tier row) -> silver, the way a tier review moves them
    MemberTier.objects.filter(member=a).update(tier=gold)
    TierChange.objects.create(member=a, from_tier=silver, to_tier=gold, reason="test", changed_at=NOW)
    MemberTier.objects.create(member=g, tier=silver, since=NOW)
    TierChange.objects.create(member=g, from_tier=None, to_tier=silver, reason="test", changed_at=NOW)
    # A bought in Aban; now also in Farvardin 1405 and in Azar 1404 (before the months shown)
    for amount, at in [(700_000, tehran(2026, 4, 1, 12)), (900_000, tehran(2025, 12, 1, 12))]:
        purchase_record(merchant_id=merchant.pk, member_id=a.pk, amount=amount, occurred_at=at)
    shown = _tiers_shown(months)
    assert shown[gold.pk] == (2, 4, 28_700_000)  # C's 25,000,000, A's 3,000,000 in Aban and 700,000
    assert shown[silver.pk] == (2, 5, 4_500_000)  # B: 1,000,000 net in Azar; G: 3,500,000 across three months
    assert shown[None] == (0, 0, 0)
    assert shown == tiers_truth(months, shown)
    # shorter runs of months: the first month of each buyer in the run
    for start in range(len(months)):
        run = months[start:]
        assert _tiers_shown(run) == tiers_truth(run, shown), run[0].key
    rollups_rebuild()
    assert _tiers_shown(months) == shown
