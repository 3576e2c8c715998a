"""The member's book and the ledger services: FIFO redemption, pending points, adjustments,
expiry, coalition settlement, and the invariant checks (which must also catch corrupted data)."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from vafa.core.errors import InsufficientPoints, MemberBlocked, MemberNotFound, MemberPending, ValidationFailed
from vafa.core.tests import fixtures
from vafa.core.tests.fixtures import assert_ledger_ok, balance, ledger_problems, ledger_unguarded, unchanged
from vafa.ledger.accounts import system_account_id
from vafa.ledger.book import book_open
from vafa.ledger.checks import verify_ledger
from vafa.ledger.models import Account, Lot, Transfer
from vafa.ledger.selectors import member_points
from vafa.ledger.services import ExpiryRun, points_adjust, points_expire, points_redeem
from vafa.members.services import member_status_set
from vafa.merchants.services import merchant_create

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
DAY = timedelta(days=1)


# --- helpers --------------------------------------------------------------------------------


def credit(
    member, points, *, merchant, expires_at=None, available_at=None, now=None, kind="earn", source=("", None), rule=""
) -> Lot:
    """Give a member a lot of points issued by `merchant`, through the book (as a purchase does)."""
    with transaction.atomic():
        book = book_open(member_id=member.pk)
        if now is not None:
            book.now = now
        t = book.credit(
            points,
            kind=kind,
            from_account_id=system_account_id("issued", merchant.pk),
            merchant_id=merchant.pk,
            available_at=available_at,
            expires_at=expires_at,
            source=source,
            rule=rule,
        )
        book.flush()
    return Lot.objects.get(transfer_id=t.pk)


def claw_back(member, points, *, merchant) -> list[Transfer]:
    """What a refund does with earned points the member may already have spent."""
    with transaction.atomic():
        book = book_open(member_id=member.pk)
        transfers = book.debit(
            points,
            kind="refund_reversal",
            merchant_id=merchant.pk,
            to_account_id=system_account_id("issued", merchant.pk),
            include_pending=True,
            allow_deficit=True,
        )
        book.flush()
    return transfers


def remaining(*lots) -> list[int]:
    return [Lot.objects.get(pk=lot.pk).remaining for lot in lots]


LEDGER = (Account, Transfer, Lot)  # what a points service writes


def problems() -> dict[str, list[str]]:
    """The failures of the ledger checks by invariant number ("1" .. "5", then any extra checks)."""
    return {name.split(".")[0]: found for name, found in ledger_problems()}


def refused(error, service, **kwargs):
    """Call a service in its own transaction, as production does: the error rolls it back, and
    the ledger is as it was."""
    with fixtures.refused(error, *LEDGER, atomic=True) as caught:
        service(**kwargs)
    return caught.value


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def other_merchant(db):
    return merchant_create(name="فروشگاه دوم")


# --- redemption: first to expire, first spent ---------------------------------------------------


def test_redemption_consumes_lots_first_to_expire_first(member, merchant, now):
    # Given lots expiring in 30 days, 10 days, never, and 10 days (made later)
    a = credit(member, 50, merchant=merchant, expires_at=now + 30 * DAY)
    b = credit(member, 30, merchant=merchant, expires_at=now + 10 * DAY)
    c = credit(member, 40, merchant=merchant, expires_at=None)
    d = credit(member, 20, merchant=merchant, expires_at=now + 10 * DAY)
    assert balance(member) == 140
    # When 60 points are redeemed
    change = points_redeem(member_id=member.pk, points=60, merchant_id=merchant.pk, memo="تخفیف")
    # Then the 10-day lots go first (in the order they were made), then the 30-day one
    assert remaining(a, b, c, d) == [40, 0, 40, 0]
    assert (change.points, change.balance_after) == (60, 80)
    [t] = change.transfers
    assert (t.kind, t.amount, t.debit.member_id, t.credit.code, t.merchant_id, t.issuer_id, t.memo) == (
        "redeem",
        60,
        member.pk,
        f"redeemed:{merchant.pk}",
        merchant.pk,
        merchant.pk,
        "تخفیف",
    )
    # And the never-expiring lot is spent last
    points_redeem(member_id=member.pk, points=70, merchant_id=merchant.pk)
    assert remaining(a, b, c, d) == [0, 0, 10, 0]
    assert balance(member) == 10
    assert_ledger_ok()


def test_redeeming_more_than_available_changes_nothing(member, merchant, now):
    credit(member, 30, merchant=merchant, expires_at=now + 10 * DAY)
    credit(member, 20, merchant=merchant, expires_at=now + 20 * DAY)
    points_redeem(member_id=member.pk, points=5, merchant_id=merchant.pk)
    error = refused(InsufficientPoints, points_redeem, member_id=member.pk, points=46, merchant_id=merchant.pk)
    assert error.code == "insufficient_points"
    assert error.details == {"requested": 46, "available": 45, "deficit": 0}
    # The exact balance still goes through
    assert points_redeem(member_id=member.pk, points=45, merchant_id=merchant.pk).balance_after == 0
    assert_ledger_ok()


def test_a_member_without_points_cannot_redeem(member, merchant):
    error = refused(InsufficientPoints, points_redeem, member_id=member.pk, points=1, merchant_id=merchant.pk)
    assert error.details == {"requested": 1, "available": 0, "deficit": 0}


@pytest.mark.parametrize("points", [0, -5, True, 1.5, "10", 10**12 + 1])
def test_redeeming_an_invalid_number_of_points_is_refused(member, merchant, now, points):
    credit(member, 100, merchant=merchant)
    error = refused(ValidationFailed, points_redeem, member_id=member.pk, points=points, merchant_id=merchant.pk)
    assert error.code == "validation_error"


def test_redeeming_for_an_unknown_member_is_member_not_found(merchant):
    refused(MemberNotFound, points_redeem, member_id=987654, points=1, merchant_id=merchant.pk)


@pytest.mark.parametrize(("status", "error"), [("blocked", MemberBlocked), ("pending", MemberPending)])
def test_a_member_who_is_not_active_cannot_redeem(member, merchant, status, error):
    credit(member, 100, merchant=merchant)
    member_status_set(member=member, status=status)
    refusal = refused(error, points_redeem, member_id=member.pk, points=10, merchant_id=merchant.pk)
    assert refusal.details == {"status": status}


@pytest.fixture
def expired_unprocessed(member, merchant, now):
    """100 points that expired an hour ago (the expiry job has not run yet) and 10 valid ones."""
    credit(member, 100, merchant=merchant, now=now - 400 * DAY, expires_at=now - timedelta(hours=1))
    credit(member, 10, merchant=merchant, expires_at=now + 30 * DAY)
    return member


def test_points_past_their_expiry_cannot_be_spent_before_the_expiry_job_runs(expired_unprocessed, merchant):
    member = expired_unprocessed
    error = refused(InsufficientPoints, points_redeem, member_id=member.pk, points=50, merchant_id=merchant.pk)
    assert error.details == {"requested": 50, "available": 10, "deficit": 0}
    # Nor taken by a negative adjustment
    refused(
        InsufficientPoints,
        points_adjust,
        member_id=member.pk,
        points=-11,
        reason="x",
        merchant_id=None,
        expires_at=None,
    )
    # The 10 valid points are spendable; the expiry run then takes the 100
    assert points_redeem(member_id=member.pk, points=10, merchant_id=merchant.pk).balance_after == 100
    assert points_expire() == ExpiryRun(members=1, points=100)
    assert balance(member) == 0
    assert_ledger_ok()


def test_points_past_their_expiry_are_not_shown_as_available(expired_unprocessed):
    summary = member_points(member_id=expired_unprocessed.pk)
    assert (summary.available, summary.pending) == (10, 0)


# --- pending points ------------------------------------------------------------------------------


def test_pending_points_are_not_spendable_until_available_at(member, merchant, now):
    # Given 100 available points and 50 pending for a week (expiring first)
    ready = credit(member, 100, merchant=merchant, expires_at=now + 60 * DAY)
    pending = credit(member, 50, merchant=merchant, available_at=now + 7 * DAY, expires_at=now + 20 * DAY)
    summary = member_points(member_id=member.pk)
    assert (summary.balance, summary.available, summary.pending, summary.deficit) == (150, 100, 50, 0)
    # When 101 are asked for, Then it is refused and nothing changes
    error = refused(InsufficientPoints, points_redeem, member_id=member.pk, points=101, merchant_id=merchant.pk)
    assert error.details == {"requested": 101, "available": 100, "deficit": 0}
    # When 100 are spent, Then they come from the available lot although the pending one expires first
    points_redeem(member_id=member.pk, points=100, merchant_id=merchant.pk)
    assert remaining(ready, pending) == [0, 50]
    # And once available_at has passed, the pending points are available and spendable
    later = now + 8 * DAY
    summary = member_points(member_id=member.pk, now=later)
    assert (summary.balance, summary.available, summary.pending) == (50, 50, 0)
    with transaction.atomic():
        book = book_open(member_id=member.pk)
        book.now = later
        assert book.available() == 50
        book.debit(50, kind="redeem", merchant_id=merchant.pk, to_account_id=system_account_id("redeemed", merchant.pk))
        book.flush()
    assert remaining(ready, pending) == [0, 0]
    assert balance(member) == 0
    assert_ledger_ok()


def test_points_summary_lists_what_expires_when(member, merchant, now):
    first, second = now + 10 * DAY, now + 40 * DAY
    credit(member, 30, merchant=merchant, expires_at=second)
    credit(member, 20, merchant=merchant, expires_at=first)
    credit(member, 5, merchant=merchant, expires_at=first, available_at=now + DAY)
    credit(member, 7, merchant=merchant, expires_at=None)
    summary = member_points(member_id=member.pk)
    assert (summary.balance, summary.available, summary.pending) == (62, 57, 5)
    assert summary.expiring == [{"points": 25, "expires_at": first}, {"points": 30, "expires_at": second}]


# --- adjustments -----------------------------------------------------------------------------


def test_a_positive_adjustment_credits_a_lot_with_its_reason(member, merchant, now):
    expires = now + 90 * DAY
    change = points_adjust(
        member_id=member.pk,
        points=50,
        reason="  جبران تاخیر ارسال (100% %s) ",
        merchant_id=merchant.pk,
        expires_at=expires,
        source=("staff", 7),
    )
    assert (change.points, change.balance_after) == (50, 50)
    [t] = change.transfers
    t = Transfer.objects.select_related("debit", "credit").get(pk=t.pk)
    assert (t.kind, t.amount, t.debit.code, t.credit.member_id, t.memo, t.issuer_id) == (
        "adjust",
        50,
        "adjustments",
        member.pk,
        "جبران تاخیر ارسال (100% %s)",
        merchant.pk,
    )
    assert (t.source_kind, t.source_id) == ("staff", 7)
    lot = Lot.objects.get(transfer=t)
    assert (lot.amount, lot.remaining, lot.expires_at, lot.merchant_id) == (50, 50, expires, merchant.pk)
    assert balance(member) == 50
    assert_ledger_ok()


def test_a_negative_adjustment_takes_at_most_the_balance(member, merchant, now):
    # Given 30 available and 40 pending points
    ready = credit(member, 30, merchant=merchant, expires_at=now + 10 * DAY)
    pending = credit(member, 40, merchant=merchant, available_at=now + 5 * DAY, expires_at=now + 60 * DAY)
    # When 71 points are taken, Then it is refused and nothing changes
    error = refused(
        InsufficientPoints,
        points_adjust,
        member_id=member.pk,
        points=-71,
        reason="اشتباه صندوق",
        merchant_id=None,
        expires_at=None,
    )
    assert error.code == "insufficient_points"
    # When 50 are taken, Then they come from available and pending lots, first to expire first
    change = points_adjust(member_id=member.pk, points=-50, reason="اشتباه صندوق", merchant_id=None, expires_at=None)
    assert (change.points, change.balance_after) == (-50, 20)
    assert remaining(ready, pending) == [0, 20]
    assert [(t.kind, t.amount, t.credit_id) for t in change.transfers] == [
        ("adjust", 50, system_account_id("adjustments"))
    ]
    # And the whole rest can be taken, to exactly zero
    assert (
        points_adjust(member_id=member.pk, points=-20, reason="x", merchant_id=None, expires_at=None).balance_after == 0
    )
    assert_ledger_ok()


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_an_adjustment_needs_a_reason(member, merchant, reason):
    credit(member, 10, merchant=merchant)
    for points in (5, -5):
        error = refused(
            ValidationFailed,
            points_adjust,
            member_id=member.pk,
            points=points,
            reason=reason,
            merchant_id=merchant.pk,
            expires_at=None,
        )
        assert error.details == {"reason": "required"}


@pytest.mark.parametrize("points", [0, True, 2.5, "5", 10**12 + 1, -(10**12) - 1])
def test_an_adjustment_of_an_invalid_number_is_refused(member, merchant, points):
    refused(
        ValidationFailed,
        points_adjust,
        member_id=member.pk,
        points=points,
        reason="x",
        merchant_id=merchant.pk,
        expires_at=None,
    )


# --- expiry -----------------------------------------------------------------------------------


def test_expiry_turns_what_remains_into_expire_transfers_per_issuer(member_factory, merchant, other_merchant):
    a, b = merchant, other_merchant
    t0 = datetime(2026, 1, 1, 12, 0, tzinfo=TEHRAN)
    made = t0 - 40 * DAY
    sara, ali = member_factory(), member_factory()
    # Given Sara's lots: A 30 and B 10 expiring at t0, B 20 a month later, A 40 never
    a1 = credit(sara, 30, merchant=a, expires_at=t0, now=made)
    b1 = credit(sara, 10, merchant=b, expires_at=t0, now=made)
    b2 = credit(sara, 20, merchant=b, expires_at=t0 + 30 * DAY, now=made)
    never = credit(sara, 40, merchant=a, expires_at=None, now=made)
    # and Ali's: A 5 expiring the day before t0, A 7 one microsecond after t0
    ali1 = credit(ali, 5, merchant=a, expires_at=t0 - DAY, now=made)
    ali2 = credit(ali, 7, merchant=a, expires_at=t0 + timedelta(microseconds=1), now=made)
    # and Sara spent 5 points before t0 (from A's lot, which expires first and was made first)
    with transaction.atomic():
        book = book_open(member_id=sara.pk)
        book.now = t0 - 5 * DAY
        book.debit(5, kind="redeem", merchant_id=a.pk, to_account_id=system_account_id("redeemed", a.pk))
        book.flush()
    assert remaining(a1) == [25]
    last_id = Transfer.objects.order_by("-id").values_list("id", flat=True).first()

    # When expiry runs at t0
    run = points_expire(now=t0)

    # Then what remains of the lots due by t0 expires: 25 + 10 for Sara, 5 for Ali
    assert run == ExpiryRun(members=2, points=40)
    assert remaining(a1, b1, b2, never, ali1, ali2) == [0, 0, 20, 40, 0, 7]
    assert (balance(sara), balance(ali)) == (60, 7)
    new = list(Transfer.objects.filter(pk__gt=last_id).select_related("debit", "credit"))
    lines = sorted(
        (t.debit.member_id, t.credit.code, t.kind, t.amount, t.issuer_id, t.merchant_id, t.source_kind) for t in new
    )
    assert lines == sorted(
        [
            (sara.pk, "expired", "expire", 25, a.pk, a.pk, "expiry"),
            (sara.pk, "expired", "expire", 10, b.pk, b.pk, "expiry"),
            (ali.pk, "expired", "expire", 5, a.pk, a.pk, "expiry"),
        ]
    )
    assert all(t.created_at == t0 for t in new)
    assert_ledger_ok()

    # When it runs again for the same moment, Then nothing more expires
    count = Transfer.objects.count()
    assert points_expire(now=t0) == ExpiryRun(members=0, points=0)
    assert Transfer.objects.count() == count

    # When it runs a month later, Then B's 20 and Ali's 7 expire; the never-expiring lot stays
    assert points_expire(now=t0 + 30 * DAY) == ExpiryRun(members=2, points=27)
    assert (balance(sara), balance(ali)) == (40, 0)
    assert points_expire(now=t0 + 3650 * DAY) == ExpiryRun(members=0, points=0)
    assert remaining(never) == [40]
    expired_total = sum(Transfer.objects.filter(kind="expire").values_list("amount", flat=True))
    assert expired_total == 67
    assert_ledger_ok()


def test_expiry_with_nothing_due_does_nothing(member, merchant, now):
    credit(member, 10, merchant=merchant, expires_at=now + DAY)
    system_account_id("expired")
    with unchanged(*LEDGER):
        assert points_expire(now=now) == ExpiryRun(members=0, points=0)


def test_the_expire_points_command_reports_what_it_expired(member_factory, merchant, now):
    sara, ali = member_factory(), member_factory()
    credit(sara, 30, merchant=merchant, now=now - 400 * DAY, expires_at=now - DAY)
    credit(ali, 12, merchant=merchant, now=now - 400 * DAY, expires_at=now - 2 * DAY)
    credit(ali, 8, merchant=merchant, expires_at=now + 100 * DAY)
    out = StringIO()
    call_command("expire_points", stdout=out)
    assert out.getvalue().strip() == "Expired 42 points of 2 members."
    assert (balance(sara), balance(ali)) == (0, 8)
    out = StringIO()
    call_command("expire_points", stdout=out)
    assert out.getvalue().strip() == "Expired 0 points of 0 members."
    assert_ledger_ok()


# --- coalition ----------------------------------------------------------------------------------


def test_points_issued_by_a_and_redeemed_at_b_settle_per_issuer(member, merchant, other_merchant, now):
    a, b = merchant, other_merchant
    # Given 100 points issued by A (expiring first) and 50 issued by B
    from_a = credit(member, 100, merchant=a, expires_at=now + 10 * DAY)
    from_b = credit(member, 50, merchant=b, expires_at=now + 20 * DAY)
    # When the member redeems 120 at B
    change = points_redeem(member_id=member.pk, points=120, merchant_id=b.pk)
    # Then one transfer per issuer, both credited to B's redeemed account and recorded by B
    lines = sorted(
        (t.issuer_id, t.amount, t.kind, t.merchant_id, Account.objects.get(pk=t.credit_id).code)
        for t in change.transfers
    )
    assert lines == sorted(
        [(a.pk, 100, "redeem", b.pk, f"redeemed:{b.pk}"), (b.pk, 20, "redeem", b.pk, f"redeemed:{b.pk}")]
    )
    assert remaining(from_a, from_b) == [0, 30]
    # So "A owes B 100 points" is one query away
    owed = Transfer.objects.filter(kind="redeem", issuer=a, credit__code=f"redeemed:{b.pk}")
    assert sum(owed.values_list("amount", flat=True)) == 100
    # And B's points redeemed at A settle the other way
    change = points_redeem(member_id=member.pk, points=30, merchant_id=a.pk)
    assert [(t.issuer_id, t.amount, t.credit_id) for t in change.transfers] == [
        (b.pk, 30, system_account_id("redeemed", a.pk))
    ]
    assert balance(member) == 0
    assert_ledger_ok()


# --- deficits in the book ---------------------------------------------------------------------


def test_a_claw_back_makes_a_debt_lot_that_later_credits_repay(member, merchant, now):
    # Given 25 points, When 100 are clawed back, Then the member owes 75
    lot = credit(member, 25, merchant=merchant, expires_at=now + 10 * DAY)
    claw_back(member, 100, merchant=merchant)
    debt = Lot.objects.get(account__member=member, remaining__lt=0)
    assert (debt.amount, debt.remaining, balance(member)) == (0, -75, -75)
    assert remaining(lot) == [0]
    summary = member_points(member_id=member.pk)
    assert (summary.balance, summary.available, summary.deficit) == (-75, -75, 75)
    assert_ledger_ok()
    # And a deficit blocks redemptions
    error = refused(InsufficientPoints, points_redeem, member_id=member.pk, points=1, merchant_id=merchant.pk)
    assert error.details == {"requested": 1, "available": 0, "deficit": 75}
    # When 50 points are credited, Then they all repay the debt
    small = credit(member, 50, merchant=merchant, expires_at=now + 10 * DAY)
    assert remaining(debt, small) == [-25, 0]
    # When 100 more arrive, Then 25 repay the rest and 75 are spendable
    big = credit(member, 100, merchant=merchant, expires_at=now + 10 * DAY)
    assert remaining(debt, small, big) == [0, 0, 75]
    assert balance(member) == 75
    assert member_points(member_id=member.pk).deficit == 0
    assert_ledger_ok()


# --- verify_ledger: the checks must catch corrupted data -------------------------------------------


@pytest.fixture
def busy_ledger(member_factory, merchant, other_merchant, now):
    """A ledger touched by every kind of movement, all invariants holding."""
    sara, ali = member_factory(), member_factory()
    lots = [
        credit(sara, 50, merchant=merchant, expires_at=now + 10 * DAY),
        credit(sara, 50, merchant=other_merchant, expires_at=now + 20 * DAY),
        credit(sara, 50, merchant=merchant, expires_at=now + 30 * DAY),
    ]
    points_redeem(member_id=sara.pk, points=70, merchant_id=other_merchant.pk)
    points_adjust(member_id=ali.pk, points=40, reason="هدیه", merchant_id=None, expires_at=None)
    credit(ali, 15, merchant=merchant, now=now - 400 * DAY, expires_at=now - DAY)
    points_expire(now=now)
    assert remaining(*lots) == [0, 30, 50]
    assert (balance(sara), balance(ali)) == (80, 40)
    assert_ledger_ok()
    return {"sara": sara, "ali": ali, "lots": lots}


def test_verify_ledger_passes_on_a_busy_ledger(busy_ledger):
    results = verify_ledger()
    assert [name.split(".")[0] for name, _ in results][:5] == ["1", "2", "3", "4", "5"]
    assert all(found == [] for _, found in results)


def test_a_corrupted_cached_balance_breaks_invariants_1_2_and_3(busy_ledger):
    sara = busy_ledger["sara"]
    Account.objects.filter(member=sara).update(balance=87)
    found = problems()
    assert set(found) == {"1", "2", "3"}
    assert found["1"] == ["1. accounts sum to 7, not 0 (members 127, system -120)"]
    assert found["2"] == [f"2. member account member:{sara.pk} caches 87 but its transfers sum to 80"]
    assert found["3"] == [f"3. member account member:{sara.pk} has balance 87 but its lots hold 80"]


def test_a_corrupted_lot_breaks_invariant_3(busy_ledger):
    sara, lots = busy_ledger["sara"], busy_ledger["lots"]
    Lot.objects.filter(pk=lots[2].pk).update(remaining=45)
    assert problems() == {"3": [f"3. member account member:{sara.pk} has balance 80 but its lots hold 75"]}


def test_a_lot_on_a_system_account_breaks_invariant_3(busy_ledger, merchant, now):
    issued = Account.objects.get(code=f"issued:{merchant.pk}")
    lot = Lot.objects.create(
        account=issued, transfer=Transfer.objects.first(), amount=10, remaining=0, available_at=now
    )
    assert problems() == {"3": [f"3. lot {lot.pk} belongs to a system account"]}


def test_a_negative_lot_that_no_claw_back_made_breaks_invariants_3_and_4(busy_ledger):
    sara, (first, second, third) = busy_ledger["sara"], busy_ledger["lots"]
    # The sum still matches the balance (40 - 10 + 50 = 80) but a spending lot went negative
    Lot.objects.filter(pk=first.pk).update(remaining=40)
    Lot.objects.filter(pk=second.pk).update(remaining=-10)
    assert remaining(first, second, third) == [40, -10, 50]
    account = Account.objects.get(member=sara)
    found = problems()
    assert set(found) == {"3", "4"}
    assert found["3"] == [f"3. lot {second.pk} is negative but is not a debt lot"]
    assert found["4"] == [
        f"4. debt lot {second.pk} was made by a earn, not a refund claw-back",
        f"4. member account {account.code} caches a deficit of 0 but its debt lots hold 10",
        f"4. account {account.pk} is in deficit yet holds unspent points",
    ]


def test_a_deficit_not_made_by_a_claw_back_breaks_invariant_4(busy_ledger, merchant):
    ali = busy_ledger["ali"]
    [_t, debt_transfer] = claw_back(ali, 60, merchant=merchant)
    assert balance(ali) == -20
    assert_ledger_ok()
    with ledger_unguarded():  # as if a redemption had overspent
        Transfer.objects.filter(pk=debt_transfer.pk).update(kind="redeem")
    debt = Lot.objects.get(transfer_id=debt_transfer.pk)
    assert problems() == {"4": [f"4. debt lot {debt.pk} was made by a redeem, not a refund claw-back"]}


def test_a_deficit_beside_unspent_points_breaks_invariant_4(busy_ledger, merchant):
    ali = busy_ledger["ali"]
    claw_back(ali, 60, merchant=merchant)
    spent = Lot.objects.get(account__member=ali, remaining=0, amount=40)
    debt = Lot.objects.get(account__member=ali, remaining__lt=0)
    # Same sum (-20), but 10 points left unspent beside a 30 point debt
    Lot.objects.filter(pk=spent.pk).update(remaining=10)
    Lot.objects.filter(pk=debt.pk).update(remaining=-30)
    account = Account.objects.get(member=ali)
    assert problems() == {"4": [
        f"4. member account {account.code} caches a deficit of 20 but its debt lots hold 30",
        f"4. account {account.pk} is in deficit yet holds unspent points",
    ]}


def test_two_debt_lots_break_invariant_4(busy_ledger, merchant, now):
    ali = busy_ledger["ali"]
    claw_back(ali, 60, merchant=merchant)
    debt = Lot.objects.get(account__member=ali, remaining__lt=0)
    Lot.objects.filter(pk=debt.pk).update(remaining=-5)
    Lot.objects.create(account=debt.account, transfer=debt.transfer, amount=0, remaining=-15, available_at=now)
    assert problems() == {"4": [f"4. account {debt.account_id} has 2 debt lots"]}


def test_an_earn_recorded_twice_for_one_source_breaks_invariant_5(busy_ledger, merchant):
    ali = busy_ledger["ali"]
    credit(ali, 12, merchant=merchant, source=("purchase", 4242), rule="base")
    assert_ledger_ok()
    credit(ali, 12, merchant=merchant, source=("purchase", 4242), rule="base")
    assert problems() == {"5": ["5. purchase 4242 earned 2 times by rule 'base'"]}


def test_the_verify_ledger_command_reports_success(busy_ledger):
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[:6] == [
        "ok   1. all balances sum to zero",
        "ok   2. cached member balances equal their transfers",
        "ok   3. member balances equal their lots",
        "ok   4. no redemption below zero",
        "ok   5. no write takes effect twice",
        "ok   6. lot uses match their transfers",
    ]
    transfers, lots = Transfer.objects.count(), Lot.objects.count()
    assert lines[-2:] == [
        f"{transfers} transfers, {lots} lots, 2 member accounts, 120 points outstanding.",
        "All ledger invariants hold.",
    ]


def test_the_verify_ledger_command_fails_with_what_is_wrong(busy_ledger):
    sara, lots = busy_ledger["sara"], busy_ledger["lots"]
    Lot.objects.filter(pk=lots[2].pk).update(remaining=45)
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("verify_ledger", stdout=out)
    assert caught.value.returncode == 1
    assert str(caught.value) == "1 invariant(s) do not hold."
    text = out.getvalue()
    assert "ok   1. all balances sum to zero" in text
    assert "ok   2. cached member balances equal their transfers" in text
    assert (
        f"FAIL 3. member balances equal their lots\n"
        f"     - 3. member account member:{sara.pk} has balance 80 but its lots hold 75\n"
    ) in text
    assert "All ledger invariants hold." not in text


def test_the_verify_ledger_command_counts_every_failed_invariant(busy_ledger):
    Account.objects.filter(member=busy_ledger["sara"]).update(balance=0)
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("verify_ledger", stdout=out)
    assert str(caught.value) == "3 invariant(s) do not hold."
    assert out.getvalue().count("FAIL ") == 3
