"""Turn domain objects into the API's JSON bodies (plain dicts)."""

from django.core.exceptions import ObjectDoesNotExist

from vafa.commerce.models import Purchase, Refund
from vafa.core.masking import mask_national_id


def tier_fields(status) -> dict:
    """`tier`, `next_tier` (codes) and `to_next_tier` (in the next tier's own measure)."""
    if status is None or (status.tier is None and status.next_tier is None):
        return {"tier": None, "next_tier": None, "to_next_tier": None, "tier_detail": None}
    tier = status.tier
    return {
        "tier": tier.code if tier else None,
        "next_tier": status.next_tier.code if status.next_tier else None,
        "to_next_tier": status.to_next_tier,
        "tier_detail": {"code": tier.code, "name": tier.name, "rank": tier.rank, "color": tier.color,
                        "earn_percent": tier.earn_percent, "kept_until": status.hold_until} if tier else None,
    }


def clv_fields(member) -> dict | None:
    """The nightly lifetime-value figures (DESIGN: `clv`), or None before the member is scored.
    The score comes with the member (select_related("score")): no query of its own."""
    try:
        score = member.score
    except ObjectDoesNotExist:
        return None
    if score is None or score.p_alive is None:
        return None
    return {"p_alive": score.p_alive, "expected_purchases_90d": score.expected_purchases_90d,
            "clv_rial": score.clv_rial}


def member_body(member, tier_status=None, *, pii: bool = False) -> dict:
    """`pii`: the caller's key holds `members:pii`; without it the national code is masked."""
    return {
        "id": member.id, "phone": member.phone, "kind": member.kind, "status": member.status,
        "first_name": member.first_name, "last_name": member.last_name,
        "organization_name": member.organization_name,
        "national_id": member.national_id if pii else mask_national_id(member.national_id),
        "email": member.email, "birth_date": member.birth_date, "referral_code": member.referral_code,
        "points_balance": member.account.balance, **tier_fields(tier_status),
        "consents": {c.channel: {"granted": c.granted, "changed_at": c.changed_at} for c in member.consents.all()},
        "interests": [i.name for i in member.interests.all()],
        "joined_at": member.joined_at,
        "clv": clv_fields(member),
    }


def purchase_body(purchase: Purchase) -> dict:
    return {
        "id": purchase.id, "member_id": purchase.member_id, "external_id": purchase.external_id,
        "amount": purchase.amount, "points_earned": purchase.points_earned,
        "points_redeemed": purchase.points_redeemed, "discount": purchase.discount,
        "balance_after": purchase.balance_after, "applied_rules": purchase.applied_rules,
        "occurred_at": purchase.occurred_at,
    }


def refund_body(refund: Refund) -> dict:
    return {"id": refund.id, "purchase_id": refund.purchase_id, "amount": refund.amount,
            "points_reversed": refund.points_reversed, "points_returned": refund.points_returned,
            "balance_after": refund.balance_after}


def ledger_line_body(transfer) -> dict:
    return {"id": transfer.id, "kind": transfer.kind, "points": transfer.signed_amount, "rule": transfer.rule,
            "memo": transfer.memo, "source_kind": transfer.source_kind, "source_id": transfer.source_id,
            "merchant_id": transfer.merchant_id, "reverses_id": transfer.reverses_id,
            "created_at": transfer.created_at}
