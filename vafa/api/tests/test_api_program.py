"""The program as data over the API: /program/rules (with history), /program/tiers and the
whole program's export/import at /program. Every refused request changes nothing."""

import pytest

from vafa.api.tests.test_api_errors import ApiClient, assert_error

RULE_FIELDS = {"id", "name", "status", "trigger", "occasion", "event_type", "conditions", "effect", "priority",
               "stacking", "caps", "budget", "pending_days", "expiry_months", "merchant_id", "revision",
               "issued_points", "issued_rial"}
GOLD_TEA = {
    "name": "Gold members earn double on tea", "status": "live", "trigger": "purchase",
    "conditions": {"amount_min": 1_000_000, "categories": ["tea"], "min_quantity": 1, "tiers": ["gold"],
                   "member_kinds": ["person"], "nth_purchase": [2, 6], "every_nth_purchase": None,
                   "first_purchase": False, "weekdays": ["thu", "fri"], "hours": {"from": "10:00", "to": "12:00"},
                   "starts_at": None, "ends_at": None, "branches": [], "channels": ["in_store"],
                   "payment_methods": [], "tags": [], "segments": []},
    "effect": {"type": "multiplier", "percent": 200},
    "priority": 10, "stacking": "cumulative",
    "caps": {"per_member_day": None, "per_member_month": None, "per_member_jalali_year": None},
    "budget": {"points": None, "rials": None}, "pending_days": None, "expiry_months": None,
}
# What is stored of GOLD_TEA: only the conditions and limits that are set.
GOLD_TEA_STORED = {
    **GOLD_TEA,
    "occasion": "", "event_type": "", "merchant_id": None,
    "conditions": {"amount_min": 1_000_000, "categories": ["tea"], "min_quantity": 1, "tiers": ["gold"],
                   "member_kinds": ["person"], "nth_purchase": [2, 6], "weekdays": ["thu", "fri"],
                   "hours": {"from": "10:00", "to": "12:00"}, "channels": ["in_store"]},
    "caps": {}, "budget": {},
}
BONUS = {"name": "Bonus 50", "effect": {"type": "fixed_points", "points": 50}}
BAD_IDS = ["abc", "0", "-1", "1e3", "٣", "999999", "1.0", " 1", "99999999999999999999"]


class ProgramApi(ApiClient):
    def patch(self, path, body=None, *, raw=None, headers=None, lang="en"):
        return self.client.patch(f"/api/v1{path}", data=raw if raw is not None else body or {},
                                 content_type="application/json",
                                 headers={**self.headers, "Accept-Language": lang, **(headers or {})})

    def put(self, path, body=None, *, raw=None, headers=None, lang="en"):
        return self.client.put(f"/api/v1{path}", data=raw if raw is not None else body or {},
                               content_type="application/json",
                               headers={**self.headers, "Accept-Language": lang, **(headers or {})})


@pytest.fixture
def papi(api_key):
    return ProgramApi(api_key)


def program_state() -> dict:
    """Everything the program endpoints could change."""
    from vafa.program.models import ProgramSettings, Reward, Rule, RuleRevision, Tier

    return {
        "rules": list(Rule.objects.order_by("pk").values()),
        "revisions": list(RuleRevision.objects.order_by("pk").values_list("rule_id", "revision", "data",
                                                                             "changed_by")),
        "tiers": list(Tier.objects.order_by("pk").values()),
        "rewards": list(Reward.objects.order_by("pk").values()),
        "settings": list(ProgramSettings.objects.values()),
    }


def assert_not_found(response, code: str, id_text: str):
    assert response.status_code == 404, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["details"] == {"id": id_text}


def make_rule(papi, body=None, **overrides) -> dict:
    response = papi.post("/program/rules", {**(body or BONUS), **overrides})
    assert response.status_code == 201, response.content
    return response.json()


# --- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/program/rules"), ("post", "/program/rules"), ("get", "/program/rules/1"),
    ("patch", "/program/rules/1"), ("get", "/program/rules/1/revisions"), ("get", "/program/tiers"),
    ("post", "/program/tiers"), ("get", "/program/tiers/gold"), ("patch", "/program/tiers/gold"),
    ("get", "/program"), ("put", "/program"),
])
def test_every_program_endpoint_needs_the_api_key(db, method, path):
    from vafa.program.rules import rule_create, tier_create

    rule_create(data=BONUS)
    tier_create(data={"code": "gold", "name": "Gold", "rank": 2})
    before = program_state()
    client = ProgramApi("wrong-key")
    body = {"name": "x", "effect": {"type": "fixed_points", "points": 1}, "rank": 9}
    response = client.get(path) if method == "get" else getattr(client, method)(path, body)
    assert_error(response, 401, "unauthorized")
    assert program_state() == before


# --- rules: create, read, list ------------------------------------------------------------


def test_a_rule_is_created_in_the_one_json_shape_with_its_first_revision(papi, merchant):
    from vafa.program.models import ProgramSettings, RuleRevision

    version = ProgramSettings.objects.get(pk=1).version
    # When the design's example rule is posted
    response = papi.post("/program/rules", GOLD_TEA)
    # Then it answers 201 with the rule as stored, revision 1
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == RULE_FIELDS
    assert body == {**GOLD_TEA_STORED, "id": body["id"], "revision": 1, "issued_points": 0, "issued_rial": 0}
    # And the revision holds the same data, changed by the API key's merchant
    revision = RuleRevision.objects.get()
    assert (revision.rule_id, revision.revision, revision.data, revision.changed_by) == (
        body["id"], 1, body, f"api:{merchant.name}")
    # And the program's version moved, so processes reload the live rules
    assert ProgramSettings.objects.get(pk=1).version == version + 1
    # And GET answers the same
    assert papi.get(f"/program/rules/{body['id']}").json() == body


def test_a_minimal_rule_takes_the_defaults(papi):
    body = make_rule(papi)
    assert body == {"id": body["id"], "name": "Bonus 50", "status": "draft", "trigger": "purchase", "occasion": "",
                    "event_type": "", "conditions": {}, "effect": {"type": "fixed_points", "points": 50},
                    "priority": 0, "stacking": "cumulative", "caps": {}, "budget": {}, "pending_days": None,
                    "expiry_months": None, "merchant_id": None, "revision": 1, "issued_points": 0,
                    "issued_rial": 0}


def test_rules_are_listed_by_priority_and_filtered_by_status_and_trigger(papi):
    low = make_rule(papi, name="low", priority=1, status="live")
    high = make_rule(papi, name="high", priority=5)
    join = make_rule(papi, name="join", trigger="join", status="live")
    event = make_rule(papi, name="event", trigger="event", event_type="app_install", priority=2)

    def names(query=""):
        response = papi.get(f"/program/rules{query}")
        assert response.status_code == 200, response.content
        return [r["name"] for r in response.json()]

    assert names() == ["high", "event", "low", "join"]
    assert names("?status=live") == ["low", "join"]
    assert names("?trigger=purchase") == ["high", "low"]
    assert names("?status=live&trigger=join") == ["join"]
    assert names("?status=paused") == []
    assert papi.get("/program/rules").json()[0] == high
    assert {r["id"] for r in papi.get("/program/rules").json()} == {low["id"], high["id"], join["id"], event["id"]}


@pytest.mark.parametrize("query", ["?status=alive", "?trigger=purchases", "?status="])
def test_an_unknown_filter_value_is_a_validation_error(papi, query):
    details = assert_error(papi.get(f"/program/rules{query}"), 422, "validation_error")
    assert list(details) == [query[1:query.index("=")]]


@pytest.mark.parametrize("rule_id", BAD_IDS)
def test_a_rule_that_does_not_exist_is_rule_not_found_for_any_id_shape(papi, rule_id):
    make_rule(papi)
    before = program_state()
    assert_not_found(papi.get(f"/program/rules/{rule_id}"), "rule_not_found", rule_id)
    assert_not_found(papi.get(f"/program/rules/{rule_id}/revisions"), "rule_not_found", rule_id)
    assert_not_found(papi.patch(f"/program/rules/{rule_id}", {"priority": 3}), "rule_not_found", rule_id)
    assert program_state() == before


def test_a_validation_error_speaks_persian_when_asked(papi):
    details = assert_error(papi.post("/program/rules", {**BONUS, "trigger": "event"}, lang="fa"), 422,
                           "validation_error", lang="fa")
    assert list(details) == ["event_type"]


# --- rules: validation ------------------------------------------------------------------------

INVALID_RULES = [
    ("unknown condition", {"conditions": {"colour": ["red"]}}, "conditions", "unknown conditions: colour"),
    ("bad weekday", {"conditions": {"weekdays": ["thu", "funday"]}}, "conditions.weekdays",
     "one of mon, tue, wed, thu, fri, sat, sun"),
    ("hours 25:00", {"conditions": {"hours": {"from": "10:00", "to": "25:00"}}}, "conditions.hours.to",
     "a time HH:MM"),
    ("hours without to", {"conditions": {"hours": {"from": "10:00"}}}, "conditions.hours",
     'an object {"from": "HH:MM", "to": "HH:MM"}'),
    ("amount_min > amount_max", {"conditions": {"amount_min": 2_000_000, "amount_max": 1_000_000}},
     "conditions.amount_max", "not below amount_min"),
    ("negative amount", {"conditions": {"amount_min": -1}}, "conditions.amount_min",
     "an integer from 0 to 1000000000000000"),
    ("multiplier 50%", {"effect": {"type": "multiplier", "percent": 50}}, "effect.percent",
     "an integer from 100 to 100000"),
    ("unknown effect", {"effect": {"type": "lottery"}}, "effect.type",
     "one of points_per_amount, fixed_points, multiplier, cashback, reward, free_item"),
    ("points as text", {"effect": {"type": "fixed_points", "points": "50"}}, "effect.points",
     "an integer from 1 to 1000000000000"),
    ("reward that does not exist", {"effect": {"type": "reward", "reward_id": 999}}, "effect.reward_id",
     "no reward with this id"),
    ("multiplier on joining", {"trigger": "join", "effect": {"type": "multiplier", "percent": 200}},
     "effect.type", "multiplier needs a purchase trigger"),
    ("occasion trigger without occasion", {"trigger": "occasion"}, "occasion",
     "one of birthday, wedding, membership_anniversary"),
    ("event trigger without event_type", {"trigger": "event"}, "event_type",
     "required for an event rule, at most 64 characters"),
    ("empty name", {"name": "  "}, "name", "required, at most 200 characters"),
    ("unknown cap", {"caps": {"per_member_week": 5}}, "caps",
     "an object with per_member_day, per_member_month, per_member_jalali_year"),
    ("merchant that does not exist", {"merchant_id": 999}, "merchant_id", "no merchant with this id"),
]


@pytest.mark.parametrize(("change", "field", "why"), [case[1:] for case in INVALID_RULES],
                         ids=[case[0] for case in INVALID_RULES])
def test_an_invalid_rule_is_refused_naming_the_field_and_nothing_is_saved(papi, change, field, why):
    before = program_state()
    details = assert_error(papi.post("/program/rules", {**BONUS, **change}), 422, "validation_error")
    assert details == {field: why}
    assert program_state() == before


@pytest.mark.parametrize(("body", "field"), [
    ({**BONUS, "colour": "red"}, "colour"),
    ({**BONUS, "priority": "high"}, "priority"),
    ({**BONUS, "status": "on"}, "status"),
    ({**BONUS, "conditions": ["tea"]}, "conditions"),
    ({"effect": BONUS["effect"]}, "name"),
    ({"name": "no effect"}, "effect"),
])
def test_unknown_fields_and_wrong_json_types_are_validation_errors(papi, body, field):
    before = program_state()
    details = assert_error(papi.post("/program/rules", body), 422, "validation_error")
    assert list(details) == [field]
    assert program_state() == before


@pytest.mark.parametrize("raw", ["", "{", "[1, 2]", '"rule"'])
def test_a_body_that_is_not_a_json_object_is_malformed(papi, raw):
    before = program_state()
    assert_error(papi.post("/program/rules", raw=raw), 400, "malformed_json")
    assert program_state() == before


def test_a_reward_effect_names_an_existing_reward(papi):
    from vafa.program.catalog import reward_create

    reward = reward_create(name="Free tea", kind="free_product", sku="TEA-1", cost_points=0)
    body = make_rule(papi, name="Gift on joining", trigger="join", effect={"type": "reward", "reward_id": reward.pk})
    assert body["effect"] == {"type": "reward", "reward_id": reward.pk}


# --- rules: changes and history ------------------------------------------------------------


def test_patch_changes_only_what_is_given_and_keeps_every_revision(papi, merchant):
    created = make_rule(papi, GOLD_TEA)
    rule_id = created["id"]
    # When two patches change the priority, then the effect
    first = papi.patch(f"/program/rules/{rule_id}", {"priority": 20})
    second = papi.patch(f"/program/rules/{rule_id}", {"effect": {"type": "multiplier", "percent": 300},
                                                      "conditions": {"categories": ["tea", "coffee"]}})
    # Then each answers the whole rule, the rest unchanged
    assert first.status_code == 200, first.content
    assert first.json() == {**created, "priority": 20, "revision": 2}
    assert second.status_code == 200, second.content
    after = {**created, "priority": 20, "revision": 3, "effect": {"type": "multiplier", "percent": 300},
             "conditions": {"categories": ["tea", "coffee"]}}
    assert second.json() == after
    # And the history has the three states, in order, with who changed them
    response = papi.get(f"/program/rules/{rule_id}/revisions")
    assert response.status_code == 200, response.content
    revisions = response.json()
    assert [(r["revision"], r["data"], r["changed_by"]) for r in revisions] == [
        (1, created, f"api:{merchant.name}"),
        (2, {**created, "priority": 20, "revision": 2}, f"api:{merchant.name}"),
        (3, after, f"api:{merchant.name}"),
    ]
    assert all(set(r) == {"revision", "data", "changed_by", "changed_at"} for r in revisions)
    assert revisions[0]["changed_at"] <= revisions[1]["changed_at"] <= revisions[2]["changed_at"]
    assert papi.get(f"/program/rules/{rule_id}").json() == after


def test_a_patch_that_changes_nothing_adds_no_revision(papi):
    from vafa.program.models import ProgramSettings

    created = make_rule(papi)
    version = ProgramSettings.objects.get(pk=1).version
    response = papi.patch(f"/program/rules/{created['id']}", {"priority": 0, "name": "Bonus 50"})
    assert response.status_code == 200, response.content
    assert response.json() == created
    assert len(papi.get(f"/program/rules/{created['id']}/revisions").json()) == 1
    assert ProgramSettings.objects.get(pk=1).version == version


def test_the_answer_of_a_get_can_be_patched_back_as_it_is(papi):
    created = make_rule(papi, GOLD_TEA)
    response = papi.patch(f"/program/rules/{created['id']}", {**created, "priority": 11})
    assert response.status_code == 200, response.content
    assert response.json() == {**created, "priority": 11, "revision": 2}


@pytest.mark.parametrize(("change", "field"), [
    ({"conditions": {"weekdays": ["someday"]}}, "conditions.weekdays"),
    ({"trigger": "occasion"}, "occasion"),
    ({"effect": {"type": "multiplier", "percent": 50}}, "effect.percent"),
    ({"name": None}, "name"),
    ({"colour": "red"}, "colour"),
])
def test_an_invalid_patch_changes_nothing(papi, change, field):
    created = make_rule(papi)
    before = program_state()
    details = assert_error(papi.patch(f"/program/rules/{created['id']}", change), 422, "validation_error")
    assert list(details) == [field]
    assert program_state() == before


def test_status_moves_between_draft_live_paused_and_ended_and_only_live_rules_earn(papi, member):
    created = make_rule(papi)
    rule_id = created["id"]

    def earned(external_id):
        response = papi.post("/purchases", {"member_id": member.id, "external_id": external_id, "amount": 1_000_000})
        assert response.status_code == 201, response.content
        body = response.json()
        return body["points_earned"], [(r["rule_id"], r["points"]) for r in body["applied_rules"]]

    # A draft earns nothing: the base alone (1 point per 10,000 IRR)
    assert earned("P-1") == (100, [("base", 100)])
    statuses = []
    for status, points in [("live", 150), ("paused", 100), ("live", 150), ("ended", 100), ("draft", 100)]:
        response = papi.patch(f"/program/rules/{rule_id}", {"status": status})
        assert response.status_code == 200, response.content
        statuses.append(response.json()["status"])
        total, _rules = earned(f"P-{status}-{len(statuses)}")
        assert total == points, status
    assert statuses == ["live", "paused", "live", "ended", "draft"]
    history = [r["data"]["status"] for r in papi.get(f"/program/rules/{rule_id}/revisions").json()]
    assert history == ["draft", "live", "paused", "live", "ended", "draft"]
    assert papi.get(f"/program/rules/{rule_id}").json()["issued_points"] == 0  # no budget: not counted


def test_a_live_rule_names_itself_in_the_purchase_answer(papi, member):
    rule = make_rule(papi, status="live")
    response = papi.post("/purchases", {"member_id": member.id, "external_id": "P-1", "amount": 1_000_000})
    assert [(r["rule_id"], r["name"], r["points"]) for r in response.json()["applied_rules"]] == [
        ("base", "base", 100), (str(rule["id"]), "Bonus 50", 50)]


def test_a_rule_post_with_an_idempotency_key_creates_one_rule(papi):
    from vafa.program.models import Rule

    first = papi.post("/program/rules", BONUS, headers={"Idempotency-Key": "rule-1"})
    again = papi.post("/program/rules", BONUS, headers={"Idempotency-Key": "rule-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Rule.objects.count() == 1
    assert_error(papi.post("/program/rules", {**BONUS, "priority": 2}, headers={"Idempotency-Key": "rule-1"}),
                 409, "idempotency_conflict")
    assert Rule.objects.count() == 1


# --- tiers --------------------------------------------------------------------------------------

GOLD = {"code": "gold", "name": "Gold", "rank": 2, "color": "#C9A227",
        "qualify": {"by": "spend", "threshold": 50_000_000, "window": "jalali_year"},
        "earn_percent": 150, "grace_days": 30, "page_text": "Double tea on Thursdays."}


def make_tier(papi, body) -> dict:
    response = papi.post("/program/tiers", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_tiers_are_created_read_by_id_or_code_listed_by_rank_and_patched(papi):
    from vafa.program.models import ProgramSettings

    version = ProgramSettings.objects.get(pk=1).version
    gold = make_tier(papi, GOLD)
    assert gold == {**GOLD, "id": gold["id"], "color": "#c9a227"}
    silver = make_tier(papi, {"name": "Silver", "rank": 1})
    assert silver == {"id": silver["id"], "code": "silver", "name": "Silver", "rank": 1, "color": "#9e9e9e",
                      "qualify": {"by": "spend", "threshold": 0, "window": "rolling_365"}, "earn_percent": 100,
                      "grace_days": 0, "page_text": ""}
    assert ProgramSettings.objects.get(pk=1).version == version + 2
    assert papi.get("/program/tiers").json() == [silver, gold]
    assert papi.get(f"/program/tiers/{gold['id']}").json() == gold
    assert papi.get("/program/tiers/gold").json() == gold
    # A patch changes only what it gives
    response = papi.patch("/program/tiers/gold", {"earn_percent": 200, "qualify": {"by": "points", "threshold": 900}})
    assert response.status_code == 200, response.content
    changed = {**gold, "earn_percent": 200, "qualify": {"by": "points", "threshold": 900, "window": "rolling_365"}}
    assert response.json() == changed
    assert papi.get(f"/program/tiers/{gold['id']}").json() == changed


@pytest.mark.parametrize("tier_id", ["abc", "0", "-1", "1e3", "٣", "999999", "GOLD"])
def test_a_tier_that_does_not_exist_is_tier_not_found(papi, tier_id):
    make_tier(papi, GOLD)
    before = program_state()
    assert_not_found(papi.get(f"/program/tiers/{tier_id}"), "tier_not_found", tier_id)
    assert_not_found(papi.patch(f"/program/tiers/{tier_id}", {"rank": 5}), "tier_not_found", tier_id)
    assert program_state() == before


@pytest.mark.parametrize(("body", "field"), [
    ({**GOLD, "code": "gold"}, "code"),  # taken
    ({**GOLD, "code": "gold-2", "rank": 2}, "rank"),  # taken
    ({**GOLD, "code": "gold-2", "rank": 3, "color": "gold"}, "color"),
    ({**GOLD, "code": "gold 2", "rank": 3}, "code"),
    ({**GOLD, "code": "g2", "rank": 3, "qualify": {"by": "love"}}, "qualify.by"),
    ({**GOLD, "code": "g2", "rank": 3, "qualify": {"by": "spend", "days": 3}}, "qualify"),
    ({**GOLD, "code": "g2", "rank": 3, "earn_percent": 50}, "earn_percent"),
    ({**GOLD, "code": "g2", "rank": -1}, "rank"),
    ({**GOLD, "code": "g2", "rank": 3, "perks": []}, "perks"),
    ({"code": "g2", "rank": 3}, "name"),
])
def test_an_invalid_tier_is_refused_and_nothing_changes(papi, body, field):
    make_tier(papi, GOLD)
    before = program_state()
    details = assert_error(papi.post("/program/tiers", body), 422, "validation_error")
    assert list(details) == [field]
    assert program_state() == before


def test_an_invalid_tier_patch_changes_nothing(papi):
    make_tier(papi, GOLD)
    make_tier(papi, {"code": "silver", "name": "Silver", "rank": 1})
    before = program_state()
    assert list(assert_error(papi.patch("/program/tiers/silver", {"rank": 2}), 422, "validation_error")) == ["rank"]
    assert list(assert_error(papi.patch("/program/tiers/silver", {"code": "gold"}), 422,
                             "validation_error")) == ["code"]
    assert program_state() == before


# --- the whole program --------------------------------------------------------------------------


def test_the_program_is_exported_and_imported_back(papi, merchant):
    from vafa.program.catalog import reward_create
    from vafa.program.models import Rule

    make_tier(papi, GOLD)
    reward = reward_create(name="Free tea", kind="free_product", sku="TEA-1", cost_points=300)
    make_rule(papi, GOLD_TEA)
    gift = make_rule(papi, name="Gift on joining", trigger="join", status="live",
                     effect={"type": "reward", "reward_id": reward.pk}, merchant_id=merchant.pk)
    # When the program is exported
    response = papi.get("/program")
    assert response.status_code == 200, response.content
    document = response.json()
    assert (document["format"], document["version"]) == ("vafa-program", 1)
    assert [t["code"] for t in document["tiers"]] == ["gold"]
    assert [r["name"] for r in document["rewards"]] == ["Free tea"]
    assert document["rules"][1] == {
        "name": "Gift on joining", "status": "live", "trigger": "join", "occasion": "", "event_type": "",
        "conditions": {}, "effect": {"type": "reward", "reward": "Free tea"}, "priority": 0,
        "stacking": "cumulative", "caps": {}, "budget": {}, "pending_days": None, "expiry_months": None,
        "merchant": merchant.slug}
    # And imported back unchanged
    response = papi.put("/program", document)
    assert response.status_code == 200, response.content
    assert response.json() == {"settings": "unchanged",
                               "tiers": {"created": 0, "updated": 0, "unchanged": 1},
                               "rewards": {"created": 0, "updated": 0, "unchanged": 1, "deactivated": 0},
                               "rules": {"created": 0, "updated": 0, "unchanged": 2, "ended": 0}}
    # And with the gift rule left out and the settings changed, the gift rule ends
    document["rules"] = document["rules"][:1]
    document["settings"]["earn_points"] = 2
    response = papi.put("/program", document)
    assert response.status_code == 200, response.content
    assert response.json() == {"settings": "updated",
                               "tiers": {"created": 0, "updated": 0, "unchanged": 1},
                               "rewards": {"created": 0, "updated": 0, "unchanged": 1, "deactivated": 0},
                               "rules": {"created": 0, "updated": 0, "unchanged": 1, "ended": 1}}
    assert Rule.objects.get(pk=gift["id"]).status == "ended"
    assert papi.get("/program").json() == document


def test_an_invalid_program_is_refused_whole_naming_each_path(papi):
    make_tier(papi, GOLD)
    make_rule(papi, status="live")
    document = papi.get("/program").json()
    document["settings"]["earn_points"] = 5
    document["tiers"].append({"code": "platinum", "name": "Platinum", "rank": 3})
    document["rules"] += [{"name": "two", "effect": {"type": "fixed_points", "points": 2}},
                          {"name": "three", "effect": {"type": "fixed_points", "points": 0}}]
    before = program_state()
    details = assert_error(papi.put("/program", document), 422, "validation_error")
    assert details == {"rules[2].effect.points": "an integer from 1 to 1000000000000"}
    assert program_state() == before


@pytest.mark.parametrize(("document", "details"), [
    ({"version": 1}, {"format": "Field required"}),
    ({"format": "vafa-program", "version": 2}, {"version": "1 (this installation reads version 1 documents)"}),
    ({"format": "other", "version": 1}, {"format": '"vafa-program"'}),
    ({"format": "vafa-program", "version": 1, "members": []}, {"members": "Extra inputs are not permitted"}),
    ({"format": "vafa-program", "version": 1, "rules": {}}, {"rules": "a list of objects"}),
    ({"format": "vafa-program", "version": 1, "settings": {"earn_points": "1"}},
     {"settings.earn_points": "an integer from 0 to 2147483647"}),
])
def test_a_document_that_is_not_a_program_is_refused(papi, document, details):
    before = program_state()
    assert assert_error(papi.put("/program", document), 422, "validation_error") == details
    assert program_state() == before
