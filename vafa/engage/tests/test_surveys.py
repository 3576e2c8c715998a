"""Surveys: questions checked, a member answers once, a complete answer earns the survey's points
and the `survey` rules exactly once (through the ledger, in the answer's transaction), results
with exact figures (NPS, counts per option, rating average and distribution, texts paged), and
`{survey_link}` in campaigns and automations."""

from datetime import timedelta

import pytest
from django.utils import timezone

from vafa.core.errors import MemberBlocked, SurveyClosed, SurveyNotFound, ValidationFailed
from vafa.core.tests.fixtures import assert_ledger_ok, balance, db_state
from vafa.engage import selectors as engage
from vafa.engage import services as engaging
from vafa.engage.models import Campaign, Survey, SurveyAnswer
from vafa.engage.surveys import nps_of, percent_of
from vafa.ledger.models import Lot, Transfer
from vafa.member_events.models import Event
from vafa.program.rules import rule_create

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"type": "nps", "text": "How likely are you to recommend us to a friend?"},
    {"type": "rating", "text": "How was the service?"},
    {"type": "choice", "text": "What did you buy most?", "options": ["Tea", "Coffee", "Sweets"]},
    {"type": "text", "text": "Anything else?", "required": False},
]
FEEDBACK = (Survey, SurveyAnswer, Transfer, Lot, Event)


def make_survey(**kwargs) -> Survey:
    data = {"name": "Autumn survey", "questions": QUESTIONS, "points": 50, **kwargs}
    return engaging.survey_create(data=data, created_by="test")


# --- creating ---------------------------------------------------------------------------------------


def test_a_survey_is_stored_with_its_questions_normalised():
    survey = make_survey(description="Two minutes")
    assert (survey.name, survey.description, survey.points, survey.status) == ("Autumn survey", "Two minutes", 50,
                                                                                "open")
    assert survey.questions == [
        {"type": "nps", "text": "How likely are you to recommend us to a friend?", "required": True},
        {"type": "rating", "text": "How was the service?", "required": True},
        {"type": "choice", "text": "What did you buy most?", "required": True, "options": ["Tea", "Coffee", "Sweets"]},
        {"type": "text", "text": "Anything else?", "required": False},
    ]


@pytest.mark.parametrize(("questions", "path", "why"), [
    ([], "questions", "a list of 1 to 30 questions"),
    ([{"type": "text", "text": "q"}] * 31, "questions", "a list of 1 to 30 questions"),
    ([{"type": "stars", "text": "q"}], "questions[0].type", "nps, rating, choice or text"),
    ([{"type": "choice", "text": "q", "options": ["only"]}], "questions[0].options", "a choice needs 2 to 20 options"),
    ([{"type": "choice", "text": "q", "options": [str(i) for i in range(21)]}], "questions[0].options",
     "a choice needs 2 to 20 options"),
    ([{"type": "choice", "text": "q", "options": ["a", "a"]}], "questions[0].options",
     "options must differ from each other"),
    ([{"type": "rating", "text": "q", "options": ["a", "b"]}], "questions[0].options",
     "only a choice has options, not rating"),
    ([{"type": "nps", "text": ""}], "questions[0].text", "required, at most 300 characters"),
    ([{"type": "nps", "text": "q" * 301}], "questions[0].text", "required, at most 300 characters"),
    ([{"type": "choice", "text": "q", "options": ["a", "b" * 101]}], "questions[0].options[1]",
     "an option of 1 to 100 characters"),
    ([{"type": "nps", "text": "q", "required": "yes"}], "questions[0].required", "true or false"),
])
def test_bad_questions_are_refused_and_nothing_is_stored(questions, path, why):
    with pytest.raises(ValidationFailed) as refused:
        engaging.survey_create(data={"name": "x", "questions": questions})
    assert refused.value.details == {path: why}
    assert Survey.objects.count() == 0


# --- answering and points ---------------------------------------------------------------------------


def test_a_complete_answer_earns_the_survey_points_and_the_survey_rules_once(member):
    rule = rule_create(data={"name": "Thanks for your opinion", "status": "live", "trigger": "survey",
                             "effect": {"type": "fixed_points", "points": 7}})
    survey = make_survey()
    done = engaging.survey_answer(survey_id=survey.pk, member_id=member.pk, answers=[9, 4, 1, "  Great tea  "])
    assert done.created and done.answer.complete and done.answer.points_awarded == 57
    assert done.answer.answers == [9, 4, 1, "Great tea"]
    assert done.balance_after == 57 and balance(member) == 57
    own = Transfer.objects.get(source_kind="survey")
    assert (own.kind, own.amount, own.rule, own.source_id, own.memo) == (
        "bonus", 50, f"survey:{survey.pk}", done.answer.pk, "Autumn survey: answered")
    event = Event.objects.get()
    assert (event.type, event.key, event.points_earned, event.properties) == (
        "survey", f"survey:{survey.pk}:member:{member.pk}", 7, {"survey_id": survey.pk, "answer_id": done.answer.pk})
    assert Transfer.objects.get(source_kind="event").rule == str(rule.pk)

    again = engaging.survey_answer(survey_id=survey.pk, member_id=member.pk, answers=[0, 1, 0, "changed my mind"])
    assert not again.created and again.answer.pk == done.answer.pk
    assert SurveyAnswer.objects.get().answers == [9, 4, 1, "Great tea"]  # the earlier answer, unchanged
    assert balance(member) == 57 and Transfer.objects.count() == 2 and Event.objects.count() == 1
    assert_ledger_ok()


def test_survey_points_expire_as_the_program_says(member):
    survey = make_survey(points=10)
    engaging.survey_answer(survey_id=survey.pk, member_id=member.pk, answers=[10, 5, 0, None])
    lot = Lot.objects.get()
    assert lot.amount == 10 and lot.expires_at is not None and lot.expires_at > timezone.now() + timedelta(days=300)


def test_a_survey_without_points_or_rules_records_the_answer_and_gives_nothing(member):
    survey = make_survey(points=0)
    done = engaging.survey_answer(survey_id=survey.pk, member_id=member.pk, answers=[8, 3, 2, None])
    assert done.created and done.answer.points_awarded == 0 and balance(member) == 0
    assert Transfer.objects.count() == 0 and Event.objects.count() == 0


@pytest.mark.parametrize(("answers", "details"), [
    ([None, 4, 1, None], {"answers[0]": "required"}),
    ([11, 4, 1, None], {"answers[0]": "an integer from 0 to 10"}),
    ([-1, 0, 3, 5], {"answers[0]": "an integer from 0 to 10", "answers[1]": "an integer from 1 to 5",
                     "answers[2]": "an option's index, from 0 to 2",
                     "answers[3]": "a text of at most 2000 characters"}),
    ([True, 4, 1, None], {"answers[0]": "an integer from 0 to 10"}),
    (["9", 4, 1, None], {"answers[0]": "an integer from 0 to 10"}),
    ([9, 4, 1, "x" * 2001], {"answers[3]": "a text of at most 2000 characters"}),
    ([9, 4, 1], {"answers": "a list of 4 answers, one per question"}),
    ("9,4,1", {"answers": "a list of 4 answers, one per question"}),
])
def test_wrong_answers_are_refused_naming_each_and_change_nothing(member, answers, details):
    survey = make_survey()
    before = db_state(*FEEDBACK)
    with pytest.raises(ValidationFailed) as refused:
        engaging.survey_answer(survey_id=survey.pk, member_id=member.pk, answers=answers)
    assert refused.value.details == details
    assert db_state(*FEEDBACK) == before and balance(member) == 0


def test_all_questions_optional_still_needs_one_answer(member):
    survey = make_survey(questions=[{"type": "text", "text": "Say something", "required": False}])
    with pytest.raises(ValidationFailed) as refused:
        engaging.survey_answer(survey_id=survey.pk, member_id=member.pk, answers=["   "])
    assert refused.value.details == {"answers": "answer at least one question"}


def test_a_closed_draft_or_expired_survey_takes_no_answers(member):
    closed = make_survey()
    engaging.survey_close(survey_id=closed.pk)
    draft = make_survey(status="draft")
    expired = make_survey(closes_at=timezone.now() + timedelta(days=1))
    Survey.objects.filter(pk=expired.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    expired.refresh_from_db()
    before = db_state(*FEEDBACK)
    for survey, state in ((closed, "closed"), (draft, "draft"), (expired, "closed")):
        with pytest.raises(SurveyClosed) as refused:
            engaging.survey_answer(survey_id=survey.pk, member_id=member.pk, answers=[9, 4, 1, None])
        assert refused.value.details == {"status": state}
    assert db_state(*FEEDBACK) == before
    assert engage.survey_state(expired) == "closed"
    assert [s.pk for s in engage.survey_list(status="open")] == []
    assert {s.pk for s in engage.survey_list(status="closed")} == {closed.pk, expired.pk}
    with pytest.raises(SurveyClosed):
        engaging.survey_open(survey_id=expired.pk)
    assert engaging.survey_open(survey_id=draft.pk).status == "open"


def test_a_survey_cannot_close_in_the_past():
    with pytest.raises(ValidationFailed) as refused:
        make_survey(closes_at=timezone.now() - timedelta(seconds=1))
    assert set(refused.value.details) == {"closes_at"} and Survey.objects.count() == 0


def test_a_blocked_member_cannot_answer(member):
    from vafa.members.services import member_block

    survey = make_survey()
    member_block(member_id=member.pk)
    with pytest.raises(MemberBlocked):
        engaging.survey_answer(survey_id=survey.pk, member_id=member.pk, answers=[9, 4, 1, None])
    assert SurveyAnswer.objects.count() == 0


def test_unknown_surveys_and_members(member):
    for raw in (999, "abc", "-1", "1e3"):
        with pytest.raises(SurveyNotFound):
            engaging.survey_answer(survey_id=raw, member_id=member.pk, answers=[])
    from vafa.core.errors import MemberNotFound

    survey = make_survey()
    with pytest.raises(MemberNotFound):
        engaging.survey_answer(survey_id=survey.pk, member_id=999_999, answers=[9, 4, 1, None])


# --- results -------------------------------------------------------------------------------------


def test_nps_and_rounding_rules():
    assert nps_of([]) is None
    assert nps_of([10, 9, 8, 7, 6, 0]) == 0  # 2 promoters, 2 passives, 2 detractors
    assert nps_of([10, 9, 9, 8, 3]) == 40  # 60% - 20%
    assert nps_of([9, 7, 7]) == 33  # 33.33 -> 33
    assert nps_of([9, 9, 7]) == 67  # 66.67 -> 67
    assert nps_of([0, 9, 7, 7, 7, 7, 7, 7]) == 0
    assert nps_of([9, 7, 7, 7, 7, 7, 7, 7]) == 13  # 12.5 -> 13 (half away from zero)
    assert nps_of([0, 7, 7, 7, 7, 7, 7, 7]) == -13
    assert nps_of([0, 1, 2]) == -100 and nps_of([9, 10]) == 100
    assert (percent_of(1, 3), percent_of(2, 3), percent_of(1, 8), percent_of(0, 0)) == (33, 67, 13, 0)


def test_results_on_a_constructed_set_of_answers(member_factory):
    survey = make_survey()
    given = [
        [10, 5, 0, "Lovely tea"],
        [9, 4, 0, None],
        [9, 4, 1, "Too expensive"],
        [8, 3, 0, None],
        [7, 5, 2, "  "],
        [6, 2, 1, None],
        [3, 1, 0, "Slow service"],
    ]
    members = [member_factory() for _ in given]
    for m, answers in zip(members, given, strict=True):
        engaging.survey_answer(survey_id=survey.pk, member_id=m.pk, answers=answers)
    results = engage.survey_results(survey)
    assert results["survey_id"] == survey.pk and results["answers"] == 7
    nps, rating, choice, text = results["questions"]
    # 3 promoters (10, 9, 9), 2 passives (8, 7), 2 detractors (6, 3): 3/7 - 2/7 = 14.29% -> 14
    assert {k: nps[k] for k in ("type", "answered", "nps", "promoters", "passives", "detractors", "average")} == {
        "type": "nps", "answered": 7, "nps": 14, "promoters": 3, "passives": 2, "detractors": 2, "average": 7.43}
    assert [d["count"] for d in nps["distribution"]] == [0, 0, 0, 1, 0, 0, 1, 1, 1, 2, 1]
    assert [d["score"] for d in nps["distribution"]] == list(range(11))
    # 5+4+4+3+5+2+1 = 24 / 7 = 3.428... -> 3.43
    assert rating["average"] == 3.43 and rating["answered"] == 7
    assert rating["distribution"] == [{"score": 1, "count": 1}, {"score": 2, "count": 1}, {"score": 3, "count": 1},
                                      {"score": 4, "count": 2}, {"score": 5, "count": 2}]
    assert choice["options"] == [{"index": 0, "option": "Tea", "count": 4, "percent": 57},
                                 {"index": 1, "option": "Coffee", "count": 2, "percent": 29},
                                 {"index": 2, "option": "Sweets", "count": 1, "percent": 14}]
    assert text["answered"] == 3  # a blank text is no answer
    assert [t["text"] for t in text["texts"]] == ["Slow service", "Too expensive", "Lovely tea"]
    assert text["texts"][0]["member_id"] == members[6].pk


def test_text_answers_are_paged_newest_first(member_factory):
    survey = make_survey(questions=[{"type": "text", "text": "Tell us"}, {"type": "rating", "text": "Stars"}])
    for n in range(5):
        engaging.survey_answer(survey_id=survey.pk, member_id=member_factory().pk, answers=[f"text {n}", 5])
    first, cursor = engage.survey_texts(survey, index=0, limit=2)
    assert [t["text"] for t in first] == ["text 4", "text 3"] and cursor == first[-1]["answer_id"]
    second, cursor = engage.survey_texts(survey, index=0, before_id=cursor, limit=2)
    assert [t["text"] for t in second] == ["text 2", "text 1"]
    last, cursor = engage.survey_texts(survey, index=0, before_id=cursor, limit=2)
    assert [t["text"] for t in last] == ["text 0"] and cursor is None
    with pytest.raises(ValidationFailed):
        engage.survey_texts(survey, index=1)


def test_results_of_a_survey_nobody_answered():
    survey = make_survey()
    results = engage.survey_results(survey)
    assert results["answers"] == 0
    nps, rating, choice, text = results["questions"]
    assert (nps["nps"], nps["average"], rating["average"]) == (None, None, None)
    assert [o["percent"] for o in choice["options"]] == [0, 0, 0] and text["texts"] == []


def test_the_member_page_feedback(member, merchant):
    survey = make_survey()
    engaging.survey_answer(survey_id=survey.pk, member_id=member.pk, answers=[9, 4, 2, "Nice"])
    feedback = engage.member_feedback(member_id=member.pk)
    (entry,) = feedback["answers"]
    assert entry["survey"] == survey
    assert [item["shown"] for item in entry["items"]] == [9, 4, "Sweets", "Nice"]
    assert feedback["reviews"] == []


def test_member_surveys_lists_waiting_and_answered(member):
    answered = make_survey(name="First")
    waiting = make_survey(name="Second")
    make_survey(name="Draft", status="draft")
    closed = make_survey(name="Closed")
    engaging.survey_close(survey_id=closed.pk)
    engaging.survey_answer(survey_id=answered.pk, member_id=member.pk, answers=[9, 4, 2, None])
    todo, done = engage.member_surveys(member_id=member.pk)
    assert [s.survey.pk for s in todo] == [waiting.pk]
    assert [(s.survey.pk, s.answer.points_awarded) for s in done] == [(answered.pk, 50)]


# --- {survey_link} ---------------------------------------------------------------------------------


def test_a_campaign_with_a_survey_fills_survey_link(settings, member_factory, sms_file):
    from vafa.engage.tests.conftest import sent_lines, work

    settings.VAFA_PUBLIC_URL = "https://club.example.ir"
    survey = make_survey()
    fan = member_factory(consents={"sms": True})
    segment = engaging.segment_create(data={"name": "Fans", "conditions": {"members": [fan.pk]}})
    campaign = engaging.campaign_create(data={"name": "Ask", "channel": "sms", "segment_id": segment.pk,
                                              "purpose": "service", "text": "Your opinion: {survey_link}",
                                              "survey_id": survey.pk})
    assert campaign.survey_id == survey.pk
    preview = engage.campaign_preview(campaign_id=campaign.pk)
    assert preview["text"] == f"Your opinion: https://club.example.ir/surveys/{survey.pk}/"
    assert preview["missing"] == []
    engaging.campaign_schedule(campaign_id=campaign.pk)
    now = timezone.now()
    work(now)
    work(now + timedelta(minutes=1))
    assert [line["text"] for line in sent_lines(sms_file)] == [
        f"Your opinion: https://club.example.ir/surveys/{survey.pk}/"]


def test_survey_link_needs_a_survey_and_an_unknown_one_is_refused(member):
    segment = engaging.segment_create(data={"name": "All"})
    before = db_state(Campaign)
    with pytest.raises(ValidationFailed) as refused:
        engaging.campaign_create(data={"name": "x", "channel": "sms", "segment_id": segment.pk,
                                       "text": "Answer {survey_link}"})
    assert refused.value.details == {"survey_id": "required by the {survey_link} placeholder"}
    with pytest.raises(SurveyNotFound):
        engaging.campaign_create(data={"name": "x", "channel": "sms", "segment_id": segment.pk,
                                       "text": "Answer {survey_link}", "survey_id": 999})
    with pytest.raises(ValidationFailed):
        engaging.automation_create(data={"name": "x", "trigger": {"type": "birthday"}, "channel": "sms",
                                         "text": "{survey_link}"})
    assert db_state(Campaign) == before


def test_an_automation_with_a_survey_fills_survey_link(settings, member_factory):
    from vafa.engage.automations import _write
    from vafa.engage.models import Message

    settings.VAFA_PUBLIC_URL = "https://club.example.ir/"
    survey = make_survey()
    fan = member_factory(consents={"sms": True})
    automation = engaging.automation_create(data={"name": "After a purchase", "channel": "sms",
                                                  "purpose": "service", "trigger": {"type": "joined"},
                                                  "text": "{first_name}: {survey_link}", "survey_id": survey.pk})
    assert automation.survey_id == survey.pk
    assert _write(automation, [(fan.pk, "joined", {})], timezone.now()) == 1
    assert Message.objects.get().text == f"سارا: https://club.example.ir/surveys/{survey.pk}/"
