"""Surveys in a browser: a member answers one on a phone (375 px, Persian), with the keyboard for
the stars, and axe finds nothing; a staff member reads the results in English (NPS, the counts
per option drawn as bars with their figures), and hides a review."""

import re

import pytest


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _club():
    from vafa.commerce.services import purchase_record
    from vafa.engage import services as engaging
    from vafa.members.services import member_create
    from vafa.merchants.services import merchant_create

    merchant = merchant_create(name="چای‌خانه")
    member = member_create(phone="09121112233", first_name="سارا", last_name="محمدی")
    purchase = purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=2_500_000).purchase
    survey = engaging.survey_create(data={
        "name": "نظرسنجی رضایت مشتریان", "description": "فقط دو دقیقه وقت شما را می‌گیرد.", "points": 50,
        "questions": [
            {"type": "nps", "text": "چقدر احتمال دارد ما را به دوستانتان پیشنهاد کنید؟"},
            {"type": "rating", "text": "به کیفیت خدمات ما چه امتیازی می‌دهید؟"},
            {"type": "choice", "text": "بیشتر برای چه به فروشگاه ما می‌آیید؟",
             "options": ["چای", "قهوه", "شیرینی"]},
            {"type": "text", "text": "حرف دیگری با ما دارید؟", "required": False},
        ]})
    return member, purchase, survey


@pytest.mark.viewport(375, 812)
def test_a_member_answers_a_survey_on_a_phone(page, page_errors, login_member, axe_check, shot, transactional_db):
    from vafa.engage.models import SurveyAnswer

    page_errors.allow(r"422")  # the form sent without its required answers, on purpose

    member, purchase, survey = _club()
    login_member(page, member)
    page.goto("/")
    page.get_by_test_id("home-surveys-link").click()
    page.wait_for_url("**/surveys/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    axe_check(page)
    _fits(page, 375)
    shot(page, "list")
    page.get_by_test_id(f"answer-{survey.pk}").click()
    page.wait_for_url(f"**/surveys/{survey.pk}/")
    axe_check(page)
    _fits(page, 375)
    # Sent without the required answers: each question says what it lacks
    page.get_by_test_id("send-answers").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("error-q0").is_visible() and page.get_by_test_id("error-q2").is_visible()
    axe_check(page)
    _fits(page, 375)
    shot(page, "errors")
    page.locator("label[for='q0-9']").click()
    # The stars by keyboard: focus the first, then the arrow keys move along the radio group
    page.locator("#q1-1").focus()
    page.keyboard.press("ArrowLeft" if page.locator("html").get_attribute("dir") == "rtl" else "ArrowRight")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert page.locator("#q1-5").is_checked()
    page.locator("label[for='q2-1']").click()
    page.get_by_test_id("q3").fill("چای‌هایتان عالی است")
    shot(page, "filled")
    page.get_by_test_id("send-answers").click()
    page.wait_for_url(re.compile(r".*/surveys/\d+/\?done=1$"))
    assert page.get_by_test_id("points-earned").inner_text() == "۵۰"
    assert page.get_by_test_id("answer-2").inner_text() == "قهوه"
    axe_check(page)
    _fits(page, 375)
    shot(page, "thanks")
    answer = SurveyAnswer.objects.get()
    assert (answer.answers, answer.points_awarded) == ([9, 5, 1, "چای‌هایتان عالی است"], 50)
    page.goto("/")
    assert page.get_by_test_id("balance").inner_text() != "۰"
    # Review the purchase from the purchases page
    page.goto("/history/purchases/")
    axe_check(page)
    _fits(page, 375)
    page.get_by_test_id(f"review-{purchase.pk}").click()
    page.wait_for_url(f"**/purchases/{purchase.pk}/review/")
    axe_check(page)
    _fits(page, 375)
    page.locator("label[for='rating-4']").click()
    page.get_by_test_id("review-text").fill("خوش‌برخورد بودند")
    shot(page, "review")
    page.get_by_test_id("send-review").click()
    page.wait_for_url("**/history/purchases/")
    assert page.get_by_test_id(f"reviewed-{purchase.pk}").is_visible()
    axe_check(page)
    shot(page, "reviewed")


def test_staff_read_the_results_in_english_and_hide_a_review(page, login_staff, staff_factory, axe_check, shot,
                                                             transactional_db):
    from vafa.engage import services as engaging
    from vafa.engage.models import Review
    from vafa.members.services import member_create

    member, purchase, survey = _club()
    scores = [10, 9, 9, 8, 7, 6, 3]
    for n, score in enumerate(scores):
        other = member if n == 0 else member_create(phone=f"0935000{n:04d}", first_name="Ali", last_name=f"N{n}")
        engaging.survey_answer(survey_id=survey.pk, member_id=other.pk,
                               answers=[score, 1 + n % 5, n % 3, f"Comment {n}" if n % 2 else None])
    review = engaging.review_create(member_id=member.pk, data={"purchase_id": purchase.pk, "rating": 2,
                                                                "text": "Rude cashier"})
    marketer = staff_factory("marketer")
    login_staff(page, marketer)
    page.goto("/manage/feedback/surveys/")
    _to_english(page)
    assert page.locator("html").get_attribute("lang") == "en"
    axe_check(page)
    shot(page, "surveys")
    page.get_by_test_id(f"results-{survey.pk}").click()
    page.wait_for_url(f"**/manage/feedback/surveys/{survey.pk}/")
    # 3 promoters, 2 passives, 2 detractors of 7: 43% - 29% = 14
    assert page.get_by_test_id("nps-0").inner_text() == "14"
    assert page.get_by_test_id("answers-count").inner_text() == "7"
    assert page.locator("[data-testid='option-2-0'] .count").inner_text() == "3"
    page.wait_for_function("() => document.querySelectorAll('canvas[data-source]').length > 0 && "
                           "[...document.querySelectorAll('canvas[data-source]')].every(c => c.width > 0)")
    axe_check(page)
    shot(page, "results")
    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    _fits(page, 375)
    shot(page, "results-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/manage/feedback/reviews/")
    axe_check(page)
    page.get_by_test_id(f"hide-{review.pk}").click()
    page.wait_for_url("**/manage/feedback/reviews/**")
    assert Review.objects.get().status == "hidden"
    axe_check(page)
    shot(page, "reviews")
    page.goto(f"/manage/members/{member.pk}/")
    assert page.get_by_test_id("member-feedback").is_visible()
    axe_check(page)
    shot(page, "member")


def _to_english(page) -> None:
    """The language switch in the footer (a POST to Django's set_language)."""
    button = page.locator("footer button[value='en']")
    if button.count():
        button.click()
        page.wait_for_load_state()
