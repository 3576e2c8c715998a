"""Back-office engagement pages in a browser, on a phone (375 px) in Persian and in English: a
marketer builds a segment and watches the live count follow the conditions, composes a campaign
and previews it with a real member's values, switches an automation off and on, reads a
campaign's report with its lift chart, and tags a member. axe-core checks every page."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

LANGS = [
    pytest.param("fa", 375, marks=pytest.mark.viewport(375, 812), id="fa-375"),
    pytest.param("en", 375, marks=pytest.mark.viewport(375, 812), id="en-375"),
]
WITH_DESKTOP = [*LANGS, pytest.param("fa", 1280, marks=pytest.mark.viewport(1280, 800), id="fa-1280")]


@pytest.fixture
def club(transactional_db):
    from vafa.engage import services as engaging
    from vafa.members.services import member_create
    from vafa.merchants.services import merchant_create

    merchant = merchant_create(name="Tea House")
    sara = member_create(phone="09121234567", first_name="سارا", last_name="محمدی", consents={"sms": True})
    reza = member_create(phone="09351112233", first_name="رضا", consents={"sms": True})
    shop = member_create(phone="09197654321", kind="organization", organization_name="Tea House Supplies")
    segment = engaging.segment_create(data={"name": "پیامک‌پذیرها", "conditions": {"consent": "sms"}})
    automation = engaging.automation_create(data={
        "name": "تبریک تولد", "trigger": {"type": "birthday"}, "channel": "sms", "text": "تولدت مبارک {first_name}"})
    return {"merchant": merchant, "sara": sara, "reza": reza, "shop": shop, "segment": segment,
            "automation": automation}


def _start(page, live_server, login_staff, staff_factory, lang):
    login_staff(page, staff_factory("marketer", username="mina"))
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])


def _fits(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll}px wide"


@pytest.mark.parametrize("lang, width", WITH_DESKTOP)
def test_the_builder_counts_live_and_saves_a_segment(page, club, live_server, login_staff, staff_factory,
                                                     axe_check, shot, lang, width):
    from vafa.engage.models import Segment

    _start(page, live_server, login_staff, staff_factory, lang)
    page.goto("/manage/segments/")
    expect(page.locator("[data-testid=segment-count]").first).to_have_attribute("data-count", "2")
    axe_check(page)
    page.locator("[data-testid=segment-new]").click()
    page.wait_for_url("**/manage/segments/new/")
    count = page.locator("#segment-count [data-testid=segment-count]")
    expect(count).to_have_attribute("data-count", "3")  # no condition: everyone
    axe_check(page)
    _fits(page, width)

    # the count follows each change (htmx, no submit)
    page.locator("input[name=kinds][value=organization]").check()
    expect(count).to_have_attribute("data-count", "1")
    page.locator("input[name=kinds][value=organization]").uncheck()
    page.locator("#id_consent").select_option("sms")
    expect(count).to_have_attribute("data-count", "2")
    # an invalid condition is said on its field, and the count waits for it
    page.locator("#id_purchases_min").fill("many")
    expect(page.locator("#errors-purchases_min .errorlist")).to_be_visible()
    expect(count).to_have_attribute("data-count", "")
    shot(page, "invalid")
    axe_check(page)
    page.locator("#id_purchases_min").fill("")
    expect(page.locator("#errors-purchases_min .errorlist")).to_have_count(0)
    expect(count).to_have_attribute("data-count", "2")
    page.locator("#id_not_purchased_within_days").fill("۹۰" if lang == "fa" else "90")
    expect(count).to_have_attribute("data-count", "2")
    shot(page, "builder")

    page.locator("#id_name").fill("Lapsed SMS")
    page.locator("[data-testid=segment-save]").click()
    segment = Segment.objects.get(name="Lapsed SMS")
    page.wait_for_url(f"**/manage/segments/{segment.pk}/")
    assert segment.conditions == {"consent": "sms", "not_purchased_within_days": 90}
    expect(page.locator("[data-testid=segment-members] tbody tr")).to_have_count(2)
    expect(page.locator("[data-testid=member-phone]").first).to_have_text(
        "+۹۸۹۱۲***۴۵۶۷" if lang == "fa" else "+98912***4567")  # masked for a marketer
    axe_check(page)
    _fits(page, width)


@pytest.mark.parametrize("lang, width", WITH_DESKTOP)
def test_a_marketer_composes_and_previews_a_campaign(page, club, live_server, login_staff, staff_factory,
                                                     axe_check, shot, lang, width):
    from vafa.core.models import AuditEntry
    from vafa.engage.models import Campaign

    _start(page, live_server, login_staff, staff_factory, lang)
    page.goto("/manage/campaigns/")
    axe_check(page)
    page.locator("[data-testid=campaign-new]").click()
    page.wait_for_url("**/manage/campaigns/new/")
    expect(page.locator("#field-subject")).to_be_hidden()  # e-mail only
    axe_check(page)
    page.locator("#id_name").fill("Yalda")
    page.locator("#id_segment").select_option(str(club["segment"].pk))
    page.locator("#id_text").fill("سلام ")
    page.locator("[data-insert='{first_name}']").click()  # written at the cursor
    expect(page.locator("#id_text")).to_have_value("سلام {first_name}")
    page.locator("#id_text").press("End")
    page.locator("#id_text").type("، یلدا مبارک")
    expect(page.locator("[data-testid=draft-text]")).to_contain_text("سلام سارا، یلدا مبارک")
    expect(page.locator("[data-testid=draft-text]")).to_contain_text("لغو۱۱")
    expect(page.locator("[data-testid=sms-counter]")).to_have_attribute("data-parts", "1")
    expect(page.locator("[data-testid=draft-audience]")).to_contain_text("۲" if lang == "fa" else "2")
    # a long text takes more parts
    page.locator("#id_text").fill("سلام {first_name} " + "ب" * 80)
    expect(page.locator("[data-testid=sms-counter]")).to_have_attribute("data-parts", "2")
    page.locator("#id_text").fill("سلام {first_name} {last_name}، یلدا مبارک")
    expect(page.locator("[data-testid=sms-counter]")).to_have_attribute("data-parts", "1")
    page.locator("#id_holdout_percent").fill("10")
    # choosing e-mail asks for a subject
    page.locator("input[name=channel][value=email]").check()
    expect(page.locator("#field-subject")).to_be_visible()
    page.locator("input[name=channel][value=sms]").check()
    expect(page.locator("#field-subject")).to_be_hidden()
    expect(page.locator("[data-testid=sms-counter]")).to_have_attribute("data-parts", "1")
    shot(page, "compose")
    axe_check(page)
    _fits(page, width)

    page.locator("[data-testid=campaign-save]").click()
    campaign = Campaign.objects.get(name="Yalda")
    page.wait_for_url(f"**/manage/campaigns/{campaign.pk}/")
    assert (campaign.status, campaign.holdout_percent) == ("draft", 10)
    expect(page.locator("[data-testid=preview-text]")).to_contain_text("سلام سارا محمدی، یلدا مبارک")
    axe_check(page)

    # the preview with another member's values: Reza has no last name
    page.locator("[data-testid=preview-form] input[name=phone]").fill("۰۹۳۵۱۱۱۲۲۳۳")
    page.locator("[data-testid=preview-form] button[type=submit]").click()
    expect(page.locator("[data-testid=preview-member]")).to_have_attribute("data-member-id", str(club["reza"].pk))
    expect(page.locator("[data-testid=preview-text]")).to_contain_text("سلام رضا، یلدا مبارک")
    expect(page.locator("[data-testid=preview-missing]")).to_contain_text("{last_name}")
    shot(page, "preview")
    axe_check(page)
    _fits(page, width)

    # scheduled by a POST, asked to confirm first
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid=send-now]").click()
    page.wait_for_load_state()
    expect(page.locator("[data-testid=campaign-status]")).to_have_attribute("data-status", "scheduled")
    campaign.refresh_from_db()
    assert campaign.status == "scheduled"
    assert AuditEntry.objects.filter(action="campaign.send_now", actor_name="mina").count() == 1
    axe_check(page)


@pytest.mark.parametrize("lang, width", LANGS)
def test_a_marketer_switches_an_automation_off_and_on(page, club, live_server, login_staff, staff_factory,
                                                      axe_check, shot, lang, width):
    from vafa.engage.models import Automation

    automation = club["automation"]
    _start(page, live_server, login_staff, staff_factory, lang)
    page.goto("/manage/automations/")
    switch = page.locator(f"tr[data-automation-id='{automation.pk}'] [data-testid=automation-switch]")
    expect(switch).to_have_attribute("aria-checked", "true")
    axe_check(page)
    _fits(page, width)
    switch.click()
    page.wait_for_load_state()
    expect(switch).to_have_attribute("aria-checked", "false")
    assert Automation.objects.get(pk=automation.pk).status == "paused"
    shot(page, "off")
    axe_check(page)
    switch.click()
    page.wait_for_load_state()
    expect(switch).to_have_attribute("aria-checked", "true")
    assert Automation.objects.get(pk=automation.pk).status == "live"

    # its page: the trigger's fields show for that trigger only
    page.goto("/manage/automations/new/")
    expect(page.locator("#field-trigger_days_before")).to_be_hidden()
    page.locator("#id_trigger_type").select_option("points_expiring")
    expect(page.locator("#field-trigger_days_before")).to_be_visible()
    expect(page.locator("#field-trigger_direction")).to_be_hidden()
    axe_check(page)
    _fits(page, width)
    page.goto(f"/manage/automations/{automation.pk}/")
    axe_check(page)
    _fits(page, width)


@pytest.mark.parametrize("lang, width", WITH_DESKTOP)
def test_the_report_draws_the_lift_and_messages_and_member_pages_fit(page, club, live_server, login_staff,
                                                                    staff_factory, axe_check, shot, lang, width):
    from django.utils import timezone

    from vafa.commerce.services import purchase_record
    from vafa.core.jalali import TEHRAN
    from vafa.engage import services as engaging
    from vafa.engage.models import CampaignMember
    from vafa.engage.tests.conftest import work
    from vafa.members.services import member_create

    for n in range(6):
        member_create(phone=f"0912000{n:04d}", first_name=f"عضو {n}", consents={"sms": True})
    campaign = engaging.campaign_create(data={"name": "Yalda", "channel": "sms", "segment_id": club["segment"].pk,
                                              "text": "سلام {first_name}", "holdout_percent": 50})
    start = (timezone.now() - timedelta(days=2)).astimezone(TEHRAN).replace(hour=10, minute=0)
    engaging.campaign_schedule(campaign_id=campaign.pk, data={"send_at": start}, now=start)
    work(start)
    work(start + timedelta(minutes=2))
    for member_id in CampaignMember.objects.filter(campaign=campaign, holdout=False).values_list(
            "member_id", flat=True)[:2]:
        purchase_record(merchant_id=club["merchant"].pk, member_id=member_id, amount=2_000_000,
                        occurred_at=start + timedelta(hours=3))
    engaging.sms_reply_handle(sender="09121234567", text="11")
    engaging.message_queue(member_id=club["sara"].pk, channel="sms", purpose="service", text="کد شما ۱۲۳۴",
                           key="test:code")
    sara_messages = club["sara"].messages.count()  # the campaign's, unless she was held out, and the code

    _start(page, live_server, login_staff, staff_factory, lang)
    page.goto(f"/manage/campaigns/{campaign.pk}/")
    expect(page.locator("[data-testid=lift-table]")).to_be_visible()
    expect(page.locator("[data-testid=count-sent]")).not_to_have_text("۰" if lang == "fa" else "0")
    assert page.evaluate("() => !!window.Chart && !!window.Chart.getChart(document.getElementById("
                         "'chart-lift-rate'))")
    shot(page, "report")
    axe_check(page)
    _fits(page, width)

    page.goto("/manage/messages/")
    expect(page.locator("[data-testid=message-table] tbody tr").first).to_be_visible()
    axe_check(page)
    _fits(page, width)
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.locator("#id_phone").fill("09121234567")
        page.locator("#message-search button[type=submit]").click()
    expect(page.locator("[data-testid=message-member]")).to_be_visible()
    assert "0912" not in page.url
    axe_check(page)

    # the member's page: consent history (the 11 reply), messages, and tags added and taken off
    sara = club["sara"]
    page.goto(f"/manage/members/{sara.pk}/")
    expect(page.locator("[data-testid=consent-history] tr[data-source=sms_reply]")).to_have_count(1)
    expect(page.locator("[data-testid=member-messages] [data-testid=message-table] tbody tr")).to_have_count(
        sara_messages)
    page.locator("[data-testid=tag-form] input[name=names]").fill("VIP، عمده‌فروش")
    page.locator("[data-testid=tag-add]").click()
    page.wait_for_load_state()
    expect(page.locator("[data-testid=member-tags] .tag")).to_have_count(2)
    shot(page, "member")
    axe_check(page)
    _fits(page, width)
    page.locator("[data-testid=member-tags] li[data-tag=vip] [data-testid=tag-remove]").click()
    page.wait_for_load_state()
    expect(page.locator("[data-testid=member-tags] .tag")).to_have_count(1)


def test_a_cashier_sees_no_engagement(page, page_errors, club, live_server, login_staff, staff_factory):
    login_staff(page, staff_factory("cashier", username="ali"))
    page.goto(f"/manage/members/{club['sara'].pk}/")
    expect(page.locator("[data-testid=member-name]")).to_be_visible()
    for testid in ("member-tags", "member-consent", "member-messages"):
        expect(page.locator(f"[data-testid={testid}]")).to_have_count(0)
    expect(page.locator("nav a[href='/manage/campaigns/']")).to_have_count(0)
    page_errors.allow(r"http 403|status of 403")
    assert page.goto("/manage/segments/").status == 403
