"""A shop's past purchases recorded many at a time (`vafa import purchases`): the same purchases,
items, points and lots as `purchase_record` writes one by one, in a constant number of statements
per chunk. Each purchase earns by the program's engine as it would have at its `occurred_at`,
with the member's tier and paid plan as they were then (the dry run's facts, vafa.commerce.facts).

Only what can be decided from the chunk alone is taken here: a program whose purchase rules have
no caps, budgets, rewards or free items and do not look at tags, segments or interests, and
members who are active, owe no points and were not referred (a referral completes on a purchase).
Everything else goes through `purchase_record`, one at a time, after the chunk's bulk part (never
a member of both in one chunk), so a chunk always ends as the one-by-one path would leave it.

History recorded in bulk is not announced purchase by purchase (PurchaseRecorded): nothing of
years past is news to a subscriber (webhooks, instant badge checks); badges and challenges
catch up in their periodic sweep."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from vafa.commerce import tiers
from vafa.commerce.facts import _facts, _History, _items
from vafa.commerce.models import Purchase, PurchaseItem
from vafa.core import sql
from vafa.core.errors import PointsOutOfBounds
from vafa.core.jalali import add_months
from vafa.core.limits import MAX_BALANCE
from vafa.ledger.models import Account, Lot, Transfer
from vafa.ledger.services import system_account_id
from vafa.members.models import Member
from vafa.program.selectors import Program, program_now, purchase_lines
from vafa.program.services import rule_usage_record

_PURCHASE_FIELDS = ["merchant_id", "member_id", "branch_id", "external_id", "amount", "tax", "shipping", "discount",
                    "channel", "payment_method", "points_earned", "points_redeemed", "balance_after",
                    "applied_rules", "refunded_amount", "points_reversed", "points_returned", "fingerprint",
                    "occurred_at", "recorded_at"]
_ITEM_FIELDS = ["purchase_id", "sku", "name", "category", "quantity", "unit_price"]
_TRANSFER_FIELDS = ["debit_id", "credit_id", "amount", "kind", "merchant_id", "issuer_id", "source_kind",
                    "source_id", "rule", "memo", "created_at"]
_LOT_FIELDS = ["account_id", "transfer_id", "merchant_id", "amount", "remaining", "expired", "available_at",
               "expires_at", "created_at"]


@dataclass(frozen=True)
class PastPurchase:
    """One purchase of the history, checked (PurchaseInput) and with its member found."""

    member_id: int
    external_id: str
    amount: int
    occurred_at: datetime
    items: tuple
    branch_id: int | None
    branch: str | None
    fingerprint: str


def program_takes_bulk(program: Program) -> bool:
    for rule in program.rules_for("purchase"):
        info = program.rule_info[rule.id]
        if info.has_caps or info.has_budget or rule.effect.get("type") in ("reward", "free_item"):
            return False
        if any(rule.conditions.get(name) for name in ("tags", "segments", "interests")):
            return False
    return True


def _accounts_locked(member_ids: list[int]) -> dict[int, tuple]:
    """Each member's account (id, balance, deficit) and status and referrer, locked in id order
    (every writer locks accounts in that order, so chunks never deadlock one another)."""
    a, m = Account, Member
    marks = ", ".join(["%s"] * len(member_ids))
    rows = sql.fetch(
        f"SELECT a.{sql.column(a, 'member')}, a.{sql.column(a, 'id')}, a.{sql.column(a, 'balance')},"
        f" a.{sql.column(a, 'deficit')}, m.{sql.column(m, 'status')}, m.{sql.column(m, 'kind')},"
        f" m.{sql.column(m, 'referred_by')} FROM {sql.table(a)} a"
        f" JOIN {sql.table(m)} m ON m.{sql.column(m, 'id')} = a.{sql.column(a, 'member')}"
        f" WHERE a.{sql.column(a, 'member')} IN ({marks}) ORDER BY a.{sql.column(a, 'id')}" + sql.for_update("a"),
        member_ids)
    return {row[0]: row[1:] for row in rows}


def purchases_record_past(*, merchant_id: int, purchases: list[PastPurchase], earns: bool) -> list[PastPurchase]:
    """Record the purchases that the bulk path can take (in the caller's transaction) and answer
    the others, for `purchase_record` one at a time. None of them may be recorded already."""
    if not purchases:
        return []
    program = program_now()
    accounts = _accounts_locked(sorted({p.member_id for p in purchases}))
    simple = not earns or program_takes_bulk(program)
    one_by_one = {member_id for member_id, (_a, _b, deficit, status, _k, referrer) in accounts.items()
                  if not simple or status != Member.Status.ACTIVE or deficit or referrer is not None}
    taken = sorted((p for p in purchases if p.member_id not in one_by_one), key=lambda p: p.occurred_at)
    rest = [p for p in purchases if p.member_id in one_by_one]
    if taken:
        _record(program, merchant_id, taken, accounts, earns)
    return rest


def _record(program: Program, merchant_id: int, taken: list[PastPurchase], accounts: dict, earns: bool) -> None:
    now = timezone.now()
    members = {p.member_id for p in taken}
    history = _History(program)
    history.load(members)
    seen: dict[int, int] = {}  # the chunk's purchases of each member taken so far (in time order)
    before: dict[int, list] = {}  # the times of each member's purchases recorded before this chunk
    if earns and program.needs_nth:
        # Which purchase of theirs each one is, as purchase_facts counts it one at a time: the
        # member's recorded purchases at or before its time, each member's own (an earlier chunk
        # may hold a member's purchase later than this chunk's earliest row).
        for member_id, at in (Purchase.objects.filter(member_id__in=members).order_by("member_id", "occurred_at")
                              .values_list("member_id", "occurred_at").iterator()):
            before.setdefault(member_id, []).append(at)
    balance = {member_id: accounts[member_id][1] for member_id in members}
    issued_from = system_account_id(Account.Role.ISSUED, merchant_id)
    policy = program.policy
    purchase_rows, credits = [], []  # credits: (purchase index, line, available_at, expires_at)
    for index, p in enumerate(taken):
        lines = []
        if earns:
            seen[p.member_id] = seen.get(p.member_id, 0) + 1
            nth = bisect_right(before.get(p.member_id, ()), p.occurred_at) + seen[p.member_id]
            facts = _facts(merchant_id=merchant_id, occurred_at=p.occurred_at, amount=p.amount, tax=0, shipping=0,
                           discount=0, items=_items(p.items), member_kind=accounts[p.member_id][4],
                           tier=history.tier(p.member_id, p.occurred_at), plan=history.plan(p.member_id, p.occurred_at),
                           interests=frozenset(), nth=nth, branch=p.branch, channel="in_store",
                           payment_method="")
            # No caps or budgets in a program the bulk path takes: the rules' usage is never read.
            lines = purchase_lines(program, facts, program.rules_for("purchase"), lambda applying: {})
        earned = sum(line.points for line in lines if line.points > 0)
        if balance[p.member_id] + earned > MAX_BALANCE:
            raise PointsOutOfBounds(details={"points": f"the member's balance would pass {MAX_BALANCE}"})
        balance[p.member_id] += earned
        for line in lines:
            if line.points > 0:
                info = program.rule_info.get(line.rule_pk)
                pending = info.pending_days if info and info.pending_days is not None else policy.pending_days
                expires = (policy.expires_at(p.occurred_at) if not info or info.expiry_months is None
                           else add_months(p.occurred_at, info.expiry_months))
                credits.append((index, line, p.occurred_at + timedelta(days=pending), expires))
        purchase_rows.append([merchant_id, p.member_id, p.branch_id, p.external_id, p.amount, 0, 0, 0, "in_store", "",
                              earned, 0, balance[p.member_id], [line.body() for line in lines], 0, 0, 0,
                              p.fingerprint, p.occurred_at, now])
    ids = sql.insert_many(Purchase, _PURCHASE_FIELDS, purchase_rows)
    sql.insert_many(PurchaseItem, _ITEM_FIELDS, [[ids[i], item.sku, item.name[:200], item.category[:64], item.quantity,
                                          item.unit_price] for i, p in enumerate(taken) for item in p.items])
    account_of = {member_id: accounts[member_id][0] for member_id in members}
    transfer_ids = sql.insert_many(Transfer, _TRANSFER_FIELDS, [
        [issued_from, account_of[taken[i].member_id], line.points, line.kind, merchant_id, merchant_id, "purchase",
         ids[i], line.rule_id, (line.detail if line.rule_id == "base" else f"{line.name}: {line.detail}")[:255], now]
        for i, line, _available, _expires in credits])
    sql.insert_many(Lot, _LOT_FIELDS, [
        [account_of[taken[i].member_id], transfer_id, merchant_id, line.points, line.points, 0, available, expires, now]
        for (i, line, available, expires), transfer_id in zip(credits, transfer_ids, strict=True)])
    changed = {account_of[m]: balance[m] for m in members if balance[m] != accounts[m][1]}
    sql.update_by_id(Account, "balance", changed)
    given = defaultdict(list)
    for i, line, _available, _expires in credits:
        if line.rule_pk is not None:
            given[i].append(line)
    for i, lines in given.items():
        rule_usage_record(lines, program, member_id=taken[i].member_id, occurred_at=taken[i].occurred_at,
                          source=("purchase", ids[i]))
    if program.tiers:
        for member_id in sorted(members):
            tiers.tier_review(program, member_id=member_id, now=now)


