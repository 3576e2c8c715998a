"""Iranian postal codes (کد پستی): ten digits, written with or without a dash after the fifth.

Accepted the way people type them (Persian or Arabic digits, dashes, spaces, the invisible bidi
marks copied out of right-to-left text) and stored as ten ASCII digits."""

import re

from vafa.core.digits import to_ascii_digits

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
# `[0-9]`, not `\d`: `\d` would also let through digits of other scripts.
_POSTAL_CODE = re.compile(r"[0-9]{10}")


def normalize_postal_code(raw: object) -> str | None:
    """The ten ASCII digits of an Iranian postal code, or None when `raw` is not one."""
    if not isinstance(raw, str):
        return None
    digits = _SEPARATORS.sub("", to_ascii_digits(raw))
    return digits if _POSTAL_CODE.fullmatch(digits) else None
