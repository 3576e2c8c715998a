"""The program's input models (vafa.program.inputs) as the API, the admin and the import meet
them: the OpenAPI document describes every condition and effect as they are checked, a condition
nothing supplies the facts of yet is refused when the rule is saved, and a PATCH is checked as
the rule it makes."""

import pytest

from vafa.api.tests.test_api_errors import assert_error
from vafa.api.tests.test_api_program import ProgramApi, program_state
from vafa.core.errors import ValidationFailed
from vafa.program.inputs import CONDITION_KEYS, EFFECTS, Conditions, RuleInput
from vafa.program.models import Rule
from vafa.program.rules import rule_clean, rule_create, rule_update

FIXED = {"type": "fixed_points", "points": 5}


@pytest.fixture
def papi(api_key):
    return ProgramApi(api_key)


@pytest.fixture
def openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return resolve(document, schema["allOf"][0])
    return schema


def body_schema(document: dict, path: str, method: str) -> dict:
    body = document["paths"][f"/api/v1{path}"][method]["requestBody"]["content"]["application/json"]["schema"]
    return resolve(document, body)


# --- the OpenAPI document ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "patch"])
def test_the_openapi_document_describes_every_condition_with_its_type(openapi, method):
    path = "/program/rules" if method == "post" else "/program/rules/{rule_id}"
    rule = body_schema(openapi, path, method)
    assert rule["additionalProperties"] is False
    conditions = rule["properties"]["conditions"]
    conditions = resolve(openapi, conditions.get("anyOf", [conditions])[0])
    assert tuple(conditions["properties"]) == CONDITION_KEYS
    assert conditions["additionalProperties"] is False
    props = conditions["properties"]
    assert props["amount_min"]["anyOf"][0] == {"type": "integer", "minimum": 0, "maximum": 10**15}
    assert props["weekdays"]["items"]["enum"] == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert props["channels"]["items"]["enum"] == ["in_store", "online"]
    assert props["categories"]["items"] == {"type": "string", "minLength": 1, "maxLength": 64}
    assert props["first_purchase"]["type"] == "boolean"
    assert props["starts_at"]["anyOf"][0] == {"type": "string", "format": "date-time"}
    assert props["tags"]["items"] == props["segments"]["items"] == {"type": "string", "minLength": 1,
                                                                     "maxLength": 64}
    hours = resolve(openapi, props["hours"]["anyOf"][0])
    assert set(hours["properties"]) == {"from", "to"} and set(hours["required"]) == {"from", "to"}
    assert all(props[key].get("description") for key in CONDITION_KEYS)


def test_the_openapi_document_describes_each_effect_by_its_type(openapi):
    effect = body_schema(openapi, "/program/rules", "post")["properties"]["effect"]
    assert effect["discriminator"]["propertyName"] == "type"
    variants = {kind: resolve(openapi, {"$ref": ref}) for kind, ref in effect["discriminator"]["mapping"].items()}
    assert set(variants) == set(EFFECTS) == {"points_per_amount", "fixed_points", "multiplier", "cashback",
                                             "reward", "free_item"}
    for kind, schema in variants.items():
        assert schema["properties"]["type"]["const"] == kind
        assert schema["additionalProperties"] is False
        assert set(schema["required"]) == {"type", *EFFECTS[kind]}
        assert schema["properties"]["member"]["enum"] == ["referrer", "referred"]
    assert variants["multiplier"]["properties"]["percent"] | {"title": None} == {
        "type": "integer", "minimum": 100, "maximum": 100_000, "title": None}
    assert variants["cashback"]["properties"]["percent"]["maximum"] == 100
    assert variants["points_per_amount"]["properties"]["per_rial"]["minimum"] == 1
    assert variants["free_item"]["properties"]["quantity"]["default"] == 1
    assert set(variants["free_item"]["properties"]) == {"type", "member", "sku", "quantity"}


def test_the_openapi_document_describes_the_rest_of_a_rule(openapi):
    rule = body_schema(openapi, "/program/rules", "post")
    assert set(rule["required"]) == {"name", "effect"}
    props = rule["properties"]
    assert props["trigger"]["enum"] == list(Rule.Trigger.values)
    assert props["priority"]["minimum"] == -10**6
    caps = resolve(openapi, props["caps"])
    assert set(caps["properties"]) == {"per_member_day", "per_member_month", "per_member_jalali_year"}
    assert "required" not in body_schema(openapi, "/program/rules/{rule_id}", "patch")


def test_every_request_body_of_the_program_is_an_input_model(openapi):
    names = {path: body_schema(openapi, path, method).get("title") for path, method in [
        ("/program/rules", "post"), ("/program/tiers", "post"), ("/program/rewards", "post"),
        ("/promo-codes", "post"), ("/program/plans", "post"), ("/purchases", "post"), ("/checkout/preview", "post"),
        ("/program/simulate", "post")]}
    assert names == {"/program/rules": "RuleInput", "/program/tiers": "TierInput", "/program/rewards": "RewardInput",
                     "/promo-codes": "PromoCodeInput", "/program/plans": "PlanInput", "/purchases": "PurchaseInput",
                     "/checkout/preview": "PreviewInput", "/program/simulate": "SimulateInput"}


# --- tags and segments --------------------------------------------------------------------------------


def test_a_rule_keeps_the_codes_of_the_tags_it_names(db, papi):
    rule = rule_create(data={"name": "VIP", "effect": FIXED, "conditions": {"tags": ["VIP ", "vip", "عمده فروش"]}})
    assert rule.conditions == {"tags": ["vip", "عمده-فروش"]}
    before = program_state()
    details = assert_error(papi.post("/program/rules", {"name": "x", "effect": FIXED, "conditions": {"tags": ["!!"]}}),
                           422, "validation_error")
    assert details == {"conditions.tags": "tag names with letters or digits"}
    assert program_state() == before


def test_a_segment_that_does_not_exist_is_refused_when_the_rule_is_saved(db, papi):
    rule = {"name": "VIP", "effect": FIXED, "conditions": {"segments": ["lapsed-vips"]}}
    why = "no such segments: lapsed-vips"
    with pytest.raises(ValidationFailed) as caught:
        rule_create(data=rule)
    assert caught.value.details == {"conditions.segments": why}
    before = program_state()
    assert assert_error(papi.post("/program/rules", rule), 422, "validation_error") == {"conditions.segments": why}
    saved = rule_create(data={"name": "VIP", "effect": FIXED, "conditions": {"segments": []}})  # empty is nothing
    assert saved.conditions == {}
    before = program_state()
    details = assert_error(papi.patch(f"/program/rules/{saved.pk}", {"conditions": {"segments": ["lapsed-vips"]}}),
                           422, "validation_error")
    assert details == {"conditions.segments": why}
    assert program_state() == before


# --- the same checks everywhere ----------------------------------------------------------------------


def test_a_patch_is_checked_as_the_rule_it_makes(db, papi):
    rule = rule_create(data={"name": "Join", "trigger": "join", "effect": FIXED})
    before = program_state()
    # A multiplier alone is a good effect; on this join rule it is not.
    details = assert_error(papi.patch(f"/program/rules/{rule.pk}", {"effect": {"type": "multiplier", "percent": 200}}),
                           422, "validation_error")
    assert details == {"effect.type": "multiplier needs a purchase trigger"}
    details = assert_error(papi.patch(f"/program/rules/{rule.pk}", {"conditions": {"hours": {"from": "1:00",
                                                                                                "to": "02:00"}}}),
                           422, "validation_error")
    assert details == {"conditions.hours.from": "a time HH:MM"}
    assert program_state() == before
    response = papi.patch(f"/program/rules/{rule.pk}", {"conditions": {"hours": {"from": "22:00", "to": "02:00"}}})
    assert response.status_code == 200, response.content
    assert response.json()["conditions"] == {"hours": {"from": "22:00", "to": "02:00"}}


def test_the_stored_rule_is_the_models_row(db):
    data = {"name": "x", "effect": {"type": "free_item", "sku": "TEA"}, "trigger": "event", "event_type": "app",
            "occasion": "birthday", "conditions": {"hours": {"from": "10:00", "to": "12:00"}, "tags": []}}
    assert rule_clean(data) == RuleInput.model_validate(data).row()
    assert rule_clean(data)["occasion"] == ""  # only an occasion rule keeps its occasion
    rule = rule_create(data=data)
    assert rule_update(rule_id=rule.pk, data={"priority": 0}).revision == 1  # the same rule: no revision


def test_every_condition_key_is_a_field_of_the_conditions():
    assert tuple(Conditions.model_fields) == CONDITION_KEYS
    assert Conditions().stored() == {}


def test_only_gifts_and_products_ship():
    from vafa.core.inputs import validated
    from vafa.program.inputs import RewardInput

    assert validated(RewardInput, {"kind": "non_material", "name": "ماگ باشگاه", "ships": True}).ships is True
    with pytest.raises(ValidationFailed) as caught:
        validated(RewardInput, {"kind": "coupon_amount", "name": "x", "amount_rial": 10_000, "ships": True})
    assert caught.value.details == {"ships": "a coupon_amount reward is not sent: only free_product and "
                                              "non_material ones"}
