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
    # False for an import told not to award points (`vafa import ... --no-points`): the join and
    # profile awards are not given.
    earns: bool = True


@dataclass(frozen=True)
class MembersImported(Event):
    """Members joined many at a time by an import of a shop's customers (members_join_many):
    no join awards, no referrals; what every member needs (an account) is made for them all."""

    name: ClassVar[str] = "members.imported"
    member_ids: tuple[int, ...]
    merchant_id: int | None


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
