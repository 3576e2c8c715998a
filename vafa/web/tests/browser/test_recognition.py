"""Badges, challenges and contests in a browser: a member on a phone (375 px, Persian) sees the
badge they earned with its Jalali date and bars of progress towards the others and a challenge,
and sends a photo to a contest; a marketer sees the photo, approves the entry and makes it a
winner; the member then sees they won and has the points. Every page is axe-clean, fits the
phone and shows no text spilling out of its box."""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone

from vafa.web.tests.browser.test_every_page import TEXT_OVERFLOW


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
    assert page.evaluate(TEXT_OVERFLOW) == [], page.url


def _loaded_width(page, image) -> int:
    """The image's own width once the browser has it (through the view that checks who asks)."""
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    return image.evaluate("img => img.naturalWidth")


def _club(tmp_path):
    from PIL import Image

    from vafa.commerce.services import purchase_record
    from vafa.engage.contests import contest_create
    from vafa.engage.recognition import badge_create, challenge_create, recognition_forget, recognition_sweep
    from vafa.members.services import member_create
    from vafa.merchants.services import merchant_create

    recognition_forget()
    merchant = merchant_create(name="چای‌خانهٔ وفا")
    member = member_create(phone="09121112233", first_name="سارا", last_name="محمدی")
    now = timezone.now()
    first = badge_create(data={"code": "first-cup", "name": "اولین فنجان", "criterion": "purchases", "threshold": 1,
                               "points": 20, "description": "برای اولین خرید از باشگاه"})
    five = badge_create(data={"code": "five-cups", "name": "پنج فنجان", "criterion": "purchases", "threshold": 5})
    badge_create(data={"code": "weekly", "name": "مشتری هر هفته", "criterion": "streak_weeks", "threshold": 4})
    challenge_create(data={"name": "سه خرید در این ماه", "target": 3, "starts_at": now - timedelta(days=3),
                           "ends_at": now + timedelta(days=12, hours=2), "points": 50})
    for n in range(2):
        purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_500_000, external_id=f"b-{n}",
                        occurred_at=now - timedelta(days=n + 1))
    recognition_sweep(now)
    contest = contest_create(data={"name": "عکس چای من", "description": "عکسی از لحظهٔ چای‌نوشیدن خود بفرستید.",
                                   "entry_kind": "photo", "starts_at": now - timedelta(days=1),
                                   "ends_at": now + timedelta(days=6), "winner_points": 100})
    photo = tmp_path / "my-tea.jpg"
    out = BytesIO()
    Image.new("RGB", (640, 480), (170, 90, 40)).save(out, "JPEG")
    photo.write_bytes(out.getvalue())
    return {"member": member, "first": first, "five": five, "contest": contest, "photo": photo}


@pytest.mark.viewport(375, 812)
def test_a_member_sees_badges_and_enters_a_contest_which_a_marketer_judges(
        page, another_page, transactional_db, tmp_path, settings, login_member, login_staff, staff_factory,
        axe_check, shot):
    from vafa.core.jalali import format_jalali_date
    from vafa.core.tests.fixtures import balance
    from vafa.engage.models import ContestEntry, MemberBadge

    settings.MEDIA_ROOT = tmp_path / "media"
    club = _club(tmp_path)
    member, contest = club["member"], club["contest"]

    # The member, on a phone, in Persian
    login_member(page, member)
    page.goto("/")
    page.locator(".topbar nav a[href='/badges/']").click()  # the portal's menu
    page.wait_for_url("**/badges/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    earned = page.get_by_test_id(f"badge-{club['first'].pk}")
    award = MemberBadge.objects.get()
    assert earned.get_attribute("data-earned") == "1"
    assert format_jalali_date(award.awarded_at) in earned.get_by_test_id("earned-on").inner_text()
    towards = page.get_by_test_id(f"badge-{club['five'].pk}").get_by_role("progressbar")
    assert towards.get_attribute("aria-valuenow") == "40"
    assert re.search("۲.*۵", towards.get_attribute("aria-valuetext"))  # "2 of 5 purchases", in Persian digits
    bar = page.get_by_test_id(f"badge-{club['five'].pk}").locator(".progress > span")
    assert 0.35 < bar.evaluate("el => el.getBoundingClientRect().width / el.parentElement.getBoundingClientRect().width"
                               ) < 0.45
    challenge = page.get_by_test_id("challenges").locator("li").first
    assert challenge.get_attribute("data-state") == "running"
    assert "۱۲" in challenge.get_by_test_id("when").inner_text()
    assert challenge.get_by_role("progressbar").get_attribute("aria-valuenow") == "66"
    axe_check(page)
    _fits(page, 375)
    shot(page, "member-badges")

    # ... finds the contest and sends a photo
    page.locator("nav.tabs a[href='/contests/']").click()
    page.wait_for_url("**/contests/")
    axe_check(page)
    _fits(page, 375)
    page.get_by_test_id(f"contest-{contest.pk}").get_by_role("link").first.click()
    page.wait_for_url(f"**/contests/{contest.pk}/")
    axe_check(page)
    _fits(page, 375)
    shot(page, "member-contest-form")
    page.locator("#id_photo").set_input_files(str(club["photo"]))
    page.locator("#id_text").fill("چای عصرانه در حیاط")
    page.get_by_test_id("send-entry").click()
    page.wait_for_url(f"**/contests/{contest.pk}/")
    assert page.get_by_test_id("entry-status").get_attribute("data-status") == "submitted"
    mine = page.get_by_test_id("my-photo")
    assert _loaded_width(page, mine) == 640
    axe_check(page)
    _fits(page, 375)
    shot(page, "member-entry-sent")
    entry = ContestEntry.objects.get()
    assert entry.text == "چای عصرانه در حیاط" and entry.photo_type == "image/jpeg"

    # A marketer, on a desktop, judges it
    desk = another_page(1280, 800)
    desk.on("dialog", lambda dialog: dialog.accept())
    login_staff(desk, staff_factory("marketer", username="mina"))
    desk.goto("/manage/")
    desk.locator(".topbar nav a[href='/manage/recognition/badges/']").click()  # the back-office's menu
    desk.wait_for_url("**/manage/recognition/badges/")
    assert desk.get_by_test_id(f"badge-{club['first'].pk}").get_by_test_id("holders").inner_text() == "۱"
    axe_check(desk)
    shot(desk, "staff-badges")
    desk.goto("/manage/recognition/challenges/")
    axe_check(desk)
    shot(desk, "staff-challenges")
    desk.goto("/manage/recognition/contests/")
    axe_check(desk)
    desk.get_by_role("link", name=contest.name).click()
    desk.wait_for_url(f"**/manage/recognition/contests/{contest.pk}/")
    photo = desk.get_by_test_id("entry-photo")
    assert _loaded_width(desk, photo) == 640
    axe_check(desk)
    desk.get_by_test_id(f"approve-{entry.pk}").click()
    desk.wait_for_load_state("load")
    assert desk.get_by_test_id(f"entry-{entry.pk}").get_attribute("data-status") == "approved"
    desk.get_by_test_id("stop-entries").click()
    desk.wait_for_load_state("load")
    desk.get_by_test_id(f"winner-{entry.pk}").click()
    desk.wait_for_load_state("load")
    assert desk.get_by_test_id(f"entry-{entry.pk}").get_attribute("data-status") == "winner"
    axe_check(desk)
    shot(desk, "staff-contest-judged")
    assert balance(member) == 20 + 2 * 150 + 100  # the badge, two purchases, the win

    # The member sees they won
    page.reload()
    assert page.get_by_test_id("entry-status").get_attribute("data-status") == "winner"
    axe_check(page)
    _fits(page, 375)
    shot(page, "member-won")


def _language(page, live_server, lang: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])


@pytest.mark.parametrize("lang, width", [
    pytest.param("fa", 375, marks=pytest.mark.viewport(375, 812), id="fa-375"),
    pytest.param("en", 375, marks=pytest.mark.viewport(375, 812), id="en-375"),
    pytest.param("fa", 1280, marks=pytest.mark.viewport(1280, 800), id="fa-1280"),
    pytest.param("en", 1280, marks=pytest.mark.viewport(1280, 800), id="en-1280"),
])
def test_every_recognition_page(lang, width, page, transactional_db, tmp_path, settings, live_server, login_member,
                                login_staff, staff_factory, axe_check, shot):
    """Each page in both languages, on a phone and a desktop: axe-clean, no sideways scroll, no
    text out of its box (the checks of test_every_page)."""
    from vafa.core.audit import Actor
    from vafa.engage.contests import contest_create, contest_entry_decide, contest_entry_submit
    from vafa.members.services import member_create
    from vafa.web.tests.browser.test_every_page import _check

    settings.MEDIA_ROOT = tmp_path / "media"
    club = _club(tmp_path)
    member, contest = club["member"], club["contest"]
    owner = staff_factory("owner")
    now = timezone.now()
    poem = contest_create(data={"name": "شعری دربارهٔ چای، در چند بیت کوتاه برای جشنوارهٔ پاییزی باشگاه",
                                "entry_kind": "text", "starts_at": now - timedelta(days=2),
                                "ends_at": now + timedelta(days=9), "winner_points": 250})
    contest_entry_submit(contest_id=contest.pk, member_id=member.pk, photo=club["photo"].read_bytes(),
                         text="چای عصرانه")
    other = member_create(phone="09351234567", first_name="Alexander", last_name="Featherstonehaugh-Montgomery")
    text = contest_entry_submit(contest_id=poem.pk, member_id=other.pk, text="A long poem line " * 30)
    contest_entry_decide(entry_id=text.pk, decision="approved", actor=Actor(user=owner))
    problems: list[str] = []
    pages = {
        "member": [("badges", "/badges/"), ("contests", "/contests/"), ("contest-entered", f"/contests/{contest.pk}/"),
                   ("contest-form", f"/contests/{poem.pk}/")],
        "owner": [("badges-list", "/manage/recognition/badges/"),
                  ("badge-edit", f"/manage/recognition/badges/{club['five'].pk}/"),
                  ("challenges-list", "/manage/recognition/challenges/"),
                  ("contests-list", "/manage/recognition/contests/"),
                  ("contest-photos", f"/manage/recognition/contests/{contest.pk}/"),
                  ("contest-texts", f"/manage/recognition/contests/{poem.pk}/")],
    }
    login_member(page, member)
    _language(page, live_server, lang)
    for name, path in pages["member"]:
        _check(page, path, name, lang=lang, width=width, axe_check=axe_check, shot=shot, problems=problems)
    login_staff(page, owner)
    for name, path in pages["owner"]:
        _check(page, path, name, lang=lang, width=width, axe_check=axe_check, shot=shot, problems=problems)
    assert problems == [], "problems:\n" + "\n".join(problems)
