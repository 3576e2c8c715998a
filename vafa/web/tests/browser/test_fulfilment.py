"""A physical reward in a browser: a member on a phone (Persian) redeems a gift and gives the
address; a manager (English, desktop) finds it in the shipments waiting, marks it sent with a
tracking code; the member sees the code. axe-core finds nothing on any of the pages."""

import pytest
from playwright.sync_api import expect

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def club(transactional_db):
    from vafa.members.services import member_create
    from vafa.merchants.services import merchant_create
    from vafa.program.catalog import reward_create
    from vafa.program.models import Reward
    from vafa.usecases.points import member_adjust

    merchant = merchant_create(name="فروشگاه چای")
    sara = member_create(phone="09121234567", first_name="سارا", last_name="محمدی")
    member_adjust(merchant_id=merchant.pk, member_id=sara.pk, points=1_000, reason="opening balance")
    gift = reward_create(name="ست چای‌خوری هدیه", kind="non_material", cost_points=300, stock=5,
                         description="یک ست چای‌خوری شش‌نفره که برایتان پست می‌شود.")
    Reward.objects.filter(pk=gift.pk).update(ships=True)
    return sara, gift


@pytest.mark.viewport(375, 812)
def test_a_member_redeems_a_gift_with_an_address_and_a_manager_sends_it(page, page_errors, another_page, live_server,
                                                                          club, staff_factory, login_member,
                                                                          login_staff, axe_check, shot):
    from vafa.engage.models import Message
    from vafa.rewards.models import Shipment

    sara, gift = club

    # The member, on her phone, in Persian
    login_member(page, sara)
    page.goto("/rewards/")
    page.goto(f"/rewards/{gift.pk}/redeem/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("[data-testid=shipping]")).to_be_visible()
    expect(page.locator("#id_recipient_name")).to_have_value("سارا محمدی")
    expect(page.locator("#id_phone")).to_have_value("09121234567")
    axe_check(page)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.locator("#id_province").fill("تهران")
    page.locator("#id_city").fill("تهران")
    page.locator("#id_address").fill("خیابان ولیعصر، کوچهٔ نسترن، پلاک ۱۲، واحد ۳")
    page.locator("#id_postal_code").fill("۱۲۳۴")  # too short: refused (422), with its reason
    page_errors.allow(r"422")
    page.locator("[data-testid=confirm]").click()
    expect(page.locator("[data-testid=error-postal_code]")).to_be_visible()
    expect(page.locator("#id_address")).to_have_value("خیابان ولیعصر، کوچهٔ نسترن، پلاک ۱۲، واحد ۳")
    axe_check(page)
    shot(page, "member-address-error")
    assert not Shipment.objects.exists()
    page.locator("#id_postal_code").fill("۱۴۳۴۵-۶۷۸۹۱")
    page.locator("[data-testid=confirm]").click()
    page.wait_for_url("**/rewards/redemptions/*/")
    expect(page.locator("[data-testid=shipment]")).to_have_attribute("data-status", "requested")
    expect(page.locator("[data-testid=postal-code]")).to_have_text("۱۴۳۴۵۶۷۸۹۱")
    axe_check(page)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot(page, "member-requested")
    shipment = Shipment.objects.get()
    assert (shipment.postal_code, shipment.phone) == ("1434567891", "+989121234567")

    # The manager, at a desk, in English
    desk = another_page(1280, 800)
    desk.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    login_staff(desk, staff_factory("manager", username="maryam"))
    desk.goto("/manage/fulfilment/")
    expect(desk.locator("html")).to_have_attribute("lang", "en")
    expect(desk.locator(f"tr[data-shipment-id='{shipment.pk}']")).to_have_attribute("data-status", "requested")
    axe_check(desk)
    desk.locator("[data-testid=shipment-link]").click()
    desk.wait_for_url(f"**/manage/fulfilment/{shipment.pk}/")
    expect(desk.locator("[data-testid=street-address]")).to_have_text("خیابان ولیعصر، کوچهٔ نسترن، پلاک ۱۲، واحد ۳")
    axe_check(desk)
    desk.locator("#sent-tracking").fill("PT-1405-778899")
    desk.locator("#sent-carrier").fill("Iran Post")
    desk.locator("[data-testid=step-sent]").click()
    desk.wait_for_url(f"**/manage/fulfilment/{shipment.pk}/")
    expect(desk.locator("[data-testid=shipment-status] .badge")).to_have_attribute("data-status", "sent")
    expect(desk.locator("[data-testid=tracking-code]")).to_have_text("PT-1405-778899")
    expect(desk.locator(".message-success")).to_have_count(1)
    expect(desk.locator("[data-testid=correct-form]")).to_be_attached()
    axe_check(desk)
    shot(desk, "manager-sent")

    # The member sees where it is
    page.reload()
    expect(page.locator("[data-testid=shipment]")).to_have_attribute("data-status", "sent")
    expect(page.locator("[data-testid=tracking-code]")).to_have_text("PT-1405-778899")
    axe_check(page)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert list(Message.objects.order_by("pk").values_list("occurrence_key", flat=True)) == [
        f"shipment:{shipment.pk}:requested:sms", f"shipment:{shipment.pk}:sent:sms"]


def test_a_marketer_follows_shipments_without_the_address(page, club, staff_factory, login_staff, axe_check):
    from vafa.usecases.fulfilment import reward_redeem_for_member

    sara, gift = club
    shipment = reward_redeem_for_member(member_id=sara.pk, reward_id=gift.pk, shipping={
        "recipient_name": "سارا محمدی", "phone": "09121234567", "city": "کرج", "address": "بلوار جمهوری، پلاک ۸",
        "postal_code": "3134567890"}).shipment
    login_staff(page, staff_factory("marketer", username="mina"))
    page.goto(f"/manage/fulfilment/{shipment.pk}/")
    expect(page.locator("[data-testid=read-only]")).to_be_visible()
    expect(page.locator("[data-testid=address-hidden]")).to_be_visible()
    expect(page.locator("[data-testid=phone]")).to_have_text("+۹۸۹۱۲***۴۵۶۷")
    expect(page.locator("[data-testid=sent-form]")).to_have_count(0)
    axe_check(page)
