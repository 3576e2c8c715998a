"""Iranian national identifiers: a person's national code and an organisation's national ID.

Both carry a check digit, so most typos are caught before we store a wrong identity. Input is
accepted the way people type it (Persian/Arabic digits, dashes, spaces) and returned as plain
ASCII digits, the one form we store and compare.
"""

import re

from vafa.core.digits import to_ascii_digits
from vafa.core.errors import InvalidNationalId

PERSON = "person"
ORGANIZATION = "organization"

# Dashes and spaces people use to group the digits (e.g. 001-234567-8), and the invisible bidi
# marks that come along when the code is copied out of right-to-left text.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
# `[0-9]`, not `\d`: `\d` would also let through digits of other scripts.
_DIGITS = re.compile(r"[0-9]+")

_LEGAL_ID_WEIGHTS = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)


def _clean_digits(raw: str) -> str:
    if not isinstance(raw, str):
        raise InvalidNationalId()
    digits = _SEPARATORS.sub("", to_ascii_digits(raw))
    if not _DIGITS.fullmatch(digits):
        raise InvalidNationalId()
    return digits


def national_code_check_digit(first_nine: str) -> int:
    """The check digit (10th digit) of a national code, from its first nine digits."""
    total = sum(int(digit) * (10 - i) for i, digit in enumerate(first_nine))
    remainder = total % 11
    return remainder if remainder < 2 else 11 - remainder


def legal_id_check_digit(first_ten: str) -> int:
    """The check digit (11th digit) of an organisation's national ID, from its first ten."""
    # The tenth digit plus two is added to every digit before weighting, per the official rule.
    offset = int(first_ten[9]) + 2
    total = sum(
        (int(digit) + offset) * weight for digit, weight in zip(first_ten, _LEGAL_ID_WEIGHTS, strict=True)
    )
    remainder = total % 11
    return 0 if remainder == 10 else remainder


def validate_national_code(raw: str) -> str:
    """Return a person's national code as 10 ASCII digits, or raise `InvalidNationalId`."""
    digits = _clean_digits(raw)
    # Leading zeros are often lost when codes pass through spreadsheets or number fields;
    # Iranian systems restore them, so 8 and 9 digit inputs are padded back to 10.
    if not 8 <= len(digits) <= 10:
        raise InvalidNationalId()
    code = digits.zfill(10)
    # 0000000000, 1111111111, ... pass the checksum but are placeholders, never issued.
    if len(set(code)) == 1:
        raise InvalidNationalId()
    if national_code_check_digit(code[:9]) != int(code[9]):
        raise InvalidNationalId()
    return code


def validate_legal_id(raw: str) -> str:
    """Return an organisation's national ID as 11 ASCII digits, or raise `InvalidNationalId`."""
    digits = _clean_digits(raw)
    if len(digits) != 11:
        raise InvalidNationalId()
    # Same placeholder rule as for people: 33333333333, for one, passes the checksum.
    if len(set(digits)) == 1:
        raise InvalidNationalId()
    if legal_id_check_digit(digits[:10]) != int(digits[10]):
        raise InvalidNationalId()
    return digits


def validate_national_id(raw: str, kind: str) -> str:
    """Validate by the holder's kind: "person" (national code) or "organization" (national ID).

    An unknown `kind` is a programming error, not bad user input, so it raises `ValueError`.
    """
    if kind == PERSON:
        return validate_national_code(raw)
    if kind == ORGANIZATION:
        return validate_legal_id(raw)
    raise ValueError(f"Unknown national ID kind: {kind!r}")
