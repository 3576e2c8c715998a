"""refund_record: a refund's share of the purchase reverses that share of the points earned and gives
back that share of the points spent, rounded so the last refund makes the totals exact; a reversal
the member already spent becomes a deficit that blocks redemptions until repaid."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from vafa.commerce.models import Purchase, Refund
from vafa.commerce.services import purchase_record, refund_record
from vafa.core.errors import InsufficientPoints, PurchaseNotFound, RefundExceedsPurchase, ValidationFailed
from vafa.core.jalali import add_months
from vafa.core.tests import fixtures
from vafa.core.tests.fixtures import assert_ledger_ok, balance
from vafa.ledger.models import Account, Lot, LotUse, Transfer
from vafa.ledger.selectors import member_points
from vafa.ledger.services import points_redeem
from vafa.merchants.services import merchant_create
from vafa.program.models import ProgramSettings

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


# --- helpers --------------------------------------------------------------------------------


def buy(merchant, member, amount, *, redeem_points=0, occurred_at=None):
    return purchase_record(
        merchant_id=merchant.pk,
        member_id=member.pk,
        amount=amount,
        redeem_points=redeem_points,
        occurred_at=occurred_at or timezone.now() - DAY,
    ).purchase


def refund(merchant, purchase, amount) -> Refund:
    return refund_record(merchant_id=merchant.pk, purchase_id=purchase.pk, amount=amount)


WRITES = (Account, Transfer, Lot, LotUse, Purchase, Refund)  # what a refund (or a purchase) may write


def refused(error, **kwargs):
    """Refund in its own transaction, as production does: the error rolls it back, and nothing changed."""
    with fixtures.refused(error, *WRITES, atomic=True) as caught:
        refund_record(**kwargs)
    return caught.value


@pytest.fixture
def earned_125(member, merchant):
    """A 1,250,000 IRR purchase that earned 125 points."""
    purchase = buy(merchant, member, 1_250_000)
    assert (purchase.points_earned, balance(member)) == (125, 125)
    return purchase


@pytest.fixture
def rich_member(member, merchant):
    """A member holding 1000 points."""
    buy(merchant, member, 10_000_000, occurred_at=timezone.now() - 2 * DAY)
    return member


# --- reversing earned points ----------------------------------------------------------------------


def test_refunds_in_three_parts_reverse_exactly_what_was_earned(member, merchant, earned_125):
    purchase = earned_125
    earn = Transfer.objects.get(kind="earn", source_id=purchase.pk)
    # When the purchase is refunded 33%, 33%, then the rest
    refunds = [refund(merchant, purchase, amount) for amount in (412_500, 412_500, 425_000)]
    # Then 41.25 -> 41, 82.5 -> 82 (41 more), and the last refund reverses the remaining 43
    assert [(r.amount, r.points_reversed, r.points_returned, r.balance_after) for r in refunds] == [
        (412_500, 41, 0, 84),
        (412_500, 41, 0, 43),
        (425_000, 43, 0, 0),
    ]
    stored = Purchase.objects.get(pk=purchase.pk)
    assert (stored.refunded_amount, stored.points_reversed, stored.points_returned) == (1_250_000, 125, 0)
    assert balance(member) == 0
    # And each reversal is a transfer back to the issuer, naming the earn it reverses
    reversals = list(Transfer.objects.filter(kind="refund_reversal").order_by("id"))
    assert [
        (t.amount, t.debit.member_id, t.credit.code, t.reverses_id, t.rule, t.source_kind, t.source_id)
        for t in reversals
    ] == [
        (41, member.pk, f"issued:{merchant.pk}", earn.pk, "base", "purchase", purchase.pk),
        (41, member.pk, f"issued:{merchant.pk}", earn.pk, "base", "purchase", purchase.pk),
        (43, member.pk, f"issued:{merchant.pk}", earn.pk, "base", "purchase", purchase.pk),
    ]
    assert reversals[0].memo == "refund of 412500 IRR"
    assert Lot.objects.get(transfer=earn).remaining == 0
    assert_ledger_ok()


@pytest.mark.parametrize(
    ("parts", "reversed_each"),
    [
        ([1, 1, 1_249_998], [0, 0, 125]),  # tiny refunds round down to nothing; the last is exact
        ([625_000, 625_000], [62, 63]),
        ([1_250_000], [125]),
        ([9_999, 1, 10_000, 1_230_000], [0, 1, 1, 123]),
    ],
)
def test_cumulative_rounding_makes_the_last_refund_exact(member, merchant, earned_125, parts, reversed_each):
    refunds = [refund(merchant, earned_125, amount) for amount in parts]
    assert [r.points_reversed for r in refunds] == reversed_each
    assert sum(reversed_each) == 125
    assert balance(member) == 0
    assert Transfer.objects.filter(kind="refund_reversal").count() == sum(1 for n in reversed_each if n)
    assert_ledger_ok()


def test_a_refund_reverses_points_from_the_purchase_own_lot_first(member, merchant, earned_125):
    # Given an older lot that expires before the purchase's one
    older = buy(merchant, member, 500_000, occurred_at=timezone.now() - 30 * DAY)
    older_lot = Lot.objects.get(transfer__source_id=older.pk)
    own_lot = Lot.objects.get(transfer__source_id=earned_125.pk)
    # When part of the purchase is refunded, Then its own earn lot gives the points back
    refund(merchant, earned_125, 625_000)
    assert [Lot.objects.get(pk=lot.pk).remaining for lot in (older_lot, own_lot)] == [50, 63]
    assert_ledger_ok()


def test_a_refund_of_pending_points_takes_them_back(member, merchant):
    ProgramSettings.objects.update_or_create(pk=1, defaults={"pending_days": 14})
    purchase = buy(merchant, member, 2_000_000)
    assert member_points(member_id=member.pk).pending == 200
    r = refund(merchant, purchase, 2_000_000)
    assert (r.points_reversed, r.balance_after) == (200, 0)
    summary = member_points(member_id=member.pk)
    assert (summary.balance, summary.pending, summary.deficit) == (0, 0, 0)
    assert_ledger_ok()


def test_refunding_a_purchase_that_earned_nothing(member, merchant):
    purchase = buy(merchant, member, 5_000)
    before = Transfer.objects.count()
    r = refund(merchant, purchase, 5_000)
    assert (r.points_reversed, r.points_returned, r.balance_after) == (0, 0, 0)
    assert Transfer.objects.count() == before
    assert Purchase.objects.get(pk=purchase.pk).refunded_amount == 5_000


# --- giving back spent points ------------------------------------------------------------------


def test_spent_points_are_given_back_in_the_same_proportion(rich_member, merchant):
    # Given a 1,000,000 IRR purchase that spent 300 points (30,000 IRR off) and earned 97
    purchase = buy(merchant, rich_member, 1_000_000, redeem_points=300)
    assert (purchase.points_redeemed, purchase.points_earned, purchase.balance_after) == (300, 97, 797)
    redeem = Transfer.objects.get(kind="redeem", source_id=purchase.pk)
    # When half of it is refunded
    before = timezone.now()
    half = refund(merchant, purchase, 500_000)
    after = timezone.now()
    # Then half the earned points are reversed (48.5 -> 48) and half the spent ones given back
    assert (half.points_reversed, half.points_returned, half.balance_after) == (48, 150, 899)
    given = Transfer.objects.get(kind="refund_reversal", credit__member=rich_member)
    assert (given.amount, given.debit.code, given.reverses_id, given.source_id) == (
        150,
        f"redeemed:{merchant.pk}",
        redeem.pk,
        purchase.pk,
    )
    # ... to the lot they were spent from, which keeps its expiry: no new lot is made
    spent_from = LotUse.objects.get(transfer=redeem)
    assert spent_from.points == 300
    assert list(LotUse.objects.filter(transfer=given).values_list("lot_id", "points")) == [(spent_from.lot_id, -150)]
    assert not Lot.objects.filter(transfer=given).exists()
    lot = Lot.objects.get(pk=spent_from.lot_id)
    assert (lot.amount, lot.remaining) == (1000, 850)
    assert lot.expires_at < add_months(before, 12)
    assert after > before
    # When the other half is refunded, Then everything is back as before the purchase
    rest = refund(merchant, purchase, 500_000)
    assert (rest.points_reversed, rest.points_returned, rest.balance_after) == (49, 150, 1000)
    stored = Purchase.objects.get(pk=purchase.pk)
    assert (stored.refunded_amount, stored.points_reversed, stored.points_returned) == (1_000_000, 97, 300)
    assert balance(rich_member) == 1000
    assert_ledger_ok()


def test_given_back_points_round_so_the_last_refund_is_exact(rich_member, merchant):
    # 333 points spent (33,300 IRR), 96 earned on the remaining 966,700
    purchase = buy(merchant, rich_member, 1_000_000, redeem_points=333)
    assert (purchase.points_earned, purchase.balance_after) == (96, 763)
    refunds = [refund(merchant, purchase, amount) for amount in (333_333, 333_333, 333_333, 1)]
    assert [(r.points_reversed, r.points_returned) for r in refunds] == [(31, 110), (32, 111), (32, 111), (1, 1)]
    assert [r.balance_after for r in refunds] == [842, 921, 1000, 1000]
    assert_ledger_ok()


def test_given_back_points_keep_the_expiry_of_the_lots_they_came_from(member, merchant):
    # Given 100 points expiring in 2 months and 100 expiring in 11, and a purchase spending 150
    now = timezone.now()
    old = buy(merchant, member, 1_000_000, occurred_at=add_months(now, -10))
    new = buy(merchant, member, 1_000_000, occurred_at=add_months(now, -1))
    old_lot, new_lot = (Lot.objects.get(transfer__source_id=p.pk, transfer__kind="earn") for p in (old, new))
    purchase = buy(merchant, member, 15_000, redeem_points=150, occurred_at=now)
    assert purchase.points_earned == 0
    assert (Lot.objects.get(pk=old_lot.pk).remaining, Lot.objects.get(pk=new_lot.pk).remaining) == (0, 50)
    # When a third of it is refunded, Then 50 points come back to the later lot first
    r = refund(merchant, purchase, 5_000)
    assert (r.points_returned, r.balance_after) == (50, 100)
    assert (Lot.objects.get(pk=old_lot.pk).remaining, Lot.objects.get(pk=new_lot.pk).remaining) == (0, 100)
    # When the rest is, Then the earlier lot gets its 100 back, with its old expiry
    r = refund(merchant, purchase, 10_000)
    assert (r.points_returned, r.balance_after) == (100, 200)
    restored = Lot.objects.get(pk=old_lot.pk)
    assert (restored.remaining, restored.expires_at) == (100, old_lot.expires_at)
    assert Lot.objects.filter(account__member=member).count() == 2
    assert member_points(member_id=member.pk).expiring[0]["expires_at"] == old_lot.expires_at
    assert_ledger_ok()


def test_given_back_points_that_expired_meanwhile_stay_expired(member, merchant):
    # Given 100 points spent, whose lot then expired
    earned = buy(merchant, member, 1_000_000)
    lot = Lot.objects.get(transfer__source_id=earned.pk)
    purchase = buy(merchant, member, 10_000, redeem_points=100)
    assert (purchase.points_redeemed, balance(member)) == (100, 0)
    with fixtures.ledger_unguarded():  # as if a year had passed
        Lot.objects.filter(pk=lot.pk).update(expires_at=timezone.now() - DAY)
    # When the purchase is refunded
    r = refund(merchant, purchase, 10_000)
    # Then the 100 points come back to the lot and expire at once: the balance stays 0
    assert (r.points_returned, r.balance_after) == (100, 0)
    stored = Lot.objects.get(pk=lot.pk)
    assert (stored.remaining, stored.expired) == (0, 100)
    expiry = Transfer.objects.get(kind="expire", debit__member=member)
    assert (expiry.amount, expiry.debit.member_id) == (100, member.pk)
    assert_ledger_ok()


def test_a_purchase_from_before_lot_tracking_gets_a_fresh_lot(rich_member, merchant):
    purchase = buy(merchant, rich_member, 1_000_000, redeem_points=300)
    with fixtures.ledger_unguarded(), connection.cursor() as cursor:  # as a database from before 0007
        cursor.execute("DELETE FROM ledger_lotuse")
    before = timezone.now()
    r = refund(merchant, purchase, 1_000_000)
    assert (r.points_returned, r.balance_after) == (300, 1000)
    given = Transfer.objects.get(kind="refund_reversal", credit__member=rich_member)
    lot = Lot.objects.get(transfer=given)
    assert (lot.amount, lot.remaining) == (300, 300)
    assert add_months(before, 12) <= lot.expires_at <= add_months(timezone.now(), 12)


def test_a_redemption_across_two_issuers_is_given_back_to_each(member, merchant):
    partner = merchant_create(name="Partner shop")
    buy(merchant, member, 1_000_000, occurred_at=timezone.now() - 3 * DAY)
    buy(partner, member, 1_000_000, occurred_at=timezone.now() - 2 * DAY)
    purchase = buy(merchant, member, 15_000, redeem_points=150)
    redeems = {t.issuer_id: t.amount for t in Transfer.objects.filter(kind="redeem", source_id=purchase.pk)}
    assert redeems == {merchant.pk: 100, partner.pk: 50}
    refund(merchant, purchase, 15_000)
    given = {t.issuer_id: t.amount for t in Transfer.objects.filter(kind="refund_reversal", credit__member=member)}
    assert given == {merchant.pk: 100, partner.pk: 50}
    assert sorted(Lot.objects.filter(account__member=member).values_list("remaining", flat=True)) == [100, 100]
    assert_ledger_ok()


# --- refusals ----------------------------------------------------------------------------------


def test_a_refund_larger_than_what_remains_is_refused_and_changes_nothing(member, merchant, earned_125):
    purchase = earned_125
    error = refused(RefundExceedsPurchase, merchant_id=merchant.pk, purchase_id=purchase.pk, amount=1_250_001)
    assert (error.code, error.details) == ("refund_exceeds_purchase", {"refundable": 1_250_000, "requested": 1_250_001})
    # After a refund of 1,000,000, only 250,000 remain refundable
    refund(merchant, purchase, 1_000_000)
    error = refused(RefundExceedsPurchase, merchant_id=merchant.pk, purchase_id=purchase.pk, amount=250_001)
    assert error.details == {"refundable": 250_000, "requested": 250_001}
    refund(merchant, purchase, 250_000)
    # And nothing is left once it is all refunded
    error = refused(RefundExceedsPurchase, merchant_id=merchant.pk, purchase_id=purchase.pk, amount=1)
    assert error.details == {"refundable": 0, "requested": 1}
    assert balance(member) == 0
    assert_ledger_ok()


@pytest.mark.parametrize("amount", [0, -1, True, 1.5, "1000", None, 10**15 + 1])
def test_an_invalid_refund_amount_is_refused(merchant, earned_125, amount):
    error = refused(ValidationFailed, merchant_id=merchant.pk, purchase_id=earned_125.pk, amount=amount)
    assert error.code == "validation_error"


def test_another_merchants_purchase_is_not_found(merchant, earned_125):
    other = merchant_create(name="فروشگاه دوم")
    error = refused(PurchaseNotFound, merchant_id=other.pk, purchase_id=earned_125.pk, amount=1000)
    assert (error.code, error.details) == ("purchase_not_found", {"id": earned_125.pk})


@pytest.mark.parametrize(
    "purchase_id", ["abc", "", " ", None, -1, 0, "0", "1.5", "1e3", 2**63, "9" * 40, 987654, "987654", [1], {"id": 1}]
)
def test_unknown_or_garbage_purchase_ids_are_not_found(merchant, earned_125, purchase_id):
    error = refused(PurchaseNotFound, merchant_id=merchant.pk, purchase_id=purchase_id, amount=1000)
    assert error.code == "purchase_not_found"


def test_the_purchase_id_may_be_given_as_text(merchant, earned_125):
    r = refund_record(merchant_id=merchant.pk, purchase_id=str(earned_125.pk), amount=1_250_000)
    assert r.points_reversed == 125


# --- deficits -----------------------------------------------------------------------------------


def test_spent_then_refunded_points_become_a_deficit_that_blocks_redemption(member, merchant, earned_125):
    # Given a member who spent the 125 points a purchase earned
    points_redeem(member_id=member.pk, points=125, merchant_id=merchant.pk)
    # When the purchase is refunded in full
    r = refund(merchant, earned_125, 1_250_000)
    # Then the member owes 125 points
    assert (r.points_reversed, r.balance_after) == (125, -125)
    summary = member_points(member_id=member.pk)
    assert (summary.balance, summary.available, summary.pending, summary.deficit) == (-125, -125, 0, 125)
    debt = Lot.objects.get(account__member=member, remaining__lt=0)
    assert (debt.amount, debt.remaining, debt.transfer.kind) == (0, -125, "refund_reversal")
    assert_ledger_ok()
    # And redemptions are refused, changing nothing
    with fixtures.refused(InsufficientPoints, *WRITES, atomic=True) as caught:
        points_redeem(member_id=member.pk, points=1, merchant_id=merchant.pk)
    assert caught.value.details == {"requested": 1, "available": 0, "deficit": 125}
    with fixtures.refused(InsufficientPoints, *WRITES, atomic=True):
        buy(merchant, member, 1_000_000, redeem_points=10)
    # When a later purchase earns 200, Then 125 repay the deficit and 75 are the member's
    later = buy(merchant, member, 2_000_000)
    assert (later.points_earned, later.balance_after) == (200, 75)
    lot = Lot.objects.get(transfer__source_id=later.pk, transfer__kind="earn")
    assert (lot.amount, lot.remaining) == (200, 75)
    assert Lot.objects.get(pk=debt.pk).remaining == 0
    summary = member_points(member_id=member.pk)
    assert (summary.balance, summary.available, summary.deficit) == (75, 75, 0)
    assert_ledger_ok()
    # And the 75 can be spent again
    assert points_redeem(member_id=member.pk, points=75, merchant_id=merchant.pk).balance_after == 0
    assert_ledger_ok()


def test_a_partly_spent_purchase_refunded_takes_what_is_left_then_owes_the_rest(member, merchant, earned_125):
    points_redeem(member_id=member.pk, points=100, merchant_id=merchant.pk)
    r = refund(merchant, earned_125, 1_250_000)
    assert (r.points_reversed, r.balance_after) == (125, -100)
    reversals = sorted(Transfer.objects.filter(kind="refund_reversal").values_list("amount", flat=True))
    assert reversals == [25, 100]
    assert member_points(member_id=member.pk).deficit == 100
    # A small purchase repays part of the deficit only
    small = buy(merchant, member, 400_000)
    assert (small.points_earned, small.balance_after) == (40, -60)
    assert member_points(member_id=member.pk).deficit == 60
    assert Lot.objects.get(transfer__source_id=small.pk, transfer__kind="earn").remaining == 0
    assert_ledger_ok()


def test_points_given_back_repay_a_deficit_made_by_the_same_refund(rich_member, merchant):
    # Given a purchase that spent 300 and earned 97, and a member who then spent everything
    purchase = buy(merchant, rich_member, 1_000_000, redeem_points=300)
    points_redeem(member_id=rich_member.pk, points=797, merchant_id=merchant.pk)
    assert balance(rich_member) == 0
    # When it is refunded in full, Then 97 are owed and 300 given back: 203 remain
    r = refund(merchant, purchase, 1_000_000)
    assert (r.points_reversed, r.points_returned, r.balance_after) == (97, 300, 203)
    summary = member_points(member_id=rich_member.pk)
    assert (summary.balance, summary.available, summary.deficit) == (203, 203, 0)
    assert_ledger_ok()


# --- known bugs ---------------------------------------------------------------------------------


def test_a_refund_does_not_claw_back_points_that_already_expired(member, merchant):
    # Given a purchase whose 125 points expired (and the expiry job ran)
    from vafa.ledger.services import points_expire

    now = timezone.now()
    purchase = buy(merchant, member, 1_250_000, occurred_at=now - 400 * DAY)
    assert points_expire(now=now).points == 125
    assert balance(member) == 0
    # When the purchase is refunded, Then the member does not owe the points the club already took back
    r = refund(merchant, purchase, 1_250_000)
    assert r.balance_after == 0
    assert member_points(member_id=member.pk).deficit == 0
    assert_ledger_ok()


def test_a_refund_between_expiry_and_the_expiry_run_keeps_the_ledger_consistent(member, merchant):
    # Given a purchase whose 125 points expired a month ago, the expiry run not having come yet
    now = timezone.now()
    purchase = buy(merchant, member, 1_250_000, occurred_at=now - 400 * DAY)
    assert (balance(member), member_points(member_id=member.pk).available) == (125, 0)
    # When it is refunded in full, Then every invariant still holds
    refund(merchant, purchase, 1_250_000)
    assert_ledger_ok()
