"""The text of a message: placeholders filled from a member's values, the SMS rules (how many
parts a text takes, «لغو۱۱» at the end of marketing from a service line) and the cost estimate.

Placeholders are `{name}` (DESIGN: first_name, last_name, points, points_value_toman, tier,
expiring_points, expiring_date, coupon, survey_link, suggestion). A text with any other `{...}`
cannot be scheduled; a placeholder whose value a member lacks becomes empty (never a raw `{first_name}`),
and the preview names the members it would happen to. Numbers and dates follow the text's
script: Persian digits in a Persian text."""

import re
import string
from dataclasses import dataclass

from django.conf import settings

from vafa.core.errors import UnknownPlaceholder, ValidationFailed

PLACEHOLDERS = ("first_name", "last_name", "points", "points_value_toman", "tier", "expiring_points",
                "expiring_date", "coupon", "survey_link", "suggestion")
COUPON_SAMPLE = "ABCD-1234"  # what {coupon} shows in a preview, before a real code is given
OPT_OUT = "لغو۱۱"  # the Iranian service-line opt-out, the last thing in a marketing SMS

_PERSIAN_LETTER = re.compile(r"[\u0600-\u06FF]")
# GSM 03.38: the default alphabet and (counted twice) the extension table.
_GSM = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def is_persian(text: str) -> bool:
    return bool(_PERSIAN_LETTER.search(text))


def placeholders_in(text: str) -> list[str]:
    """The placeholder names a text uses, in order, once each; a text whose braces do not
    parse is refused like an unknown placeholder."""
    try:
        # A conversion (`!r`) or format spec (`:>99999`) would be applied by str.format when
        # sending: kept on the name, it makes an unknown placeholder.
        names = [field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
                 for _, field, spec, conversion in string.Formatter().parse(text) if field is not None]
    except ValueError:
        raise UnknownPlaceholder(details={"text": "unmatched { or }"}) from None
    return list(dict.fromkeys(names))


def placeholders_check(text: str) -> None:
    unknown = [name for name in placeholders_in(text) if name not in PLACEHOLDERS]
    if unknown:
        raise UnknownPlaceholder(details={"text": f"unknown placeholders: {', '.join(unknown)}",
                                          "known": ", ".join(PLACEHOLDERS)})


def render(text: str, values: dict[str, str]) -> str:
    """The text with each placeholder replaced (a missing one by nothing), blanks left by a
    missing value closed up."""
    placeholders_check(text)
    filled = text.format_map({name: values.get(name) or "" for name in PLACEHOLDERS})
    return re.sub(r"[ \t]{2,}", " ", filled).replace(" ،", "،").replace(" ,", ",").strip()


def missing_in(text: str, values: dict[str, str]) -> list[str]:
    """The placeholders of `text` this member has no value for."""
    return [name for name in placeholders_in(text) if name in PLACEHOLDERS and not values.get(name)]


def text_check(channel: str, text: str, subject: str) -> None:
    """What a campaign's or automation's text must be: known placeholders, and a subject for an
    e-mail."""
    placeholders_check(text)
    placeholders_check(subject)
    if channel == "email" and not subject.strip():
        raise ValidationFailed(details={"subject": "required for an e-mail"})


def as_sent(text: str, *, channel: str, purpose: str) -> str:
    """The text as it goes out: a marketing SMS from a service line ends with «لغو۱۱»."""
    if channel == "sms" and purpose == "marketing" and settings.SMS_SERVICE_LINE:
        return with_opt_out(text)
    return text


def with_opt_out(text: str) -> str:
    """A marketing SMS as sent from a service line: «لغو۱۱» on its own last line (once)."""
    stripped = text.rstrip()
    return stripped if stripped.endswith(OPT_OUT) else f"{stripped}\n{OPT_OUT}"


@dataclass(frozen=True)
class SmsLength:
    characters: int  # as the phone counts them (a GSM extension character counts twice)
    unicode: bool  # UCS-2 (Persian, or any character outside GSM-7)
    parts: int
    per_part: int  # what one part holds for this text (70/67 or 160/153)


def sms_length(text: str) -> SmsLength:
    """How many parts an SMS takes: UCS-2 holds 70 characters, or 67 a part once split; GSM-7
    holds 160, or 153 a part."""
    unicode = any(ch not in _GSM and ch not in _GSM_EXTENDED for ch in text)
    if unicode:
        # UCS-2 counts UTF-16 code units: a character beyond the BMP (an emoji) takes two.
        characters = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, split = 70, 67
    else:
        characters = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, split = 160, 153
    if characters <= single:
        return SmsLength(characters, unicode, 1 if characters else 0, single)
    return SmsLength(characters, unicode, -(-characters // split), split)


def sms_cost_rial(parts: int, *, price_per_part_rial: int) -> int:
    return parts * price_per_part_rial
