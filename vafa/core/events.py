"""Domain events: a lower app says what happened, higher apps react, and imports keep pointing
downward (DESIGN: core < merchants < members < ledger < ...).

Each event is a small frozen dataclass in the app that publishes it (`vafa/<app>/events.py`),
named for what happened, with the ids and figures a reaction needs:

    @dataclass(frozen=True)
    class PurchaseRecorded(Event):
        name: ClassVar[str] = "purchase.recorded"
        purchase_id: int
        ...

    events.publish(PurchaseRecorded(purchase_id=..., ...))   # inside the change's transaction

Two kinds of reaction, each registered explicitly (in the reacting app's `AppConfig.ready`):

- `subscribe(PurchaseRecorded, handler, order=20)`: runs synchronously in the publisher's
  transaction, in the stated order (lowest first, never the order apps happen to load in); what
  it writes commits or rolls back with the change.
- `subscribe_outbox(PurchaseRecorded, "webhooks.deliver")`: the event is written to the outbox
  (`vafa.core.outbox`) in the same transaction, and the worker runs that outbox handler after the
  commit, at least once; the handler is idempotent by the outbox entry's id.

An event nobody reacts to costs nothing but building the dataclass.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

Handler = Callable[["Event"], Any]


@dataclass(frozen=True)
class Event:
    name: ClassVar[str] = ""

    def payload(self) -> dict[str, Any]:
        """The event as JSON-ready values (times in ISO 8601), for the outbox."""
        return {field.name: _plain(getattr(self, field.name)) for field in dataclasses.fields(self)}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Subscription:
    handler: Handler
    order: int

    @property
    def label(self) -> str:
        return f"{self.handler.__module__}.{self.handler.__qualname__}"


_handlers: dict[type[Event], list[Subscription]] = {}
_outbox_handlers: dict[type[Event], list[str]] = {}


def subscribe(event_type: type[Event], handler: Handler, *, order: int) -> None:
    """Run `handler(event)` inside the publisher's transaction; handlers of one event run by
    `order`, lowest first. Subscribing the same handler again changes nothing."""
    if not (isinstance(event_type, type) and issubclass(event_type, Event)) or not event_type.name:
        raise TypeError(f"{event_type!r} is not a named event type")
    subscriptions = _handlers.setdefault(event_type, [])
    if any(s.handler is handler for s in subscriptions):
        return
    if any(s.order == order for s in subscriptions):
        raise ValueError(f"two handlers of {event_type.name} with order {order}: state which runs first")
    subscriptions.append(Subscription(handler, order))
    subscriptions.sort(key=lambda s: s.order)


def unsubscribe(event_type: type[Event], handler: Handler) -> None:
    left = [s for s in _handlers.pop(event_type, ()) if s.handler is not handler]
    if left:
        _handlers[event_type] = left


def subscribe_outbox(event_type: type[Event], handler_name: str) -> None:
    """Write the event to the outbox, for the outbox handler `handler_name`, whenever it is
    published."""
    names = _outbox_handlers.setdefault(event_type, [])
    if handler_name not in names:
        names.append(handler_name)


def unsubscribe_outbox(event_type: type[Event], handler_name: str) -> None:
    left = [n for n in _outbox_handlers.pop(event_type, ()) if n != handler_name]
    if left:
        _outbox_handlers[event_type] = left


def handlers_of(event_type: type[Event]) -> list[Subscription]:
    return list(_handlers.get(event_type, ()))


def outbox_handlers_of(event_type: type[Event]) -> list[str]:
    return list(_outbox_handlers.get(event_type, ()))


def subscriptions() -> dict[str, dict[str, list[str]]]:
    """Every event type with a reaction: {"member.joined": {"in_transaction": [...], "outbox": [...]}}."""
    types = sorted({*_handlers, *_outbox_handlers}, key=lambda t: t.name)
    return {t.name: {"in_transaction": [s.label for s in handlers_of(t)], "outbox": outbox_handlers_of(t)}
            for t in types}


def publish(event: Event) -> None:
    """Announce `event`: run its in-transaction handlers in order, then write it to the outbox for
    each outbox handler. Call it inside the transaction of the change."""
    for subscription in _handlers.get(type(event), ()):
        subscription.handler(event)
    names = _outbox_handlers.get(type(event))
    if names:
        from vafa.core.outbox import outbox_enqueue

        payload = event.payload()
        for name in names:
            outbox_enqueue(handler=name, type=event.name, payload=payload)
