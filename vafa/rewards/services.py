"""Spending points on rewards, and using what they give: coupons, promo codes, gift cards,
partner codes and donations.

A redemption happens only when a member or a cashier asks for it (or a rule's `reward`
effect issues one free): nothing here runs by itself.

Locks, always in this order: the member's account row (book_open), then the reward row (its
stock), a partner code row, or a coupon / gift card row. A coupon or a gift card is used
under its own row lock, so a single-use code is used once and a limit of N is never passed,
however many requests arrive together (SQLite serialises writers anyway)."""

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from vafa.core.errors import (
    ApplicationError,
    Conflict,
    CouponExhausted,
    CouponExists,
    CouponExpired,
    CouponMinPurchase,
    CouponNotForMember,
    CouponNotFound,
    CouponNotValidHere,
    CouponUsed,
    GiftCardEmpty,
    GiftCardNotFound,
    GiftCardNotValidHere,
    IdempotencyConflict,
    RewardLimitReached,
    RewardNotFound,
    RewardOutOfStock,
    RewardUnavailable,
    ShippingRequired,
    ValidationFailed,
)
from vafa.core.events import publish
from vafa.core.inputs import Rial, checked, validated
from vafa.ledger.models import Account, IdempotencyRecord, Transfer
from vafa.ledger.services import book_open, ensure_can_spend, ensure_not_blocked, system_account_id
from vafa.members.selectors import member_get
from vafa.merchants.selectors import club_merchant_id
from vafa.merchants.services import operator_id
from vafa.program.models import Reward
from vafa.program.selectors import earn_policy, parse_reward_id
from vafa.rewards import codes
from vafa.rewards.events import RewardRedeemed
from vafa.rewards.inputs import REFERENCE, PartnerCodesInput, PromoCodeInput
from vafa.rewards.models import Coupon, CouponUse, GiftCard, GiftCardUse, PartnerCode, Redemption, Shipment
from vafa.rewards.selectors import coupon_find, member_facts, redemptions_with_gifts, reward_unavailable_reason
from vafa.rewards.shipments import shipment_open, shipping_check

COUPON_KIND_OF_REWARD = {
    Reward.Kind.COUPON_AMOUNT: Coupon.Kind.AMOUNT,
    Reward.Kind.COUPON_PERCENT: Coupon.Kind.PERCENT,
    Reward.Kind.FREE_PRODUCT: Coupon.Kind.FREE_PRODUCT,
}


def _create_with_code(model, make_code, **fields):
    """Insert a row under a fresh random code; a collision (rare) draws another."""
    for _attempt in range(20):
        code = make_code()
        if model.objects.filter(code=code).exists():
            continue
        try:
            with transaction.atomic():
                return model.objects.create(code=code, **fields)
        except IntegrityError:
            continue  # the same code was taken a moment ago by a concurrent insert
    raise RuntimeError(f"no free {model.__name__} code after 20 attempts")


# --- redemption ---------------------------------------------------------------------------------


def _spending_merchant_id(merchant_id: int | None) -> int | None:
    """Points spent without a merchant (a member redeeming in the portal) are credited to the
    club's first merchant: the operator of the club. A club with no merchant yet uses the
    plain `redeemed` account."""
    if merchant_id is not None:
        return merchant_id
    return club_merchant_id()


def usable_at(issuer_id: int | None, merchant_id: int | None) -> bool:
    """Is a coupon or gift card of `issuer_id` usable at `merchant_id`'s shop? One issued by no
    merchant (a rule's welcome or birthday gift) is the club's own: the operator's, never a
    partner's."""
    if merchant_id is None:
        return True
    return (issuer_id if issuer_id is not None else operator_id()) == merchant_id


def _take_partner_code(reward_id: int) -> PartnerCode | None:
    """Lock one free code of the pool, or answer None when the pool is empty. Concurrent
    redemptions skip each other's locked codes on PostgreSQL; a code that looked taken only
    because its redemption was still running (and then rolled back) is waited for, so a
    pool with a free code never answers 'out of stock'."""
    free = PartnerCode.objects.filter(reward_id=reward_id, redemption__isnull=True).order_by("id")
    if connection.vendor != "postgresql":
        return free.first()  # SQLite: this transaction already holds the only write lock
    for _attempt in range(10):
        code = free.select_for_update(skip_locked=True).first()
        if code is not None or not free.exists():
            return code
        # Every free code is locked by a redemption still running: wait for one of them.
        code = free.select_for_update().first()
        if code is not None:
            return code
    return None


def _issue_coupon(reward: Reward, redemption: Redemption, now: datetime) -> Coupon:
    return _create_with_code(
        Coupon, codes.new_coupon_code,
        kind=COUPON_KIND_OF_REWARD[reward.kind], amount_rial=reward.amount_rial, percent=reward.percent,
        cap_rial=reward.cap_rial, min_purchase_rial=reward.min_purchase_rial, sku=reward.sku,
        member_id=redemption.member_id, redemption=redemption, is_promo=False, usage_limit=1,
        expires_at=now + timedelta(days=reward.valid_days) if reward.valid_days else None,
        merchant_id=redemption.merchant_id)


def _issue_gift_card(reward: Reward, redemption: Redemption, now: datetime) -> GiftCard:
    return _create_with_code(
        GiftCard, codes.new_gift_card_code,
        member_id=redemption.member_id, redemption=redemption, initial_rial=reward.amount_rial,
        balance_rial=reward.amount_rial, merchant_id=redemption.merchant_id,
        expires_at=now + timedelta(days=reward.valid_days) if reward.valid_days else None)


def reward_redeem(*, member_id: int, reward_id, merchant_id: int | None = None, free: bool = False,
                  rule: str = "", shipping=None, shipped_by: str = "") -> Redemption:
    """Spend a reward's points and give what it gives, in one transaction.

    `free=True` (a rule's `reward` effect) spends no points but keeps every other check:
    availability, stock and the per-member limit. `merchant_id` names where the points are
    spent (the `redeemed:<merchant>` account); without one, the club's first merchant.

    A physical reward (`Reward.ships`) needs `shipping`, the delivery address
    (vafa.rewards.inputs.ShippingInput or its fields): its Shipment (requested, its first step
    by `shipped_by`) is made in the same transaction, and it gives nothing else (no coupon:
    the goods travel instead). Its redemption stops counting towards the per-member limit
    once the shipment is cancelled.

    Answers the Redemption with what it gave already loaded (`coupon`, `gift_card`,
    `partner_code` or `shipment`, as the kind gives) and `balance_after`, the member's balance after it.
    Refusals: reward_not_found, reward_unavailable (details.reason: inactive, not_started,
    ended, member_kind, tier, plan), reward_limit_reached, insufficient_points,
    reward_out_of_stock, member_blocked / member_pending, shipping_required and
    validation_error (the address); each one changes nothing."""
    pk = parse_reward_id(reward_id)
    now = timezone.now()
    with transaction.atomic():
        book = book_open(member_id=member_id)
        book.now = now
        if free:
            ensure_not_blocked(book)  # a pending applicant may receive, but not spend
        else:
            ensure_can_spend(book)
        reward = Reward.objects.filter(pk=pk).first()
        if reward is None:
            raise RewardNotFound(details={"reward_id": reward_id})
        why = reward_unavailable_reason(reward, member_facts(member_id=book.member_id, now=now), now)
        if why is not None:
            raise RewardUnavailable(details={"reward_id": reward.pk, **why})
        address = shipping_check(shipping=shipping, member_kind=book.member_kind) if reward.ships else None
        if reward.per_member_limit is not None:
            # The member's row lock serialises this count with the member's other redemptions.
            taken = (Redemption.objects.filter(member_id=book.member_id, reward_id=reward.pk)
                     .exclude(shipment__status=Shipment.Status.CANCELLED).count())
            if taken >= reward.per_member_limit:
                raise RewardLimitReached(details={"reward_id": reward.pk, "per_member_limit": reward.per_member_limit,
                                                  "redeemed": taken})
        points = 0 if free else reward.cost_points
        spent_at = _spending_merchant_id(merchant_id) if points else merchant_id
        if points:
            # Checked (in memory) before any stock is taken, so a short balance holds no lock long.
            book.debit(points, kind=Transfer.Kind.REDEEM, merchant_id=spent_at,
                       to_account_id=system_account_id(Account.Role.REDEEMED, spent_at),
                       source=("reward", None), memo=f"reward {reward.pk}: {reward.name}")
        partner_code = None
        if reward.kind == Reward.Kind.PARTNER_CODE:
            partner_code = _take_partner_code(reward.pk)
            if partner_code is None:
                raise RewardOutOfStock(details={"reward_id": reward.pk})
        elif reward.stock is not None and not Reward.objects.filter(pk=reward.pk, stock__gt=0).update(
                stock=F("stock") - 1):  # the row lock of this UPDATE orders concurrent redemptions
            raise RewardOutOfStock(details={"reward_id": reward.pk})
        redemption = Redemption.objects.create(
            member_id=book.member_id, reward=reward, merchant_id=spent_at, points=points,
            value_rial=reward.cost_points * earn_policy().point_value_rial, free=free, rule=str(rule)[:64])
        if points:
            book.set_source("reward", redemption.pk)
            book.flush()
        if address is not None:
            shipment_open(redemption=redemption, address=address, by=shipped_by, now=now)
        elif reward.kind in COUPON_KIND_OF_REWARD:
            _issue_coupon(reward, redemption, now)
        elif reward.kind == Reward.Kind.GIFT_CARD:
            _issue_gift_card(reward, redemption, now)
        elif partner_code is not None:
            partner_code.redemption = redemption
            partner_code.save(update_fields=["redemption"])
        redemption.balance_after = book.balance
        publish(RewardRedeemed(redemption_id=redemption.pk, member_id=book.member_id, reward_id=reward.pk,
                               kind=reward.kind, points=points, free=free, merchant_id=spent_at))
        return redemption


def rule_rewards_give(lines, *, member_id: int, merchant_id: int | None) -> dict[str, str]:
    """Give the rewards that rules award (`lines` with a `reward_id`; free: no points spent).
    A reward that cannot be given (out of stock, limit reached) never fails the purchase or the
    event that earned it: answers, by rule id, why it was not given."""
    notes = {}
    for line in lines:
        if line.reward_id is None:
            continue

        try:
            with transaction.atomic():  # a refusal rolls back only the reward
                reward_redeem(member_id=member_id, reward_id=line.reward_id, merchant_id=merchant_id, free=True,
                              rule=line.rule_id)
        except (Conflict, ShippingRequired) as refused:  # a physical reward needs an address: not by a rule
            notes[line.rule_id] = f"reward not given: {refused.code}"
    return notes


# --- coupons and promo codes --------------------------------------------------------------------


@dataclass(frozen=True)
class CouponCheck:
    discount: int
    coupon: Coupon


def coupon_discount(coupon: Coupon, amount: int) -> int:
    """The discount in Rials on a basket of `amount`. A free-product coupon names its `sku`
    (the product handed over); its Rial discount is the product's price when the coupon
    carries one (`amount_rial`), else 0."""
    if coupon.kind == Coupon.Kind.PERCENT:
        discount = amount * (coupon.percent or 0) // 100
        return min(discount, coupon.cap_rial) if coupon.cap_rial is not None else discount
    return min(coupon.amount_rial or 0, amount)


def _member_pk(member_id) -> int | None:
    return None if member_id is None else member_get(member_id=member_id).pk


def _check_coupon(coupon: Coupon, *, member_pk: int | None, amount: int, now: datetime,
                  merchant_id: int | None = None) -> int:
    """The discount this coupon gives now at `merchant_id`'s shop, or the reason it does not. A
    coupon is valid at the merchant that issued it (whose points bought it, or who minted the
    promo code), so one shop's discount is never taken at another's expense."""
    details: dict[str, Any] = {"code": coupon.code}
    if not usable_at(coupon.merchant_id, merchant_id):
        raise CouponNotValidHere(details=details)
    if (coupon.starts_at is not None and now < coupon.starts_at) or (
            coupon.expires_at is not None and now >= coupon.expires_at):
        raise CouponExpired(details={**details, "starts_at": _iso(coupon.starts_at),
                                     "expires_at": _iso(coupon.expires_at)})
    if coupon.member_id is not None and member_pk is not None and coupon.member_id != member_pk:
        raise CouponNotForMember(details=details)
    if coupon.used_count >= coupon.usage_limit:
        if coupon.is_promo:
            raise CouponExhausted(details={**details, "usage_limit": coupon.usage_limit})
        raise CouponUsed(details=details)
    if coupon.is_promo and coupon.per_member_limit is not None and member_pk is not None:
        used = CouponUse.objects.filter(coupon_id=coupon.pk, member_id=member_pk).count()
        if used >= coupon.per_member_limit:
            raise CouponUsed(details={**details, "per_member_limit": coupon.per_member_limit})
    if amount < coupon.min_purchase_rial:
        raise CouponMinPurchase(details={**details, "min_purchase_rial": coupon.min_purchase_rial})
    return coupon_discount(coupon, amount)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def coupon_validate(*, code: str, member_id=None, amount: int, merchant_id: int | None = None) -> CouponCheck:
    """What a code would take off a basket of `amount` now, for this member; writes nothing.

    A personal coupon presented without a member is accepted (the code is the bearer's); a
    promo code's per-member limit needs the member to be named."""
    amount = checked(Rial(), amount, "amount")
    member_pk = _member_pk(member_id)
    coupon = coupon_find(code=code)
    discount = _check_coupon(coupon, member_pk=member_pk, amount=amount, now=timezone.now(), merchant_id=merchant_id)
    return CouponCheck(discount=discount, coupon=coupon)


def coupon_redeem(*, code: str, member_id=None, amount: int, merchant_id: int | None,
                  reference: str = "") -> CouponUse:
    """Use a code once on a basket of `amount`, atomically: the coupon's row is locked, so
    concurrent uses of a single-use code or of a promo code at its limit never pass it."""
    amount = checked(Rial(), amount, "amount")
    reference = checked(REFERENCE, reference, "reference")
    member_pk = _member_pk(member_id)
    normalized = codes.normalize(code) if isinstance(code, str) else None
    with transaction.atomic():
        coupon = Coupon.objects.select_for_update().filter(code=normalized).first() if normalized else None
        if coupon is None:
            raise CouponNotFound(details={"code": str(code)[:64]})
        discount = _check_coupon(coupon, member_pk=member_pk, amount=amount, now=timezone.now(),
                                 merchant_id=merchant_id)
        # The condition repeats the check in SQL: with the row lock it always holds; the
        # table's check constraint guards the same line once more.
        if not Coupon.objects.filter(pk=coupon.pk, used_count__lt=F("usage_limit")).update(
                used_count=F("used_count") + 1):
            raise (CouponExhausted if coupon.is_promo else CouponUsed)(details={"code": coupon.code})
        coupon.used_count += 1
        return CouponUse.objects.create(coupon=coupon, member_id=member_pk, amount=amount, discount=discount,
                                        reference=reference, merchant_id=merchant_id)


def promo_code_clean(**fields) -> dict[str, Any]:
    """A promo code's fields (vafa.rewards.inputs.PromoCodeInput: code, kind, usage_limit,
    amount_rial, percent, cap_rial, per_member_limit, min_purchase_rial, sku, starts_at, ends_at)
    checked and normalised as the Coupon's fields, or ValidationFailed; an existing code is
    CouponExists."""
    clean = validated(PromoCodeInput, fields).row()
    if Coupon.objects.filter(code=clean["code"]).exists():
        raise CouponExists(details={"code": clean["code"]})
    return clean


def promo_code_create(*, merchant_id: int | None, **fields) -> Coupon:
    """A shared code chosen by the club ("NOWRUZ1404"), usable `usage_limit` times in all and
    `per_member_limit` times by one member, between `starts_at` and `ends_at` (the fields of
    vafa.rewards.inputs.PromoCodeInput). Stored normalised; an existing code is refused
    (coupon_exists)."""
    clean = promo_code_clean(**fields)
    try:
        with transaction.atomic():
            return Coupon.objects.create(is_promo=True, merchant_id=merchant_id, **clean)
    except IntegrityError:  # created by a concurrent request a moment ago
        raise CouponExists(details={"code": clean["code"]}) from None


# --- gift cards ---------------------------------------------------------------------------------


def gift_card_spend(*, code: str, amount_rial: int, reference: str = "", merchant_id: int | None = None) -> GiftCardUse:
    """Take `amount_rial` from a gift card's balance (part of it or all); never below zero; only
    at the merchant that issued it."""
    amount_rial = checked(Rial(1), amount_rial, "amount_rial")
    reference = checked(REFERENCE, reference, "reference")
    normalized = codes.normalize(code) if isinstance(code, str) else None
    with transaction.atomic():
        card = GiftCard.objects.select_for_update().filter(code=normalized).first() if normalized else None
        if card is None:
            raise GiftCardNotFound(details={"code": str(code)[:64]})
        if not usable_at(card.merchant_id, merchant_id):
            raise GiftCardNotValidHere(details={"code": card.code})
        if card.expires_at is not None and timezone.now() >= card.expires_at:
            raise GiftCardEmpty(details={"code": card.code, "reason": "expired",
                                         "expires_at": card.expires_at.isoformat()})
        if amount_rial > card.balance_rial:
            raise GiftCardEmpty(details={"code": card.code, "reason": "balance", "balance_rial": card.balance_rial,
                                         "requested": amount_rial})
        card.balance_rial -= amount_rial
        card.save(update_fields=["balance_rial"])
        return GiftCardUse.objects.create(gift_card=card, amount_rial=amount_rial, balance_after=card.balance_rial,
                                          reference=reference, merchant_id=merchant_id)


# --- partner code pools -------------------------------------------------------------------------


def partner_codes_upload(*, reward_id, codes: list[str]) -> int:
    """Add codes to a partner_code reward's pool; answers how many were new. Blanks around a
    code are dropped; repeats (in the list or already in the pool) are skipped; the codes
    are kept as given otherwise (a partner's codes may be case-sensitive)."""
    pk = parse_reward_id(reward_id)
    cleaned = validated(PartnerCodesInput, {"codes": codes}).codes
    unique = list(dict.fromkeys(cleaned))
    with transaction.atomic():
        # The reward's row lock orders concurrent uploads, so the count before and after is
        # exactly what this upload added.
        reward = Reward.objects.select_for_update().filter(pk=pk).first()
        if reward is None:
            raise RewardNotFound(details={"reward_id": reward_id})
        if reward.kind != Reward.Kind.PARTNER_CODE:
            raise ValidationFailed(details={"reward_id": "not a partner_code reward"})
        before = PartnerCode.objects.filter(reward_id=pk).count()
        PartnerCode.objects.bulk_create([PartnerCode(reward_id=pk, code=c) for c in unique],
                                        ignore_conflicts=True, batch_size=500)
        return PartnerCode.objects.filter(reward_id=pk).count() - before


# --- redeeming from the member portal ------------------------------------------------------------
# The portal's form carries a one-time token; the redemption and a record of the token are written
# in one transaction (the API's `IdempotencyRecord`, keyed `portal:<member>:<token>`), so a second
# submission of the same form answers the first redemption instead of a new one. A concurrent
# duplicate waits on the member's account lock, then loses the unique insert of the key and rolls
# back: one effect.

_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _replay(*, merchant_id: int, key: str, fingerprint: str, member_id: int) -> Redemption | None:
    record = IdempotencyRecord.objects.filter(merchant_id=merchant_id, key=key).first()
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise IdempotencyConflict(details={"token": "already used for another reward"})
    redemption = redemptions_with_gifts(Redemption.objects.filter(pk=record.body.get("redemption_id"),
                                                       member_id=member_id)).first()
    if redemption is not None:
        redemption.replayed = True
    return redemption


def portal_reward_redeem(*, member_id: int, reward_id, token: str, shipping=None) -> Redemption:
    """Redeem `reward_id` for the member once per `token` (the form's one-time token); a
    physical reward is sent to `shipping` (see `reward_redeem`).

    Answers the Redemption (with `replayed` True when this token had already redeemed it).
    Raises what `reward_redeem` raises, changing nothing; `validation_error` for a malformed
    token; `idempotency_conflict` for a token already used for another reward."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise ValidationFailed(details={"token": "missing or malformed"})
    merchant_id = club_merchant_id()
    if merchant_id is None:  # no merchant yet: nothing to record the token against
        redemption = reward_redeem(member_id=member_id, reward_id=reward_id, shipping=shipping, shipped_by="member")
        redemption.replayed = False
        return redemption
    key = f"portal:{member_id}:{token}"
    fingerprint = hashlib.sha256(f"portal-redeem:{reward_id}".encode()).hexdigest()
    replay = _replay(merchant_id=merchant_id, key=key, fingerprint=fingerprint, member_id=member_id)
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            redemption = reward_redeem(member_id=member_id, reward_id=reward_id, shipping=shipping,
                                       shipped_by="member")
            IdempotencyRecord.objects.create(merchant_id=merchant_id, key=key, fingerprint=fingerprint,
                                             status=201, body={"redemption_id": redemption.pk})
    except (ApplicationError, IntegrityError):
        # A duplicate that ran alongside: the first one's answer, not this one's refusal.
        replay = _replay(merchant_id=merchant_id, key=key, fingerprint=fingerprint, member_id=member_id)
        if replay is not None:
            return replay
        raise
    redemption.replayed = False
    return redemption


# --- the steps of a physical reward's shipment (vafa.rewards.shipments), offered here -----------
from vafa.rewards.shipments import StepOutcome, shipment_step, shipments_forget  # noqa: E402, F401
