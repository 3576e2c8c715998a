"""What happens to merchants, for the apps above to react to (see vafa.core.events)."""

from dataclasses import dataclass
from typing import ClassVar

from vafa.core.events import Event


@dataclass(frozen=True)
class MerchantCreated(Event):
    name: ClassVar[str] = "merchant.created"
    merchant_id: int
