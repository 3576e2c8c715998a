"""Date fields of the pages: a date as three drop-downs (day / month name / year) in the page's
calendar, for dates people pick (`JalaliDateField`), and a typed date, Jalali or Gregorian, for
filters (`TypedDateField`).

In Persian the months are the Jalali ones (فروردین ... اسفند) and the years Jalali, in English
the Gregorian months and years; either way the form field yields a `datetime.date`. The widget
writes which calendar it showed in a hidden part, so a form rendered in one language and sent
after a language switch is still read in the calendar the person saw.

    birth_date = JalaliDateField(label=_("Birthday"), required=False)          # 1920 .. this year
    anniversary = JalaliDateField(label=_("Wedding anniversary"), min_year=1940)

Rendered as a group (use a <fieldset>/<legend> for the field's label, as Django 5 does for a
MultiWidget): each drop-down has its own <label>.
"""

from __future__ import annotations

import datetime as dt
import re

import jdatetime
from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from vafa.core.digits import to_ascii_digits, to_persian_digits
from vafa.core.jalali import parse_jalali_date

JALALI, GREGORIAN = "jalali", "gregorian"

JALALI_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
                 "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")
GREGORIAN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
                    "September", "October", "November", "December")


def page_calendar() -> str:
    """The calendar of the active language: Jalali for Persian, Gregorian otherwise."""
    return JALALI if (get_language() or "fa").split("-")[0] == "fa" else GREGORIAN


def _jalali_year(year: int) -> int:
    return jdatetime.date.fromgregorian(date=dt.date(year, 6, 1)).year


def _to_parts(value: dt.date, calendar: str) -> tuple[int, int, int]:
    if calendar == JALALI:
        j = jdatetime.date.fromgregorian(date=value)
        return j.day, j.month, j.year
    return value.day, value.month, value.year


def to_date(day: int, month: int, year: int, calendar: str) -> dt.date:
    """The Gregorian date of day/month/year in `calendar`; ValueError for a day the month lacks."""
    if calendar == JALALI:
        if not 1 <= month <= 12 or not 1 <= day <= 31:
            raise ValueError("not a Jalali date")
        if month == 12:
            limit = 30 if jdatetime.date(year, 1, 1).isleap() else 29
        else:
            limit = jdatetime.j_days_in_month[month - 1]
        if day > limit:
            raise ValueError("not a Jalali date")
        return jdatetime.date(year, month, day).togregorian()
    return dt.date(year, month, day)


class JalaliDateWidget(forms.MultiWidget):
    """Day, month-name and year <select>s plus a hidden calendar marker (parts 0..3)."""

    use_fieldset = True

    def __init__(self, attrs=None, min_year: int = 1920, max_year: int | None = None, newest_first: bool = True):
        self.min_year = min_year
        self.max_year = max_year
        self.newest_first = newest_first
        widgets = (forms.Select(), forms.Select(), forms.Select(), forms.HiddenInput())
        super().__init__(widgets, attrs)

    def _max_year(self) -> int:
        return self.max_year or dt.date.today().year

    def decompress(self, value):
        if isinstance(value, dt.date):
            calendar = page_calendar()
            return [*_to_parts(value, calendar), calendar]
        return [None, None, None, None]

    def _choices(self, calendar: str):
        persian = calendar == JALALI

        def shown(number: int, width: int = 1) -> str:
            text = f"{number:0{width}d}"
            return to_persian_digits(text) if persian else text

        days = [(str(d), shown(d)) for d in range(1, 32)]
        names = JALALI_MONTHS if persian else GREGORIAN_MONTHS
        months = [(str(i), name) for i, name in enumerate(names, start=1)]
        low, high = self.min_year, self._max_year()
        if persian:
            low, high = _jalali_year(low), _jalali_year(high)
        years = list(range(low, high + 1))
        if self.newest_first:
            years.reverse()
        return days, months, [(str(y), shown(y)) for y in years]

    def render(self, name, value, attrs=None, renderer=None):
        if not isinstance(value, list):
            value = self.decompress(value)
        value = list(value) + [None] * (4 - len(value))
        calendar = value[3] if value[3] in (JALALI, GREGORIAN) else page_calendar()
        if calendar != page_calendar() and all(value[:3]):
            # Sent in the other calendar and shown again: convert, so the drop-downs stay honest.
            try:
                date = to_date(*(int(to_ascii_digits(str(v))) for v in value[:3]), calendar)
                calendar = page_calendar()
                value = [*_to_parts(date, calendar), calendar]
            except (TypeError, ValueError, OverflowError):
                pass
        attrs = {**self.attrs, **(attrs or {})}
        base_id = attrs.pop("id", None) or f"id_{name}"
        required = attrs.pop("required", False)
        days, months, years = self._choices(calendar)
        labels = (_("Day"), _("Month"), _("Year"))
        parts = []
        for index, (choices, label) in enumerate(zip((days, months, years), labels, strict=True)):
            selected = "" if value[index] in (None, "") else to_ascii_digits(str(value[index]))
            options = format_html_join(
                "", '<option value="{}"{}>{}</option>',
                ((v, mark_safe(" selected") if v == selected else "", text) for v, text in choices))
            blank = format_html('<option value=""{}>{}</option>', mark_safe(" selected") if not selected else "",
                                "—")
            part_id = f"{base_id}_{index}"
            parts.append(format_html(
                '<span class="date-part"><label for="{}">{}</label>'
                '<select name="{}_{}" id="{}"{}{}>{}{}</select></span>',
                part_id, label, name, index, part_id,
                mark_safe(" required") if required else "",
                mark_safe(' aria-invalid="true"') if attrs.get("aria-invalid") else "",
                blank, options))
        hidden = format_html('<input type="hidden" name="{}_3" value="{}">', name, calendar)
        return format_html('<div class="date-picker" id="{}" data-calendar="{}">{}{}</div>',
                           base_id, calendar, mark_safe("".join(parts)), hidden)

    def id_for_label(self, id_):
        return f"{id_}_0" if id_ else id_


class JalaliDateField(forms.MultiValueField):
    """A date picked as day / month / year in the page's calendar; cleans to `datetime.date`
    (None when left empty and not required). A Jalali day the month lacks (e.g. Esfand 30 in a
    common year) or a Gregorian 31 April is refused with a field error."""

    widget = JalaliDateWidget
    default_error_messages = {
        "invalid": _("Enter a valid date."),
        "incomplete": _("Choose the day, the month and the year."),
        "range": _("Choose a date from %(low)s to %(high)s."),
    }

    def __init__(self, *, min_year: int = 1920, max_year: int | None = None, min_date: dt.date | None = None,
                 max_date: dt.date | None = None, **kwargs):
        self.min_date = min_date or dt.date(min_year, 1, 1)
        self.max_date = max_date
        fields = (forms.CharField(), forms.CharField(), forms.CharField(), forms.CharField())
        kwargs.setdefault("widget", JalaliDateWidget(min_year=min_year, max_year=max_year))
        super().__init__(fields, require_all_fields=False, **kwargs)

    def clean(self, value):
        if not isinstance(value, list | tuple):
            value = self.widget.decompress(value)
        value = [to_ascii_digits(str(v)).strip() if v not in (None, "") else "" for v in list(value) + [""] * 4][:4]
        day, month, year, calendar = value
        if not (day or month or year):
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return None
        if not (day and month and year):
            raise forms.ValidationError(self.error_messages["incomplete"], code="incomplete")
        calendar = calendar if calendar in (JALALI, GREGORIAN) else page_calendar()
        try:
            date = to_date(int(day), int(month), int(year), calendar)
        except (TypeError, ValueError, OverflowError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        high = self.max_date or dt.date.today()
        if not self.min_date <= date <= high:
            from vafa.web.templatetags.vafa import jdate

            raise forms.ValidationError(self.error_messages["range"], code="range",
                                        params={"low": jdate(self.min_date), "high": jdate(high)})
        return date

    def compress(self, data_list):  # clean() above does the whole job
        return None


_TYPED_DATE = re.compile(r"(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})")


class TypedDateField(forms.DateField):
    """A date typed as Jalali ("1405/01/31", Persian digits too) or Gregorian ("2026-04-20");
    a year before 1700 is read as Jalali."""

    widget = forms.TextInput(attrs={"class": "ltr", "autocomplete": "off", "size": 12})
    default_error_messages = {"invalid": _("Enter a date such as 1405/01/31 (Jalali) or 2026-04-20.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.date):
            return value
        match = _TYPED_DATE.fullmatch(to_ascii_digits(str(value)).strip())
        if match is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        year, month, day = (int(part) for part in match.groups())
        try:
            if year < 1700:
                return parse_jalali_date(f"{year}/{month}/{day}")
            return dt.date(year, month, day)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
