"""The reports "members vs non-members" and "tiers compared": pages and downloads (CSV, Excel)
with the known club's exact figures (vafa/insight/tests/dataset.py) and sales without a member
(vafa/insight/tests/test_members_compared.py), as of 4 Azar 1405."""

import pytest
from django.test import Client

from vafa.insight.tests.test_members_compared import _walk_ins
from vafa.web.manage import reports
from vafa.web.tests.test_reports_pages import club, on_4_azar, rows_of, sheet_of, staff_client  # noqa: F401

pytestmark = pytest.mark.django_db
NAMES = ["members-vs-non-members", "tiers-compared"]


@pytest.fixture
def sales(club, merchant):  # noqa: F811
    _walk_ins(merchant)


@pytest.mark.parametrize("role", ["owner", "manager", "marketer"])
def test_report_readers_open_both_reports_in_both_languages(role, sales):
    for lang in ("fa", "en"):
        client = staff_client(role, lang)
        for name in NAMES:
            page = client.get(f"/manage/reports/{name}/")
            assert page.status_code == 200, name
            assert client.get(f"/manage/reports/{name}.csv")["Content-Type"] == "text/csv; charset=utf-8"
            assert client.get(f"/manage/reports/{name}.xlsx")["Content-Type"] == reports.XLSX
        assert f'href="/manage/reports/{NAMES[0]}/"' in client.get("/manage/reports/").content.decode()


def test_a_cashier_and_a_stranger_get_neither(sales):
    cashier = staff_client("cashier")
    for name in NAMES:
        for url in [f"/manage/reports/{name}/", f"/manage/reports/{name}.csv", f"/manage/reports/{name}.xlsx"]:
            assert cashier.get(url).status_code == 403
            assert Client().get(url)["Location"].startswith("/manage/login/?next=")


def test_members_vs_non_members_as_csv_and_xlsx(sales):
    client = staff_client(lang="en")
    rows = rows_of(client.get("/manage/reports/members-vs-non-members.csv"))
    assert rows[0] == ["Month (Jalali year-month)", "Month", "Members' purchases", "Members who bought",
                       "Members' spend (Rials)", "Members' average basket (Rials)", "Purchases per buying member",
                       "Sales without a member", "Spend without a member (Rials)",
                       "Average basket without a member (Rials)", "Members' share of spend"]
    assert len(rows) == 13
    by_month = {r[0]: r[1:] for r in rows[1:]}
    assert by_month["1405-08"] == ["Aban 1405", "2", "1", "3000000", "1500000", "2.0", "1", "500000", "500000",
                                   "0.8571"]
    assert by_month["1405-09"] == ["Azar 1405", "4", "3", "26500000", "6625000", "1.33", "2", "1400000", "700000",
                                   "0.9498"]
    assert by_month["1404-10"] == ["Dey 1404", "0", "0", "0", "", "", "0", "0", "", ""]
    sheet = sheet_of(client.get("/manage/reports/members-vs-non-members.xlsx"))
    assert list(sheet[0]) == rows[0]
    azar = next(r for r in sheet[1:] if r[0] == "1405-09")
    assert list(azar) == ["1405-09", "Azar 1405", 4, 3, 26_500_000, 6_625_000, 1.33, 2, 1_400_000, 700_000, 0.9498]


def test_tiers_compared_as_csv(sales):
    rows = rows_of(staff_client(lang="en").get("/manage/reports/tiers-compared.csv"))
    assert rows == [
        ["Tier", "Members", "Members who bought", "Purchases", "Spend (Rials)", "Average basket (Rials)",
         "Purchases per buying member"],
        ["No tier", "4", "1", "3", "3500000", "1166666", "3.0"],
        ["Bronze", "0", "0", "0", "0", "", ""],
        ["Silver", "2", "2", "4", "4000000", "1000000", "2.0"],
        ["Gold", "1", "1", "1", "25000000", "25000000", "1.0"],
    ]


def test_the_page_shows_toman_and_jalali_months_in_persian(sales):
    html = staff_client(lang="fa").get("/manage/reports/members-vs-non-members/").content.decode()
    assert "آذر ۱۴۰۵" in html
    assert "۱۴۰٬۰۰۰" in html or "۱۴۰,۰۰۰" in html  # 1,400,000 Rials = 140,000 Toman


def test_the_dashboard_compares_members_with_non_members(sales, monkeypatch):
    import functools
    import re

    from vafa.insight.selectors import dashboard_figures
    from vafa.insight.tests.dataset import NOW
    from vafa.web.manage import dashboard

    monkeypatch.setattr(dashboard, "dashboard_figures", functools.partial(dashboard_figures, now=NOW))
    for lang in ("en", "fa"):
        response = staff_client("owner", lang).get("/manage/dashboard/")
        assert response.status_code == 200
        compared = response.context["members_compared"]
        assert (compared.members.purchases, compared.members.spend_rial) == (8, 32_500_000)
        assert (compared.non_members.purchases, compared.non_members.spend_rial) == (3, 1_900_000)
        html = response.content.decode()
        table = re.search(r'data-testid="table-members-compared">(.*?)</table>', html, re.S).group(1)
        cells = {row: re.findall(r'<td class="num">(.*?)</td>', body)
                 for row, body in re.findall(r'data-figure="(\w+)">(.*?)</tr>', table, re.S)}
        if lang == "en":
            # 12 months: 32,500,000 and 1,900,000 Rials; baskets 4,062,500 and 633,333 Rials (in Toman)
            assert cells == {"purchases": ["8", "3"], "spend": ["3,250,000 Toman", "190,000 Toman"],
                             "basket": ["406,250 Toman", "63,333 Toman"], "frequency": ["1.3", "—"]}
        else:
            assert cells["purchases"] == ["۸", "۳"]
        assert 'href="/manage/reports/members-vs-non-members/"' in html
