"""Portal: surveys to answer, and reviews of purchases.

Every page takes the member from the session (`portal_member`): a survey's page shows only this
member's answer, and a purchase to review must be one of this member's (any other id is 404,
whoever's it is). The rules (what a complete answer is, the points, once) are the services'
(vafa.engage.surveys, vafa.engage.reviews); this module only turns the form into answers and
the services' refusals into words beside each question.

- /surveys/: the open surveys waiting for the member, and those they answered.
- /surveys/<id>/: the form (NPS 0-10 as radio buttons, 1-5 stars, a choice, a text); after it,
  a thank-you with the points earned; answered before (or twice at once), the earlier answer.
- /purchases/<id>/review/: stars and a text for one of the member's purchases, once.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from vafa.core.digits import to_ascii_digits
from vafa.core.errors import ApplicationError, NotFound, ReviewExists, SurveyClosed, ValidationFailed
from vafa.engage import selectors as engage
from vafa.engage import services as engaging
from vafa.engage.inputs import ANSWER_TEXT_MAX, REVIEW_TEXT_MAX, SCALES
from vafa.engage.models import Survey
from vafa.web.portal.common import error_text, page, portal_member
from vafa.web.templatetags.vafa import digits, points


def _visible_survey(survey_id) -> Survey:
    """A survey members may open: not a draft (a draft is 404, like an unknown id)."""
    try:
        survey = engage.survey_get(survey_id=survey_id)
    except NotFound:
        raise Http404 from None
    if survey.status == Survey.Status.DRAFT:
        raise Http404
    return survey


def _field_error(kind: str, why: str) -> str:
    if why == "required":
        return _("Please answer this question.")
    return {
        "nps": _("Choose a number from 0 to 10."),
        "rating": _("Choose from 1 to 5 stars."),
        "choice": _("Choose one of the options."),
    }.get(kind, _("Write at most %(n)s characters.") % {"n": digits(f"{ANSWER_TEXT_MAX:,}")})


def _fields(survey: Survey, values: list, errors: dict[int, str]) -> list[dict]:
    fields = []
    for index, question in enumerate(survey.questions):
        kind = question["type"]
        value = values[index] if index < len(values) else None
        field = {"index": index, "name": f"q{index}", "type": kind, "text": question["text"],
                 "required": question.get("required", True), "value": value, "error": errors.get(index, ""),
                 "text_max": ANSWER_TEXT_MAX}
        if kind in SCALES:
            low, high = SCALES[kind]
            field["scale"] = list(range(low, high + 1))
        if kind == "choice":
            field["options"] = list(enumerate(question.get("options", [])))
        fields.append(field)
    return fields


def _posted(survey: Survey, data) -> list:
    """The form as answers: numbers for nps, rating and choice (Persian digits too), the text as
    written, None for what was left blank; anything else is passed on as it came, for the
    service to refuse."""
    answers: list = []
    for index, question in enumerate(survey.questions):
        raw = data.get(f"q{index}", "")
        if question["type"] == "text":
            answers.append(raw if raw.strip() else None)
            continue
        raw = to_ascii_digits(raw.strip())
        if not raw:
            answers.append(None)
        elif raw.isascii() and raw.isdigit() and len(raw) <= 3:
            answers.append(int(raw))
        else:
            answers.append(raw)
    return answers


def _survey_page(request, survey: Survey, *, values=None, errors=None, status=200, extra=None):
    answer = engage.survey_answer_of(survey_id=survey.pk, member_id=request.member.pk)
    context = {"survey": survey, "answer": answer, "state": engage.survey_state(survey),
               "items": engage.answer_items(survey, answer.answers) if answer else [],
               "fields": _fields(survey, values or [], errors or {}), "errors": errors or {},
               "done": request.GET.get("done") == "1", **(extra or {})}
    return page(request, "survey.html", context, status=status, nav="surveys")


@portal_member
def surveys_view(request):
    waiting, answered = engage.member_surveys(member_id=request.member.pk)
    return page(request, "surveys.html", {"waiting": waiting, "answered": answered}, nav="surveys")


@portal_member
@require_http_methods(["GET", "POST"])
def survey_view(request, survey_id: int):
    survey = _visible_survey(survey_id)
    if request.method == "GET":
        return _survey_page(request, survey)
    answers = _posted(survey, request.POST)
    try:
        done = engaging.survey_answer(survey_id=survey.pk, member_id=request.member.pk, answers=answers)
    except ValidationFailed as error:
        errors = {}
        for at, why in error.details.items():
            if at.startswith("answers[") and at.endswith("]"):
                index = int(at[len("answers["):-1])
                errors[index] = _field_error(survey.questions[index]["type"], why)
        message = (_("Please answer at least one question.") if "answers" in error.details
                   else _("Please correct the marked questions."))
        return _survey_page(request, survey, values=answers, errors=errors, status=422,
                            extra={"error": message, "error_code": error.code})
    except SurveyClosed as error:
        return _survey_page(request, survey, status=409, extra={"error": error_text(error),
                                                                "error_code": error.code})
    except ApplicationError as error:
        return _survey_page(request, survey, values=answers, status=error.status,
                            extra={"error": error_text(error), "error_code": error.code})
    if not done.created:
        flash.info(request, _("You had already answered this survey; your first answer is kept."))
        return redirect("portal:survey", survey_id=survey.pk)
    return redirect(reverse("portal:survey", kwargs={"survey_id": survey.pk}) + "?done=1")


# --- reviews --------------------------------------------------------------------------------------


def _own_purchase(request, purchase_id):
    try:
        return engage.member_purchase(member_id=request.member.pk, purchase_id=purchase_id)
    except NotFound:
        raise Http404 from None


@portal_member
@require_http_methods(["GET", "POST"])
def review_view(request, purchase_id: int):
    purchase = _own_purchase(request, purchase_id)
    existing = engage.member_reviewed_purchases(member_id=request.member.pk, purchase_ids=[purchase.pk]).get(
        purchase.pk)
    context = {"purchase": purchase, "review": existing, "stars": list(range(1, 6)), "text_max": REVIEW_TEXT_MAX,
               "rating": None, "text": ""}
    if request.method == "GET" or existing is not None:
        if request.method == "POST":
            flash.info(request, _("You have already reviewed this purchase."))
            return redirect("portal:review", purchase_id=purchase.pk)
        return page(request, "review.html", context, nav="history")
    raw = to_ascii_digits(request.POST.get("rating", "").strip())
    rating = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 2 else None
    text = request.POST.get("text", "")
    context.update(rating=rating, text=text)
    try:
        review = engaging.review_create(member_id=request.member.pk, data={
            "purchase_id": purchase.pk, "rating": rating, "text": text})
    except ValidationFailed as error:
        context["errors"] = {
            "rating": _("Choose from 1 to 5 stars.") if "rating" in error.details else "",
            "text": (_("Write at most %(n)s characters.") % {"n": digits(f"{REVIEW_TEXT_MAX:,}")}
                     if "text" in error.details else ""),
        }
        context.update(error=_("Please correct the marked fields."), error_code=error.code)
        return page(request, "review.html", context, status=422, nav="history")
    except ReviewExists:
        flash.info(request, _("You have already reviewed this purchase."))
        return redirect("portal:review", purchase_id=purchase.pk)
    except ApplicationError as error:
        context.update(error=error_text(error), error_code=error.code)
        return page(request, "review.html", context, status=error.status, nav="history")
    if review.points_awarded:
        flash.success(request, _("Thank you for your review! You earned %(n)s points.")
                      % {"n": points(review.points_awarded)})
    else:
        flash.success(request, _("Thank you for your review!"))
    return redirect("portal:purchases")


urlpatterns = [
    path("surveys/", surveys_view, name="surveys"),
    path("surveys/<int:survey_id>/", survey_view, name="survey"),
    path("purchases/<int:purchase_id>/review/", review_view, name="review"),
]
