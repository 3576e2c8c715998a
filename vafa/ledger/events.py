"""What the ledger wrote, announced by the member's book when it flushes (see vafa.core.events):
points spent, expired and adjusted, one event per kind and source. `balance_after` is the member's
balance once the whole unit of work is written (a purchase's spending and earning together)."""

from dataclasses import dataclass
from typing import ClassVar

from vafa.core.events import Event


@dataclass(frozen=True)
class PointsRedeemed(Event):
    name: ClassVar[str] = "points.redeemed"
    member_id: int
    points: int
    merchant_id: int | None
    source_kind: str  # purchase, reward, api, ...
    source_id: int | None
    balance_after: int


@dataclass(frozen=True)
class PointsExpired(Event):
    name: ClassVar[str] = "points.expired"
    member_id: int
    points: int
    balance_after: int


@dataclass(frozen=True)
class PointsAdjusted(Event):
    name: ClassVar[str] = "points.adjusted"
    member_id: int
    points: int  # + added, - taken
    merchant_id: int | None
    source_kind: str  # staff or api
    source_id: int | None
    balance_after: int
