"""Back-office: surveys and their results, reviews (marketers, owners, managers; cashiers and a
partner's staff get 403).

    feedback/surveys/                            the surveys, each with its answers and NPS
    feedback/surveys/new/                        a survey: name, points, and question blocks (a
                                                 type, the question, a choice's options one a
                                                 line); "more blocks" adds three (up to 30)
    feedback/surveys/<id>/                       the results: NPS, the scores, the counts per
                                                 option as bars (Chart.js, drawn by
                                                 static/web/charts.js from json_script data) with
                                                 their figures beside them, the latest texts
    feedback/surveys/<id>/questions/<i>/texts/   every text answered to question i, paged
    feedback/surveys/<id>/close/, open/          POST
    feedback/reviews/                            reviews (by state and stars), hide / publish (POST)

Every change is a POST and writes one audit entry in the transaction of the change.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.forms import formset_factory
from django.forms.utils import ErrorDict, ErrorList
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vafa.core.audit import Actor
from vafa.core.digits import to_ascii_digits
from vafa.core.errors import ApplicationError, NotFound, ValidationFailed
from vafa.core.jalali import TEHRAN
from vafa.engage import selectors as engage
from vafa.engage import services as engaging
from vafa.engage.inputs import MAX_OPTIONS, MAX_QUESTIONS, MIN_OPTIONS, OPTION_MAX, QUESTION_MAX
from vafa.engage.models import Review, Survey
from vafa.web.access import ENGAGERS, staff_required
from vafa.web.portal.common import cursor_param
from vafa.web.templatetags.vafa import digits
from vafa.web.widgets import JalaliDateField

FIRST_BLOCKS, MORE_BLOCKS = 4, 3
TEXTS_SHOWN, TEXTS_PAGE, REVIEWS_PAGE = 5, 50, 50
# NPS bars: detractors (0-6), passives (7-8), promoters (9-10); AA against white for their legend.
DETRACTOR, PASSIVE, PROMOTER = "#a1241b", "#6b7684", "#17603a"
BAR = "#0b5c6b"

QUESTION_TYPES = (
    ("nps", gettext_lazy("NPS: 0 to 10, how likely to recommend")),
    ("rating", gettext_lazy("Rating: 1 to 5 stars")),
    ("choice", gettext_lazy("Choice: one of the options")),
    ("text", gettext_lazy("Text: in their own words")),
)


def _points_text(value: str) -> str:
    return to_ascii_digits(value or "").replace(",", "").replace("٬", "").strip()


class SurveyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    description = forms.CharField(label=gettext_lazy("Description (shown above the questions)"), required=False,
                                  max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    points = forms.CharField(label=gettext_lazy("Points for a complete answer"), initial="0", max_length=16,
                             widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "ltr"}),
                             help_text=gettext_lazy("Earned once per member, when every required question is "
                                                    "answered. Live “survey” rules add their own."))
    status = forms.ChoiceField(label=gettext_lazy("State"), initial="open", widget=forms.RadioSelect,
                               choices=(("open", gettext_lazy("Open now")),
                                        ("draft", gettext_lazy("Draft: open it later"))))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["closes_on"] = JalaliDateField(
            label=_("Open until (included)"), required=False, min_year=today.year, max_year=today.year + 3,
            help_text=_("Leave empty to keep it open until you close it."))

    def clean_points(self):
        raw = _points_text(self.cleaned_data.get("points", ""))
        if not raw.isdigit():
            raise forms.ValidationError(_("Enter a whole number of points, 0 or more."))
        return int(raw)

    def clean_closes_on(self):
        day = self.cleaned_data.get("closes_on")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later day."))
        return day


class QuestionForm(forms.Form):
    type = forms.ChoiceField(label=gettext_lazy("Kind"), choices=QUESTION_TYPES)
    text = forms.CharField(label=gettext_lazy("Question"), required=False, max_length=QUESTION_MAX)
    options = forms.CharField(label=gettext_lazy("Options, one a line (a choice only)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    required = forms.BooleanField(label=gettext_lazy("Needs an answer"), required=False, initial=True)

    def stored(self) -> dict:
        data = self.cleaned_data
        body = {"type": data["type"], "text": data["text"].strip(), "required": bool(data["required"])}
        if data["type"] == "choice":
            body["options"] = [line.strip() for line in data.get("options", "").splitlines() if line.strip()]
        return body


QuestionFormSet = formset_factory(QuestionForm, extra=0, max_num=MAX_QUESTIONS, absolute_max=MAX_QUESTIONS)


def _blocks(data, count: int) -> object:
    if data is None:
        return QuestionFormSet(prefix="q", initial=[{"type": "nps", "required": True}] + [
            {"type": "rating" if i == 1 else "choice" if i == 2 else "text", "required": i < 3}
            for i in range(1, count)])
    return QuestionFormSet(data, prefix="q")


def _question_error(why: str, kind: str) -> tuple[str, str]:
    """(field, words) of a service's refusal of one question."""
    if "option" in why:
        return "options", _("A choice needs %(low)s to %(high)s different options of at most %(n)s characters.") % {
            "low": digits(MIN_OPTIONS), "high": digits(MAX_OPTIONS), "n": digits(OPTION_MAX)}
    if kind == "type":
        return "type", _("Choose a kind.")
    return "text", _("Write the question (at most %(n)s characters).") % {"n": digits(QUESTION_MAX)}


def _survey_form_page(request, form, blocks, *, status=200):
    return render(request, "web/manage/feedback/survey_form.html", {
        "nav": "feedback", "form": form, "blocks": blocks, "can_add": blocks.total_form_count() < MAX_QUESTIONS,
        "max_questions": MAX_QUESTIONS}, status=status)


@staff_required(*ENGAGERS)
@require_http_methods(["GET", "POST"])
def survey_new(request):
    if request.method == "GET":
        return _survey_form_page(request, SurveyForm(), _blocks(None, FIRST_BLOCKS))
    form = SurveyForm(request.POST)
    if "more" in request.POST:
        data = request.POST.copy()
        try:
            total = int(data.get("q-TOTAL_FORMS", "0"))
        except ValueError:
            total = 0
        data["q-TOTAL_FORMS"] = str(min(MAX_QUESTIONS, max(total, 0) + MORE_BLOCKS))
        blocks = _blocks(data, 0)
        # Shown again as typed, with the new blocks: nothing is checked yet (no errors shown).
        for block in blocks:
            block._errors = ErrorDict()
        form = SurveyForm(data)
        form._errors = ErrorDict()
        blocks._non_form_errors = ErrorList()
        return _survey_form_page(request, form, blocks)
    blocks = _blocks(request.POST, 0)
    valid = form.is_valid()
    blocks_valid = blocks.is_valid()
    if not (valid and blocks_valid):
        return _survey_form_page(request, form, blocks, status=422)
    used = [b for b in blocks if b.cleaned_data.get("text", "").strip()]
    if not used:
        form.add_error(None, _("Write at least one question."))
        return _survey_form_page(request, form, blocks, status=422)
    data = form.cleaned_data
    closes_at = None
    if data.get("closes_on"):
        closes_at = dt.datetime.combine(data["closes_on"] + dt.timedelta(days=1), dt.time(0), tzinfo=TEHRAN)
    try:
        survey = engaging.survey_create(data={
            "name": data["name"], "description": data["description"], "points": data["points"],
            "status": data["status"], "closes_at": closes_at, "questions": [b.stored() for b in used]},
            created_by=request.user.get_username(), actor=Actor.of(request))
    except ValidationFailed as error:
        _place_errors(error, form, used)
        return _survey_form_page(request, form, blocks, status=422)
    messages.success(request, _("The survey is saved. Link it to a campaign or an automation as {survey_link}."))
    return redirect("manage:feedback-survey", survey_id=survey.pk)


def _place_errors(error: ValidationFailed, form, used: list) -> None:
    for at, why in error.details.items():
        if at.startswith("questions[") and "]" in at:
            index = int(at[len("questions["):at.index("]")])
            part = at[at.index("]") + 1:].lstrip(".")
            field, words = _question_error(why, part.split("[")[0])
            if 0 <= index < len(used):
                used[index].add_error(field, words)
                continue
        if at in form.fields:
            form.add_error(at, f"{error.message} ({why})")
        else:
            form.add_error(None, f"{error.message} ({why})")


# --- lists and results -------------------------------------------------------------------------------


def _survey_or_404(survey_id) -> Survey:
    try:
        return engage.survey_get(survey_id=survey_id)
    except NotFound:
        raise Http404 from None


@staff_required(*ENGAGERS)
def survey_list(request):
    rows = list(engage.survey_list()[:200])
    for survey in rows:
        survey.state = engage.survey_state(survey)
    return render(request, "web/manage/feedback/survey_list.html", {"nav": "feedback", "rows": rows})


def _charts(results: dict) -> dict:
    charts = {}
    for q in results["questions"]:
        key = f"q{q['index']}"
        if q["type"] == "nps":
            charts[key] = {"type": "bar", "labels": [digits(d["score"]) for d in q["distribution"]], "series": [
                {"label": _("Answers"), "data": [d["count"] for d in q["distribution"]],
                 "color": [DETRACTOR if d["score"] <= 6 else PASSIVE if d["score"] <= 8 else PROMOTER
                           for d in q["distribution"]]}]}
        elif q["type"] == "rating":
            charts[key] = {"type": "bar", "labels": [_("%(n)s ★") % {"n": digits(d["score"])}
                                                     for d in q["distribution"]],
                           "series": [{"label": _("Answers"), "data": [d["count"] for d in q["distribution"]],
                                       "color": BAR}]}
        elif q["type"] == "choice":
            charts[key] = {"type": "hbar", "labels": [o["option"] for o in q["options"]],
                           "series": [{"label": _("Answers"), "data": [o["count"] for o in q["options"]],
                                       "color": BAR}]}
    return charts


@staff_required(*ENGAGERS)
def survey_results(request, survey_id):
    survey = _survey_or_404(survey_id)
    results = engage.survey_results(survey, texts=TEXTS_SHOWN)
    for q in results["questions"]:
        if q["type"] == "nps" and q["answered"]:
            for group in ("promoters", "passives", "detractors"):
                q[f"{group}_percent"] = engage.percent_of(q[group], q["answered"])
        if q["type"] in ("nps", "rating"):
            for d in q["distribution"]:
                d["percent"] = engage.percent_of(d["count"], q["answered"])
    charts = _charts(results)
    for q in results["questions"]:
        q["chart"], q["chart_id"] = charts.get(f"q{q['index']}"), f"chart-q{q['index']}-data"
    persian = (get_language() or "fa").split("-")[0] == "fa"
    return render(request, "web/manage/feedback/survey_results.html", {
        "nav": "feedback", "survey": survey, "state": engage.survey_state(survey), "results": results,
        "link": engage.survey_link(survey.pk), "chart_locale": "fa-IR" if persian else "en-US"})


@staff_required(*ENGAGERS)
def survey_texts(request, survey_id, index):
    survey = _survey_or_404(survey_id)
    try:
        items, next_cursor = engage.survey_texts(survey, index=index, before_id=cursor_param(request),
                                                 limit=TEXTS_PAGE)
    except ValidationFailed:
        raise Http404 from None
    return render(request, "web/manage/feedback/survey_texts.html", {
        "nav": "feedback", "survey": survey, "question": survey.questions[index], "index": index, "items": items,
        "next_cursor": next_cursor, "first_page": cursor_param(request) is None})


def _status_change(request, service, done: str, **ids):
    try:
        service(actor=Actor.of(request), **ids)
    except NotFound:
        raise Http404 from None
    except ApplicationError as error:
        messages.error(request, error.message)
        return False
    messages.success(request, done)
    return True


@staff_required(*ENGAGERS)
@require_POST
def survey_close(request, survey_id):
    _status_change(request, engaging.survey_close, _("The survey is closed: it takes no more answers."),
                   survey_id=survey_id)
    return redirect("manage:feedback-survey", survey_id=survey_id)


@staff_required(*ENGAGERS)
@require_POST
def survey_open(request, survey_id):
    _status_change(request, engaging.survey_open, _("The survey is open: members can answer it."),
                   survey_id=survey_id)
    return redirect("manage:feedback-survey", survey_id=survey_id)


# --- reviews --------------------------------------------------------------------------------------


class ReviewFilter(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("State"), required=False,
                               choices=(("", gettext_lazy("Any")), *Review.Status.choices))
    rating = forms.TypedChoiceField(label=gettext_lazy("Stars"), required=False, coerce=int, empty_value=None,
                                    choices=(("", gettext_lazy("Any")), *((str(n), str(n)) for n in range(1, 6))))


@staff_required(*ENGAGERS)
def review_list(request):
    form = ReviewFilter(request.GET or None)
    filters = {}
    if form.is_bound and form.is_valid():
        filters = {"status": form.cleaned_data["status"] or None, "rating": form.cleaned_data["rating"]}
    rows, next_cursor = engage.review_list(**filters, before_id=cursor_param(request), limit=REVIEWS_PAGE)
    points = engage.reviews_points(rows)
    query = request.GET.copy()
    query.pop("before", None)
    return render(request, "web/manage/feedback/review_list.html", {
        "nav": "feedback", "form": form, "rows": [{"review": r, "points": points.get(r.pk, 0)} for r in rows],
        "next_cursor": next_cursor, "first_page": cursor_param(request) is None, "query": query.urlencode()})


def _back_to_reviews(request):
    target = request.POST.get("next", "")
    if target.startswith("/manage/feedback/reviews/") and "//" not in target:
        return redirect(target)
    return redirect("manage:feedback-reviews")


@staff_required(*ENGAGERS)
@require_POST
def review_hide(request, review_id):
    _status_change(request, engaging.review_hide, _("The review is hidden."), review_id=review_id)
    return _back_to_reviews(request)


@staff_required(*ENGAGERS)
@require_POST
def review_publish(request, review_id):
    _status_change(request, engaging.review_publish, _("The review is shown again."), review_id=review_id)
    return _back_to_reviews(request)


urlpatterns = [
    path("feedback/surveys/", survey_list, name="feedback-surveys"),
    path("feedback/surveys/new/", survey_new, name="feedback-survey-new"),
    path("feedback/surveys/<int:survey_id>/", survey_results, name="feedback-survey"),
    path("feedback/surveys/<int:survey_id>/questions/<int:index>/texts/", survey_texts, name="feedback-texts"),
    path("feedback/surveys/<int:survey_id>/close/", survey_close, name="feedback-survey-close"),
    path("feedback/surveys/<int:survey_id>/open/", survey_open, name="feedback-survey-open"),
    path("feedback/reviews/", review_list, name="feedback-reviews"),
    path("feedback/reviews/<int:review_id>/hide/", review_hide, name="feedback-review-hide"),
    path("feedback/reviews/<int:review_id>/publish/", review_publish, name="feedback-review-publish"),
]
