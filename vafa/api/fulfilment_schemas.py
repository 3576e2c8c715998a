"""Schemas of the shipments of physical rewards, and their JSON body (vafa.api.fulfilment)."""

from datetime import datetime

from vafa.api.schemas import Schema
from vafa.rewards.inputs import ShipmentStepInput, ShippingInput
from vafa.rewards.models import Shipment
from vafa.rewards.selectors import SHIPMENT_NEXT

# The request bodies are the domain's input models (vafa.rewards.inputs).
__all__ = ["ShipmentStepInput", "ShippingInput"]


class ShipmentStepOut(Schema):
    status: str
    at: datetime
    by: str
    note: str


class ShipmentOut(Schema):
    id: int
    status: str
    next_steps: list[str]
    redemption_id: int
    member_id: int
    reward_id: int
    reward_name: str
    points: int
    merchant_id: int | None
    recipient_name: str
    organization_name: str
    contact_person: str
    phone: str
    province: str
    city: str
    address: str
    postal_code: str
    carrier: str
    tracking_code: str
    note: str
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    steps: list[ShipmentStepOut]


def shipment_body(shipment: Shipment, steps=None) -> dict:
    """A shipment as the API answers it, with its redemption's facts and its steps (oldest first)."""
    redemption = shipment.redemption
    steps = list(shipment.steps.all()) if steps is None else steps
    return {
        "id": shipment.pk, "status": shipment.status, "next_steps": list(SHIPMENT_NEXT[shipment.status]),
        "redemption_id": redemption.pk, "member_id": redemption.member_id, "reward_id": redemption.reward_id,
        "reward_name": redemption.reward.name, "points": redemption.points, "merchant_id": redemption.merchant_id,
        "recipient_name": shipment.recipient_name, "organization_name": shipment.organization_name,
        "contact_person": shipment.contact_person, "phone": shipment.phone, "province": shipment.province,
        "city": shipment.city, "address": shipment.address, "postal_code": shipment.postal_code,
        "carrier": shipment.carrier, "tracking_code": shipment.tracking_code, "note": shipment.note,
        "created_at": shipment.created_at, "sent_at": shipment.sent_at, "delivered_at": shipment.delivered_at,
        "cancelled_at": shipment.cancelled_at,
        "steps": [{"status": s.status, "at": s.at, "by": s.by, "note": s.note} for s in steps],
    }
