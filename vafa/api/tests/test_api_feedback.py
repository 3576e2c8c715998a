"""The survey and review API (DESIGN: `POST`, `GET /api/v1/surveys`, `GET /surveys/{id}/results`):
shapes and exact figures, answering once, idempotency, and every refusal changing nothing: keys
without `engage`, partners, no key, unknown ids, bad bodies."""

import json

import pytest

from vafa.api.tests.test_api_errors import ApiClient
from vafa.api.tests.test_api_scopes import assert_error
from vafa.commerce.services import purchase_record
from vafa.core.models import AuditEntry
from vafa.core.tests.fixtures import balance, db_state
from vafa.engage.models import Campaign, Review, Survey, SurveyAnswer
from vafa.ledger.models import Transfer
from vafa.member_events.models import Event
from vafa.merchants.services import api_key_create, merchant_create
from vafa.program.rules import rule_create

pytestmark = pytest.mark.django_db
FEEDBACK = (Survey, SurveyAnswer, Review, Transfer, Event)
BODY = {"name": "Service survey", "description": "Two minutes", "points": 40, "questions": [
    {"type": "nps", "text": "Would you recommend us?"},
    {"type": "rating", "text": "The service"},
    {"type": "choice", "text": "Which branch?", "options": ["North", "South"]},
    {"type": "text", "text": "Anything else?", "required": False},
]}


@pytest.fixture
def survey(api):
    response = api.post("/surveys", BODY)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def purchase(member, merchant):
    return purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000).purchase


def test_a_survey_is_created_listed_and_read(api, survey, settings):
    assert {k: survey[k] for k in ("name", "description", "points", "status", "closes_at", "answers_count")} == {
        "name": "Service survey", "description": "Two minutes", "points": 40, "status": "open", "closes_at": None,
        "answers_count": 0}
    assert survey["questions"][2] == {"type": "choice", "text": "Which branch?", "required": True,
                                      "options": ["North", "South"]}
    assert survey["link"] == f"http://localhost:8000/surveys/{survey['id']}/"
    assert api.get(f"/surveys/{survey['id']}").json() == survey
    assert [s["id"] for s in api.get("/surveys").json()] == [survey["id"]]
    assert api.get("/surveys?status=closed").json() == []
    entry = AuditEntry.objects.get(action="api.survey.create")
    assert entry.target_id == str(survey["id"])


def test_answers_results_and_points_once(api, survey, member_factory):
    rule_create(data={"name": "Survey thanks", "status": "live", "trigger": "survey",
                      "effect": {"type": "fixed_points", "points": 10}})
    members = [member_factory() for _ in range(4)]
    given = [[10, 5, 0, "Great"], [9, 4, 1, None], [5, 2, 0, "Slow"], [7, 3, 1, None]]
    for m, answers in zip(members, given, strict=True):
        response = api.post(f"/surveys/{survey['id']}/answers", {"member_id": m.pk, "answers": answers})
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["complete"], body["points_awarded"], body["already_answered"]) == (True, 50, False)
    again = api.post(f"/surveys/{survey['id']}/answers", {"member_id": members[0].pk, "answers": [0, 1, 1, "no"]})
    assert again.status_code == 200 and again.json()["already_answered"] is True
    assert again.json()["answers"] == [10, 5, 0, "Great"]
    assert [balance(m) for m in members] == [50] * 4

    results = api.get(f"/surveys/{survey['id']}/results").json()
    assert results["answers"] == 4
    nps, rating, choice, text = results["questions"]
    # promoters 10, 9; detractor 5; passive 7: 50% - 25% = 25
    assert (nps["nps"], nps["promoters"], nps["passives"], nps["detractors"], nps["average"]) == (25, 2, 1, 1, 7.75)
    assert [d["count"] for d in nps["distribution"]] == [0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1]
    assert (rating["average"], [d["count"] for d in rating["distribution"]]) == (3.5, [0, 1, 1, 1, 1])
    assert choice["options"] == [{"index": 0, "option": "North", "count": 2, "percent": 50},
                                 {"index": 1, "option": "South", "count": 2, "percent": 50}]
    assert [t["text"] for t in text["texts"]] == ["Slow", "Great"]
    assert api.get(f"/surveys/{survey['id']}").json()["answers_count"] == 4

    page = api.get(f"/surveys/{survey['id']}/texts?question=3&limit=1").json()
    assert [t["text"] for t in page["items"]] == ["Slow"] and page["next_cursor"]
    rest = api.get(f"/surveys/{survey['id']}/texts?question=3&limit=1&cursor={page['next_cursor']}").json()
    assert [t["text"] for t in rest["items"]] == ["Great"] and rest["next_cursor"] is None
    mine = api.get(f"/surveys/{survey['id']}/answers?member_id={members[1].pk}").json()
    assert [a["answers"] for a in mine["items"]] == [[9, 4, 1, None]]
    assert len(api.get(f"/surveys/{survey['id']}/answers?limit=3").json()["items"]) == 3


def test_an_answer_with_an_idempotency_key_replays(api, survey, member):
    body = {"member_id": member.pk, "answers": [9, 4, 0, None]}
    first = api.post(f"/surveys/{survey['id']}/answers", body, headers={"Idempotency-Key": "a-1"})
    second = api.post(f"/surveys/{survey['id']}/answers", body, headers={"Idempotency-Key": "a-1"})
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true" and balance(member) == 40


def test_close_and_open(api, survey, member):
    closed = api.post(f"/surveys/{survey['id']}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    before = db_state(*FEEDBACK)
    assert_error(api.post(f"/surveys/{survey['id']}/answers", {"member_id": member.pk, "answers": [9, 4, 0, None]}),
                 409, "survey_closed")
    assert db_state(*FEEDBACK) == before
    assert api.post(f"/surveys/{survey['id']}/open").json()["status"] == "open"


def test_reviews_through_the_api(api, member, purchase, member_factory):
    rule_create(data={"name": "Review thanks", "status": "live", "trigger": "review",
                      "effect": {"type": "fixed_points", "points": 25}})
    start = balance(member)
    created = api.post("/reviews", {"member_id": member.pk, "purchase_id": purchase.pk, "rating": 5, "text": "Good"})
    assert created.status_code == 201, created.content
    review = created.json()
    assert {k: review[k] for k in ("member_id", "purchase_id", "rating", "text", "status", "points_awarded")} == {
        "member_id": member.pk, "purchase_id": purchase.pk, "rating": 5, "text": "Good", "status": "published",
        "points_awarded": 25}
    assert balance(member) == start + 25
    before = db_state(*FEEDBACK)
    assert_error(api.post("/reviews", {"member_id": member.pk, "purchase_id": purchase.pk, "rating": 1}), 409,
                 "review_exists")
    stranger = member_factory()
    assert_error(api.post("/reviews", {"member_id": stranger.pk, "purchase_id": purchase.pk, "rating": 1}), 404,
                 "purchase_not_found")
    assert db_state(*FEEDBACK) == before
    hidden = api.post(f"/reviews/{review['id']}/hide").json()
    assert (hidden["status"], hidden["points_awarded"]) == ("hidden", 25)
    assert api.get("/reviews?status=hidden").json()["items"][0]["id"] == review["id"]
    assert api.get("/reviews?status=published").json()["items"] == []
    assert api.get(f"/reviews?member_id={member.pk}&rating=5").json()["items"][0]["id"] == review["id"]
    assert api.post(f"/reviews/{review['id']}/publish").json()["status"] == "published"
    assert api.get(f"/reviews/{review['id']}").json()["status"] == "published"


def test_campaigns_and_automations_take_a_survey(api, survey, member_factory, settings):
    settings.VAFA_PUBLIC_URL = "https://club.example.ir"
    segment = api.post("/segments", {"name": "All"}).json()
    campaign = api.post("/campaigns", {"name": "Ask", "channel": "sms", "segment_id": segment["id"],
                                       "text": "Tell us: {survey_link}", "survey_id": survey["id"]})
    assert campaign.status_code == 201, campaign.content
    assert campaign.json()["survey_id"] == survey["id"]
    fan = member_factory()
    preview = api.get(f"/campaigns/{campaign.json()['id']}/preview?member_id={fan.pk}").json()
    assert preview["text"].startswith(f"Tell us: https://club.example.ir/surveys/{survey['id']}/")
    automation = api.post("/automations", {"name": "Welcome", "trigger": {"type": "joined"}, "channel": "sms",
                                           "text": "{survey_link}", "survey_id": survey["id"]})
    assert automation.status_code == 201 and automation.json()["survey_id"] == survey["id"]
    before = db_state(Campaign)
    assert_error(api.post("/campaigns", {"name": "x", "channel": "sms", "segment_id": segment["id"],
                                         "text": "{survey_link}"}), 422, "validation_error")
    assert_error(api.post("/campaigns", {"name": "x", "channel": "sms", "segment_id": segment["id"], "text": "x",
                                         "survey_id": 999}), 404, "survey_not_found")
    assert db_state(Campaign) == before


# --- refusals ----------------------------------------------------------------------------------------


CALLS = [
    ("get", "/surveys", None), ("post", "/surveys", BODY), ("get", "/surveys/S", None),
    ("get", "/surveys/S/results", None), ("get", "/surveys/S/texts?question=3", None),
    ("get", "/surveys/S/answers", None), ("post", "/surveys/S/answers", {"member_id": "M", "answers": [9, 4, 0, None]}),
    ("post", "/surveys/S/close", None), ("post", "/surveys/S/open", None), ("get", "/reviews", None),
    ("post", "/reviews", {"member_id": "M", "purchase_id": "P", "rating": 5}), ("get", "/reviews/R", None),
    ("post", "/reviews/R/hide", None), ("post", "/reviews/R/publish", None),
]


@pytest.mark.parametrize(("method", "path", "body"), CALLS)
def test_keys_without_engage_partners_and_no_key_are_refused_and_change_nothing(api, merchant, survey, member,
                                                                                purchase, method, path, body):
    review = api.post("/reviews", {"member_id": member.pk, "purchase_id": purchase.pk, "rating": 4}).json()
    ids = {"S": survey["id"], "M": member.pk, "P": purchase.pk, "R": review["id"]}
    path = "/".join(str(ids.get(part, part)) for part in path.split("/"))
    body = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in (body or {}).items()}
    own = ApiClient(api_key_create(merchant=merchant, scopes=["members:read", "members:write", "purchases"])[1])
    partner = ApiClient(api_key_create(merchant=merchant_create(name="Partner"))[1])
    before = db_state(*FEEDBACK)
    for client, status in ((own, 403), (partner, 403), (ApiClient(None), 401)):
        response = client.client.generic(method.upper(), f"/api/v1{path}", data=json.dumps(body),
                                         content_type="application/json", headers=client.headers)
        assert_error(response, status, "forbidden" if status == 403 else "unauthorized")
    assert db_state(*FEEDBACK) == before


@pytest.mark.parametrize(("method", "path", "code"), [
    ("get", "/surveys/999", "survey_not_found"), ("get", "/surveys/abc/results", "survey_not_found"),
    ("get", "/surveys/-1/answers", "survey_not_found"), ("get", "/surveys/1e3/texts?question=0", "survey_not_found"),
    ("post", "/surveys/999/close", "survey_not_found"), ("post", "/surveys/99999999999999999999/open",
                                                         "survey_not_found"),
    ("get", "/reviews/999", "review_not_found"), ("post", "/reviews/x/hide", "review_not_found"),
    ("get", "/reviews?member_id=999", "member_not_found"),
])
def test_unknown_ids_are_404(api, method, path, code):
    response = getattr(api, method)(path)
    assert_error(response, 404, code)


@pytest.mark.parametrize(("path", "body", "status", "code"), [
    ("/surveys", {"name": "x"}, 422, "validation_error"),
    ("/surveys", {"name": "x", "questions": [{"type": "choice", "text": "q", "options": ["a"]}]}, 422,
     "validation_error"),
    ("/surveys", {"name": "x", "questions": [{"type": "nps", "text": "q"}], "points": -1}, 422, "validation_error"),
    ("/surveys", {"name": "x", "questions": [{"type": "nps", "text": "q"}], "status": "closed"}, 422,
     "validation_error"),
    ("/surveys", {"name": "", "questions": [{"type": "nps", "text": "q"}]}, 422, "validation_error"),
    ("/surveys", {"name": "x", "questions": [{"type": "nps", "text": "q"}], "closes_at": "2020-01-01T00:00:00Z"},
     422, "validation_error"),
    ("/surveys/S/answers", {"member_id": "M", "answers": [11, 4, 0, None]}, 422, "validation_error"),
    ("/surveys/S/answers", {"member_id": "M", "answers": [9, 4, 0]}, 422, "validation_error"),
    ("/surveys/S/answers", {"member_id": "M", "answers": [None, 4, 0, None]}, 422, "validation_error"),
    ("/surveys/S/answers", {"member_id": "M", "answers": [9.5, 4, 0, None]}, 422, "validation_error"),
    ("/surveys/S/answers", {"member_id": 999, "answers": [9, 4, 0, None]}, 404, "member_not_found"),
    ("/surveys/S/answers", {"answers": [9, 4, 0, None]}, 422, "validation_error"),
    ("/reviews", {"member_id": "M", "purchase_id": "P", "rating": 6}, 422, "validation_error"),
    ("/reviews", {"member_id": "M", "purchase_id": 999, "rating": 5}, 404, "purchase_not_found"),
    ("/reviews", {"member_id": "M", "purchase_id": "P"}, 422, "validation_error"),
])
def test_bad_bodies_are_refused_and_change_nothing(api, survey, member, purchase, path, body, status, code):
    ids = {"S": survey["id"], "M": member.pk, "P": purchase.pk}
    path = "/".join(str(ids.get(part, part)) for part in path.split("/"))
    body = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    before = db_state(*FEEDBACK)
    details = assert_error(api.post(path, body), status, code)
    assert details
    assert db_state(*FEEDBACK) == before


def test_an_answer_error_names_the_question(api, survey, member):
    details = assert_error(api.post(f"/surveys/{survey['id']}/answers",
                                    {"member_id": member.pk, "answers": [None, 9, 5, None]}), 422, "validation_error")
    assert details == {"answers[0]": "required", "answers[1]": "an integer from 1 to 5",
                       "answers[2]": "an option's index, from 0 to 1"}


def test_bad_queries_are_422(api, survey):
    for path in ("/surveys?status=gone", f"/surveys/{survey['id']}/texts", f"/surveys/{survey['id']}/texts?question=0",
                 f"/surveys/{survey['id']}/answers?limit=0", f"/surveys/{survey['id']}/answers?cursor=x",
                 "/reviews?rating=9", "/reviews?status=lost", "/reviews?limit=500"):
        assert_error(api.get(path), 422, "validation_error")
