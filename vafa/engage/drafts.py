"""A campaign as it is being composed, before anything is saved: its text as one member of the
segment would get it (placeholders filled, «لغو۱۱» added to marketing from a service line), the
SMS length and parts of that text, and the cost of sending it to the segment less its hold-out.
The back-office's live counter asks this on every keystroke; nothing is written."""

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from vafa.engage.models import Channel, Purpose
from vafa.engage.segments import segment_count, segment_get, segment_member_ids
from vafa.engage.texts import (
    COUPON_SAMPLE,
    as_sent,
    is_persian,
    missing_in,
    placeholders_check,
    render,
    sms_cost_rial,
    sms_length,
)
from vafa.engage.values import members_values


def draft_preview(*, text: str, channel: str, subject: str = "", purpose: str = Purpose.MARKETING,
                  segment_id=None, holdout_percent: int = 0, with_coupon: bool = False, member_id: int | None = None,
                  now: datetime | None = None) -> dict:
    """What a draft would send: to `member_id`, else to the segment's first member (none when
    the segment is empty or not chosen). Raises UnknownPlaceholder for a `{...}` Vafa does not
    know, SegmentNotFound for a segment that is not there.

    Answers `member_id`, `text`, `subject`, `missing` (placeholders this member has no value for),
    `characters`, `unicode`, `per_part`, `parts` (0 for e-mail), `audience` and `holdout` (None
    without a segment), `cost_per_message_rial` and `estimated_cost_rial` (None without a segment)."""
    placeholders_check(text)
    placeholders_check(subject)
    now = now or timezone.now()
    segment = segment_get(segment_id=segment_id) if segment_id else None
    chosen = member_id
    if chosen is None and segment is not None:
        first = segment_member_ids(segment, limit=1, now=now)
        chosen = first[0] if first else None
    values = members_values([chosen], now=now, persian=is_persian(text)).get(chosen, {}) if chosen else {}
    if with_coupon:
        values = {**values, "coupon": COUPON_SAMPLE}
    body = as_sent(render(text, values), channel=channel, purpose=purpose)
    length = sms_length(body)
    parts = length.parts if channel == Channel.SMS else 0
    per_message = sms_cost_rial(parts, price_per_part_rial=settings.SMS_PRICE_PER_PART_RIAL)
    audience = segment_count(segment, now=now) if segment is not None else None
    holdout = audience * max(0, min(int(holdout_percent), 50)) // 100 if audience is not None else None
    return {
        "member_id": chosen, "text": body, "subject": render(subject, values),
        "missing": missing_in(text + subject, values) if chosen else [],
        "characters": length.characters, "unicode": length.unicode, "per_part": length.per_part, "parts": parts,
        "audience": audience, "holdout": holdout, "cost_per_message_rial": per_message,
        "estimated_cost_rial": per_message * (audience - holdout) if audience is not None else None,
    }
