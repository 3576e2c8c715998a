"""Back-office engagement pages: segments (builder, live count, members, CSV), campaigns
(compose, live counter, preview, schedule / send now / cancel, the report and lift), automations
(switch, create, edit, history), messages (by member and status), and the member page's tags,
consent history and messages. Who may: owners, managers and marketers; cashiers, a partner's
staff and strangers are refused, and a refused POST changes nothing."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vafa.core.jalali import TEHRAN
from vafa.core.models import AuditEntry
from vafa.core.tests.fixtures import unchanged
from vafa.engage import services as engaging
from vafa.engage.models import Automation, Campaign, CampaignMember, Message, Segment
from vafa.engage.tests.conftest import work
from vafa.members.models import ConsentChange, MemberTag, Tag
from vafa.members.services import member_tags_add
from vafa.merchants.staff import staff_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_file")]

ROLES = ("owner", "manager", "marketer", "cashier")


def login(role: str, *, merchant_id=None, name=None) -> Client:
    user = staff_create(username=name or f"{role}-{merchant_id or 'op'}", password="vafa-test-pass-1", role=role,
                        merchant_id=merchant_id)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff(merchant):
    return {role: login(role) for role in ROLES}


@pytest.fixture
def people(member_factory):
    sara = member_factory(phone="09121234567", first_name="سارا", last_name="محمدی", consents={"sms": True})
    reza = member_factory(phone="09351112233", first_name="رضا", last_name="", consents={"sms": True})
    shop = member_factory(phone="09197654321", kind="organization", organization_name="Tea House",
                          first_name="", last_name="")
    return sara, reza, shop


@pytest.fixture
def segment(people):
    return engaging.segment_create(data={"name": "SMS people", "conditions": {"consent": "sms"}})


@pytest.fixture
def campaign(segment):
    return engaging.campaign_create(data={"name": "Yalda", "channel": "sms", "segment_id": segment.pk,
                                          "text": "سلام {first_name} {last_name}، یلدا مبارک"})


@pytest.fixture
def automation(people):
    return engaging.automation_create(data={"name": "Birthday", "trigger": {"type": "birthday"}, "channel": "sms",
                                            "text": "تولدت مبارک {first_name}"})


def en(client: Client) -> Client:
    """The client, with the pages in English (the language switch's cookie)."""
    client.cookies["django_language"] = "en"
    return client


def text_of(response) -> str:
    return response.content.decode()


def by_testid(response, testid: str) -> str:
    """The inner text of the first element with data-testid (tags stripped, blanks folded)."""
    html = text_of(response)
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    assert match, f"no {testid}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


# --- segments ---------------------------------------------------------------------------------------------


def test_the_segment_list_counts_each_segment_live(staff, segment, people):
    response = staff["marketer"].get(reverse("manage:segments"))
    assert response.status_code == 200
    assert 'data-count="2"' in text_of(response)
    member_tags_add(member_id=people[2].pk, names=["VIP"])
    engaging.segment_create(data={"name": "VIP", "conditions": {"tags": ["vip"]}})
    counts = re.findall(r'data-testid="segment-count" data-count="(\d+)"', text_of(staff["owner"].get(
        reverse("manage:segments"))))
    assert sorted(counts) == ["1", "2"]


def test_the_builder_counts_the_conditions_as_they_change(staff, people):
    client = staff["marketer"]
    page = client.get(reverse("manage:segment_new"))
    assert page.status_code == 200
    assert page.context["count"] == 3  # no condition yet: every member
    answer = client.post(reverse("manage:segment_count"), {"kinds": ["organization"]}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert answer.context["count"] == 1
    assert 'data-count="1"' in text_of(answer)
    answer = client.post(reverse("manage:segment_count"), {"consent": "sms", "purchases_max": "۰"})
    assert answer.context["count"] == 2  # Persian digits; nobody bought, so everyone has at most 0 purchases
    # nothing is saved by counting
    assert Segment.objects.count() == 0


def test_the_live_count_shows_each_fields_errors_out_of_band(staff, people):
    answer = staff["marketer"].post(reverse("manage:segment_count"), {
        "purchases_min": "many", "window_days": "99999", "spend_min": "500", "spend_max": "100", "kinds": ["robot"]})
    assert answer.status_code == 200  # htmx swaps only a 2xx answer
    html = text_of(answer)
    assert answer.context["count"] is None
    for name in ("purchases_min", "window_days", "spend_min", "kinds"):
        slot = re.search(rf'<div class="field-errors" id="errors-{name}" hx-swap-oob="true">(.*?)</div>', html, re.S)
        assert slot and "errorlist" in slot.group(1), name
    empty = re.search(r'<div class="field-errors" id="errors-points_min" hx-swap-oob="true"></div>', html)
    assert empty  # a field without an error is cleared
    assert "errors-name" not in html  # the name is not asked for while counting


def test_saving_a_segment_stores_the_conditions_and_audits_it(staff, people):
    client = staff["marketer"]
    response = client.post(reverse("manage:segment_new"), {
        "name": "Lapsed big spenders", "kinds": ["person"], "consent": "sms", "not_purchased_within_days": "۹۰",
        "window_days": "730", "spend_min": "۲٬۵۰۰٬۰۰۰", "purchases_min": "2", "points_min": "100",
        "birthday_within_days": "0", "skus": "LATTE-L, CAKE-1", "categories": "قهوه، کیک", "rfm_r": ["1", "2"],
        "rfm_m": ["5"]})
    segment = Segment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("manage:segment", args=[segment.pk])
    assert segment.conditions == {
        "kinds": ["person"], "consent": "sms", "not_purchased_within_days": 90, "window_days": 730,
        "spend_min_rial": 25_000_000, "purchases_min": 2, "points_min": 100, "birthday_within_days": 0,
        "skus": ["LATTE-L", "CAKE-1"], "categories": ["قهوه", "کیک"], "rfm": {"r": [1, 2], "m": [5]}}
    assert (segment.name, segment.code, segment.created_by) == ("Lapsed big spenders", "lapsed-big-spenders",
                                                               "marketer-op")
    entry = AuditEntry.objects.get(action="segment.create")
    assert (entry.actor_name, entry.target_id, entry.after["conditions"]["points_min"]) == (
        "marketer-op", str(segment.pk), 100)


def test_a_segment_refused_shows_why_on_the_field_and_saves_nothing(staff, segment):
    client = staff["manager"]
    with unchanged(Segment, AuditEntry):
        response = client.post(reverse("manage:segment_new"), {"name": "", "purchases_min": "5",
                                                                "purchases_max": "2"})
        assert response.status_code == 422
        assert "name" in response.context["form"].errors and "purchases_min" in response.context["form"].errors
        # the same code as an existing segment: said on the name
        response = client.post(reverse("manage:segment_new"), {"name": "SMS people"})
        assert response.status_code == 422
        assert response.context["form"].errors["name"]


def test_editing_a_segment_keeps_the_conditions_the_builder_does_not_offer(staff, people):
    sara = people[0]
    kept = engaging.segment_create(data={"name": "Chosen", "conditions": {
        "members": [sara.pk], "any": [{"kinds": ["person"]}, {"tags": ["vip"]}]}})
    client = staff["marketer"]
    page = client.get(reverse("manage:segment_edit", args=[kept.pk]))
    assert page.status_code == 200 and 'data-testid="kept-conditions"' in text_of(page)
    count = client.post(reverse("manage:segment_count"), {"segment": kept.pk, "kinds": ["person", "organization"]})
    assert count.context["count"] == 1  # the kept list of members still counts
    response = client.post(reverse("manage:segment_edit", args=[kept.pk]), {"name": "Chosen few",
                                                                           "consent": "sms"})
    assert response.status_code == 302
    kept.refresh_from_db()
    assert kept.name == "Chosen few"
    assert kept.conditions == {"consent": "sms", "members": [sara.pk],
                               "any": [{"kinds": ["person"]}, {"tags": ["vip"]}]}
    entry = AuditEntry.objects.get(action="segment.update")
    assert entry.before == {"name": "Chosen", "conditions": {"members": [sara.pk], "any": [
        {"kinds": ["person"]}, {"tags": ["vip"]}]}}


def test_the_builder_shows_a_segments_conditions_when_editing(staff, people):
    member_tags_add(member_id=people[0].pk, names=["VIP"])
    seg = engaging.segment_create(data={"name": "VIP SMS", "conditions": {
        "tags": ["vip"], "spend_min_rial": 1_000_000, "rfm": {"f": [4, 5]}}})
    form = staff["owner"].get(reverse("manage:segment_edit", args=[seg.pk])).context["form"]
    assert form.initial["tags"] == ["vip"] and form.initial["spend_min"] == 100_000
    assert form.initial["rfm_f"] == ["4", "5"]
    page = en(staff["owner"]).get(reverse("manage:segment", args=[seg.pk]))
    assert page.context["conditions"][0] == "Staff tags: VIP"


def test_the_builder_asks_for_the_lifetime_value_scores(staff, people):
    client = staff["marketer"]
    response = client.post(reverse("manage:segment_new"), {"name": "Slipping", "p_alive_max": "۳۰",
                                                           "clv_min": "۵۰۰٬۰۰۰"})
    segment = Segment.objects.get()
    assert response.status_code == 302
    assert segment.conditions == {"clv": {"p_alive_max": 0.3, "clv_min_rial": 5_000_000}}
    form = client.get(reverse("manage:segment_edit", args=[segment.pk])).context["form"]
    assert (form.initial["p_alive_max"], form.initial["clv_min"]) == (30, 500_000)
    page = en(client).get(reverse("manage:segment", args=[segment.pk]))
    assert page.context["conditions"] == ["Chance still active at most 30%", "Lifetime value at least 500,000 Toman"]
    # Bounds set through the API more finely than the builder shows survive an edit of the name
    exact = engaging.segment_create(data={"name": "Fine", "conditions": {"clv": {"p_alive_max": 0.155,
                                                                                 "clv_min_rial": 15}}})
    edited = client.post(reverse("manage:segment_edit", args=[exact.pk]), {"name": "Finer", "p_alive_max": "16",
                                                                           "clv_min": "1"})
    assert edited.status_code == 302
    exact.refresh_from_db()
    assert (exact.name, exact.conditions) == ("Finer", {"clv": {"p_alive_max": 0.155, "clv_min_rial": 15}})
    with unchanged(Segment):
        refused = client.post(reverse("manage:segment_new"), {"name": "Too sure", "p_alive_max": "101"})
    assert refused.status_code == 422 and refused.context["form"].errors["p_alive_max"]


def test_a_segments_page_masks_phones_for_marketers_and_not_for_managers(staff, segment, people):
    url = reverse("manage:segment", args=[segment.pk])
    marketer = text_of(en(staff["marketer"]).get(url))
    assert "+98912***4567" in marketer and "+989121234567" not in marketer
    manager = en(staff["manager"]).get(url)
    assert "+989121234567" in text_of(manager)
    assert [m.pk for m in manager.context["members"]] == [people[0].pk, people[1].pk]


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_segment_csv_streams_every_member_masked_as_the_page_and_is_audited(staff, segment, people):
    url = reverse("manage:segment_csv", args=[segment.pk])
    rows = _csv_rows(staff["marketer"].get(url))
    assert rows[0] == ["id", "phone", "first_name", "last_name", "organization_name", "kind"]
    assert [r[:3] for r in rows[1:]] == [[str(people[0].pk), "+98912***4567", "سارا"],
                                         [str(people[1].pk), "+98935***2233", "رضا"]]
    rows = _csv_rows(staff["owner"].get(url))
    assert rows[1][1] == "+989121234567"
    exports = AuditEntry.objects.filter(action="segment.export").order_by("pk")
    assert list(exports.values_list("actor_name", "after")) == [
        ("marketer-op", {"members": 2, "phones": "masked"}), ("owner-op", {"members": 2, "phones": "full"})]


def test_a_missing_segment_is_404(staff):
    assert staff["marketer"].get(reverse("manage:segment", args=[999])).status_code == 404
    assert staff["marketer"].get(reverse("manage:segment_csv", args=[999])).status_code == 404


# --- campaigns --------------------------------------------------------------------------------------------


def test_composing_counts_the_sms_and_previews_it_for_the_segments_first_member(staff, segment, people):
    client = staff["marketer"]
    page = client.get(reverse("manage:campaign_new") + f"?segment={segment.pk}")
    assert page.status_code == 200 and page.context["form"].initial["segment"] == segment.pk
    assert "{first_name}" in text_of(page) and 'data-testid="draft-empty"' in text_of(page)
    answer = client.post(reverse("manage:campaign_draft"), {
        "channel": "sms", "segment": segment.pk, "text": "سلام {first_name} {last_name}", "holdout_percent": "50"})
    draft = answer.context["draft"]
    # «لغو۱۱» on its own line ends a marketing SMS from a service line
    assert draft["text"] == "سلام سارا محمدی\nلغو۱۱"
    assert (draft["characters"], draft["parts"], draft["unicode"], draft["per_part"]) == (21, 1, True, 70)
    assert (draft["audience"], draft["holdout"], draft["cost_per_message_rial"], draft["estimated_cost_rial"]) == (
        2, 1, 1_500, 1_500)
    assert draft["missing"] == []
    # a long Persian text takes parts of 67
    long = client.post(reverse("manage:campaign_draft"), {"channel": "sms", "segment": segment.pk,
                                                          "text": "ب" * 130}).context["draft"]
    assert (long["characters"], long["parts"]) == (136, 3)


def test_the_counter_names_unknown_placeholders(staff, segment):
    answer = staff["marketer"].post(reverse("manage:campaign_draft"), {"channel": "sms", "text": "Hi {nickname}"})
    assert answer.status_code == 200
    assert answer.context["draft_error"]
    assert "nickname" in answer.context["unknown"]


def test_saving_a_campaign_makes_a_draft_with_every_field_and_audits_it(staff, segment):
    client = staff["marketer"]
    response = client.post(reverse("manage:campaign_new"), {
        "name": "Yalda", "channel": "sms", "segment": segment.pk, "text": "سلام {first_name}",
        "holdout_percent": "۱۰", "lift_days": "14", "send_date": "1410/09/30", "send_time": "۱۰:۳۰"})
    made = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("manage:campaign", args=[made.pk])
    assert (made.status, made.name, made.channel, made.purpose, made.segment_id, made.text, made.holdout_percent,
            made.lift_days, made.created_by) == ("draft", "Yalda", "sms", "marketing", segment.pk,
                                                 "سلام {first_name}", 10, 14, "marketer-op")
    assert made.send_at.astimezone(TEHRAN).strftime("%Y-%m-%d %H:%M") == "2031-12-21 10:30"
    entry = AuditEntry.objects.get(action="campaign.create")
    assert (entry.actor_name, entry.after["status"], entry.after["holdout_percent"]) == ("marketer-op", "draft", 10)


def test_a_campaign_refused_keeps_the_form_and_saves_nothing(staff, segment):
    client = staff["marketer"]
    with unchanged(Campaign, AuditEntry):
        response = client.post(reverse("manage:campaign_new"), {
            "name": "Mail", "channel": "email", "segment": segment.pk, "text": "Hi {nickname}",
            "holdout_percent": "80", "send_date": "1400/01/01", "send_time": "10:00"})
        assert response.status_code == 422
        errors = response.context["form"].errors
        assert {"subject", "holdout_percent", "send_date"} <= set(errors)
        response = client.post(reverse("manage:campaign_new"), {
            "name": "Mail", "channel": "sms", "segment": segment.pk, "text": "Hi {nickname}"})
        assert response.status_code == 422
        assert "nickname" in str(response.context["form"].errors["text"])


def test_the_campaign_page_previews_for_a_member_found_by_phone_and_warns_of_missing_values(staff, campaign,
                                                                                            people):
    client = staff["marketer"]
    page = client.get(reverse("manage:campaign", args=[campaign.pk]))
    assert page.status_code == 200
    assert page.context["preview"]["text"] == "سلام سارا محمدی، یلدا مبارک\nلغو۱۱"
    assert page.context["estimate"] == {"audience": 2, "holdout": 0, "parts_per_message": 1,
                                        "estimated_cost_rial": 3_000}
    answer = client.post(reverse("manage:campaign_preview", args=[campaign.pk]), {"phone": "۰۹۳۵۱۱۱۲۲۳۳"},
                         HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert answer.context["preview"]["member_id"] == people[1].pk
    assert answer.context["preview"]["text"] == "سلام رضا، یلدا مبارک\nلغو۱۱"
    assert answer.context["preview"]["missing"] == ["last_name"]
    assert 'data-testid="preview-missing"' in text_of(answer)
    unknown = client.post(reverse("manage:campaign_preview", args=[campaign.pk]), {"phone": "09120000000"})
    assert unknown.status_code == 422 and unknown.context["preview_form"].errors["phone"]


def test_editing_a_draft(staff, campaign):
    response = staff["manager"].post(reverse("manage:campaign_edit", args=[campaign.pk]), {
        "name": "Yalda 1405", "text": "یلدا مبارک {first_name}", "holdout_percent": "20"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.text, campaign.holdout_percent) == ("Yalda 1405", "یلدا مبارک {first_name}", 20)
    assert AuditEntry.objects.get(action="campaign.update").after == {
        "name": "Yalda 1405", "text": "یلدا مبارک {first_name}", "holdout_percent": 20}


def test_schedule_send_now_and_cancel_are_posts_and_audited(staff, campaign):
    client = staff["marketer"]
    # scheduling without a time (and none chosen before) is refused
    with unchanged(Campaign, AuditEntry):
        assert client.post(reverse("manage:campaign_schedule", args=[campaign.pk]), {}).status_code == 422
    response = client.post(reverse("manage:campaign_schedule", args=[campaign.pk]),
                           {"send_date": "2031-12-21", "send_time": "09:15"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "scheduled"
    assert campaign.send_at.astimezone(TEHRAN).strftime("%Y-%m-%d %H:%M") == "2031-12-21 09:15"
    before = timezone.now()
    client.post(reverse("manage:campaign_send_now", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == "scheduled" and before <= campaign.send_at <= timezone.now()
    client.post(reverse("manage:campaign_cancel", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == "cancelled" and campaign.cancelled_at is not None
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "campaign.schedule", "campaign.send_now", "campaign.cancel"]
    assert AuditEntry.objects.get(action="campaign.cancel").after["status"] == "cancelled"
    # a cancelled campaign cannot be cancelled, scheduled or sent again
    with unchanged(Campaign, AuditEntry):
        for name in ("manage:campaign_cancel", "manage:campaign_send_now"):
            assert client.post(reverse(name, args=[campaign.pk])).status_code == 409
        refused = client.post(reverse("manage:campaign_schedule", args=[campaign.pk]),
                              {"send_date": "2031-12-21", "send_time": "09:15"})
        assert refused.status_code == 409


def test_the_report_counts_by_status_and_reason_and_draws_the_lift(staff, people, member_factory, merchant):
    from vafa.commerce.services import purchase_record

    for _ in range(8):
        member_factory(consents={"sms": True})
    member_factory(consents={"sms": False})
    seg = engaging.segment_create(data={"name": "All", "conditions": {}})
    made = engaging.campaign_create(data={"name": "Test", "channel": "sms", "segment_id": seg.pk,
                                          "text": "سلام", "holdout_percent": 50})
    start = (timezone.now() - timedelta(days=2)).astimezone(TEHRAN).replace(hour=10, minute=0)
    engaging.campaign_schedule(campaign_id=made.pk, data={"send_at": start}, now=start)
    work(start)
    work(start + timedelta(minutes=5))
    contacted = list(CampaignMember.objects.filter(campaign=made, holdout=False).values_list("member_id", flat=True))
    for member_id in contacted[:3]:
        purchase_record(merchant_id=merchant.pk, member_id=member_id, amount=1_000_000,
                        occurred_at=start + timedelta(hours=2))
    page = en(staff["marketer"]).get(reverse("manage:campaign", args=[made.pk]))
    assert page.status_code == 200
    counts, lift = page.context["counts"], page.context["lift"]
    total = CampaignMember.objects.filter(campaign=made).count()
    assert total == 12  # everyone not blocked: 3 people, 8 + 1 more
    assert lift["contacted"]["members"] == 6 and lift["held_out"]["members"] == 6
    skipped = sum(counts["skipped"].values())
    assert counts["sent"] + skipped == 6
    assert [s["reason"] for s in page.context["skips"]] == list(counts["skipped"])
    assert lift["contacted"]["buyers"] == 3 and lift["held_out"]["buyers"] == 0
    assert lift["rate_difference"] == 0.5
    html = text_of(page)
    assert 'data-testid="lift-table"' in html and 'id="chart-lift-rate-data"' in html
    chart = json.loads(re.search(r'<script id="chart-lift-rate-data" type="application/json">(.*?)</script>', html,
                                 re.S).group(1))
    assert [s["data"] for s in chart["series"]] == [[50.0], [0.0]]
    assert 'data-testid="lift-significant"' in html


def test_a_campaign_without_a_hold_out_says_there_is_nothing_to_compare(staff, campaign):
    start = (timezone.now() - timedelta(days=1)).astimezone(TEHRAN).replace(hour=11, minute=0)
    engaging.campaign_schedule(campaign_id=campaign.pk, data={"send_at": start}, now=start)
    work(start)
    work(start + timedelta(minutes=1))  # the second message is handed over a moment later (the throttle)
    page = staff["owner"].get(reverse("manage:campaign", args=[campaign.pk]))
    assert page.context["charts"] is None and 'data-testid="no-holdout"' in text_of(page)
    assert page.context["counts"]["sent"] == 2


# --- automations ------------------------------------------------------------------------------------------


def test_the_switch_turns_an_automation_off_and_on_and_is_audited(staff, automation):
    client = staff["marketer"]
    page = client.get(reverse("manage:automations"))
    assert 'role="switch" aria-checked="true"' in text_of(page)
    response = client.post(reverse("manage:automation_switch", args=[automation.pk]), {"status": "paused"})
    assert response.status_code == 302 and response["Location"] == reverse("manage:automations")
    automation.refresh_from_db()
    assert automation.status == "paused"
    # the same ask again changes nothing (and writes no entry)
    client.post(reverse("manage:automation_switch", args=[automation.pk]), {"status": "paused"})
    response = client.post(reverse("manage:automation_switch", args=[automation.pk]),
                           {"status": "live", "back": "automation"})
    assert response["Location"] == reverse("manage:automation", args=[automation.pk])
    automation.refresh_from_db()
    assert automation.status == "live"
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "before", "after")) == [
        ("automation.switch", {"status": "live"}, {"status": "paused"}),
        ("automation.switch", {"status": "paused"}, {"status": "live"})]
    with unchanged(Automation, AuditEntry):
        client.post(reverse("manage:automation_switch", args=[automation.pk]), {"status": "maybe"})


def test_creating_an_automation_keeps_only_the_chosen_triggers_fields(staff, people):
    client = staff["marketer"]
    response = client.post(reverse("manage:automation_new"), {
        "name": "Coffee refill", "trigger_type": "after_purchase", "trigger_days": "۳۰", "trigger_skus": "BEANS-1",
        "trigger_days_before": "7", "trigger_direction": "up", "trigger_occasion": "wedding",
        "channel": "sms", "text": "{first_name}، قهوه‌تان تمام شده؟", "status": "paused"})
    made = Automation.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("manage:automation", args=[made.pk])
    assert made.trigger == {"type": "after_purchase", "days": 30, "skus": ["BEANS-1"]}
    assert (made.status, made.trigger_type, made.channel) == ("paused", "after_purchase", "sms")
    assert AuditEntry.objects.get(action="automation.create").after["trigger"] == made.trigger


def test_an_automation_refused_says_which_field(staff):
    with unchanged(Automation, AuditEntry):
        response = staff["marketer"].post(reverse("manage:automation_new"), {
            "name": "Expiry", "trigger_type": "points_expiring", "channel": "email", "text": "x", "status": "live"})
        assert response.status_code == 422
        assert {"trigger_days_before", "subject"} <= set(response.context["form"].errors)


def test_editing_an_automation_and_its_history_of_sends(staff, automation, people):
    client = staff["marketer"]
    response = client.post(reverse("manage:automation", args=[automation.pk]), {
        "name": "Birthday wish", "text": "تولدت مبارک {first_name} جان"})
    assert response.status_code == 302
    automation.refresh_from_db()
    assert (automation.name, automation.text) == ("Birthday wish", "تولدت مبارک {first_name} جان")
    engaging.message_queue(member_id=people[0].pk, channel="sms", purpose="service", text="hello",
                           automation_id=automation.pk, key="test:1")
    page = en(client).get(reverse("manage:automation", args=[automation.pk]))
    assert [m.member_id for m in page.context["history"]] == [people[0].pk]
    assert "+98912***4567" in text_of(page) and "+989121234567" not in text_of(page)


# --- messages ---------------------------------------------------------------------------------------------


@pytest.fixture
def sent(people, campaign):
    start = (timezone.now() - timedelta(days=1)).astimezone(TEHRAN).replace(hour=11, minute=0)
    engaging.campaign_schedule(campaign_id=campaign.pk, data={"send_at": start}, now=start)
    work(start)
    engaging.message_queue(member_id=people[2].pk, channel="sms", purpose="marketing", text="no consent",
                           key="test:skip")
    return start


def test_messages_by_member_phone_by_post_and_by_status(staff, people, sent):
    client = staff["marketer"]
    every = en(client).get(reverse("manage:messages"))
    assert len(every.context["rows"]) == 3
    found = en(client).post(reverse("manage:messages"), {"phone": "0935 111 2233"})
    assert [m.member_id for m in found.context["rows"]] == [people[1].pk]
    assert "+989351112233" in text_of(found)  # the number typed is shown in full to the one who typed it
    skipped = en(client).get(reverse("manage:messages") + "?status=skipped")
    rows = skipped.context["rows"]
    assert [(m.member_id, m.skip_reason) for m in rows] == [(people[2].pk, "no_consent")]
    assert 'data-reason="no_consent"' in text_of(skipped)
    # a phone never goes in the address: a GET's phone is ignored
    ignored = client.get(reverse("manage:messages") + "?phone=09351112233")
    assert len(ignored.context["rows"]) == 3
    by_id = en(client).get(reverse("manage:messages") + f"?member={people[0].pk}")
    assert [m.member_id for m in by_id.context["rows"]] == [people[0].pk]
    assert "+98912***4567" in text_of(by_id)
    nobody = client.post(reverse("manage:messages"), {"phone": "09120000000"})
    assert nobody.status_code == 422 and nobody.context["rows"] == []


# --- the member page --------------------------------------------------------------------------------------


def test_the_member_page_shows_tags_consent_history_and_messages_to_engagers(staff, people, sent):
    sara = people[0]
    member_tags_add(member_id=sara.pk, names=["VIP"])
    engaging.sms_reply_handle(sender="09121234567", text="۱۱")
    url = reverse("manage:member", args=[sara.pk])
    for role in ("owner", "manager", "marketer"):
        page = en(staff[role]).get(url)
        html = text_of(page)
        assert 'data-testid="member-tags"' in html and 'data-tag="vip"' in html, role
        changes = page.context["engagement"]["consent_changes"]
        assert [(c.channel, c.granted, c.source) for c in changes] == [("sms", False, "sms_reply"),
                                                                       ("sms", True, "join")]
        assert 'data-source="sms_reply"' in html and "an SMS reply" in html
        assert [m.member_id for m in page.context["engagement"]["messages"]] == [sara.pk]
        assert 'data-testid="member-messages"' in html
    cashier = staff["cashier"].get(url)
    assert cashier.status_code == 200 and cashier.context["engagement"] is None
    html = text_of(cashier)
    for hidden in ("member-tags", "member-consent", "member-messages", "tag-form"):
        assert f'data-testid="{hidden}"' not in html


def test_staff_tag_and_untag_a_member_and_each_change_is_audited(staff, people):
    sara = people[0]
    client = staff["marketer"]
    response = client.post(reverse("manage:member_tags_add", args=[sara.pk]), {"names": "VIP، عمده‌فروش"})
    assert response.status_code == 302 and response["Location"].endswith(f"/manage/members/{sara.pk}/#tags-h")
    assert sorted(MemberTag.objects.filter(member=sara).values_list("tag__code", "tag__name", "added_by")) == [
        ("vip", "VIP", "marketer-op"), ("عمدهفروش", "عمده\u200cفروش", "marketer-op")]  # the code drops the ZWNJ
    client.post(reverse("manage:member_tag_remove", args=[sara.pk, "vip"]))
    assert list(MemberTag.objects.filter(member=sara).values_list("tag__code", flat=True)) == ["عمدهفروش"]
    entries = list(AuditEntry.objects.order_by("pk").values_list("action", "target_id", "before", "after"))
    assert entries == [
        ("member.tags_add", str(sara.pk), {"tags": []}, {"tags": ["vip", "عمدهفروش"]}),
        ("member.tags_remove", str(sara.pk), {"tags": ["vip", "عمدهفروش"]}, {"tags": ["عمدهفروش"]})]
    with unchanged(MemberTag, Tag, AuditEntry):
        empty = client.post(reverse("manage:member_tags_add", args=[sara.pk]), {"names": " , "})
        assert empty.status_code == 302
    assert client.post(reverse("manage:member_tags_add", args=[999]), {"names": "x"}).status_code == 404


# --- who may ----------------------------------------------------------------------------------------------


def _pages(segment, campaign, automation, member) -> list[tuple[str, str]]:
    """Every engagement URL, and whether it answers a GET ("get") or only a POST ("post")."""
    return [
        ("get", reverse("manage:segments")), ("get", reverse("manage:segment_new")),
        ("post", reverse("manage:segment_count")), ("get", reverse("manage:segment", args=[segment.pk])),
        ("get", reverse("manage:segment_edit", args=[segment.pk])),
        ("get", reverse("manage:segment_csv", args=[segment.pk])),
        ("get", reverse("manage:campaigns")), ("get", reverse("manage:campaign_new")),
        ("post", reverse("manage:campaign_draft")), ("get", reverse("manage:campaign", args=[campaign.pk])),
        ("post", reverse("manage:campaign_edit", args=[campaign.pk])),
        ("post", reverse("manage:campaign_preview", args=[campaign.pk])),
        ("post", reverse("manage:campaign_schedule", args=[campaign.pk])),
        ("post", reverse("manage:campaign_send_now", args=[campaign.pk])),
        ("post", reverse("manage:campaign_cancel", args=[campaign.pk])),
        ("get", reverse("manage:automations")), ("get", reverse("manage:automation_new")),
        ("get", reverse("manage:automation", args=[automation.pk])),
        ("post", reverse("manage:automation_switch", args=[automation.pk])),
        ("get", reverse("manage:messages")),
        ("post", reverse("manage:member_tags_add", args=[member.pk])),
        ("post", reverse("manage:member_tag_remove", args=[member.pk, "vip"])),
    ]


# What a POST to the pages could change, had it been let through.
WRITES = (Segment, Campaign, Automation, Message, MemberTag, Tag, ConsentChange, AuditEntry)

# A POST of every page with data that would do something, had it been let through.
HOSTILE = {
    "segment_new": {"name": "Stolen", "consent": "sms"}, "segment_edit": {"name": "Renamed"},
    "campaign_new": {"name": "Spam", "channel": "sms", "text": "spam"},
    "campaign_edit": {"name": "Renamed", "text": "spam"},
    "campaign_schedule": {"send_date": "2031-12-21", "send_time": "10:00"},
    "automation_new": {"name": "Spam", "trigger_type": "joined", "channel": "sms", "text": "x", "status": "live"},
    "automation": {"name": "Renamed", "text": "spam"}, "automation_switch": {"status": "paused"},
    "member_tags_add": {"names": "hacked"},
}


def _hostile_data(url: str, segment) -> dict:
    from django.urls import resolve

    name = resolve(url).url_name
    data = dict(HOSTILE.get(name, {}))
    if name == "campaign_new":
        data["segment"] = segment.pk
    return data


@pytest.fixture
def everything(segment, campaign, automation, people):
    member_tags_add(member_id=people[0].pk, names=["VIP"])
    return _pages(segment, campaign, automation, people[0])


def test_cashiers_are_refused_every_page_and_every_post_changes_nothing(staff, everything, segment):
    client = staff["cashier"]
    with unchanged(*WRITES):
        for _kind, url in everything:
            assert client.get(url).status_code in (403, 405), url
            assert client.post(url, _hostile_data(url, segment)).status_code == 403, url


def test_a_partners_staff_are_refused_even_as_owners(everything, segment, merchant):
    from vafa.merchants.services import merchant_create

    partner = merchant_create(name="Partner cafe")
    for role in ROLES:
        client = login(role, merchant_id=partner.pk, name=f"partner-{role}")
        with unchanged(*WRITES):
            for _kind, url in everything:
                assert client.get(url).status_code in (403, 405), (role, url)
                assert client.post(url, _hostile_data(url, segment)).status_code == 403, (role, url)


def test_strangers_are_sent_to_log_in_and_their_posts_change_nothing(everything, segment):
    client = Client()
    with unchanged(*WRITES):
        for _kind, url in everything:
            for response in (client.get(url), client.post(url, _hostile_data(url, segment))):
                if response.status_code == 405:
                    continue
                assert response.status_code == 302, url
                assert response["Location"].startswith("/manage/login/?next="), url


def test_a_forged_post_without_csrf_token_changes_nothing(merchant, everything, segment):
    user = staff_create(username="csrf-owner", password="vafa-test-pass-1", role="owner")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    with unchanged(*WRITES):
        for kind, url in everything:
            if kind == "post" or url.endswith(("/new/", "/edit/")):
                assert client.post(url, _hostile_data(url, segment)).status_code == 403, url


@pytest.mark.parametrize("role", ["owner", "manager", "marketer"])
def test_engagers_open_every_page(staff, everything, role):
    client = staff[role]
    for kind, url in everything:
        if kind == "get":
            assert client.get(url).status_code == 200, (role, url)


def test_the_nav_links_engagement_for_engagers_only(staff):
    links = ('href="/manage/campaigns/"', 'href="/manage/segments/"', 'href="/manage/automations/"',
             'href="/manage/messages/"')
    for role in ("owner", "manager", "marketer"):
        html = text_of(staff[role].get(reverse("manage:members")))
        assert all(link in html for link in links), role
    html = text_of(staff["cashier"].get(reverse("manage:members")))
    assert not any(link in html for link in links)


def test_a_campaign_and_an_automation_link_a_survey(staff, segment):
    survey = engaging.survey_create(data={"name": "رضایت", "questions": [{"type": "nps", "text": "چقدر؟"}]})
    closed = engaging.survey_create(data={"name": "بسته", "questions": [{"type": "nps", "text": "x"}]})
    engaging.survey_close(survey_id=closed.pk)
    client = staff["marketer"]
    page = client.get(reverse("manage:campaign_new"))
    assert [c[0] for c in page.context["form"].fields["survey"].choices] == ["", survey.pk]
    response = client.post(reverse("manage:campaign_new"), {
        "name": "NPS", "channel": "sms", "segment": segment.pk, "text": "نظر شما: {survey_link}",
        "holdout_percent": "0", "lift_days": "30", "survey": survey.pk})
    assert response.status_code == 302
    assert Campaign.objects.get().survey_id == survey.pk
    response = client.post(reverse("manage:automation_new"), {
        "name": "After a purchase", "status": "live", "trigger_type": "after_purchase", "trigger_days": "3",
        "channel": "sms", "text": "نظر شما: {survey_link}", "survey": survey.pk})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert Automation.objects.get().survey_id == survey.pk
