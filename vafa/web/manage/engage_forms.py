"""Forms of the back-office's engagement pages: the segment builder, composing a campaign,
automations, the message search and a member's staff tags.

The forms read what people type (Persian or Latin digits, amounts in Toman, Jalali dates) and
hand the services the plain values they take; the services' typed inputs (vafa.engage.inputs)
still check everything, and what they refuse is shown on the field it is about
(`add_service_errors`)."""

from __future__ import annotations

import re
from datetime import datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from vafa.core.digits import to_ascii_digits, to_persian_digits
from vafa.core.jalali import TEHRAN, format_jalali_date
from vafa.core.limits import MAX_DAYS, MAX_POINTS
from vafa.engage.inputs import MAX_WINDOW_DAYS, TEXT_MAX
from vafa.engage.models import Automation, Channel, Message
from vafa.members.models import Consent, Member
from vafa.web.manage.pos_forms import MAX_TOMAN, PhoneField, parse_whole
from vafa.web.widgets import TypedDateField

_LIST_SPLIT = re.compile(r"[,\u060c\n]+")
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3])[:.٫]([0-5][0-9])")


def _persian() -> bool:
    return (get_language() or "fa").split("-")[0] == "fa"


def _number_input(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "class": "ltr", **attrs})


class WholeField(forms.CharField):
    """A whole number from `low` to `high`, typed with any digits and thousands separators;
    None when left empty."""

    def __init__(self, low: int, high: int, **kwargs):
        self.low, self.high = low, high
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", _number_input())
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        number = parse_whole(value) if len(value) <= 30 else None
        if number is None or not self.low <= number <= self.high:
            low, high = str(self.low), f"{self.high:,}"
            if _persian():
                low, high = to_persian_digits(low), to_persian_digits(high.replace(",", "٬"))
            raise ValidationError(_("Type a whole number from %(low)s to %(high)s."), code="invalid",
                                  params={"low": low, "high": high})
        return number


class TomanAmountField(WholeField):
    """An amount typed in Toman; cleans to Rials (x10)."""

    def __init__(self, **kwargs):
        super().__init__(0, MAX_TOMAN, **kwargs)

    def to_python(self, value):
        toman = super().to_python(value)
        return None if toman is None else toman * 10


class ListField(forms.CharField):
    """Short texts separated by commas (Latin or Persian) or new lines: SKUs, categories, tags."""

    widget = forms.TextInput(attrs={"autocomplete": "off"})

    def __init__(self, *, item_length: int = 64, max_items: int = 200, **kwargs):
        self.item_length, self.max_items = item_length, max_items
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 4000)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        items = list(dict.fromkeys(part.strip() for part in _LIST_SPLIT.split(value or "") if part.strip()))
        if len(items) > self.max_items or any(len(item) > self.item_length for item in items):
            raise ValidationError(_("At most %(count)s items of at most %(length)s characters each."),
                                  code="invalid", params={"count": self.max_items, "length": self.item_length})
        return items

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value


def _checkboxes(label, choices=(), **kwargs) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=label, choices=choices, required=False,
                                     widget=forms.CheckboxSelectMultiple, **kwargs)


def _known(choices: list[tuple[str, str]], wanted) -> list[tuple[str, str]]:
    """The choices, plus what a stored segment names that is not (any more) among them, so
    editing it does not quietly drop a condition."""
    known = {value for value, _label in choices}
    return choices + [(value, value) for value in (wanted or []) if value not in known]


def moment_text(moment: datetime | None) -> tuple[str, str]:
    """A moment as the send date and time fields show it: Jalali (fa) or ISO (en), Tehran time."""
    if moment is None:
        return "", ""
    local = moment.astimezone(TEHRAN)
    day = format_jalali_date(local, persian_digits=False) if _persian() else local.date().isoformat()
    return day, local.strftime("%H:%M")


class SendAtMixin:
    """A send time as two fields, a date (Jalali or Gregorian) and a clock time (Tehran), both
    or neither; it must be ahead."""

    def _send_at_fields(self):
        self.fields["send_date"] = TypedDateField(label=_("Send on"), required=False,
                                                  help_text=_("Jalali such as 1405/01/31, or 2026-04-20."))
        self.fields["send_time"] = forms.CharField(
            label=_("At (Tehran time)"), required=False, max_length=10,
            help_text=_("Hours and minutes, such as 10:30."),
            widget=forms.TextInput(attrs={"class": "ltr", "autocomplete": "off", "inputmode": "numeric",
                                          "size": 6}))

    def clean_send_time(self):
        raw = to_ascii_digits(self.cleaned_data.get("send_time") or "").strip()
        if not raw:
            return None
        match = _CLOCK.fullmatch(raw)
        if match is None:
            raise ValidationError(_("Type the time as hours and minutes, such as 10:30."), code="invalid")
        return time(int(match.group(1)), int(match.group(2)))

    def send_at(self) -> datetime | None:
        return self.cleaned_data.get("send_at")

    def _clean_send_at(self, data: dict) -> None:
        day, clock = data.get("send_date"), data.get("send_time")
        data["send_at"] = None
        if "send_date" in self.errors or "send_time" in self.errors:
            return
        if day is None and clock is None:
            return
        if day is None:
            self.add_error("send_date", _("Choose the day too."))
            return
        if clock is None:
            self.add_error("send_time", _("Choose the time too."))
            return
        moment = datetime.combine(day, clock, tzinfo=TEHRAN)
        if moment <= timezone.now():
            self.add_error("send_date", _("Choose a time that is still ahead."))
            return
        data["send_at"] = moment


def describe_fields(form: forms.Form) -> None:
    """Each input names its hint and its error slot (`hint-<name>`, `errors-<name>`, which the
    pages' field template writes), so a screen reader reads them with the field; the error slot
    is there even when empty, for the live segment count to fill."""
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.HiddenInput):
            continue
        ids = ([f"hint-{name}"] if field.help_text else []) + [f"errors-{name}"]
        field.widget.attrs.setdefault("aria-describedby", " ".join(ids))


class Described(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        describe_fields(self)


def add_service_errors(form: forms.Form, error, *, fields: dict[str, str] | None = None) -> None:
    """A service's refusal on the fields it names (`details` paths such as
    `conditions.purchases_min` or `trigger.days`; `fields` maps a path's name to the form's
    field), the rest on the form as a whole."""
    fields = fields or {}
    placed = False
    for path, why in (getattr(error, "details", None) or {}).items():
        parts = str(path).split(".")
        if parts[0] in ("conditions", "trigger") and len(parts) > 1:
            parts = parts[1:]
        if parts[0] in ("rfm", "clv") and len(parts) > 1:
            name = f"rfm_{parts[1]}" if parts[0] == "rfm" else fields.get(parts[1], parts[1])
        else:
            name = fields.get(parts[0], parts[0])
        if name in form.fields:
            form.add_error(name, ValidationError(f"{error.message} ({why})", code=getattr(error, "code", "invalid")))
            placed = True
    if not placed:
        form.add_error(None, ValidationError(error.message, code=getattr(error, "code", "invalid")))


# --- segments -------------------------------------------------------------------------------------------

QUINTILE_CHOICES = [(str(n), str(n)) for n in range(5, 0, -1)]
SEGMENT_FIELDS = {"spend_min_rial": "spend_min", "spend_max_rial": "spend_max", "p_alive_max": "p_alive_max",
                  "clv_min_rial": "clv_min"}
# Conditions the builder does not offer (kept as they are when a segment is edited).
KEPT_CONDITIONS = ("any", "members")


class SegmentForm(Described):
    name = forms.CharField(label=_("Name"), max_length=100)
    kinds = _checkboxes(_("Kind of member"), Member.Kind.choices)
    tiers = _checkboxes(_("Tier"))
    tags = _checkboxes(_("Staff tags"))
    interests = _checkboxes(_("Interests"))
    consent = forms.ChoiceField(label=_("Agreed to marketing by"), required=False,
                                choices=[("", _("no condition")), *Consent.Channel.choices])
    joined_within_days = WholeField(1, MAX_WINDOW_DAYS, label=_("Joined in the last … days"))
    purchased_within_days = WholeField(1, MAX_WINDOW_DAYS, label=_("Bought in the last … days"))
    not_purchased_within_days = WholeField(1, MAX_WINDOW_DAYS, label=_("Did not buy in the last … days"))
    window_days = WholeField(1, MAX_WINDOW_DAYS, label=_("Over the last … days"), help_text=_(
        "The window of the purchase counts, spend, products, categories and RFM scores below (365 if empty)."))
    purchases_min = WholeField(0, 10**9, label=_("At least … purchases"))
    purchases_max = WholeField(0, 10**9, label=_("At most … purchases"))
    spend_min = TomanAmountField(label=_("Spent at least (Toman)"))
    spend_max = TomanAmountField(label=_("Spent at most (Toman)"))
    points_min = WholeField(0, MAX_POINTS, label=_("Holds at least … points"))
    birthday_within_days = WholeField(0, 366, label=_("Birthday within … days"),
                                      help_text=_("0 is today; the Jalali birthday."))
    skus = ListField(label=_("Bought one of these products (SKUs)"), help_text=_("Separated by commas."),
                     widget=forms.TextInput(attrs={"autocomplete": "off", "class": "ltr"}))
    categories = ListField(label=_("Bought in one of these categories"), help_text=_("Separated by commas."))
    rfm_r = _checkboxes(_("Recency score"), QUINTILE_CHOICES)
    rfm_f = _checkboxes(_("Frequency score"), QUINTILE_CHOICES)
    rfm_m = _checkboxes(_("Money score"), QUINTILE_CHOICES)
    p_alive_max = WholeField(0, 100, label=_("Chance still active at most (%)"), help_text=_(
        "From the nightly lifetime-value scores: members slipping away have a low chance."))
    clv_min = TomanAmountField(label=_("Lifetime value at least (Toman)"), help_text=_(
        "The expected spend of the next 12 months, from the nightly scores."))

    TEXT_LISTS = ("kinds", "tiers", "tags", "interests", "skus", "categories")
    NUMBERS = ("joined_within_days", "purchased_within_days", "not_purchased_within_days", "purchases_min",
               "purchases_max", "points_min", "birthday_within_days")

    def __init__(self, *args, tiers=(), tags=(), interests=(), **kwargs):
        super().__init__(*args, **kwargs)
        wanted = dict(self.initial)
        if self.is_bound:
            wanted = {name: self.data.getlist(name) for name in ("tiers", "tags", "interests")}
        self.fields["tiers"].choices = _known([(t.code, t.name) for t in tiers], wanted.get("tiers"))
        self.fields["tags"].choices = _known([(t.code, t.name) for t in tags], wanted.get("tags"))
        self.fields["interests"].choices = _known([(i.slug, i.name) for i in interests], wanted.get("interests"))
        for letter in "rfm":  # the scores in the page's digits
            self.fields[f"rfm_{letter}"].choices = [
                (value, to_persian_digits(value) if _persian() else value) for value, _label in QUINTILE_CHOICES]

    @classmethod
    def initial_of(cls, name: str, conditions: dict) -> dict:
        """The form's initial values from stored conditions."""
        c = conditions or {}
        initial = {"name": name, **{k: c[k] for k in cls.TEXT_LISTS + cls.NUMBERS if k in c}}
        if c.get("consent"):
            initial["consent"] = c["consent"]
        if "window_days" in c:
            initial["window_days"] = c["window_days"]
        for key, field in (("spend_min_rial", "spend_min"), ("spend_max_rial", "spend_max")):
            if c.get(key) is not None:
                initial[field] = c[key] // 10
        for letter in "rfm":
            scores = (c.get("rfm") or {}).get(letter)
            if scores:
                initial[f"rfm_{letter}"] = [str(s) for s in scores]
        clv = c.get("clv") or {}
        if clv.get("p_alive_max") is not None:
            initial["p_alive_max"] = round(clv["p_alive_max"] * 100)
        if clv.get("clv_min_rial") is not None:
            initial["clv_min"] = clv["clv_min_rial"] // 10
        if clv:
            initial["_clv"] = clv  # the exact bounds, kept when the rounded fields come back unchanged
        return initial

    def clean(self):
        data = super().clean()
        for low, high in (("purchases_min", "purchases_max"), ("spend_min", "spend_max")):
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(low, _("More than the most below."))
        return data

    def conditions(self) -> dict:
        """The conditions from what was valid (an invalid field is left out)."""
        data = getattr(self, "cleaned_data", {})
        found: dict = {}
        for name in self.TEXT_LISTS:
            if data.get(name):
                found[name] = list(data[name])
        if data.get("consent"):
            found["consent"] = data["consent"]
        for name in self.NUMBERS:
            if data.get(name) is not None:
                found[name] = data[name]
        if data.get("window_days") is not None:
            found["window_days"] = data["window_days"]
        for field, key in (("spend_min", "spend_min_rial"), ("spend_max", "spend_max_rial")):
            if data.get(field) is not None:
                found[key] = data[field]
        rfm = {letter: sorted(int(s) for s in data.get(f"rfm_{letter}") or []) for letter in "rfm"}
        if any(rfm.values()):
            found["rfm"] = {k: v for k, v in rfm.items() if v}
        clv, exact = {}, self.initial.get("_clv") or {}
        if data.get("p_alive_max") is not None:
            kept = exact.get("p_alive_max")
            clv["p_alive_max"] = (kept if kept is not None and round(kept * 100) == data["p_alive_max"]
                                  else data["p_alive_max"] / 100)
        if data.get("clv_min") is not None:
            kept = exact.get("clv_min_rial")
            clv["clv_min_rial"] = kept if kept is not None and kept // 10 * 10 == data["clv_min"] else data["clv_min"]
        if clv:
            found["clv"] = clv
        return found


# --- campaigns ------------------------------------------------------------------------------------------


def _text_area(**attrs) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": 5, "maxlength": TEXT_MAX, **attrs})


class CampaignForm(SendAtMixin, Described):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("For you; members do not see it."))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.SMS,
                                widget=forms.RadioSelect)
    segment = forms.TypedChoiceField(label=_("To the segment"), coerce=int)
    subject = forms.CharField(label=_("Subject (e-mail)"), max_length=200, required=False)
    text = forms.CharField(label=_("Text"), max_length=TEXT_MAX, widget=_text_area(), strip=True)
    holdout_percent = WholeField(0, 50, label=_("Hold out (%)"), initial=0, help_text=_(
        "This share of the segment gets nothing: the lift report compares what they buy with the others."))
    reward = forms.TypedChoiceField(label=_("A coupon for each recipient"), coerce=int, required=False,
                                    empty_value=None, help_text=_("Its code fills {coupon} in the text."))
    lift_days = WholeField(1, 365, label=_("Measure the lift over … days"), initial=30)
    survey = forms.TypedChoiceField(label=_("A survey to link"), coerce=int, required=False, empty_value=None,
                                    help_text=_("Its address fills {survey_link} in the text."))

    def __init__(self, *args, segments=(), rewards=(), surveys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "—")] + [(s.pk, s.name) for s in segments]
        self.fields["reward"].choices = [("", _("no coupon"))] + [(r.pk, r.name) for r in rewards]
        self.fields["survey"].choices = [("", _("no survey"))] + [(s.pk, s.name) for s in surveys]
        self._send_at_fields()
        describe_fields(self)

    def clean(self):
        data = super().clean()
        if data.get("channel") == Channel.EMAIL and not (data.get("subject") or "").strip():
            self.add_error("subject", _("An e-mail needs a subject."))
        self._clean_send_at(data)
        return data

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "channel": data["channel"], "segment_id": data["segment"],
                "text": data["text"], "subject": data.get("subject") or "", "send_at": data.get("send_at"),
                "holdout_percent": data.get("holdout_percent") or 0, "reward_id": data.get("reward"),
                "lift_days": data.get("lift_days") or 30, "survey_id": data.get("survey")}


class DraftForm(Described):
    """What the live counter reads from the compose form (each part optional and forgiving)."""

    channel = forms.ChoiceField(choices=Channel.choices, required=False)
    segment = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    subject = forms.CharField(max_length=200, required=False)
    text = forms.CharField(max_length=TEXT_MAX, required=False, strip=True)
    holdout_percent = WholeField(0, 50)
    reward = forms.CharField(required=False, max_length=20)

    def __init__(self, *args, segments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "—")] + [(s.pk, s.name) for s in segments]


class CampaignEditForm(SendAtMixin, Described):
    name = forms.CharField(label=_("Name"), max_length=100)
    subject = forms.CharField(label=_("Subject (e-mail)"), max_length=200, required=False)
    text = forms.CharField(label=_("Text"), max_length=TEXT_MAX, widget=_text_area(), strip=True)
    holdout_percent = WholeField(0, 50, label=_("Hold out (%)"))

    def __init__(self, *args, channel: str = Channel.SMS, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel = channel
        self._send_at_fields()
        describe_fields(self)

    def clean(self):
        data = super().clean()
        if self.channel == Channel.EMAIL and not (data.get("subject") or "").strip():
            self.add_error("subject", _("An e-mail needs a subject."))
        self._clean_send_at(data)
        return data

    def service_data(self) -> dict:
        data = self.cleaned_data
        changes = {"name": data["name"], "text": data["text"], "subject": data.get("subject") or ""}
        if data.get("holdout_percent") is not None:
            changes["holdout_percent"] = data["holdout_percent"]
        if data.get("send_at") is not None:
            changes["send_at"] = data["send_at"]
        return changes


class ScheduleForm(SendAtMixin, Described):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._send_at_fields()
        describe_fields(self)

    def clean(self):
        data = super().clean()
        self._clean_send_at(data)
        return data


class PreviewForm(Described):
    phone = PhoneField(label=_("Preview for the member with the mobile number"), required=False,
                       widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}))


# --- automations ----------------------------------------------------------------------------------------

OCCASIONS = [("wedding", _("wedding anniversary")), ("membership_anniversary", _("membership anniversary")),
             ("other", _("another occasion"))]
DIRECTIONS = [("up", _("up")), ("down", _("down"))]
# Which trigger takes which of the trigger's fields.
TRIGGER_FIELDS = {
    "occasion": ("occasion",), "points_expiring": ("days_before",), "tier_changed": ("direction",),
    "inactive": ("days",), "joined": ("delay_days",), "after_purchase": ("days", "skus", "categories"),
}
TRIGGER_PARTS = ("occasion", "days_before", "direction", "days", "delay_days", "skus", "categories")
AUTOMATION_FIELDS = {name: f"trigger_{name}" for name in TRIGGER_PARTS}


def triggers_of(part: str) -> str:
    """The triggers a part of the trigger belongs to, space separated (for the page's script)."""
    return " ".join(kind for kind, parts in TRIGGER_FIELDS.items() if part in parts)


class AutomationForm(Described):
    name = forms.CharField(label=_("Name"), max_length=100)
    trigger_type = forms.ChoiceField(label=_("When"), choices=Automation.Trigger.choices)
    trigger_occasion = forms.ChoiceField(label=_("Occasion"), choices=OCCASIONS, required=False)
    trigger_days_before = WholeField(0, 365, label=_("Days before the points expire"))
    trigger_direction = forms.ChoiceField(label=_("Tier changed"), choices=DIRECTIONS, required=False)
    trigger_days = WholeField(1, MAX_DAYS, label=_("Days"), help_text=_(
        "Inactive: days since the last purchase. After a purchase: days after it."))
    trigger_delay_days = WholeField(0, 365, label=_("Days after joining"), help_text=_("Empty or 0: at once."))
    trigger_skus = ListField(label=_("Only after these products (SKUs)"), help_text=_("Separated by commas."),
                             widget=forms.TextInput(attrs={"autocomplete": "off", "class": "ltr"}))
    trigger_categories = ListField(label=_("Only after these categories"), help_text=_("Separated by commas."))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.SMS,
                                widget=forms.RadioSelect)
    subject = forms.CharField(label=_("Subject (e-mail)"), max_length=200, required=False)
    text = forms.CharField(label=_("Text"), max_length=TEXT_MAX, widget=_text_area(), strip=True)
    reward = forms.TypedChoiceField(label=_("Give a reward"), coerce=int, required=False, empty_value=None,
                                    help_text=_("Its code fills {coupon} in the text."))
    status = forms.ChoiceField(label=_("Status"), choices=Automation.Status.choices,
                               initial=Automation.Status.LIVE)

    survey = forms.TypedChoiceField(label=_("A survey to link"), coerce=int, required=False, empty_value=None,
                                    help_text=_("Its address fills {survey_link} in the text."))

    def __init__(self, *args, rewards=(), surveys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reward"].choices = [("", _("no reward"))] + [(r.pk, r.name) for r in rewards]
        self.fields["survey"].choices = [("", _("no survey"))] + [(s.pk, s.name) for s in surveys]

    def clean(self):
        data = super().clean()
        kind = data.get("trigger_type")
        for part in TRIGGER_FIELDS.get(kind, ()):
            name = f"trigger_{part}"
            needed = part in ("occasion", "days_before", "direction", "days")
            if needed and data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, _("Required for this trigger."))
        if data.get("channel") == Channel.EMAIL and not (data.get("subject") or "").strip():
            self.add_error("subject", _("An e-mail needs a subject."))
        return data

    def service_data(self) -> dict:
        data = self.cleaned_data
        kind = data["trigger_type"]
        trigger: dict = {"type": kind}
        for part in TRIGGER_FIELDS.get(kind, ()):  # the other parts' fields are left out
            value = data.get(f"trigger_{part}")
            if value not in (None, "", []):
                trigger[part] = value
        return {"name": data["name"], "status": data["status"], "trigger": trigger, "channel": data["channel"],
                "text": data["text"], "subject": data.get("subject") or "", "reward_id": data.get("reward"),
                "survey_id": data.get("survey")}


class AutomationEditForm(Described):
    name = forms.CharField(label=_("Name"), max_length=100)
    subject = forms.CharField(label=_("Subject (e-mail)"), max_length=200, required=False)
    text = forms.CharField(label=_("Text"), max_length=TEXT_MAX, widget=_text_area(), strip=True)

    def __init__(self, *args, channel: str = Channel.SMS, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel = channel

    def clean(self):
        data = super().clean()
        if self.channel == Channel.EMAIL and not (data.get("subject") or "").strip():
            self.add_error("subject", _("An e-mail needs a subject."))
        return data


class SwitchForm(Described):
    status = forms.ChoiceField(choices=Automation.Status.choices)


# --- messages and tags ----------------------------------------------------------------------------------


class MessageSearchForm(Described):
    phone = PhoneField(label=_("Member's mobile number"), required=False,
                       help_text=_("Any form: 0912…, +98912…, Persian digits."),
                       widget=forms.TextInput(attrs={"type": "search", "inputmode": "tel", "autocomplete": "off"}))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("any status")), *Message.Status.choices])


class TagForm(Described):
    names = ListField(label=_("Add tags"), required=True, max_items=20, help_text=_(
        "A name such as VIP or wholesale; several separated by commas."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "tag-suggestions"}))

