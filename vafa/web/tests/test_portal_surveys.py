"""The portal's surveys and reviews: the form, errors beside each question, a thank-you with the
points, the earlier answer on a second visit or submit, and a member never seeing or answering
with another member's data."""

import re

import pytest

from vafa.commerce.services import purchase_record
from vafa.core.tests.fixtures import balance, db_state
from vafa.engage import services as engaging
from vafa.engage.models import Review, Survey, SurveyAnswer
from vafa.ledger.models import Transfer
from vafa.program.rules import rule_create
from vafa.web.tests.test_portal_helpers import log_in

pytestmark = pytest.mark.django_db
WRITES = (SurveyAnswer, Review, Transfer)


@pytest.fixture
def survey(db):
    return engaging.survey_create(data={"name": "نظرسنجی پاییز", "points": 30, "questions": [
        {"type": "nps", "text": "چقدر ما را به دوستانتان پیشنهاد می‌کنید؟"},
        {"type": "rating", "text": "کیفیت خدمات"},
        {"type": "choice", "text": "بیشتر چه می‌خرید؟", "options": ["چای", "قهوه"]},
        {"type": "text", "text": "حرف دیگری دارید؟", "required": False},
    ]})


@pytest.fixture
def purchase(member, merchant):
    return purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000).purchase


def test_the_list_shows_waiting_and_answered_surveys(client, member, survey):
    draft = engaging.survey_create(data={"name": "Draft", "status": "draft",
                                         "questions": [{"type": "nps", "text": "q"}]})
    log_in(client, member)
    page = client.get("/surveys/").content.decode()
    assert f'data-testid="survey-{survey.pk}"' in page and "<strong>۳۰ " in page
    assert f"survey-{draft.pk}" not in page
    engaging.survey_answer(survey_id=survey.pk, member_id=member.pk, answers=[9, 4, 0, None])
    page = client.get("/surveys/").content.decode()
    assert f'data-testid="answered-{survey.pk}"' in page and 'data-testid="none-waiting"' in page
    assert client.get(f"/surveys/{draft.pk}/").status_code == 404
    assert client.get("/surveys/999/").status_code == 404


def test_the_form_answers_and_thanks_with_the_points(client, member, survey):
    log_in(client, member)
    form = client.get(f"/surveys/{survey.pk}/").content.decode()
    for n in range(11):
        assert f'id="q0-{n}" value="{n}"' in form
    assert 'class="stars" role="radiogroup"' in form and 'id="q1-5" value="5"' in form
    assert 'id="q2-1" value="1"' in form and 'name="q3"' in form
    response = client.post(f"/surveys/{survey.pk}/", {"q0": "۹", "q1": "5", "q2": "1", "q3": " عالی "})
    assert response.status_code == 302 and response["Location"] == f"/surveys/{survey.pk}/?done=1"
    answer = SurveyAnswer.objects.get()
    assert (answer.member_id, answer.answers, answer.points_awarded) == (member.pk, [9, 5, 1, "عالی"], 30)
    thanks = client.get(response["Location"]).content.decode()
    assert 'data-testid="thanks"' in thanks and 'data-testid="points-earned">۳۰<' in thanks
    assert 'data-testid="answer-2">' in thanks and "قهوه" in thanks
    assert balance(member) == 30


def test_a_second_submit_keeps_the_first_answer_and_earns_nothing(client, member, survey):
    log_in(client, member)
    client.post(f"/surveys/{survey.pk}/", {"q0": "9", "q1": "5", "q2": "1"})
    before = db_state(*WRITES)
    again = client.post(f"/surveys/{survey.pk}/", {"q0": "0", "q1": "1", "q2": "0"}, follow=True)
    page = again.content.decode()
    assert again.status_code == 200 and 'data-testid="your-answer"' in page
    assert 'data-testid="send-answers"' not in page and 'data-testid="thanks"' not in page
    assert 'class="message message-info"' in page  # "you had already answered"
    assert db_state(*WRITES) == before and balance(member) == 30


def test_errors_are_shown_beside_each_question_and_nothing_changes(client, member, survey):
    log_in(client, member)
    before = db_state(*WRITES)
    response = client.post(f"/surveys/{survey.pk}/", {"q0": "", "q1": "7", "q2": "5", "q3": "x" * 2001},
                           HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 422
    assert re.search(r'data-testid="error-q0">[^<]+<', page)
    for name in ("q0", "q1", "q2", "q3"):
        assert f'data-testid="error-{name}"' in page
    assert 'data-testid="error" data-code="validation_error"' in page
    assert db_state(*WRITES) == before


def test_a_closed_survey_says_so(client, member, survey):
    engaging.survey_close(survey_id=survey.pk)
    log_in(client, member)
    assert 'data-testid="closed"' in client.get(f"/surveys/{survey.pk}/").content.decode()
    before = db_state(*WRITES)
    response = client.post(f"/surveys/{survey.pk}/", {"q0": "9", "q1": "5", "q2": "1"})
    assert response.status_code == 409 and db_state(*WRITES) == before


def test_a_member_sees_only_their_own_answer(client, member_factory, survey):
    first, second = member_factory(), member_factory()
    engaging.survey_answer(survey_id=survey.pk, member_id=first.pk, answers=[10, 5, 0, "راز من"])
    log_in(client, second)
    page = client.get(f"/surveys/{survey.pk}/").content.decode()
    assert "راز من" not in page and 'data-testid="your-answer"' not in page
    assert 'data-testid="send-answers"' in page
    # Naming another member in the form changes nothing: the member is the session's
    client.post(f"/surveys/{survey.pk}/", {"q0": "3", "q1": "2", "q2": "1", "member_id": first.pk,
                                           "member": first.pk})
    assert SurveyAnswer.objects.get(member=first).answers == [10, 5, 0, "راز من"]
    assert SurveyAnswer.objects.get(member=second).answers == [3, 2, 1, None]


def test_strangers_go_to_the_login(client, survey):
    for url in ("/surveys/", f"/surveys/{survey.pk}/", "/purchases/1/review/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert client.post(f"/surveys/{survey.pk}/", {"q0": "9"}).status_code == 302
    assert SurveyAnswer.objects.count() == 0


# --- reviews --------------------------------------------------------------------------------------


def test_review_a_purchase_from_the_purchases_page(client, member, purchase):
    rule_create(data={"name": "Review thanks", "status": "live", "trigger": "review",
                      "effect": {"type": "fixed_points", "points": 15}})
    start = balance(member)
    log_in(client, member)
    listing = client.get("/history/purchases/").content.decode()
    assert f'href="/purchases/{purchase.pk}/review/" data-testid="review-{purchase.pk}"' in listing
    form = client.get(f"/purchases/{purchase.pk}/review/").content.decode()
    assert 'id="rating-5" value="5"' in form
    response = client.post(f"/purchases/{purchase.pk}/review/", {"rating": "۴", "text": "خوب بود"})
    assert response.status_code == 302 and response["Location"] == "/history/purchases/"
    review = Review.objects.get()
    assert (review.member_id, review.purchase_id, review.rating, review.text) == (member.pk, purchase.pk, 4, "خوب بود")
    assert balance(member) == start + 15
    listing = client.get("/history/purchases/").content.decode()
    assert f'data-testid="reviewed-{purchase.pk}"' in listing and "★★★★☆" in listing
    before = db_state(*WRITES)
    again = client.post(f"/purchases/{purchase.pk}/review/", {"rating": "1"}, follow=True)
    assert 'data-testid="your-review"' in again.content.decode()
    assert db_state(*WRITES) == before


def test_a_review_needs_stars(client, member, purchase):
    log_in(client, member)
    response = client.post(f"/purchases/{purchase.pk}/review/", {"rating": "", "text": "hm"})
    page = response.content.decode()
    assert response.status_code == 422 and 'data-testid="error-rating"' in page and ">hm</textarea>" in page
    assert Review.objects.count() == 0


def test_someone_elses_purchase_cannot_be_reviewed_or_seen(client, member_factory, merchant):
    owner, stranger = member_factory(), member_factory()
    purchase = purchase_record(merchant_id=merchant.pk, member_id=owner.pk, amount=500_000).purchase
    engaging.review_create(member_id=owner.pk, data={"purchase_id": purchase.pk, "rating": 2, "text": "secret"})
    log_in(client, stranger)
    before = db_state(*WRITES)
    assert client.get(f"/purchases/{purchase.pk}/review/").status_code == 404
    assert client.post(f"/purchases/{purchase.pk}/review/", {"rating": "5"}).status_code == 404
    assert client.get("/purchases/999999/review/").status_code == 404
    assert db_state(*WRITES) == before
    assert Survey.objects.count() == 0


def test_home_links_to_the_surveys_and_history_names_the_survey(client, member, survey):
    log_in(client, member)
    home = client.get("/").content.decode()
    assert 'data-testid="home-surveys"' in home and 'href="/surveys/" data-testid="home-surveys-link"' in home
    client.post(f"/surveys/{survey.pk}/", {"q0": "9", "q1": "5", "q2": "1"})
    history = client.get("/history/").content.decode()
    assert "نظرسنجی پاییز" in history and "+۳۰" in history
    assert 'data-testid="home-surveys-link"' in client.get("/").content.decode()  # now to the answers


def test_no_survey_no_card_on_home(client, member):
    log_in(client, member)
    assert 'data-testid="home-surveys"' not in client.get("/").content.decode()
