"""Surveys and reviews under concurrent submits on PostgreSQL: the same member answering one
survey from two threads at once earns once; the same purchase reviewed twice at once is reviewed
(and rewarded) once."""

import pytest

from vafa.core.errors import ReviewExists
from vafa.core.tests.fixtures import assert_ledger_ok, balance
from vafa.engage import services as engaging
from vafa.engage.models import Review, SurveyAnswer
from vafa.ledger.models import Transfer
from vafa.ledger.tests.test_concurrency_postgres import run_together
from vafa.member_events.models import Event
from vafa.program.rules import rule_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_member_answering_twice_at_once_earns_once(member):
    rule_create(data={"name": "Survey thanks", "status": "live", "trigger": "survey",
                      "effect": {"type": "fixed_points", "points": 5}})
    survey = engaging.survey_create(data={"name": "Quick", "points": 30, "questions": [
        {"type": "nps", "text": "Recommend us?"}, {"type": "choice", "text": "Why?", "options": ["Price", "Taste"]}]})

    results = run_together(2, lambda i: engaging.survey_answer(survey_id=survey.pk, member_id=member.pk,
                                                               answers=[10 - i, i]))

    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(r.created for r in results) == [False, True]
    answer = SurveyAnswer.objects.get()
    assert {r.answer.pk for r in results} == {answer.pk}
    assert answer.points_awarded == 35 and balance(member) == 35
    assert Transfer.objects.filter(source_kind="survey").count() == 1
    assert Event.objects.filter(type="survey").count() == 1
    assert_ledger_ok()


def test_one_purchase_reviewed_twice_at_once_is_reviewed_once(member, merchant):
    from vafa.commerce.services import purchase_record

    rule_create(data={"name": "Review thanks", "status": "live", "trigger": "review",
                      "effect": {"type": "fixed_points", "points": 15}})
    purchase = purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000).purchase
    start = balance(member)

    results = run_together(2, lambda i: engaging.review_create(member_id=member.pk, data={
        "purchase_id": purchase.pk, "rating": 5 - i}))

    assert sorted(type(r).__name__ for r in results) == ["Review", "ReviewExists"]
    assert isinstance(next(r for r in results if not isinstance(r, Review)), ReviewExists)
    assert Review.objects.count() == 1 and balance(member) == start + 15
    assert Event.objects.filter(type="review").count() == 1
    assert_ledger_ok()
