"""What happens to members, for the apps above to react to (see vafa.core.events)."""

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from vafa.core.events import Event


@dataclass(frozen=True)
class MemberJoined(Event):
    """A member was created (by the API, the portal, the till or an import)."""

    name: ClassVar[str] = "member.created"
    member_id: int
    phone: str
    kind: str
    status: str
    national_id: str
    referred_by_id: int | None
    merchant_id: int | None
    joined_at: datetime


@dataclass(frozen=True)
class MemberUpdated(Event):
    name: ClassVar[str] = "member.updated"
    member_id: int
    fields: tuple[str, ...]  # the profile fields the change touched


@dataclass(frozen=True)
class ConsentChanged(Event):
    name: ClassVar[str] = "consent.changed"
    member_id: int
    channel: str
    granted: bool


@dataclass(frozen=True)
class PlanChanged(Event):
    """A paid plan was created or changed (its earn percent is part of the live program)."""

    name: ClassVar[str] = "plan.changed"
    plan_id: int
