"""The programme-effect report and the dashboard's table of it in a browser: both languages, a
phone (375 px) and a desktop, accessible (axe), nothing spilling out (test_every_page's checks)."""

import pytest

from vafa.web.tests.browser.test_every_page import _check, _language
from vafa.web.tests.browser.test_reports import history  # noqa: F401 (a fixture)


@pytest.fixture
def measured(history):  # noqa: F811
    """The small club of the reports' browser test, with a campaign to two of its members and the
    nightly programme effect computed."""
    from django.utils import timezone

    from vafa.engage.models import Campaign, CampaignMember, Message, Segment
    from vafa.insight.effect import programme_effects_compute
    from vafa.members.models import Member

    now = timezone.now()
    segment = Segment.objects.create(code="all", name="همه", conditions={})
    campaign = Campaign.objects.create(name="کمپین پاییز برای اعضایی که مدتی است خرید نکرده‌اند", channel="sms",
                                       segment=segment, text="x", holdout_percent=50, status=Campaign.Status.SENT,
                                       audience=4, holdout=2, audience_drawn=True, started_at=now, finished_at=now)
    for i, member in enumerate(Member.objects.order_by("pk")[:4]):
        CampaignMember.objects.create(campaign=campaign, member=member, draw=i, holdout=i >= 2)
        if i < 2:
            Message.objects.create(member=member, channel="sms", purpose="marketing", to="09120000000", text="x",
                                   parts=1, status=Message.Status.SENT, campaign=campaign, due_at=now, sent_at=now)
    assert programme_effects_compute(now=now) >= 3
    return history


@pytest.mark.parametrize("lang, width", [
    pytest.param("fa", 375, marks=pytest.mark.viewport(375, 812), id="fa-375"),
    pytest.param("en", 375, marks=pytest.mark.viewport(375, 812), id="en-375"),
    pytest.param("fa", 1280, marks=pytest.mark.viewport(1280, 800), id="fa-1280"),
])
def test_the_report_and_the_dashboard_table(lang, width, page, measured, live_server, login_staff, staff_factory,
                                            axe_check, shot):
    login_staff(page, staff_factory("marketer"))
    _language(page, live_server, lang)
    problems: list[str] = []
    for name, path in [("programme-effect", "/manage/reports/programme-effect/"), ("dashboard", "/manage/dashboard/")]:
        _check(page, path, name, lang=lang, width=width, axe_check=axe_check, shot=shot, problems=problems)
    assert problems == [], "problems:\n" + "\n".join(problems)
    page.goto("/manage/dashboard/")
    assert page.locator("[data-testid=table-programme-effect] tbody tr").count() >= 3
