"""No figure overflows: a rule that could award beyond the bound is refused when saved, and a
purchase whose points would pass it is a 422 that changes nothing (never a 500)."""

import pytest

from vafa.api.tests.test_api_errors import assert_error
from vafa.core.limits import MAX_AWARD_POINTS, MAX_BALANCE, MAX_RIAL
from vafa.core.tests.fixtures import REQUEST_WRITES, balance, db_state
from vafa.program.models import ProgramSettings, Rule
from vafa.program.rules import rule_create

pytestmark = pytest.mark.django_db


def _rule(points, per_rial, name="generous"):
    return rule_create(data={"name": name, "status": "live", "trigger": "purchase",
                             "effect": {"type": "points_per_amount", "points": points, "per_rial": per_rial}})


def test_a_rule_that_could_award_beyond_the_bound_is_refused(api):
    body = {"name": "huge", "status": "live", "trigger": "purchase",
            "effect": {"type": "points_per_amount", "points": 10**9, "per_rial": 1}}
    details = assert_error(api.post("/program/rules", body), 422, "validation_error")
    assert "one point per Rial" in details["effect.points"]
    assert not Rule.objects.exists()
    assert api.post("/program/rules", {**body, "effect": {"type": "points_per_amount", "points": 1,
                                                           "per_rial": 1}}).status_code == 201


def test_a_purchase_whose_points_would_pass_the_bound_is_refused(api, member):
    _rule(1, 1, "a point per Rial")
    _rule(1, 1, "and another")
    before = db_state(*REQUEST_WRITES)
    response = api.post("/purchases", {"member_id": member.pk, "amount": MAX_RIAL})
    details = assert_error(response, 422, "validation_error")
    assert str(MAX_AWARD_POINTS) in details["amount"]
    assert db_state(*REQUEST_WRITES) == before
    half = api.post("/purchases", {"member_id": member.pk, "amount": MAX_RIAL // 4})
    assert half.status_code == 201 and half.json()["points_earned"] == MAX_RIAL // 2 + MAX_RIAL // 4 // 10_000


def test_a_balance_never_passes_its_bound(api, member):
    _rule(1, 1)
    for n in range(MAX_BALANCE // MAX_RIAL - 1):
        assert api.post("/purchases", {"member_id": member.pk, "amount": MAX_RIAL - MAX_RIAL // 10_000 - 1,
                                       "external_id": f"b-{n}"}).status_code == 201
    before = db_state(*REQUEST_WRITES)
    assert_error(api.post("/purchases", {"member_id": member.pk, "amount": MAX_RIAL}), 422, "validation_error")
    assert db_state(*REQUEST_WRITES) == before
    assert balance(member) < MAX_BALANCE


def test_the_base_rate_is_at_most_a_point_per_rial(db):
    from django.core.exceptions import ValidationError

    settings = ProgramSettings(earn_points=2, earn_per_rial=1)
    with pytest.raises(ValidationError) as caught:
        settings.clean()
    assert "earn_points" in caught.value.message_dict
    ProgramSettings(earn_points=1, earn_per_rial=1).clean()
