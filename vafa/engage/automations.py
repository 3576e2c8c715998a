"""Automations: a message (and optionally a reward) each time something happens to a member.

The worker looks at every live automation on its ticks (`automations_run`):
- what follows a row (a tier change, a completed referral, a join without delay) is looked for
  on every tick among the rows dated since the last look, less OVERLAP (a transaction that
  committed late is still seen; keys keep what is seen twice from being sent twice), never
  before the automation existed nor more than CATCH_UP_DAYS back;
- the daily triggers (birthday and other occasions, points expiring, inactive, a delayed
  welcome, after a purchase) are looked at every CHECK_MINUTES once the sending window has
  opened, as of now: a birthday is today's (a missed day is not celebrated late), points expiring
  in N days are those still ahead (a missed day still warns in time), an inactive spell or a
  service reminder is still worth sending within CATCH_UP_DAYS.
Every occurrence has its key (automation:7:member:42:birthday:1405), unique among messages, so
restarts, overlapping ticks and a second worker send nothing twice. A reward is given in the
transaction that writes the message."""

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Max, OuterRef, Q, Sum
from django.utils import timezone

from vafa.commerce.models import Purchase, PurchaseItem
from vafa.core.errors import AutomationNotFound
from vafa.core.ids import parse_id
from vafa.core.inputs import validated
from vafa.core.jalali import TEHRAN, celebrated_on, format_jalali_date, jalali_month_day, jalali_today
from vafa.core.money import format_points
from vafa.engage.inputs import AutomationInput, AutomationPatch
from vafa.engage.messages import Draft, messages_decide, reward_code_give, reward_of, sending_window
from vafa.engage.models import Automation, Message
from vafa.engage.surveys import survey_linked
from vafa.engage.texts import is_persian, render, text_check
from vafa.engage.values import members_values
from vafa.ledger.models import Lot
from vafa.member_events.selectors import occasion_candidates
from vafa.members.models import Member, Occasion
from vafa.program.models import TierChange
from vafa.referrals.models import Referral

CHECK_MINUTES = 15
CATCH_UP_DAYS = 7
OVERLAP = timedelta(minutes=10)
CHUNK = 500
EVENT_TRIGGERS = (Automation.Trigger.TIER_CHANGED, Automation.Trigger.REFERRAL_COMPLETED)


def automation_get(*, automation_id) -> Automation:
    automation = Automation.objects.filter(pk=parse_id(automation_id, AutomationNotFound)).first()
    if automation is None:
        raise AutomationNotFound(details={"id": str(automation_id)[:64]})
    return automation


def automation_list():
    return Automation.objects.order_by("-id")


@transaction.atomic
def automation_create(*, data) -> Automation:
    asked = validated(AutomationInput, data)
    text_check(asked.channel, asked.text, asked.subject)
    reward = reward_of(asked.reward_id)
    trigger = asked.trigger.stored()
    survey = survey_linked(asked.survey_id, asked.text, asked.subject)
    return Automation.objects.create(
        name=asked.name, status=asked.status, trigger=trigger, trigger_type=trigger["type"], channel=asked.channel,
        purpose=asked.purpose, text=asked.text, subject=asked.subject, reward=reward, survey=survey)


@transaction.atomic
def automation_update(*, automation_id, data) -> Automation:
    automation = Automation.objects.select_for_update().get(pk=automation_get(automation_id=automation_id).pk)
    asked = validated(AutomationPatch, data)
    was = automation.status
    for name in ("name", "status", "text", "subject"):
        value = getattr(asked, name)
        if value is not None:
            setattr(automation, name, value)
    text_check(automation.channel, automation.text, automation.subject)
    if asked.status == Automation.Status.LIVE and automation.status != was and _follows_rows(automation):
        # Switched back on: what happened while it was paused is not sent late.
        automation.checked_at = timezone.now() + OVERLAP
    automation.save()
    return automation


# --- finding the occurrences --------------------------------------------------------------------------------


def _today(now: datetime):
    return now.astimezone(TEHRAN).date()


def _same_jalali_day(d, keys: list[int]) -> bool:
    month, day = jalali_month_day(d)
    return month * 100 + day in keys


def _occurrences(automation: Automation, now: datetime) -> Iterator[tuple[int, str, dict]]:
    """(member id, occurrence key suffix, extra values) of every occurrence due as of now."""
    trigger = automation.trigger
    kind = automation.trigger_type
    members = Member.objects.exclude(status=Member.Status.BLOCKED).filter(erased_at__isnull=True)
    today = _today(now)
    jyear, keys = celebrated_on(today)
    if kind == Automation.Trigger.BIRTHDAY:
        for member_id in members.filter(birth_jalali__in=keys).values_list("pk", flat=True).iterator():
            yield member_id, f"birthday:{jyear}", {}
    elif kind == Automation.Trigger.OCCASION:
        occasion = trigger["occasion"]
        if occasion == "membership_anniversary":
            for member_id, joined in occasion_candidates(members, "joined_at", today).values_list("pk", "joined_at"):
                if jalali_today(joined)[0] < jyear and _same_jalali_day(joined.astimezone(TEHRAN).date(), keys):
                    yield member_id, f"membership_anniversary:{jyear}", {}
        else:
            rows = Occasion.objects.filter(kind=occasion, member__in=members)
            for occasion_id, member_id, date in occasion_candidates(rows, "date", today).values_list("pk", "member_id",
                                                                                             "date"):
                if date < today and _same_jalali_day(date, keys):
                    yield member_id, f"{occasion}:{occasion_id}:{jyear}", {}
    elif kind == Automation.Trigger.POINTS_EXPIRING:
        days = trigger["days_before"]
        start = datetime.combine(today, datetime.min.time(), tzinfo=TEHRAN)
        until = start + timedelta(days=days + 1)
        found: dict[tuple[int, object], int] = {}
        for member_id, expires_at, points in (
                Lot.objects.filter(account__member__in=members, remaining__gt=0, expires_at__gte=now,
                                   expires_at__lt=until)
                .values_list("account__member_id", "expires_at").annotate(p=Sum("remaining"))
                .values_list("account__member_id", "expires_at", "p").iterator()):
            day = expires_at.astimezone(TEHRAN).date()
            found[(member_id, day)] = found.get((member_id, day), 0) + points
        for (member_id, day), points in sorted(found.items(), key=lambda item: (item[0][0], item[0][1])):
            yield member_id, f"expiring:{day.isoformat()}", {"_points": points, "_date": day}
    elif kind == Automation.Trigger.INACTIVE:
        cutoff = now - timedelta(days=trigger["days"])
        last = (Purchase.objects.filter(member__in=members).values("member_id")
                .annotate(last_at=Max("occurred_at"), last_id=Max("pk")).filter(last_at__lt=cutoff,
                                                                                last_at__gte=cutoff - timedelta(
                                                                                    days=CATCH_UP_DAYS)))
        for row in last.iterator():
            # The spell is named by the purchase that began it: one message per spell.
            yield row["member_id"], f"inactive:{row['last_id']}", {}
    elif kind == Automation.Trigger.JOINED:
        delay = trigger.get("delay_days") or 0
        day_start = datetime.combine(today - timedelta(days=delay), datetime.min.time(), tzinfo=TEHRAN)
        for member_id in members.filter(joined_at__gte=day_start - timedelta(days=CATCH_UP_DAYS - 1),
                                        joined_at__lt=day_start + timedelta(days=1),
                                        joined_at__lte=now - timedelta(days=delay)).values_list(
                "pk", flat=True).iterator():
            yield member_id, "joined", {}
    elif kind == Automation.Trigger.AFTER_PURCHASE:
        days = trigger["days"]
        purchases = Purchase.objects.filter(member__in=members)
        items = Q()
        if trigger.get("skus"):
            items |= Q(sku__in=trigger["skus"])
        if trigger.get("categories"):
            items |= Q(category__in=trigger["categories"])
        if items:
            purchases = purchases.filter(Exists(PurchaseItem.objects.filter(items, purchase=OuterRef("pk"))))
        cutoff = now - timedelta(days=days)
        recent = purchases.filter(member=OuterRef("member"), occurred_at__gt=OuterRef("occurred_at"))
        due = (purchases.filter(occurred_at__lte=cutoff, occurred_at__gt=cutoff - timedelta(days=CATCH_UP_DAYS))
               .exclude(Exists(recent)).values_list("member_id", "pk"))
        for member_id, purchase_id in due.iterator():
            yield member_id, f"purchase:{purchase_id}", {}


def _follows_rows(automation: Automation) -> bool:
    kind = automation.trigger_type
    return kind in EVENT_TRIGGERS or (kind == Automation.Trigger.JOINED and not automation.trigger.get("delay_days"))


def _event_occurrences(automation: Automation, since: datetime, now: datetime) -> Iterator[tuple[int, str, dict]]:
    """(member id, key suffix, extra values) of the rows dated from `since` to `now`."""
    kind = automation.trigger_type
    members = Member.objects.exclude(status=Member.Status.BLOCKED).filter(erased_at__isnull=True)
    if kind == Automation.Trigger.TIER_CHANGED:
        up_wanted = automation.trigger["direction"] == "up"
        for pk, member_id, from_rank, to_rank in (
                TierChange.objects.filter(changed_at__gte=since, changed_at__lte=now, member__in=members)
                .order_by("pk").values_list("pk", "member_id", "from_tier__rank", "to_tier__rank").iterator()):
            up = to_rank is not None and to_rank > (from_rank or 0)
            if up == up_wanted:
                yield member_id, f"tier:{pk}", {}
    elif kind == Automation.Trigger.REFERRAL_COMPLETED:
        for pk, referrer in (Referral.objects.filter(status=Referral.Status.COMPLETED, completed_at__gte=since,
                                                     completed_at__lte=now, referrer__in=members)
                             .order_by("pk").values_list("pk", "referrer_id").iterator()):
            yield referrer, f"referral:{pk}", {}
    else:
        for member_id in members.filter(joined_at__gte=since, joined_at__lte=now).order_by("pk").values_list(
                "pk", flat=True).iterator():
            yield member_id, "joined", {}


# --- writing the messages ----------------------------------------------------------------------------------


def _write(automation: Automation, found: list[tuple[int, str, dict]], now: datetime) -> int:
    """The messages of these occurrences (those whose key has none yet), with their rewards."""
    keyed = [(member_id, f"automation:{automation.pk}:member:{member_id}:{suffix}", extra)
             for member_id, suffix, extra in found]
    done = set(Message.objects.filter(occurrence_key__in=[k for _, k, _ in keyed])
               .values_list("occurrence_key", flat=True))
    keyed = [row for row in keyed if row[1] not in done]
    if not keyed:
        return 0
    persian = is_persian(automation.text)
    values = members_values(sorted({m for m, _, _ in keyed}), now=now, persian=persian,
                            survey_id=automation.survey_id)
    drafts = []
    for member_id, key, extra in keyed:
        member_values = dict(values.get(member_id, {}))
        if "_points" in extra:
            member_values["expiring_points"] = format_points(extra["_points"], "fa" if persian else "en")
            member_values["expiring_date"] = format_jalali_date(extra["_date"], persian_digits=persian)
        if automation.reward_id:
            member_values["coupon"] = reward_code_give(reward_id=automation.reward_id, member_id=member_id,
                                                       rule=f"automation:{automation.pk}")
        drafts.append(Draft(member_id, render(automation.text, member_values),
                            render(automation.subject, member_values), key=key))
    return len(messages_decide(drafts=drafts, channel=automation.channel, purpose=automation.purpose, now=now,
                               automation_id=automation.pk))


def _locked(automation_id: int) -> Automation | None:
    query = Automation.objects.filter(pk=automation_id, status=Automation.Status.LIVE)
    if connection.vendor == "postgresql":
        query = query.select_for_update(skip_locked=True)
    return query.first()


def _run_events(automation_id: int, now: datetime) -> int:
    with transaction.atomic():
        automation = _locked(automation_id)
        if automation is None:
            return 0
        looked = automation.checked_at
        since = max(automation.created_at, now - timedelta(days=CATCH_UP_DAYS),
                    looked - OVERLAP if looked else automation.created_at)
    written, complete = _write_all(automation, _event_occurrences(automation, since, now), now)
    if complete:  # only once all is written: a worker killed before looks again from the same place
        Automation.objects.filter(pk=automation.pk).filter(Q(checked_at__isnull=True) | Q(checked_at__lt=now)).update(
            checked_at=now)
    return written


def _run_daily(automation_id: int, now: datetime) -> int:
    with transaction.atomic():
        automation = _locked(automation_id)
        if automation is None:
            return 0
        checked = automation.checked_at
        fresh_day = checked is None or _today(checked) != _today(now)
        if not fresh_day and checked <= now < checked + timedelta(minutes=CHECK_MINUTES):
            return 0
    written, complete = _write_all(automation, _occurrences(automation, now), now)
    if complete:  # only once all is written: a worker killed before goes on when it restarts
        Automation.objects.filter(pk=automation.pk).update(checked_at=now)
    return written


def _write_all(automation: Automation, occurrences: Iterator[tuple[int, str, dict]], now: datetime
               ) -> tuple[int, bool]:
    """Write the occurrences a batch at a time; answers the messages written and whether all
    were seen to (False: another worker is writing this automation's messages and goes on)."""
    written = 0
    batch: list[tuple[int, str, dict]] = []
    for occurrence in occurrences:
        batch.append(occurrence)
        if len(batch) >= CHUNK:
            done = _write_batch(automation, batch, now)
            if done is None:
                return written, False
            written += done
            batch = []
    done = _write_batch(automation, batch, now) if batch else 0
    return written + (done or 0), done is not None


def _write_batch(automation: Automation, batch, now: datetime) -> int | None:
    """One batch in one transaction under the automation's row lock (the keys already written
    are read under it, so two workers never race on one key); None when another worker holds it."""
    try:
        with transaction.atomic():
            if _locked(automation.pk) is None:
                return None
            return _write(automation, batch, now)
    except IntegrityError:
        return 0  # another worker wrote these keys a moment ago


def automations_run(now: datetime) -> int:
    """Every live automation's due occurrences (the worker's tick); answers the messages written.
    The daily triggers wait until the sending window opens (Tehran time)."""
    opens, _ = sending_window()
    daily_time = now.astimezone(TEHRAN).time() >= opens
    written = 0
    for automation in Automation.objects.filter(status=Automation.Status.LIVE).only("pk", "trigger_type", "trigger"):
        automation_id = automation.pk
        if _follows_rows(automation):
            written += _run_events(automation_id, now)
        elif daily_time:
            written += _run_daily(automation_id, now)
    return written


def automation_history(automation: Automation, *, limit: int = 50):
    return Message.objects.filter(automation=automation).select_related("member").order_by("-id")[:limit]
