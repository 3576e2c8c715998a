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
    assert by_testid(html, "members-total") == "۷"
    assert by_testid(html, "members-new") == "۳"
    assert by_testid(html, "members-active") == "۴"
    assert by_testid(html, "liability") == "۲۵٬۵۵۰ تومان"  # 2,555 points x 100 Rials
    assert "۲٬۵۵۵" in by_testid(html, "liability-points")
    assert "۲۵٬۲۵۰ تومان" in by_testid(html, "liability-after")  # 30 of them expected to expire
    assert "۱۰۰" in by_testid(html, "deficit")
    assert by_testid(html, "issued") == "۳٬۲۷۰"
    assert by_testid(html, "spent") == "۸۱۵"
    assert by_testid(html, "redemption-rate") == "۲۵٪"  # 815 / 3,270
    assert by_testid(html, "repeat-rate") == "۶۰٪"
    assert by_testid(html, "breakage") == "۱٪"  # 40 / 3,310 over all time
    assert by_testid(html, "buyers") == "۳"  # B, C and G in Azar
    assert by_testid(html, "month-spend") == "۲٬۶۵۰٬۰۰۰ تومان"
    assert re.findall(r"[۰-۹]+", by_testid(html, "tier-moves")) == ["۲", "۱"]  # 2 up, 1 down in Azar
    # Figures as of 4 Azar 1405, 12:00 Tehran
    assert '<time datetime="2026-11-25T12:00+03:30">۱۴۰۵/۰۹/۰۴ ۱۲:۰۰</time>' in html
    # The month table: Azar's row
    azar = re.search(r'<tr data-month="1405-09">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num"[^>]*>(.*?)</td>', azar) == ["۲٬۶۹۹", "-۲۰", "۴۹", "۲٬۶۳۰", "۷۱۵", "۰"]
    # The charts' data: Jalali months, oldest first, labelled with the year in Persian digits
    points = chart(html, "points")
    assert points["type"] == "bar"
    assert len(points["labels"]) == 12
    assert points["labels"][-1].endswith("۱۴۰۵") and points["labels"][0].endswith("۱۴۰۴")
    assert [s["data"] for s in points["series"]] == [
        [0, 0, 0, 0, 200, 40, 0, 100, 0, 0, 300, 2630],  # G's imported points in Ordibehesht and Mordad
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 715],
        [0, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0],
    ]
    assert chart(html, "members")["series"][0]["data"] == [0] * 9 + [1, 2, 3]
    assert [s["data"] for s in chart(html, "purchases")["series"]] == [
        [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 3], [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 2, 4]]
    assert [s["data"] for s in chart(html, "tier-moves")["series"]] == [
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2], [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]]
    tiers = chart(html, "tiers")
    assert tiers["labels"][1:] == ["Bronze", "Silver", "Gold"]
    assert tiers["series"][0]["data"] == [4, 0, 2, 1]
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
    assert by_testid(html, "liability") == "25,550 Toman"
    assert by_testid(html, "redemption-rate") == "25%"
    assert 'data-locale="en-US"' in html


def test_the_page_takes_a_bounded_number_of_queries(merchant, on_4_azar, django_assert_max_num_queries):
    build_club(merchant)
    client = staff_client("owner")
    earn_policy()
    dashboard_figures(now=NOW)  # the rollups read everything once (a worker's tick does it on a server)
    # session, user, staff role (decorator and frame) + the figures' 17 + the sales without a member's 1
    # + the programme effect's 1 + the lifetime values' 1 + the members slipping away's 1 (none valued)
    with django_assert_max_num_queries(24):
        assert client.get(URL).status_code == 200


def test_the_cohort_triangle_and_the_rfm_grid_in_persian(merchant, on_4_azar):
    build_club(merchant)
    html = staff_client("owner").get(URL).content.decode()
    # Aban's cohort: A and B joined; A bought in Aban (month 0), B in Azar (month 1)
    aban = re.search(r'<tr data-cohort="1405-08">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num[^"]*"[^>]*>(.*?)</td>', aban) == ["۲", "۵۰٪", "۵۰٪"]
    assert 'data-buyers="1"' in aban and aban.count('class="blank"') == 10
    azar = re.search(r'<tr data-cohort="1405-09">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num[^"]*"[^>]*>(.*?)</td>', azar) == ["۳", "۶۷٪"]  # C and G of 3
    assert 'class="num heat-4"' in azar  # two thirds: the fourth of five shades
    # The RFM grid: recency 5 on top; A and B in R5 F4 (average spend 200,000 Toman)
    cell = re.search(r'<td class="num heat-(\d)" data-cell="54" data-members="2">(.*?)</td>', html, re.S)
    assert cell and "۲۰۰٬۰۰۰ تومان" in cell.group(2)
    assert cell.group(1) == "2"  # 2 of the 5 scored members
    assert 'data-testid="rfm-pending"' not in html
    assert 'data-testid="catching-up"' not in html
    assert 'href="/manage/reports/"' in html


def test_the_grid_in_rows_of_recency(merchant, on_4_azar):
    build_club(merchant)
    html = staff_client("owner").get(URL).content.decode()
    rows = re.findall(r'<tr data-r="(\d)">(.*?)</tr>', html, re.S)
    assert [r for r, _ in rows] == ["5", "4", "3", "2", "1"]
    members = {r: [int(n) for n in re.findall(r'data-members="(\d+)"', cells)] for r, cells in rows}
    assert members == {"5": [0, 0, 0, 2, 0], "4": [1, 0, 0, 0, 0], "3": [0, 0, 1, 0, 0], "2": [0] * 5,
                       "1": [1, 0, 0, 0, 0]}


def test_an_empty_club_has_no_grid_yet(on_4_azar):
    html = staff_client("owner").get(URL).content.decode()
    assert 'data-testid="no-rfm"' in html
    assert by_testid(html, "breakage") == "—"
