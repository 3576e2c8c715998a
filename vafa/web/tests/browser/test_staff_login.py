"""A staff member logs in through the form; the language switch flips direction and back."""

import pytest


def test_staff_logs_in_and_switches_language(page, staff_factory, axe_check, shot):
    staff_factory("manager", username="maryam")
    page.goto("/manage/")
    assert page.url.endswith("/manage/login/?next=/manage/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"
    axe_check(page)
    page.get_by_label("نام کاربری").fill("maryam")
    page.get_by_label("گذرواژه").fill("vafa-test-pass-1")
    page.get_by_role("button", name="ورود").click()
    page.wait_for_url("**/manage/dashboard/")
    shot(page, "fa")

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Members").is_visible()
    shot(page, "en")

    page.get_by_role("button", name="فارسی").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.get_by_role("link", name="اعضا").is_visible()


@pytest.mark.viewport(375, 812)
def test_wrong_password_is_refused_on_a_phone(page, staff_factory):
    staff_factory("cashier", username="ali")
    page.goto("/manage/login/")
    page.get_by_label("نام کاربری").fill("ali")
    page.get_by_label("گذرواژه").fill("wrong-password")
    page.get_by_role("button", name="ورود").click()
    assert page.url.endswith("/manage/login/")
    assert page.locator(".errorlist").count() == 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
