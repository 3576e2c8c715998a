"""Money and points for display.

Amounts are stored as integer Rials (the legal currency unit), but Iranians talk and read prices
in Toman (10 Rials), so pages and SMS show Toman.
"""

from vafa.core.digits import to_persian_digits

# U+066C ARABIC THOUSANDS SEPARATOR, the one Persian typography uses ("۱۲٬۵۰۰").
PERSIAN_THOUSANDS_SEPARATOR = "\u066c"


def _require_int(value: int) -> None:
    # Exactly an int: bool is an int subclass, and a float would silently lose or invent Rials.
    if type(value) is not int:
        raise TypeError(f"An integer amount is required, not {type(value).__name__}.")


def _is_persian(lang: str) -> bool:
    # Django language codes may carry a region ("fa-ir"); anything not Persian gets English.
    return lang.lower().split("-")[0] == "fa"


def _group(number: int, lang: str) -> str:
    text = f"{number:,}"
    if _is_persian(lang):
        return to_persian_digits(text.replace(",", PERSIAN_THOUSANDS_SEPARATOR))
    return text


def rial_to_toman(rials: int) -> int:
    """Rials to whole Toman, dropping a leftover under 10 Rials.

    Truncates toward zero so that a refund shows the same figure as the purchase it undoes:
    -125,009 Rials is -12,500 Toman, not the -12,501 plain floor division would give.
    """
    _require_int(rials)
    if rials >= 0:
        return rials // 10
    return -((-rials) // 10)


def format_toman(rials: int, lang: str = "fa") -> str:
    """An amount given in Rials, shown in Toman: "۱۲٬۵۰۰ تومان" (fa) or "12,500 Toman" (en)."""
    grouped = _group(rial_to_toman(rials), lang)
    return f"{grouped} تومان" if _is_persian(lang) else f"{grouped} Toman"


def format_points(points: int, lang: str = "fa") -> str:
    """A points balance with thousands separators: "۱٬۲۵۰" (fa) or "1,250" (en)."""
    _require_int(points)
    return _group(points, lang)
