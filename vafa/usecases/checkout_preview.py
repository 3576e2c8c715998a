"""The checkout preview: what a basket would earn and what the member could spend, computed
exactly as the purchase would be, writing nothing."""

from dataclasses import dataclass

from django.utils import timezone

from vafa.commerce.inputs import PreviewInput
from vafa.commerce.selectors import purchase_facts
from vafa.core.errors import BranchNotFound, MemberBlocked, MemberNotFound
from vafa.core.inputs import validated
from vafa.core.phone import normalize_phone
from vafa.ledger.selectors import member_points
from vafa.members.models import Member
from vafa.members.selectors import member_get
from vafa.merchants.selectors import branch_id_for_code
from vafa.program.selectors import program_now, purchase_lines, recorded_usage
from vafa.rewards.selectors import coupon_state, member_catalogue, member_coupons
from vafa.rewards.services import coupon_discount


@dataclass(frozen=True)
class Preview:
    member_id: int | None
    points_earned: int
    applied_rules: list[dict]
    redeem_points: int
    discount: int
    max_redeem_points: int
    available_points: int
    free_items: list[dict]


def checkout_preview(*, merchant_id: int, basket: PreviewInput | None = None, **fields) -> Preview:
    """`basket` (already checked: the API's body) or the fields of a purchase as keywords
    (vafa.commerce.inputs.PreviewInput; the member optional). Without a member (a guest's
    basket) the preview is that of a new person's first purchase."""
    given = basket if basket is not None else validated(PreviewInput, fields)
    member_id, phone, amount, tax, shipping = given.member_id, given.phone, given.amount, given.tax, given.shipping
    items, branch, redeem_points = given.items, given.branch, given.redeem_points
    channel, payment_method = given.channel, given.payment_method
    occurred_at = given.occurred_at or timezone.now()
    member = None
    if member_id is not None or phone:
        member = member_get(member_id=member_id) if member_id is not None else _by_phone(phone)
    branch_id = None
    if branch:
        branch_id = branch_id_for_code(merchant_id=merchant_id, code=branch)
        if branch_id is None:
            raise BranchNotFound(details={"branch": branch})
    if member is not None and member.status == Member.Status.BLOCKED:
        raise MemberBlocked(details={"status": "blocked"})  # as the purchase itself would answer
    program = program_now()
    policy = program.policy
    available = 0
    if member is not None and member.status == Member.Status.ACTIVE:
        points = member_points(member_id=member.pk)
        available = max(points.available, 0) if points.deficit == 0 else 0
    most = policy.redeemable_points(available, amount=amount) if available else 0
    redeemed = min(policy.redeemable_points(redeem_points, amount=amount), most)
    # A guest is previewed as a new person: member id 0 has no purchases, tier or awards.
    member_pk, kind = (member.pk, member.kind) if member is not None else (0, Member.Kind.PERSON)
    facts = purchase_facts(program, member_id=member_pk, member_kind=kind, merchant_id=merchant_id,
                           occurred_at=occurred_at, amount=amount, tax=tax, shipping=shipping,
                           discount=redeemed * policy.point_value_rial, items=items, branch_id=branch_id,
                           channel=channel, payment_method=payment_method)
    usage = recorded_usage(program, member_id=member_pk, moment=occurred_at, lock=False)
    lines = purchase_lines(program, facts, program.rules_for("purchase"), usage)
    return Preview(
        member_id=member.pk if member else None,
        points_earned=sum(max(line.points, 0) for line in lines),
        applied_rules=[line.body() for line in lines],
        redeem_points=redeemed, discount=redeemed * policy.point_value_rial, max_redeem_points=most,
        available_points=available,
        free_items=[{**line.free_item, "rule_id": line.rule_id} for line in lines if line.free_item],
    )


def _by_phone(phone: str) -> Member:
    member = Member.objects.filter(phone=normalize_phone(phone)).first()
    if member is None:
        raise MemberNotFound(details={"phone": phone})
    return member


def offers(*, member_id: int | None, amount: int) -> tuple[list[dict], list[dict]]:
    """The rewards this member can redeem now (available and affordable) and the member's
    coupons that apply to a basket of `amount`, with the discount each gives."""
    if member_id is None:
        return [], []

    _points, entries = member_catalogue(member_id=member_id)
    rewards = [{"id": e.reward.pk, "name": e.reward.name, "kind": e.reward.kind, "cost_points": e.reward.cost_points}
               for e in entries if e.available and e.affordable]
    coupons = [{"code": c.code, "kind": c.kind, "discount": coupon_discount(c, amount), "expires_at": c.expires_at}
               for c in member_coupons(member_id=member_id)
               if coupon_state(c) == "active" and amount >= c.min_purchase_rial]
    return rewards, coupons
