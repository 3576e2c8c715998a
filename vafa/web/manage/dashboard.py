"""Back-office: the dashboard of KPIs and charts (owner, manager, marketer).

The figures come from one selector (`vafa.insight.selectors.dashboard_figures`); this view only
labels them in the page's language: Jalali month names, and the data each chart reads from the
page (`json_script`, drawn by static/web/charts.js).
"""

from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_lazy

from vafa.core.jalali import format_jalali_date
from vafa.insight.selectors import dashboard_figures
from vafa.web.access import REPORT_READERS, staff_required
from vafa.web.templatetags.vafa import digits

JALALI_MONTH_NAMES = (
    gettext_lazy("Farvardin"), gettext_lazy("Ordibehesht"), gettext_lazy("Khordad"), gettext_lazy("Tir"),
    gettext_lazy("Mordad"), gettext_lazy("Shahrivar"), gettext_lazy("Mehr"), gettext_lazy("Aban"),
    gettext_lazy("Azar"), gettext_lazy("Dey"), gettext_lazy("Bahman"), gettext_lazy("Esfand"),
)

# Series colours: the frame's brand, accent and "bad" colours (AA on white for their legends).
ISSUED, SPENT, EXPIRED = "#0b5c6b", "#8a4b00", "#a1241b"
NO_TIER_COLOR = "#9e9e9e"


def month_label(month) -> str:
    """A Jalali month as "Azar 1405", or "آذر ۱۴۰۵" in Persian (month names from the catalog)."""
    return digits(f"{JALALI_MONTH_NAMES[month.month - 1]} {month.year}")


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


@staff_required(*REPORT_READERS)
def index(request):
    figures = dashboard_figures()
    labels = [month_label(m) for m in figures.months]
    local = timezone.localtime(figures.now)
    months = [
        {"label": label, "points": p, "joined": j.joined}
        for label, p, j in zip(labels, figures.points_by_month, figures.new_members_by_month, strict=True)
    ]
    persian = (get_language() or "fa").split("-")[0] == "fa"
    return render(request, "web/manage/dashboard.html", {
        "nav": "dashboard",
        "f": figures,
        "months": months,
        "period": {"first": labels[0], "last": labels[-1]},
        "as_of": digits(f"{format_jalali_date(local, persian_digits=False)} {local:%H:%M}"),
        "as_of_iso": local.isoformat(timespec="minutes"),
        "charts": _charts(figures, labels),
        "chart_locale": "fa-IR" if persian else "en-US",
    })


urlpatterns = [path("dashboard/", index, name="dashboard")]
