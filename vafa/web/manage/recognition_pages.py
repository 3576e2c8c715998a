"""Back-office: badges, challenges and contests (marketers, owners, managers; ENGAGERS).

Badges: the list with how many members hold each, a new badge, editing one. Challenges: the
list with how many members completed each, a new challenge, switching one on or off. Contests:
the list with their entries counted, a new contest, and a contest's entries (texts, and photos
through `entry_photo`, which checks who asks) with approve / reject / winner, and stopping
entries or closing the contest. Every change is its own POST address and is audited in the
transaction of the change (the services write the entry with the acting staff member).

Dates are picked as whole days in the page's calendar (Jalali in Persian): a window starts at
00:00 of its first day and ends at the end of its last day, Tehran time.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from vafa.core.audit import Actor
from vafa.core.errors import (
    ApplicationError,
    BadgeNotFound,
    ChallengeNotFound,
    ContestEntryNotFound,
    ContestNotFound,
)
from vafa.core.jalali import TEHRAN
from vafa.core.phone import mask_phone
from vafa.engage import selectors as engage
from vafa.engage import services as engaging
from vafa.engage.models import Badge, Challenge, Contest, ContestEntry
from vafa.program.models import Reward
from vafa.web.access import ENGAGERS, MANAGERS, staff_required
from vafa.web.photos import photo_response
from vafa.web.widgets import JalaliDateField

MAX_POINTS_FIELD = 2**31 - 1


# --- forms ------------------------------------------------------------------------------------------------


class BadgeForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=64, allow_unicode=True,
                           help_text=gettext_lazy("A short name for the badge in reports: letters, digits, - and _."),
                           widget=forms.TextInput(attrs={"class": "ltr", "autocomplete": "off"}))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=255, required=False)
    criterion = forms.ChoiceField(label=gettext_lazy("Awarded for"), choices=Badge.Criterion.choices)
    threshold = forms.IntegerField(label=gettext_lazy("How many"), min_value=1, max_value=MAX_POINTS_FIELD,
                                   help_text=gettext_lazy("Purchases, weeks in a row, friends or surveys."))
    category = forms.CharField(label=gettext_lazy("Category"), max_length=64, required=False,
                               help_text=gettext_lazy("Only for purchases in a category, e.g. tea."))
    points = forms.IntegerField(label=gettext_lazy("Points when awarded"), min_value=0, max_value=MAX_POINTS_FIELD,
                                initial=0)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]  # the code names the badge for good

    def clean(self):
        data = super().clean()
        criterion, category = data.get("criterion"), (data.get("category") or "").strip()
        if criterion == Badge.Criterion.CATEGORY and not category:
            self.add_error("category", _("Give the category whose purchases count."))
        elif criterion and criterion != Badge.Criterion.CATEGORY and category:
            self.add_error("category", _("A category is only for the criterion “purchases in a category”."))
        data["category"] = category
        return data


def _date_field(label):
    today = timezone.localdate()
    return JalaliDateField(label=label, min_year=today.year - 1, max_year=today.year + 3,
                           max_date=date(today.year + 3, 12, 31))


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TEHRAN)


class _WindowForm(forms.Form):
    def _window_fields(self) -> None:
        today = timezone.localdate()
        self.fields["starts_on"] = _date_field(gettext_lazy("First day"))
        self.fields["ends_on"] = _date_field(gettext_lazy("Last day"))
        self.fields["starts_on"].initial = today
        self.fields["ends_on"].initial = today + timedelta(days=29)

    def clean(self):
        data = super().clean()
        first, last = data.get("starts_on"), data.get("ends_on")
        if first and last and last < first:
            self.add_error("ends_on", _("The last day comes on or after the first."))
        return data

    def window(self) -> tuple[datetime, datetime]:
        """From 00:00 of the first day to the end of the last one, Tehran time."""
        return _start(self.cleaned_data["starts_on"]), _start(self.cleaned_data["ends_on"] + timedelta(days=1))


class ChallengeForm(_WindowForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=255, required=False)
    goal = forms.ChoiceField(label=gettext_lazy("Goal"), choices=[
        (Challenge.Goal.PURCHASES, gettext_lazy("a number of purchases")),
        (Challenge.Goal.SPEND, gettext_lazy("an amount spent (Toman)"))])
    target = forms.IntegerField(label=gettext_lazy("Target"), min_value=1, max_value=10**14,
                                help_text=gettext_lazy("Purchases, or Toman spent (net of refunds)."))
    category = forms.CharField(label=gettext_lazy("Category"), max_length=64, required=False,
                               help_text=gettext_lazy("Leave empty to count every purchase."))
    points = forms.IntegerField(label=gettext_lazy("Points on completion"), min_value=0,
                                max_value=MAX_POINTS_FIELD, initial=0)
    reward = forms.TypedChoiceField(label=gettext_lazy("Reward on completion"), coerce=int, required=False,
                                    empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._window_fields()
        self.fields["reward"].choices = [("", _("none")), *Reward.objects.order_by("name").values_list("pk", "name")]
        self.order_fields(["name", "description", "goal", "target", "category", "starts_on", "ends_on", "points",
                           "reward"])

    def clean(self):
        data = super().clean()
        if data.get("goal") == Challenge.Goal.PURCHASES and (data.get("target") or 0) > MAX_POINTS_FIELD:
            self.add_error("target", _("Too many purchases."))
        return data

    def data_for_service(self) -> dict:
        data = self.cleaned_data
        starts_at, ends_at = self.window()
        target = data["target"] * 10 if data["goal"] == Challenge.Goal.SPEND else data["target"]
        return {"name": data["name"], "description": data["description"], "goal": data["goal"], "target": target,
                "category": data["category"].strip(), "starts_at": starts_at, "ends_at": ends_at,
                "points": data["points"], "reward_id": data["reward"]}


class ContestForm(_WindowForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(label=gettext_lazy("What members are asked"), max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    entry_kind = forms.ChoiceField(label=gettext_lazy("Entries are"), choices=[
        (Contest.Entry.TEXT, gettext_lazy("a text")), (Contest.Entry.PHOTO, gettext_lazy("a photo"))])
    winner_points = forms.IntegerField(label=gettext_lazy("Points for each winner"), min_value=0,
                                       max_value=MAX_POINTS_FIELD, initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._window_fields()
        self.order_fields(["name", "description", "entry_kind", "starts_on", "ends_on", "winner_points"])

    def data_for_service(self) -> dict:
        data = self.cleaned_data
        starts_at, ends_at = self.window()
        return {"name": data["name"], "description": data["description"], "entry_kind": data["entry_kind"],
                "starts_at": starts_at, "ends_at": ends_at, "winner_points": data["winner_points"]}


def _refusal(form: forms.Form, error: ApplicationError) -> None:
    """A service's refusal on the field it names (when the form has it), else on the form."""
    named = [field for field in error.details if field in form.fields]
    form.add_error(named[0] if named else None, error.message)


# --- badges -----------------------------------------------------------------------------------------------


def _badges_page(request, *, form=None, status=200):
    return render(request, "web/manage/recognition/badges.html", {
        "nav": "recognition", "tab": "badges", "badges": engage.badge_list(), "form": form or BadgeForm(),
        "criteria": dict(Badge.Criterion.choices)}, status=status)


@staff_required(*ENGAGERS)
@require_http_methods(["GET", "POST"])
def badges(request):
    if request.method == "GET":
        return _badges_page(request)
    form = BadgeForm(request.POST)
    if not form.is_valid():
        return _badges_page(request, form=form, status=422)
    try:
        badge = engaging.badge_create(data=form.cleaned_data, actor=Actor.of(request))
    except ApplicationError as error:
        _refusal(form, error)
        return _badges_page(request, form=form, status=error.status)
    messages.success(request, _("The badge “%(name)s” is ready.") % {"name": badge.name})
    return redirect("manage:badges")


@staff_required(*ENGAGERS)
@require_http_methods(["GET", "POST"])
def badge_edit(request, badge_id):
    try:
        badge = engage.badge_get(badge_id=badge_id)
    except BadgeNotFound:
        raise Http404 from None
    form = BadgeForm(editing=True, initial={
        "name": badge.name, "description": badge.description, "criterion": badge.criterion,
        "threshold": badge.threshold, "category": badge.category, "points": badge.points, "active": badge.active})
    status = 200
    if request.method == "POST":
        form = BadgeForm(request.POST, editing=True)
        if form.is_valid():
            try:
                engaging.badge_update(badge_id=badge.pk, data=form.cleaned_data, actor=Actor.of(request))
            except ApplicationError as error:
                _refusal(form, error)
                status = error.status
            else:
                messages.success(request, _("The badge “%(name)s” is saved.") % {"name": form.cleaned_data["name"]})
                return redirect("manage:badges")
        else:
            status = 422
    holders = engage.badge_list().filter(pk=badge.pk).values_list("holders", flat=True).first() or 0
    return render(request, "web/manage/recognition/badge_edit.html", {
        "nav": "recognition", "tab": "badges", "badge": badge, "form": form, "holders": holders}, status=status)


# --- challenges -------------------------------------------------------------------------------------------


def _challenges_page(request, *, form=None, status=200):
    now = timezone.now()
    rows = list(engage.challenge_list())
    for challenge in rows:
        challenge.state = ("upcoming" if challenge.starts_at > now else
                           "running" if challenge.ends_at > now else "ended")
        challenge.last_day = (challenge.ends_at - timedelta(microseconds=1))
    return render(request, "web/manage/recognition/challenges.html", {
        "nav": "recognition", "tab": "challenges", "challenges": rows, "form": form or ChallengeForm()},
        status=status)


@staff_required(*ENGAGERS)
@require_http_methods(["GET", "POST"])
def challenges(request):
    if request.method == "GET":
        return _challenges_page(request)
    form = ChallengeForm(request.POST)
    if not form.is_valid():
        return _challenges_page(request, form=form, status=422)
    try:
        challenge = engaging.challenge_create(data=form.data_for_service(), actor=Actor.of(request))
    except ApplicationError as error:
        _refusal(form, error)
        return _challenges_page(request, form=form, status=error.status)
    messages.success(request, _("The challenge “%(name)s” is ready.") % {"name": challenge.name})
    return redirect("manage:challenges")


@staff_required(*ENGAGERS)
@require_POST
def challenge_active(request, challenge_id):
    try:
        challenge = engage.challenge_get(challenge_id=challenge_id)
    except ChallengeNotFound:
        raise Http404 from None
    on = request.POST.get("active") == "1"
    engaging.challenge_update(challenge_id=challenge.pk, data={"active": on}, actor=Actor.of(request))
    messages.success(request, (_("The challenge “%(name)s” is on.") if on else
                               _("The challenge “%(name)s” is off.")) % {"name": challenge.name})
    return redirect("manage:challenges")


# --- contests ---------------------------------------------------------------------------------------------


def _contests_page(request, *, form=None, status=200):
    rows = list(engage.contest_list())
    for contest in rows:
        contest.last_day = contest.ends_at - timedelta(microseconds=1)
    return render(request, "web/manage/recognition/contests.html", {
        "nav": "recognition", "tab": "contests", "contests": rows, "form": form or ContestForm()},
        status=status)


@staff_required(*ENGAGERS)
@require_http_methods(["GET", "POST"])
def contests(request):
    if request.method == "GET":
        return _contests_page(request)
    form = ContestForm(request.POST)
    if not form.is_valid():
        return _contests_page(request, form=form, status=422)
    try:
        contest = engaging.contest_create(data=form.data_for_service(), actor=Actor.of(request))
    except ApplicationError as error:
        _refusal(form, error)
        return _contests_page(request, form=form, status=error.status)
    messages.success(request, _("The contest “%(name)s” is ready.") % {"name": contest.name})
    return redirect("manage:contest", contest_id=contest.pk)


def _contest_or_404(contest_id) -> Contest:
    try:
        return engage.contest_get(contest_id=contest_id)
    except ContestNotFound:
        raise Http404 from None


def _contest_page(request, contest: Contest, *, status=200):
    shown = request.GET.get("status", "")
    shown = shown if shown in ContestEntry.Status.values else ""
    full = request.staff_role in MANAGERS
    entries = list(engage.contest_entries(contest_id=contest.pk, status=shown or None))
    for entry in entries:
        entry.shown_phone = entry.member.phone if full else mask_phone(entry.member.phone)
    now = timezone.now()
    return render(request, "web/manage/recognition/contest.html", {
        "nav": "recognition", "tab": "contests", "contest": contest, "entries": entries, "shown": shown,
        "statuses": ContestEntry.Status.choices, "taking_entries": engage.taking_entries(contest, now),
        "last_day": contest.ends_at - timedelta(microseconds=1), "decided": contest.status == Contest.Status.DECIDED,
    }, status=status)


@staff_required(*ENGAGERS)
def contest(request, contest_id):
    return _contest_page(request, _contest_or_404(contest_id))


@staff_required(*ENGAGERS)
@require_POST
def contest_status(request, contest_id):
    found = _contest_or_404(contest_id)
    status = request.POST.get("status", "")
    try:
        _contest, changed = engaging.contest_status_set(contest_id=found.pk, status=status, actor=Actor.of(request))
    except ApplicationError as error:
        messages.error(request, error.message)
        return _contest_page(request, found, status=error.status)
    if changed:
        messages.success(request, {Contest.Status.OPEN: _("The contest takes entries again."),
                                   Contest.Status.JUDGING: _("The contest no longer takes entries."),
                                   Contest.Status.DECIDED: _("The contest is closed.")}[status])
    return redirect("manage:contest", contest_id=found.pk)


DECISIONS = {"approve": ContestEntry.Status.APPROVED, "reject": ContestEntry.Status.REJECTED,
             "winner": ContestEntry.Status.WINNER}


@staff_required(*ENGAGERS)
@require_POST
def entry_decide(request, entry_id, decision):
    if decision not in DECISIONS:
        raise Http404
    try:
        entry = engage.contest_entry_get(entry_id=entry_id)
    except ContestEntryNotFound:
        raise Http404 from None
    try:
        entry, changed = engaging.contest_entry_decide(entry_id=entry.pk, decision=DECISIONS[decision],
                                                       actor=Actor.of(request))
    except ApplicationError as error:
        messages.error(request, error.message)
        return _contest_page(request, entry.contest, status=error.status)
    if changed:
        messages.success(request, {
            "approve": _("Entry #%(n)s is approved."), "reject": _("Entry #%(n)s is rejected."),
            "winner": _("Entry #%(n)s is a winner."),
        }[decision] % {"n": entry.pk})
    else:
        messages.info(request, _("Entry #%(n)s was already so.") % {"n": entry.pk})
    return redirect("manage:contest", contest_id=entry.contest_id)


@staff_required(*ENGAGERS)
def entry_photo(request, entry_id):
    try:
        entry, file = engage.contest_photo(entry_id=entry_id)
    except ContestEntryNotFound:
        raise Http404 from None
    return photo_response(entry, file)


urlpatterns = [
    path("recognition/badges/", badges, name="badges"),
    path("recognition/badges/<int:badge_id>/", badge_edit, name="badge"),
    path("recognition/challenges/", challenges, name="challenges"),
    path("recognition/challenges/<int:challenge_id>/active/", challenge_active, name="challenge-active"),
    path("recognition/contests/", contests, name="contests"),
    path("recognition/contests/<int:contest_id>/", contest, name="contest"),
    path("recognition/contests/<int:contest_id>/status/", contest_status, name="contest-status"),
    path("recognition/entries/<int:entry_id>/photo/", entry_photo, name="contest-photo"),
    path("recognition/entries/<int:entry_id>/<str:decision>/", entry_decide, name="contest-entry"),
]
