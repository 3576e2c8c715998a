"""The portal's messages and notification preferences on a phone, in Persian and in English."""

import re
from datetime import timedelta

import pytest


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _club():
    from django.utils import timezone

    from vafa.engage.models import Message
    from vafa.engage.services import sms_reply_handle
    from vafa.members.services import member_create

    member = member_create(phone="09121112233", first_name="سارا", last_name="محمدی", email="sara@example.com",
                           consents={"sms": True})
    other = member_create(phone="09121114455", first_name="Other")
    now = timezone.now()
    rows = [
        (member, "sms", "service", "sent", "", "۱۲۰ امتیاز برای خرید امروز شما ثبت شد. مانده: ۶۵۰ امتیاز."),
        (member, "email", "marketing", "delivered", "هفته‌ی چای: ۲۰٪ تخفیف",
         "سارا جان، این هفته همه‌ی چای‌ها ۲۰٪ تخفیف دارند.\nنظرتان را بگویید: https://club.example/surveys/3"),
        (member, "sms", "marketing", "sent", "", "تولدتان مبارک! کد هدیه: BDAY-7Q2X\nلغو۱۱"),
        (member, "sms", "marketing", "skipped", "", "SKIPPED-OFFER"),
        (other, "sms", "marketing", "sent", "", "OTHER-MEMBER-OFFER"),
    ]
    for n, (who, channel, purpose, status, subject, text) in enumerate(rows):
        at = now - timedelta(days=5 - n)
        Message.objects.create(member=who, channel=channel, purpose=purpose, status=status, subject=subject,
                               text=text, to=who.phone, due_at=at, created_at=at,
                               sent_at=at if status in ("sent", "delivered") else None)
    sms_reply_handle(sender="09121112233", text="۱۱")
    return member


@pytest.mark.viewport(375, 812)
@pytest.mark.parametrize("lang", ["fa", "en"])
def test_messages_and_preferences_on_a_phone(page, live_server, login_member, axe_check, shot, transactional_db,
                                              lang):
    from vafa.members.models import Consent, ConsentChange

    member = _club()
    login_member(page, member)
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    page.goto("/")
    page.get_by_test_id("nav-messages").click()
    page.wait_for_url("**/messages/")
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "fa" else "ltr")
    items = page.get_by_test_id("message")
    assert items.count() == 3
    texts = items.locator("[data-testid=text]").all_inner_texts()
    assert texts[0].startswith("تولدتان مبارک") and texts[2].startswith("۱۲۰ امتیاز")
    assert "SKIPPED-OFFER" not in page.content() and "OTHER-MEMBER-OFFER" not in page.content()
    assert page.get_by_test_id("subject").inner_text() == "هفته‌ی چای: ۲۰٪ تخفیف"
    when = page.get_by_test_id("sent-at").first.inner_text()
    if lang == "fa":
        assert re.fullmatch(r"۱۴[۰-۹]{2}/[۰-۹]{2}/[۰-۹]{2} [۰-۹]{2}:[۰-۹]{2}", when), when
    else:
        assert re.fullmatch(r"20\d\d-\d\d-\d\d \d\d:\d\d", when), when
    assert page.locator("a[href='https://club.example/surveys/3']").count() == 1  # a link in the text
    axe_check(page)
    _fits(page, 375)
    shot(page, "messages")

    page.get_by_test_id("tab-preferences").click()
    page.wait_for_url("**/messages/preferences/")
    assert not page.get_by_test_id("consent-sms").is_checked()  # withdrawn by the SMS reply 11
    assert page.get_by_test_id("consent-change").count() == 2
    axe_check(page)
    _fits(page, 375)
    shot(page, "preferences")
    page.get_by_test_id("consent-sms").check()
    page.get_by_test_id("consent-email").check()
    page.get_by_test_id("save-preferences").click()
    page.wait_for_url("**/messages/preferences/")
    assert page.get_by_test_id("consent-sms").is_checked() and page.get_by_test_id("consent-email").is_checked()
    assert page.get_by_test_id("consent-change").count() == 4
    assert page.locator("[data-testid=consent-change][data-source=portal]").count() == 2
    assert dict(Consent.objects.filter(member=member).values_list("channel", "granted")) == {"sms": True,
                                                                                           "email": True}
    # Saving again as it is: nothing more recorded.
    page.get_by_test_id("save-preferences").click()
    page.wait_for_url("**/messages/preferences/")
    assert ConsentChange.objects.filter(member=member).count() == 4
    axe_check(page)
    _fits(page, 375)
    shot(page, "saved")
