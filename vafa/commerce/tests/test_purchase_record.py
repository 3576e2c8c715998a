"""purchase_record: what a purchase earns and spends under the program settings, and what a
refused purchase leaves behind (nothing)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from vafa.commerce.models import Purchase, PurchaseItem
from vafa.commerce.services import ItemIn, purchase_fingerprint, purchase_record, purchase_resolve_duplicate
from vafa.core.errors import (
    BranchNotFound,
    DuplicateExternalId,
    InsufficientPoints,
    InvalidPhone,
    MemberBlocked,
    MemberNotFound,
    MemberPending,
    ValidationFailed,
)
from vafa.core.tests import fixtures
from vafa.core.tests.fixtures import assert_ledger_ok, balance, unchanged
from vafa.ledger.models import Account, Lot, Transfer
from vafa.ledger.selectors import member_points
from vafa.ledger.services import points_redeem
from vafa.members.services import member_status_set
from vafa.merchants.models import Branch
from vafa.merchants.services import branch_create, merchant_create
from vafa.program.models import ProgramSettings
from vafa.program.policy import EarnPolicy
from vafa.program.selectors import earn_policy

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
DAY = timedelta(days=1)
LAST = (23, 59, 59, 999999)


# --- helpers --------------------------------------------------------------------------------


def record(merchant, member=None, **kwargs):
    if member is not None:
        kwargs.setdefault("member_id", member.pk)
    return purchase_record(merchant_id=merchant.pk, **kwargs)


def program(**fields) -> None:
    ProgramSettings.objects.update_or_create(pk=1, defaults=fields)


def contract(applied_rules) -> list[dict]:
    """applied_rules without the free-text detail."""
    return [{k: rule[k] for k in ("rule_id", "name", "points")} for rule in applied_rules]


WRITES = (Account, Transfer, Lot, Purchase, PurchaseItem)  # what a purchase may write


def refused(error, **kwargs):
    """Record in its own transaction, as production does: the error rolls it back, and nothing changed."""
    with fixtures.refused(error, *WRITES, atomic=True) as caught:
        purchase_record(**kwargs)
    return caught.value


@pytest.fixture
def recent():
    """A purchase time safely in the past, whose points are neither pending nor expired."""
    return timezone.now() - DAY


@pytest.fixture
def rich_member(member, merchant, recent):
    """A member holding 1000 available points."""
    record(merchant, member, amount=10_000_000, occurred_at=recent - DAY)
    assert balance(member) == 1000
    return member


# --- the default program ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "points"),
    [(0, 0), (9_999, 0), (10_000, 1), (19_999, 1), (20_000, 2), (1_234_567, 123), (50_000_000, 5000), (10**15, 10**11)],
)
def test_default_program_earns_one_point_per_10000_rials_rounded_down(member, merchant, amount, points, recent):
    # Given a fresh install's program
    assert earn_policy() == EarnPolicy()
    # When a purchase is recorded
    result = record(merchant, member, amount=amount, occurred_at=recent)
    purchase = Purchase.objects.get(pk=result.purchase.pk)
    # Then it earns exactly this many points, and nothing is spent
    assert result.replayed is False
    assert (purchase.points_earned, purchase.points_redeemed, purchase.discount) == (points, 0, 0)
    assert purchase.balance_after == points == balance(member)
    assert contract(purchase.applied_rules) == [{"rule_id": "base", "name": "base", "points": points}]
    assert purchase.applied_rules[0]["detail"] == f"1 point(s) per 10000 IRR of {amount} IRR (net), rounded down"
    earns = list(Transfer.objects.filter(source_kind="purchase", source_id=purchase.pk))
    if points:
        [earn] = earns
        assert (earn.kind, earn.amount, earn.debit.code, earn.credit.member_id, earn.rule) == (
            "earn",
            points,
            f"issued:{merchant.pk}",
            member.pk,
            "base",
        )
        assert (earn.merchant_id, earn.issuer_id, earn.memo) == (
            merchant.pk,
            merchant.pk,
            purchase.applied_rules[0]["detail"],
        )
        lot = Lot.objects.get(transfer=earn)
        assert (lot.amount, lot.remaining, lot.merchant_id, lot.available_at) == (points, points, merchant.pk, recent)
    else:
        assert earns == []
        assert not Lot.objects.exists()
    assert_ledger_ok()


@pytest.mark.parametrize(
    ("occurred_at", "expires_at"),
    [
        (datetime(2025, 6, 10, 18, 30, tzinfo=TEHRAN), datetime(2026, 6, 10, 18, 30, tzinfo=TEHRAN)),
        (datetime(2024, 2, 29, 9, 0, tzinfo=TEHRAN), datetime(2025, 2, 28, 9, 0, tzinfo=TEHRAN)),
    ],
)
def test_default_points_expire_12_months_after_the_purchase(member, merchant, occurred_at, expires_at):
    result = record(merchant, member, amount=500_000, occurred_at=occurred_at)
    lot = Lot.objects.get(transfer__source_id=result.purchase.pk)
    assert (lot.available_at, lot.expires_at) == (occurred_at, expires_at)
    assert Purchase.objects.get(pk=result.purchase.pk).occurred_at == occurred_at


def test_an_occurred_at_without_an_offset_is_tehran_time(member, merchant):
    naive = datetime(2025, 6, 10, 18, 30)
    purchase = record(merchant, member, amount=1_000_000, occurred_at=naive).purchase
    tehran = datetime(2025, 6, 10, 18, 30, tzinfo=TEHRAN)
    assert Purchase.objects.get(pk=purchase.pk).occurred_at == tehran
    lot = Lot.objects.get(transfer__source_id=purchase.pk)
    assert lot.expires_at == datetime(2026, 6, 10, 18, 30, tzinfo=TEHRAN)


def test_occurred_at_defaults_to_now(member, merchant):
    before = timezone.now()
    purchase = record(merchant, member, amount=100_000).purchase
    after = timezone.now()
    assert before <= Purchase.objects.get(pk=purchase.pk).occurred_at <= after
    lot = Lot.objects.get(transfer__source_id=purchase.pk)
    assert before <= lot.available_at <= after


def test_balance_after_follows_each_purchase(member, merchant, recent):
    answers = [
        record(merchant, member, amount=a, occurred_at=recent).purchase.balance_after
        for a in (1_000_000, 2_500_000, 99_999, 5_000)
    ]
    assert answers == [100, 350, 359, 359]
    assert balance(member) == 359
    assert Lot.objects.count() == 3
    assert_ledger_ok()


def test_items_channel_and_payment_method_are_stored(member, merchant, recent):
    items = [
        ItemIn(sku="TEA-1", quantity=2, unit_price=250_000, category="tea", name="چای سبز 'ممتاز' 100% %s"),
        ItemIn(sku="CUP-9", quantity=1, unit_price=500_000),
    ]
    purchase = record(
        merchant, member, amount=1_000_000, occurred_at=recent, items=items, channel="online", payment_method="card"
    ).purchase
    rows = list(
        PurchaseItem.objects.filter(purchase=purchase)
        .order_by("id")
        .values_list("sku", "name", "category", "quantity", "unit_price")
    )
    assert rows == [("TEA-1", "چای سبز 'ممتاز' 100% %s", "tea", 2, 250_000), ("CUP-9", "", "", 1, 500_000)]
    stored = Purchase.objects.get(pk=purchase.pk)
    assert (stored.channel, stored.payment_method, stored.merchant_id, stored.member_id) == (
        "online",
        "card",
        merchant.pk,
        member.pk,
    )


# --- spending points in the checkout -----------------------------------------------------------


def test_redeem_points_is_a_discount_and_earning_is_on_the_net(rich_member, merchant, recent):
    # Given 1000 points, When a 1,000,000 IRR purchase spends 100 of them
    purchase = record(merchant, rich_member, amount=1_000_000, redeem_points=100, occurred_at=recent).purchase
    # Then the discount is 100 x 100 IRR and 1 point per 10,000 IRR is earned on the remaining 990,000
    assert (purchase.points_redeemed, purchase.discount, purchase.points_earned) == (100, 10_000, 99)
    assert purchase.balance_after == 1000 - 100 + 99 == balance(rich_member)
    assert purchase.applied_rules[0]["detail"] == "1 point(s) per 10000 IRR of 990000 IRR (net), rounded down"
    lines = sorted(
        (t.kind, t.amount, t.debit.code, t.credit.code)
        for t in Transfer.objects.filter(source_kind="purchase", source_id=purchase.pk)
    )
    member_code = f"member:{rich_member.pk}"
    assert lines == [
        ("earn", 99, f"issued:{merchant.pk}", member_code),
        ("redeem", 100, member_code, f"redeemed:{merchant.pk}"),
    ]
    assert_ledger_ok()


@pytest.mark.parametrize(
    ("amount", "requested", "redeemed", "discount", "earned"),
    [
        (30_000, 1000, 300, 30_000, 0),  # capped at the amount
        (12_345, 1000, 123, 12_300, 0),  # whole points only
        (99, 1000, 0, 0, 0),  # less than one point's worth
        (5_000_000, 1000, 1000, 100_000, 490),  # everything requested
    ],
)
def test_the_discount_never_exceeds_the_amount(
    rich_member, merchant, recent, amount, requested, redeemed, discount, earned
):
    purchase = record(merchant, rich_member, amount=amount, redeem_points=requested, occurred_at=recent).purchase
    assert (purchase.points_redeemed, purchase.discount, purchase.points_earned) == (redeemed, discount, earned)
    assert purchase.balance_after == 1000 - redeemed + earned == balance(rich_member)
    assert Transfer.objects.filter(kind="redeem").count() == (1 if redeemed else 0)
    assert_ledger_ok()


@pytest.mark.parametrize(
    ("percent", "redeemed", "earned"),
    [(50, 500, 5), (10, 100, 9), (0, 0, 10), (100, 1000, 0)],
)
def test_max_redeem_percent_caps_the_discount(rich_member, merchant, recent, percent, redeemed, earned):
    program(max_redeem_percent=percent)
    purchase = record(merchant, rich_member, amount=100_000, redeem_points=1000, occurred_at=recent).purchase
    assert (purchase.points_redeemed, purchase.discount, purchase.points_earned) == (redeemed, redeemed * 100, earned)
    assert balance(rich_member) == 1000 - redeemed + earned


def test_redeeming_more_than_the_member_has_changes_nothing(rich_member, merchant, recent):
    error = refused(
        InsufficientPoints,
        merchant_id=merchant.pk,
        member_id=rich_member.pk,
        amount=50_000_000,
        redeem_points=1001,
        occurred_at=recent,
        external_id="too-much",
        items=[ItemIn(sku="A", quantity=1, unit_price=1)],
    )
    assert error.details == {"requested": 1001, "available": 1000, "deficit": 0}
    assert not Purchase.objects.filter(external_id="too-much").exists()


def test_a_point_is_worth_the_configured_rials(rich_member, merchant, recent):
    program(point_value_rial=250)
    purchase = record(merchant, rich_member, amount=1_000_000, redeem_points=200, occurred_at=recent).purchase
    assert (purchase.points_redeemed, purchase.discount, purchase.points_earned) == (200, 50_000, 95)


# --- the earn base ------------------------------------------------------------------------------


@pytest.mark.parametrize(("earn_base", "earned"), [("net", 99), ("gross", 100)])
def test_earn_base_net_or_gross_of_the_points_discount(rich_member, merchant, recent, earn_base, earned):
    program(earn_base=earn_base)
    purchase = record(merchant, rich_member, amount=1_000_000, redeem_points=100, occurred_at=recent).purchase
    assert (purchase.points_redeemed, purchase.points_earned) == (100, earned)
    assert purchase.applied_rules[0]["detail"].endswith(f"({earn_base}), rounded down")


@pytest.mark.parametrize(
    ("includes_tax", "includes_shipping", "earned", "earned_with_discount"),
    [(False, False, 86, 85), (True, False, 95, 94), (False, True, 91, 90), (True, True, 100, 99)],
)
def test_tax_and_shipping_are_excluded_or_included(
    member_factory, merchant, recent, includes_tax, includes_shipping, earned, earned_with_discount
):
    program(earn_includes_tax=includes_tax, earn_includes_shipping=includes_shipping)
    plain, spender = member_factory(), member_factory()
    record(merchant, spender, amount=10_000_000, occurred_at=recent - DAY)
    purchase = record(merchant, plain, amount=1_000_000, tax=90_000, shipping=50_000, occurred_at=recent).purchase
    assert purchase.points_earned == earned
    assert (Purchase.objects.get(pk=purchase.pk).tax, purchase.shipping) == (90_000, 50_000)
    with_discount = record(
        merchant, spender, amount=1_000_000, tax=90_000, shipping=50_000, redeem_points=100, occurred_at=recent
    ).purchase
    assert with_discount.points_earned == earned_with_discount


def test_min_purchase_rial(member, merchant, recent):
    program(min_purchase_rial=500_000)
    below = record(merchant, member, amount=499_999, occurred_at=recent).purchase
    assert below.points_earned == 0
    assert below.applied_rules == [
        {"rule_id": "base", "name": "base", "points": 0, "detail": "below the minimum purchase of 500000 IRR"}
    ]
    assert not Transfer.objects.exists()
    at = record(merchant, member, amount=500_000, occurred_at=recent).purchase
    assert at.points_earned == 50
    assert balance(member) == 50


def test_pending_days_make_points_pending(member, merchant, recent):
    # Given points that wait 14 days
    program(pending_days=14)
    purchase = record(merchant, member, amount=3_000_000, occurred_at=recent).purchase
    lot = Lot.objects.get(transfer__source_id=purchase.pk)
    assert lot.available_at == recent + 14 * DAY
    # Then the member's balance counts them, but they are pending, not available
    assert purchase.balance_after == 300
    summary = member_points(member_id=member.pk)
    assert (summary.balance, summary.available, summary.pending) == (300, 0, 300)
    # and cannot be spent yet
    error = refused(InsufficientPoints, merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000, redeem_points=1)
    assert error.details == {"requested": 1, "available": 0, "deficit": 0}
    # Once the 14 days have passed they are available
    summary = member_points(member_id=member.pk, now=recent + 14 * DAY)
    assert (summary.balance, summary.available, summary.pending) == (300, 300, 0)
    assert_ledger_ok()


@pytest.mark.parametrize(
    ("expiry", "periods", "occurred_at", "expires_at"),
    [
        ("months", 6, datetime(2025, 3, 15, 12, 0, tzinfo=TEHRAN), datetime(2025, 9, 15, 12, 0, tzinfo=TEHRAN)),
        ("months", 1, datetime(2025, 1, 31, 8, 0, tzinfo=TEHRAN), datetime(2025, 2, 28, 8, 0, tzinfo=TEHRAN)),
        # 1403/12/25; 1403 is a leap year, so Esfand has 30 days
        (
            "jalali_month_end",
            0,
            datetime(2025, 3, 15, 12, 0, tzinfo=TEHRAN),
            datetime(2025, 3, 20, *LAST, tzinfo=TEHRAN),
        ),
        (
            "jalali_month_end",
            1,
            datetime(2025, 3, 15, 12, 0, tzinfo=TEHRAN),
            datetime(2025, 4, 20, *LAST, tzinfo=TEHRAN),
        ),  # 1404/01/31
        (
            "jalali_month_end",
            12,
            datetime(2025, 3, 15, 12, 0, tzinfo=TEHRAN),
            datetime(2026, 3, 20, *LAST, tzinfo=TEHRAN),
        ),  # 1404/12/29
        (
            "jalali_year_end",
            0,
            datetime(2025, 3, 15, 12, 0, tzinfo=TEHRAN),
            datetime(2025, 3, 20, *LAST, tzinfo=TEHRAN),
        ),  # end of 1403
        (
            "jalali_year_end",
            1,
            datetime(2025, 3, 15, 12, 0, tzinfo=TEHRAN),
            datetime(2026, 3, 20, *LAST, tzinfo=TEHRAN),
        ),  # end of 1404
        # 22:00 UTC on 20 March is already 1404/01/01 01:30 in Tehran: the year is 1404
        (
            "jalali_year_end",
            0,
            datetime(2025, 3, 20, 22, 0, tzinfo=ZoneInfo("UTC")),
            datetime(2026, 3, 20, *LAST, tzinfo=TEHRAN),
        ),
        ("never", 12, datetime(2025, 3, 15, 12, 0, tzinfo=TEHRAN), None),
    ],
)
def test_expiry_modes_set_the_lot_expiry(member, merchant, expiry, periods, occurred_at, expires_at):
    program(expiry=expiry, expiry_periods=periods)
    purchase = record(merchant, member, amount=1_000_000, occurred_at=occurred_at).purchase
    lot = Lot.objects.get(transfer__source_id=purchase.pk)
    assert lot.expires_at == expires_at
    assert lot.available_at == occurred_at


# --- who buys -----------------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["۰۹۱۲۷۷۷۶۶۵۵", "+989127776655", "9127776655", "٠٩١٢٧٧٧٦٦٥٥"])
def test_the_member_can_be_found_by_phone_in_any_form(member_factory, merchant, recent, phone):
    member = member_factory(phone="09127776655")
    member_factory()  # someone else
    purchase = record(merchant, phone=phone, amount=200_000, occurred_at=recent).purchase
    assert purchase.member_id == member.pk
    assert balance(member) == 20


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ({"member_id": 987654}, MemberNotFound),
        ({"phone": "09129998877"}, MemberNotFound),
        ({"phone": "02188776655"}, InvalidPhone),
        ({"phone": "hello"}, InvalidPhone),
        ({}, ValidationFailed),
        ({"phone": ""}, ValidationFailed),
    ],
)
def test_an_unknown_member_is_refused_and_nothing_changes(member, merchant, recent, who, error):
    record(merchant, member, amount=1_000_000, occurred_at=recent - DAY)
    refused(error, merchant_id=merchant.pk, amount=1_000_000, occurred_at=recent, **who)


def test_a_blocked_member_cannot_buy(member, merchant, recent):
    record(merchant, member, amount=1_000_000, occurred_at=recent - DAY)
    member_status_set(member=member, status="blocked")
    for redeem in (0, 10):
        error = refused(
            MemberBlocked,
            merchant_id=merchant.pk,
            member_id=member.pk,
            amount=1_000_000,
            occurred_at=recent,
            redeem_points=redeem,
        )
        assert (error.code, error.details) == ("member_blocked", {"status": "blocked"})


def test_a_pending_member_earns_but_cannot_spend(member, merchant, recent):
    record(merchant, member, amount=1_000_000, occurred_at=recent - DAY)
    member_status_set(member=member, status="pending")
    error = refused(
        MemberPending,
        merchant_id=merchant.pk,
        member_id=member.pk,
        amount=1_000_000,
        occurred_at=recent,
        redeem_points=10,
    )
    assert (error.code, error.details) == ("member_pending", {"status": "pending"})
    purchase = record(merchant, member, amount=1_000_000, occurred_at=recent).purchase
    assert (purchase.points_earned, purchase.balance_after) == (100, 200)


# --- invalid input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": -1},
        {"amount": True},
        {"amount": 1000.0},
        {"amount": 1.5},
        {"amount": "1000"},
        {"amount": None},
        {"amount": 10**15 + 1},
        {"tax": -1},
        {"tax": 1.5},
        {"shipping": -1},
        {"shipping": True},
        {"tax": 600_000, "shipping": 500_000},  # more than the amount
        {"redeem_points": -1},
        {"redeem_points": True},
        {"redeem_points": 2.5},
        {"items": [ItemIn(sku="", quantity=1, unit_price=100)]},
        {"items": [ItemIn(sku="X" * 65, quantity=1, unit_price=100)]},
        {"items": [ItemIn(sku="A", quantity=0, unit_price=100)]},
        {"items": [ItemIn(sku="A", quantity=True, unit_price=100)]},
        {"items": [ItemIn(sku="A", quantity=1, unit_price=-100)]},
        {"items": [ItemIn(sku="A", quantity=1, unit_price=1.5)]},
        {"channel": "telepathy"},
        {"occurred_at": "future"},
    ],
)
def test_invalid_input_is_refused_and_nothing_changes(rich_member, merchant, fields):
    if fields.get("occurred_at") == "future":
        fields = {"occurred_at": timezone.now() + timedelta(hours=1)}
    kwargs = {
        "merchant_id": merchant.pk,
        "member_id": rich_member.pk,
        "amount": 1_000_000,
        "redeem_points": 10,
        "external_id": "bad-1",
        **fields,
    }
    error = refused(ValidationFailed, **kwargs)
    assert error.code == "validation_error"


def test_the_largest_amount_is_accepted(member, merchant, recent):
    purchase = record(merchant, member, amount=10**15, tax=10**15, occurred_at=recent).purchase
    assert purchase.points_earned == 0  # all of it is tax


# --- branches -----------------------------------------------------------------------------------


def test_a_branch_is_found_by_its_code(member, merchant, recent):
    branch = branch_create(merchant=merchant, code="THR-1", name="تهران")
    purchase = record(merchant, member, amount=100_000, branch="THR-1", occurred_at=recent).purchase
    assert Purchase.objects.get(pk=purchase.pk).branch_id == branch.pk


def test_an_unknown_branch_is_refused_and_nothing_changes(member, merchant, recent):
    other = merchant_create(name="فروشگاه دوم")
    branch_create(merchant=other, code="ISF-1", name="اصفهان")
    closed = branch_create(merchant=merchant, code="OLD", name="بسته")
    Branch.objects.filter(pk=closed.pk).update(is_active=False)
    for code in ("NOPE", "ISF-1", "OLD"):  # unknown, another merchant's, closed
        error = refused(
            BranchNotFound,
            merchant_id=merchant.pk,
            member_id=member.pk,
            amount=100_000,
            branch=code,
            occurred_at=recent,
        )
        assert (error.code, error.details) == ("branch_not_found", {"branch": code})


# --- external_id: once per merchant -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_same_purchase_twice_is_replayed(member, merchant, recent):
    # Given a recorded purchase with an external_id (committed, as in production)
    body = {
        "member_id": member.pk,
        "amount": 1_000_000,
        "occurred_at": recent,
        "external_id": "ORD-1",
        "items": [ItemIn(sku="TEA-1", quantity=1, unit_price=1_000_000)],
    }
    first = record(merchant, **body)
    # When the same purchase is sent again (the id with stray spaces)
    with unchanged(*WRITES):  # Then nothing is written
        again = record(merchant, **{**body, "external_id": "  ORD-1 "})
    # and the first one is answered, marked replayed
    assert (again.replayed, again.purchase.pk) == (True, first.purchase.pk)
    assert (again.purchase.points_earned, again.purchase.balance_after) == (100, 100)
    assert balance(member) == 100
    # And it is still replayed after the member spent the points and was blocked
    points_redeem(member_id=member.pk, points=100, merchant_id=merchant.pk)
    member_status_set(member=member, status="blocked")
    with unchanged(*WRITES):
        late = record(merchant, **body)
    assert (late.replayed, late.purchase.pk, late.purchase.balance_after) == (True, first.purchase.pk, 100)


@pytest.mark.django_db(transaction=True)
def test_a_different_purchase_with_the_same_external_id_is_refused(member, merchant, recent):
    # Given a recorded purchase with an external_id (committed, as in production)
    body = {
        "member_id": member.pk,
        "amount": 1_000_000,
        "occurred_at": recent,
        "external_id": "ORD-1",
        "items": [ItemIn(sku="TEA-1", quantity=1, unit_price=1_000_000)],
    }
    first = record(merchant, **body)
    changes = [
        {"amount": 1_000_001},
        {"redeem_points": 1},
        {"tax": 1},
        {"occurred_at": None},
        {"items": []},
        {"phone": "09120000001", "member_id": None},
    ]
    for change in changes:
        # When a purchase that differs in one field comes with the same external_id
        with fixtures.refused(DuplicateExternalId, *WRITES) as caught:
            record(merchant, **{**body, **change})
        # Then it is refused, naming the recorded purchase, and nothing changes
        assert caught.value.code == "duplicate_external_id", change
        assert caught.value.details == {"external_id": "ORD-1", "purchase_id": first.purchase.pk}


def test_the_same_external_id_at_another_merchant_is_another_purchase(member, merchant, recent):
    other = merchant_create(name="فروشگاه دوم")
    first = record(merchant, member, amount=1_000_000, occurred_at=recent, external_id="ORD-1").purchase
    second = record(other, member, amount=1_000_000, occurred_at=recent, external_id="ORD-1").purchase
    assert first.pk != second.pk
    assert balance(member) == 200


def test_resolving_a_duplicate_replays_or_refuses(member, merchant, recent):
    first = record(merchant, member, amount=1_000_000, occurred_at=recent, external_id="ORD-1").purchase

    def fingerprint(amount):
        return purchase_fingerprint(
            member_ref=str(member.pk),
            amount=amount,
            tax=0,
            shipping=0,
            redeem_points=0,
            items=[],
            occurred_at=recent,
            branch=None,
        )

    replay = purchase_resolve_duplicate(
        merchant_id=merchant.pk, external_id="ORD-1", fingerprint=fingerprint(1_000_000)
    )
    assert (replay.replayed, replay.purchase.pk) == (True, first.pk)
    with pytest.raises(DuplicateExternalId):
        purchase_resolve_duplicate(merchant_id=merchant.pk, external_id="ORD-1", fingerprint=fingerprint(5))
    with pytest.raises(DuplicateExternalId):
        purchase_resolve_duplicate(merchant_id=merchant.pk, external_id="ORD-404", fingerprint=fingerprint(1_000_000))


# --- known bugs ---------------------------------------------------------------------------------


def test_an_external_id_longer_than_100_characters_is_refused(member, merchant, recent):
    with fixtures.refused(ValidationFailed, *WRITES, atomic=True):
        record(merchant, member, amount=1_000_000, occurred_at=recent, external_id="X" * 101)
