"""What happens to rewards, for the apps above to react to (see vafa.core.events)."""

from dataclasses import dataclass
from typing import ClassVar

from vafa.core.events import Event


@dataclass(frozen=True)
class RewardRedeemed(Event):
    name: ClassVar[str] = "reward.redeemed"
    redemption_id: int
    member_id: int
    reward_id: int
    kind: str
    points: int  # 0 when a rule gave it
    free: bool
    merchant_id: int | None
