"""Back-office: the owner's reports (owner, manager, marketer), each a page and a download.

    reports/                    the list
    reports/<name>/             the report as a page (in the page's language, Toman, Jalali months)
    reports/<name>.csv          the same rows as CSV (UTF-8 with a BOM, for Excel), Rials as integers
    reports/<name>.xlsx         and as an Excel workbook (openpyxl, write-only), Rials as numbers

Each report is one table of figures from `vafa.insight.selectors` (the definitions are there),
built once per request as columns of a kind (a month, text, a count, points, Rials, a share, a
number of days) and rows of plain values; the page, the CSV and the workbook only write those
values each in its own way. Text a member or the club wrote (a reward's name) goes into a CSV
through vafa.core.spreadsheet.cell and into a workbook as text, never as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from vafa.core.spreadsheet import cell as csv_cell
from vafa.insight import selectors as insight
from vafa.web.access import REPORT_READERS, staff_required
from vafa.web.manage.dashboard import as_of, cohort_rows, is_persian, month_label, rfm_rows
from vafa.web.templatetags.vafa import digits, percent, points, toman

MONTH, TEXT, COUNT, POINTS, RIAL, SHARE, DAYS = "month", "text", "count", "points", "rial", "share", "days"
TOP_REWARDS = 20


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = COUNT


@dataclass
class Table:
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # what the page shows beside the table (a heat map)


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    description: str
    build: Callable[[object], Table]  # of `now`


def _now():
    return timezone.now()


# --- the reports --------------------------------------------------------------------------------------------


def _points(now) -> Table:
    t = Table([Column(_("Month"), MONTH), Column(_("Earned"), POINTS), Column(_("Adjusted"), POINTS),
               Column(_("Refunds took back"), POINTS), Column(_("Issued"), POINTS), Column(_("Redeemed"), POINTS),
               Column(_("Refunds gave back"), POINTS), Column(_("Spent"), POINTS), Column(_("Expired"), POINTS)])
    for m in insight.points_by_month(insight.jalali_months(now)):
        t.rows.append([m.month, m.earned, m.adjusted, m.reversed, m.issued, m.redeemed, m.returned, m.spent,
                       m.expired])
    return t


def _purchases(now) -> Table:
    t = Table([Column(_("Month"), MONTH), Column(_("New members")), Column(_("Buyers")), Column(_("Purchases")),
               Column(_("Spend"), RIAL), Column(_("Average basket"), RIAL)])
    for m in insight.purchases_by_month(insight.jalali_months(now)):
        t.rows.append([m.month, m.joined, m.buyers, m.purchases, m.amount_rial, m.basket_rial])
    return t


def _liability(now) -> Table:
    b = insight.breakage(now)
    held = b.liability
    t = Table([Column(_("Figure"), TEXT), Column(_("Points"), POINTS), Column(_("Value"), RIAL),
               Column(_("Rate"), SHARE)])
    t.rows = [
        [_("Points members hold"), held.points, held.rial, None],
        [_("Point value"), None, held.point_value_rial, None],
        [_("Members owe (refund deficits)"), held.deficit_points, None, None],
        [_("Points issued, all time"), b.issued, None, None],
        [_("Points spent, all time (redemption rate)"), b.spent, None, b.redemption_rate],
        [_("Points expired, all time (breakage)"), b.expired, None, b.rate],
        [_("Points held expected to expire"), b.expected_points, b.expected_rial, b.rate],
        [_("Liability with the expected breakage"), held.points - b.expected_points, b.liability_after_rial, None],
    ]
    return t


def _rfm(now) -> Table:
    grid = insight.rfm_grid()
    t = Table([Column(_("Recency quintile")), Column(_("Frequency quintile")), Column(_("Members")),
               Column(_("Spend to date"), RIAL), Column(_("Average spend"), RIAL)])
    for r in reversed(insight.RFM_QUINTILES):
        for f in insight.RFM_QUINTILES:
            c = grid.cell(r, f)
            t.rows.append([r, f, c.members, c.spend_rial, c.average_spend_rial])
    t.extra = {"rfm": rfm_rows(grid), "rfm_quintiles": insight.RFM_QUINTILES, "rfm_grid": grid,
               "rfm_taken": as_of(grid.taken_at) if grid.taken_at else None}
    return t


def _cohorts(now) -> Table:
    months = insight.jalali_months(now)
    found = insight.cohorts(months)
    t = Table([Column(_("Joined in"), MONTH), Column(_("Members who joined")), Column(_("Months since joining")),
               Column(_("Month"), MONTH), Column(_("Members who bought")), Column(_("Share of the cohort"), SHARE)])
    for i, c in enumerate(found):
        for k, (bought, share) in enumerate(zip(c.buyers, c.shares, strict=True)):
            t.rows.append([c.month, c.size, k, months[i + k], bought, share])
    t.extra = {"cohorts": cohort_rows(found, [month_label(m) for m in months]), "cohort_offsets": range(len(found))}
    return t


def _joining(now) -> Table:
    j = insight.joining_figures(now)
    t = Table([Column(_("Period"), TEXT), Column(_("Members")), Column(_("Purchases")), Column(_("Spend"), RIAL),
               Column(_("Average basket"), RIAL), Column(_("Days observed"), DAYS),
               Column(_("Purchases per 30 days"), DAYS)])
    t.rows = [
        [_("Before joining"), j.members, j.before_purchases, j.before_rial, j.before_basket_rial, j.before_days,
         j.before_per_30_days],
        [_("Since joining"), j.members, j.after_purchases, j.after_rial, j.after_basket_rial, j.after_days,
         j.after_per_30_days],
    ]
    return t


def _tiers(now) -> Table:
    t = Table([Column(_("Month"), MONTH), Column(_("Upgrades")), Column(_("Downgrades")), Column(_("Net"))])
    for m in insight.tier_moves(insight.jalali_months(now)):
        t.rows.append([m.month, m.ups, m.downs, m.ups - m.downs])
    return t


def _rewards(now) -> Table:
    months = insight.jalali_months(now)
    t = Table([Column(_("Reward"), TEXT), Column(_("Redemptions")), Column(_("Points spent"), POINTS)])
    for r in insight.top_rewards(months[0].start, months[-1].end, limit=TOP_REWARDS):
        t.rows.append([r.name, r.redemptions, r.points])
    return t


def _members_compared(now) -> Table:
    # Frequency is a decimal number, shown and downloaded as DAYS' are (one decimal, two).
    t = Table([Column(_("Month"), MONTH), Column(_("Members' purchases")), Column(_("Members who bought")),
               Column(_("Members' spend"), RIAL), Column(_("Members' average basket"), RIAL),
               Column(_("Purchases per buying member"), DAYS), Column(_("Sales without a member")),
               Column(_("Spend without a member"), RIAL), Column(_("Average basket without a member"), RIAL),
               Column(_("Members' share of spend"), SHARE)])
    for c in insight.members_vs_non_members(insight.jalali_months(now)).months:
        t.rows.append([c.month, c.members.purchases, c.members.buyers, c.members.spend_rial, c.members.basket_rial,
                       c.members.frequency, c.non_members.purchases, c.non_members.spend_rial,
                       c.non_members.basket_rial, c.members_share])
    return t


def _tiers_compared(now) -> Table:
    t = Table([Column(_("Tier"), TEXT), Column(_("Members")), Column(_("Members who bought")),
               Column(_("Purchases")), Column(_("Spend"), RIAL), Column(_("Average basket"), RIAL),
               Column(_("Purchases per buying member"), DAYS)])
    for r in insight.tiers_compared(insight.jalali_months(now)):
        f = r.figures
        t.rows.append([r.name or _("No tier"), r.members, f.buyers, f.purchases, f.spend_rial, f.basket_rial,
                       f.frequency])
    return t


def _programme_effect(now) -> Table:
    t = Table([Column(_("Kind"), TEXT), Column(_("Name"), TEXT), Column(_("Recipients")), Column(_("Cost"), RIAL),
               Column(_("Purchase rate after"), SHARE), Column(_("Comparable members' purchase rate"), SHARE),
               Column(_("Difference in purchase rate"), SHARE), Column(_("Spend per member after"), RIAL),
               Column(_("Comparable members' spend per member"), RIAL), Column(_("Difference in spend"), RIAL),
               Column(_("Comparable members")), Column(_("Hold-out lift (purchase rate)"), SHARE)])
    for e in insight.programme_effects():
        t.rows.append([e.kind_label, e.name, e.row.recipients, e.row.cost_rial, e.purchase_rate, e.comparison_rate,
                       e.rate_difference, e.spend_per_member_rial, e.comparison_spend_per_member_rial,
                       e.spend_difference_rial, e.row.comparison, e.holdout_rate_difference])
    return t


REPORTS = {r.name: r for r in (
    Report("points", gettext_lazy("Points per Jalali month"),
           gettext_lazy("Points earned, adjusted, taken back and given back by refunds, redeemed and expired, each in "
                        "the month it happened: what a purchase earned in the purchase's month."), _points),
    Report("purchases", gettext_lazy("Members and purchases per Jalali month"),
           gettext_lazy("New members, members who bought, their purchases and spend (net of refunds; a purchase "
                        "refunded in full does not count), by the month the purchases happened."), _purchases),
    Report("liability", gettext_lazy("Liability and breakage"),
           gettext_lazy("The points members hold and what they are worth, and the share of issued points that "
                        "expired (breakage) applied to them."), _liability),
    Report("rfm", gettext_lazy("Recency and frequency (RFM)"),
           gettext_lazy("Members per recency and frequency quintile of the nightly scores (5 is best), with their "
                        "spend to date."), _rfm),
    Report("cohorts", gettext_lazy("Cohorts"),
           gettext_lazy("The members who joined in each Jalali month and the share of them who bought in each month "
                        "since."), _cohorts),
    Report("joining", gettext_lazy("Before and after joining"),
           gettext_lazy("Members whose purchases began before they joined the club (imported history): how often "
                        "they bought and their average basket before joining and since."), _joining),
    Report("tiers", gettext_lazy("Tier moves"),
           gettext_lazy("Members who moved up or down a tier in each Jalali month."), _tiers),
    Report("rewards", gettext_lazy("Top rewards"),
           gettext_lazy("The most redeemed rewards of the last 12 Jalali months (rewards a rule gave free left "
                        "out)."), _rewards),
    Report("programme-effect", gettext_lazy("Programme effect"),
           gettext_lazy("Each rule, reward and campaign of the last 12 months: what it cost, and the purchases of "
                        "the members who received it in the 30 days after, beside members like them who did not "
                        "(same recency and frequency, bought or not in the 90 days before); a campaign's hold-out "
                        "lift where it had one."), _programme_effect),
    Report("members-vs-non-members", gettext_lazy("Members vs non-members"),
           gettext_lazy("Per Jalali month, members' purchases, spend, average basket and purchases per buying "
                        "member beside the sales recorded without a member (net of refunds; how often a "
                        "non-member buys cannot be known)."), _members_compared),
    Report("tiers-compared", gettext_lazy("Tiers compared"),
           gettext_lazy("Over the last 12 Jalali months, per current tier: members, members who bought, their "
                        "purchases, spend, average basket and purchases per buying member."), _tiers_compared),
)}


def _report(name: str, now) -> tuple[Report, Table]:
    report = REPORTS.get(name)
    if report is None:
        raise Http404
    return report, report.build(now)


# --- writing the values ---------------------------------------------------------------------------------


def _shown(kind: str, value) -> str:
    """A value as the page writes it."""
    if value is None:
        return "—"
    if kind == MONTH:
        return month_label(value)
    if kind == RIAL:
        return toman(value)
    if kind == SHARE:
        return percent(value)
    if kind == DAYS:
        return digits(f"{value:,.1f}")
    if kind in (COUNT, POINTS):
        return points(value)
    return str(value)


def _headers(columns: list[Column]) -> list[str]:
    """Column names of a download: a month is two columns (its key, then its name), Rials say so."""
    out = []
    for c in columns:
        if c.kind == MONTH:
            out += [_("%(column)s (Jalali year-month)") % {"column": c.label}, c.label]
        elif c.kind == RIAL:
            out.append(_("%(column)s (Rials)") % {"column": c.label})
        else:
            out.append(c.label)
    return out


def _plain(kind: str, value) -> list:
    """The cells of a value in a download: numbers as numbers, a month as its key and its name."""
    if kind == MONTH:
        return [value.key, month_label(value)] if value is not None else ["", ""]
    if value is None:
        return [None]
    # (rounded twice: a figure summed in floating point lands on the same side of a half)
    if kind == SHARE:
        return [round(round(value, 8), 4)]
    if kind == DAYS:
        return [round(round(value, 6), 2)]
    return [value]


def _download_name(name: str, extension: str) -> str:
    return f"vafa-{name}-{timezone.localdate().isoformat()}.{extension}"


def _csv(report: Report, table: Table) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(h) for h in _headers(table.columns)])
    for row in table.rows:
        cells = []
        for column, value in zip(table.columns, row, strict=True):
            cells += ["" if v is None else csv_cell(v) for v in _plain(column.kind, value)]
        writer.writerow(cells)
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_download_name(report.name, "csv")}"'
    response["Cache-Control"] = "no-store"
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMATS = {RIAL: "#,##0", POINTS: "#,##0", COUNT: "#,##0", SHARE: "0.0%", DAYS: "0.00"}


def _xlsx(report: Report, table: Table) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=report.name)
    sheet.sheet_view.rightToLeft = is_persian()
    bold = Font(bold=True)

    def text(value: str):
        c = WriteOnlyCell(sheet, value=value)
        c.data_type = "s"  # text, even when it starts like a formula
        return c

    head = []
    for h in _headers(table.columns):
        c = text(h)
        c.font = bold
        head.append(c)
    sheet.append(head)
    for row in table.rows:
        cells = []
        for column, value in zip(table.columns, row, strict=True):
            for v in _plain(column.kind, value):
                if isinstance(v, str):
                    cells.append(text(v))
                    continue
                c = WriteOnlyCell(sheet, value=v)
                if v is not None and column.kind in _FORMATS:
                    c.number_format = _FORMATS[column.kind]
                cells.append(c)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_download_name(report.name, "xlsx")}"'
    response["Cache-Control"] = "no-store"
    return response


# --- the views --------------------------------------------------------------------------------------------


@staff_required(*REPORT_READERS)
@require_GET
def report_list(request):
    months = insight.jalali_months(_now())
    return render(request, "web/manage/report_list.html", {
        "nav": "dashboard", "reports": list(REPORTS.values()),
        "period": {"first": month_label(months[0]), "last": month_label(months[-1])},
    })


@staff_required(*REPORT_READERS)
@require_GET
def report_page(request, name):
    now = _now()
    report, table = _report(name, now)
    rows = [[{"text": _shown(c.kind, v), "num": c.kind not in (TEXT, MONTH)}
             for c, v in zip(table.columns, row, strict=True)] for row in table.rows]
    months = insight.jalali_months(now)
    stamp = as_of(now)
    return render(request, "web/manage/report.html", {
        "nav": "dashboard", "report": report, "columns": table.columns, "rows": rows, **table.extra,
        "period": {"first": month_label(months[0]), "last": month_label(months[-1])},
        "as_of": stamp["text"], "as_of_iso": stamp["iso"],
        "text_kinds": (TEXT, MONTH),
    })


@staff_required(*REPORT_READERS)
@require_GET
def report_csv(request, name):
    return _csv(*_report(name, _now()))


@staff_required(*REPORT_READERS)
@require_GET
def report_xlsx(request, name):
    return _xlsx(*_report(name, _now()))


urlpatterns = [
    path("reports/", report_list, name="reports"),
    *[p for name in REPORTS for p in (
        path(f"reports/{name}/", report_page, {"name": name}, name=f"report-{name}"),
        path(f"reports/{name}.csv", report_csv, {"name": name}, name=f"report-{name}-csv"),
        path(f"reports/{name}.xlsx", report_xlsx, {"name": name}, name=f"report-{name}-xlsx"),
    )],
]
