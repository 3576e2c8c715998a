"""The till in a browser: a cashier works it with the keyboard on a tablet, joins a new customer
on a phone, and uses a coupon and "use max" on a portrait tablet."""

import re

import pytest
from playwright.sync_api import expect

from vafa.ledger.models import Account
from vafa.members.services import member_create
from vafa.merchants.services import merchant_create
from vafa.rewards.services import promo_code_create
from vafa.usecases.points import member_adjust


@pytest.fixture
def shop(transactional_db):
    return merchant_create(name="کافه نمونه")


def _member_with_points(shop, points: int):
    member = member_create(phone="09121234567", first_name="سارا", last_name="محمدی")
    member_adjust(merchant_id=shop.pk, member_id=member.pk, points=points, reason="opening balance")
    return member


def _focused(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def _no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.viewport(1024, 768)
def test_a_cashier_records_a_purchase_with_points_using_only_the_keyboard(page, shop, staff_factory, login_staff,
                                                                         axe_check, shot):
    member = _member_with_points(shop, 500)
    before = Account.objects.get(member=member).balance
    login_staff(page, staff_factory("cashier"))

    page.goto("/manage/pos/")
    expect(page.locator("#id_phone")).to_be_focused()
    axe_check(page)
    page.keyboard.type("۰۹۱۲ ۱۲۳ ۴۵۶۷")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/manage/pos/members/{member.pk}/")

    card = page.get_by_test_id("member-card")
    expect(card.get_by_test_id("available")).to_have_attribute("data-value", "500")
    expect(card.get_by_test_id("value")).to_have_attribute("data-value", "50000")
    expect(page.locator("#id_amount")).to_be_focused()
    page.keyboard.type("250,000")
    page.keyboard.press("Tab")
    expect(page.locator("#id_redeem_points")).to_be_focused()
    page.keyboard.type("100")
    preview = page.get_by_test_id("preview")
    expect(preview).to_have_attribute("data-points-earned", "249")
    expect(preview).to_have_attribute("data-to-pay", "2490000")
    shot(page, "checkout")
    axe_check(page)
    _no_sideways_scroll(page, 1024)

    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/manage/pos/receipts/\d+/$"))

    receipt = page.get_by_test_id("receipt")
    expect(receipt.get_by_test_id("receipt-points-discount")).to_have_attribute("data-points", "100")
    expect(receipt.get_by_test_id("receipt-earned")).to_have_attribute("data-value", "249")
    expect(receipt.get_by_test_id("receipt-earned")).to_have_text("+۲۴۹")
    expect(receipt.get_by_test_id("receipt-balance")).to_have_attribute("data-value", "649")
    expect(receipt.get_by_test_id("receipt-date")).to_have_text(re.compile(r"^[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}"))
    expect(page.get_by_test_id("print")).to_be_visible()
    assert _focused(page) == "" or page.evaluate("document.activeElement.dataset.testid") == "print"
    axe_check(page)
    assert Account.objects.get(member=member).balance == before - 100 + 249

    # Printing hides the navigation and the buttons.
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_test_id("print")).to_be_hidden()
    page.emulate_media(media="screen")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.testid") == "next-customer"
    page.keyboard.press("Enter")
    page.wait_for_url("**/manage/pos/")
    expect(page.locator("#id_phone")).to_be_focused()


@pytest.mark.viewport(375, 812)
def test_a_new_customer_joins_at_the_till_on_a_phone(page, shop, staff_factory, login_staff, axe_check):
    login_staff(page, staff_factory("cashier"))

    page.goto("/manage/pos/")
    expect(page.locator("#id_phone")).to_be_focused()
    page.keyboard.type("09351112233")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("join")).to_be_visible()
    expect(page.locator("#id_join-first_name")).to_be_focused()
    expect(page.locator("#id_join-phone")).to_have_value("09351112233")
    axe_check(page)
    _no_sideways_scroll(page, 375)

    page.keyboard.type("رضا")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/manage/pos/members/\d+/\?joined=1$"))
    expect(page.get_by_test_id("joined")).to_be_visible()
    expect(page.get_by_test_id("member-card").get_by_test_id("available")).to_have_attribute("data-value", "0")
    expect(page.get_by_test_id("use-max")).to_be_disabled()
    axe_check(page)
    _no_sideways_scroll(page, 375)


@pytest.mark.viewport(768, 1024)
def test_coupon_validation_and_use_max_on_a_portrait_tablet(page, shop, staff_factory, login_staff, axe_check,
                                                            page_errors, shot):
    member = _member_with_points(shop, 5_000)
    promo_code_create(code="NOWRUZ", kind="amount", amount_rial=50_000, usage_limit=10, merchant_id=shop.pk,
                      min_purchase_rial=1_000_000)
    login_staff(page, staff_factory("cashier"))
    page.goto(f"/manage/pos/members/{member.pk}/")

    page.get_by_test_id("checkout-form").locator("#id_amount").fill("۲۰٬۰۰۰")
    page.locator("#id_coupon").fill("nowruz")
    # Below the minimum the coupon partial answers 409 (swapped in all the same, see pos_head.html).
    page_errors.allow(r"http 409: .*/coupon/")
    page_errors.allow(r"Failed to load resource: .* 409")
    page.locator("#id_coupon").press("Enter")
    expect(page.get_by_test_id("coupon-error")).to_have_attribute("data-code", "coupon_min_purchase")

    page.locator("#id_amount").fill("250000")
    page.get_by_test_id("validate-coupon").click()
    expect(page.get_by_test_id("coupon-ok")).to_have_attribute("data-discount", "50000")
    expect(page.get_by_test_id("preview")).to_have_attribute("data-coupon-discount", "50000")

    page.get_by_test_id("use-max").click()
    # 2,450,000 Rials owed after the coupon: at most 24,500 points' worth, but the member has 5,000
    expect(page.locator("#id_redeem_points")).to_have_value("5000")
    expect(page.get_by_test_id("preview")).to_have_attribute("data-points-discount", "500000")
    expect(page.get_by_test_id("preview")).to_have_attribute("data-to-pay", "1950000")
    shot(page, "coupon")
    axe_check(page)
    _no_sideways_scroll(page, 768)

    page.get_by_test_id("record").click()
    page.wait_for_url(re.compile(r".*/manage/pos/receipts/\d+/$"))
    expect(page.get_by_test_id("receipt-coupon")).to_have_attribute("data-value", "50000")
    expect(page.get_by_test_id("receipt-to-pay")).to_have_attribute("data-value", "1950000")
    expect(page.get_by_test_id("receipt-earned")).to_have_attribute("data-value", "195")
    axe_check(page)
