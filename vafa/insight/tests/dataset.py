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

Tiers (set at the end): A and B silver, C gold, D a tier row without a tier; bronze has no one.
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
from vafa.members.services import member_create
from vafa.program.catalog import reward_create
from vafa.program.models import MemberTier, Tier
from vafa.program.rules import tier_create
from vafa.rewards.models import Redemption
from vafa.rewards.services import reward_redeem


def tehran(*args) -> datetime:
    return datetime(*args, tzinfo=TEHRAN)


NOW = tehran(2026, 11, 25, 12, 0)


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

    tiers = {
        "bronze": tier_create(data={"code": "bronze", "name": "Bronze", "rank": 1, "color": "#a0522d",
                                    "qualify": {"by": "purchases", "threshold": 100}}),
        "silver": tier_create(data={"code": "silver", "name": "Silver", "rank": 2, "color": "#708090",
                                    "qualify": {"by": "purchases", "threshold": 200}}),
        "gold": tier_create(data={"code": "gold", "name": "Gold", "rank": 3, "color": "#b8860b",
                                  "qualify": {"by": "purchases", "threshold": 300}}),
    }
    MemberTier.objects.filter(member__in=[a, b, c, d, e, f]).delete()
    for member, tier in [(a, tiers["silver"]), (b, tiers["silver"]), (c, tiers["gold"]), (d, None)]:
        MemberTier.objects.create(member=member, tier=tier, since=NOW)
    assert Tier.objects.count() == 3
    return Club(members={"A": a, "B": b, "C": c, "D": d, "E": e, "F": f},
                rewards={"coffee": coffee, "cinema": cinema}, tiers=tiers)
