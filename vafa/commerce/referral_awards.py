"""A referral's awards: completing it on the referred member's first qualifying purchase (the
rules with the `referral_completed` trigger award both members), and undoing that when the
purchase is refunded in full."""

from vafa.core import sql
from vafa.ledger.models import Account, Transfer
from vafa.ledger.services import book_open, system_account_id
from vafa.members.models import Member
from vafa.program import engine
from vafa.program.selectors import Program, member_labels_one, recorded_usage, rule_lines
from vafa.program.services import lines_apply, rule_usage_forget, rule_usage_record
from vafa.referrals.models import Referral
from vafa.referrals.services import referral_complete, referral_reopen
from vafa.rewards.services import rule_rewards_give


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


def referral_awards_give(program: Program, book, purchase, referrer) -> None:
    referral = referral_complete(member_id=book.member_id, purchase_id=purchase.pk, at=purchase.occurred_at)
    if referral is None:
        return
    rules = program.rules_for("referral_completed")
    source = ("referral", referral.pk)
    for who, member_book in (("referred", book), ("referrer", referrer)):
        chosen = [r for r in rules if r.effect.get("member", "referrer") == who]
        if not chosen or member_book is None or member_book.member_status == Member.Status.BLOCKED:
            continue  # a blocked referrer earns nothing
        tags, segments = member_labels_one(chosen, member_book.member_id)
        ctx = engine.Context(trigger="referral_completed", occurred_at=purchase.occurred_at,
                             member_kind=member_book.member_kind, merchant_id=purchase.merchant_id,
                             tags=tags, segments=segments,
                             point_value_rial=program.policy.point_value_rial)
        lines = rule_lines(chosen, ctx, recorded_usage(program, member_id=member_book.member_id,
                                                                 moment=purchase.occurred_at))
        lines_apply(member_book, lines, program, merchant_id=purchase.merchant_id,
                         occurred_at=purchase.occurred_at, source=source)
        member_book.flush()
        rule_usage_record(lines, program, member_id=member_book.member_id, occurred_at=purchase.occurred_at,
                               source=source)
        rule_rewards_give(lines, member_id=member_book.member_id, merchant_id=purchase.merchant_id)


def referral_undo(book, purchase, *, merchant_id: int) -> int:
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
    rule_usage_forget(given, source=("referral", referral.pk))
    return taken
