"""REST API v1: surveys and their results (DESIGN), reviews; scope `engage`, which a partner's
key never holds.

Members answer surveys in the portal (`link`); an integrator may send a member's answers too
(`POST /surveys/{id}/answers`): a member answers once, and a second answer is the first one back
(`already_answered`), changing nothing. Results give the NPS and the counts per option;
`/surveys/{id}/texts?question=` pages through a text question's answers."""

from ninja import Query, Router, Schema

from vafa.api import feedback_schemas as fs
from vafa.api.auth import needs
from vafa.api.common import READ_ERRORS, WRITE_ERRORS, IdempotencyKey
from vafa.api.engage import Page
from vafa.api.engage import _page as page_cursor
from vafa.api.idempotency import json_response, run_write
from vafa.core.errors import ValidationFailed
from vafa.engage import selectors as engage
from vafa.engage import services as engaging
from vafa.engage.inputs import MemberReviewInput, SurveyAnswerInput, SurveyInput

router = Router(tags=["feedback"])
STATUSES = ("draft", "open", "closed")


def _by(request) -> str:
    return f"api:{request.auth.name}"


# --- surveys --------------------------------------------------------------------------------------


def survey_body(survey) -> dict:
    count = getattr(survey, "answers_count", None)
    if count is None:
        count = survey.answers.filter(complete=True).count()
    return {"id": survey.pk, "name": survey.name, "description": survey.description, "questions": survey.questions,
            "points": survey.points, "status": engage.survey_state(survey), "closes_at": survey.closes_at,
            "answers_count": count, "link": engage.survey_link(survey.pk), "created_at": survey.created_at}


class SurveyQuery(Schema):
    status: str | None = None


@router.get("/surveys", auth=needs("engage"), response={200: list[fs.SurveyOut], **READ_ERRORS})
def list_surveys(request, query: Query[SurveyQuery]):
    if query.status is not None and query.status not in STATUSES:
        raise ValidationFailed(details={"status": "draft, open or closed"})
    return json_response(200, [survey_body(s) for s in engage.survey_list(status=query.status)[:200]])


@router.post("/surveys", auth=needs("engage"), response={201: fs.SurveyOut, **WRITE_ERRORS})
def create_survey(request, payload: SurveyInput, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 201, survey_body(engaging.survey_create(data=payload, created_by=_by(request)))

    return run_write(request, produce, audit="survey.create")


@router.get("/surveys/{survey_id}", auth=needs("engage"), response={200: fs.SurveyOut, **READ_ERRORS})
def get_survey(request, survey_id: str):
    return json_response(200, survey_body(engage.survey_get(survey_id=survey_id)))


@router.get("/surveys/{survey_id}/results", auth=needs("engage"), response={200: fs.ResultsOut, **READ_ERRORS})
def survey_results(request, survey_id: str):
    return json_response(200, engage.survey_results(engage.survey_get(survey_id=survey_id)))


class TextsQuery(Page):
    question: int | None = None


@router.get("/surveys/{survey_id}/texts", auth=needs("engage"), response={200: fs.TextsOut, **READ_ERRORS})
def survey_texts(request, survey_id: str, query: Query[TextsQuery]):
    survey = engage.survey_get(survey_id=survey_id)
    before = page_cursor(query)
    if query.question is None:
        raise ValidationFailed(details={"question": "the index of one of the survey's text questions"})
    items, next_cursor = engage.survey_texts(survey, index=query.question, before_id=before, limit=query.limit)
    return json_response(200, {"items": items, "next_cursor": str(next_cursor) if next_cursor else None})


def answer_body(answer, *, already: bool = False) -> dict:
    return {"id": answer.pk, "survey_id": answer.survey_id, "member_id": answer.member_id, "answers": answer.answers,
            "complete": answer.complete, "points_awarded": answer.points_awarded, "created_at": answer.created_at,
            "already_answered": already}


class AnswersQuery(Page):
    member_id: str | None = None


@router.get("/surveys/{survey_id}/answers", auth=needs("engage"), response={200: fs.AnswersOut, **READ_ERRORS})
def survey_answers(request, survey_id: str, query: Query[AnswersQuery]):
    engage.survey_get(survey_id=survey_id)  # an unknown survey is 404 before a bad page is 422
    before = page_cursor(query)
    _survey, rows, next_cursor = engage.survey_answers(survey_id=survey_id, member_id=query.member_id,
                                                       before_id=before, limit=query.limit)
    return json_response(200, {"items": [answer_body(a) for a in rows],
                               "next_cursor": str(next_cursor) if next_cursor else None})


@router.post("/surveys/{survey_id}/answers", auth=needs("engage"),
             response={200: fs.AnswerOut, 201: fs.AnswerOut, **WRITE_ERRORS})
def answer_survey(request, survey_id: str, payload: SurveyAnswerInput, idempotency_key: str | None = IdempotencyKey):
    """A member's answers (one per question, in order). 201 with the points earned; 200 with the
    earlier answer, unchanged, when the member had answered already."""

    def produce():
        done = engaging.survey_answer(survey_id=survey_id, member_id=payload.member_id, answers=list(payload.answers))
        return (201 if done.created else 200), answer_body(done.answer, already=not done.created)

    return run_write(request, produce, audit="survey.answer")


@router.post("/surveys/{survey_id}/close", auth=needs("engage"), response={200: fs.SurveyOut, **WRITE_ERRORS})
def close_survey(request, survey_id: str, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 200, survey_body(engaging.survey_close(survey_id=survey_id))

    return run_write(request, produce, audit="survey.close")


@router.post("/surveys/{survey_id}/open", auth=needs("engage"), response={200: fs.SurveyOut, **WRITE_ERRORS})
def open_survey(request, survey_id: str, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 200, survey_body(engaging.survey_open(survey_id=survey_id))

    return run_write(request, produce, audit="survey.open")


# --- reviews --------------------------------------------------------------------------------------


def review_body(review, points: int | None = None) -> dict:
    if points is None:
        points = engage.reviews_points([review]).get(review.pk, 0)
    return {"id": review.pk, "member_id": review.member_id, "purchase_id": review.purchase_id,
            "rating": review.rating, "text": review.text, "status": review.status, "points_awarded": points,
            "created_at": review.created_at}


class ReviewsQuery(Page):
    status: str | None = None
    member_id: str | None = None
    rating: int | None = None


@router.get("/reviews", auth=needs("engage"), response={200: fs.ReviewsOut, **READ_ERRORS})
def list_reviews(request, query: Query[ReviewsQuery]):
    before = page_cursor(query)
    if query.rating is not None and not 1 <= query.rating <= 5:
        raise ValidationFailed(details={"rating": "an integer from 1 to 5"})
    if query.member_id is not None:
        from vafa.members.selectors import member_get

        member_get(member_id=query.member_id)  # an unknown member is 404, not an empty page
    rows, next_cursor = engage.review_list(status=query.status, member_id=query.member_id, rating=query.rating,
                                           before_id=before, limit=query.limit)
    points = engage.reviews_points(rows)
    return json_response(200, {"items": [review_body(r, points.get(r.pk, 0)) for r in rows],
                               "next_cursor": str(next_cursor) if next_cursor else None})


@router.post("/reviews", auth=needs("engage"), response={201: fs.ReviewOut, **WRITE_ERRORS})
def create_review(request, payload: MemberReviewInput, idempotency_key: str | None = IdempotencyKey):
    """A member's review of one of their purchases (once per purchase: then `review_exists`)."""

    def produce():
        return 201, review_body(engaging.review_create(member_id=payload.member_id, data=payload))

    return run_write(request, produce, audit="review.create")


@router.get("/reviews/{review_id}", auth=needs("engage"), response={200: fs.ReviewOut, **READ_ERRORS})
def get_review(request, review_id: str):
    return json_response(200, review_body(engage.review_get(review_id=review_id)))


@router.post("/reviews/{review_id}/hide", auth=needs("engage"), response={200: fs.ReviewOut, **WRITE_ERRORS})
def hide_review(request, review_id: str, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 200, review_body(engaging.review_hide(review_id=review_id))

    return run_write(request, produce, audit="review.hide")


@router.post("/reviews/{review_id}/publish", auth=needs("engage"), response={200: fs.ReviewOut, **WRITE_ERRORS})
def publish_review(request, review_id: str, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 200, review_body(engaging.review_publish(review_id=review_id))

    return run_write(request, produce, audit="review.publish")
