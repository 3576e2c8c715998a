"""Paid membership: plans (a fee for a period, with an earn percent and exclusive rewards) and
the paid periods (memberships) of each member.

A paid period starts when it is paid for, or when the member's last paid period (of any plan)
ends: a renewal or a change of plan follows on without a gap or an overlap.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from vafa.core.errors import (
    DuplicatePayment,
    MemberBlocked,
    MemberNotFound,
    PlanInactive,
    PlanNotFound,
    ValidationFailed,
)
from vafa.core.events import publish
from vafa.core.ids import parse_id
from vafa.core.inputs import Int, checked, validated
from vafa.core.limits import MAX_PLAN_DAYS
from vafa.members.applications import aware_now
from vafa.members.events import PlanChanged
from vafa.members.inputs import MembershipInput, PlanInput, PlanPatch
from vafa.members.models import Member, Membership, MembershipPlan

# --- membership plans -------------------------------------------------------------------------


def plan_create(*, name: str, fee_rial: int, duration_days: int, earn_percent: int = 100, description: str = "",
                active: bool = True) -> MembershipPlan:
    """A paid membership plan: `fee_rial` for `duration_days`; its members earn `earn_percent`
    of the base points (100 = no change)."""
    fields = validated(PlanInput, {"name": name, "fee_rial": fee_rial, "duration_days": duration_days,
                                   "earn_percent": earn_percent, "description": description, "active": active})
    with transaction.atomic():
        plan = MembershipPlan.objects.create(**fields.model_dump())
        publish(PlanChanged(plan_id=plan.pk))  # the program caches which plans multiply
        return plan


def plan_update(*, plan_id, name: str | None = None, fee_rial: int | None = None, duration_days: int | None = None,
                earn_percent: int | None = None, description: str | None = None,
                active: bool | None = None) -> MembershipPlan:
    """Change the given fields (None = unchanged). Periods already paid for keep their dates;
    a new fee or duration applies to the next payment."""
    given = validated(PlanPatch, {"name": name, "fee_rial": fee_rial, "duration_days": duration_days,
                                  "earn_percent": earn_percent, "description": description, "active": active})
    fields = given.model_dump(exclude_none=True)
    with transaction.atomic():
        plan = MembershipPlan.objects.select_for_update().filter(pk=parse_id(plan_id, PlanNotFound)).first()
        if plan is None:
            raise PlanNotFound(details={"id": str(plan_id)[:64]})
        for field, value in fields.items():
            setattr(plan, field, value)
        if fields:
            plan.save(update_fields=list(fields))
            publish(PlanChanged(plan_id=plan.pk))
        return plan


def plan_get(*, plan_id) -> MembershipPlan:
    plan = MembershipPlan.objects.filter(pk=parse_id(plan_id, PlanNotFound)).first()
    if plan is None:
        raise PlanNotFound(details={"id": str(plan_id)[:64]})
    return plan


def plan_list(*, active: bool | None = None) -> QuerySet[MembershipPlan]:
    qs = MembershipPlan.objects.order_by("fee_rial", "id")
    return qs if active is None else qs.filter(active=active)


# --- memberships (paid periods) ---------------------------------------------------------------


def membership_record(*, member_id: int, plan_id, amount_rial: int, payment_reference: str = "",
                      channel: str = "api", merchant_id: int | None = None,
                      at: datetime | None = None) -> Membership:
    """Record a payment for a plan: a new paid period of `duration_days`.

    It starts at `at` (now), or when the member's last paid period ends if that is later, so a
    renewal extends without a gap or an overlap. The amount must be the plan's fee. The same
    `payment_reference` for the same member is one payment: again with the same plan and amount
    it answers the recorded period (a retry), otherwise `duplicate_payment`."""
    at = aware_now(at)
    plan_pk = parse_id(plan_id, PlanNotFound)
    payment = validated(MembershipInput, {"amount_rial": amount_rial, "channel": channel,
                                          "payment_reference": payment_reference or ""})
    amount_rial, channel, payment_reference = payment.amount_rial, payment.channel, payment.payment_reference
    with transaction.atomic():
        # The member's row lock serialises their payments: two renewals cannot both start at the
        # same end. NO KEY UPDATE does not conflict with the new row's foreign key lock.
        status = (Member.objects.select_for_update(no_key=True).filter(pk=member_id)
                  .values_list("status", flat=True).first())
        if status is None:
            raise MemberNotFound(details={"id": str(member_id)[:64]})
        if payment_reference:
            # A retry is answered before anything else is checked: the plan may be off sale since.
            recorded = (Membership.objects.select_related("plan")
                        .filter(member_id=member_id, payment_reference=payment_reference).first())
            if recorded is not None:
                if recorded.plan_id == plan_pk and recorded.amount_rial == amount_rial:
                    return recorded
                raise DuplicatePayment(details={"payment_reference": payment_reference,
                                                "membership_id": recorded.pk})
        plan = MembershipPlan.objects.filter(pk=plan_pk).first()
        if plan is None:
            raise PlanNotFound(details={"id": str(plan_id)[:64]})
        if status == Member.Status.BLOCKED:
            raise MemberBlocked(details={"status": status})
        if not plan.active:
            raise PlanInactive(details={"plan_id": plan.pk})
        if amount_rial != plan.fee_rial:
            raise ValidationFailed(details={"amount_rial": f"must be the plan's fee, {plan.fee_rial}",
                                            "fee_rial": plan.fee_rial})
        last_end = (Membership.objects.filter(member_id=member_id, ends_at__gt=at)
                    .order_by("-ends_at").values_list("ends_at", flat=True).first())
        starts_at = max(at, last_end) if last_end else at
        return Membership.objects.create(
            member_id=member_id, plan=plan, starts_at=starts_at,
            ends_at=starts_at + timedelta(days=plan.duration_days), amount_rial=amount_rial,
            payment_reference=payment_reference, channel=channel, merchant_id=merchant_id)


@dataclass(frozen=True)
class PlanInForce:
    """The paid plan a member holds at a moment, as the program counts it."""

    plan_id: int
    name: str
    earn_percent: int


def in_force(periods: Iterable[tuple], at: datetime) -> tuple | None:
    """Of paid periods `(starts_at, ends_at, earn_percent, membership_id, ...)`, the one in force at
    `at` (starts_at <= at < ends_at). Periods follow each other without overlapping when they are
    paid through `membership_record`; should two overlap (a payment recorded by hand), the one
    that multiplies most counts, then the earlier, then the first recorded. The one rule for every
    reader: purchases, the checkout preview, the dry run and the member's pages."""
    covering = [p for p in periods if p[0] <= at < p[1]]
    return min(covering, key=lambda p: (-p[2], p[0], p[3])) if covering else None


def _periods(member_id: int, at: datetime):
    return (Membership.objects.filter(member_id=member_id, starts_at__lte=at, ends_at__gt=at)
            .values_list("starts_at", "ends_at", "plan__earn_percent", "id"))


def member_membership(*, member_id: int, at: datetime | None = None) -> Membership | None:
    """The member's paid period in force at `at` (now): starts_at <= at < ends_at."""
    at = aware_now(at)
    chosen = in_force(_periods(member_id, at), at)
    return Membership.objects.select_related("plan").get(pk=chosen[3]) if chosen else None


def member_earn_percent_from_plan(member_id: int, at: datetime | None = None) -> int:
    """The earn percent of the member's plan in force at `at` (100 without one): a multiplier
    of base points, like a tier's."""
    chosen = in_force(_periods(member_id, aware_now(at)), aware_now(at))
    return 100 if chosen is None else chosen[2]


def member_memberships(*, member_id: int) -> QuerySet[Membership]:
    """Every paid period of the member, the latest first."""
    return Membership.objects.select_related("plan").filter(member_id=member_id).order_by("-starts_at", "-id")


def memberships_expiring(*, within_days: int, at: datetime | None = None) -> QuerySet[Membership]:
    """Paid periods that end within `within_days` of `at` (now) and are not followed by a
    renewal already paid for: whom to remind."""
    at = aware_now(at)
    checked(Int(0, MAX_PLAN_DAYS), within_days, "within_days")
    renewed = Membership.objects.filter(member_id=OuterRef("member_id"), ends_at__gt=OuterRef("ends_at"))
    return (Membership.objects.select_related("plan", "member")
            .filter(ends_at__gt=at, ends_at__lte=at + timedelta(days=within_days))
            .exclude(Exists(renewed)).order_by("ends_at", "id"))
