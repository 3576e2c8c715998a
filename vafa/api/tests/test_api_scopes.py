"""Keys do only what their scopes allow; partners spend points only with the member present."""

import json

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import override_settings

from vafa.api.auth import ApiKeyAuth
from vafa.api.tests.test_api_errors import ApiClient
from vafa.api.urls import api as vafa_api
from vafa.commerce.models import Purchase
from vafa.core.errors import ValidationFailed
from vafa.core.models import OutboxEntry
from vafa.core.tests.fixtures import balance, db_state
from vafa.ledger.models import Transfer
from vafa.members.models import Member, SpendCode
from vafa.members.services import spend_code_issue
from vafa.merchants.models import PARTNER_FORBIDDEN_SCOPES, ApiKey, Scope
from vafa.merchants.services import api_key_create, merchant_create
from vafa.program.models import ProgramSettings
from vafa.usecases.points import member_adjust

NATIONAL_ID = "0084575948"


def assert_error(response, status: int, code: str) -> dict:
    """The one error shape with this status and code; answers its details."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code and body["error"]["message"], body
    return body["error"]["details"]


def _operations():
    for _prefix, router in vafa_api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                yield path, operation


def test_every_endpoint_names_its_scope():
    seen = 0
    for path, operation in _operations():
        auths = [a for a in (operation.auth_callbacks or []) if isinstance(a, ApiKeyAuth)]
        assert len(auths) == 1 and auths[0].scope in Scope.values, (path, operation.methods)
        seen += 1
    assert seen >= 48


@pytest.fixture
def funded(member_factory, merchant):
    member = member_factory(phone="09121110000", national_id=NATIONAL_ID)
    member_adjust(merchant_id=merchant.id, member_id=member.id, points=1_000, reason="set-up")
    return member


def _client(merchant, *scopes):
    return ApiClient(api_key_create(merchant=merchant, scopes=list(scopes) if scopes else None)[1])


WRITES = (Purchase, Transfer, Member, SpendCode, ProgramSettings)  # (a key's last use may change)


@pytest.mark.parametrize(("scopes", "method", "path", "body"), [
    (["members:read"], "post", "/purchases", {"member_id": "M", "amount": 100_000}),
    (["purchases"], "post", "/purchases", {"member_id": "M", "amount": 100_000, "redeem_points": 10}),
    (["purchases", "points:spend"], "post", "/members/M/adjustments", {"points": 50, "reason": "x"}),
    (["members:read"], "post", "/members/M/redemptions", {"points": 10}),
    (["members:read", "purchases"], "put", "/program", {"version": "1", "point_value": 1_000_000}),
    (["purchases"], "get", "/members/M", None),
    (["members:read"], "post", "/members", {"phone": "09351112233", "first_name": "a", "last_name": "b"}),
])
def test_a_key_without_the_scope_is_forbidden_and_changes_nothing(funded, merchant, scopes, method, path, body):
    client = _client(merchant, *scopes)
    path = path.replace("M", str(funded.id))
    body = {k: (funded.id if v == "M" else v) for k, v in (body or {}).items()}
    before = db_state(*WRITES)
    if method == "get":
        response = client.get(path)
    else:
        response = client.client.generic(method.upper(), f"/api/v1{path}", data=json.dumps(body),
                                         content_type="application/json", headers=client.headers)
    assert_error(response, 403, "forbidden")
    assert db_state(*WRITES) == before
    assert balance(funded) == 1_000


def test_national_codes_are_masked_without_members_pii(funded, merchant):
    plain = _client(merchant, "members:read")
    assert plain.get(f"/members/{funded.id}").json()["national_id"] == "******5948"
    assert plain.get("/members?phone=09121110000").json()[0]["national_id"] == "******5948"
    full = _client(merchant, "members:read", "members:pii")
    assert full.get(f"/members/{funded.id}").json()["national_id"] == NATIONAL_ID


def test_a_partner_key_cannot_hold_the_operators_scopes(merchant):
    partner = merchant_create(name="شریک")
    for scope in PARTNER_FORBIDDEN_SCOPES:
        with pytest.raises(ValidationFailed) as caught:
            api_key_create(merchant=partner, scopes=["members:read", scope])
        assert "partner" in caught.value.details["scopes"]
    key, _raw = api_key_create(merchant=partner)
    assert set(key.scopes) == set(Scope.values) - PARTNER_FORBIDDEN_SCOPES
    assert ApiKey.objects.filter(merchant=partner).count() == 1
    operator_key, _raw = api_key_create(merchant=merchant)
    assert set(operator_key.scopes) == set(Scope.values)


def test_unknown_or_no_scopes_are_refused(merchant):
    for scopes in (["members:read", "everything"], [], [" "]):
        with pytest.raises(ValidationFailed):
            api_key_create(merchant=merchant, scopes=scopes)
    assert not ApiKey.objects.exists()


def test_create_api_key_prints_the_key_last(merchant, capsys):
    call_command("create_api_key", "--merchant", merchant.name, "--scopes", "purchases,members:read")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    key = ApiKey.objects.get()
    assert raw.startswith(f"vafa_{key.prefix}_") and key.scopes == ["members:read", "purchases"]
    response = ApiClient(raw).post("/purchases", {"phone": "09121234567", "amount": 1})
    assert response.status_code == 404  # allowed in: the member does not exist


def test_create_api_key_refuses_a_partner_the_program_scope(merchant):
    merchant_create(name="partner")
    with pytest.raises(CommandError, match="partner"):
        call_command("create_api_key", "--merchant", "partner", "--scopes", "program")
    assert not ApiKey.objects.exists()


# --- partners spend points only with the member's proof of presence ---------------------------


@pytest.fixture
def partner(merchant):
    return merchant_create(name="کافه شریک")


def _spend(client, member, code=None, points=100, key=None):
    body = {"member_id": member.id, "amount": 2_000_000, "redeem_points": points}
    if code is not None:
        body["member_code"] = code
    return client.post("/purchases", body, headers={"Idempotency-Key": key} if key else None)


def test_a_partner_cannot_spend_points_without_the_members_code(funded, partner):
    client = _client(partner)
    for code in (None, "", "123456", "۱۲۳"):
        before = db_state(*WRITES)
        details = assert_error(_spend(client, funded, code), 403, "forbidden")
        assert "member_code" in details
        assert db_state(*WRITES) == before
    redeem = client.post(f"/members/{funded.id}/redemptions", {"points": 10})
    assert_error(redeem, 403, "forbidden")
    assert balance(funded) == 1_000


def test_a_partner_spends_with_the_code_from_the_portal_once(funded, partner):
    client = _client(partner)
    _spend_code, code = spend_code_issue(member_id=funded.id, via="portal")
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    response = _spend(client, funded, persian, key="p-1")
    assert response.status_code == 201, response.content
    assert response.json()["points_redeemed"] == 100
    used = SpendCode.objects.get()
    assert used.used_at is not None and used.used_by_id == partner.pk
    # a retry of the same request replays the answer, though the code is used
    assert _spend(client, funded, persian, key="p-1").json() == response.json()
    # but the code does not spend again
    before = db_state(*WRITES)
    assert_error(_spend(client, funded, code, key="p-2"), 403, "forbidden")
    assert db_state(*WRITES) == before


def test_five_wrong_codes_burn_the_live_code(funded, partner):
    client = _client(partner)
    _spend_code, code = spend_code_issue(member_id=funded.id, via="portal")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert_error(_spend(client, funded, wrong), 403, "forbidden")
    assert SpendCode.objects.get().attempts == 5
    before = db_state(*WRITES)
    assert_error(_spend(client, funded, code), 403, "forbidden")  # the right one, too late
    assert db_state(*WRITES) == before
    _spend_code, fresh = spend_code_issue(member_id=funded.id, via="portal")  # the member asks again
    assert _spend(client, funded, fresh).status_code == 201


def test_a_partner_asks_for_a_code_by_sms(funded, partner):
    client = _client(partner)
    response = client.post(f"/members/{funded.id}/spend-codes")
    assert response.status_code == 201, response.content
    row = OutboxEntry.objects.get(type="sms.spend_code")
    assert row.sensitive and row.payload["to"] == "+989121110000"
    code = "".join(ch for ch in row.payload["text"] if ch.isdigit())[-6:]
    assert_error(client.post(f"/members/{funded.id}/spend-codes"), 429, "rate_limited")
    assert OutboxEntry.objects.filter(type="sms.spend_code").count() == 1
    redeem = client.post(f"/members/{funded.id}/redemptions", {"points": 40, "member_code": code})
    assert redeem.status_code == 201, redeem.content
    assert balance(funded) == 960


def test_another_members_code_does_not_spend(funded, partner, member_factory):
    other = member_factory(phone="09121110001")
    _spend_code, code = spend_code_issue(member_id=other.id, via="portal")
    assert_error(_spend(_client(partner), funded, code), 403, "forbidden")
    assert balance(funded) == 1_000


def test_the_operator_spends_without_a_code_unless_the_amount_is_above_its_setting(funded, merchant):
    client = _client(merchant)
    assert _spend(client, funded, points=150).status_code == 201
    with override_settings(OPERATOR_SPEND_PROOF_ABOVE=100):
        assert _spend(client, funded, points=100).status_code == 201
        before = db_state(*WRITES)
        assert_error(_spend(client, funded, points=101), 403, "forbidden")
        assert db_state(*WRITES) == before


def test_a_partner_earns_without_a_code(funded, partner):
    response = _client(partner).post("/purchases", {"member_id": funded.id, "amount": 500_000})
    assert response.status_code == 201 and response.json()["points_earned"] == 50


# --- rate limits and last use -----------------------------------------------------------------


def test_a_key_over_its_rate_gets_429_with_retry_after(funded, merchant):
    cache.clear()  # counters of earlier tests' keys (ids are reused after a rollback)
    client = _client(merchant)
    other = _client(merchant)
    with override_settings(API_RATE_PER_MINUTE=3, API_RATE_BY_SCOPE={"purchases": 1}):
        assert [client.get(f"/members/{funded.id}/points").status_code for _ in range(3)] == [200] * 3
        limited = client.get(f"/members/{funded.id}/points")
        assert_error(limited, 429, "rate_limited")
        assert 1 <= int(limited["Retry-After"]) <= 61
        assert other.post("/purchases", {"member_id": funded.id, "amount": 100_000}).status_code == 201
        before = db_state(*WRITES)
        assert_error(other.post("/purchases", {"member_id": funded.id, "amount": 100_000}), 429, "rate_limited")
        assert db_state(*WRITES) == before
        assert other.get(f"/members/{funded.id}/points").status_code == 200


def test_a_keys_last_use_is_remembered_once_a_minute(funded, merchant):
    key, raw = api_key_create(merchant=merchant)
    assert key.last_used_at is None
    ApiClient(raw).get(f"/members/{funded.id}/points")
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first is not None
    ApiClient(raw).get(f"/members/{funded.id}/points")
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first


def test_a_revoked_or_rotated_key_is_refused(funded, merchant):
    from vafa.merchants.services import api_key_revoke, api_key_rotate

    key, raw = api_key_create(merchant=merchant, scopes=["members:read"])
    new_key, new_raw = api_key_rotate(key_id=key.pk)
    assert new_key.scopes == ["members:read"]
    assert_error(ApiClient(raw).get(f"/members/{funded.id}"), 401, "unauthorized")
    assert ApiClient(new_raw).get(f"/members/{funded.id}").status_code == 200
    api_key_revoke(key=new_key)
    assert_error(ApiClient(new_raw).get(f"/members/{funded.id}"), 401, "unauthorized")


# --- every API write names its key ---------------------------------------------------------------


def test_the_ledgers_writes_record_the_key_and_other_writes_are_audited(funded, merchant):
    from vafa.core.models import AuditEntry

    key, raw = api_key_create(merchant=merchant, name="website")
    client = ApiClient(raw)
    bought = client.post("/purchases", {"member_id": funded.id, "amount": 500_000, "redeem_points": 10})
    assert bought.status_code == 201
    purchase = Purchase.objects.get(pk=bought.json()["id"])
    assert purchase.api_key_id == key.pk
    assert set(Transfer.objects.filter(source_kind="purchase", source_id=purchase.pk)
               .values_list("api_key_id", flat=True)) == {key.pk}
    assert client.post(f"/members/{funded.id}/adjustments", {"points": 5, "reason": "x"}).status_code == 201
    assert Transfer.objects.filter(kind="adjust").latest("pk").api_key_id == key.pk
    assert not AuditEntry.objects.exists()  # the ledger's writes say it themselves
    patched = client.client.patch(f"/api/v1/members/{funded.id}", data=json.dumps({"first_name": "مینا"}),
                                  content_type="application/json", headers=client.headers)
    assert patched.status_code == 200
    rule = client.post("/program/rules", {"id": "tea", "name": "Tea", "trigger": "purchase",
                                            "effect": {"type": "fixed_points", "points": 5}})
    assert rule.status_code == 201, rule.content
    entries = list(AuditEntry.objects.order_by("pk").values_list("action", "actor_name", "api_key_id", "target_id"))
    assert entries == [("api.member.update", f"API {key.prefix}", key.pk, str(funded.id)),
                       ("api.rule.create", f"API {key.prefix}", key.pk, str(rule.json()["id"]))]
    assert AuditEntry.objects.get(action="api.member.update").after["national_id"] == "******5948"
    # a staff member's or a job's write names no key
    member_adjust(merchant_id=merchant.id, member_id=funded.id, points=1, reason="by hand")
    assert Transfer.objects.latest("pk").api_key_id is None


def test_a_refused_write_leaves_no_audit_entry(merchant, funded):
    from vafa.core.models import AuditEntry

    client = _client(merchant)
    assert client.post("/program/rules", {"id": "bad", "trigger": "nothing"}).status_code == 422
    assert not AuditEntry.objects.exists()
