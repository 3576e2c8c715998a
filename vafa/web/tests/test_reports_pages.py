"""The reports: each a page and a download (CSV, Excel), with the known club's exact figures
(vafa/insight/tests/dataset.py) as of 4 Azar 1405."""

import csv
import io
import re

import pytest
from django.test import Client
from openpyxl import load_workbook

from vafa.insight.selectors import dashboard_figures
from vafa.insight.tests.dataset import NOW, booked_at, build_club
from vafa.merchants.staff import staff_create
from vafa.program.selectors import earn_policy
from vafa.web.manage import reports

pytestmark = pytest.mark.django_db
NAMES = ["points", "purchases", "liability", "rfm", "cohorts", "joining", "tiers", "rewards"]


def staff_client(role: str = "owner", lang: str = "fa") -> Client:
    user = staff_create(username=f"{role}-r-{lang}", password="vafa-test-pass-1", role=role)
    client = Client(headers={"Accept-Language": lang})
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client


@pytest.fixture
def on_4_azar(monkeypatch):
    monkeypatch.setattr(reports, "_now", lambda: NOW)


@pytest.fixture
def club(merchant, on_4_azar):
    return build_club(merchant)


def rows_of(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")  # for Excel
    return list(csv.reader(io.StringIO(body[1:])))


def sheet_of(response) -> list[tuple]:
    book = load_workbook(io.BytesIO(response.content))
    return list(book.active.iter_rows(values_only=True))


@pytest.mark.parametrize("role", ["owner", "manager", "marketer"])
def test_report_readers_open_every_report(role, club):
    client = staff_client(role)
    assert client.get("/manage/reports/").status_code == 200
    for name in NAMES:
        page = client.get(f"/manage/reports/{name}/")
        assert page.status_code == 200, name
        assert page.context["nav"] == "dashboard"
        assert client.get(f"/manage/reports/{name}.csv")["Content-Type"] == "text/csv; charset=utf-8"
        assert client.get(f"/manage/reports/{name}.xlsx")["Content-Type"] == reports.XLSX


def test_a_cashier_and_a_stranger_get_no_report(club):
    cashier = staff_client("cashier")
    for url in ["/manage/reports/", "/manage/reports/points/", "/manage/reports/points.csv",
                "/manage/reports/points.xlsx"]:
        assert cashier.get(url).status_code == 403
        assert Client().get(url)["Location"].startswith("/manage/login/?next=")


def test_the_list_links_every_report_and_its_downloads(club):
    html = staff_client().get("/manage/reports/").content.decode()
    for name in NAMES:
        assert f'href="/manage/reports/{name}/"' in html
        assert f'href="/manage/reports/{name}.csv" download' in html
        assert f'href="/manage/reports/{name}.xlsx" download' in html


def test_points_per_month_as_csv(club):
    rows = rows_of(staff_client(lang="en").get("/manage/reports/points.csv"))
    assert rows[0] == ["Month (Jalali year-month)", "Month", "Earned", "Adjusted", "Refunds took back", "Issued",
                       "Redeemed", "Refunds gave back", "Spent", "Expired"]
    assert [r[0] for r in rows[1:]] == ["1404-10", "1404-11", "1404-12", "1405-01", "1405-02", "1405-03", "1405-04",
                                        "1405-05", "1405-06", "1405-07", "1405-08", "1405-09"]
    by_month = {r[0]: r[1:] for r in rows[1:]}
    assert by_month["1405-02"] == ["Ordibehesht 1405", "200", "0", "0", "200", "0", "0", "0", "0"]
    assert by_month["1405-09"] == ["Azar 1405", "2699", "-20", "49", "2630", "730", "15", "715", "0"]


def test_purchases_per_month_in_rials(club):
    rows = rows_of(staff_client(lang="en").get("/manage/reports/purchases.csv"))
    assert rows[0] == ["Month (Jalali year-month)", "Month", "New members", "Buyers", "Purchases", "Spend (Rials)",
                       "Average basket (Rials)"]
    by_month = {r[0]: r[2:] for r in rows[1:]}
    assert by_month["1405-08"] == ["2", "1", "2", "3000000", "1500000"]
    assert by_month["1405-09"] == ["3", "3", "4", "26500000", "6625000"]
    assert by_month["1405-03"] == ["0", "0", "0", "0", ""]  # D's refunded purchase: nothing, no basket


def test_liability_and_breakage(club):
    rows = rows_of(staff_client(lang="en").get("/manage/reports/liability.csv"))
    assert rows == [
        ["Figure", "Points", "Value (Rials)", "Rate"],
        ["Points members hold", "2555", "255500", ""],
        ["Point value", "", "100", ""],
        ["Members owe (refund deficits)", "100", "", ""],
        ["Points issued, all time", "3310", "", ""],
        ["Points spent, all time (redemption rate)", "815", "", "0.2462"],
        ["Points expired, all time (breakage)", "40", "", "0.0121"],
        ["Points held expected to expire", "30", "3000", "0.0121"],
        ["Liability with the expected breakage", "2525", "252500", ""],
    ]


def test_the_rfm_grid_as_rows(club):
    rows = rows_of(staff_client(lang="en").get("/manage/reports/rfm.csv"))
    assert rows[0] == ["Recency quintile", "Frequency quintile", "Members", "Spend to date (Rials)",
                       "Average spend (Rials)"]
    assert len(rows) == 26
    filled = [r for r in rows[1:] if r[2] != "0"]
    assert filled == [["5", "4", "2", "4000000", "2000000"], ["4", "1", "1", "25000000", "25000000"],
                      ["3", "3", "1", "3500000", "3500000"], ["1", "1", "1", "400000", "400000"]]
    assert rows[1] == ["5", "1", "0", "0", ""]


def test_cohorts_as_rows(club):
    rows = rows_of(staff_client(lang="en").get("/manage/reports/cohorts.csv"))
    assert rows[0] == ["Joined in (Jalali year-month)", "Joined in", "Members who joined", "Months since joining",
                       "Month (Jalali year-month)", "Month", "Members who bought", "Share of the cohort"]
    assert len(rows) == 1 + 78  # 12 + 11 + ... + 1 cells
    cells = {(r[0], r[3]): (r[2], r[4], r[6], r[7]) for r in rows[1:]}
    assert cells[("1405-08", "0")] == ("2", "1405-08", "1", "0.5")
    assert cells[("1405-08", "1")] == ("2", "1405-09", "1", "0.5")
    assert cells[("1405-09", "0")] == ("3", "1405-09", "2", "0.6667")
    assert cells[("1404-10", "3")] == ("0", "1405-01", "0", "")  # nobody joined in Dey: no share


def test_before_and_after_joining(club):
    rows = rows_of(staff_client(lang="en").get("/manage/reports/joining.csv"))
    assert rows == [
        ["Period", "Members", "Purchases", "Spend (Rials)", "Average basket (Rials)", "Days observed",
         "Purchases per 30 days"],
        ["Before joining", "1", "2", "3000000", "1500000", "202.88", "0.3"],
        ["Since joining", "1", "1", "500000", "500000", "1.12", "26.67"],
    ]


def test_tier_moves_and_top_rewards(club):
    client = staff_client(lang="en")
    tiers = {r[0]: r[2:] for r in rows_of(client.get("/manage/reports/tiers.csv"))[1:]}
    assert tiers["1405-03"] == ["0", "1", "-1"]
    assert tiers["1405-09"] == ["2", "1", "1"]
    assert rows_of(client.get("/manage/reports/rewards.csv")) == [
        ["Reward", "Redemptions", "Points spent"], ["Coffee", "3", "300"], ["Cinema", "1", "500"]]


def test_the_workbook_has_the_same_rows_as_numbers(club):
    client = staff_client(lang="en")
    sheet = sheet_of(client.get("/manage/reports/purchases.xlsx"))
    assert sheet[0] == ("Month (Jalali year-month)", "Month", "New members", "Buyers", "Purchases", "Spend (Rials)",
                        "Average basket (Rials)")
    assert sheet[-1] == ("1405-09", "Azar 1405", 3, 3, 4, 26_500_000, 6_625_000)
    assert len(sheet) == 13
    book = load_workbook(io.BytesIO(client.get("/manage/reports/liability.xlsx").content))
    ws = book.active
    assert ws.sheet_view.rightToLeft is False
    assert (ws["C2"].value, ws["C2"].number_format, ws["D6"].value, ws["D6"].number_format) == (
        255_500, "#,##0", 0.2462, "0.0%")
    def same(value):  # 0.0 in a CSV is 0 in a workbook
        try:
            return float(value)
        except (TypeError, ValueError):
            return "" if value is None else value

    for name in NAMES:  # every workbook holds what its CSV holds
        as_csv = rows_of(client.get(f"/manage/reports/{name}.csv"))
        as_xlsx = sheet_of(client.get(f"/manage/reports/{name}.xlsx"))
        assert [[same(v) for v in row] for row in as_xlsx] == [[same(v) for v in row] for row in as_csv], name


def test_in_persian_the_sheet_runs_right_to_left_and_months_have_persian_names(club):
    client = staff_client(lang="fa")
    book = load_workbook(io.BytesIO(client.get("/manage/reports/points.xlsx").content))
    assert book.active.sheet_view.rightToLeft is True
    rows = rows_of(client.get("/manage/reports/points.csv"))
    assert rows[-1][:2] == ["1405-09", "آذر ۱۴۰۵"]  # the month's key stays sortable, its name in Persian
    assert rows[-1][2] == "2699"  # numbers as numbers


def test_a_name_that_looks_like_a_formula_stays_text(merchant, member, on_4_azar):
    from vafa.ledger.services import points_adjust
    from vafa.program.catalog import reward_create
    from vafa.rewards.services import reward_redeem

    reward = reward_create(name='=HYPERLINK("http://evil.example","x")', kind="non_material", cost_points=10)
    points_adjust(member_id=member.pk, points=10, reason="r", merchant_id=merchant.pk, expires_at=None)
    with booked_at(NOW):
        reward_redeem(member_id=member.pk, reward_id=reward.pk, merchant_id=merchant.pk)
    client = staff_client(lang="en")
    assert rows_of(client.get("/manage/reports/rewards.csv"))[1][0] == "'" + reward.name
    book = load_workbook(io.BytesIO(client.get("/manage/reports/rewards.xlsx").content))
    assert (book.active["A2"].value, book.active["A2"].data_type) == (reward.name, "s")


def test_a_report_page_in_persian(club):
    html = staff_client().get("/manage/reports/purchases/").content.decode()
    azar = re.findall(r"<tr><th scope=\"row\">آذر ۱۴۰۵</th>(.*?)</tr>", html, re.S)
    assert azar and re.findall(r'<td class="num">(.*?)</td>', azar[0]) == [
        "۳", "۳", "۴", "۲٬۶۵۰٬۰۰۰ تومان", "۶۶۲٬۵۰۰ تومان"]
    assert 'href="/manage/reports/purchases.csv" download' in html
    assert '<time datetime="2026-11-25T12:00+03:30">۱۴۰۵/۰۹/۰۴ ۱۲:۰۰</time>' in html
    cohorts = staff_client("manager").get("/manage/reports/cohorts/").content.decode()
    assert '<tr data-cohort="1405-09">' in cohorts
    rfm = staff_client("marketer").get("/manage/reports/rfm/").content.decode()
    assert 'data-cell="54" data-members="2"' in rfm


def test_a_report_page_takes_a_bounded_number_of_queries(club, django_assert_max_num_queries):
    client = staff_client()
    earn_policy()
    dashboard_figures(now=NOW)  # the rollups read everything once
    for name in NAMES:
        # session, user, staff role (decorator and frame), the rollups' two, the report's own
        with django_assert_max_num_queries(12):
            assert client.get(f"/manage/reports/{name}/").status_code == 200
