"""Forms of the back-office's member pages (and the Jalali date field the audit page shares)."""

from __future__ import annotations

import re
import uuid
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from vafa.core.digits import to_ascii_digits
from vafa.core.jalali import parse_jalali_date
from vafa.ledger.services import MAX_POINTS
from vafa.members.models import Member

_DATE = re.compile(r"(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})")


class JalaliDateField(forms.DateField):
    """A date typed as Jalali ("1405/01/31", Persian digits too) or Gregorian ("2026-04-20");
    a year before 1700 is read as Jalali."""

    widget = forms.TextInput(attrs={"class": "ltr", "autocomplete": "off", "size": 12})
    default_error_messages = {"invalid": _("Enter a date such as 1405/01/31 (Jalali) or 2026-04-20.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        match = _DATE.fullmatch(to_ascii_digits(str(value)).strip())
        if match is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        year, month, day = (int(part) for part in match.groups())
        try:
            if year < 1700:
                return parse_jalali_date(f"{year}/{month}/{day}")
            return date(year, month, day)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


def _any(label):
    return [("", label)]


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Phone, name or national code"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                              "aria-describedby": "q-hint"}))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=_any(_("any status")) + list(Member.Status.choices))
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=_any(_("any kind")) + list(Member.Kind.choices))
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    joined_from = JalaliDateField(label=_("Joined from"), required=False)
    joined_to = JalaliDateField(label=_("Joined until"), required=False)
    pending = forms.BooleanField(label=_("Application pending"), required=False)

    def __init__(self, *args, tiers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = (_any(_("any tier")) + [("none", _("no tier"))]
                                       + [(t.code, t.name) for t in tiers])

    def filters(self) -> dict:
        """The search's arguments from what was valid (an invalid filter is left out)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {"text": data.get("q") or "", "status": data.get("status") or "", "kind": data.get("kind") or "",
                "tier": data.get("tier") or "", "joined_from": data.get("joined_from"),
                "joined_to": data.get("joined_to"), "pending_application": bool(data.get("pending"))}

    @property
    def used(self) -> bool:
        return any(v not in ("", None, False) for v in self.filters().values())


class AdjustForm(forms.Form):
    ADD, DEDUCT = "add", "deduct"
    direction = forms.ChoiceField(label=_("Add or deduct"), initial=ADD, widget=forms.RadioSelect,
                                  choices=[(ADD, _("Add points")), (DEDUCT, _("Deduct points"))])
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=MAX_POINTS,
                                widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "ltr",
                                                              "autocomplete": "off"}))
    reason = forms.CharField(label=_("Reason"), max_length=255, strip=True,
                             help_text=_("Required; it is kept with the points in the member's history."))
    # One per form shown: a second submit of the same form is recognised and not applied twice.
    token = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("token", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)

    def signed_points(self) -> int:
        points = self.cleaned_data["points"]
        return -points if self.cleaned_data["direction"] == self.DEDUCT else points


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejecting"), max_length=255, required=False, strip=True)
