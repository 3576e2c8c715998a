"""Back-office: the audit log (owners and managers), newest first, with filters.

Every entry shows who, when (Tehran time, Jalali in Persian), what, the object (a link to the
member's page when it is a member) and the changed fields before and after. Changes made in
the Django admin appear here too (actions admin.add / admin.change / admin.delete).
"""

from __future__ import annotations

import json

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vafa.core.audit_search import audit_choices, audit_search
from vafa.web.access import MANAGERS, staff_required
from vafa.web.widgets import TypedDateField

PAGE_SIZE = 50
ALWAYS_TYPES = ("members.member", "auth.user")  # linked to from other pages before any entry exists
MAX_VALUE = 300
FAMILIES = [
    ("member.", gettext_lazy("All member changes")),
    ("application.", gettext_lazy("All application decisions")),
    ("staff.", gettext_lazy("All staff account changes")),
    ("admin.", gettext_lazy("All changes in the admin")),
    ("shipment.", gettext_lazy("All shipment steps")),
]


class AuditFilterForm(forms.Form):
    actor = forms.ChoiceField(label=gettext_lazy("Staff member"), required=False)
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    target_type = forms.ChoiceField(label=gettext_lazy("Object type"), required=False)
    target_id = forms.CharField(label=gettext_lazy("Object id"), required=False, max_length=64,
                                widget=forms.TextInput(attrs={"class": "ltr", "autocomplete": "off"}))
    since = TypedDateField(label=gettext_lazy("From"), required=False)
    until = TypedDateField(label=gettext_lazy("Until"), required=False)

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        everyone = [("", gettext_lazy("anyone"))]
        self.fields["actor"].choices = everyone + [(a, a) for a in choices["actors"]]
        self.fields["action"].choices = ([("", gettext_lazy("any action"))] + FAMILIES
                                         + [(a, a) for a in choices["actions"]])
        types = sorted({*ALWAYS_TYPES, *choices["target_types"]})
        self.fields["target_type"].choices = [("", gettext_lazy("any object"))] + [(t, t) for t in types]

    def filters(self) -> dict:
        data = getattr(self, "cleaned_data", {})
        return {"actor": data.get("actor") or "", "action": data.get("action") or "",
                "target_type": data.get("target_type") or "", "target_id": data.get("target_id") or "",
                "since": data.get("since"), "until": data.get("until")}


def _show(value) -> str:
    if value is None:
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE else f"{text[:MAX_VALUE]}…"


def diff_rows(before: dict | None, after: dict | None) -> list[dict]:
    """The entry's fields, each with its value before and after (None when that side is absent:
    an object added has no before, one deleted has no after)."""
    keys = list(before or {}) + [k for k in (after or {}) if k not in (before or {})]
    rows = []
    for key in keys:
        old = _show((before or {}).get(key)) if before is not None else None
        new = _show((after or {}).get(key)) if after is not None else None
        rows.append({"field": key, "before": old, "after": new,
                     "changed": before is not None and after is not None and old != new})
    return rows


def _target_url(entry) -> str | None:
    if entry.target_type == "members.member" and entry.target_id.isdigit():
        return reverse("manage:member", args=[entry.target_id])
    if entry.target_type == "rewards.shipment" and entry.target_id.isdigit():
        return reverse("manage:shipment", args=[entry.target_id])
    return None


@staff_required(*MANAGERS)
def index(request):
    form = AuditFilterForm(request.GET or None, choices=audit_choices())
    filters = {}
    if form.is_bound:
        form.is_valid()
        filters = form.filters()
    page = Paginator(audit_search(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.rows = diff_rows(entry.before, entry.after)
        entry.target_url = _target_url(entry)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/manage/audit_list.html",
                  {"nav": "audit", "form": form, "page": page, "query": query.urlencode()})


urlpatterns = [path("audit/", index, name="audit")]
