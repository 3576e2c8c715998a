"""What happens to purchases and tiers, for the apps above to react to (see vafa.core.events)."""

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from vafa.core.events import Event


@dataclass(frozen=True)
class PurchaseRecorded(Event):
    name: ClassVar[str] = "purchase.recorded"
    purchase_id: int
    member_id: int
    merchant_id: int
    external_id: str | None
    amount: int
    points_earned: int
    points_redeemed: int
    balance_after: int
    occurred_at: datetime


@dataclass(frozen=True)
class PurchaseRefunded(Event):
    name: ClassVar[str] = "purchase.refunded"
    refund_id: int
    purchase_id: int
    member_id: int
    merchant_id: int
    amount: int
    points_reversed: int
    points_returned: int
    balance_after: int


@dataclass(frozen=True)
class TierChanged(Event):
    name: ClassVar[str] = "tier.changed"
    member_id: int
    from_tier: str | None  # the tiers' codes; None: no tier
    to_tier: str | None
    direction: str  # "up" or "down"
    reason: str
    changed_at: datetime
