"""REST API v1: members, their points and ledger, redemptions and adjustments, referrals."""

import re

from django.utils import timezone
from ninja import Query, Router, Schema

from vafa.api import schemas as s
from vafa.api.auth import needs
from vafa.api.common import READ_ERRORS, WRITE_ERRORS, IdempotencyKey
from vafa.api.idempotency import json_response, run_write
from vafa.api.membership_schemas import ReferralsOut
from vafa.api.presenters import ledger_line_body, member_body
from vafa.api.reward_schemas import redemption_body
from vafa.commerce.selectors import member_tier_status
from vafa.core.errors import ValidationFailed
from vafa.ledger.inputs import AdjustmentInput
from vafa.ledger.selectors import member_ledger
from vafa.members import selectors as members
from vafa.members.models import Member
from vafa.members.services import member_update, spend_code_issue
from vafa.referrals.selectors import member_referrals, referral_link
from vafa.rewards.selectors import reward_cost
from vafa.usecases.fulfilment import reward_redeem_for_member
from vafa.usecases.joining import member_join
from vafa.usecases.points import member_adjust, member_points_with_value, member_redeem
from vafa.usecases.spend_proof import spend_proof_check, spend_proof_use

router = Router()


def _sees_pii(request) -> bool:
    return request.api_key.allows("members:pii")


def _member_answer(request, member_id) -> dict:
    member = _member_with_relations(member_id)
    return member_body(member, member_tier_status(member_id=member.pk, now=timezone.now()), pii=_sees_pii(request))


def _member_with_relations(member_id) -> Member:
    member = members.member_get(member_id=member_id)
    return (Member.objects.select_related("account", "score").prefetch_related("consents", "interests")
            .get(pk=member.pk))


@router.post("/members", auth=needs("members:write"), response={201: s.MemberOut, **WRITE_ERRORS}, tags=["members"])
def create_member(request, payload: s.MemberIn, idempotency_key: str | None = IdempotencyKey):
    def produce():
        member = member_join(merchant_id=request.auth.id, **payload.dict())
        return 201, _member_answer(request, member.pk)

    return run_write(request, produce, audit="member.create")


@router.get("/members", auth=needs("members:read"), response={200: list[s.MemberOut], **READ_ERRORS}, tags=["members"])
def list_members(request, phone: str | None = None):
    qs = members.member_list(phone=phone)
    rows = (Member.objects.filter(pk__in=[m.pk for m in qs]).select_related("account", "score")
            .prefetch_related("consents", "interests").order_by("-id"))
    now, pii = timezone.now(), _sees_pii(request)
    return json_response(200, [member_body(m, member_tier_status(member_id=m.pk, now=now), pii=pii) for m in rows])


@router.get("/members/{member_id}", auth=needs("members:read"),
            response={200: s.MemberOut, **READ_ERRORS}, tags=["members"])
def get_member(request, member_id: str):
    return json_response(200, _member_answer(request, member_id))


@router.patch("/members/{member_id}", auth=needs("members:write"),
              response={200: s.MemberOut, **READ_ERRORS, 409: s.ErrorOut},
              tags=["members"])
def patch_member(request, member_id: str, payload: s.MemberPatchIn):
    """Change a member's profile (only the fields given). Completing the profile may earn
    points (rules with the `profile_completed` trigger)."""
    member = members.member_get(member_id=member_id)
    changes = payload.dict(exclude_unset=True)

    def produce():
        member_update(member_id=member.pk, changes=changes)
        return 200, _member_answer(request, member.pk)

    return run_write(request, produce, audit="member.update")


@router.get("/members/{member_id}/points", auth=needs("members:read"),
            response={200: s.PointsOut, **READ_ERRORS}, tags=["points"])
def get_points(request, member_id: str):
    member = members.member_get(member_id=member_id)
    summary, value = member_points_with_value(member_id=member.pk)
    return json_response(200, {"balance": summary.balance, "available": summary.available,
                           "pending": summary.pending, "deficit": summary.deficit, "value": value,
                           "expiring": summary.expiring})


class LedgerQuery(Schema):
    limit: int = 50
    cursor: str | None = None


@router.get("/members/{member_id}/ledger", auth=needs("members:read"),
            response={200: s.LedgerPageOut, **READ_ERRORS}, tags=["points"])
def get_ledger(request, member_id: str, query: Query[LedgerQuery]):
    member = members.member_get(member_id=member_id)
    if not 1 <= query.limit <= 200:
        raise ValidationFailed(details={"limit": "from 1 to 200"})
    before = None
    if query.cursor:
        if not re.fullmatch(r"[1-9][0-9]{0,17}", query.cursor):
            raise ValidationFailed(details={"cursor": "invalid"})
        before = int(query.cursor)
    rows = member_ledger(member_id=member.pk, limit=query.limit + 1, before_id=before)
    page = rows[: query.limit]
    next_cursor = str(page[-1].id) if len(rows) > query.limit else None
    return json_response(200, {"items": [ledger_line_body(t) for t in page], "next_cursor": next_cursor})


@router.post("/members/{member_id}/redemptions", auth=needs("points:spend"),
             response={201: s.RedemptionOut, **WRITE_ERRORS}, tags=["points"])
def create_redemption(request, member_id: str, payload: s.RedemptionIn,
                      idempotency_key: str | None = IdempotencyKey):
    member = members.member_get(member_id=member_id)
    if (payload.points is None) == (payload.reward_id is None):
        raise ValidationFailed(details={"points": "give either points or reward_id"})

    proof = []

    def check_presence():
        points = payload.points if payload.reward_id is None else reward_cost(reward_id=payload.reward_id)
        proof.append(spend_proof_check(merchant_id=request.auth.id, member_id=member.pk, code=payload.member_code,
                                       points=points))

    def produce():
        spend_proof_use(proof=proof[0] if proof else None, merchant_id=request.auth.id)
        if payload.reward_id is not None:
            redemption = reward_redeem_for_member(member_id=member.pk, reward_id=payload.reward_id,
                                                  merchant_id=request.auth.id, shipping=payload.shipping,
                                                  by=request.api_actor.name)
            body = redemption_body(redemption)
            shipment = getattr(redemption, "shipment", None)
            if shipment is not None:  # a physical reward: GET /shipments/{id} follows it
                body["shipment"] = {"id": shipment.pk, "status": shipment.status}
            return 201, body
        change = member_redeem(merchant_id=request.auth.id, member_id=member.pk, points=payload.points)
        return 201, {"points_spent": change.points, "balance_after": change.balance_after, "coupon": None}

    return run_write(request, produce, precheck=check_presence)


@router.post("/members/{member_id}/spend-codes", auth=needs("points:spend"),
             response={201: s.SpendCodeOut, **WRITE_ERRORS}, tags=["points"])
def create_spend_code(request, member_id: str, idempotency_key: str | None = IdempotencyKey):
    """Send the member an SMS with a spend code, for a till that spends their points without
    the member's portal at hand. The member reads it to the cashier, who sends it as
    `member_code` with the purchase or redemption."""
    member = members.member_get(member_id=member_id)

    def produce():
        code, _raw = spend_code_issue(member_id=member.pk, via="sms", merchant_id=request.auth.id)
        return 201, {"via": code.via, "expires_at": code.expires_at}

    return run_write(request, produce, audit="spend_code.send")


@router.post("/members/{member_id}/adjustments", auth=needs("points:adjust"),
             response={201: s.AdjustmentOut, **WRITE_ERRORS}, tags=["points"])
def create_adjustment(request, member_id: str, payload: AdjustmentInput,
                      idempotency_key: str | None = IdempotencyKey):
    member = members.member_get(member_id=member_id)

    def produce():
        change = member_adjust(merchant_id=request.auth.id, member_id=member.pk,
                                        points=payload.points, reason=payload.reason)
        return 201, {"points": change.points, "balance_after": change.balance_after}

    return run_write(request, produce)


@router.get("/members/{member_id}/referrals", auth=needs("members:read"),
            response={200: ReferralsOut, **READ_ERRORS}, tags=["referrals"])
def get_referrals(request, member_id: str):
    member = members.member_get(member_id=member_id)
    rows = member_referrals(member_id=member.pk)
    return json_response(200, {
        "code": member.referral_code, "link": referral_link(code=member.referral_code),
        "referrals": [{"member_id": r.member_id, "name": r.name, "phone": r.phone, "status": r.status,
                       "joined_at": r.joined_at, "completed_at": r.completed_at} for r in rows],
    })
