"""The rule dry run page in the admin."""

import json

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from vafa.core.jalali import TEHRAN, format_jalali_date
from vafa.program.rules import rule_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = User.objects.create_superuser("owner", "o@example.com", "pw-for-tests-1405")
    client.force_login(user)
    return client


def test_the_dry_run_page_shows_what_the_rules_would_have_issued(staff_client, api, member):
    api.post("/purchases", {"member_id": member.pk, "amount": 1_000_000})
    rule = rule_create(data={"name": "Triple", "effect": {"type": "multiplier", "percent": 300}})
    today = format_jalali_date(timezone.now().astimezone(TEHRAN).date(), persian_digits=True)
    page = staff_client.get(f"/admin/program/rule/dry-run/?ids={rule.pk}")
    assert page.status_code == 200 and 'dir="rtl"' in page.content.decode()
    response = staff_client.post("/admin/program/rule/dry-run/", {
        "rule_ids": str(rule.pk), "drafts": json.dumps({"name": "Plus 5", "effect": {"type": "fixed_points",
                                                                                       "points": 5}}),
        "date_from": today, "date_to": today})
    assert response.status_code == 200
    result = response.context["result"]
    assert (result["points"], result["purchases"], result["members"]) == (205, 1, 1)
    assert "205" in response.content.decode()


def test_the_admin_action_leads_to_the_page_and_bad_input_is_explained(staff_client):
    rule = rule_create(data={"name": "R", "effect": {"type": "fixed_points", "points": 1}})
    action = staff_client.post("/admin/program/rule/", {"action": "dry_run", "_selected_action": [rule.pk]})
    assert action.status_code == 302 and action["Location"] == f"/admin/program/rule/dry-run/?ids={rule.pk}"
    bad = staff_client.post("/admin/program/rule/dry-run/", {"drafts": "{not json", "date_from": "1405/13/01",
                                                              "date_to": "2026-01-01"})
    assert bad.status_code == 200 and bad.context["result"] is None
    assert set(bad.context["form"].errors) == {"drafts", "date_from"}
    unknown = staff_client.post("/admin/program/rule/dry-run/", {"rule_ids": "999", "date_from": "2026-01-01",
                                                                  "date_to": "2026-01-02"})
    assert unknown.context["result"] is None and unknown.context["error"].endswith(" id: 999")


def test_only_staff_reach_the_dry_run(client, member):
    assert client.get("/admin/program/rule/dry-run/").status_code == 302  # to the login
    plain = User.objects.create_user("clerk", "c@example.com", "pw-for-tests-1405", is_staff=True)
    client.force_login(plain)
    assert client.get("/admin/program/rule/dry-run/").status_code == 403


def test_purchases_and_events_are_shown_in_the_admin_and_never_edited(staff_client, api, member):
    purchase = api.post("/purchases", {"member_id": member.pk, "amount": 1_000_000,
                                       "items": [{"sku": "TEA", "quantity": 1, "unit_price": 1_000_000}]}).json()
    api.post(f"/purchases/{purchase['id']}/refunds", {"amount": 100_000})
    api.post("/events", {"member_id": member.pk, "type": "review"})
    for path in ("/admin/commerce/purchase/", f"/admin/commerce/purchase/{purchase['id']}/change/",
                 "/admin/member_events/event/", "/admin/program/rule/"):
        page = staff_client.get(path)
        assert page.status_code == 200, path
    detail = staff_client.get(f"/admin/commerce/purchase/{purchase['id']}/change/").content.decode()
    assert "TEA" in detail and 'name="_save"' not in detail
    assert staff_client.get("/admin/commerce/purchase/add/").status_code == 403


def test_staff_upload_packaging_codes_in_the_admin(staff_client):
    from vafa.member_events.models import PackagingCode

    assert 'href="/admin/member_events/packagingcode/upload/"' in staff_client.get(
        "/admin/member_events/packagingcode/").content.decode()
    response = staff_client.post("/admin/member_events/packagingcode/upload/",
                                 {"sku": "TEA-500G", "batch": "B1", "codes": "ab-12\nAB12\ncd 34\n"})
    assert response.status_code == 302
    assert sorted(PackagingCode.objects.values_list("code", "sku", "batch")) == [
        ("AB12", "TEA-500G", "B1"), ("CD34", "TEA-500G", "B1")]
