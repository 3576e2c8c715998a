"""Shipments of physical rewards (Reward.ships): where a redemption is sent, and its steps.

    requested ─> preparing ─> sent ─> delivered
        │            │
        └────────────┴─> cancelled    (the points and the stock are given back)

A step may skip ahead (a small shop sends without "preparing"; a gift handed over in person is
delivered without being sent), never go back. `sent` needs a tracking code. Cancelling is for a
shipment that has not left (requested or being prepared): once sent, its points stay spent; a
parcel that comes back is settled by a points adjustment, with its reason, in the member's file.
Delivered and cancelled are the end.

A step to where the shipment already is changes nothing (a double submit, a retry), except
`sent` again with another tracking code, which corrects the code and is recorded as a step.

Every step is a ShipmentStep row, written under the shipment's row lock with a conditional
update of its status, so two steps at once never both pass, and a cancellation gives the points
back once: they go back to the very lots the redemption took them from (their expiry kept; what
has expired since expires again at once), and only what has not been given back yet.

Locks, in this order: the member's account row (a cancellation only: it writes points), the
shipment's row, then the reward's row (its stock). A redemption locks the member, then the
reward, and creates its shipment: no two orders cross."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, QuerySet, Sum, Value, When
from django.utils import timezone

from vafa.core.errors import ShipmentNotFound, ShipmentStepRefused, ShippingRequired, ValidationFailed
from vafa.core.ids import parse_id
from vafa.core.inputs import validated
from vafa.ledger.models import Account, Transfer
from vafa.ledger.selectors import lots_spent_by
from vafa.ledger.services import book_open, system_account_id
from vafa.members.models import Member
from vafa.program.models import Reward
from vafa.program.selectors import earn_policy
from vafa.rewards.inputs import ShipmentStepInput, ShippingInput
from vafa.rewards.models import Redemption, Shipment, ShipmentStep

Status = Shipment.Status

# Where each status may go next.
NEXT: dict[str, tuple[str, ...]] = {
    Status.REQUESTED: (Status.PREPARING, Status.SENT, Status.DELIVERED, Status.CANCELLED),
    Status.PREPARING: (Status.SENT, Status.DELIVERED, Status.CANCELLED),
    Status.SENT: (Status.DELIVERED,),
    Status.DELIVERED: (),
    Status.CANCELLED: (),
}
WAITING = (Status.REQUESTED, Status.PREPARING)
# The order of the staff's list: what waits first, the finished last.
_RANK = {Status.REQUESTED: 0, Status.PREPARING: 1, Status.SENT: 2, Status.DELIVERED: 3, Status.CANCELLED: 4}
_DONE_AT = {Status.SENT: "sent_at", Status.DELIVERED: "delivered_at", Status.CANCELLED: "cancelled_at"}


# --- the address, when a physical reward is redeemed ------------------------------------------------


def shipping_check(*, shipping: Any, member_kind: str) -> ShippingInput:
    """The delivery address (vafa.rewards.inputs.ShippingInput, or its fields as a dict) checked
    for this kind of member: an organisation's address (with a contact person) is an
    organisation member's. None is ShippingRequired; a wrong field ValidationFailed, by its
    path under `shipping`."""
    if shipping is None:
        raise ShippingRequired(details={"shipping": "required: this reward is sent to an address"})
    try:
        address = validated(ShippingInput, shipping)
    except ValidationFailed as error:
        raise ValidationFailed(details={f"shipping.{k}" if k != "body" else "shipping": v
                                        for k, v in error.details.items()}) from None
    if address.organization_name and member_kind != Member.Kind.ORGANIZATION:
        raise ValidationFailed(details={"shipping.organization_name": "only an organisation member's reward "
                                                                      "is sent to an organisation"})
    return address


def shipment_open(*, redemption: Redemption, address: ShippingInput, by: str = "",
                  now: datetime | None = None) -> Shipment:
    """The shipment of a redemption just made (in its transaction), requested, with its first step."""
    now = now or timezone.now()
    shipment = Shipment.objects.create(redemption=redemption, status=Status.REQUESTED, created_at=now,
                                       **address.row())
    ShipmentStep.objects.create(shipment=shipment, status=Status.REQUESTED, at=now, by=by[:150])
    return shipment


# --- the steps ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepOutcome:
    """What a step did. `changed` False: the shipment was already there (nothing written).
    `corrected`: a sent shipment's tracking code was corrected. `points_back`: what a
    cancellation gave back."""

    shipment: Shipment
    step: ShipmentStep | None
    changed: bool
    previous: str
    corrected: bool = False
    points_back: int = 0
    before: dict | None = None


def _shipments(merchant_id: int | None) -> QuerySet[Shipment]:
    qs = Shipment.objects.all()
    return qs if merchant_id is None else qs.filter(redemption__merchant_id=merchant_id)


def shipment_step(*, shipment_id, status: str, tracking_code: str = "", carrier: str = "", note: str = "",
                  by: str = "", merchant_id: int | None = None, now: datetime | None = None) -> StepOutcome:
    """Move a shipment to `status` (vafa.rewards.inputs.ShipmentStepInput), in one transaction.

    `merchant_id`: only a shipment of a redemption made at that merchant (a partner's) is
    found; None finds any. Refusals change nothing: shipment_not_found, validation_error (no
    tracking code when sent, no reason when cancelled), shipment_step_refused (details: from,
    to, allowed)."""
    pk = parse_id(shipment_id, ShipmentNotFound)
    asked = validated(ShipmentStepInput, {"status": status, "tracking_code": tracking_code, "carrier": carrier,
                                          "note": note})
    now = now or timezone.now()
    with transaction.atomic():
        found = _shipments(merchant_id).filter(pk=pk).values_list("redemption__member_id", flat=True).first()
        if found is None:
            raise ShipmentNotFound(details={"id": str(shipment_id)[:64]})
        book = book_open(member_id=found) if asked.status == Status.CANCELLED else None
        shipment = Shipment.objects.select_for_update(of=("self",)).select_related("redemption__reward").get(pk=pk)
        return _step(shipment, asked, book=book, by=by, now=now)


def _snapshot(shipment: Shipment) -> dict:
    return {"status": shipment.status, "carrier": shipment.carrier, "tracking_code": shipment.tracking_code}


def _step(shipment: Shipment, asked: ShipmentStepInput, *, book, by: str, now: datetime) -> StepOutcome:
    current, target = shipment.status, asked.status
    before = _snapshot(shipment)
    if current == target:
        if target != Status.SENT or (asked.tracking_code == shipment.tracking_code
                                     and asked.carrier in ("", shipment.carrier)):
            return StepOutcome(shipment=shipment, step=None, changed=False, previous=current)
        # The same step again with another code: a correction of the tracking code.
        changes: dict[str, Any] = {"tracking_code": asked.tracking_code, "carrier": asked.carrier or shipment.carrier}
        corrected = True
    elif target not in NEXT[current]:
        raise ShipmentStepRefused(details={"from": current, "to": target, "allowed": list(NEXT[current])})
    else:
        changes = {"status": target, _DONE_AT[target]: now} if target in _DONE_AT else {"status": target}
        if target == Status.SENT:
            changes.update(tracking_code=asked.tracking_code, carrier=asked.carrier)
        corrected = False
    changes["updated_at"] = now
    if not Shipment.objects.filter(pk=shipment.pk, status=current).update(**changes):
        # Only a writer that did not lock could get here (none does): refuse rather than guess.
        raise ShipmentStepRefused(details={"from": current, "to": target, "allowed": []})
    for name, value in changes.items():
        setattr(shipment, name, value)
    points_back = 0
    if target == Status.CANCELLED:
        points_back = _give_back(book, shipment, now)
        _restock(shipment.redemption.reward)
    step = ShipmentStep.objects.create(shipment=shipment, status=target, at=now, by=by[:150], note=asked.note)
    return StepOutcome(shipment=shipment, step=step, changed=True, previous=current, corrected=corrected,
                       points_back=points_back, before=before)


def _give_back(book, shipment: Shipment, now: datetime) -> int:
    """The points the redemption spent and no cancellation has given back yet, to the lots they
    came from (a redemption from before lots were tracked gets a fresh lot)."""
    redemption = shipment.redemption
    source = ("reward", redemption.pk)
    given = (Transfer.objects.filter(source_kind="reward", source_id=redemption.pk, credit_id=book.account.id,
                                     kind=Transfer.Kind.REFUND_REVERSAL).aggregate(s=Sum("amount"))["s"] or 0)
    owed = redemption.points - given
    if owed <= 0:
        return 0
    book.now = now
    redeemed = (Transfer.objects.filter(source_kind="reward", source_id=redemption.pk, kind=Transfer.Kind.REDEEM)
                .order_by("id").first())
    from_account = system_account_id(Account.Role.REDEEMED, redemption.merchant_id)
    memo = f"shipment {shipment.pk} cancelled"
    spent = lots_spent_by(source_kind="reward", source_id=redemption.pk)
    if sum(spent.values()) >= owed:
        book.restore(owed, spent, from_account_id=from_account, merchant_id=redemption.merchant_id, source=source,
                     reverses=redeemed, memo=memo)
        book.expire_due(to_account_id=system_account_id(Account.Role.EXPIRED))
    else:
        book.credit(owed, kind=Transfer.Kind.REFUND_REVERSAL, from_account_id=from_account,
                    merchant_id=redemption.merchant_id, source=source, reverses=redeemed, memo=memo,
                    expires_at=earn_policy().expires_at(now))
    book.flush()
    return owed


def _restock(reward: Reward) -> None:
    """A counted stock gets its item back (a partner code's stock is its pool: not this)."""
    if reward.stock is not None and reward.kind != Reward.Kind.PARTNER_CODE:
        Reward.objects.filter(pk=reward.pk, stock__isnull=False).update(stock=F("stock") + 1)


# --- reads ------------------------------------------------------------------------------------------


def shipments_list(*, status: str | None = None, merchant_id: int | None = None) -> QuerySet[Shipment]:
    """Shipments with their redemption, reward and member: what waits first (requested, then being
    prepared), each status oldest first. `status`: one of Shipment.Status, "waiting" (requested
    or being prepared; the default of the staff's list), or None for all. `merchant_id`: only
    those of redemptions made at that merchant."""
    qs = _shipments(merchant_id).select_related("redemption__reward", "redemption__member")
    if status == "waiting":
        qs = qs.filter(status__in=WAITING)
    elif status:
        qs = qs.filter(status=status)
    rank = Case(*[When(status=s, then=Value(n)) for s, n in _RANK.items()], output_field=IntegerField())
    return qs.annotate(rank=rank).order_by("rank", "created_at", "pk")


def shipment_get(*, shipment_id, merchant_id: int | None = None) -> Shipment:
    """One shipment with its redemption, reward, member and steps, or ShipmentNotFound (also for
    another merchant's, when `merchant_id` is given)."""
    pk = parse_id(shipment_id, ShipmentNotFound)
    shipment = (_shipments(merchant_id).select_related("redemption__reward", "redemption__member")
                .prefetch_related("steps").filter(pk=pk).first())
    if shipment is None:
        raise ShipmentNotFound(details={"id": str(shipment_id)[:64]})
    return shipment


def shipment_counts() -> dict[str, int]:
    """How many shipments are in each status (every status named, 0 when none)."""
    counts = dict.fromkeys(Status.values, 0)
    for row in Shipment.objects.values("status").annotate(n=Count("id")).order_by():
        counts[row["status"]] = row["n"]
    return counts


def member_last_address(*, member_id: int) -> Shipment | None:
    """The member's latest shipment (its address prefills the next one), or None."""
    return Shipment.objects.filter(redemption__member_id=member_id).order_by("-created_at", "-pk").first()


# --- a member's data erased on request ----------------------------------------------------------------


def shipments_forget(*, member_id: int) -> int:
    """Erase the addresses of a member's shipments (their steps' notes too): what was sent and
    when stays, to whom and where does not. Answers how many shipments it touched."""
    shipments = Shipment.objects.filter(redemption__member_id=member_id)
    ShipmentStep.objects.filter(shipment__in=shipments).exclude(note="").update(note="")
    return shipments.update(recipient_name="", organization_name="", contact_person="", phone="", province="",
                            city="", address="", postal_code="", note="")
