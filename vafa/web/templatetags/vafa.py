"""Numbers, money and dates the way the page's language writes them."""

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.translation import get_language

from vafa.core.digits import to_persian_digits
from vafa.core.jalali import format_jalali_date
from vafa.core.masking import mask_code
from vafa.core.money import format_points, format_toman

register = template.Library()


def _lang() -> str:
    return get_language() or "fa"


def _persian() -> bool:
    return _lang().split("-")[0] == "fa"


@register.filter
def toman(rials):
    """Rials shown in Toman: "۱۲٬۵۰۰ تومان" / "12,500 Toman"."""
    if rials in (None, ""):
        return ""
    return format_toman(int(rials), _lang())


@register.filter
def points(value):
    """A whole number with separators and the language's digits: "۱٬۲۵۰" / "1,250"."""
    if value in (None, ""):
        return ""
    return format_points(int(value), _lang())


@register.filter
def digits(value):
    """Any text with Persian digits in Persian (codes, phone numbers, percentages)."""
    if value is None:
        return ""
    return to_persian_digits(str(value)) if _persian() else str(value)


@register.filter
def jdate(value):
    """A date: Jalali with Persian digits in Persian ("۱۴۰۵/۰۹/۰۴"), ISO in English."""
    if not value:
        return ""
    if _persian():
        return format_jalali_date(value)
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return value.isoformat() if isinstance(value, date) else str(value)


@register.filter
def jdatetime(value):
    """A moment as its Tehran date and time ("۱۴۰۵/۰۹/۰۴ ۱۴:۳۰")."""
    if not value:
        return ""
    local = timezone.localtime(value)
    clock = local.strftime("%H:%M")
    return f"{jdate(local)} {to_persian_digits(clock) if _persian() else clock}"


@register.filter
def percent(value):
    """A share 0..1 (or None) as a whole percentage in the language's digits."""
    if value is None:
        return "—"
    text = f"{round(float(value) * 100)}%"
    return to_persian_digits(text.replace("%", "٪")) if _persian() else text


@register.filter
def tier_remaining(status):
    """What is left to the next tier in that tier's own measure: Toman of spend, or a count."""
    next_tier = getattr(status, "next_tier", None)
    if next_tier is None or status.to_next_tier is None:
        return ""
    if getattr(next_tier, "qualify_by", "") == "spend":
        return toman(status.to_next_tier)
    return points(status.to_next_tier)


@register.filter
def masked_code(code):
    """A code someone could spend, shown by its last four characters only ("…WXYZ")."""
    return mask_code(code)


@register.filter
def get_item(mapping, key):
    """`{{ labels|get_item:code }}`: a dictionary's value in a template."""
    return mapping.get(key, key) if mapping else key
