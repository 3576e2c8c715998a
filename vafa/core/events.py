"""In-process domain events: a lower app publishes, a higher app subscribes.

This keeps imports pointing downward (DESIGN: core < merchants < members < ledger < ...).
Handlers run synchronously inside the publisher's transaction, so what they write
commits or rolls back with it.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Handler = Callable[..., Any]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str, handler: Handler) -> None:
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def publish(event: str, **payload: Any) -> None:
    for handler in list(_handlers[event]):
        handler(**payload)


MERCHANT_CREATED = "merchant.created"
MEMBER_CREATED = "member.created"
MEMBER_UPDATED = "member.updated"
PLAN_CHANGED = "plan.changed"
