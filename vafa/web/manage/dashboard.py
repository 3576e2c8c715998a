"""Back-office: the dashboard of KPIs and charts (owner, manager, marketer).

The figures come from one selector (`vafa.insight.selectors.dashboard_figures`); this view only
labels them in the page's language: Jalali month names, and the data each chart reads from the
page (`json_script`, drawn by static/web/charts.js). The RFM grid and the cohort triangle are
tables shaded by their figures (a heat map needs no canvas, and the numbers are in the cells).
"""

from math import ceil

from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_lazy

from vafa.core.jalali import format_jalali_date
from vafa.core.phone import mask_phone
from vafa.insight.selectors import (
    RFM_QUINTILES,
    clv_distribution,
    dashboard_figures,
    members_compared_from,
    members_slipping_away,
    programme_effects,
)
from vafa.web.access import REPORT_READERS, staff_required
from vafa.web.templatetags.vafa import digits, toman

JALALI_MONTH_NAMES = (
    gettext_lazy("Farvardin"), gettext_lazy("Ordibehesht"), gettext_lazy("Khordad"), gettext_lazy("Tir"),
    gettext_lazy("Mordad"), gettext_lazy("Shahrivar"), gettext_lazy("Mehr"), gettext_lazy("Aban"),
    gettext_lazy("Azar"), gettext_lazy("Dey"), gettext_lazy("Bahman"), gettext_lazy("Esfand"),
)

# Series colours: the frame's brand, accent and "bad" colours (AA on white for their legends).
ISSUED, SPENT, EXPIRED = "#0b5c6b", "#8a4b00", "#a1241b"
NO_TIER_COLOR = "#9e9e9e"
SLIPPING_SHOWN = 10  # members on the dashboard; a segment with the clv conditions has them all
PROGRAMME_EFFECTS_SHOWN = 10  # rows of the dashboard's table; the report has them all
HEAT_LEVELS = 5  # shades of a heat-map cell besides "none" (web/dashboard.css .heat-0 .. .heat-5)


def month_label(month) -> str:
    """A Jalali month as "Azar 1405", or "آذر ۱۴۰۵" in Persian (month names from the catalog)."""
    return digits(f"{JALALI_MONTH_NAMES[month.month - 1]} {month.year}")


def heat(share: float | None) -> int:
    """A share 0..1 as a shade 0..HEAT_LEVELS (0 only for nothing at all)."""
    if not share:
        return 0
    return min(max(ceil(share * HEAT_LEVELS), 1), HEAT_LEVELS)


def is_persian() -> bool:
    return (get_language() or "fa").split("-")[0] == "fa"


def rfm_rows(grid) -> list[dict]:
    """The grid as table rows: recency 5 (most recent) at the top, frequency 1..5 across; each
    cell shaded by its share of the scored members."""
    total = grid.members
    rows = []
    for r in reversed(RFM_QUINTILES):
        cells = []
        for f in RFM_QUINTILES:
            cell = grid.cell(r, f)
            cells.append({"r": r, "f": f, "members": cell.members, "average": cell.average_spend_rial,
                          "heat": heat(cell.members / total if total else None)})
        rows.append({"r": r, "cells": cells})
    return rows


def cohort_rows(cohorts, labels: list[str]) -> list[dict]:
    """The triangle as table rows: a cohort's month, its size, then a cell per month since
    (month 0 first), empty cells where the months shown end."""
    width = len(cohorts)
    rows = []
    for i, cohort in enumerate(cohorts):
        cells = [{"buyers": b, "share": s, "heat": heat(s), "month": labels[i + k]}
                 for k, (b, s) in enumerate(zip(cohort.buyers, cohort.shares, strict=True))]
        rows.append({"label": labels[i], "key": cohort.month.key, "size": cohort.size, "cells": cells,
                     "blank": range(width - len(cells))})
    return rows


def _charts(figures, labels: list[str]) -> dict:
    points = figures.points_by_month
    tiers = figures.tiers
    return {
        "points": {
            "type": "bar",
            "labels": labels,
            "series": [
                {"label": gettext("Issued"), "data": [m.issued for m in points], "color": ISSUED},
                {"label": gettext("Spent"), "data": [m.spent for m in points], "color": SPENT},
                {"label": gettext("Expired"), "data": [m.expired for m in points], "color": EXPIRED},
            ],
        },
        "members": {
            "type": "line",
            "labels": labels,
            "series": [{"label": gettext("New members"), "data": [m.joined for m in figures.new_members_by_month],
                        "color": ISSUED}],
        },
        "purchases": {
            "type": "bar",
            "labels": labels,
            "series": [
                {"label": gettext("Buyers"), "data": [m.buyers for m in figures.purchases_by_month], "color": ISSUED},
                {"label": gettext("Purchases"), "data": [m.purchases for m in figures.purchases_by_month],
                 "color": SPENT},
            ],
        },
        "tier_moves": {
            "type": "bar",
            "labels": labels,
            "series": [
                {"label": gettext("Upgrades"), "data": [m.ups for m in figures.tier_moves], "color": ISSUED},
                {"label": gettext("Downgrades"), "data": [m.downs for m in figures.tier_moves], "color": EXPIRED},
            ],
        },
        "tiers": {
            "type": "doughnut",
            "labels": [t.name or gettext("No tier") for t in tiers],
            "series": [{"label": gettext("Members"), "data": [t.members for t in tiers],
                        "colors": [t.color or NO_TIER_COLOR for t in tiers]}],
        },
        "rewards": {
            "type": "hbar",
            "labels": [r.name for r in figures.top_rewards],
            "series": [{"label": gettext("Redemptions"), "data": [r.redemptions for r in figures.top_rewards],
                        "color": SPENT}],
        },
    }


def clv_bands(distribution) -> list[dict]:
    """Each band of lifetime value labelled in Toman ("100,000 to 500,000 Toman", "50,000,000 Toman and more")."""
    bands = []
    for band in distribution.bands:
        low = toman(band.from_rial)
        label = (gettext("%(low)s and more") % {"low": low} if band.to_rial is None
                 else gettext("%(low)s to %(high)s") % {"low": low, "high": toman(band.to_rial)})
        bands.append({"label": label, "from_rial": band.from_rial, "members": band.members,
                      "clv_rial": band.clv_rial})
    return bands


def clv_chart(bands: list[dict]) -> dict:
    return {"type": "bar", "labels": [b["label"] for b in bands],
            "series": [{"label": gettext("Members"), "data": [b["members"] for b in bands], "color": ISSUED}]}


def slipping_rows(scores) -> list[dict]:
    """The members slipping away by name; one without a name by their phone masked (the dashboard
    is a marketer's page too)."""
    rows = []
    for score in scores:
        m = score.member
        label = m.display_name  # the member's own rule for a name, which falls back to the phone
        rows.append({"member_id": m.pk, "label": mask_phone(m.phone) if label == m.phone else label,
                     "clv_rial": score.clv_rial, "p_alive": score.p_alive, "p_alive_before": score.p_alive_before})
    return rows


def as_of(moment) -> dict:
    local = timezone.localtime(moment)
    return {"text": digits(f"{format_jalali_date(local, persian_digits=False)} {local:%H:%M}"),
            "iso": local.isoformat(timespec="minutes")}


@staff_required(*REPORT_READERS)
def index(request):
    figures = dashboard_figures()
    labels = [month_label(m) for m in figures.months]
    months = [
        {"label": label, "points": p, "joined": j.joined, "purchases": b, "moves": t}
        for label, p, j, b, t in zip(labels, figures.points_by_month, figures.new_members_by_month,
                                     figures.purchases_by_month, figures.tier_moves, strict=True)
    ]
    stamp = as_of(figures.now)
    clv = clv_distribution()
    bands = clv_bands(clv)
    return render(request, "web/manage/dashboard.html", {
        "nav": "dashboard",
        "f": figures,
        "months": months,
        "this_month": months[-1],
        "period": {"first": labels[0], "last": labels[-1]},
        "as_of": stamp["text"],
        "as_of_iso": stamp["iso"],
        "charts": _charts(figures, labels),
        "chart_locale": "fa-IR" if is_persian() else "en-US",
        "rfm": rfm_rows(figures.rfm),
        "rfm_quintiles": RFM_QUINTILES,
        "rfm_taken": as_of(figures.rfm.taken_at) if figures.rfm.taken_at else None,
        "cohorts": cohort_rows(figures.cohorts, labels),
        "cohort_offsets": range(len(figures.cohorts)),
        "clv": clv, "clv_bands": bands, "clv_chart": clv_chart(bands),
        "clv_scored": as_of(clv.fitted_at) if clv.fitted_at else None,
        "slipping": slipping_rows(members_slipping_away(limit=SLIPPING_SHOWN)),
        "programme_effects": programme_effects(limit=PROGRAMME_EFFECTS_SHOWN),
        "members_compared": members_compared_from(figures.purchases_by_month),
    })


urlpatterns = [path("dashboard/", index, name="dashboard")]
