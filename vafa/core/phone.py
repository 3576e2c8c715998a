"""Iranian mobile numbers: one canonical form (E.164) for every way people write them.

The phone number is a member's identity and where we send SMS, so only Iranian *mobile* numbers
are accepted, and always stored as E.164 (`+989121234567`) so that the same person typed two
different ways is still one member.
"""

import re

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType

from vafa.core.digits import to_ascii_digits
from vafa.core.errors import InvalidPhone

_COUNTRY_CODE = 98

# Characters people put between digits (spaces of any kind, dashes, dots, parentheses), plus the
# invisible bidi marks that ride along when a number is copied out of right-to-left text.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015.()\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
# `[0-9]`, not `\d`: `\d` would also let through digits of other scripts.
_SHAPE = re.compile(r"\+?[0-9]+")


def _national_number(digits: str) -> str:
    """Strip the country code / trunk prefix in whichever form it came, leaving `9XXXXXXXXX`."""
    if digits.startswith("+"):
        if not digits.startswith("+98"):
            raise InvalidPhone()  # a foreign number: we cannot send it SMS
        rest = digits[3:]
    elif digits.startswith("0098"):
        rest = digits[4:]
    elif digits.startswith("00"):
        raise InvalidPhone()  # international prefix with another country's code
    elif digits.startswith("0"):
        return digits[1:]  # domestic form, 09121234567
    elif digits.startswith("98") and len(digits) in (12, 13):
        # E.164 with the plus forgotten. No 10-digit Iranian mobile starts with 98, so a
        # 10-digit "98..." is left alone (and rejected below) rather than misread.
        rest = digits[2:]
    else:
        return digits  # already national without the trunk 0, 9121234567
    # "+98 (0)912 ..." is a common way of writing it; that 0 is the domestic trunk prefix.
    return rest[1:] if rest.startswith("0") else rest


def normalize_phone(raw: str) -> str:
    """Return the E.164 form of an Iranian mobile number, or raise `InvalidPhone`."""
    if not isinstance(raw, str):
        raise InvalidPhone()
    digits = _SEPARATORS.sub("", to_ascii_digits(raw))
    # Checked before phonenumbers sees it: its parser would read letters as a vanity number.
    if not _SHAPE.fullmatch(digits):
        raise InvalidPhone()
    nsn = _national_number(digits)
    if len(nsn) != 10 or not nsn.startswith("9"):
        raise InvalidPhone()
    number = PhoneNumber(country_code=_COUNTRY_CODE, national_number=int(nsn))
    # The metadata knows which 09xx ranges are really allocated to mobile operators.
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) != PhoneNumberType.MOBILE:
        raise InvalidPhone()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_valid_phone(raw: object) -> bool:
    """True when `raw` is an Iranian mobile number in any accepted form."""
    try:
        normalize_phone(raw)  # type: ignore[arg-type]  # non-str is handled (rejected) inside
    except InvalidPhone:
        return False
    return True


def mask_phone(e164: str) -> str:
    """Hide the middle digits (`+98912***4567`) so logs identify a number without exposing it.

    Never raises, because it is used while logging; anything that is not a valid Iranian mobile
    number is masked completely rather than risk writing out whatever it is.
    """
    try:
        normalized = normalize_phone(e164)
    except InvalidPhone:
        return "***"
    # +98 and the operator prefix (912) stay, the subscriber's last four stay.
    return f"{normalized[:6]}***{normalized[-4:]}"


def national_mobile(e164: str) -> str:
    """`+989121234567` -> `09121234567`, the way Iranians (and their SMS gateways) write a mobile
    number; a masked `+98912***4567` becomes `0912***4567`. Anything else is returned as it is."""
    return f"0{e164[3:]}" if e164.startswith("+98") else e164
