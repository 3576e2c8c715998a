"""The points ledger under random sequences of everything that moves points (DESIGN.md, "The
points ledger"): purchases (with and without spending points), redemptions, partial refunds,
expiry runs on a moving clock, adjustments and retried purchases, across three members and two
merchants. After every step the stored ledger must satisfy every invariant of
`verify_ledger()` and agree with a small model kept here (each member's lots, deficit and
balance, and the sum of every kind of movement by member, merchant and issuer, which fixes the
system accounts' balances too); a refused change must leave the database exactly as it was.

Each example starts from an empty database, and the services commit for real, as in
production (no test transaction around them), on SQLite and PostgreSQL alike.
"""

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from vafa.commerce.models import Purchase, Refund
from vafa.commerce.services import purchase_record, refund_record
from vafa.core.errors import DuplicateExternalId, InsufficientPoints, PurchaseNotFound, RefundExceedsPurchase
from vafa.core.idcache import clear_all
from vafa.core.jalali import add_months
from vafa.core.tests.fixtures import assert_ledger_ok, ledger_unguarded, refused, unchanged
from vafa.ledger.models import Account, IdempotencyRecord, Lot, Transfer
from vafa.ledger.selectors import member_points
from vafa.ledger.services import points_expire
from vafa.members.services import member_create
from vafa.merchants.services import merchant_create
from vafa.usecases.points import member_adjust, member_redeem

pytestmark = pytest.mark.django_db(transaction=True)

MEMBERS = 3
POINT_VALUE = 100  # Rials per point, the default program
EARN_PER_RIAL = 10_000  # one point per 10,000 Rials of the net amount
EXPIRY_MONTHS = 12


AMOUNT = st.one_of(st.just(0), st.integers(1, 100_000), st.integers(100_000, 10_000_000))  # Rials
# Purchases happen in the past. Those of the last 360 days earn points that expire after the
# real now, when the simulated clock of `expire` says so (many within two months); older ones
# (imported history) earn points already past their expiry: never spendable, and gone at the
# next expiry run. No lot expires within days of the real now, so the test's own duration
# never matters.
DAYS_AGO = st.one_of(st.integers(0, 360), st.integers(300, 360), st.integers(370, 800))
# How many points a step asks for, relative to what the member can spend: nothing, a share,
# all of it, or more than there is (which must be refused, and change nothing).
WANT = st.sampled_from(["none", "some", "all", "more"])
SHARE = st.integers(1, 100)


def _wanted(want: str, share: int, spendable: int) -> int:
    spendable = max(spendable, 0)
    return {"none": 0, "some": spendable * share // 100, "all": spendable, "more": spendable + 1 + share * 3}[want]


def _empty_the_database() -> None:
    """Delete every row (cheaper than TRUNCATE on PostgreSQL for these few rows), ledger history
    included. Foreign keys are checked at the end, so the order of the tables does not matter.
    The test's own teardown (pytest-django's flush) restores what migrations create."""
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with transaction.atomic(), ledger_unguarded(), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
    clear_all()  # ids of the rows just deleted must not be remembered


# Everything a points change may write: equal states mean nothing changed.
WRITES = (Account, Transfer, Lot, Purchase, Refund, IdempotencyRecord)


# --- the model ----------------------------------------------------------------------------


@dataclass(eq=False)
class MLot:
    seq: int  # creation order: the id order of the stored lots
    merchant: int | None  # issuer
    remaining: int
    expires_at: datetime
    earn_of: int | None = None  # the purchase whose earn made it (a refund takes it back first)
    expired: int = 0  # what expiry took from it
    past_expiry: bool = False  # expired by the real clock: not spendable, though still counted until swept


@dataclass
class MMember:
    pk: int
    lots: list[MLot] = field(default_factory=list)
    debt: int = 0

    def positive(self) -> int:
        return sum(lot.remaining for lot in self.lots if lot.remaining > 0)

    def live(self) -> list[MLot]:
        """Open lots a debit may take from, first to expire first (pending days are 0)."""
        return sorted(
            (lot for lot in self.lots if lot.remaining > 0 and not lot.past_expiry),
            key=lambda lot: (lot.expires_at, lot.seq),
        )

    @property
    def balance(self) -> int:
        return self.positive() - self.debt

    def spendable(self) -> int:
        """What the member can spend now; in deficit, nothing until it is repaid."""
        return sum(lot.remaining for lot in self.live()) - self.debt

    def can_spend(self, points: int) -> bool:
        return points <= self.spendable()


@dataclass
class MPurchase:
    pk: int
    member: int  # index
    merchant: int
    external_id: str | None
    amount: int
    redeem_request: int
    occurred_at: datetime
    earned: int
    redeemed: int
    refunded: int = 0
    reversed: int = 0  # the refunded share of the points earned
    returned: int = 0
    clawed: int = 0  # what refunds took back: never points of its own lot that already expired
    spent: dict = field(default_factory=dict)  # MLot -> points its redemption took and no refund gave back


class LedgerMachine(RuleBasedStateMachine):
    purchases = Bundle("purchases")

    def __init__(self):
        super().__init__()
        _empty_the_database()
        self.start = timezone.now()
        self.clock_days = 0  # the expiry clock is start + clock_days days + 12 hours
        self.merchants = [merchant_create(name="فروشگاه الف").pk, merchant_create(name="فروشگاه ب").pk]
        self.members = [MMember(member_create(phone=f"0912{n:07d}", first_name="عضو").pk) for n in range(MEMBERS)]
        self.model_purchases: dict[int, MPurchase] = {}
        self.external_ids: dict[tuple[int, str], int] = {}  # (merchant, external_id) -> purchase
        self.flows: Counter = Counter()  # (member pk, kind, "in"/"out", merchant, issuer) -> points
        self.seq = itertools.count()
        self.ext = itertools.count(1)

    def teardown(self):
        clear_all()

    @property
    def sim_now(self) -> datetime:
        return self.start + timedelta(days=self.clock_days, hours=12)

    # --- model of the book ----------------------------------------------------------------
    def _credit(
        self, m: int, amount: int, *, kind: str, merchant: int | None, expires_at: datetime, earn_of: int | None = None
    ) -> None:
        member = self.members[m]
        # a deficit is repaid first, by points still live when credited
        repay = 0 if expires_at <= self.start else min(amount, member.debt)
        member.debt -= repay
        member.lots.append(
            MLot(next(self.seq), merchant, amount - repay, expires_at, earn_of, past_expiry=expires_at <= self.start)
        )
        self.flows[(member.pk, kind, "in", merchant, merchant)] += amount

    def _debit(
        self,
        m: int,
        amount: int,
        *,
        kind: str,
        merchant: int | None,
        allow_deficit: bool = False,
        prefer: int | None = None,
    ) -> list[tuple[MLot, int]]:
        member = self.members[m]
        lots = member.live()
        lots.sort(key=lambda lot: prefer is None or lot.earn_of != prefer)  # stable: the purchase's own lot first
        assert allow_deficit or member.can_spend(amount)
        left = amount
        taken: list[tuple[MLot, int]] = []
        for lot in lots:
            take = min(lot.remaining, left)
            if take:
                lot.remaining -= take
                left -= take
                taken.append((lot, take))
                self.flows[(member.pk, kind, "out", merchant, lot.merchant)] += take
        if left:
            member.debt += left
            self.flows[(member.pk, kind, "out", merchant, merchant)] += left
        return taken

    def _restore(self, p: "MPurchase", amount: int) -> None:
        """A refund gives spent points back to the lots they came from, latest to expire first;
        live ones repay a deficit first; what is past its expiry expires again at once."""
        member = self.members[p.member]
        left = amount
        for lot in sorted(p.spent, key=lambda lot: (lot.expires_at, lot.seq), reverse=True):
            back = min(p.spent[lot], left)
            if not back:
                continue
            p.spent[lot] -= back
            left -= back
            lot.remaining += back
            self.flows[(member.pk, "refund_reversal", "in", p.merchant, lot.merchant)] += back
            if not lot.past_expiry:
                repay = min(back, member.debt)
                lot.remaining -= repay
                member.debt -= repay
        assert left == 0
        self._expire_member(member, lambda lot: lot.past_expiry)

    def _expire(self, now: datetime) -> tuple[int, int]:
        members = points = 0
        for member in self.members:
            expired = self._expire_member(member, lambda lot: lot.expires_at <= now)
            members += expired > 0
            points += expired
        return members, points

    def _expire_member(self, member: MMember, due) -> int:
        expired = 0
        for lot in member.lots:
            if lot.remaining > 0 and due(lot):
                self.flows[(member.pk, "expire", "out", lot.merchant, lot.merchant)] += lot.remaining
                expired += lot.remaining
                lot.expired += lot.remaining
                lot.remaining = 0
        return expired

    def _unchanged(self, errors, call):
        with refused(errors, *WRITES) as info:
            call()
        return info.value

    # --- rules --------------------------------------------------------------------------------
    @initialize(target=purchases, data=st.data())
    def opening_purchases(self, data):
        """Every member starts with one to three purchases, so there is something to spend and refund."""
        made = []
        for m in range(MEMBERS):
            for n in range(data.draw(st.integers(1, 3), label=f"purchases of member {m}")):
                # the later ones may spend points earned by the first
                redeem = _wanted(data.draw(WANT), data.draw(SHARE), self.members[m].spendable()) if n else 0
                made.append(
                    self._purchase(
                        m,
                        data.draw(st.integers(0, 1), label="merchant"),
                        data.draw(st.integers(200_000, 5_000_000), label="amount"),
                        redeem,
                        data.draw(DAYS_AGO, label="days ago"),
                        with_external_id=True,
                    )
                )
        return multiple(*(pk for pk in made if pk is not None))

    @rule(
        target=purchases,
        m=st.integers(0, MEMBERS - 1),
        merchant=st.integers(0, 1),
        amount=AMOUNT,
        want=WANT,
        share=SHARE,
        days_ago=DAYS_AGO,
        with_external_id=st.booleans(),
    )
    def purchase(self, m, merchant, amount, want, share, days_ago, with_external_id):
        pk = self._purchase(
            m,
            merchant,
            amount,
            _wanted(want, share, self.members[m].spendable()),
            days_ago,
            with_external_id=with_external_id,
        )
        return multiple() if pk is None else pk

    def _purchase(self, m, merchant, amount, redeem, days_ago, *, with_external_id) -> int | None:
        member, merchant_id = self.members[m], self.merchants[merchant]
        occurred_at = self.start - timedelta(days=days_ago, hours=6)
        external_id = f"ext-{next(self.ext)}" if with_external_id else None
        redeemed = min(redeem, amount // POINT_VALUE)

        def call():
            return purchase_record(
                merchant_id=merchant_id,
                member_id=member.pk,
                amount=amount,
                external_id=external_id,
                occurred_at=occurred_at,
                redeem_points=redeem,
            )

        if redeemed and not member.can_spend(redeemed):
            self._unchanged(InsufficientPoints, call)
            return None
        result = call()
        earned = (amount - redeemed * POINT_VALUE) // EARN_PER_RIAL
        p = result.purchase
        spent = self._debit(m, redeemed, kind="redeem", merchant=merchant_id) if redeemed else []
        if earned:
            self._credit(
                m,
                earned,
                kind="earn",
                merchant=merchant_id,
                expires_at=add_months(occurred_at, EXPIRY_MONTHS),
                earn_of=p.pk,
            )
        assert not result.replayed
        assert (p.points_redeemed, p.discount, p.points_earned, p.balance_after) == (
            redeemed,
            redeemed * POINT_VALUE,
            earned,
            member.balance,
        )
        self.model_purchases[p.pk] = MPurchase(
            p.pk, m, merchant_id, external_id, amount, redeem, occurred_at, earned, redeemed, spent=dict(spent)
        )
        if external_id:
            self.external_ids[(merchant_id, external_id)] = p.pk
        return p.pk

    @rule(m=st.integers(0, MEMBERS - 1), merchant=st.integers(0, 1), want=WANT, share=SHARE)
    def redeem(self, m, merchant, want, share):
        self._redeem(m, merchant, max(_wanted(want, share, self.members[m].spendable()), 1))

    def _redeem(self, m, merchant, points):
        member, merchant_id = self.members[m], self.merchants[merchant]

        def call():
            return member_redeem(merchant_id=merchant_id, member_id=member.pk, points=points)

        if not member.can_spend(points):
            self._unchanged(InsufficientPoints, call)
            return
        change = call()
        self._debit(m, points, kind="redeem", merchant=merchant_id)
        assert (change.points, change.balance_after) == (points, member.balance)

    @rule(pk=purchases, data=st.data(), at_the_other_merchant=st.sampled_from([False, False, False, True]))
    def refund(self, pk, data, at_the_other_merchant):
        p = self.model_purchases[pk]
        if at_the_other_merchant:  # a merchant sees only its own purchases
            other = next(m for m in self.merchants if m != p.merchant)
            self._unchanged(PurchaseNotFound, lambda: refund_record(merchant_id=other, purchase_id=p.pk, amount=1))
            return
        left = p.amount - p.refunded
        amount = data.draw(
            st.one_of(
                st.integers(1, max(left, 1)),
                st.integers(left // 2 + 1, max(left, 1)),
                st.just(max(left, 1)),
                st.integers(left + 1, left + 2_000_000),
            ),
            label="refund amount",
        )
        self._refund(p, amount)

    @precondition(
        lambda self: any(p.refunded < p.amount and (p.earned or p.redeemed) for p in self.model_purchases.values())
    )
    @rule(data=st.data(), merchant=st.integers(0, 1), share=SHARE)
    def spend_everything_then_refund(self, data, merchant, share):
        """The member spends all it has, then a purchase is refunded: the claw-back of points
        already spent becomes a deficit (invariant 4), repaid by the next credits."""
        p = data.draw(
            st.sampled_from(
                [p for p in self.model_purchases.values() if p.refunded < p.amount and (p.earned or p.redeemed)]
            )
        )
        if self.members[p.member].spendable() > 0:
            self._redeem(p.member, merchant, self.members[p.member].spendable())
        left = p.amount - p.refunded
        self._refund(p, max(left * share // 100, 1))

    def _behind_earlier_points(self) -> list[int]:
        """Purchases still refundable whose own points expire after other points the member holds."""
        found = []
        for member in self.members:
            found += [
                lot.earn_of
                for lot in member.live()[1:]
                if lot.earn_of is not None
                and self.model_purchases[lot.earn_of].refunded < self.model_purchases[lot.earn_of].amount
            ]
        return found

    @precondition(lambda self: self._behind_earlier_points())
    @rule(data=st.data(), share=SHARE)
    def refund_while_holding_earlier_points(self, data, share):
        """A claw-back takes the purchase's own points first, not the member's first to expire."""
        p = self.model_purchases[data.draw(st.sampled_from(self._behind_earlier_points()))]
        self._refund(p, max((p.amount - p.refunded) * share // 100, 1))

    @precondition(lambda self: any(p.refunded < p.amount and p.earned for p in self.model_purchases.values()))
    @rule(data=st.data(), share=SHARE)
    def refund_after_its_points_expired(self, data, share):
        """Expiry comes for a purchase's points (some perhaps spent), then it is refunded: what
        already expired is not clawed back a second time."""
        p = data.draw(st.sampled_from([p for p in self.model_purchases.values() if p.refunded < p.amount and p.earned]))
        expires_at = add_months(p.occurred_at, EXPIRY_MONTHS)
        self._expire_after(max((expires_at - self.sim_now).days + 1, 0))
        left = p.amount - p.refunded
        self._refund(p, max(left * share // 100, 1))

    def _refund(self, p: MPurchase, amount: int) -> None:
        left = p.amount - p.refunded

        def call():
            return refund_record(merchant_id=p.merchant, purchase_id=p.pk, amount=amount)

        if amount > left:
            error = self._unchanged(RefundExceedsPurchase, call)
            assert error.details == {"refundable": left, "requested": amount}
            return
        refund = call()
        p.refunded += amount
        reverse = p.earned * p.refunded // p.amount - p.reversed
        give_back = p.redeemed * p.refunded // p.amount - p.returned
        p.reversed += reverse
        p.returned += give_back
        member = self.members[p.member]
        if reverse and p.earned:  # before a claw-back, what is past its expiry expires, as the run would
            self._expire_member(member, lambda lot: lot.past_expiry)
        expired = sum(lot.expired for lot in member.lots if lot.earn_of == p.pk)
        clawed = min(reverse, max(p.earned - expired - p.clawed, 0))
        p.clawed += clawed
        if clawed:
            self._debit(p.member, clawed, kind="refund_reversal", merchant=p.merchant, allow_deficit=True, prefer=p.pk)
        if give_back:
            self._restore(p, give_back)
        assert (refund.points_reversed, refund.points_returned, refund.balance_after) == (
            clawed,
            give_back,
            member.balance,
        )
        if p.refunded == p.amount:  # the last refund makes the totals exact
            assert (p.reversed, p.returned) == (p.earned, p.redeemed)

    @rule(days=st.one_of(st.just(0), st.integers(1, 30), st.integers(31, 90), st.integers(91, 400)))
    def expire(self, days):
        self._expire_after(days)

    def _expire_after(self, days: int) -> None:
        self.clock_days += days
        members, points = self._expire(self.sim_now)
        run = points_expire(now=self.sim_now)
        assert (run.members, run.points) == (members, points)

    @rule(
        m=st.integers(0, MEMBERS - 1),
        merchant=st.sampled_from([0, 1, None]),
        add=st.integers(1, 2_000),
        want=st.sampled_from(["add", "add", "some", "all", "more"]),
        share=SHARE,
    )
    def adjust(self, m, merchant, add, want, share):
        member = self.members[m]
        points = add if want == "add" else -max(_wanted(want, share, member.spendable()), 1)
        merchant_id = None if merchant is None else self.merchants[merchant]

        def call():
            return member_adjust(merchant_id=merchant_id, member_id=member.pk, points=points, reason="بررسی")

        if points < 0 and not member.can_spend(-points):
            self._unchanged(InsufficientPoints, call)
            return
        before = timezone.now()
        change = call()
        if points > 0:
            self._credit(m, points, kind="adjust", merchant=merchant_id, expires_at=add_months(before, EXPIRY_MONTHS))
        else:
            self._debit(m, -points, kind="adjust", merchant=merchant_id)
        assert (change.points, change.balance_after) == (points, member.balance)

    # --- retries (invariant 5) --------------------------------------------------------------
    def _send_again(self, p: MPurchase, **changes):
        body = {
            "merchant_id": p.merchant,
            "member_id": self.members[p.member].pk,
            "amount": p.amount,
            "external_id": p.external_id,
            "occurred_at": p.occurred_at,
            "redeem_points": p.redeem_request,
        }
        body.update(changes)
        return lambda: purchase_record(**body)

    @precondition(lambda self: any(p.external_id for p in self.model_purchases.values()))
    @rule(data=st.data())
    def retry_same_purchase(self, data):
        p = data.draw(st.sampled_from([p for p in self.model_purchases.values() if p.external_id]))
        call = self._send_again(p)
        with unchanged(*WRITES):
            result = call()  # even when the member has spent the points since, or is in deficit
        assert result.replayed and result.purchase.pk == p.pk
        assert (result.purchase.points_earned, result.purchase.points_redeemed) == (p.earned, p.redeemed)

    @precondition(lambda self: any(p.external_id for p in self.model_purchases.values()))
    @rule(data=st.data(), change=st.sampled_from(["amount", "occurred_at", "member", "redeem_points"]))
    def retry_with_a_different_body(self, data, change):
        p = data.draw(st.sampled_from([p for p in self.model_purchases.values() if p.external_id]))
        changed = {
            "amount": {"amount": p.amount + 1},
            "occurred_at": {"occurred_at": p.occurred_at - timedelta(seconds=1)},
            "member": {"member_id": self.members[(p.member + 1) % MEMBERS].pk},
            "redeem_points": {"redeem_points": p.redeem_request + 1},
        }[change]
        call = self._send_again(p, **changed)
        error = self._unchanged(DuplicateExternalId, call)  # whatever the member could afford now
        assert error.details == {"external_id": p.external_id, "purchase_id": p.pk}

    @precondition(lambda self: any(p.external_id for p in self.model_purchases.values()))
    @rule(data=st.data())
    def same_external_id_at_the_other_merchant(self, data):
        """external_id is unique per merchant: another merchant's purchase is a new one."""
        p = data.draw(st.sampled_from([p for p in self.model_purchases.values() if p.external_id]))
        other = next(m for m in self.merchants if m != p.merchant)
        if (other, p.external_id) in self.external_ids:
            return
        before = Purchase.objects.count()
        result = purchase_record(
            merchant_id=other,
            member_id=self.members[p.member].pk,
            amount=p.amount,
            external_id=p.external_id,
            occurred_at=p.occurred_at,
        )
        assert not result.replayed and Purchase.objects.count() == before + 1
        earned = p.amount // EARN_PER_RIAL
        if earned:
            self._credit(
                p.member,
                earned,
                kind="earn",
                merchant=other,
                expires_at=add_months(p.occurred_at, EXPIRY_MONTHS),
                earn_of=result.purchase.pk,
            )
        self.model_purchases[result.purchase.pk] = MPurchase(
            result.purchase.pk, p.member, other, p.external_id, p.amount, 0, p.occurred_at, earned, 0
        )
        self.external_ids[(other, p.external_id)] = result.purchase.pk

    # --- after every step ---------------------------------------------------------------------
    @invariant()
    def ledger_verifies(self):
        assert_ledger_ok()

    @invariant()
    def stored_ledger_matches_the_model(self):
        balances = dict(Account.objects.filter(member__isnull=False).values_list("member_id", "balance"))
        assert balances == {m.pk: m.balance for m in self.members}
        for member in self.members:
            summary = member_points(member_id=member.pk)
            assert (summary.balance, summary.available, summary.pending, summary.deficit) == (
                member.balance,
                member.spendable(),
                0,
                member.debt,
            )
        # The open lots, oldest first, with their issuer (coalition settlement rests on it): debits
        # took first-to-expire-first, a refund first from its purchase's own lot.
        lots = defaultdict(list)
        for member_id, issuer, remaining in (
            Lot.objects.filter(remaining__gt=0)
            .order_by("id")
            .values_list("account__member_id", "merchant_id", "remaining")
        ):
            lots[member_id].append((issuer, remaining))
        assert lots == {
            m.pk: [(lot.merchant, lot.remaining) for lot in m.lots if lot.remaining > 0]
            for m in self.members
            if m.positive()
        }
        # Every movement, by member, kind, direction, recording merchant and issuer.
        flows: Counter = Counter()
        for row in Transfer.objects.values(
            "kind", "merchant_id", "issuer_id", "debit__member_id", "credit__member_id"
        ).annotate(s=Sum("amount")):
            if row["debit__member_id"] is not None:
                key = (row["debit__member_id"], row["kind"], "out", row["merchant_id"], row["issuer_id"])
            else:
                key = (row["credit__member_id"], row["kind"], "in", row["merchant_id"], row["issuer_id"])
            flows[key] += row["s"]
        assert flows == +self.flows
        stored = {
            pk: (refunded, reversed_, returned)
            for pk, refunded, reversed_, returned in Purchase.objects.values_list(
                "id", "refunded_amount", "points_reversed", "points_returned"
            )
        }
        assert stored == {pk: (p.refunded, p.reversed, p.returned) for pk, p in self.model_purchases.items()}


def test_ledger_under_random_operations():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


# --- edge cases found by the machine ---------------------------------------------------------


def test_points_already_expired_when_credited_do_not_repay_a_deficit(merchant, member):
    # Given a member in deficit: 10 points earned, spent, then clawed back by a full refund
    purchase = purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=100_000).purchase
    member_redeem(merchant_id=merchant.pk, member_id=member.pk, points=10)
    refund_record(merchant_id=merchant.pk, purchase_id=purchase.pk, amount=100_000)
    assert (member_points(member_id=member.pk).balance, member_points(member_id=member.pk).deficit) == (-10, 10)

    # When a purchase of 500 days ago is imported: its 6 points expired four months ago
    purchase_record(
        merchant_id=merchant.pk, member_id=member.pk, amount=60_000, occurred_at=timezone.now() - timedelta(days=500)
    )
    # (before the expiry run, the ledger is consistent: the expired points wait for it)
    assert_ledger_ok()
    points_expire()

    # Then those points expired unspent, and the deficit is still all there
    summary = member_points(member_id=member.pk)
    assert (summary.balance, summary.available, summary.deficit) == (-10, -10, 10)
    assert Transfer.objects.filter(kind=Transfer.Kind.EXPIRE).aggregate(s=Sum("amount"))["s"] == 6
    assert_ledger_ok()
