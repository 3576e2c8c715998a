"""The rule dry run in the admin: pick rules (or paste draft JSON) and a period, see what they
would have issued beside the live rules. A staff page over `rules_simulate`; writes nothing."""

import json
from datetime import date, timedelta

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vafa.core.digits import to_ascii_digits
from vafa.core.errors import ApplicationError
from vafa.core.jalali import TEHRAN, format_jalali_date, parse_jalali_date
from vafa.usecases.rule_dry_run import rules_simulate


def _day(text: str) -> date:
    """A Jalali date (1405/09/04, Persian digits too) or a Gregorian one (2026-11-25): a year
    before 1700 is a Jalali year."""
    text = to_ascii_digits(text or "").strip()
    try:
        if text[:4].isdigit() and int(text[:4]) < 1700:
            return parse_jalali_date(text)
        return date.fromisoformat(text)
    except ValueError:
        raise forms.ValidationError(_("A date like 1405/09/04 or 2026-11-25.")) from None


class DayField(forms.CharField):
    def to_python(self, value):
        return _day(super().to_python(value))


class DryRunForm(forms.Form):
    rule_ids = forms.CharField(label=_("rule ids"), required=False,
                               help_text=_("comma-separated ids of existing rules (any status)"))
    drafts = forms.CharField(label=_("draft rules (JSON)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 8, "dir": "ltr", "cols": 80}),
                             help_text=_("one rule object or a list of them, in the shape of the rules API"))
    date_from = DayField(label=_("from"), help_text=_("a Jalali date like 1405/08/01, or 2026-10-23"))
    date_to = DayField(label=_("to (included)"))

    def clean(self):
        data = super().clean()
        specs: list = []
        for part in (data.get("rule_ids") or "").replace("،", ",").split(","):
            if part.strip():
                specs.append(part.strip())
        if data.get("drafts"):
            try:
                loaded = json.loads(data["drafts"])
            except ValueError:
                self.add_error("drafts", _("This is not valid JSON."))
                return data
            specs += loaded if isinstance(loaded, list) else [loaded]
        if not specs:
            raise forms.ValidationError(_("Give at least one rule id or draft rule."))
        data["specs"] = specs
        return data


@staff_member_required
def rules_dry_run(request):
    if not request.user.has_perm("program.view_rule"):
        raise PermissionDenied
    today = timezone.now().astimezone(TEHRAN).date()
    persian = (request.LANGUAGE_CODE or "fa").startswith("fa")

    def shown(d: date) -> str:
        return format_jalali_date(d, persian_digits=False) if persian else d.isoformat()

    initial = {"rule_ids": request.GET.get("ids", ""), "date_from": shown(today - timedelta(days=30)),
               "date_to": shown(today)}
    form = DryRunForm(request.POST or None, initial=initial)
    result, error = None, None
    if request.method == "POST" and form.is_valid():
        try:
            result = rules_simulate(rules=form.cleaned_data["specs"], date_from=form.cleaned_data["date_from"],
                                    date_to=form.cleaned_data["date_to"])
        except ApplicationError as exc:
            error = f"{exc.message} {'; '.join(f'{k}: {v}' for k, v in exc.details.items())}"
    context = {**admin.site.each_context(request), "title": _("Rule dry run"), "form": form, "result": result,
               "error": error}
    return render(request, "admin/program/rules_dry_run.html", context)
