"""The club as its people use it, in three browsers at once: a new customer joins by SMS code on
a phone; a cashier records two purchases for them on a tablet, the second paid partly with
points; the customer's balance changes accordingly; they redeem a reward and see the coupon. A
marketer, meanwhile, is kept away from the till and from adjusting points."""

import json
import re

import pytest
from playwright.sync_api import expect

from vafa.core.digits import to_ascii_digits, to_persian_digits
from vafa.ledger.models import Account
from vafa.members.models import Member
from vafa.merchants.services import merchant_create
from vafa.program.catalog import reward_create

PHONE = "+989127654321"


def _sms_code(outbox) -> str:
    messages = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines() if line.strip()]
    text = [m["text"] for m in messages if m["to"] == PHONE][-1]
    return to_ascii_digits(re.search(r"[0-9۰-۹]{6}", text).group(0))


def _sell(till, member_id: int, toman: str, points: str = "") -> None:
    till.goto("/manage/pos/")
    # Chromium applies autofocus a little after the load event: typing sooner loses keys.
    expect(till.locator("#id_phone")).to_be_focused()
    till.keyboard.type("09127654321")
    till.keyboard.press("Enter")
    till.wait_for_url(f"**/manage/pos/members/{member_id}/")
    till.locator("#id_amount").fill(toman)
    if points:
        till.locator("#id_redeem_points").fill(points)
    till.get_by_test_id("checkout-form").locator("button[type=submit]").last.click()
    till.wait_for_url(re.compile(r".*/manage/pos/receipts/\d+/$"))


@pytest.mark.viewport(375, 812)
def test_a_customer_joins_buys_with_points_and_redeems_while_a_marketer_is_kept_out(
        page, another_page, page_errors, settings, tmp_path, staff_factory, login_staff, axe_check, shot):
    settings.SMS_BACKEND = "console"
    settings.SMS_OUTBOX = tmp_path / "outbox.jsonl"
    merchant_create(name="کافه نمونه")
    reward = reward_create(name="کوپن ۱۵ هزار تومانی", kind="coupon_amount", cost_points=150,
                           amount_rial=150_000, valid_days=30)

    # The customer joins on their phone with the code the SMS brought.
    page.goto("/login/")
    page.locator("#id_phone").fill(to_persian_digits("09127654321"))
    page.get_by_test_id("send-code").click()
    page.wait_for_url("**/login/code/")
    page.locator("#id_code").fill(_sms_code(settings.SMS_OUTBOX))
    page.get_by_test_id("verify").click()
    page.wait_for_url("**/login/join/")
    page.locator("#id_first_name").fill("نگار")
    page.locator("#id_last_name").fill("احمدی")
    page.get_by_test_id("join").click()
    page.wait_for_url(re.compile(r".*/$"))
    expect(page.get_by_test_id("balance")).to_have_text("۰")
    member = Member.objects.get(phone=PHONE)

    # The cashier sells to them twice; the second time they pay 200 points of it.
    till = another_page(1024, 768)
    login_staff(till, staff_factory("cashier"))
    _sell(till, member.pk, "300,000")
    expect(till.get_by_test_id("receipt-earned")).to_have_attribute("data-value", "300")
    _sell(till, member.pk, "100,000", points="200")
    # 200 points are worth 20,000 Rials; the rest (980,000 Rials) earns 98 points.
    expect(till.get_by_test_id("receipt-points-discount")).to_have_attribute("data-points", "200")
    expect(till.get_by_test_id("receipt-earned")).to_have_attribute("data-value", "98")
    expect(till.get_by_test_id("receipt-balance")).to_have_attribute("data-value", "198")
    axe_check(till)
    shot(till, "receipt")
    assert Account.objects.get(member=member).balance == 300 - 200 + 98

    # The customer sees it at once, and what it is worth in Toman.
    page.reload()
    expect(page.get_by_test_id("balance")).to_have_text("۱۹۸")
    expect(page.get_by_test_id("value")).to_have_text("۱٬۹۸۰ تومان")

    # They redeem a reward and get the coupon, with its expiry as a Jalali date in Persian digits.
    page.goto("/rewards/")
    page.get_by_test_id(f"redeem-{reward.pk}").click()
    page.wait_for_url(f"**/rewards/{reward.pk}/redeem/")
    expect(page.get_by_test_id("after")).to_have_text("۴۸")
    page.get_by_test_id("confirm").click()
    page.wait_for_url("**/rewards/redemptions/*/")
    expect(page.get_by_test_id("code")).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))
    expect(page.get_by_test_id("expires")).to_have_text(re.compile(r"^۱۴[۰-۹]{2}/[۰-۹]{2}/[۰-۹]{2}$"))
    assert page.locator("[data-testid=qr] svg").count() == 1
    axe_check(page)
    assert Account.objects.get(member=member).balance == 48

    # A marketer reads the member but cannot reach the till or the adjust action.
    page_errors.allow(r"status of 403|http 403: .*/manage/pos/")
    desk = another_page(1280, 800)
    login_staff(desk, staff_factory("marketer"))
    desk.goto(f"/manage/members/{member.pk}/")
    expect(desk.get_by_role("link", name="صندوق")).to_have_count(0)
    expect(desk.locator("form[action$='/adjust/']")).to_have_count(0)
    response = desk.goto("/manage/pos/")
    assert response.status == 403
    expect(desk.get_by_role("heading", name="دسترسی ندارید")).to_be_visible()
    assert Account.objects.get(member=member).balance == 48
