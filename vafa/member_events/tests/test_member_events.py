"""Points for what members do besides buying: events, joining, the profile, occasions."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import jdatetime
import pytest
from django.core.management import call_command

from vafa.api.tests.test_api_errors import assert_error
from vafa.core.tests.fixtures import REQUEST_WRITES, balance, db_state
from vafa.ledger.models import Transfer
from vafa.member_events.models import Event
from vafa.member_events.services import occasions_award
from vafa.members.models import Occasion
from vafa.program.rules import rule_create

pytestmark = pytest.mark.django_db
TEHRAN = ZoneInfo("Asia/Tehran")


def live(**data):
    return rule_create(data={"status": "live", **data})


def test_a_custom_event_earns_by_its_rule_and_a_key_counts_once(api, member):
    rule = live(name="App installed", trigger="event", event_type="app_install",
                effect={"type": "fixed_points", "points": 300})
    body = {"member_id": member.pk, "type": "app_install", "properties": {"os": "android"}, "key": "inst-1"}
    first = api.post("/events", body)
    assert first.status_code == 201, first.content
    answer = first.json()
    assert (answer["points_earned"], answer["balance_after"]) == (300, 300)
    assert answer["applied_rules"] == [{"rule_id": str(rule.pk), "name": "App installed", "points": 300,
                                        "detail": "300 points"}]
    again = api.post("/events", body)
    assert again.status_code == 201 and again.json()["id"] == answer["id"]
    assert balance(member) == 300
    transfer = Transfer.objects.get(source_kind="event", source_id=answer["id"])
    assert (transfer.kind, transfer.rule, transfer.amount) == ("bonus", str(rule.pk), 300)


def test_a_key_reused_for_another_event_is_refused_and_changes_nothing(api, member):
    live(name="Review", trigger="review", effect={"type": "fixed_points", "points": 50})
    api.post("/events", {"member_id": member.pk, "type": "review", "key": "k1"})
    before = db_state(*REQUEST_WRITES)
    response = api.post("/events", {"member_id": member.pk, "type": "survey", "key": "k1"})
    assert_error(response, 409, "duplicate_event")
    assert db_state(*REQUEST_WRITES) == before


def test_an_event_nobody_rewards_is_recorded_with_no_points(api, member):
    response = api.post("/events", {"member_id": member.pk, "type": "newsletter_opened"})
    assert response.status_code == 201
    assert (response.json()["points_earned"], response.json()["applied_rules"]) == (0, [])
    assert Event.objects.get().type == "newsletter_opened"


@pytest.mark.parametrize("body, field", [
    ({"type": "Bad Type"}, "type"),
    ({"type": "occasion.birthday"}, "type"),
    ({"type": "packaging_code"}, "properties.code"),
    ({"type": "review", "properties": {"text": "x" * 20_000}}, "properties"),
])
def test_bad_events_are_validation_errors(api, member, body, field):
    before = db_state(*REQUEST_WRITES)
    details = assert_error(api.post("/events", {"member_id": member.pk, **body}), 422, "validation_error")
    assert field in details
    assert db_state(*REQUEST_WRITES) == before


def test_events_of_unknown_or_blocked_members(api, member):
    from vafa.members.services import member_status_set

    assert_error(api.post("/events", {"member_id": 999_999, "type": "review"}), 404, "member_not_found")
    assert_error(api.post("/events", {"member_id": "abc", "type": "review"}), 404, "member_not_found")
    member_status_set(member=member, status="blocked")
    assert_error(api.post("/events", {"member_id": member.pk, "type": "review"}), 409, "member_blocked")


def test_a_packaging_code_counts_once_for_anyone(api, member_factory):
    live(name="Packaging", trigger="packaging_code", effect={"type": "fixed_points", "points": 20})
    a, b = member_factory(), member_factory()
    first = api.post("/events", {"member_id": a.pk, "type": "packaging_code", "properties": {"code": "ab12-cd34"}})
    assert first.json()["points_earned"] == 20
    before = db_state(*REQUEST_WRITES)
    second = api.post("/events", {"member_id": b.pk, "type": "packaging_code", "properties": {"code": "AB12CD34"}})
    assert_error(second, 409, "packaging_code_used")
    assert db_state(*REQUEST_WRITES) == before


def test_joining_earns_the_join_rules_once(api):
    live(name="Welcome", trigger="join", effect={"type": "fixed_points", "points": 100})
    response = api.post("/members", {"phone": "09121112233", "first_name": "علی"})
    assert response.status_code == 201, response.content
    assert response.json()["points_balance"] == 100
    assert Event.objects.get().key == f"join:{response.json()['id']}"


def test_completing_the_profile_earns_once(api, member):
    rule = live(name="Profile", trigger="profile_completed", effect={"type": "fixed_points", "points": 200})
    response = api.patch(f"/members/{member.pk}", {"email": "sara@example.com"})
    assert response.status_code == 200 and balance(member) == 0  # birth date still missing
    response = api.patch(f"/members/{member.pk}", {"birth_date": "1990-03-21"})
    assert response.status_code == 200, response.content
    assert balance(member) == 200
    api.patch(f"/members/{member.pk}", {"first_name": "سارا"})
    assert balance(member) == 200
    assert Transfer.objects.get(rule=str(rule.pk)).amount == 200


def test_patch_member_refuses_bad_fields_and_changes_nothing(api, member):
    before = db_state(*REQUEST_WRITES)
    assert_error(api.patch(f"/members/{member.pk}", {"email": "not-an-email"}), 422, "validation_error")
    assert_error(api.patch(f"/members/{member.pk}", {"points": 5}), 422, "validation_error")
    assert_error(api.patch(f"/members/{member.pk}", {"national_id": "1234567890"}), 422,
                 "invalid_national_id")
    assert_error(api.patch("/members/0", {"first_name": "x"}), 404, "member_not_found")
    assert db_state(*REQUEST_WRITES) == before


def _at(jy, jm, jd, hour=9):
    g = jdatetime.date(jy, jm, jd).togregorian()
    return datetime(g.year, g.month, g.day, hour, tzinfo=TEHRAN)


def test_a_birthday_bonus_on_the_right_jalali_day(member_factory):
    # Given a birthday rule and a member born on 1 Farvardin 1369 (21 March 1990)
    live(name="Birthday", trigger="occasion", occasion="birthday", effect={"type": "fixed_points", "points": 2000})
    member = member_factory(birth_date=date(1990, 3, 21))
    other = member_factory(birth_date=date(1990, 3, 22))
    # When the daily run happens on 21 March 2024, which is 2 Farvardin 1403 (a leap shift)
    assert occasions_award(now=datetime(2024, 3, 21, 9, tzinfo=TEHRAN))["birthday"] == 1
    # Then the member born on 2 Farvardin gets it, not the one born on 21 March
    assert (balance(member), balance(other)) == (0, 2000)
    # And on 1 Farvardin 1403 (20 March 2024) the first member gets it, once however often it runs
    assert occasions_award(now=_at(1403, 1, 1))["birthday"] == 1
    assert occasions_award(now=_at(1403, 1, 1, 20))["birthday"] == 0
    assert balance(member) == 2000
    # And again next Jalali year
    assert occasions_award(now=_at(1404, 1, 1))["birthday"] == 1
    assert balance(member) == 4000


def test_esfand_30_birthdays_are_celebrated_on_esfand_29_in_common_years(member_factory):
    live(name="Birthday", trigger="occasion", occasion="birthday", effect={"type": "fixed_points", "points": 10})
    born = jdatetime.date(1399, 12, 30).togregorian()  # 1399 is a leap year
    member = member_factory(birth_date=born)
    assert not jdatetime.date(1404, 1, 1).isleap()
    occasions_award(now=_at(1404, 12, 29))
    assert balance(member) == 10


def test_wedding_and_membership_anniversaries(member_factory):
    live(name="Wedding", trigger="occasion", occasion="wedding", effect={"type": "fixed_points", "points": 30})
    live(name="Anniversary", trigger="occasion", occasion="membership_anniversary",
         effect={"type": "fixed_points", "points": 7})
    joined = _at(1402, 8, 10)
    member = member_factory(joined_at=joined)
    Occasion.objects.create(member=member, kind="wedding", date=jdatetime.date(1398, 8, 10).togregorian())
    counts = occasions_award(now=_at(1404, 8, 10))
    assert counts == {"birthday": 0, "wedding": 1, "membership_anniversary": 1}
    assert balance(member) == 37
    # The day they joined is no anniversary yet
    fresh = member_factory(joined_at=_at(1404, 8, 10, 8))
    occasions_award(now=_at(1404, 8, 10, 10))
    assert balance(fresh) == 0


def test_occasions_without_rules_do_nothing_and_the_command_reports(member_factory, capsys):
    member_factory(birth_date=date(1990, 3, 21))
    call_command("award_occasions")
    assert "birthday 0" in capsys.readouterr().out
    assert Event.objects.count() == 0


def test_a_29_february_birthday_is_found_in_a_common_gregorian_year(member_factory):
    # 1996-02-29 is 10 Esfand 1374; in 1403 10 Esfand is 2025-02-28, a year with no 29 February
    live(name="Birthday", trigger="occasion", occasion="birthday", effect={"type": "fixed_points", "points": 5})
    member = member_factory(birth_date=date(1996, 2, 29))
    assert occasions_award(now=datetime(2025, 2, 28, 9, tzinfo=TEHRAN))["birthday"] == 1
    assert balance(member) == 5


@pytest.mark.parametrize("body", [{"birth_date": "0001-03-21"}, {"birth_date": "1899-12-31"},
                                  {"occasions": [{"kind": "wedding", "date": "0005-01-01"}]}])
def test_dates_before_1900_are_refused(api, member, body):
    before = db_state(*REQUEST_WRITES)
    assert_error(api.patch(f"/members/{member.pk}", body), 422, "validation_error")
    assert db_state(*REQUEST_WRITES) == before


@pytest.mark.parametrize("occurred_at", ["0001-01-01T00:00:00+05:00", "1969-12-31T23:00:00Z",
                                         "2999-01-01T00:00:00Z"])
def test_an_event_time_out_of_range_is_refused(api, member, occurred_at):
    assert_error(api.post("/events", {"member_id": member.pk, "type": "review", "occurred_at": occurred_at}), 422,
                 "validation_error")
    assert Event.objects.count() == 0


def test_once_codes_are_uploaded_only_pooled_codes_earn_each_once(api, member_factory):
    # Given a rule for tea packaging codes and a pool of two codes of the tea product
    rule = live(name="Tea pack", trigger="packaging_code", conditions={"skus": ["TEA-500G"]},
                effect={"type": "fixed_points", "points": 30})
    any_pack = live(name="Any pack", trigger="packaging_code", effect={"type": "fixed_points", "points": 1})
    upload = api.post("/program/packaging-codes", {"codes": ["tea-0001", "TEA 0002", "TEA-0001"], "sku": "TEA-500G",
                                                   "batch": "1405-09"})
    assert upload.status_code == 201 and upload.json() == {"added": 2, "unused": 2}
    a, b = member_factory(), member_factory()
    # When a member enters a pooled code
    first = api.post("/events", {"member_id": a.pk, "type": "packaging_code", "properties": {"code": "Tea-0001"}})
    # Then both rules apply (the code names its product); the code is used up
    assert first.status_code == 201, first.content
    assert [(r["rule_id"], r["points"]) for r in first.json()["applied_rules"]] == [(str(rule.pk), 30),
                                                                                    (str(any_pack.pk), 1)]
    assert first.json()["points_earned"] == 31
    before = db_state(*REQUEST_WRITES)
    assert_error(api.post("/events", {"member_id": b.pk, "type": "packaging_code",
                                      "properties": {"code": "TEA0001"}}), 409, "packaging_code_used")
    assert_error(api.post("/events", {"member_id": b.pk, "type": "packaging_code",
                                      "properties": {"code": "MADE-UP"}}), 404, "packaging_code_not_found")
    assert db_state(*REQUEST_WRITES) == before
    assert api.post("/program/packaging-codes", {"codes": ["TEA-0003"]}).json() == {"added": 1, "unused": 2}


def test_packaging_code_uploads_refuse_bad_codes(api):
    from vafa.member_events.models import PackagingCode

    assert_error(api.post("/program/packaging-codes", {"codes": []}), 422, "validation_error")
    assert_error(api.post("/program/packaging-codes", {"codes": ["OK", " - "]}), 422, "validation_error")
    assert PackagingCode.objects.count() == 0


# --- internal triggers cannot be posted; a rule may require a key -------------------------------


@pytest.mark.parametrize("event_type", ["join", "profile_completed"])
def test_the_clubs_own_triggers_cannot_be_posted(api, member, event_type):
    live(name="Welcome", trigger=event_type, effect={"type": "fixed_points", "points": 100})
    before = db_state(*REQUEST_WRITES, Event)
    for key in (None, "again-1"):
        body = {"member_id": member.pk, "type": event_type, **({"key": key} if key else {})}
        details = assert_error(api.post("/events", body), 422, "validation_error")
        assert "club itself" in details["type"]
    assert db_state(*REQUEST_WRITES, Event) == before


def test_a_rule_that_requires_a_key_ignores_keyless_events(api, member):
    live(name="App installed", trigger="event", event_type="app_install", conditions={"require_key": True},
         effect={"type": "fixed_points", "points": 300})
    keyless = api.post("/events", {"member_id": member.pk, "type": "app_install"})
    assert keyless.status_code == 201 and keyless.json()["points_earned"] == 0
    keyed = api.post("/events", {"member_id": member.pk, "type": "app_install", "key": "device-1"})
    assert keyed.json()["points_earned"] == 300
    assert api.post("/events", {"member_id": member.pk, "type": "app_install", "key": "device-1"}).json()["id"] == \
        keyed.json()["id"]
    assert balance(member) == 300


def test_require_key_is_refused_on_a_trigger_nobody_posts(db):
    from vafa.core.errors import ValidationFailed
    from vafa.program.models import Rule

    with pytest.raises(ValidationFailed) as caught:
        rule_create(data={"name": "x", "trigger": "purchase", "conditions": {"require_key": True},
                          "effect": {"type": "fixed_points", "points": 1}})
    assert "conditions.require_key" in caught.value.details
    assert not Rule.objects.exists()


def test_a_partners_event_keys_are_its_own(api, member):
    # A partner posting a key first cannot take it from the operator (whose rule would then
    # award nothing for the operator's own event)
    from vafa.api.tests.test_api_errors import new_merchant_api

    partner = new_merchant_api("Partner cafe")
    body = {"member_id": member.pk, "type": "review", "key": "review-1001"}
    first = partner.post("/events", body)
    assert first.status_code == 201, first.content
    own = api.post("/events", body)
    assert own.status_code == 201 and own.json()["id"] != first.json()["id"]
    assert api.post("/events", body).json()["id"] == own.json()["id"]  # the operator's retry replays
