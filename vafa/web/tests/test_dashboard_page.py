"""The dashboard page: who may open it, and the figures it shows (from insight's known club)."""

import functools
import json
import re

import pytest
from django.test import Client

from vafa.insight.selectors import dashboard_figures
from vafa.insight.tests.dataset import NOW, build_club
from vafa.merchants.staff import staff_create
from vafa.program.selectors import earn_policy
from vafa.web.manage import dashboard

pytestmark = pytest.mark.django_db
URL = "/manage/dashboard/"


def staff_client(role: str, lang: str = "fa") -> Client:
    user = staff_create(username=f"{role}-d", password="vafa-test-pass-1", role=role)
    client = Client(headers={"Accept-Language": lang})
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client


@pytest.fixture
def on_4_azar(monkeypatch):
    """The page computes its figures as on 4 Azar 1405 noon, the dataset's "now"."""
    monkeypatch.setattr(dashboard, "dashboard_figures", functools.partial(dashboard_figures, now=NOW))


def chart(html: str, name: str) -> dict:
    found = re.search(rf'<script id="chart-{name}-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, f"no data for chart {name}"
    return json.loads(found.group(1))


def by_testid(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">(.*?)</', html, re.S)
    assert found, testid
    return found.group(1).strip()


@pytest.mark.parametrize("role", ["owner", "manager", "marketer"])
def test_report_readers_open_the_dashboard(role):
    response = staff_client(role).get(URL)
    assert response.status_code == 200
    assert response.context["nav"] == "dashboard"


def test_a_cashier_is_refused():
    assert staff_client("cashier").get(URL).status_code == 403


def test_a_stranger_is_sent_to_log_in():
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/manage/login/?next=/manage/dashboard/"


def test_an_empty_club_shows_zeros_and_dashes_for_rates(on_4_azar):
    html = staff_client("owner").get(URL).content.decode()
    assert by_testid(html, "members-total") == "۰"
    assert by_testid(html, "redemption-rate") == "—"
    assert by_testid(html, "repeat-rate") == "—"
    assert by_testid(html, "liability") == "۰ تومان"
    assert 'data-testid="no-rewards"' in html
    assert '<canvas id="chart-rewards"' not in html


def test_the_known_club_in_persian(merchant, on_4_azar):
    build_club(merchant)
    html = staff_client("manager").get(URL).content.decode()
    # KPI cards, through the filters (Persian digits, Toman)
    assert by_testid(html, "members-total") == "۶"
    assert by_testid(html, "members-new") == "۲"
    assert by_testid(html, "members-active") == "۳"
    assert by_testid(html, "liability") == "۲۲٬۰۵۰ تومان"  # 2,205 points x 100 Rials
    assert "۲٬۲۰۵" in by_testid(html, "liability-points")
    assert "۱۰۰" in by_testid(html, "deficit")
    assert by_testid(html, "issued") == "۲٬۹۲۰"
    assert by_testid(html, "spent") == "۸۱۵"
    assert by_testid(html, "redemption-rate") == "۲۸٪"  # 815 / 2,920
    assert by_testid(html, "repeat-rate") == "۵۰٪"
    # Figures as of 4 Azar 1405, 12:00 Tehran
    assert '<time datetime="2026-11-25T12:00+03:30">۱۴۰۵/۰۹/۰۴ ۱۲:۰۰</time>' in html
    # The month table: Azar's row
    azar = re.search(r'<tr data-month="1405-09">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num"[^>]*>(.*?)</td>', azar) == ["۲٬۶۴۹", "-۲۰", "۴۹", "۲٬۵۸۰", "۷۱۵", "۰"]
    # The charts' data: Jalali months, oldest first, labelled with the year in Persian digits
    points = chart(html, "points")
    assert points["type"] == "bar"
    assert len(points["labels"]) == 12
    assert points["labels"][-1].endswith("۱۴۰۵") and points["labels"][0].endswith("۱۴۰۴")
    assert [s["data"] for s in points["series"]] == [
        [0, 0, 0, 0, 0, 40, 0, 0, 0, 0, 300, 2580],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 715],
        [0, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0],
    ]
    assert chart(html, "members")["series"][0]["data"] == [0] * 9 + [1, 2, 2]
    tiers = chart(html, "tiers")
    assert tiers["labels"][1:] == ["Bronze", "Silver", "Gold"]
    assert tiers["series"][0]["data"] == [3, 0, 2, 1]
    assert tiers["series"][0]["colors"][1:] == ["#a0522d", "#708090", "#b8860b"]
    rewards = chart(html, "rewards")
    assert (rewards["type"], rewards["labels"], rewards["series"][0]["data"]) == ("hbar", ["Coffee", "Cinema"], [3, 1])
    # The page draws with Chart.js from npm and our script, no inline script
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert "/static/web/charts.js" in html
    assert not re.search(r"<script(?![^>]*(src=|application/json))", html)


def test_english_labels_months_in_latin_digits(merchant, on_4_azar):
    build_club(merchant)
    html = staff_client("owner", lang="en").get(URL).content.decode()
    assert 'lang="en"' in html
    points = chart(html, "points")
    assert points["labels"][0] == "Dey 1404"
    assert points["labels"][-1] == "Azar 1405"
    assert by_testid(html, "liability") == "22,050 Toman"
    assert by_testid(html, "redemption-rate") == "28%"
    assert 'data-locale="en-US"' in html


def test_the_page_takes_a_bounded_number_of_queries(merchant, on_4_azar, django_assert_max_num_queries):
    build_club(merchant)
    client = staff_client("owner")
    earn_policy()
    # session, user, staff role (decorator and frame) + the figures' 8
    with django_assert_max_num_queries(12):
        assert client.get(URL).status_code == 200
