"""Forms of the back-office's member pages."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from vafa.ledger.services import MAX_POINTS
from vafa.members.models import Member
from vafa.web.widgets import TypedDateField


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
    joined_from = TypedDateField(label=_("Joined from"), required=False)
    joined_to = TypedDateField(label=_("Joined until"), required=False)
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
