"""What a purchase sets off in its own transaction: the referral completing (and its awards), the
tier going up, a closed club's applicant approved once they have spent enough, and the rewards
rules give."""

from datetime import datetime

from vafa.commerce import tiers
from vafa.commerce.models import Purchase
from vafa.commerce.referral_awards import referral_awards_give
from vafa.commerce.spend import applicant_qualifies
from vafa.members.models import Application, Member
from vafa.members.services import application_auto_approve
from vafa.program.selectors import Line, Program, PurchaseFacts, club_policy
from vafa.rewards.services import rule_rewards_give


def after_purchase(program: Program, book, purchase: Purchase, lines: list[Line], facts: PurchaseFacts,
                   referrer=None, earns: bool = True) -> None:
    balance = book.balance
    # A referral completes on the first qualifying purchase of an approved member (not on history
    # imported without points: its awards would be points).
    if earns and (book.referred_by_id is not None and book.member_status == Member.Status.ACTIVE
            and purchase.amount >= program.policy.min_purchase_rial):
        referral_awards_give(program, book, purchase, referrer)
    if program.tiers:
        tiers.tier_review(program, member_id=book.member_id, now=book.now, state=facts.tier_state)
    if book.member_status == Member.Status.PENDING:
        application_review(member_id=book.member_id, now=book.now, member_status=book.member_status)
    notes = rule_rewards_give(lines, member_id=book.member_id, merchant_id=purchase.merchant_id)
    changed = {}
    if book.balance != balance:
        changed["balance_after"] = purchase.balance_after = book.balance
    if notes:
        purchase.applied_rules = [{**body, "detail": f"{body['detail']}; {notes[body['rule_id']]}"}
                                  if body["rule_id"] in notes else body for body in purchase.applied_rules]
        changed["applied_rules"] = purchase.applied_rules
    if changed:
        Purchase.objects.filter(pk=purchase.pk).update(**changed)


def application_review(*, member_id: int, now: datetime, member_status: str | None = None) -> bool:
    """Approve a pending applicant automatically when their spend over the last
    `approve_months` months reaches `approve_spend_rial`; answers whether it approved them.

    Called inside the purchase transaction after the purchase row is written, so the purchase
    that crosses the threshold counts. A caller that knows the member's status passes it:
    anyone but a pending member is answered without a query."""
    if member_status is not None and member_status != Member.Status.PENDING:
        return False
    pending = Application.objects.filter(member_id=member_id, status=Application.Status.PENDING,
                                         member__status=Member.Status.PENDING).exists()
    if not pending or not applicant_qualifies(member_id, now, club_policy()):
        return False
    return application_auto_approve(member_id=member_id, at=now)
