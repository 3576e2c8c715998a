"""REST API v1: the reward catalogue, partner code pools, coupons and promo codes, gift cards."""

from django.utils import timezone
from ninja import Router

from vafa.api import reward_schemas as rs
from vafa.api.auth import needs
from vafa.api.common import READ_ERRORS, WRITE_ERRORS, IdempotencyKey
from vafa.api.idempotency import json_response, run_write
from vafa.core.masking import mask_code
from vafa.program.selectors import reward_body
from vafa.program.services import reward_create, reward_update
from vafa.rewards import selectors, services

router = Router()


# --- catalogue --------------------------------------------------------------------------------


@router.get("/program/rewards", auth=needs("rewards"),
            response={200: list[rs.RewardOut], **READ_ERRORS}, tags=["program"])
def list_rewards(request):
    return json_response(200, [reward_body(r) for r in selectors.reward_list()])


@router.post("/program/rewards", auth=needs("program"), response={201: rs.RewardOut, **WRITE_ERRORS}, tags=["program"])
def create_reward(request, payload: rs.RewardInput, idempotency_key: str | None = IdempotencyKey):
    def produce():
        reward = reward_create(**payload.model_dump())
        return 201, reward_body(selectors.reward_get(reward_id=reward.pk))

    return run_write(request, produce, audit="reward.create")


@router.get("/program/rewards/{reward_id}", auth=needs("rewards"),
            response={200: rs.RewardOut, **READ_ERRORS}, tags=["program"])
def get_reward(request, reward_id: str):
    return json_response(200, reward_body(selectors.reward_get(reward_id=reward_id)))


@router.patch("/program/rewards/{reward_id}", auth=needs("program"),
              response={200: rs.RewardOut, **WRITE_ERRORS}, tags=["program"])
def update_reward(request, reward_id: str, payload: rs.RewardPatch):
    def produce():
        reward = reward_update(reward_id=reward_id, **payload.model_dump(exclude_unset=True))
        return 200, reward_body(selectors.reward_get(reward_id=reward.pk))

    return run_write(request, produce, audit="reward.update")


@router.post("/program/rewards/{reward_id}/codes", auth=needs("program"),
             response={201: rs.PartnerCodesOut, **WRITE_ERRORS},
             tags=["program"])
def upload_partner_codes(request, reward_id: str, payload: rs.PartnerCodesInput,
                         idempotency_key: str | None = IdempotencyKey):
    def produce():
        added = services.partner_codes_upload(reward_id=reward_id, codes=payload.codes)
        return 201, {"added": added, "available": selectors.reward_get(reward_id=reward_id).available_codes}

    return run_write(request, produce, audit="partner_codes.upload")


@router.get("/members/{member_id}/rewards", auth=needs("rewards"),
            response={200: rs.MemberCatalogueOut, **READ_ERRORS}, tags=["rewards"])
def member_rewards(request, member_id: str):
    available_points, entries = selectors.member_catalogue(member_id=member_id)
    return json_response(200, {"available_points": available_points, "rewards": [
        {**reward_body(e.reward), "affordable": e.affordable, "available": e.available, "reason": e.reason}
        for e in entries]})


# --- coupons and promo codes -----------------------------------------------------------------


@router.post("/coupons/validate", auth=needs("rewards"),
             response={200: rs.CouponValidOut, **WRITE_ERRORS}, tags=["coupons"])
def validate_coupon(request, payload: rs.CouponCheckInput, idempotency_key: str | None = IdempotencyKey):
    def produce():
        check = services.coupon_validate(code=payload.code, member_id=payload.member_id, amount=payload.amount,
                                         merchant_id=request.auth.id)
        coupon = check.coupon
        return 200, {**rs.coupon_body(coupon), "valid": True, "discount": check.discount,
                     "starts_at": coupon.starts_at, "member_id": coupon.member_id,
                     "usage_limit": coupon.usage_limit, "used_count": coupon.used_count}

    return run_write(request, produce)


@router.post("/coupons/redeem", auth=needs("rewards"),
             response={201: rs.CouponUseOut, **WRITE_ERRORS}, tags=["coupons"])
def redeem_coupon(request, payload: rs.CouponRedeemInput, idempotency_key: str | None = IdempotencyKey):
    def produce():
        use = services.coupon_redeem(code=payload.code, member_id=payload.member_id, amount=payload.amount,
                                     merchant_id=request.auth.id, reference=payload.reference)
        coupon = use.coupon
        return 201, {"code": rs.coupon_body(coupon)["code"], "discount": use.discount,
                     "used_count": coupon.used_count, "usage_limit": coupon.usage_limit}

    return run_write(request, produce, audit="coupon.redeem")


@router.post("/promo-codes", auth=needs("rewards"), response={201: rs.PromoCodeOut, **WRITE_ERRORS}, tags=["coupons"])
def create_promo_code(request, payload: rs.PromoCodeInput, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 201, rs.promo_code_body(services.promo_code_create(merchant_id=request.auth.id,
                                                                  **payload.model_dump()))

    return run_write(request, produce, audit="promo_code.create")


@router.get("/members/{member_id}/coupons", auth=needs("rewards"),
            response={200: list[rs.MemberCouponOut], **READ_ERRORS},
            tags=["coupons"])
def member_coupons(request, member_id: str):
    now = timezone.now()
    return json_response(200, [_shown_here(request, c, rs.member_coupon_body(c, now))
                               for c in selectors.member_coupons(member_id=member_id)])


def _shown_here(request, held, body: dict) -> dict:
    """A coupon or gift card another merchant issued cannot be used here: its code is masked."""
    if not services.usable_at(held.merchant_id, request.auth.id):
        body["code"] = mask_code(held.code)
    return body


# --- gift cards (spend before {code}: the first matching path wins) -----------------------------


@router.get("/members/{member_id}/gift-cards", auth=needs("rewards"),
            response={200: list[rs.GiftCardDetailOut], **READ_ERRORS},
            tags=["gift cards"])
def member_gift_cards(request, member_id: str):
    now = timezone.now()
    return json_response(200, [_shown_here(request, c, rs.gift_card_detail_body(c, now))
                               for c in selectors.member_gift_cards(member_id=member_id)])


@router.post("/gift-cards/spend", auth=needs("rewards"),
             response={201: rs.GiftCardSpendOut, **WRITE_ERRORS}, tags=["gift cards"])
def spend_gift_card(request, payload: rs.GiftCardSpendInput, idempotency_key: str | None = IdempotencyKey):
    def produce():
        use = services.gift_card_spend(code=payload.code, amount_rial=payload.amount_rial,
                                       reference=payload.reference, merchant_id=request.auth.id)
        return 201, {"code": rs.gift_card_body(use.gift_card)["code"], "amount_rial": use.amount_rial,
                     "balance_rial": use.balance_after, "reference": use.reference}

    return run_write(request, produce, audit="gift_card.spend")


@router.get("/gift-cards/{code}", auth=needs("rewards"),
            response={200: rs.GiftCardDetailOut, **READ_ERRORS}, tags=["gift cards"])
def get_gift_card(request, code: str):
    return json_response(200, rs.gift_card_detail_body(selectors.gift_card_find(code=code), timezone.now()))
