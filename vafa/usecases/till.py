"""The till (POS): a cashier finds a member, previews a checkout, records it with points spent
and a coupon in one transaction, and prints its receipt.

A checkout's figures, all in Rials:

    basket          what the goods cost (the cashier types it, in Toman)
    coupon_discount what the coupon takes off the basket (checked on the basket: its minimum too)
    amount          basket - coupon_discount: the purchase's `amount`, what the customer owes
                    before points (points earn on it, refunds are measured against it)
    points discount the spent points x point value (purchase.discount), capped by the program
    to pay          amount - points discount

Coupon and purchase are one transaction: the purchase is recorded first (it locks the member's
account), then the coupon is used under its own row lock (the rewards app's lock order: member,
then coupon). A coupon that another till used a moment ago fails there, and the purchase rolls
back with it, so nothing is recorded. The coupon is validated first only to know its discount;
its use is what decides.

The same `external_id` again (a double submit of one checkout form) replays the recorded
purchase and does not use the coupon twice."""

import functools
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from vafa.commerce.models import Purchase
from vafa.commerce.selectors import TierStatus, member_tier_status
from vafa.commerce.services import PurchaseResult, purchase_record
from vafa.core.audit import Actor, audit_record, snapshot
from vafa.core.errors import (
    ApplicationError,
    CouponChanged,
    DuplicateExternalId,
    InsufficientPoints,
    MemberNotFound,
    PurchaseNotFound,
    RedeemExceedsAmount,
    ValidationFailed,
)
from vafa.core.ids import parse_id
from vafa.core.inputs import Int, Rial, checked
from vafa.core.limits import MAX_POINTS
from vafa.core.money import rial_to_toman
from vafa.core.phone import normalize_phone
from vafa.ledger.selectors import PointsSummary, member_points
from vafa.members.models import Member
from vafa.members.selectors import member_get
from vafa.merchants.models import Merchant
from vafa.program.selectors import earn_policy
from vafa.rewards.models import Coupon, CouponUse
from vafa.rewards.selectors import coupon_state, member_coupons, normalize_code
from vafa.rewards.services import coupon_redeem, coupon_validate, usable_at
from vafa.usecases.checkout_preview import checkout_preview
from vafa.usecases.joining import member_join
from vafa.usecases.spend_proof import spend_proof_check, spend_proof_needed, spend_proof_use

# --- the member at the till ---------------------------------------------------------------------


@dataclass(frozen=True)
class TillMember:
    member: Member
    points: PointsSummary
    available: int  # what may be spent now (0 while a deficit is owed)
    value_rial: int  # what the available points are worth
    point_value_rial: int
    tier: TierStatus
    coupons: list[Coupon]  # the member's own coupons usable now

    @property
    def can_buy(self) -> bool:
        return self.member.status != Member.Status.BLOCKED

    @property
    def can_spend(self) -> bool:
        return self.member.status == Member.Status.ACTIVE and self.available > 0


def till_member_find(*, phone: str) -> Member:
    """The member with this phone (any Iranian form): invalid_phone or member_not_found."""
    e164 = normalize_phone(phone)
    member = Member.objects.filter(phone=e164).first()
    if member is None:
        raise MemberNotFound(details={"phone": e164})
    return member


def till_member(*, member_id, merchant_id: int | None = None) -> TillMember:
    """What the cashier sees about a member: points and their value, tier, the coupons usable
    now at `merchant_id`'s shop (another shop's coupon is not shown, nor its code)."""
    member = member_get(member_id=member_id)
    now = timezone.now()
    points = member_points(member_id=member.pk, now=now)
    available = max(points.available, 0) if points.deficit == 0 else 0
    value = earn_policy().point_value_rial
    coupons = [c for c in member_coupons(member_id=member.pk)
               if coupon_state(c, now) == "active" and usable_at(c.merchant_id, merchant_id)]
    return TillMember(member=member, points=points, available=available, value_rial=available * value,
                      point_value_rial=value, tier=member_tier_status(member_id=member.pk, now=now),
                      coupons=coupons)


# --- the checkout preview ------------------------------------------------------------------------


@dataclass(frozen=True)
class TillPreview:
    basket: int
    coupon_code: str = ""
    coupon_discount: int = 0
    coupon_error: ApplicationError | None = None
    amount: int = 0
    redeem_requested: int = 0
    points_redeemed: int = 0
    points_discount: int = 0
    max_redeem_points: int = 0
    available_points: int = 0
    points_earned: int = 0
    applied_rules: list[dict] = field(default_factory=list)
    redeem_error: ApplicationError | None = None

    @property
    def to_pay(self) -> int:
        return self.amount - self.points_discount

    @property
    def to_pay_shown(self) -> int:
        return shown_to_pay(self.basket, self.coupon_discount, self.points_discount)


def shown_to_pay(basket: int, *discounts: int) -> int:
    """What the till shows to pay, in Rials of whole Toman: the basket less each discount as it
    is shown (each dropping its leftover Rials), so the printed lines add up. It differs from
    the exact amount by less than a Toman per discount."""
    return (rial_to_toman(basket) - sum(rial_to_toman(d) for d in discounts)) * 10


BASKET = Rial(1)
REDEEM_POINTS = Int(0, MAX_POINTS)


def till_preview(*, merchant_id: int, member_id: int, basket: int, redeem_points: int = 0,
                 coupon_code: str = "") -> TillPreview:
    """What this checkout would do, writing nothing. A coupon that does not apply is answered
    in `coupon_error` (and the preview goes on without it); points beyond the balance or the
    amount's share in `redeem_error` (and the preview spends what it may)."""
    basket = checked(BASKET, basket, "amount")
    redeem_points = checked(REDEEM_POINTS, redeem_points, "redeem_points")
    coupon_code = (coupon_code or "").strip()
    discount, coupon_error = 0, None
    if coupon_code:
        try:
            discount = coupon_validate(code=coupon_code, member_id=member_id, amount=basket,
                                       merchant_id=merchant_id).discount
        except ApplicationError as error:
            coupon_error = error
    amount = basket - discount
    preview = checkout_preview(merchant_id=merchant_id, member_id=member_id, amount=amount,
                               redeem_points=redeem_points)
    redeem_error = None
    if redeem_points > preview.available_points:
        redeem_error = InsufficientPoints(details={"available": preview.available_points,
                                                   "requested": redeem_points})
    elif redeem_points > preview.max_redeem_points:
        redeem_error = RedeemExceedsAmount(details={"max_redeem_points": preview.max_redeem_points,
                                                    "requested": redeem_points})
    return TillPreview(
        basket=basket, coupon_code=normalize_code(coupon_code) if coupon_code else "", coupon_discount=discount,
        coupon_error=coupon_error, amount=amount, redeem_requested=redeem_points,
        points_redeemed=preview.redeem_points, points_discount=preview.discount,
        max_redeem_points=preview.max_redeem_points, available_points=preview.available_points,
        points_earned=preview.points_earned, applied_rules=preview.applied_rules, redeem_error=redeem_error)


# --- the checkout --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TillResult:
    purchase: Purchase
    coupon_use: CouponUse | None
    replayed: bool = False

    @property
    def basket(self) -> int:
        return self.coupon_use.amount if self.coupon_use else self.purchase.amount


def _coupon_use_of(purchase: Purchase) -> CouponUse | None:
    """The coupon used with a till purchase: its reference is the purchase's external id."""
    if not purchase.external_id:
        return None
    return (CouponUse.objects.select_related("coupon")
            .filter(merchant_id=purchase.merchant_id, member_id=purchase.member_id, reference=purchase.external_id)
            .order_by("id").first())


def _replay(*, merchant_id: int, member_id: int, external_id: str, basket: int, redeem_points: int,
            coupon_code: str, payment_method: str) -> TillResult | None:
    existing = Purchase.objects.filter(merchant_id=merchant_id, external_id=external_id).first()
    if existing is None:
        return None
    use = _coupon_use_of(existing)
    used_code = use.coupon.code if use else ""
    if used_code != (normalize_code(coupon_code) if coupon_code else "") or (use and use.amount != basket):
        raise DuplicateExternalId(details={"external_id": external_id, "purchase_id": existing.pk})
    # purchase_record compares the rest (member, amount, points) with what was recorded.
    result = purchase_record(merchant_id=merchant_id, member_id=member_id, external_id=external_id,
                             amount=basket - (use.discount if use else 0), redeem_points=redeem_points,
                             payment_method=payment_method)
    return TillResult(purchase=result.purchase, coupon_use=use, replayed=True)


def till_checkout(*, merchant_id: int, member_id, basket: int, external_id: str, redeem_points: int = 0,
                  coupon_code: str = "", payment_method: str = "", occurred_at: datetime | None = None,
                  actor: Actor | None = None, member_code: str = "") -> TillResult:
    """Record a till checkout in one transaction: the purchase (points spent and earned), then
    the coupon's use on the same reference, and their audit entries as `actor`'s. Any refusal
    leaves nothing behind.

    Points asked beyond the balance are insufficient_points; beyond what the amount allows,
    redeem_exceeds_amount (the till never spends fewer points than the cashier announced).
    The same checkout sent twice (a double submit) replays the first: when the two race, the
    second loses the insert of the external id, and is run again after its transaction rolled
    back, finding the first one."""
    basket = checked(BASKET, basket, "amount")
    redeem_points = checked(REDEEM_POINTS, redeem_points, "redeem_points")
    member = member_get(member_id=member_id)
    external_id = (external_id or "").strip()
    if not external_id:
        raise ValidationFailed(details={"external_id": "required"})
    coupon_code = (coupon_code or "").strip()
    proof = None
    if spend_proof_needed(merchant_id=merchant_id, points=redeem_points) and not Purchase.objects.filter(
            merchant_id=merchant_id, external_id=external_id).exists():  # (a double submit replays)
        proof = spend_proof_check(merchant_id=merchant_id, member_id=member.pk, code=member_code,
                                  points=redeem_points)
    checkout = functools.partial(_checkout, merchant_id=merchant_id, member=member, basket=basket,
                                 external_id=external_id, redeem_points=redeem_points, coupon_code=coupon_code,
                                 payment_method=payment_method, occurred_at=occurred_at, actor=actor, proof=proof)
    if transaction.get_connection().in_atomic_block:
        return checkout()  # the caller's transaction: it resolves a lost race itself
    try:
        return checkout()
    except IntegrityError:
        return checkout()


def _checkout(*, merchant_id: int, member: Member, basket: int, external_id: str, redeem_points: int,
              coupon_code: str, payment_method: str, occurred_at: datetime | None, actor: Actor | None,
              proof: int | None = None) -> TillResult:
    with transaction.atomic():
        replay = _replay(merchant_id=merchant_id, member_id=member.pk, external_id=external_id, basket=basket,
                         redeem_points=redeem_points, coupon_code=coupon_code, payment_method=payment_method)
        if replay is not None:
            return replay
        spend_proof_use(proof=proof, merchant_id=merchant_id)
        discount = coupon_validate(code=coupon_code, member_id=member.pk, amount=basket,
                                   merchant_id=merchant_id).discount if coupon_code else 0
        amount = basket - discount
        most = earn_policy().redeemable_points(redeem_points, amount=amount)
        if most < redeem_points:
            raise RedeemExceedsAmount(details={"max_redeem_points": most, "requested": redeem_points})
        result: PurchaseResult = purchase_record(
            merchant_id=merchant_id, member_id=member.pk, external_id=external_id, amount=amount,
            redeem_points=redeem_points, payment_method=payment_method, occurred_at=occurred_at,
            channel=Purchase.Channel.IN_STORE)
        if result.replayed:
            # A double submit recorded it between our first look and our own insert: answer
            # that checkout (its coupon already used once), never use the coupon again.
            return _replay(merchant_id=merchant_id, member_id=member.pk, external_id=external_id, basket=basket,
                           redeem_points=redeem_points, coupon_code=coupon_code, payment_method=payment_method)
        use = None
        if coupon_code:
            use = coupon_redeem(code=coupon_code, member_id=member.pk, amount=basket, merchant_id=merchant_id,
                                reference=external_id)
            if use.discount != discount:  # the coupon was edited between the check and its use
                raise CouponChanged(details={"code": use.coupon.code})
        answer = TillResult(purchase=result.purchase, coupon_use=use, replayed=result.replayed)
        if actor is not None and not answer.replayed:
            _audit(answer, actor)
        return answer


def _audit(result: TillResult, actor: Actor) -> None:
    purchase, use = result.purchase, result.coupon_use
    audit_record(actor=actor, action="pos.purchase", target=purchase, after={
        "member": purchase.member_id, "external_id": purchase.external_id, "basket": result.basket,
        "coupon_discount": use.discount if use else 0, "amount": purchase.amount,
        "points_redeemed": purchase.points_redeemed, "points_discount": purchase.discount,
        "to_pay": purchase.amount - purchase.discount, "points_earned": purchase.points_earned,
        "balance_after": purchase.balance_after, "payment_method": purchase.payment_method})
    if use is not None:
        audit_record(actor=actor, action="pos.coupon", target=use.coupon, target_label=use.coupon.code, after={
            "code": use.coupon.code, "purchase": purchase.pk, "basket": use.amount, "discount": use.discount,
            "reference": use.reference, "used_count": use.coupon.used_count})


def till_join(*, merchant_id: int | None, phone: str, first_name: str, last_name: str,
              actor: Actor | None = None) -> Member:
    """A cashier joins a customer at the till (in the club's mode), audited as `actor`'s."""
    with transaction.atomic():
        member = member_join(merchant_id=merchant_id, phone=phone, first_name=first_name.strip(),
                             last_name=last_name.strip())
        if actor is not None:
            audit_record(actor=actor, action="pos.join", target=member,
                         after=snapshot(member, ["phone", "first_name", "last_name", "status", "merchant"]))
        return member


# --- the receipt ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    purchase: Purchase
    merchant: Merchant
    member: Member
    coupon_use: CouponUse | None
    point_value_rial: int

    @property
    def basket(self) -> int:
        return self.coupon_use.amount if self.coupon_use else self.purchase.amount

    @property
    def coupon_discount(self) -> int:
        return self.coupon_use.discount if self.coupon_use else 0

    @property
    def to_pay(self) -> int:
        return self.purchase.amount - self.purchase.discount

    @property
    def to_pay_shown(self) -> int:
        return shown_to_pay(self.basket, self.coupon_discount, self.purchase.discount)


def till_receipt(*, merchant_id: int, purchase_id) -> Receipt:
    """A purchase of this merchant with what the receipt prints; another merchant's purchase
    is purchase_not_found."""
    pk = parse_id(purchase_id, PurchaseNotFound)
    purchase = (Purchase.objects.select_related("merchant", "member")
                .filter(pk=pk, merchant_id=merchant_id).first())
    if purchase is None:
        raise PurchaseNotFound(details={"id": pk})
    return Receipt(purchase=purchase, merchant=purchase.merchant, member=purchase.member,
                   coupon_use=_coupon_use_of(purchase), point_value_rial=earn_policy().point_value_rial)
