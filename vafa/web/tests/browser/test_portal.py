"""The member portal in a browser: joining by SMS code on a phone, and redeeming a reward."""

import json
import re

import pytest

from vafa.core.digits import to_ascii_digits


def _code_from(outbox, phone: str) -> str:
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines() if line.strip()]
    text = [m["text"] for m in lines if m["to"] == phone][-1]
    return to_ascii_digits(re.search(r"[0-9۰-۹]{6}", text).group(0))


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.viewport(375, 812)
def test_new_member_joins_by_sms_code_on_a_phone(page, settings, tmp_path, axe_check, shot):
    settings.SMS_BACKEND = "console"
    settings.SMS_OUTBOX = tmp_path / "outbox.jsonl"
    page.goto("/")
    assert page.url.endswith("/login/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    axe_check(page)
    _fits(page, 375)
    page.locator("#id_phone").fill("۰۹۱۲۳۴۵۶۷۸۹")
    page.get_by_test_id("send-code").click()
    page.wait_for_url("**/login/code/")
    assert page.get_by_test_id("phone").inner_text() == "+۹۸۹۱۲۳۴۵۶۷۸۹"
    axe_check(page)
    _fits(page, 375)
    page.locator("#id_code").fill(_code_from(settings.SMS_OUTBOX, "+989123456789"))
    page.get_by_test_id("verify").click()
    page.wait_for_url("**/login/join/")
    axe_check(page)
    _fits(page, 375)
    page.locator("#id_first_name").fill("مریم")
    page.locator("#id_last_name").fill("کاظمی")
    page.get_by_test_id("join").click()
    page.wait_for_url(re.compile(r".*/$"))
    assert page.get_by_test_id("balance").inner_text() == "۰"
    axe_check(page)
    _fits(page, 375)
    shot(page, "home")
    for url in ("/history/", "/history/purchases/", "/history/coupons/", "/rewards/", "/referrals/", "/profile/"):
        page.goto(url)
        axe_check(page)
        _fits(page, 375)


def test_member_redeems_a_reward_and_sees_the_coupon_and_qr(page, login_member, axe_check, shot, transactional_db):
    from vafa.commerce.services import purchase_record
    from vafa.members.services import member_create
    from vafa.merchants.services import merchant_create
    from vafa.program.catalog import reward_create
    from vafa.usecases.points import member_adjust

    merchant = merchant_create(name="چای‌خانه")
    member = member_create(phone="09121112233", first_name="سارا", last_name="محمدی")
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=2_500_000)
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=400, reason="خوش‌آمد")
    reward = reward_create(name="کوپن ۲۵ هزار تومانی", kind="coupon_amount", cost_points=300,
                           amount_rial=250_000, valid_days=30)
    reward_create(name="سفر", kind="coupon_amount", cost_points=5000, amount_rial=9_000_000)
    login_member(page, member)
    page.goto("/")
    assert page.get_by_test_id("balance").inner_text() == "۶۵۰"
    axe_check(page)
    page.goto("/rewards/")
    axe_check(page)
    page.get_by_test_id(f"redeem-{reward.pk}").click()
    page.wait_for_url(f"**/rewards/{reward.pk}/redeem/")
    assert page.get_by_test_id("after").inner_text() == "۳۵۰"
    axe_check(page)
    page.get_by_test_id("confirm").click()
    page.wait_for_url("**/rewards/redemptions/*/")
    code = page.get_by_test_id("code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    assert page.locator("[data-testid=qr] svg").count() == 1
    assert re.fullmatch(r"۱۴۰[۰-۹]/[۰-۹]{2}/[۰-۹]{2}", page.get_by_test_id("expires").inner_text())
    axe_check(page)
    shot(page, "coupon")
    page.goto("/history/")
    axe_check(page)
    page.goto("/history/coupons/")
    assert code.replace("-", "") in page.content()
    axe_check(page)
