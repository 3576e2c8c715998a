"""Points for what members do besides buying: joining, completing the profile, a review, a
survey, a packaging code, a birthday or another occasion, any custom event. Each is recorded
once by its key, so a retry or a second daily run has no second effect."""

from datetime import datetime

from django.db import IntegrityError, transaction

from vafa.core.codes import normalize_code
from vafa.core.errors import EventDuplicate, PackagingCodeUsed
from vafa.core.inputs import validated
from vafa.ledger.services import book_open, ensure_not_blocked
from vafa.member_events.inputs import EventInput
from vafa.member_events.models import Event, PackagingCode
from vafa.member_events.packaging import packaging_code_claim
from vafa.members.events import MemberJoined, MemberUpdated
from vafa.members.models import Member
from vafa.members.selectors import parse_member_id
from vafa.merchants.services import operator_id
from vafa.program import engine
from vafa.program.selectors import (
    Line,
    Program,
    member_labels_one,
    member_tier_id,
    program_now,
    recorded_usage,
    rule_lines,
)
from vafa.program.services import lines_apply, rule_usage_record
from vafa.rewards.services import rule_rewards_give

TRIGGER_TYPES = {"review", "survey", "packaging_code", "profile_completed", "join"}


def _trigger_of(event_type: str) -> tuple[str, str | None, str | None]:
    """(trigger, occasion, event_type) for the engine."""
    if event_type in TRIGGER_TYPES:
        return event_type, None, None
    if event_type.startswith("occasion."):
        return "occasion", event_type.removeprefix("occasion."), None
    return "event", None, event_type


def _key(event: EventInput, merchant_id: int | None) -> str | None:
    """The key an event is recorded under: a printed packaging code counts once, for anyone; a
    partner's own keys are its own (it cannot take a key the operator will send: the operator's
    keep the form they always had)."""
    if event.type == "packaging_code":
        return f"packaging_code:{normalize_code(event.properties['code'])}"
    if event.key is None:
        return None
    if merchant_id is not None and merchant_id != operator_id():
        return f"event:{merchant_id}:{event.key}"
    return f"event:{event.key}"


def event_record(*, member_id, event_type: str, properties: dict | None = None, key: str | None = None,
                 merchant_id: int | None = None, occurred_at: datetime | None = None) -> tuple[Event, bool]:
    """Record a member's event and award the rules it triggers. Answers (event, replayed):
    the same key again replays the first event; a different member or type with that key
    is `duplicate_event`."""
    pk = parse_member_id(member_id)
    event = validated(EventInput, {"type": event_type, "properties": properties, "key": key,
                                   "occurred_at": occurred_at})
    properties, key, occurred_at = event.properties, _key(event, merchant_id), event.occurred_at
    if key is not None:
        existing = Event.objects.filter(key=key).first()
        if existing is not None:
            return _replay(existing, pk, event_type)
    try:
        with transaction.atomic():
            return _record(member_id=pk, event_type=event_type, properties=properties, key=key,
                           merchant_id=merchant_id, occurred_at=occurred_at), False
    except IntegrityError:
        if key is None or transaction.get_connection().in_atomic_block:
            raise
        existing = Event.objects.filter(key=key).first()
        if existing is None:
            raise
        return _replay(existing, pk, event_type)


def _replay(existing: Event, member_id: int, event_type: str) -> tuple[Event, bool]:
    if event_type == "packaging_code" and existing.type == event_type and existing.member_id != member_id:
        raise PackagingCodeUsed(details={"code": existing.properties.get("code", "")[:64]})
    if existing.member_id != member_id or existing.type != event_type:
        raise EventDuplicate(details={"key": existing.key})
    return existing, True


def _record(*, member_id: int, event_type: str, properties: dict, key: str | None, merchant_id: int | None,
            occurred_at: datetime | None, program: Program | None = None) -> Event:
    book = book_open(member_id=member_id)
    ensure_not_blocked(book)
    program = program or program_now()
    at = occurred_at or book.now
    trigger, occasion, custom_type = _trigger_of(event_type)
    pooled = packaging_code_claim(properties["code"]) if trigger == "packaging_code" else None
    # A pooled code names its product, so rules can ask for it (`skus`).
    items = (engine.Item(sku=pooled.sku, quantity=1, unit_price=0),) if pooled and pooled.sku else ()
    rules = program.rules_for(trigger)
    lines: list[Line] = []
    if rules:
        tier = program.tier_by_id(member_tier_id(member_id=member_id)) if program.tiers else None
        tags, segments = member_labels_one(rules, member_id)
        ctx = engine.Context(trigger=trigger, occurred_at=at, member_kind=book.member_kind,
                             tier=tier.code if tier else None, merchant_id=merchant_id, occasion=occasion,
                             tags=tags, segments=segments,
                             event_type=custom_type, event_key=key, point_value_rial=program.policy.point_value_rial,
                             items=items)
        lines = rule_lines(rules, ctx, recorded_usage(program, member_id=member_id, moment=at))
    source = ("event", None)
    earned = lines_apply(book, lines, program, merchant_id=merchant_id, occurred_at=at, source=source)
    event = Event.objects.create(member_id=member_id, merchant_id=merchant_id, type=event_type, key=key,
                                 properties=properties, points_earned=earned,
                                 applied_rules=[line.body() for line in lines], occurred_at=at)
    book.set_source("event", event.pk)
    book.flush()
    if pooled is not None:
        PackagingCode.objects.filter(pk=pooled.pk).update(event=event)
    rule_usage_record(lines, program, member_id=member_id, occurred_at=at, source=("event", event.pk))
    notes = rule_rewards_give(lines, member_id=member_id, merchant_id=merchant_id)
    if notes:
        event.applied_rules = [{**b, "detail": f"{b['detail']}; {notes[b['rule_id']]}"} if b["rule_id"] in notes
                               else b for b in event.applied_rules]
        Event.objects.filter(pk=event.pk).update(applied_rules=event.applied_rules)
    event.balance_after = book.balance
    return event


def trigger_once(*, member_id: int, event_type: str, key: str, at: datetime | None = None,
                 properties: dict | None = None) -> Event | None:
    """Award a built-in trigger (join, profile completed, an occasion) at most once per key,
    inside the caller's transaction. Nothing is recorded when no live rule listens."""
    program = program_now()
    trigger, _occasion, _type = _trigger_of(event_type)
    if not program.rules_for(trigger) or Event.objects.filter(key=key).exists():
        return None
    with transaction.atomic():
        return _record(member_id=member_id, event_type=event_type, properties=properties or {}, key=key,
                       merchant_id=None, occurred_at=at, program=program)


# --- join and profile ------------------------------------------------------------------
PROFILE_FIELDS = ("first_name", "last_name", "email", "birth_date")


def profile_complete(member: Member) -> bool:
    named = member.organization_name if member.kind == Member.Kind.ORGANIZATION else member.last_name
    return bool(named) and all(getattr(member, f) for f in PROFILE_FIELDS)


def on_member_joined(joined: MemberJoined) -> None:
    """Handler of MemberJoined: the join award, and the profile award when the member joined with
    a complete profile (each once); none for a member imported without points."""
    if not joined.earns:
        return
    trigger_once(member_id=joined.member_id, event_type="join", key=f"join:{joined.member_id}", at=joined.joined_at)
    _profile_award(joined.member_id)


def on_member_updated(updated: MemberUpdated) -> None:
    """Handler of MemberUpdated: completing the profile earns, once."""
    _profile_award(updated.member_id)


def _profile_award(member_id: int) -> None:
    if not program_now().rules_for("profile_completed"):
        return  # nothing to award: the member need not be read
    member = Member.objects.get(pk=member_id)
    if member.status != Member.Status.BLOCKED and profile_complete(member):
        trigger_once(member_id=member.pk, event_type="profile_completed", key=f"profile_completed:{member.pk}")
