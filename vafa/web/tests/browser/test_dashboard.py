"""The dashboard in a browser: charts drawn, accessible, and no sideways scroll on a phone."""

from datetime import timedelta

import pytest
from django.utils import timezone

CHARTS_DRAWN = """() => window.Chart && document.querySelectorAll('canvas[data-source]').length === 6 &&
    [...document.querySelectorAll('canvas[data-source]')].every(c => Chart.getChart(c))"""

CANVAS_SIZES = """() => [...document.querySelectorAll('canvas[data-source]')].map(c => ({
    id: c.id, width: c.clientWidth, height: c.clientHeight, chart: !!Chart.getChart(c),
    type: Chart.getChart(c) && Chart.getChart(c).config.type}))"""


@pytest.fixture
def club(transactional_db):
    """A small club with this month's activity, made through the services."""
    from vafa.commerce.services import purchase_record
    from vafa.members.services import member_create
    from vafa.merchants.services import merchant_create
    from vafa.program.catalog import reward_create
    from vafa.program.rules import tier_create
    from vafa.rewards.services import reward_redeem

    merchant = merchant_create(name="فروشگاه نمونه")
    tier_create(data={"code": "silver", "name": "نقره‌ای", "rank": 1, "color": "#708090",
                      "qualify": {"by": "purchases", "threshold": 2}})
    tier_create(data={"code": "gold", "name": "طلایی", "rank": 2, "color": "#b8860b",
                      "qualify": {"by": "spend", "threshold": 20_000_000}})
    coffee = reward_create(name="قهوهٔ رایگان", kind="non_material", cost_points=100)
    reward_create(name="بلیت سینما", kind="non_material", cost_points=500)
    now = timezone.now()
    members = [member_create(phone=f"0912000{i:04d}", first_name=f"عضو {i}") for i in range(4)]
    for i, member in enumerate(members):
        for n in range(i % 3 + 1):
            purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=3_000_000 * (i + 1),
                            occurred_at=now - timedelta(hours=n + 1))
    reward_redeem(member_id=members[3].pk, reward_id=coffee.pk, merchant_id=merchant.pk)
    reward_redeem(member_id=members[2].pk, reward_id=coffee.pk, merchant_id=merchant.pk)
    # The nightly scores (the RFM grid), one in each of four cells
    from vafa.members.models import MemberScore

    for n, member in enumerate(members):
        MemberScore.objects.create(member=member, rfm_r=5 - n, rfm_f=1 + n, rfm_m=3, scored_at=now)
    return merchant


def _open(page, staff_factory, login_staff, role="marketer"):
    login_staff(page, staff_factory(role))
    page.goto("/manage/dashboard/")
    page.wait_for_function(CHARTS_DRAWN)
    return page.evaluate(CANVAS_SIZES)


def test_dashboard_on_a_desktop(page, club, staff_factory, login_staff, axe_check, shot):
    charts = _open(page, staff_factory, login_staff, role="owner")
    assert [(c["id"], c["type"]) for c in charts] == [
        ("chart-points", "bar"), ("chart-members", "line"), ("chart-tiers", "doughnut"), ("chart-rewards", "bar"),
        ("chart-purchases", "bar"), ("chart-tier-moves", "bar")]
    assert all(c["width"] > 200 and c["height"] > 200 for c in charts), charts
    assert page.locator("html").get_attribute("dir") == "rtl"
    # Figures through the filters: 4 members in Persian digits
    assert page.get_by_test_id("members-total").inner_text() == "۴"
    # Numbers on the axes in Persian digits (Chart.js with the fa-IR locale)
    ticks = page.evaluate("() => Chart.getChart(document.getElementById('chart-points')).scales.y.ticks"
                          ".map(t => t.label)")
    assert ticks and all(not any(ch in "0123456789" for ch in str(t)) for t in ticks), ticks
    axe_check(page)
    # The text alternatives: open every table of figures and check again
    for summary in page.locator(".chart-card summary").all():
        summary.click()
    assert page.get_by_test_id("table-tiers").is_visible()
    # The cohort triangle and the RFM grid: heat tables with their figures in the cells
    assert page.get_by_test_id("table-cohorts").is_visible()
    assert page.locator("[data-testid=table-rfm] td[data-members='1']").count() == 4
    shot(page, "open")
    axe_check(page)
    # The reports, from the dashboard's link
    page.locator("[data-testid=report-links] a[href='/manage/reports/']").click()
    page.wait_for_load_state()
    assert page.url.endswith("/manage/reports/")


@pytest.mark.viewport(375, 812)
def test_dashboard_on_a_phone(page, club, staff_factory, login_staff, axe_check):
    charts = _open(page, staff_factory, login_staff, role="manager")
    assert all(0 < c["width"] <= 375 and c["height"] > 0 for c in charts), charts
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for summary in page.locator(".chart-card summary").all():
        summary.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    axe_check(page)


@pytest.mark.viewport(375, 812)
def test_dashboard_in_english_on_a_phone(page, club, staff_factory, login_staff, axe_check):
    login_staff(page, staff_factory("owner"))
    page.goto("/manage/dashboard/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "ltr"
    page.wait_for_function(CHARTS_DRAWN)
    labels = page.evaluate("() => Chart.getChart(document.getElementById('chart-points')).data.labels")
    assert len(labels) == 12 and all(label[-4:].isdigit() for label in labels), labels
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    axe_check(page)
