"""Digit conversion between ASCII and the digits Iranian users actually type.

Persian keyboards produce Extended Arabic-Indic digits (۰-۹); text pasted from Arabic sources
carries Arabic-Indic digits (٠-٩). Everything we store or compute on uses ASCII digits.
"""

ASCII_DIGITS = "0123456789"
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"  # U+06F0..U+06F9
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"  # U+0660..U+0669

_TO_ASCII = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, ASCII_DIGITS * 2)
_TO_PERSIAN = str.maketrans(ASCII_DIGITS, PERSIAN_DIGITS)


def to_ascii_digits(text: str) -> str:
    """Replace Persian and Arabic-Indic digits with ASCII ones; leave everything else alone."""
    return text.translate(_TO_ASCII)


def to_persian_digits(text: str) -> str:
    """Replace ASCII digits with Persian ones, for display in Persian pages and SMS."""
    return text.translate(_TO_PERSIAN)
