"""REST API v1: applications to a closed club, membership plans and paid memberships."""

from ninja import Router

from vafa.api import membership_schemas as cs
from vafa.api.auth import needs
from vafa.api.common import READ_ERRORS, WRITE_ERRORS, IdempotencyKey
from vafa.api.idempotency import json_response, run_write
from vafa.members import selectors as members_read
from vafa.members import services as members
from vafa.members.selectors import member_get

router = Router()


# --- applications (closed club) ---------------------------------------------------------------


def application_body(application) -> dict:
    member = application.member
    return {"member_id": member.pk, "phone": member.phone, "name": member.display_name,
            "status": application.status, "member_status": member.status, "created_at": application.created_at,
            "decided_at": application.decided_at, "decided_by": application.decided_by,
            "reason": application.reason}


@router.get("/applications", auth=needs("members:read"),
            response={200: list[cs.ApplicationOut], **READ_ERRORS}, tags=["applications"])
def list_applications(request, status: str | None = None):
    return json_response(200, [application_body(a) for a in members_read.application_list(status=status)])


def _staff(request) -> str:
    return f"api:{request.auth.name}"


@router.post("/applications/{member_id}/approve", auth=needs("members:write"),
             response={200: cs.ApplicationOut, **WRITE_ERRORS},
             tags=["applications"])
def approve_application(request, member_id: str, idempotency_key: str | None = IdempotencyKey):
    member = member_get(member_id=member_id)

    def produce():
        return 200, application_body(members.application_approve(member_id=member.pk, staff=_staff(request)))

    return run_write(request, produce, audit="application.approve")


@router.post("/applications/{member_id}/reject", auth=needs("members:write"),
             response={200: cs.ApplicationOut, **WRITE_ERRORS},
             tags=["applications"])
def reject_application(request, member_id: str, payload: cs.ApplicationRejectIn,
                       idempotency_key: str | None = IdempotencyKey):
    member = member_get(member_id=member_id)

    def produce():
        application = members.application_reject(member_id=member.pk, staff=_staff(request), reason=payload.reason)
        return 200, application_body(application)

    return run_write(request, produce, audit="application.reject")


# --- membership plans and paid memberships ----------------------------------------------------


def plan_body(plan) -> dict:
    return {"id": plan.pk, "name": plan.name, "description": plan.description, "fee_rial": plan.fee_rial,
            "duration_days": plan.duration_days, "earn_percent": plan.earn_percent, "active": plan.active}


def membership_body(membership) -> dict:
    return {"id": membership.pk, "plan_id": membership.plan_id, "plan": membership.plan.name,
            "starts_at": membership.starts_at, "ends_at": membership.ends_at, "amount_rial": membership.amount_rial}


@router.get("/program/plans", auth=needs("program"),
            response={200: list[cs.PlanOut], **READ_ERRORS}, tags=["membership"])
def list_plans(request, active: bool | None = None):
    return json_response(200, [plan_body(p) for p in members_read.plan_list(active=active)])


@router.post("/program/plans", auth=needs("program"), response={201: cs.PlanOut, **WRITE_ERRORS}, tags=["membership"])
def create_plan(request, payload: cs.PlanInput, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 201, plan_body(members.plan_create(**payload.model_dump()))

    return run_write(request, produce, audit="plan.create")


@router.patch("/program/plans/{plan_id}", auth=needs("program"),
              response={200: cs.PlanOut, **WRITE_ERRORS}, tags=["membership"])
def update_plan(request, plan_id: str, payload: cs.PlanPatch, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 200, plan_body(members.plan_update(plan_id=plan_id, **payload.model_dump()))

    return run_write(request, produce, audit="plan.update")


@router.post("/members/{member_id}/memberships", auth=needs("members:write"),
             response={201: cs.MembershipOut, **WRITE_ERRORS},
             tags=["membership"])
def create_membership(request, member_id: str, payload: cs.MembershipIn,
                      idempotency_key: str | None = IdempotencyKey):
    member = member_get(member_id=member_id)

    def produce():
        membership = members.membership_record(member_id=member.pk, merchant_id=request.auth.id, **payload.model_dump())
        return 201, membership_body(membership)

    return run_write(request, produce, audit="membership.create")


@router.get("/members/{member_id}/memberships", auth=needs("members:read"),
            response={200: list[cs.MembershipOut], **READ_ERRORS},
            tags=["membership"])
def list_memberships(request, member_id: str):
    member = member_get(member_id=member_id)
    return json_response(200, [membership_body(m) for m in members_read.member_memberships(member_id=member.pk)])
