"""A small club with a known history across the Aban/Azar 1405 boundary, for exact figures.

Everything is recorded through the services, then moved to the moment it "happened": a
service books at the real clock, so `booked_at(moment)` re-dates the ledger rows (and the
redemptions) written inside it. Times are Tehran wall-clock times.

NOW is 4 Azar 1405 (2026-11-25) noon; the 12 Jalali months shown are Dey 1404 .. Azar 1405.

member  joined (Jalali month)    what happens
A       1405-08-15 (Aban)        buys 1,000,000 (+100) and 2,000,000 on Aban 30 23:59 (+200); redeems Coffee (-100)
B       1405-08-30 23:59 (Aban)  buys 500,000 on Azar 1 00:00:30 (+50); adjusted -20; buys 1,000,000 spending 30
                                 (-30, +99); half refunded (-49 clawed back, +15 given back)
C       1405-09-01 00:01 (Azar)  buys 25,000,000 (+2,500); redeems Coffee (-100) and Cinema (-500)
D       1404-03-11 (Khordad)     buys 300,000 in Khordad 1405 (+30), refunded in full (-30); adjusted +40 that
                                 expires in Shahrivar (-40); bought 400,000 in Azar 1404 (+40, before the months)
E       1405-09-02 (Azar)        nothing but a Cinema given free by a rule
F       1405-07-09 (Mehr)        buys 1,000,000 (+100), redeems Coffee (-100), refunded in full (-100: deficit 100)
G       1405-09-03 09:00 (Azar)  imported history, booked on Azar 3 20:00: bought 2,000,000 on 1405-02-15
                                 (Ordibehesht, +200) and 1,000,000 on 1405-05-19 (Mordad, +100); then buys 500,000
                                 on Azar 3 21:00 (+50)

Figures count by when things happened: G's imported points belong to Ordibehesht and Mordad, not
to Azar when they were booked.

Tiers (set at the end): A and B silver, C gold, D a tier row without a tier; bronze has no one.
Tier history (TierChange rows, up when the rank rises; no tier is rank 0): D silver -> none in
Khordad (down); B none -> gold in Mehr (up); A none -> silver in Aban (up); C none -> silver and
silver -> gold in Azar (two up), B gold -> silver in Azar (down).
RFM scores (MemberScore, r/f/m): A 5/4/4, B 5/4/2, C 4/1/5, D 1/1/1, G 3/3/4; E and F none.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from vafa.commerce.services import purchase_record, refund_record
from vafa.core.jalali import TEHRAN
from vafa.core.tests.fixtures import ledger_unguarded
from vafa.ledger.models import Transfer
from vafa.ledger.services import points_adjust, points_expire
from vafa.members.models import MemberScore
from vafa.members.services import member_create
from vafa.program.catalog import reward_create
from vafa.program.models import MemberTier, Tier, TierChange
from vafa.program.rules import tier_create
from vafa.rewards.models import Redemption
from vafa.rewards.services import reward_redeem


def tehran(*args) -> datetime:
    return datetime(*args, tzinfo=TEHRAN)


NOW = tehran(2026, 11, 25, 12, 0)
SCORED_AT = tehran(2026, 11, 25, 3, 30)


@contextmanager
def booked_at(moment: datetime):
    """Whatever the block books happened at `moment`."""
    last_transfer = Transfer.objects.order_by("-id").values_list("id", flat=True).first() or 0
    last_redemption = Redemption.objects.order_by("-id").values_list("id", flat=True).first() or 0
    yield
    with ledger_unguarded():  # transfers are immutable, except to a data set that re-dates its history
        Transfer.objects.filter(id__gt=last_transfer).update(created_at=moment)
    Redemption.objects.filter(id__gt=last_redemption).update(created_at=moment)


@dataclass
class Club:
    members: dict
    rewards: dict
    tiers: dict


def build_club(merchant) -> Club:
    m = merchant.pk

    def join(name: str, phone: str, at: datetime):
        return member_create(phone=phone, first_name=name, joined_at=at)

    def buy(member, amount: int, at: datetime, redeem: int = 0):
        with booked_at(at):
            return purchase_record(merchant_id=m, member_id=member.pk, amount=amount, occurred_at=at,
                                   redeem_points=redeem).purchase

    def refund(purchase, amount: int, at: datetime):
        with booked_at(at):
            refund_record(merchant_id=m, purchase_id=purchase.pk, amount=amount)

    def adjust(member, points: int, at: datetime, expires_at=None):
        with booked_at(at):
            points_adjust(member_id=member.pk, points=points, reason="correction", merchant_id=m,
                          expires_at=expires_at)

    def redeem(member, reward, at: datetime, free: bool = False):
        with booked_at(at):
            reward_redeem(member_id=member.pk, reward_id=reward.pk, merchant_id=m, free=free)

    a = join("A", "09120000001", tehran(2026, 11, 6, 10, 0))
    b = join("B", "09120000002", tehran(2026, 11, 21, 23, 59))
    c = join("C", "09120000003", tehran(2026, 11, 22, 0, 1))
    d = join("D", "09120000004", tehran(2025, 6, 1, 9, 0))
    e = join("E", "09120000005", tehran(2026, 11, 23, 9, 0))
    f = join("F", "09120000006", tehran(2026, 10, 1, 9, 0))
    g = join("G", "09120000007", tehran(2026, 11, 24, 9, 0))
    coffee = reward_create(name="Coffee", kind="non_material", cost_points=100)
    cinema = reward_create(name="Cinema", kind="non_material", cost_points=500)

    # D in Khordad and Shahrivar 1405, and once before the months shown
    bought = buy(d, 300_000, tehran(2026, 6, 1, 12, 0))
    refund(bought, 300_000, tehran(2026, 6, 10, 12, 0))
    adjust(d, 40, tehran(2026, 6, 5, 12, 0), expires_at=tehran(2026, 9, 1, 0, 0))
    points_expire(now=tehran(2026, 9, 2, 3, 0))
    buy(d, 400_000, tehran(2025, 12, 10, 12, 0))
    # F in Mehr: ends in a deficit
    bought = buy(f, 1_000_000, tehran(2026, 10, 5, 12, 0))
    redeem(f, coffee, tehran(2026, 10, 6, 12, 0))
    refund(bought, 1_000_000, tehran(2026, 10, 7, 12, 0))
    # A in Aban, the second purchase one minute before Azar begins
    buy(a, 1_000_000, tehran(2026, 11, 10, 12, 0))
    buy(a, 2_000_000, tehran(2026, 11, 21, 23, 59))
    # Azar 1405
    buy(b, 500_000, tehran(2026, 11, 22, 0, 0, 30))
    buy(c, 25_000_000, tehran(2026, 11, 23, 12, 0))
    adjust(b, -20, tehran(2026, 11, 23, 13, 0))
    redeem(a, coffee, tehran(2026, 11, 24, 10, 0))
    redeem(c, coffee, tehran(2026, 11, 24, 10, 5))
    redeem(c, cinema, tehran(2026, 11, 24, 10, 10))
    redeem(e, cinema, tehran(2026, 11, 24, 10, 15), free=True)
    bought = buy(b, 1_000_000, tehran(2026, 11, 24, 11, 0), redeem=30)
    refund(bought, 500_000, tehran(2026, 11, 24, 18, 0))
    # G's history, imported on Azar 3 after joining that morning, then a purchase that evening
    imported = tehran(2026, 11, 24, 20, 0)
    for amount, at in [(2_000_000, tehran(2026, 5, 5, 12, 0)), (1_000_000, tehran(2026, 8, 10, 12, 0))]:
        with booked_at(imported):
            purchase_record(merchant_id=m, member_id=g.pk, amount=amount, occurred_at=at)
    buy(g, 500_000, tehran(2026, 11, 24, 21, 0))

    tiers = {
        "bronze": tier_create(data={"code": "bronze", "name": "Bronze", "rank": 1, "color": "#a0522d",
                                    "qualify": {"by": "purchases", "threshold": 100}}),
        "silver": tier_create(data={"code": "silver", "name": "Silver", "rank": 2, "color": "#708090",
                                    "qualify": {"by": "purchases", "threshold": 200}}),
        "gold": tier_create(data={"code": "gold", "name": "Gold", "rank": 3, "color": "#b8860b",
                                  "qualify": {"by": "purchases", "threshold": 300}}),
    }
    MemberTier.objects.filter(member__in=[a, b, c, d, e, f, g]).delete()
    TierChange.objects.filter(member__in=[a, b, c, d, e, f, g]).delete()
    for member, tier in [(a, tiers["silver"]), (b, tiers["silver"]), (c, tiers["gold"]), (d, None)]:
        MemberTier.objects.create(member=member, tier=tier, since=NOW)
    silver, gold = tiers["silver"], tiers["gold"]
    for member, was, now, at in [(d, silver, None, tehran(2026, 6, 15, 12, 0)),
                                 (b, None, gold, tehran(2026, 10, 20, 12, 0)),
                                 (a, None, silver, tehran(2026, 11, 10, 12, 0)),
                                 (c, None, silver, tehran(2026, 11, 23, 12, 0)),
                                 (c, silver, gold, tehran(2026, 11, 23, 12, 1)),
                                 (b, gold, silver, tehran(2026, 11, 24, 3, 0))]:
        TierChange.objects.create(member=member, from_tier=was, to_tier=now, reason="history", changed_at=at)
    for member, (r, f_, m_) in [(a, (5, 4, 4)), (b, (5, 4, 2)), (c, (4, 1, 5)), (d, (1, 1, 1)), (g, (3, 3, 4))]:
        MemberScore.objects.create(member=member, rfm_r=r, rfm_f=f_, rfm_m=m_, scored_at=SCORED_AT)
    assert Tier.objects.count() == 3
    return Club(members={"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g},
                rewards={"coffee": coffee, "cinema": cinema}, tiers=tiers)
