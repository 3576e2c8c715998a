"""Badges and challenges: recognition a member earns by what they do, with their progress.

A badge (`Badge`) is awarded once, when the member reaches its `threshold` of:
- `purchases`: their purchases, less those refunded in full;
- `category`: such purchases with at least one line in the badge's category;
- `streak_weeks`: their current streak, the weeks in a row with at least one purchase, ending
  this week or last week (the week under way does not break a streak until it is over). Weeks are
  the Iranian week, Saturday to Friday, in Tehran time (not ISO weeks, which start on Monday): a
  purchase on a Friday evening and one the next Saturday morning are two weeks in a row;
- `referrals`: their referrals that completed (the friend's first purchase);
- `surveys`: the surveys they answered completely.

A challenge (`Challenge`) counts purchases (or Rials spent, net of refunds; in a category, the
lines of that category, net of the purchase's refunded share) that occurred from `starts_at`
(included) to `ends_at` (excluded) and by now; reaching `target` completes it, once.

Awarding:
- `recognition_sweep(now)` looks at every active badge and every active challenge that has begun
  and ended less than CATCH_UP ago (a till that syncs late is still counted), finds in SQL the
  members who qualify and hold no award yet (ids stream in order, CHUNK at a time: never the
  members table in memory), and awards each in its own transaction: the member's account row is
  locked (as every points change does), the award row written (unique: member+badge,
  challenge+member), its points credited through the ledger, a challenge's reward given and the
  notice queued. A second worker doing the same waits for the lock, then finds the award: once.
- `recognition_run(now)`, the worker's tick, sweeps at most every SWEEP_EVERY in each process.
- After a purchase or a completed referral the member alone is looked at promptly: the event
  writes an outbox row (only while some badge or challenge is live) and the worker runs
  `member_recognition_check` after the commit; the purchase does no more work and never fails
  because of a badge.
- An award is never taken back (a later refund leaves the badge where it is).

Points are a `bonus` transfer from the adjustments account, as the points for what members do
besides buying (no merchant issued them), with the award as source ("badge" / "challenge", its
id) and the badge's or challenge's name as memo; they expire as the program's points do.

Notices: a service SMS when the award carries points or a reward code (a change of points, a
code the member needs: DESIGN's service messages); a badge without points sends nothing, since
that would be marketing (consent, window, weekly cap) for news the portal already shows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby, islice

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.utils import timezone, translation
from django.utils.translation import gettext

from vafa.commerce.models import Purchase, PurchaseItem
from vafa.core.audit import audit_change, audit_record, snapshot
from vafa.core.errors import ApplicationError, BadgeExists, BadgeNotFound, ChallengeNotFound
from vafa.core.events import Event
from vafa.core.idcache import CommittedIdCache
from vafa.core.ids import parse_id
from vafa.core.inputs import validated
from vafa.core.jalali import TEHRAN
from vafa.core.money import format_points
from vafa.core.outbox import Delivery, outbox_enqueue, outbox_handler
from vafa.engage.inputs import BadgeInput, BadgePatch, ChallengeInput, ChallengePatch
from vafa.engage.messages import message_queue, reward_code_give, reward_of
from vafa.engage.models import Badge, Challenge, ChallengeCompletion, Channel, MemberBadge, Purpose, SurveyAnswer
from vafa.ledger.models import Account, Transfer
from vafa.ledger.services import book_open, system_account_id
from vafa.members.models import Member
from vafa.program.selectors import earn_policy
from vafa.referrals.models import Referral

logger = logging.getLogger("vafa.engage.recognition")

CHUNK = 500
CATCH_UP = timedelta(days=7)  # a challenge is still looked at this long after it ends
SWEEP_EVERY = timedelta(minutes=5)
WATCH_SECONDS = 30  # how long a process trusts its answer to "is any badge or challenge live?"
SHOW_AROUND = timedelta(days=30)  # the portal shows challenges starting or ended this close to now
MEMBER_CHECK = "engage.recognition"
_SATURDAY = date(2000, 1, 1).toordinal()  # a Saturday: weeks are counted from it


# --- weeks and progress ---------------------------------------------------------------------------------


def week_of(moment: datetime) -> int:
    """The number of the Iranian week (Saturday to Friday, Tehran time) `moment` falls in."""
    return (moment.astimezone(TEHRAN).date().toordinal() - _SATURDAY) // 7


def week_start(week: int) -> datetime:
    """The first moment (Saturday 00:00, Tehran) of week number `week`."""
    return datetime.combine(date.fromordinal(_SATURDAY + 7 * week), time(0), tzinfo=TEHRAN)


def current_streak(weeks: Iterable[int], this_week: int) -> int:
    """Weeks in a row with a purchase, ending this week or, while this one has none yet, the last."""
    have = set(weeks)
    end = this_week if this_week in have else this_week - 1
    streak = 0
    while end - streak in have:
        streak += 1
    return streak


@dataclass(frozen=True)
class Progress:
    value: int
    target: int

    @property
    def done(self) -> bool:
        return self.value >= self.target

    @property
    def percent(self) -> int:
        """0 to 100, rounded down (100 only when done)."""
        if self.target <= 0:
            return 100
        return min(100, self.value * 100 // self.target)

    @property
    def remaining(self) -> int:
        return max(self.target - self.value, 0)


# --- what counts ----------------------------------------------------------------------------------------


def _eligible() -> QuerySet[Member]:
    return Member.objects.filter(erased_at__isnull=True).exclude(status=Member.Status.BLOCKED)


def _counted() -> QuerySet[Purchase]:
    """Purchases that count: all but those refunded in full."""
    return Purchase.objects.exclude(amount__gt=0, refunded_amount__gte=F("amount"))


def _in_category(category: str) -> Exists:
    return Exists(PurchaseItem.objects.filter(purchase=OuterRef("pk"), category=category))


def _badge_rows(badge: Badge) -> QuerySet:
    """(member_id, n) of every eligible member's count towards the badge (not streaks)."""
    criterion = badge.criterion
    if criterion in (Badge.Criterion.PURCHASES, Badge.Criterion.CATEGORY):
        rows = _counted().filter(member__in=_eligible())
        if criterion == Badge.Criterion.CATEGORY:
            rows = rows.filter(_in_category(badge.category))
        return rows.values("member_id").annotate(n=Count("pk"))
    if criterion == Badge.Criterion.REFERRALS:
        return (Referral.objects.filter(status=Referral.Status.COMPLETED, referrer__in=_eligible())
                .values(member_id=F("referrer_id")).annotate(n=Count("pk")))
    return (SurveyAnswer.objects.filter(complete=True, member__in=_eligible())
            .values("member_id").annotate(n=Count("pk")))


def _streak_candidates(badge: Badge, now: datetime) -> Iterator[int]:
    """Members whose current streak reaches the badge's threshold, streamed from the purchases of
    the weeks that can make it (never more than threshold + 1 weeks back), in order."""
    this_week = week_of(now)
    rows = (_counted().filter(occurred_at__gte=week_start(this_week - badge.threshold), occurred_at__lte=now,
                              member__in=_eligible())
            .exclude(Exists(MemberBadge.objects.filter(badge=badge, member=OuterRef("member_id")))))
    stream = rows.order_by("member_id", "occurred_at").values_list("member_id", "occurred_at").iterator(
        chunk_size=2000)
    for found, moments in groupby(stream, key=lambda row: row[0]):
        if current_streak((week_of(at) for _m, at in moments), this_week) >= badge.threshold:
            yield found


def _badge_candidates(badge: Badge, now: datetime) -> Iterator[int]:
    """Ids of the eligible members who qualify for the badge and do not hold it, in order."""
    if badge.criterion == Badge.Criterion.STREAK_WEEKS:
        yield from _streak_candidates(badge, now)
        return
    rows = _badge_rows(badge).filter(n__gte=badge.threshold).exclude(
        Exists(MemberBadge.objects.filter(badge=badge, member=OuterRef("member_id"))))
    yield from rows.order_by("member_id").values_list("member_id", flat=True).iterator(chunk_size=CHUNK)


def _window(challenge: Challenge, now: datetime) -> QuerySet[Purchase]:
    return _counted().filter(occurred_at__gte=challenge.starts_at, occurred_at__lt=challenge.ends_at,
                             occurred_at__lte=now)


def _net_line_value() -> ExpressionWrapper:
    """A line's value less the purchase's refunded share of it (rounded down, per line)."""
    value = F("quantity") * F("unit_price")
    return ExpressionWrapper(Case(
        When(purchase__amount__gt=0,
             then=value * (F("purchase__amount") - F("purchase__refunded_amount")) / F("purchase__amount")),
        default=value), output_field=BigIntegerField())


def _challenge_rows(challenge: Challenge, now: datetime) -> QuerySet:
    """(member_id, n) of every eligible member's count or spend towards the challenge."""
    purchases = _window(challenge, now)
    if challenge.goal == Challenge.Goal.SPEND and challenge.category:
        return (PurchaseItem.objects.filter(category=challenge.category, purchase__in=purchases)
                .values(member_id=F("purchase__member_id")).annotate(n=Sum(_net_line_value())))
    if challenge.category:
        purchases = purchases.filter(_in_category(challenge.category))
    measure = Count("pk") if challenge.goal == Challenge.Goal.PURCHASES else Sum(
        F("amount") - F("refunded_amount"))
    return purchases.values("member_id").annotate(n=measure)


def _challenge_candidates(challenge: Challenge, now: datetime) -> Iterator[int]:
    done = ChallengeCompletion.objects.filter(challenge=challenge, member=OuterRef("member_id"))
    rows = (_challenge_rows(challenge, now).filter(member_id__in=_eligible().values("pk"), n__gte=challenge.target)
            .exclude(Exists(done)))
    yield from rows.order_by("member_id").values_list("member_id", flat=True).iterator(chunk_size=CHUNK)


# --- awarding ---------------------------------------------------------------------------------------------


def _credit(book, points: int, *, source: tuple[str, int], memo: str, now: datetime) -> None:
    book.now = now
    book.credit(points, kind=Transfer.Kind.BONUS, from_account_id=system_account_id(Account.Role.ADJUSTMENTS),
                merchant_id=None, available_at=now, expires_at=earn_policy().expires_at(now), source=source,
                memo=memo)
    book.flush()


def service_notice(member_id: int, *, key: str, text: str, now: datetime) -> None:
    message_queue(member_id=member_id, channel=Channel.SMS, purpose=Purpose.SERVICE, text=text, key=key, now=now)


def club_language():
    """Messages to members are in the club's language, whoever's action sent them."""
    return translation.override(settings.LANGUAGE_CODE)


def award_points(*, member_id: int, points: int, source: tuple[str, int], memo: str, now: datetime) -> None:
    """Credit `points` for an award to the member (in the caller's transaction, under the
    member's lock)."""
    _credit(book_open(member_id=member_id), points, source=source, memo=memo, now=now)


def _badge_award(badge: Badge, member_id: int, now: datetime) -> bool:
    try:
        with transaction.atomic():
            book = book_open(member_id=member_id)  # the member's lock: a second worker waits here
            if book.member_status == Member.Status.BLOCKED:
                return False
            if MemberBadge.objects.filter(member_id=member_id, badge_id=badge.pk).exists():
                return False
            award = MemberBadge.objects.create(member_id=member_id, badge=badge, awarded_at=now)
            if badge.points:
                _credit(book, badge.points, source=("badge", award.pk), memo=badge.name, now=now)
                with club_language():
                    language = translation.get_language()
                    text = gettext("You earned the «%(badge)s» badge and %(points)s points.") % {
                        "badge": badge.name, "points": format_points(badge.points, language)}
                service_notice(member_id, key=f"badge:{badge.pk}:member:{member_id}", text=text, now=now)
            return True
    except IntegrityError:
        return False  # the award was written by another worker a moment ago
    except ApplicationError as error:
        logger.warning("badge %s not awarded to member %s: %s", badge.pk, member_id, error.code)
        return False


def _challenge_award(challenge: Challenge, member_id: int, now: datetime) -> bool:
    try:
        with transaction.atomic():
            book = book_open(member_id=member_id)
            if book.member_status == Member.Status.BLOCKED:
                return False
            if ChallengeCompletion.objects.filter(challenge_id=challenge.pk, member_id=member_id).exists():
                return False
            completion = ChallengeCompletion.objects.create(challenge=challenge, member_id=member_id,
                                                            completed_at=now)
            if challenge.points:
                _credit(book, challenge.points, source=("challenge", completion.pk), memo=challenge.name, now=now)
            code = ""
            if challenge.reward_id:
                code = reward_code_give(reward_id=challenge.reward_id, member_id=member_id,
                                        rule=f"challenge:{challenge.pk}")
            if challenge.points or code:
                with club_language():
                    values = {"challenge": challenge.name, "code": code,
                              "points": format_points(challenge.points, translation.get_language())}
                    if challenge.points and code:
                        text = gettext("You completed the «%(challenge)s» challenge: %(points)s points and the "
                                       "reward code %(code)s.") % values
                    elif code:
                        text = gettext("You completed the «%(challenge)s» challenge. Your reward code: "
                                       "%(code)s") % values
                    else:
                        text = gettext("You completed the «%(challenge)s» challenge and earned %(points)s "
                                       "points.") % values
                service_notice(member_id, key=f"challenge:{challenge.pk}:member:{member_id}", text=text, now=now)
            return True
    except IntegrityError:
        return False
    except ApplicationError as error:
        logger.warning("challenge %s not completed for member %s: %s", challenge.pk, member_id, error.code)
        return False


def _chunks(ids: Iterator[int]) -> Iterator[list[int]]:
    while chunk := list(islice(ids, CHUNK)):
        yield chunk


def _live_challenges(now: datetime) -> QuerySet[Challenge]:
    return Challenge.objects.filter(active=True, starts_at__lte=now, ends_at__gt=now - CATCH_UP).order_by("pk")


def recognition_sweep(now: datetime) -> int:
    """Award every badge and challenge completion that is due as of `now`; answers how many."""
    awarded = 0
    for badge in Badge.objects.filter(active=True).order_by("pk"):
        for chunk in _chunks(_badge_candidates(badge, now)):
            awarded += sum(_badge_award(badge, member_id, now) for member_id in chunk)
    for challenge in _live_challenges(now):
        for chunk in _chunks(_challenge_candidates(challenge, now)):
            awarded += sum(_challenge_award(challenge, member_id, now) for member_id in chunk)
    return awarded


class _Remembered(CommittedIdCache):
    """What this process remembers at once (not only after a commit), forgotten with the id caches."""

    def remember(self, key, value) -> None:
        self._ids[key] = value


_last_sweep = _Remembered()  # "at": the timestamp of this process's last sweep


def recognition_run(now: datetime) -> int:
    """The worker's tick: a sweep, at most every SWEEP_EVERY in this process (a `now` before the
    last sweep, a worker acting as of another time, sweeps again)."""
    last = _last_sweep.get("at")
    if last is not None and last <= now.timestamp() < last + SWEEP_EVERY.total_seconds():
        return 0
    _last_sweep.remember("at", int(now.timestamp()))
    return recognition_sweep(now)


def recognition_forget() -> None:
    """Forget when this process last swept and whether anything is live (tests)."""
    _last_sweep.clear()
    _watch.clear()


# --- one member, promptly ---------------------------------------------------------------------------------


def _member_values(member_id: int, badges: list[Badge], now: datetime) -> dict[int, int]:
    """Each badge's count for the member (a few queries, whatever the number of badges)."""
    criteria = {b.criterion for b in badges}
    counted = _counted().filter(member_id=member_id)
    by: dict[str, int] = {}
    if Badge.Criterion.PURCHASES in criteria:
        by["purchases"] = counted.count()
    categories: dict[str, int] = {}
    wanted = {b.category for b in badges if b.criterion == Badge.Criterion.CATEGORY}
    if wanted:
        categories = dict(PurchaseItem.objects.filter(purchase__in=counted, category__in=wanted)
                          .values("category").annotate(n=Count("purchase", distinct=True))
                          .values_list("category", "n"))
    streak = 0
    longest = max((b.threshold for b in badges if b.criterion == Badge.Criterion.STREAK_WEEKS), default=0)
    if longest:
        this_week = week_of(now)
        moments = counted.filter(occurred_at__gte=week_start(this_week - longest), occurred_at__lte=now
                                 ).values_list("occurred_at", flat=True)
        streak = current_streak((week_of(at) for at in moments), this_week)
    if Badge.Criterion.REFERRALS in criteria:
        by["referrals"] = Referral.objects.filter(referrer_id=member_id, status=Referral.Status.COMPLETED).count()
    if Badge.Criterion.SURVEYS in criteria:
        by["surveys"] = SurveyAnswer.objects.filter(member_id=member_id, complete=True).count()
    values = {}
    for badge in badges:
        if badge.criterion == Badge.Criterion.CATEGORY:
            values[badge.pk] = categories.get(badge.category, 0)
        elif badge.criterion == Badge.Criterion.STREAK_WEEKS:
            values[badge.pk] = streak
        else:
            values[badge.pk] = by[badge.criterion]
    return values


def challenge_value(challenge: Challenge, *, member_id: int, now: datetime) -> int:
    """The member's count (or spend, in Rials) towards the challenge as of `now`."""
    rows = list(_challenge_rows(challenge, now).filter(member_id=member_id).order_by("member_id")
                .values_list("n", flat=True)[:1])
    return int(rows[0] or 0) if rows else 0


def member_recognition_check(*, member_id: int, now: datetime | None = None) -> int:
    """Award the member what they qualify for now (after a purchase or a referral); answers how
    many awards."""
    now = now or timezone.now()
    if not _eligible().filter(pk=member_id).exists():
        return 0
    held = set(MemberBadge.objects.filter(member_id=member_id).values_list("badge_id", flat=True))
    badges = [b for b in Badge.objects.filter(active=True).order_by("pk") if b.pk not in held]
    values = _member_values(member_id, badges, now) if badges else {}
    awarded = sum(_badge_award(badge, member_id, now) for badge in badges if values[badge.pk] >= badge.threshold)
    done = set(ChallengeCompletion.objects.filter(member_id=member_id).values_list("challenge_id", flat=True))
    for challenge in _live_challenges(now):
        if challenge.pk not in done and challenge_value(challenge, member_id=member_id, now=now) >= challenge.target:
            awarded += _challenge_award(challenge, member_id, now)
    return awarded


@outbox_handler(MEMBER_CHECK, lease_seconds=120)
def _member_check(delivery: Delivery) -> str:
    return f"{member_recognition_check(member_id=int(delivery.payload['member_id']), now=delivery.now)} awarded"


_watch = CommittedIdCache()  # "until" (a timestamp) and "live" (0 or 1); cleared with the id caches


def _anything_live() -> bool:
    now = timezone.now()
    until = _watch.get("until")
    if until is not None and now.timestamp() < until:
        return bool(_watch.get("live"))
    live = (Badge.objects.filter(active=True).exists()
            or Challenge.objects.filter(active=True, ends_at__gt=now - CATCH_UP).exists())
    _watch.remember("live", int(live))
    _watch.remember("until", int(now.timestamp()) + WATCH_SECONDS)
    return live


def _enqueue_check(member_id: int | None) -> None:
    if member_id is not None and _anything_live():
        outbox_enqueue(handler=MEMBER_CHECK, type="recognition.check", payload={"member_id": member_id})


def on_purchase_recorded(event: Event) -> None:
    """Handler of PurchaseRecorded (in the purchase's transaction): look at the member after it."""
    _enqueue_check(event.member_id)


def on_referral_completed(event: Event) -> None:
    """Handler of ReferralCompleted: the referrer may have earned a referrals badge."""
    _enqueue_check(event.referrer_id)


def _definitions_changed() -> None:
    _watch.clear()  # this process looks again at once, and again once the change commits
    transaction.on_commit(_watch.clear)


# --- badges: staff's side ---------------------------------------------------------------------------------


def badge_get(*, badge_id) -> Badge:
    badge = Badge.objects.filter(pk=parse_id(badge_id, BadgeNotFound)).first()
    if badge is None:
        raise BadgeNotFound(details={"id": str(badge_id)[:64]})
    return badge


def badge_list() -> QuerySet[Badge]:
    """Every badge with `holders`: how many members hold it."""
    return Badge.objects.annotate(holders=Count("awards")).order_by("-active", "criterion", "threshold", "pk")


_BADGE_FIELDS = ["code", "name", "description", "criterion", "threshold", "category", "points", "active"]


def badge_create(*, data, actor=None) -> Badge:
    asked = validated(BadgeInput, data)
    if Badge.objects.filter(code=asked.code).exists():
        raise BadgeExists(details={"code": asked.code})
    try:
        with transaction.atomic():
            badge = Badge.objects.create(**asked.model_dump())
            if actor is not None:
                audit_record(actor=actor, action="badge.create", target=badge, after=snapshot(badge, _BADGE_FIELDS))
    except IntegrityError:
        raise BadgeExists(details={"code": asked.code}) from None
    _definitions_changed()
    return badge


def badge_update(*, badge_id, data, actor=None) -> Badge:
    """Change a badge (not its code). Members who hold it keep it, whatever changes."""
    patch = validated(BadgePatch, data)
    with transaction.atomic():
        badge = Badge.objects.select_for_update().get(pk=badge_get(badge_id=badge_id).pk)
        before = snapshot(badge, _BADGE_FIELDS)
        merged = {**before, **patch.model_dump(exclude_none=True)}
        if merged["criterion"] != Badge.Criterion.CATEGORY and "category" not in patch.model_fields_set:
            merged["category"] = ""
        asked = validated(BadgeInput, merged)
        for name, value in asked.model_dump().items():
            setattr(badge, name, value)
        badge.save()
        audit_change(actor=actor, action="badge.update", target=badge, before=before,
                     after=snapshot(badge, _BADGE_FIELDS))
    _definitions_changed()
    return badge


# --- challenges: staff's side -----------------------------------------------------------------------------


def challenge_get(*, challenge_id) -> Challenge:
    challenge = Challenge.objects.select_related("reward").filter(
        pk=parse_id(challenge_id, ChallengeNotFound)).first()
    if challenge is None:
        raise ChallengeNotFound(details={"id": str(challenge_id)[:64]})
    return challenge


def challenge_list() -> QuerySet[Challenge]:
    """Every challenge, newest first, with `completions_count`."""
    return (Challenge.objects.select_related("reward").annotate(completions_count=Count("completions"))
            .order_by("-starts_at", "-pk"))


_CHALLENGE_FIELDS = ["name", "description", "goal", "target", "category", "starts_at", "ends_at", "points",
                     "reward", "active"]


def challenge_create(*, data, actor=None) -> Challenge:
    asked = validated(ChallengeInput, data)
    fields = asked.model_dump()
    reward_id = fields.pop("reward_id")
    reward_of(reward_id)
    with transaction.atomic():
        challenge = Challenge.objects.create(**fields, reward_id=reward_id)
        if actor is not None:
            audit_record(actor=actor, action="challenge.create", target=challenge,
                         after=snapshot(challenge, _CHALLENGE_FIELDS))
    _definitions_changed()
    return challenge


def challenge_update(*, challenge_id, data, actor=None) -> Challenge:
    """Rename, describe, switch on or off; the window and goal stay as members saw them."""
    patch = validated(ChallengePatch, data)
    with transaction.atomic():
        challenge = Challenge.objects.select_for_update().get(pk=challenge_get(challenge_id=challenge_id).pk)
        before = snapshot(challenge, _CHALLENGE_FIELDS)
        for name, value in patch.model_dump(exclude_none=True).items():
            setattr(challenge, name, value)
        challenge.save()
        audit_change(actor=actor, action="challenge.update", target=challenge, before=before,
                     after=snapshot(challenge, _CHALLENGE_FIELDS))
    _definitions_changed()
    return challenge


# --- what a member sees -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadgeState:
    badge: Badge
    progress: Progress
    awarded_at: datetime | None = None

    @property
    def earned(self) -> bool:
        return self.awarded_at is not None


def member_badges(*, member_id: int, now: datetime | None = None) -> list[BadgeState]:
    """The badges the member holds (newest first, even of a badge since switched off), then the
    active ones still to earn with their progress (closest first)."""
    now = now or timezone.now()
    held = dict(MemberBadge.objects.filter(member_id=member_id).values_list("badge_id", "awarded_at"))
    badges = list(Badge.objects.filter(Q(active=True) | Q(pk__in=held)).order_by("pk"))
    open_badges = [b for b in badges if b.pk not in held]
    values = _member_values(member_id, open_badges, now) if open_badges else {}
    earned = sorted((BadgeState(b, Progress(b.threshold, b.threshold), held[b.pk]) for b in badges if b.pk in held),
                    key=lambda s: (s.awarded_at, s.badge.pk), reverse=True)
    to_earn = sorted((BadgeState(b, Progress(min(values[b.pk], b.threshold), b.threshold)) for b in open_badges),
                     key=lambda s: (-s.progress.percent, s.badge.threshold, s.badge.pk))
    return earned + to_earn


@dataclass(frozen=True)
class ChallengeState:
    challenge: Challenge
    progress: Progress
    completed_at: datetime | None
    state: str  # "running", "upcoming" or "ended"
    days_left: int  # whole days until it ends (0: it ends within a day), for a running one

    @property
    def completed(self) -> bool:
        return self.completed_at is not None


def _days_left(ends_at: datetime, now: datetime) -> int:
    return max(int((ends_at - now).total_seconds() // 86400), 0)


def member_challenges(*, member_id: int, now: datetime | None = None) -> list[ChallengeState]:
    """The active challenges running now, starting soon or ended lately (and any the member
    completed lately), each with the member's progress: running first (ending soonest first),
    then upcoming, then ended."""
    now = now or timezone.now()
    completed = dict(ChallengeCompletion.objects.filter(member_id=member_id, challenge__ends_at__gt=now - SHOW_AROUND)
                     .values_list("challenge_id", "completed_at"))
    rows = (Challenge.objects.select_related("reward")
            .filter(Q(active=True) | Q(pk__in=completed))
            .filter(starts_at__lte=now + SHOW_AROUND, ends_at__gt=now - SHOW_AROUND).order_by("ends_at", "pk"))
    states = []
    for challenge in rows:
        state = "upcoming" if challenge.starts_at > now else "running" if challenge.ends_at > now else "ended"
        if challenge.pk in completed:
            value = challenge.target
        elif state == "upcoming":
            value = 0
        else:
            value = min(challenge_value(challenge, member_id=member_id, now=now), challenge.target)
        states.append(ChallengeState(challenge, Progress(value, challenge.target), completed.get(challenge.pk), state,
                                     _days_left(challenge.ends_at, now) if state == "running" else 0))
    def order(s: ChallengeState):
        if s.state == "running":
            return 0, s.challenge.ends_at.timestamp(), s.challenge.pk
        if s.state == "upcoming":
            return 1, s.challenge.starts_at.timestamp(), s.challenge.pk
        return 2, -s.challenge.ends_at.timestamp(), s.challenge.pk

    return sorted(states, key=order)
