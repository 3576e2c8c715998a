"""A purchase's facts: what the program's rules may look at about it and its member (amount,
items, times, the member's kind, tier, paid plan, interests, which purchase of theirs it is).
Queries run only when the live rules use what they read, so a plain program keeps the purchase
at its fixed query budget."""

from datetime import datetime

from vafa.commerce import tiers
from vafa.commerce.models import Purchase
from vafa.core import sql
from vafa.members.models import Member, Membership, MembershipPlan
from vafa.merchants.models import Branch
from vafa.program import engine
from vafa.program.selectors import Facts, Program


def purchase_facts(program: Program, *, member_id: int, member_kind: str, merchant_id: int | None,
                   occurred_at: datetime, amount: int, tax: int, shipping: int, discount: int, items,
                   branch_id: int | None, channel: str, payment_method: str) -> Facts:
    rules = program.rules_for("purchase")
    nth = 0
    if program.needs_nth:
        # The n-th purchase: n - 1 of the member's purchases come before it by occurred_at
        # (an equal time counts as before: it was recorded first).
        nth = sql.fetch(f"SELECT COUNT(*) FROM {sql.table(Purchase)} WHERE {sql.column(Purchase, 'member')} = %s"
                        f" AND {sql.column(Purchase, 'occurred_at')} <= %s", [member_id, occurred_at])[0][0] + 1
    tier_state = tiers.tier_state(member_id) if program.tiers else None
    tier = program.tier_by_id(tier_state.tier_id) if tier_state else None
    interests = frozenset()
    if any(r.conditions.get("interests") for r in rules):
        interests = frozenset(Member.interests.through.objects.filter(member_id=member_id)
                              .values_list("interest__slug", flat=True))
    branch = None
    if branch_id is not None and any(r.conditions.get("branches") for r in rules):
        branch = Branch.objects.filter(pk=branch_id).values_list("code", flat=True).first()
    return Facts(
        merchant_id=merchant_id, occurred_at=occurred_at, amount=amount, tax=tax, shipping=shipping,
        discount=discount, member_kind=member_kind, tier=tier, tier_state=tier_state, interests=interests, nth=nth,
        branch=branch,
        channel=channel, payment_method=payment_method,
        plan=active_plan(member_id, occurred_at) if program.plans_with_bonus else None,
        items=tuple(engine.Item(sku=i.sku, quantity=i.quantity, unit_price=i.unit_price, category=i.category)
                    for i in items))


def active_plan(member_id: int, at: datetime) -> tuple[int, str, int] | None:
    """The paid plan the member holds at `at` (id, name, earn percent), if any. Plain SQL: a
    purchase asks this whenever a plan multiplies points."""
    m, p = Membership, MembershipPlan
    rows = sql.fetch(
        f"SELECT p.{sql.column(p, 'id')}, p.{sql.column(p, 'name')}, p.{sql.column(p, 'earn_percent')}"
        f" FROM {sql.table(m)} m JOIN {sql.table(p)} p ON p.{sql.column(p, 'id')} = m.{sql.column(m, 'plan')}"
        f" WHERE m.{sql.column(m, 'member')} = %s AND m.{sql.column(m, 'starts_at')} <= %s"
        f" AND m.{sql.column(m, 'ends_at')} > %s ORDER BY p.{sql.column(p, 'earn_percent')} DESC LIMIT 1",
        [member_id, at, at])
    return tuple(rows[0]) if rows else None
