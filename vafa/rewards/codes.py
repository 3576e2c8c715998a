"""Coupon and gift card codes: short, unique, easy to read aloud and to type on a phone.

Codes are stored normalised (upper case, ASCII, no separators) and shown in groups of four
("ABCD-EFGH"); whatever a cashier or a member types is normalised the same way before it
is looked up, so "abcd efgh", "ABCD-EFGH" and Persian digits all find the same code."""

import re

from vafa.core.codes import random_code
from vafa.core.digits import to_ascii_digits

COUPON_LENGTH = 8  # 27^8 ≈ 2.8e11 codes: a personal coupon is worth one discount
GIFT_CARD_LENGTH = 12  # stored value deserves more to guess: 27^12 ≈ 1.5e17
PROMO_MIN, PROMO_MAX = 3, 32
GROUP = 4

# Separators people type or paste: spaces of every kind, dashes of every kind, underscores,
# dots, and the invisible joiners Persian keyboards insert.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−_.·\u200b-\u200f\u2060\ufeff]+")
_PROMO = re.compile(r"[A-Z0-9]+")


def normalize(raw: str) -> str:
    """The stored form of a typed code (no validation: an unknown code simply finds nothing)."""
    return _SEPARATORS.sub("", to_ascii_digits(str(raw))).upper()


def new_coupon_code() -> str:
    return random_code(COUPON_LENGTH)


def new_gift_card_code() -> str:
    return random_code(GIFT_CARD_LENGTH)


def grouped(code: str) -> str:
    """A generated code in groups of four, as printed and read aloud ("ABCD-EFGH")."""
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def promo_code_problem(code: str) -> str | None:
    """Why a normalised promo code cannot be used, or None."""
    if not PROMO_MIN <= len(code) <= PROMO_MAX:
        return f"from {PROMO_MIN} to {PROMO_MAX} letters and digits"
    if not _PROMO.fullmatch(code):
        return "only Latin letters and digits (spaces and dashes are ignored)"
    return None
