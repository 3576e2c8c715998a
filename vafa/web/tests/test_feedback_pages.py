"""The back-office's surveys and reviews: creating a survey from question blocks, the results
with exact figures, closing, hiding a review, the member's page; cashiers get 403."""

import re

import pytest
from django.test import Client

from vafa.commerce.services import purchase_record
from vafa.core.models import AuditEntry
from vafa.core.tests.fixtures import db_state
from vafa.engage import services as engaging
from vafa.engage.models import Review, Survey, SurveyAnswer
from vafa.merchants.staff import staff_create

pytestmark = pytest.mark.django_db


def _client(role: str) -> Client:
    client = Client()
    client.force_login(staff_create(username=f"{role}-f", password="long-enough-pass-1", role=role))
    return client


@pytest.fixture
def marketer():
    return _client("marketer")


def _blocks(*blocks, extra=()) -> dict:
    data = {"q-TOTAL_FORMS": str(len(blocks)), "q-INITIAL_FORMS": str(len(blocks)), "q-MIN_NUM_FORMS": "0",
            "q-MAX_NUM_FORMS": "30"}
    for i, block in enumerate(blocks):
        for key, value in block.items():
            if value is not None:
                data[f"q-{i}-{key}"] = value
    return data


SURVEY = {"name": "Winter survey", "description": "", "points": "۲۵", "status": "open", "closes_on_0": "",
          "closes_on_1": "", "closes_on_2": "", "closes_on_3": "gregorian"}


def test_a_survey_is_made_from_question_blocks(marketer):
    page = marketer.get("/manage/feedback/surveys/new/")
    assert page.status_code == 200 and page.content.decode().count('class="card question-block"') == 4
    data = {**SURVEY, **_blocks({"type": "nps", "text": "Recommend us?", "required": "on"},
                                {"type": "choice", "text": "Branch?", "options": "North\n\n South \n",
                                 "required": "on"},
                                {"type": "text", "text": "", "options": ""},  # an empty block is skipped
                                {"type": "text", "text": "Anything else?"})}
    response = marketer.post("/manage/feedback/surveys/new/", data)
    survey = Survey.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/manage/feedback/surveys/{survey.pk}/"
    assert (survey.name, survey.points, survey.status, survey.created_by) == ("Winter survey", 25, "open",
                                                                              "marketer-f")
    assert survey.questions == [
        {"type": "nps", "text": "Recommend us?", "required": True},
        {"type": "choice", "text": "Branch?", "required": True, "options": ["North", "South"]},
        {"type": "text", "text": "Anything else?", "required": False},
    ]
    assert AuditEntry.objects.get(action="survey.create").target_id == str(survey.pk)


def test_more_blocks_keeps_what_was_typed(marketer):
    data = {**SURVEY, **_blocks({"type": "nps", "text": "Recommend us?", "required": "on"}), "more": "1"}
    page = marketer.post("/manage/feedback/surveys/new/", data).content.decode()
    assert page.count('class="card question-block"') == 4 and 'value="Recommend us?"' in page
    assert 'class="errorlist"' not in page and Survey.objects.count() == 0


def test_a_choice_without_enough_options_is_shown_on_its_block(marketer):
    data = {**SURVEY, **_blocks({"type": "nps", "text": "Recommend us?", "required": "on"},
                                {"type": "choice", "text": "Branch?", "options": "North", "required": "on"})}
    response = marketer.post("/manage/feedback/surveys/new/", data)
    assert response.status_code == 422
    assert 'data-testid="error-q-1-options"' in response.content.decode()
    assert Survey.objects.count() == 0
    nothing = marketer.post("/manage/feedback/surveys/new/", {**SURVEY, **_blocks({"type": "nps", "text": ""})})
    assert nothing.status_code == 422 and Survey.objects.count() == 0


def test_results_show_the_nps_and_the_counts(marketer, member_factory):
    survey = engaging.survey_create(data={"name": "Autumn", "questions": [
        {"type": "nps", "text": "Recommend us?"}, {"type": "choice", "text": "Branch?", "options": ["N", "S"]},
        {"type": "rating", "text": "Stars"}, {"type": "text", "text": "More?", "required": False}]})
    for score, branch, stars, text in ((10, 0, 5, "Great"), (9, 0, 4, None), (6, 1, 2, "Slow"), (8, 0, 3, None)):
        engaging.survey_answer(survey_id=survey.pk, member_id=member_factory().pk,
                               answers=[score, branch, stars, text])
    marketer.cookies["django_language"] = "en"
    page = marketer.get(f"/manage/feedback/surveys/{survey.pk}/").content.decode()
    assert 'data-testid="nps-0">25<' in page  # 50% promoters - 25% detractors
    assert 'data-testid="answers-count">4<' in page
    assert re.search(r'data-testid="option-1-0">.*?<td class="num count">3</td><td class="num">75%</td>', page)
    assert re.search(r'data-testid="option-1-1">.*?<td class="num count">1</td><td class="num">25%</td>', page)
    assert 'data-testid="average-2">3.5<' in page
    assert 'id="chart-q0-data" type="application/json"' in page and 'id="chart-q1-data"' in page
    assert "Slow" in page and "Great" in page
    texts = marketer.get(f"/manage/feedback/surveys/{survey.pk}/questions/3/texts/").content.decode()
    assert texts.index("Slow") < texts.index("Great")
    assert marketer.get(f"/manage/feedback/surveys/{survey.pk}/questions/0/texts/").status_code == 404
    assert marketer.get("/manage/feedback/surveys/999/").status_code == 404
    listing = marketer.get("/manage/feedback/surveys/").content.decode()
    assert f'data-testid="answers-{survey.pk}">4<' in listing


def test_close_and_open_a_survey(marketer):
    survey = engaging.survey_create(data={"name": "S", "questions": [{"type": "nps", "text": "q"}]})
    assert marketer.post(f"/manage/feedback/surveys/{survey.pk}/close/").status_code == 302
    assert Survey.objects.get().status == "closed"
    marketer.post(f"/manage/feedback/surveys/{survey.pk}/open/")
    assert Survey.objects.get().status == "open"
    assert [e.action for e in AuditEntry.objects.order_by("pk")] == ["survey.close", "survey.open"]
    assert marketer.post("/manage/feedback/surveys/999/close/").status_code == 404


def test_hide_a_review_and_the_member_page_shows_the_feedback(marketer, member, merchant):
    purchase = purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000).purchase
    review = engaging.review_create(member_id=member.pk, data={"purchase_id": purchase.pk, "rating": 2,
                                                                "text": "Cold tea"})
    survey = engaging.survey_create(data={"name": "Autumn", "questions": [
        {"type": "choice", "text": "Branch?", "options": ["North", "South"]}]})
    engaging.survey_answer(survey_id=survey.pk, member_id=member.pk, answers=[1])
    listing = marketer.get("/manage/feedback/reviews/").content.decode()
    assert "Cold tea" in listing and f'data-testid="hide-{review.pk}"' in listing
    response = marketer.post(f"/manage/feedback/reviews/{review.pk}/hide/",
                             {"next": "/manage/feedback/reviews/?status=published"})
    assert response.status_code == 302 and response["Location"] == "/manage/feedback/reviews/?status=published"
    assert Review.objects.get().status == "hidden"
    hidden = marketer.get("/manage/feedback/reviews/?status=hidden").content.decode()
    assert f'data-testid="publish-{review.pk}"' in hidden
    assert "Cold tea" not in marketer.get("/manage/feedback/reviews/?status=published").content.decode()
    evil = marketer.post(f"/manage/feedback/reviews/{review.pk}/publish/", {"next": "https://evil.example/"})
    assert evil["Location"] == "/manage/feedback/reviews/"
    file = marketer.get(f"/manage/members/{member.pk}/").content.decode()
    assert 'data-testid="member-feedback"' in file and "Cold tea" in file and "South" in file
    cashier_file = _client("cashier").get(f"/manage/members/{member.pk}/").content.decode()
    assert 'data-testid="member-feedback"' not in cashier_file


def test_cashiers_are_refused_and_nothing_changes(member, merchant):
    purchase = purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000).purchase
    review = engaging.review_create(member_id=member.pk, data={"purchase_id": purchase.pk, "rating": 2})
    survey = engaging.survey_create(data={"name": "S", "questions": [{"type": "nps", "text": "q"}]})
    cashier = _client("cashier")
    before = db_state(Survey, SurveyAnswer, Review)
    for url in ("/manage/feedback/surveys/", "/manage/feedback/surveys/new/", f"/manage/feedback/surveys/{survey.pk}/",
                "/manage/feedback/reviews/"):
        assert cashier.get(url).status_code == 403
    for url in (f"/manage/feedback/surveys/{survey.pk}/close/", f"/manage/feedback/reviews/{review.pk}/hide/",
                "/manage/feedback/surveys/new/"):
        assert cashier.post(url, {**SURVEY, **_blocks({"type": "nps", "text": "x"})}).status_code == 403
    assert db_state(Survey, SurveyAnswer, Review) == before
