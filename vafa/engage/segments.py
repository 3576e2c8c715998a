"""Segments: groups of members by conditions (vafa.engage.inputs.SegmentConditions), evaluated in
SQL when asked, so a segment is never out of date and counting 100,000 members is one query.

Each condition becomes a filter on the members table (a subquery per fact: purchases, items,
tags, consents, the tier, the nightly lifetime-value score); `any` ORs its alternatives. RFM
scores are quintiles (NTILE(5)) over the members who bought within the window, ties broken by
member id so a score never wobbles.
Blocked and erased members are in no segment."""

from collections.abc import Collection, Iterator
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone
from django.utils.text import slugify

from vafa.commerce.models import Purchase, PurchaseItem
from vafa.core import sql
from vafa.core.errors import SegmentExists, SegmentNotFound, ValidationFailed
from vafa.core.ids import parse_id
from vafa.core.inputs import validated
from vafa.core.jalali import TEHRAN, celebrated_on
from vafa.engage.inputs import SegmentCount, SegmentInput, SegmentPatch
from vafa.engage.models import Segment
from vafa.ledger.models import Account
from vafa.members.models import Consent, Member, MemberScore, MemberTag
from vafa.program.models import MemberTier


def _window_start(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def _purchases(since: datetime):
    return Purchase.objects.filter(member=OuterRef("pk"), occurred_at__gte=since)


def _birthdays(now: datetime, days: int) -> list[int]:
    """The Jalali month-days (month x 100 + day) of today and the next `days` days."""
    local = now.astimezone(TEHRAN).date()
    return sorted({key for shift in range(days + 1) for key in celebrated_on(local + timedelta(days=shift))[1]})


SCORED_WINDOW_DAYS = 365  # the nightly RFM scores' window (vafa.insight.scoring)


def _rfm(c: dict, since: datetime, window_days: int) -> Q:
    """For the default window (365 days) the nightly scores (MemberScore, the 365 days up to the
    last scoring) once there are any; for another window, or before the first scoring (a new
    club's segments work from the first day), quintiles computed here over the segment's window."""
    wanted = {f"rfm_{letter}__in": sorted(int(s) for s in c[letter]) for letter in ("r", "f", "m") if c.get(letter)}
    if not wanted:
        return Q()
    if window_days == SCORED_WINDOW_DAYS and MemberScore.objects.exists():
        return Q(Exists(MemberScore.objects.filter(member=OuterRef("pk"), **wanted)))
    return _rfm_live(c, since)


def _rfm_live(c: dict, since: datetime) -> Q:
    p = Purchase
    member, at, amount, refunded = (sql.column(p, "member"), sql.column(p, "occurred_at"), sql.column(p, "amount"),
                                    sql.column(p, "refunded_amount"))
    wanted = [(letter, sorted(c[letter])) for letter in ("r", "f", "m") if c.get(letter)]
    if not wanted:
        return Q()
    where = " AND ".join(f"{letter} IN ({', '.join(str(int(s)) for s in scores)})" for letter, scores in wanted)
    query = (f"SELECT member_id FROM (SELECT {member} AS member_id,"
             f" NTILE(5) OVER (ORDER BY MAX({at}), {member}) AS r,"
             f" NTILE(5) OVER (ORDER BY COUNT(*), {member}) AS f,"
             f" NTILE(5) OVER (ORDER BY SUM({amount} - {refunded}), {member}) AS m"
             f" FROM {sql.table(p)} WHERE {at} >= %s GROUP BY {member}) scores WHERE {where}")
    return Q(pk__in=RawSQL(query, [since]))


def _clv(c: dict) -> Q:
    """The nightly score's bounds (MemberScore): a member without a score, or without figures
    (a refused fit), meets none."""
    bounds = {}
    if c.get("p_alive_max") is not None:
        bounds["p_alive__lte"] = c["p_alive_max"]
    if c.get("clv_min_rial") is not None:
        bounds["clv_rial__gte"] = c["clv_min_rial"]
    if not bounds:
        return Q()
    return Q(Exists(MemberScore.objects.filter(member=OuterRef("pk"), **bounds)))


def _filter(c: dict, now: datetime) -> Q:
    """The Q of one level of conditions (all must hold)."""
    q = Q()
    window = _window_start(now, c.get("window_days", 365))
    if c.get("kinds"):
        q &= Q(kind__in=c["kinds"])
    if c.get("tiers"):
        q &= Q(Exists(MemberTier.objects.filter(member=OuterRef("pk"), tier__code__in=c["tiers"])))
    if c.get("interests"):
        q &= Q(Exists(Member.interests.through.objects.filter(member=OuterRef("pk"),
                                                              interest__slug__in=c["interests"])))
    if c.get("tags"):
        q &= Q(Exists(MemberTag.objects.filter(member=OuterRef("pk"), tag__code__in=c["tags"])))
    if c.get("consent"):
        q &= Q(Exists(Consent.objects.filter(member=OuterRef("pk"), channel=c["consent"], granted=True)))
    if c.get("joined_within_days") is not None:
        q &= Q(joined_at__gte=_window_start(now, c["joined_within_days"]))
    if c.get("purchased_within_days") is not None:
        q &= Q(Exists(_purchases(_window_start(now, c["purchased_within_days"]))))
    if c.get("not_purchased_within_days") is not None:
        q &= ~Q(Exists(_purchases(_window_start(now, c["not_purchased_within_days"]))))
    if c.get("purchases_min") is not None or c.get("purchases_max") is not None:
        q &= _per_member_between(window, Count("id"), c.get("purchases_min"), c.get("purchases_max"))
    if c.get("spend_min_rial") is not None or c.get("spend_max_rial") is not None:
        q &= _per_member_between(window, Sum(F("amount") - F("refunded_amount")), c.get("spend_min_rial"),
                                 c.get("spend_max_rial"))
    if c.get("points_min") is not None:
        q &= Q(Exists(Account.objects.filter(member=OuterRef("pk"), balance__gte=c["points_min"])))
    if c.get("birthday_within_days") is not None:
        q &= Q(birth_jalali__in=_birthdays(now, c["birthday_within_days"]))
    if c.get("skus") or c.get("categories"):
        items = PurchaseItem.objects.filter(purchase__member=OuterRef("pk"), purchase__occurred_at__gte=window)
        bought = Q()
        if c.get("skus"):
            bought |= Q(sku__in=c["skus"])
        if c.get("categories"):
            bought |= Q(category__in=c["categories"])
        q &= Q(Exists(items.filter(bought)))
    if c.get("rfm"):
        q &= _rfm(c["rfm"], window, c.get("window_days", SCORED_WINDOW_DAYS))
    if c.get("clv"):
        q &= _clv(c["clv"])
    if c.get("members"):
        q &= Q(pk__in=c["members"])
    if c.get("any"):
        either = Q()
        for alternative in c["any"]:
            either |= _filter({"window_days": c.get("window_days", 365), **alternative}, now)
        q &= either
    return q


def _per_member_between(since: datetime, total, low, high) -> Q:
    """low <= the member's `total` (a count or sum) of their purchases since `since` <= high, a
    member without any counting 0: the purchases grouped by member once (a hashed subquery),
    not a subquery per member (which PostgreSQL ran twice, once per bound). A total is never
    negative (a refund never exceeds its purchase), so a low bound of 0 asks nothing."""
    grouped = Purchase.objects.filter(occurred_at__gte=since).order_by().values("member").annotate(total=total)
    if low:  # above 0: members without purchases are out
        return Q(pk__in=grouped.filter(_between(F("total"), low, high)).values("member"))
    if high is None:
        return Q()
    return ~Q(pk__in=grouped.filter(total__gt=high).values("member"))


def _between(expression, low, high) -> Q:
    q = Q()
    if low is not None:
        q &= Q(GreaterThanOrEqual(expression, low))
    if high is not None:
        q &= Q(LessThanOrEqual(expression, high))
    return q


def conditions_members(conditions: dict, *, now: datetime | None = None) -> QuerySet[Member]:
    """The members who meet stored `conditions` now (blocked and erased members never do)."""
    now = now or timezone.now()
    return (Member.objects.exclude(status=Member.Status.BLOCKED).filter(erased_at__isnull=True)
            .filter(_filter(conditions, now)))


def segment_members(segment: Segment, *, now: datetime | None = None) -> QuerySet[Member]:
    return conditions_members(segment.conditions, now=now)


def segment_count(segment: Segment, *, now: datetime | None = None) -> int:
    return segment_members(segment, now=now).count()


def conditions_count(data, *, now: datetime | None = None) -> int:
    """The size of a segment being built (the back-office's live count): the conditions are
    checked as a segment's are, and nothing is saved."""
    asked = validated(SegmentCount, data)
    return conditions_members(asked.conditions.stored(), now=now).count()


def segment_member_ids(segment: Segment, *, after: int = 0, limit: int = 1000,
                       now: datetime | None = None) -> list[int]:
    """A page of the segment's member ids, in id order, after `after` (keyset paging)."""
    return list(segment_members(segment, now=now).filter(pk__gt=after).order_by("pk")
                .values_list("pk", flat=True)[:limit])


def segment_member_pages(segment: Segment, *, size: int = 1000, now: datetime | None = None) -> Iterator[list[int]]:
    """Every member id of the segment, a page at a time (never the whole list in memory)."""
    now = now or timezone.now()
    after = 0
    while True:
        page = segment_member_ids(segment, after=after, limit=size, now=now)
        if not page:
            return
        yield page
        after = page[-1]


# --- reading and changing segments ------------------------------------------------------------------


def segment_get(*, segment_id) -> Segment:
    segment = Segment.objects.filter(pk=parse_id(segment_id, SegmentNotFound)).first()
    if segment is None:
        raise SegmentNotFound(details={"id": str(segment_id)[:64]})
    return segment


def segment_list() -> QuerySet[Segment]:
    return Segment.objects.order_by("name", "id")


def _code(asked: SegmentInput) -> str:
    code = slugify(asked.code or asked.name, allow_unicode=True)[:64]
    if not code:
        raise ValidationFailed(details={"code": "letters or digits (from the name, or given)"})
    if code.isdigit():
        raise ValidationFailed(details={"code": "not only digits (rules name segments by code or id)"})
    return code


@transaction.atomic
def segment_create(*, data, created_by: str = "") -> Segment:
    asked = validated(SegmentInput, data)
    code = _code(asked)
    if Segment.objects.filter(code=code).exists():
        raise SegmentExists(details={"code": code})
    return Segment.objects.create(code=code, name=asked.name, conditions=asked.conditions.stored(),
                                  created_by=created_by[:150])


@transaction.atomic
def segment_update(*, segment_id, data) -> Segment:
    segment = segment_get(segment_id=segment_id)
    asked = validated(SegmentPatch, data)
    if asked.name is not None:
        segment.name = asked.name
    if asked.conditions is not None:
        segment.conditions = asked.conditions.stored()
    segment.save()
    return segment


# --- the port the rules ask through (vafa.core.segment_port) ---------------------------------------


def _matching(codes: Collection[str]) -> list[Segment]:
    ids = [int(c) for c in codes if c.isdigit()]
    return list(Segment.objects.filter(Q(code__in=list(codes)) | Q(pk__in=ids)))


def segments_known(codes: Collection[str]) -> set[str]:
    found = _matching(codes)
    return {c for c in codes if any(s.code == c or str(s.pk) == c for s in found)}


def segments_test(codes: Collection[str], member_ids: Collection[int]) -> dict[int, frozenset[str]]:
    """Which of the segments named by `codes` each member is in (one query per segment)."""
    now = timezone.now()
    held: dict[int, set[str]] = {}
    for segment in _matching(codes):
        names = {c for c in codes if c in (segment.code, str(segment.pk))}
        for member_id in segment_members(segment, now=now).filter(pk__in=list(member_ids)).values_list(
                "pk", flat=True):
            held.setdefault(member_id, set()).update(names)
    return {member_id: frozenset(names) for member_id, names in held.items()}
