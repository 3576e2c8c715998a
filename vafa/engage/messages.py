"""Messages to members: decided in the caller's transaction (a row per message, and its outbox
row), sent by the worker.

Deciding (`messages_decide`) checks, per member, in this order: the member is not blocked, has an
address for the channel; and for marketing: consent for the channel, a number that does not
block advertising, the weekly cap (at most MARKETING_PER_WEEK marketing messages in any 7 days,
across channels), and the sending window (a message due outside it is `held` until it opens).
A skipped message is kept, with its reason. Service messages (codes, receipts, points changes)
ignore consent, cap and window.

Sending (`message_send`, the outbox handler) checks consent, blocks and the window again (the
member may have replied 11 since), sends once under the message's id as key, and records the
gateway's id. A unique occurrence key per message (campaign:3:member:42) makes every decision
happen once, whatever restarts or a second worker do."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from vafa.core.errors import InvalidPhone, RewardNotFound
from vafa.core.jalali import TEHRAN
from vafa.core.outbox import Delivery, GiveUp, Postpone, outbox_enqueue_many, outbox_handler
from vafa.core.phone import normalize_phone
from vafa.engage.models import BlockedNumber, Channel, Message, Purpose
from vafa.engage.texts import as_sent, sms_length
from vafa.integrations.services import Email, email_attempt, sms_attempt, sms_message
from vafa.members.models import Consent, Member
from vafa.program.models import Reward

HANDLER = "engage.message"
CAP_DAYS = 7
_COUNTED = (Message.Status.QUEUED, Message.Status.HELD, Message.Status.SENT, Message.Status.DELIVERED)
UNSUBSCRIBE_SALT = "vafa.engage.unsubscribe"


# --- the sending window ----------------------------------------------------------------------------------


def sending_window() -> tuple[time, time]:
    start, _, end = settings.SENDING_WINDOW.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def window_opening(moment: datetime) -> datetime:
    """`moment` itself when it is inside the sending window (Tehran time), else when the window
    next opens."""
    start, end = sending_window()
    local = moment.astimezone(TEHRAN)
    if start <= local.time() < end:
        return moment
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=TEHRAN)


# --- deciding ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """What one member is to get: the text (placeholders filled), and for e-mail a subject."""

    member_id: int
    text: str
    subject: str = ""
    key: str | None = None  # the occurrence key


def _address(channel: str, phone: str, email: str) -> str:
    if channel == Channel.SMS:
        try:
            return normalize_phone(phone)
        except InvalidPhone:
            return ""
    return email


def _cap_counts(member_ids: list[int], due: datetime) -> dict[int, int]:
    """Marketing messages (not skipped or failed) due within CAP_DAYS either side of `due`: a
    new one may come only while fewer than the cap are, so no 7 days ever hold more."""
    counts: dict[int, int] = {}
    span = timedelta(days=CAP_DAYS)
    for member_id in Message.objects.filter(member_id__in=member_ids, purpose=Purpose.MARKETING,
                                            status__in=_COUNTED, due_at__gt=due - span,
                                            due_at__lt=due + span).values_list("member_id", flat=True):
        counts[member_id] = counts.get(member_id, 0) + 1
    return counts


def messages_decide(*, drafts: Iterable[Draft], channel: str, purpose: str, now: datetime,
                    due_at: datetime | None = None, campaign_id: int | None = None,
                    automation_id: int | None = None, spacing: Callable[[int], timedelta] | None = None
                    ) -> list[Message]:
    """Write the messages of `drafts` (in the caller's transaction), each queued, held or
    skipped with its reason, with an outbox row for those to send. A draft whose occurrence key
    already has a message is left out. `spacing(i)`: how long after `due_at` the i-th message
    to send is handed over (a campaign's throttle). Answers the messages written."""
    drafts = list(drafts)
    if not drafts:
        return []
    due = due_at or now
    keys = [d.key for d in drafts if d.key]
    done = set(Message.objects.filter(occurrence_key__in=keys).values_list("occurrence_key", flat=True)) if keys \
        else set()
    drafts = [d for d in drafts if not d.key or d.key not in done]
    ids = sorted({d.member_id for d in drafts})
    members = Member.objects.filter(pk__in=ids).order_by("pk")
    if connection.vendor == "postgresql" and purpose == Purpose.MARKETING:
        # The weekly cap counts what others decide at the same time for the same members.
        members = members.select_for_update(no_key=True)
    people = {m[0]: m[1:] for m in members.values_list("pk", "phone", "email", "status")}
    marketing = purpose == Purpose.MARKETING
    consenting: set[int] = set()
    blocked: set[str] = set()
    caps: dict[int, int] = {}
    if marketing:
        consenting = set(Consent.objects.filter(member_id__in=ids, channel=channel, granted=True)
                         .values_list("member_id", flat=True))
        if channel == Channel.SMS:
            blocked = set(BlockedNumber.objects.filter(phone__in=[p[0] for p in people.values()])
                          .values_list("phone", flat=True))
        caps = _cap_counts(ids, due)
    limit = settings.MARKETING_PER_WEEK
    rows: list[Message] = []
    sending = 0
    for draft in drafts:
        phone, email, status = people.get(draft.member_id, ("", "", Member.Status.BLOCKED))
        to = _address(channel, phone, email)
        text = as_sent(draft.text, channel=channel, purpose=purpose)
        reason = ""
        if status == Member.Status.BLOCKED:
            reason = Message.Skip.MEMBER_BLOCKED
        elif not to:
            reason = Message.Skip.INVALID_ADDRESS
        elif marketing and draft.member_id not in consenting:
            reason = Message.Skip.NO_CONSENT
        elif marketing and channel == Channel.SMS and to in blocked:
            reason = Message.Skip.BLOCKED_NUMBER
        elif marketing and caps.get(draft.member_id, 0) >= limit:
            reason = Message.Skip.FREQUENCY_CAP
        intended = due + spacing(sending) if spacing is not None and not reason else due
        at = window_opening(intended) if marketing else intended
        if not reason:
            sending += 1
            if marketing:
                caps[draft.member_id] = caps.get(draft.member_id, 0) + 1
        rows.append(Message(
            member_id=draft.member_id, channel=channel, purpose=purpose, to=to, subject=draft.subject[:200],
            text=text, parts=sms_length(text).parts if channel == Channel.SMS else 0,
            status=(Message.Status.SKIPPED if reason else
                    Message.Status.HELD if at > intended else Message.Status.QUEUED),
            skip_reason=reason, campaign_id=campaign_id, automation_id=automation_id, occurrence_key=draft.key,
            created_at=now, due_at=at))
    written = Message.objects.bulk_create(rows)
    outbox_enqueue_many([(HANDLER, f"message.{m.channel}", {"message_id": m.pk}, m.due_at)
                         for m in written if m.status != Message.Status.SKIPPED])
    return written


def message_queue(*, member_id: int, channel: str, purpose: str, text: str, subject: str = "",
                  key: str | None = None, now: datetime | None = None, automation_id: int | None = None
                  ) -> Message | None:
    """One message to one member (a service message, an automation's), decided now in the
    caller's transaction; None when its occurrence key already has one."""
    written = messages_decide(drafts=[Draft(member_id, text, subject, key)], channel=channel, purpose=purpose,
                              now=now or timezone.now(), automation_id=automation_id)
    return written[0] if written else None


def reward_of(reward_id: int | None):
    """The reward a campaign, automation or challenge gives (None for none), or RewardNotFound."""
    if reward_id is None:
        return None
    reward = Reward.objects.filter(pk=reward_id).first()
    if reward is None:
        raise RewardNotFound(details={"reward_id": reward_id})
    return reward


def reward_code_give(*, reward_id: int, member_id: int, rule: str) -> str:
    """Give the member the reward free (in the caller's transaction, with the message it goes
    in) and answer its code; "" when the reward refuses (out of stock, the member's limit)."""
    from vafa.core.errors import ApplicationError
    from vafa.rewards.services import reward_redeem

    try:
        with transaction.atomic():
            redemption = reward_redeem(member_id=member_id, reward_id=reward_id, free=True, rule=rule)
    except ApplicationError:
        return ""
    for name in ("coupon", "gift_card", "partner_code"):
        given = getattr(redemption, name, None)
        if given is not None and getattr(given, "code", ""):
            return given.code
    return ""


# --- sending -------------------------------------------------------------------------------------------------


def unsubscribe_token(member_id: int, channel: str = Channel.EMAIL) -> str:
    return signing.dumps({"m": member_id, "c": channel}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("m"), int) or data.get("c") not in Channel.values:
        return None
    return data["m"], data["c"]


def unsubscribe_url(member_id: int) -> str:
    base = settings.VAFA_PUBLIC_URL or "http://localhost:8000"
    return f"{base}/u/{unsubscribe_token(member_id)}"


def _still_allowed(message: Message) -> str:
    """Why a queued message may no longer go (the reason to skip it), or ""."""
    member = Member.objects.filter(pk=message.member_id).values_list("status", "phone").first()
    if member is None or member[0] == Member.Status.BLOCKED:
        return Message.Skip.MEMBER_BLOCKED
    if message.purpose != Purpose.MARKETING:
        return ""
    if not Consent.objects.filter(member_id=message.member_id, channel=message.channel, granted=True).exists():
        return Message.Skip.NO_CONSENT
    if message.channel == Channel.SMS and BlockedNumber.objects.filter(phone=message.to).exists():
        return Message.Skip.BLOCKED_NUMBER
    return ""


def _email_of(message: Message, key: int) -> Email:
    from django.template.loader import render_to_string
    from django.utils import translation

    from vafa.engage.texts import is_persian

    headers: tuple[tuple[str, str], ...] = ()
    unsubscribe = ""
    if message.purpose == Purpose.MARKETING:
        unsubscribe = unsubscribe_url(message.member_id)
        headers = (("List-Unsubscribe", f"<{unsubscribe}>"),
                   ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    language = "fa" if is_persian(message.text + message.subject) else "en"
    with translation.override(language):
        html = render_to_string("engage/mail/message.html", {"message": message, "unsubscribe": unsubscribe,
                                                      "rtl": language == "fa", "language": language})
        text = message.text + (f"\n\n--\n{unsubscribe}" if unsubscribe else "")
    # One line: a line break in a header (a subject's, a first name's) makes Django refuse it.
    subject = " ".join((message.subject or message.text[:60]).split())
    return Email(to=message.to, subject=subject, text=text, html=html,
                 key=str(key), headers=headers)


def _mark(message_id: int, **changes) -> None:
    Message.objects.filter(pk=message_id).filter(
        Q(status=Message.Status.QUEUED) | Q(status=Message.Status.HELD)).update(**changes)


@outbox_handler(HANDLER, transactional=False, lease_seconds=60, max_attempts=10)
def message_send(delivery: Delivery) -> str:
    message = Message.objects.filter(pk=delivery.payload["message_id"]).first()
    if message is None:
        return "the message is gone"
    if message.status not in (Message.Status.QUEUED, Message.Status.HELD):
        return f"already {message.status}"
    reason = _still_allowed(message)
    if reason:
        _mark(message.pk, status=Message.Status.SKIPPED, skip_reason=reason)
        return f"skipped: {reason}"
    if message.purpose == Purpose.MARKETING:
        opening = window_opening(delivery.now)
        if opening > delivery.now:
            _mark(message.pk, status=Message.Status.HELD, due_at=opening)
            raise Postpone(opening, "outside the sending window")
    try:
        if message.channel == Channel.SMS:
            # The outbox row's id is the key, as for every SMS: one id space at the gateway
            # (Kavenegar's localid), whatever table decided the message.
            attempt = sms_attempt(delivery, sms_message(to=message.to, text=message.text,
                                                        key=str(delivery.entry.pk), purpose=message.purpose))
            gateway, gateway_id = attempt.gateway, attempt.message_id
            note = "already sent by an earlier attempt" if attempt.already_sent else f"{gateway} {attempt.status}"
        else:
            note = email_attempt(delivery, _email_of(message, delivery.entry.pk))
            gateway, gateway_id = "email", ""
    except GiveUp as error:
        _mark(message.pk, status=Message.Status.FAILED, error=str(error)[:255])
        raise
    except Exception as error:
        if delivery.entry.attempts >= 10:
            _mark(message.pk, status=Message.Status.FAILED, error=f"{type(error).__name__}: {error}"[:255])
        raise
    changes = {"status": Message.Status.SENT, "sent_at": delivery.now, "gateway": gateway, "error": ""}
    if gateway_id:
        changes["gateway_id"] = gateway_id
    _mark(message.pk, **changes)
    return note
