"""What a purchase needs to know about its member, and what follows from it in the same
transaction: the referral completing, the tier going up, a closed club's application
approved, rewards given by rules. Queries run only when the program uses what they read,
so a plain program keeps the purchase at its fixed query budget."""

from datetime import datetime

from django.db import transaction
from django.db.models import F

from vafa.commerce import earn, tiers
from vafa.commerce.club import application_review
from vafa.commerce.models import Purchase
from vafa.core import sql
from vafa.core.errors import Conflict
from vafa.ledger.accounts import system_account_id
from vafa.ledger.book import book_open
from vafa.ledger.models import Account, Transfer
from vafa.members.models import Member, Membership, MembershipPlan
from vafa.merchants.models import Branch
from vafa.program import engine
from vafa.program.models import Rule, RuleAward
from vafa.program.selectors import Program, program_now
from vafa.referrals.models import Referral
from vafa.referrals.services import referral_complete, referral_reopen
from vafa.rewards.services import reward_redeem


def purchase_facts(program: Program, *, member_id: int, member_kind: str, merchant_id: int | None,
                   occurred_at: datetime, amount: int, tax: int, shipping: int, discount: int, items,
                   branch_id: int | None, channel: str, payment_method: str) -> earn.Facts:
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
    return earn.Facts(
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


def referrer_book(program: Program, book, amount: int):
    """When this purchase may complete a referral that rules reward, lock the referrer's
    account now: accounts are always locked before any rule row (a budget's), and a referred
    member's before the referrer's (referrals form no cycles), so no two purchases deadlock."""
    if (book.referred_by_id is None or book.member_status != Member.Status.ACTIVE
            or amount < program.policy.min_purchase_rial or not program.rules_for("referral_completed")):
        return None
    pending = sql.fetch(f"SELECT 1 FROM {sql.table(Referral)} WHERE {sql.column(Referral, 'referred')} = %s"
                        f" AND {sql.column(Referral, 'status')} = %s", [book.member_id, Referral.Status.PENDING])
    return book_open(member_id=book.referred_by_id) if pending else None


def after_purchase(program: Program, book, purchase: Purchase, lines: list[earn.Line], facts: earn.Facts,
                   referrer=None) -> None:
    balance = book.balance
    # A referral completes on the first qualifying purchase of an approved member.
    if (book.referred_by_id is not None and book.member_status == Member.Status.ACTIVE
            and purchase.amount >= program.policy.min_purchase_rial):
        _complete_referral(program, book, purchase, referrer)
    if program.tiers:
        tiers.tier_review(program, member_id=book.member_id, now=book.now, state=facts.tier_state)
    if book.member_status == Member.Status.PENDING:
        application_review(member_id=book.member_id, now=book.now, member_status=book.member_status)
    notes = rewards_issue(lines, member_id=book.member_id, merchant_id=purchase.merchant_id)
    changed = {}
    if book.balance != balance:
        changed["balance_after"] = purchase.balance_after = book.balance
    if notes:
        purchase.applied_rules = [{**body, "detail": f"{body['detail']}; {notes[body['rule_id']]}"}
                                  if body["rule_id"] in notes else body for body in purchase.applied_rules]
        changed["applied_rules"] = purchase.applied_rules
    if changed:
        Purchase.objects.filter(pk=purchase.pk).update(**changed)


def rewards_issue(lines: list[earn.Line], *, member_id: int, merchant_id: int | None) -> dict[str, str]:
    """Give the rewards that rules award (free: no points spent). A reward that cannot be
    given (out of stock, limit reached) never fails the purchase: the line says why."""
    notes = {}
    for line in lines:
        if line.reward_id is None:
            continue

        try:
            with transaction.atomic():  # a refusal rolls back only the reward
                reward_redeem(member_id=member_id, reward_id=line.reward_id, merchant_id=merchant_id, free=True,
                              rule=line.rule_id)
        except Conflict as refused:
            notes[line.rule_id] = f"reward not given: {refused.code}"
    return notes


def _complete_referral(program: Program, book, purchase: Purchase, referrer) -> None:
    referral = referral_complete(member_id=book.member_id, purchase_id=purchase.pk, at=purchase.occurred_at)
    if referral is None:
        return
    rules = program.rules_for("referral_completed")
    source = ("referral", referral.pk)
    for who, member_book in (("referred", book), ("referrer", referrer)):
        chosen = [r for r in rules if r.effect.get("member", "referrer") == who]
        if not chosen or member_book is None or member_book.member_status == Member.Status.BLOCKED:
            continue  # a blocked referrer earns nothing
        ctx = engine.Context(trigger="referral_completed", occurred_at=purchase.occurred_at,
                             member_kind=member_book.member_kind, merchant_id=purchase.merchant_id,
                             point_value_rial=program.policy.point_value_rial)
        lines = earn.rule_lines(chosen, ctx, earn.recorded_usage(program, member_id=member_book.member_id,
                                                                 moment=purchase.occurred_at))
        earn.lines_apply(member_book, lines, program, merchant_id=purchase.merchant_id,
                         occurred_at=purchase.occurred_at, source=source)
        member_book.flush()
        earn.rule_usage_record(lines, program, member_id=member_book.member_id, occurred_at=purchase.occurred_at,
                               source=source)
        rewards_issue(lines, member_id=member_book.member_id, merchant_id=purchase.merchant_id)


def referral_undo(book, purchase: Purchase, *, merchant_id: int) -> int:
    """A refund took all of the purchase that completed a referral: reopen the referral and
    take back what the referral rules gave both members (even if already spent: a deficit).
    The referred member's book is already open, so the referrer's is locked second, in the
    same order as a purchase locks them. Answers the points taken back."""
    referral = referral_reopen(purchase_id=purchase.pk)
    if referral is None:
        return 0
    reversed_ids = Transfer.objects.filter(kind=Transfer.Kind.REFUND_REVERSAL, reverses__isnull=False,
                                           source_kind="referral", source_id=referral.pk).values("reverses_id")
    # Only what this completion gave: an earlier completion's awards were taken back already.
    given = list(Transfer.objects.filter(source_kind="referral", source_id=referral.pk, kind=Transfer.Kind.REFERRAL)
                 .exclude(pk__in=reversed_ids).select_related("credit").order_by("id"))
    taken = 0
    books = {book.member_id: book}
    for transfer in given:
        member_id = transfer.credit.member_id
        member_book = books.get(member_id) or books.setdefault(member_id, book_open(member_id=member_id))
        member_book.debit(transfer.amount, kind=Transfer.Kind.REFUND_REVERSAL, merchant_id=merchant_id,
                          to_account_id=system_account_id(Account.Role.ISSUED, transfer.issuer_id or merchant_id),
                          source=("referral", referral.pk), rule=transfer.rule, include_pending=True,
                          allow_deficit=True, reverses=transfer, prefer_transfer_ids=[transfer.pk],
                          memo=f"referral undone: purchase #{purchase.pk} refunded in full")
        taken += transfer.amount
    for member_book in books.values():
        if member_book is not book:
            member_book.flush()
    _rule_usage_forget(given, source=("referral", referral.pk))
    return taken


def _rule_usage_forget(transfers, *, source: tuple[str, int]) -> None:
    """What undone awards used of their rules' caps and budgets is free again (the accounts
    are locked already, so rule rows come second, as in a purchase)."""
    RuleAward.objects.filter(source_kind=source[0], source_id=source[1]).delete()
    by_rule: dict[int, int] = {}
    for transfer in transfers:
        if transfer.rule.isdigit():
            by_rule[int(transfer.rule)] = by_rule.get(int(transfer.rule), 0) + transfer.amount
    value = program_now().policy.point_value_rial
    for rule in Rule.objects.select_for_update().filter(pk__in=by_rule).exclude(budget={}).order_by("pk"):
        points = by_rule[rule.pk]
        Rule.objects.filter(pk=rule.pk).update(issued_points=F("issued_points") - points,
                                               issued_rial=F("issued_rial") - points * value)
