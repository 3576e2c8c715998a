"""What engagement offers to change: segments, campaigns, automations, messages, and the
answers members give by SMS (11/12) and by the unsubscribe link."""

from django.db import transaction

from vafa.core.digits import to_ascii_digits
from vafa.core.errors import InvalidPhone
from vafa.core.phone import normalize_phone
from vafa.engage.automations import automation_create, automation_update, automations_run
from vafa.engage.campaigns import campaign_cancel, campaign_create, campaign_schedule, campaign_update, campaigns_run
from vafa.engage.contests import (
    contest_create,
    contest_entries_forget,
    contest_entry_decide,
    contest_entry_submit,
    contest_status_set,
)
from vafa.engage.messages import message_queue, unsubscribe_read
from vafa.engage.models import BlockedNumber, Channel
from vafa.engage.recognition import (
    badge_create,
    badge_update,
    challenge_create,
    challenge_update,
    member_recognition_check,
    recognition_run,
    recognition_sweep,
)
from vafa.engage.reviews import review_create, review_hide, review_publish
from vafa.engage.segments import segment_create, segment_update
from vafa.engage.surveys import answers_check, survey_answer, survey_close, survey_create, survey_open
from vafa.members.models import ConsentChange, Member
from vafa.members.services import member_consent_set

STOP, START = "11", "12"


def sms_reply_handle(*, sender: str, text: str) -> str:
    """An SMS a member sent to the club's line: 11 (Persian or Latin digits, blanks ignored)
    withdraws their SMS marketing consent, 12 gives it back. Answers what was done: "withdrawn",
    "granted" or "ignored" (another text, or a number that is no member's)."""
    word = "".join(to_ascii_digits(str(text or "")).split())
    if word not in (STOP, START):
        return "ignored"
    try:
        phone = normalize_phone(sender)
    except InvalidPhone:
        return "ignored"
    member = Member.objects.filter(phone=phone, erased_at__isnull=True).first()
    if member is None:
        return "ignored"
    granted = word == START
    with transaction.atomic():
        member_consent_set(member=member, channel=Channel.SMS, granted=granted, source=ConsentChange.Source.SMS_REPLY)
        if granted:
            # Asking for marketing again lifts an advertising block only this club's line saw.
            BlockedNumber.objects.filter(phone=phone).delete()
    return "granted" if granted else "withdrawn"


def unsubscribe(*, token: str) -> bool:
    """The one-click unsubscribe (RFC 8058): withdraws the consent the token names; False for a
    token that is not ours."""
    read = unsubscribe_read(token)
    if read is None:
        return False
    member_id, channel = read
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        return False
    member_consent_set(member=member, channel=channel, granted=False, source=ConsentChange.Source.UNSUBSCRIBE)
    return True


def number_blocks_advertising(*, phone: str, gateway: str = "") -> None:
    """The gateway said this number blocks advertising: no marketing SMS goes to it again."""
    BlockedNumber.objects.get_or_create(phone=normalize_phone(phone), defaults={"gateway": gateway[:20]})


__all__ = [
    "answers_check",
    "automation_create",
    "automation_update",
    "automations_run",
    "badge_create",
    "badge_update",
    "campaign_cancel",
    "campaign_create",
    "campaign_schedule",
    "campaign_update",
    "campaigns_run",
    "challenge_create",
    "challenge_update",
    "contest_create",
    "contest_entries_forget",
    "contest_entry_decide",
    "contest_entry_submit",
    "contest_status_set",
    "member_recognition_check",
    "message_queue",
    "number_blocks_advertising",
    "recognition_run",
    "recognition_sweep",
    "review_create",
    "review_hide",
    "review_publish",
    "segment_create",
    "segment_update",
    "sms_reply_handle",
    "survey_answer",
    "survey_close",
    "survey_create",
    "survey_open",
    "unsubscribe",
]
