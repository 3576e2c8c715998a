"""Past purchases recorded in bulk (vafa.commerce.history, for `vafa import`) leave exactly what
`purchase_record` leaves one by one: the same points and lines, the same transfers and lots with
the same availability and expiry, the same balances; members and programs the bulk path does not
take are answered for the one-by-one path."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from vafa.commerce.models import Purchase
from vafa.commerce.services import ItemIn, PastPurchase, purchase_fingerprint, purchase_record, purchases_record_past
from vafa.ledger.models import Account, Lot, Transfer
from vafa.ledger.selectors import verify_ledger
from vafa.members.services import member_create
from vafa.program.services import rule_create

pytestmark = pytest.mark.django_db
TEHRAN = ZoneInfo("Asia/Tehran")
HISTORY = [  # (day, amount, items)
    (dt.datetime(2024, 3, 1, 12, tzinfo=TEHRAN), 1_200_000, [ItemIn(sku="B1", quantity=2, unit_price=600_000,
                                                                    category="books")]),
    (dt.datetime(2024, 3, 9, 18, tzinfo=TEHRAN), 350_000, []),
    (dt.datetime(2024, 7, 2, 9, tzinfo=TEHRAN), 2_000_000, [ItemIn(sku="T1", quantity=1, unit_price=2_000_000,
                                                                   category="toys")]),
    (dt.datetime(2025, 1, 20, 12, tzinfo=TEHRAN), 90_000, []),
]


@pytest.fixture
def program(merchant):
    rule_create(data={"name": "Books double", "status": "live", "conditions": {"categories": ["books"]},
                      "effect": {"type": "multiplier", "percent": 200}, "pending_days": 7, "expiry_months": 3})
    rule_create(data={"name": "Second visit", "status": "live", "conditions": {"nth_purchase": [2]},
                      "effect": {"type": "fixed_points", "points": 40}})
    return merchant


def _past(member, n, when, amount, items):
    return PastPurchase(member_id=member.pk, external_id=f"{member.pk}-{n}", amount=amount, occurred_at=when,
                        items=tuple(items), branch_id=None, branch=None,
                        fingerprint=purchase_fingerprint(member_ref=str(member.pk), amount=amount, tax=0, shipping=0,
                                                         redeem_points=0, items=items, occurred_at=when, branch=None))


def _ledger_of(member):
    account = Account.objects.get(member=member)
    purchases = [(p.amount, p.points_earned, p.balance_after,
                  [(line["rule_id"], line["points"]) for line in p.applied_rules])
                 for p in Purchase.objects.filter(member=member).order_by("occurred_at")]
    transfers = sorted((t.kind, t.amount, t.rule) for t in Transfer.objects.filter(credit=account))
    lots = sorted((lot.amount, lot.remaining, lot.available_at, lot.expires_at)
                  for lot in Lot.objects.filter(account=account))
    return account.balance, purchases, transfers, lots


def test_the_bulk_path_leaves_what_purchase_record_leaves(program):
    one, other = member_create(phone="09121000001"), member_create(phone="09121000002")
    for n, (when, amount, items) in enumerate(HISTORY):
        purchase_record(merchant_id=program.pk, member_id=one.pk, external_id=f"one-{n}", amount=amount,
                        occurred_at=when, items=items)

    left = purchases_record_past(merchant_id=program.pk, earns=True,
                                 purchases=[_past(other, n, *entry) for n, entry in enumerate(HISTORY)])

    assert left == []
    assert _ledger_of(other) == _ledger_of(one)
    balance, purchases, _transfers, _lots = _ledger_of(other)
    # 120 base + 120 books doubled; 35 + 40 for the second visit; 200; 9.
    assert [p[1] for p in purchases] == [240, 75, 200, 9]
    assert balance == 524
    assert all(not problems for _, problems in verify_ledger())


def test_without_points_only_the_purchases_are_written(program):
    member = member_create(phone="09121000003")

    purchases_record_past(merchant_id=program.pk, earns=False,
                          purchases=[_past(member, n, *entry) for n, entry in enumerate(HISTORY)])

    assert list(Purchase.objects.order_by("occurred_at").values_list("points_earned", "applied_rules")) == [
        (0, [])] * 4
    assert Transfer.objects.count() == 0
    assert Account.objects.get(member=member).balance == 0


def test_members_and_programs_the_bulk_path_does_not_take_are_left_for_one_by_one(program):
    plain, blocked = member_create(phone="09121000004"), member_create(phone="09121000005", status="blocked")
    referrer = member_create(phone="09121000006")
    referred = member_create(phone="09121000007", referral_code=referrer.referral_code)
    when, amount, items = HISTORY[1]
    purchases = [_past(m, 0, when, amount, items) for m in (plain, blocked, referred)]

    left = purchases_record_past(merchant_id=program.pk, earns=True, purchases=purchases)

    assert [p.member_id for p in left] == [blocked.pk, referred.pk]
    assert list(Purchase.objects.values_list("member_id", flat=True)) == [plain.pk]

    rule_create(data={"name": "Capped", "status": "live", "effect": {"type": "fixed_points", "points": 5},
                      "caps": {"per_member_day": 5}})
    again = [_past(plain, 1, *HISTORY[2])]
    assert purchases_record_past(merchant_id=program.pk, earns=True, purchases=again) == again
