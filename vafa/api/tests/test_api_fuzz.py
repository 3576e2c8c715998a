"""Schemathesis against our own OpenAPI document: whatever a client sends that the schema
allows (and much that it does not), the API never answers 5xx."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def program(member, merchant):
    """Something for ids to find: a member with points and a purchase, a rule, a tier, a reward."""
    from vafa.commerce.services import purchase_record
    from vafa.program.catalog import reward_create
    from vafa.program.rules import rule_create, tier_create

    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=5_000_000)
    rule_create(data={"name": "x", "status": "live", "effect": {"type": "fixed_points", "points": 1}})
    tier_create(data={"code": "gold", "name": "Gold", "rank": 1})
    reward_create(name="R", kind="coupon_amount", cost_points=10, amount_rial=1000)
    return member


@pytest.fixture
def keep_connection():
    """Requests go straight to the WSGI app, not through Django's test client: keep the test's
    database connection open across them, as the test client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# One test per operation, each with its own id: pytest-xdist's `--dist loadgroup` (make test)
# runs items by id, and schemathesis' own parametrization gives them all the same one.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_no_request_makes_a_server_error(operation, api_key, program, keep_connection):
    headers = {"Authorization": f"Bearer {api_key}"}

    @settings(max_examples=12, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def no_server_error(case):
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    no_server_error()


def test_every_operation_is_fuzzed():
    assert len(OPERATIONS) >= 45
