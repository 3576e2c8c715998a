"""The placeholder values of members, read in bulk (a campaign's chunk in a handful of queries):
names, points and their value, tier, the next points to expire and when, the product suggested
to them (asked of insight through vafa.core.suggestion_port). Numbers and dates are written in
the text's script (Persian digits in a Persian text)."""

from collections import defaultdict
from datetime import datetime

from django.db.models import Sum

from vafa.core.jalali import TEHRAN, format_jalali_date
from vafa.core.money import format_points, format_toman
from vafa.core.suggestion_port import suggestions_of
from vafa.engage.surveys import survey_link
from vafa.ledger.models import Account, Lot
from vafa.members.models import Member
from vafa.program.models import MemberTier
from vafa.program.selectors import earn_policy


def members_values(member_ids: list[int], *, now: datetime, persian: bool,
                   survey_id: int | None = None) -> dict[int, dict[str, str]]:
    """{member id: {placeholder: value}} (a value the member lacks is left out); `survey_id`:
    the survey `{survey_link}` links to (the campaign's or automation's)."""
    lang = "fa" if persian else "en"
    names = {pk: (first, last, kind, org) for pk, first, last, kind, org in
             Member.objects.filter(pk__in=member_ids).values_list("pk", "first_name", "last_name", "kind",
                                                                   "organization_name")}
    balances = dict(Account.objects.filter(member_id__in=member_ids).values_list("member_id", "balance"))
    tiers = dict(MemberTier.objects.filter(member_id__in=member_ids, tier__isnull=False)
                 .values_list("member_id", "tier__name"))
    expiring: dict[int, tuple] = {}
    by_day: dict[tuple[int, object], int] = defaultdict(int)
    for member_id, expires_at, points in (
            Lot.objects.filter(account__member_id__in=member_ids, remaining__gt=0, expires_at__gt=now)
            .values_list("account__member_id", "expires_at").annotate(points=Sum("remaining"))
            .values_list("account__member_id", "expires_at", "points")):
        day = expires_at.astimezone(TEHRAN).date()
        by_day[(member_id, day)] += points
        if member_id not in expiring or day < expiring[member_id]:
            expiring[member_id] = day
    point_value = earn_policy().point_value_rial
    suggestions = suggestions_of(member_ids)
    values: dict[int, dict[str, str]] = {}
    for member_id in member_ids:
        first, last, kind, org = names.get(member_id, ("", "", "", ""))
        balance = balances.get(member_id, 0)
        found = {"first_name": first or (org if kind == Member.Kind.ORGANIZATION else ""), "last_name": last,
                 "points": format_points(balance, lang),
                 "points_value_toman": format_toman(max(balance, 0) * point_value, lang),
                 "tier": tiers.get(member_id, ""), "survey_link": survey_link(survey_id),
                 "suggestion": suggestions.get(member_id, "")}
        if member_id in expiring:
            day = expiring[member_id]
            found["expiring_points"] = format_points(by_day[(member_id, day)], lang)
            found["expiring_date"] = format_jalali_date(day, persian_digits=persian)
        values[member_id] = {k: v for k, v in found.items() if v}
    return values
