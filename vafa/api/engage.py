"""REST API v1: segments, campaigns, automations, a member's messages and tags (DESIGN,
"Messages, segments, campaigns and automations"). Engagement needs the `engage` scope, which a
partner's key never holds; so do staff tags, which are the club's own labels of its members."""

import csv
import io

from django.http import StreamingHttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema

from vafa.api import engage_schemas as es
from vafa.api.auth import needs
from vafa.api.common import CALC_ERRORS, READ_ERRORS, WRITE_ERRORS, IdempotencyKey, Page
from vafa.api.common import page_cursor as _page
from vafa.api.idempotency import json_response, run_write
from vafa.core.spreadsheet import cell
from vafa.engage import selectors as engage
from vafa.engage import services as engaging
from vafa.engage.inputs import (
    AutomationInput,
    AutomationPatch,
    CampaignInput,
    CampaignPatch,
    ScheduleInput,
    SegmentCount,
    SegmentInput,
    SegmentPatch,
)
from vafa.members import selectors as members
from vafa.members.services import member_tags_add, member_tags_remove

router = Router()


def _by(request) -> str:
    return f"api:{request.auth.name}"


# --- segments -----------------------------------------------------------------------------------------


def segment_body(segment) -> dict:
    return {"id": segment.pk, "code": segment.code, "name": segment.name, "conditions": segment.conditions,
            "members_count": engage.segment_count(segment), "created_at": segment.created_at,
            "updated_at": segment.updated_at}


@router.get("/segments", auth=needs("engage"), response={200: list[es.SegmentOut], **READ_ERRORS}, tags=["engage"])
def list_segments(request):
    return json_response(200, [segment_body(s) for s in engage.segment_list()])


@router.post("/segments", auth=needs("engage"), response={201: es.SegmentOut, **WRITE_ERRORS}, tags=["engage"])
def create_segment(request, payload: SegmentInput, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 201, segment_body(engaging.segment_create(data=payload, created_by=_by(request)))

    return run_write(request, produce, audit="segment.create")


@router.post("/segments/count", auth=needs("engage"), response={200: es.CountOut, **CALC_ERRORS}, tags=["engage"])
def count_segment(request, payload: SegmentCount):
    return json_response(200, {"members_count": engage.conditions_count(payload)})


@router.get("/segments/{segment_id}", auth=needs("engage"), response={200: es.SegmentOut, **READ_ERRORS},
            tags=["engage"])
def get_segment(request, segment_id: str):
    return json_response(200, segment_body(engage.segment_get(segment_id=segment_id)))


@router.patch("/segments/{segment_id}", auth=needs("engage"), response={200: es.SegmentOut, **WRITE_ERRORS},
              tags=["engage"])
def update_segment(request, segment_id: str, payload: SegmentPatch, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 200, segment_body(engaging.segment_update(segment_id=segment_id, data=payload))

    return run_write(request, produce, audit="segment.update")


def _member_row(member) -> dict:
    return {"id": member.pk, "phone": member.phone,
            "first_name": member.first_name, "last_name": member.last_name, "kind": member.kind}


@router.get("/segments/{segment_id}/members", auth=needs("engage"),
            response={200: es.SegmentMembersOut, **READ_ERRORS}, tags=["engage"])
def segment_members(request, segment_id: str, query: Query[Page]):
    segment = engage.segment_get(segment_id=segment_id)
    after = _page(query, most=1000) or 0
    ids = engage.segment_member_ids(segment, after=after, limit=query.limit + 1)
    page = ids[: query.limit]
    rows = {m.pk: m for m in engage.segment_members(segment).filter(pk__in=page)}
    return json_response(200, {"items": [_member_row(rows[i]) for i in page if i in rows],
                               "next_cursor": str(page[-1]) if len(ids) > query.limit else None})


@router.get("/segments/{segment_id}/members.csv", auth=needs("engage"), response={200: None, **READ_ERRORS},
            tags=["engage"])
def segment_members_csv(request, segment_id: str):
    """The whole segment as CSV (UTF-8 with a BOM, for spreadsheet programs), streamed a page
    at a time."""
    segment = engage.segment_get(segment_id=segment_id)
    now = timezone.now()

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "phone", "first_name", "last_name", "kind"])
        yield "\ufeff" + buffer.getvalue()
        for ids in engage.segment_member_pages(segment, now=now):
            buffer.seek(0)
            buffer.truncate()
            for member in engage.segment_members(segment, now=now).filter(pk__in=ids).order_by("pk"):
                row = _member_row(member)
                writer.writerow([row["id"], row["phone"], cell(row["first_name"]), cell(row["last_name"]),
                                 row["kind"]])
            yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="segment-{segment.code}.csv"'
    return response


# --- campaigns ------------------------------------------------------------------------------------------


def campaign_body(campaign) -> dict:
    estimate = engage.campaign_estimate(campaign)
    counts = engage.campaign_counts(campaign)
    return {
        "id": campaign.pk, "name": campaign.name, "channel": campaign.channel, "purpose": campaign.purpose,
        "segment_id": campaign.segment_id, "text": campaign.text, "subject": campaign.subject,
        "send_at": campaign.send_at, "holdout_percent": campaign.holdout_percent, "reward_id": campaign.reward_id,
        "survey_id": campaign.survey_id,
        "lift_days": campaign.lift_days, "status": campaign.status, **estimate, **counts,
        "lift": engage.campaign_lift(campaign), "created_at": campaign.created_at,
        "started_at": campaign.started_at, "finished_at": campaign.finished_at,
        "cancelled_at": campaign.cancelled_at,
    }


@router.get("/campaigns", auth=needs("engage"), response={200: list[es.CampaignOut], **READ_ERRORS}, tags=["engage"])
def list_campaigns(request):
    return json_response(200, [campaign_body(c) for c in engage.campaign_list()[:100]])


@router.post("/campaigns", auth=needs("engage"), response={201: es.CampaignOut, **WRITE_ERRORS}, tags=["engage"])
def create_campaign(request, payload: CampaignInput, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 201, campaign_body(engaging.campaign_create(data=payload, created_by=_by(request)))

    return run_write(request, produce, audit="campaign.create")


@router.get("/campaigns/{campaign_id}", auth=needs("engage"), response={200: es.CampaignOut, **READ_ERRORS},
            tags=["engage"])
def get_campaign(request, campaign_id: str):
    return json_response(200, campaign_body(engage.campaign_get(campaign_id=campaign_id)))


@router.patch("/campaigns/{campaign_id}", auth=needs("engage"), response={200: es.CampaignOut, **WRITE_ERRORS},
              tags=["engage"])
def update_campaign(request, campaign_id: str, payload: CampaignPatch, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 200, campaign_body(engaging.campaign_update(campaign_id=campaign_id, data=payload))

    return run_write(request, produce, audit="campaign.update")


class PreviewQuery(Schema):
    member_id: str | None = None


@router.get("/campaigns/{campaign_id}/preview", auth=needs("engage"), response={200: es.PreviewOut, **READ_ERRORS},
            tags=["engage"])
def preview_campaign(request, campaign_id: str, query: Query[PreviewQuery]):
    return json_response(200, engage.campaign_preview(campaign_id=campaign_id, member_id=query.member_id))


@router.post("/campaigns/{campaign_id}/schedule", auth=needs("engage"), response={200: es.CampaignOut, **WRITE_ERRORS},
             tags=["engage"])
def schedule_campaign(request, campaign_id: str, payload: ScheduleInput | None = None,
                      idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 200, campaign_body(engaging.campaign_schedule(campaign_id=campaign_id, data=payload))

    return run_write(request, produce, audit="campaign.schedule")


@router.post("/campaigns/{campaign_id}/cancel", auth=needs("engage"), response={200: es.CampaignOut, **WRITE_ERRORS},
             tags=["engage"])
def cancel_campaign(request, campaign_id: str, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 200, campaign_body(engaging.campaign_cancel(campaign_id=campaign_id))

    return run_write(request, produce, audit="campaign.cancel")


# --- automations ---------------------------------------------------------------------------------------


def automation_body(automation) -> dict:
    return {"id": automation.pk, "name": automation.name, "status": automation.status, "trigger": automation.trigger,
            "channel": automation.channel, "purpose": automation.purpose, "text": automation.text,
            "subject": automation.subject, "reward_id": automation.reward_id, "survey_id": automation.survey_id,
            "created_at": automation.created_at,
            "messages": automation.messages.count()}


@router.get("/automations", auth=needs("engage"), response={200: list[es.AutomationOut], **READ_ERRORS},
            tags=["engage"])
def list_automations(request):
    return json_response(200, [automation_body(a) for a in engage.automation_list()])


@router.post("/automations", auth=needs("engage"), response={201: es.AutomationOut, **WRITE_ERRORS}, tags=["engage"])
def create_automation(request, payload: AutomationInput, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 201, automation_body(engaging.automation_create(data=payload))

    return run_write(request, produce, audit="automation.create")


@router.get("/automations/{automation_id}", auth=needs("engage"), response={200: es.AutomationOut, **READ_ERRORS},
            tags=["engage"])
def get_automation(request, automation_id: str):
    return json_response(200, automation_body(engage.automation_get(automation_id=automation_id)))


@router.patch("/automations/{automation_id}", auth=needs("engage"),
              response={200: es.AutomationOut, **WRITE_ERRORS}, tags=["engage"])
def update_automation(request, automation_id: str, payload: AutomationPatch,
                      idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 200, automation_body(engaging.automation_update(automation_id=automation_id, data=payload))

    return run_write(request, produce, audit="automation.update")


# --- a member's messages and tags -------------------------------------------------------------------------


def message_body(message) -> dict:
    return {"id": message.pk, "channel": message.channel, "purpose": message.purpose, "to": message.to,
            "subject": message.subject, "text": message.text, "parts": message.parts, "status": message.status,
            "skip_reason": message.skip_reason, "campaign_id": message.campaign_id,
            "automation_id": message.automation_id, "occurrence_key": message.occurrence_key,
            "gateway": message.gateway, "gateway_id": message.gateway_id, "gateway_status": message.gateway_status,
            "created_at": message.created_at,
            "due_at": message.due_at, "sent_at": message.sent_at, "delivered_at": message.delivered_at}


@router.get("/members/{member_id}/messages", auth=needs("engage"), response={200: es.MessagesOut, **READ_ERRORS},
            tags=["engage"])
def member_messages(request, member_id: str, query: Query[Page]):
    member = members.member_get(member_id=member_id)
    before = _page(query)
    rows = list(engage.member_messages(member_id=member.pk, before_id=before, limit=query.limit + 1))
    page = rows[: query.limit]
    return json_response(200, {"items": [message_body(m) for m in page],
                               "next_cursor": str(page[-1].pk) if len(rows) > query.limit else None})


@router.get("/members/{member_id}/tags", auth=needs("engage"), response={200: es.TagsOut, **READ_ERRORS},
            tags=["members"])
def get_member_tags(request, member_id: str):
    member = members.member_get(member_id=member_id)
    return json_response(200, {"tags": members.member_tag_codes(member_id=member.pk)})


@router.post("/members/{member_id}/tags", auth=needs("engage"), response={200: es.TagsOut, **WRITE_ERRORS},
             tags=["members"])
def add_member_tags(request, member_id: str, payload: es.TagsIn, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 200, {"tags": member_tags_add(member_id=member_id, names=payload.tags, added_by=_by(request))}

    return run_write(request, produce, audit="member.tags_add")


@router.delete("/members/{member_id}/tags/{tag}", auth=needs("engage"),
               response={200: es.TagsOut, **WRITE_ERRORS}, tags=["members"])
def remove_member_tag(request, member_id: str, tag: str, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 200, {"tags": member_tags_remove(member_id=member_id, names=[tag])}

    return run_write(request, produce, audit="member.tags_remove")
