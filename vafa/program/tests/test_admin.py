"""The program in the Django admin: rules and tiers saved through their services (history,
changed_by, the program's version), refused field by field, and every page in Persian."""

import pytest

from vafa.program.models import ProgramSettings, Rule, RuleRevision, Tier
from vafa.program.rules import rule_clean, rule_create, tier_create

RULE_FORM = {
    "name": "Happy hour", "status": "live", "trigger": "purchase", "occasion": "", "event_type": "",
    "conditions": '{"weekdays": ["thu", "fri"], "hours": {"from": "10:00", "to": "12:00"}, "tags": []}',
    "effect": '{"type": "multiplier", "percent": 200}', "priority": "5", "stacking": "exclusive",
    "caps": '{"per_member_day": 300}', "budget": "{}", "pending_days": "", "expiry_months": "3", "merchant": "",
}
FIXED = '{"type": "fixed_points", "points": 5}'


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser(username="maryam", password=None)  # logged in directly
    client.force_login(user)
    return client


def version() -> int:
    return ProgramSettings.objects.get(pk=1).version


def rule_state() -> list:
    return [list(Rule.objects.order_by("pk").values()),
            list(RuleRevision.objects.order_by("pk").values_list("rule_id", "revision", "data", "changed_by"))]


def revisions_management(rule: Rule) -> dict:
    """The inline's management form, as the browser sends it back."""
    count = rule.revisions.count()
    return {"revisions-TOTAL_FORMS": str(count), "revisions-INITIAL_FORMS": str(count),
            "revisions-MIN_NUM_FORMS": "0", "revisions-MAX_NUM_FORMS": "0"}


def form_errors(response) -> dict:
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}


# --- rules -------------------------------------------------------------------------------------


def test_a_rule_added_in_the_admin_is_saved_by_the_service_with_its_first_revision(staff):
    before = version()
    response = staff.post("/admin/program/rule/add/", RULE_FORM)
    assert response.status_code == 302, form_errors(response)
    rule = Rule.objects.get()
    assert (rule.name, rule.status, rule.priority, rule.stacking, rule.expiry_months, rule.revision) == (
        "Happy hour", "live", 5, "exclusive", 3, 1)
    # Stored as rule_clean normalises it: the empty tags list is not kept
    assert rule.conditions == {"weekdays": ["thu", "fri"], "hours": {"from": "10:00", "to": "12:00"}}
    assert rule.effect == {"type": "multiplier", "percent": 200}
    assert rule.caps == {"per_member_day": 300}
    revision = RuleRevision.objects.get()
    assert (revision.rule_id, revision.revision, revision.changed_by) == (rule.pk, 1, "maryam")
    assert revision.data["conditions"] == rule.conditions
    assert version() == before + 1


def test_a_rule_edited_in_the_admin_keeps_its_history(staff):
    rule = rule_create(data={"name": "Happy hour", "effect": {"type": "fixed_points", "points": 10}},
                       changed_by="api:shop")
    url = f"/admin/program/rule/{rule.pk}/change/"
    assert staff.get(url).status_code == 200
    response = staff.post(url, {**RULE_FORM, **revisions_management(rule), "priority": "7"})
    assert response.status_code == 302, form_errors(response)
    rule.refresh_from_db()
    assert (rule.revision, rule.priority, rule.effect) == (2, 7, {"type": "multiplier", "percent": 200})
    assert list(rule.revisions.order_by("revision").values_list("revision", "changed_by", "data__priority")) == [
        (1, "api:shop", 0), (2, "maryam", 7)]
    # Saving it again unchanged adds no revision
    response = staff.post(url, {**RULE_FORM, **revisions_management(rule), "priority": "7"})
    assert response.status_code == 302, form_errors(response)
    assert Rule.objects.get(pk=rule.pk).revision == 2
    # The history shows on the rule's page
    page = staff.get(url).content.decode()
    assert "api:shop" in page and "maryam" in page


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"conditions": '{"weekdays": ["thu",]}'}, "conditions", None),  # not JSON: Django's own message
    ({"conditions": '{"weekdays": ["someday"]}'}, "conditions",
     "conditions.weekdays: one of mon, tue, wed, thu, fri, sat, sun"),
    ({"conditions": '{"colour": "red"}'}, "conditions", "unknown conditions: colour"),
    ({"conditions": '{"hours": {"from": "10:00", "to": "25:00"}}'}, "conditions",
     "conditions.hours.to: a time HH:MM"),
    ({"conditions": '["tea"]'}, "conditions", "an object"),
    ({"effect": '{"type": "multiplier", "percent": 50}'}, "effect", "effect.percent: an integer from 100 to 100000"),
    ({"effect": ""}, "effect", None),  # required
    ({"caps": '{"per_week": 3}'}, "caps", "an object with per_member_day, per_member_month, per_member_jalali_year"),
    ({"trigger": "occasion", "effect": FIXED}, "occasion", "one of birthday, wedding, membership_anniversary"),
    ({"trigger": "event", "effect": FIXED}, "event_type", "required for an event rule, at most 64 characters"),
])
def test_an_invalid_rule_is_a_form_error_on_its_field_and_nothing_is_saved(staff, change, field, message):
    before, program_version = rule_state(), version()
    errors = form_errors(staff.post("/admin/program/rule/add/", {**RULE_FORM, **change}))
    assert list(errors) == [field]
    if message is not None:
        assert errors[field] == [message]
    assert rule_state() == before
    assert version() == program_version


def test_an_invalid_edit_changes_nothing(staff):
    rule = rule_create(data={"name": "Happy hour", "effect": {"type": "fixed_points", "points": 10}})
    before = rule_state()
    conditions = '{"amount_min": 5, "amount_max": 1}'
    response = staff.post(f"/admin/program/rule/{rule.pk}/change/",
                          {**RULE_FORM, **revisions_management(rule), "conditions": conditions})
    assert form_errors(response) == {"conditions": ["conditions.amount_max: not below amount_min"]}
    assert rule_state() == before


def test_the_status_actions_go_through_the_service(staff):
    first = rule_create(data={"name": "one", "effect": {"type": "fixed_points", "points": 1}})
    second = rule_create(data={"name": "two", "status": "live", "effect": {"type": "fixed_points", "points": 2}})
    ids = [str(first.pk), str(second.pk)]

    def act(action):
        response = staff.post("/admin/program/rule/", {"action": action, "_selected_action": ids})
        assert response.status_code == 302
        return dict(Rule.objects.values_list("name", "status")), dict(Rule.objects.values_list("name", "revision"))

    assert act("make_live") == ({"one": "live", "two": "live"}, {"one": 2, "two": 1})
    assert act("pause") == ({"one": "paused", "two": "paused"}, {"one": 3, "two": 2})
    assert act("end") == ({"one": "ended", "two": "ended"}, {"one": 4, "two": 3})
    assert list(first.revisions.order_by("revision").values_list("data__status", "changed_by")) == [
        ("draft", ""), ("live", "maryam"), ("paused", "maryam"), ("ended", "maryam")]


def test_rules_are_never_deleted_in_the_admin(staff):
    rule = rule_create(data={"name": "one", "effect": {"type": "fixed_points", "points": 1}})
    assert staff.get(f"/admin/program/rule/{rule.pk}/delete/").status_code == 403
    assert Rule.objects.filter(pk=rule.pk).exists()


def test_the_help_texts_list_exactly_the_keys_the_rules_take():
    from vafa.program.admin import CONDITION_KEYS, RuleForm

    form = RuleForm()
    for key in CONDITION_KEYS:
        assert key in str(form.fields["conditions"].help_text)
    for kind in ("points_per_amount", "fixed_points", "multiplier", "cashback", "reward", "free_item", "per_rial"):
        assert kind in str(form.fields["effect"].help_text)
    assert "per_member_jalali_year" in str(form.fields["caps"].help_text)
    assert "rials" in str(form.fields["budget"].help_text)
    # Each key is one rule_clean takes, and it refuses any other
    effect = {"type": "fixed_points", "points": 1}
    for key in CONDITION_KEYS:
        try:
            rule_clean({"name": "x", "effect": effect, "conditions": {key: None}})
        except Exception as exc:  # a wrong value is fine here; an unknown key is not
            assert "unknown" not in str(getattr(exc, "details", exc)), key


# --- tiers -------------------------------------------------------------------------------------

TIER_FORM = {"code": "gold", "name": "طلایی", "rank": "2", "color": "#c9a227", "qualify_by": "spend",
             "threshold": "50000000", "window": "jalali_year", "earn_percent": "150", "grace_days": "30",
             "page_text": ""}


def test_a_tier_is_added_and_edited_through_the_service(staff):
    before = version()
    response = staff.post("/admin/program/tier/add/", TIER_FORM)
    assert response.status_code == 302, form_errors(response)
    tier = Tier.objects.get()
    assert (tier.code, tier.name, tier.rank, tier.threshold, tier.window, tier.earn_percent) == (
        "gold", "طلایی", 2, 50_000_000, "jalali_year", 150)
    assert version() == before + 1
    response = staff.post(f"/admin/program/tier/{tier.pk}/change/", {**TIER_FORM, "earn_percent": "200"})
    assert response.status_code == 302, form_errors(response)
    assert Tier.objects.get().earn_percent == 200
    assert version() == before + 2


@pytest.mark.parametrize(("change", "field"), [
    ({"color": "gold"}, "color"),
    ({"earn_percent": "50"}, "earn_percent"),
    ({"rank": "1"}, "rank"),  # silver has it
    ({"code": "silver"}, "code"),
])
def test_an_invalid_tier_is_a_form_error_and_nothing_is_saved(staff, change, field):
    tier_create(data={"code": "silver", "name": "Silver", "rank": 1})
    before = list(Tier.objects.values())
    errors = form_errors(staff.post("/admin/program/tier/add/", {**TIER_FORM, **change}))
    assert list(errors) == [field]
    assert list(Tier.objects.values()) == before


# --- settings and pages ------------------------------------------------------------------------


def test_the_settings_form_shows_every_setting_and_saves_the_club_fields(staff):
    from vafa.program.admin import ProgramSettingsAdmin

    shown = {name for _title, options in ProgramSettingsAdmin.fieldsets for name in options["fields"]}
    editable = [f for f in ProgramSettings._meta.concrete_fields if f.editable and f.name != "id"]
    assert {f.name for f in editable} <= shown
    settings = ProgramSettings.objects.get(pk=1)
    rule_create(data={"name": "one", "effect": {"type": "fixed_points", "points": 1}})  # raises the version
    program_version = version()
    # The form as the browser sends it (an unticked box is left out), with the club made closed
    data = {f.name: getattr(settings, f.name) for f in editable}
    data.update(club_mode="closed", approve_spend_rial=20_000_000, referral_limit=3)
    data = {k: "on" if v is True else "" if v is None else v for k, v in data.items() if v is not False}
    response = staff.post("/admin/program/programsettings/1/change/", data)
    assert response.status_code == 302, form_errors(response)
    settings.refresh_from_db()
    assert (settings.club_mode, settings.approve_spend_rial, settings.referral_limit) == ("closed", 20_000_000, 3)
    assert settings.version == program_version  # not written back from the page


def test_every_program_page_renders_in_persian(staff, member):
    rule = rule_create(data={"name": "one", "effect": {"type": "fixed_points", "points": 1}}, changed_by="x")
    tier = tier_create(data={"code": "gold", "name": "Gold", "rank": 1})
    pages = ["/admin/program/", "/admin/program/rule/", "/admin/program/rule/add/",
             f"/admin/program/rule/{rule.pk}/change/", "/admin/program/rule/?status__exact=live&trigger__exact=join",
             "/admin/program/tier/", "/admin/program/tier/add/", f"/admin/program/tier/{tier.pk}/change/",
             "/admin/program/membertier/", "/admin/program/tierchange/", "/admin/program/ruleaward/",
             "/admin/program/programsettings/", "/admin/program/programsettings/1/change/"]
    for url in pages:
        response = staff.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert '<html lang="fa" dir="rtl"' in page, url
        assert "ذخیره" in page or "افزودن" in page or "مدیریت" in page, url
