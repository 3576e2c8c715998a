"""The report pages in a browser: in both languages, on a phone (375 px) and a desktop, each
accessible (axe), without sideways scroll or text spilling out (the checks of test_every_page);
the downloads answer a file."""

import pytest

from vafa.web.tests.browser.test_every_page import _check, _language

REPORTS = ["points", "purchases", "liability", "rfm", "cohorts", "joining", "tiers", "rewards"]


@pytest.fixture
def history(transactional_db):
    """A small club with a year of history, some of it imported (booked today, happened before)."""
    from datetime import timedelta

    from django.utils import timezone

    from vafa.commerce.services import purchase_record, refund_record
    from vafa.members.models import MemberScore
    from vafa.members.services import member_create
    from vafa.merchants.services import merchant_create
    from vafa.program.catalog import reward_create
    from vafa.program.models import TierChange
    from vafa.program.rules import tier_create
    from vafa.rewards.services import reward_redeem

    merchant = merchant_create(name="فروشگاه زنجیره‌ای نمونهٔ شمال تهران")
    silver = tier_create(data={"code": "silver", "name": "نقره‌ای", "rank": 1, "color": "#708090",
                               "qualify": {"by": "purchases", "threshold": 50}})
    coffee = reward_create(name="قهوهٔ رایگان با کیک روز برای اعضای باشگاه", kind="non_material", cost_points=100)
    now = timezone.now()
    for n in range(8):
        member = member_create(phone=f"0912300{n:04d}", first_name=f"عضو {n}", joined_at=now - timedelta(days=40 * n))
        for k in range(n % 4 + 1):
            bought = purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=2_500_000 * (k + 1),
                                     occurred_at=now - timedelta(days=35 * n + 9 * k + 1)).purchase
        if n % 3 == 0:
            refund_record(merchant_id=merchant.pk, purchase_id=bought.pk, amount=1_000_000)
        if n % 2:
            reward_redeem(member_id=member.pk, reward_id=coffee.pk, merchant_id=merchant.pk)
            TierChange.objects.create(member=member, from_tier=None, to_tier=silver, reason="r",
                                      changed_at=now - timedelta(days=30 * n))
        MemberScore.objects.create(member=member, rfm_r=1 + n % 5, rfm_f=1 + (n * 2) % 5, scored_at=now)
    return merchant


@pytest.mark.parametrize("lang, width", [
    pytest.param("fa", 375, marks=pytest.mark.viewport(375, 812), id="fa-375"),
    pytest.param("en", 375, marks=pytest.mark.viewport(375, 812), id="en-375"),
    pytest.param("fa", 1280, marks=pytest.mark.viewport(1280, 800), id="fa-1280"),
    pytest.param("en", 1280, marks=pytest.mark.viewport(1280, 800), id="en-1280"),
])
def test_every_report_page(lang, width, page, history, live_server, login_staff, staff_factory, axe_check, shot):
    login_staff(page, staff_factory("marketer"))
    _language(page, live_server, lang)
    problems: list[str] = []
    pages = [("reports", "/manage/reports/"), *[(name, f"/manage/reports/{name}/") for name in REPORTS]]
    for name, path in pages:
        _check(page, path, name, lang=lang, width=width, axe_check=axe_check, shot=shot, problems=problems)
    assert problems == [], "problems:\n" + "\n".join(problems)


def test_the_downloads_answer_files(page, history, login_staff, staff_factory):
    login_staff(page, staff_factory("owner"))
    page.goto("/manage/reports/")
    for name in ("cohorts", "liability"):
        with page.expect_download() as got:
            page.locator(f"a[href='/manage/reports/{name}.xlsx']").click()
        assert got.value.suggested_filename.startswith(f"vafa-{name}-")
        assert got.value.suggested_filename.endswith(".xlsx")
        with page.expect_download() as got:
            page.locator(f"a[href='/manage/reports/{name}.csv']").click()
        assert got.value.suggested_filename.endswith(".csv")
