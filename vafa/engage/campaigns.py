"""Campaigns: one text to a segment, by SMS or e-mail, now or at `send_at`.

A campaign that is due is started by the worker (`campaigns_run`, every tick): its audience is
drawn from the segment as it is then (CampaignMember rows, a chunk at a time by member id, each
with a random draw), the lowest draws up to `holdout_percent` are held out (they get nothing and
are the lift report's comparison), and the others' messages are decided a chunk at a time, each
with its occurrence key `campaign:<id>:member:<id>`, handed to the gateway at SEND_PER_MINUTE.
Each step commits with its progress mark under the campaign's row lock, so a worker killed
anywhere, a restart or a second worker never writes a member's message twice. A campaign is
`sent` once none of its messages waits any more (held for the window, or throttled); until then
it can be cancelled.

The lift report compares the contacted members' purchases over `lift_days` after the start with
the held-out members': purchase rate, spend per member, the difference, and a two-proportion
z-test of the rates."""

import math
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from vafa.commerce.models import Purchase
from vafa.core.errors import CampaignNotEditable, CampaignNotFound
from vafa.core.ids import parse_id
from vafa.core.inputs import validated
from vafa.engage.inputs import CampaignInput, CampaignPatch, ScheduleInput
from vafa.engage.messages import Draft, messages_decide, reward_code_give, reward_of
from vafa.engage.models import Campaign, CampaignMember, Channel, Message
from vafa.engage.segments import segment_get, segment_member_ids
from vafa.engage.surveys import survey_link, survey_linked
from vafa.engage.texts import (
    COUPON_SAMPLE,
    as_sent,
    is_persian,
    missing_in,
    render,
    sms_cost_rial,
    sms_length,
    text_check,
)
from vafa.engage.values import members_values

CHUNK = 500
SIGNIFICANCE = 1.96  # |z| above this: the difference is significant at the 5% level (two-sided)


def campaign_get(*, campaign_id) -> Campaign:
    campaign = Campaign.objects.filter(pk=parse_id(campaign_id, CampaignNotFound)).first()
    if campaign is None:
        raise CampaignNotFound(details={"id": str(campaign_id)[:64]})
    return campaign


def campaign_list():
    return Campaign.objects.select_related("segment").order_by("-id")


@transaction.atomic
def campaign_create(*, data, created_by: str = "") -> Campaign:
    asked = validated(CampaignInput, data)
    segment = segment_get(segment_id=asked.segment_id)
    text_check(asked.channel, asked.text, asked.subject)
    survey = survey_linked(asked.survey_id, asked.text, asked.subject)
    return Campaign.objects.create(
        name=asked.name, channel=asked.channel, purpose=asked.purpose, segment=segment, text=asked.text,
        subject=asked.subject, send_at=asked.send_at, holdout_percent=asked.holdout_percent,
        reward=reward_of(asked.reward_id), lift_days=asked.lift_days, created_by=created_by[:150], survey=survey)


def _locked(campaign_id) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign_get(campaign_id=campaign_id).pk)


@transaction.atomic
def campaign_update(*, campaign_id, data) -> Campaign:
    campaign = _locked(campaign_id)
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
        raise CampaignNotEditable(details={"status": campaign.status})
    asked = validated(CampaignPatch, data)
    for name in ("name", "text", "subject", "send_at", "holdout_percent"):
        value = getattr(asked, name)
        if value is not None:
            setattr(campaign, name, value)
    text_check(campaign.channel, campaign.text, campaign.subject)
    campaign.save()
    return campaign


@transaction.atomic
def campaign_schedule(*, campaign_id, data=None, now: datetime | None = None) -> Campaign:
    """Schedule a draft: at `send_at` (given here or before), or now. The text is checked again
    (no unknown placeholder can go out)."""
    campaign = _locked(campaign_id)
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
        raise CampaignNotEditable(details={"status": campaign.status})
    asked = validated(ScheduleInput, data or {})
    text_check(campaign.channel, campaign.text, campaign.subject)
    now = now or timezone.now()
    campaign.send_at = asked.send_at or campaign.send_at or now
    campaign.status = Campaign.Status.SCHEDULED
    campaign.save(update_fields=["send_at", "status"])
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign_id, now: datetime | None = None) -> Campaign:
    """Cancel a campaign before it has sent: a draft or a scheduled one, or one sending, whose
    messages not yet handed over are skipped (reason `cancelled`)."""
    campaign = _locked(campaign_id)
    if campaign.status in (Campaign.Status.SENT, Campaign.Status.CANCELLED):
        raise CampaignNotEditable(details={"status": campaign.status})
    campaign.status = Campaign.Status.CANCELLED
    campaign.cancelled_at = now or timezone.now()
    campaign.save(update_fields=["status", "cancelled_at"])
    Message.objects.filter(campaign=campaign, status__in=(Message.Status.QUEUED, Message.Status.HELD)).update(
        status=Message.Status.SKIPPED, skip_reason=Message.Skip.CANCELLED)
    return campaign


# --- preview and estimate --------------------------------------------------------------------------------


def _values(member_ids: list[int], text: str, now: datetime, survey_id: int | None = None
            ) -> dict[int, dict[str, str]]:
    values = members_values(member_ids, now=now, persian=is_persian(text), survey_id=survey_id)
    for member_id in member_ids:
        values.setdefault(member_id, {})
    return values


def _coupon_sample(campaign: Campaign) -> str:
    return COUPON_SAMPLE if campaign.reward_id else ""


def campaign_preview(*, campaign_id, member_id=None, now: datetime | None = None) -> dict:
    """The text as one member would get it (a given member, else the first of the segment),
    its SMS parts and cost, and the warnings: placeholders this member has no value for."""
    from vafa.members.selectors import member_get

    campaign = campaign_get(campaign_id=campaign_id)
    now = now or timezone.now()
    if member_id is not None:
        chosen = member_get(member_id=member_id).pk
    else:
        first = segment_member_ids(campaign.segment, limit=1, now=now)
        chosen = first[0] if first else None
    values = _values([chosen], campaign.text, now, campaign.survey_id)[chosen] if chosen else {}
    if campaign.reward_id:
        values["coupon"] = _coupon_sample(campaign)
    if campaign.survey_id:
        values["survey_link"] = survey_link(campaign.survey_id)
    text = _final_text(campaign, render(campaign.text, values))
    length = sms_length(text)
    return {"member_id": chosen, "text": text, "subject": render(campaign.subject, values),
            "missing": missing_in(campaign.text, values), "characters": length.characters,
            "parts": length.parts if campaign.channel == Channel.SMS else 0,
            "unicode": length.unicode, "per_part": length.per_part}


def _final_text(campaign: Campaign, text: str) -> str:
    return as_sent(text, channel=campaign.channel, purpose=campaign.purpose)


def campaign_estimate(campaign: Campaign, *, now: datetime | None = None, sample: int = 2000) -> dict:
    """Audience, hold-out, parts per message (the longest personalised text of a sample of the
    audience, or of those sent) and the cost of sending it to everyone not held out."""
    from vafa.engage.segments import segment_count

    now = now or timezone.now()
    if campaign.status in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
        audience = segment_count(campaign.segment, now=now)
        holdout = audience * campaign.holdout_percent // 100
        ids = segment_member_ids(campaign.segment, limit=sample, now=now)
        values = _values(ids, campaign.text, now, campaign.survey_id)
        texts = [_final_text(campaign, render(campaign.text, {**values[i], "coupon": _coupon_sample(campaign)}))
                 for i in ids] or [_final_text(campaign, render(campaign.text, {}))]
        parts = max(sms_length(t).parts for t in texts) if campaign.channel == Channel.SMS else 0
    else:
        audience, holdout = campaign.audience, campaign.holdout
        parts = (Message.objects.filter(campaign=campaign).order_by("-parts").values_list("parts", flat=True)
                 .first() or 0)
    cost = sms_cost_rial(parts * (audience - holdout), price_per_part_rial=settings.SMS_PRICE_PER_PART_RIAL) \
        if campaign.channel == Channel.SMS else 0
    return {"audience": audience, "holdout": holdout, "parts_per_message": parts, "estimated_cost_rial": cost}


# --- sending (the worker) ------------------------------------------------------------------------------


def _claim(campaign_id: int) -> Campaign | None:
    query = Campaign.objects.filter(pk=campaign_id, status__in=(Campaign.Status.SCHEDULED, Campaign.Status.SENDING))
    if connection.vendor == "postgresql":
        query = query.select_for_update(skip_locked=True)
    return query.first()


def _draw_chunk(campaign: Campaign, now: datetime) -> bool:
    """Add the next chunk of the segment to the audience; answers whether there was one."""
    ids = segment_member_ids(campaign.segment, after=campaign.drawn_up_to, limit=CHUNK, now=now)
    if not ids:
        audience = CampaignMember.objects.filter(campaign=campaign).count()
        held = audience * campaign.holdout_percent // 100
        if held:
            chosen = list(CampaignMember.objects.filter(campaign=campaign).order_by("draw", "member_id")
                          .values_list("id", flat=True)[:held])
            for start in range(0, len(chosen), CHUNK):
                CampaignMember.objects.filter(pk__in=chosen[start:start + CHUNK]).update(holdout=True)
        campaign.audience, campaign.holdout, campaign.audience_drawn = audience, held, True
        campaign.save(update_fields=["audience", "holdout", "audience_drawn"])
        return False
    CampaignMember.objects.bulk_create([CampaignMember(campaign=campaign, member_id=i, draw=secrets.randbits(62))
                                        for i in ids])
    campaign.drawn_up_to = ids[-1]
    campaign.save(update_fields=["drawn_up_to"])
    return True


def _queue_chunk(campaign: Campaign, now: datetime) -> bool:
    """Decide the messages of the next chunk of the audience; answers whether there was one."""
    rows = list(CampaignMember.objects.filter(campaign=campaign, holdout=False, member_id__gt=campaign.queued_up_to)
                .order_by("member_id").values_list("member_id", flat=True)[:CHUNK])
    if not rows:
        return False
    values = _values(rows, campaign.text, now, campaign.survey_id)
    already = Message.objects.filter(campaign=campaign).count()
    per_minute = settings.SEND_PER_MINUTE
    start = max(campaign.send_at or now, now)
    drafts = []
    for member_id in rows:
        member_values = values[member_id]
        if campaign.reward_id:
            member_values["coupon"] = reward_code_give(reward_id=campaign.reward_id, member_id=member_id,
                                                       rule=f"campaign:{campaign.pk}")
        drafts.append(Draft(member_id, render(campaign.text, member_values), render(campaign.subject, member_values),
                            key=f"campaign:{campaign.pk}:member:{member_id}"))
    messages_decide(drafts=drafts, channel=campaign.channel, purpose=campaign.purpose, now=now, due_at=start,
                    campaign_id=campaign.pk,
                    spacing=lambda i: timedelta(seconds=60 * (already + i) / per_minute))
    campaign.queued_up_to = rows[-1]
    campaign.save(update_fields=["queued_up_to"])
    return True


def campaign_step(campaign_id: int, *, now: datetime) -> bool:
    """One chunk of work on a due campaign, in one transaction under its row lock; answers
    whether there is more to do."""
    with transaction.atomic():
        campaign = _claim(campaign_id)
        if campaign is None or (campaign.send_at and campaign.send_at > now):
            return False
        if campaign.status == Campaign.Status.SCHEDULED:
            campaign.status, campaign.started_at = Campaign.Status.SENDING, now
            campaign.save(update_fields=["status", "started_at"])
        if not campaign.audience_drawn:
            _draw_chunk(campaign, now)
            return True
        if _queue_chunk(campaign, now):
            return True
        if Message.objects.filter(campaign=campaign, status__in=(Message.Status.QUEUED, Message.Status.HELD)
                                  ).exists():
            return False  # still sending (held for the window, or throttled): it can still be cancelled
        campaign.status, campaign.finished_at = Campaign.Status.SENT, now
        campaign.save(update_fields=["status", "finished_at"])
        return False


def campaigns_run(now: datetime) -> int:
    """Start and go on with every due campaign (the worker's tick); answers the chunks done."""
    due = list(Campaign.objects.filter(status__in=(Campaign.Status.SCHEDULED, Campaign.Status.SENDING))
               .filter(Q(send_at__isnull=True) | Q(send_at__lte=now)).values_list("pk", flat=True))
    steps = 0
    for campaign_id in due:
        while campaign_step(campaign_id, now=now):
            steps += 1
    return steps


# --- the report -----------------------------------------------------------------------------------------


def _group(campaign: Campaign, holdout: bool, start: datetime, end: datetime) -> dict:
    members = CampaignMember.objects.filter(campaign=campaign, holdout=holdout)
    size = members.count()
    bought = (Purchase.objects.filter(member_id__in=members.values("member_id"), occurred_at__gte=start,
                                      occurred_at__lt=end)
              .aggregate(buyers=Count("member_id", distinct=True), spend=Sum("amount"),
                         refunded=Sum("refunded_amount")))
    spend = (bought["spend"] or 0) - (bought["refunded"] or 0)
    buyers = bought["buyers"] or 0
    return {"members": size, "buyers": buyers, "purchase_rate": round(buyers / size, 4) if size else None,
            "spend_rial": spend, "spend_per_member_rial": spend // size if size else None}


def two_proportion_z(buyers_a: int, size_a: int, buyers_b: int, size_b: int) -> float | None:
    """The z statistic of the difference of two rates (pooled), or None when it is undefined."""
    if not size_a or not size_b:
        return None
    pooled = (buyers_a + buyers_b) / (size_a + size_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / size_a + 1 / size_b))
    if spread == 0:
        return None
    return (buyers_a / size_a - buyers_b / size_b) / spread


def campaign_lift(campaign: Campaign, *, now: datetime | None = None) -> dict | None:
    """Contacted vs held-out members over the `lift_days` after the start (so far, while they
    run): purchase rate and spend, the difference and whether it is significant."""
    if campaign.started_at is None or not campaign.audience_drawn:
        return None
    now = now or timezone.now()
    start = campaign.started_at
    end = min(start + timedelta(days=campaign.lift_days), max(now, start))
    contacted = _group(campaign, False, start, end)
    held_out = _group(campaign, True, start, end)
    z = two_proportion_z(contacted["buyers"], contacted["members"], held_out["buyers"], held_out["members"])
    difference = (round(contacted["purchase_rate"] - held_out["purchase_rate"], 4)
                  if contacted["purchase_rate"] is not None and held_out["purchase_rate"] is not None else None)
    return {"lift_days": campaign.lift_days, "from": start, "to": end, "complete": now >= start + timedelta(
        days=campaign.lift_days), "contacted": contacted, "held_out": held_out, "rate_difference": difference,
        "z": round(z, 3) if z is not None else None,
        "significant": abs(z) > SIGNIFICANCE if z is not None else False}


def campaign_counts(campaign: Campaign) -> dict:
    counts = dict(Message.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("id"))
                  .values_list("status", "n"))
    skipped = dict(Message.objects.filter(campaign=campaign, status=Message.Status.SKIPPED)
                   .values_list("skip_reason").annotate(n=Count("id")).values_list("skip_reason", "n"))
    return {"queued": counts.get("queued", 0), "held": counts.get("held", 0),
            "sent": counts.get("sent", 0) + counts.get("delivered", 0), "delivered": counts.get("delivered", 0),
            "failed": counts.get("failed", 0), "skipped": skipped}
