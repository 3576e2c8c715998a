"""Short human-friendly codes (referral codes now, coupons later)."""

import secrets

from vafa.core.digits import to_ascii_digits

# No 0/O, 1/I/L, 5/S, 2/Z: codes are read aloud at a counter and typed on phones.
ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"


def random_code(length: int = 7) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize_code(raw: str) -> str:
    return to_ascii_digits(str(raw)).strip().upper().replace("-", "").replace(" ", "")
