"""What happens to referrals, for the apps above to react to (see vafa.core.events)."""

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from vafa.core.events import Event


@dataclass(frozen=True)
class ReferralCompleted(Event):
    name: ClassVar[str] = "referral.completed"
    referral_id: int
    referrer_id: int | None
    referred_id: int
    purchase_id: int
    completed_at: datetime
