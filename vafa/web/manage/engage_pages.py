"""Back-office: segments, campaigns, automations and messages (marketers, owners, managers).

    segments/                          the segments, each with its live member count
    segments/new/                      the builder (POST saves); segments/count/ (htmx POST): the
                                       live count of the conditions as they are being built
    segments/<id>/                     its conditions, count and first members; edit/; members.csv
    campaigns/                         the campaigns; new/ composes one (a draft); draft/ (htmx POST):
                                       the text as a member would get it, its SMS parts and cost
    campaigns/<id>/                    preview, edit, schedule, send now, cancel; and the report:
                                       messages by status and skip reason, the lift report and chart
    automations/                       the automations with their on/off switch; new/; <id>/ (edit,
                                       history of sends); <id>/switch/ (POST)
    messages/                          messages by member (phone, by POST) and status
    members/<id>/tags/                 staff tags on a member (POST add; <tag>/remove/)

Cashiers see none of it (403), nor a partner's staff. Every change is a POST and writes one audit
entry in the transaction of the change. Phones are masked for marketers, as on the member pages.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from django.contrib import messages
from django.db import transaction
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vafa.core.audit import Actor, audit_record, changed_fields, snapshot
from vafa.core.errors import ApplicationError, MemberNotFound, NotFound, UnknownPlaceholder
from vafa.core.phone import mask_phone
from vafa.core.spreadsheet import cell
from vafa.engage import selectors as engage
from vafa.engage import services as engaging
from vafa.engage.models import Automation, Campaign, Channel, Message, Purpose
from vafa.members.models import Consent, ConsentChange, Member
from vafa.members.selectors import (
    interest_list,
    member_consent_changes,
    member_consents,
    member_find_by_phone,
    member_get,
    member_tag_codes,
    member_tags,
    tag_list,
)
from vafa.members.services import member_tags_add, member_tags_remove
from vafa.program.selectors import program_now
from vafa.rewards.selectors import reward_list
from vafa.web.access import ENGAGERS, MANAGERS, staff_required
from vafa.web.manage.engage_forms import (
    AUTOMATION_FIELDS,
    KEPT_CONDITIONS,
    SEGMENT_FIELDS,
    TRIGGER_PARTS,
    AutomationEditForm,
    AutomationForm,
    CampaignEditForm,
    CampaignForm,
    DraftForm,
    MessageSearchForm,
    PreviewForm,
    ScheduleForm,
    SegmentForm,
    SwitchForm,
    TagForm,
    add_service_errors,
    moment_text,
    triggers_of,
)
from vafa.web.templatetags.vafa import digits, jdatetime, percent, points, toman

FIRST_MEMBERS = 25
MEMBER_MESSAGES = 10
MEMBER_CONSENT_CHANGES = 20
CONTACTED_COLOR, HELD_OUT_COLOR = "#0b5c6b", "#8a4b00"

SEGMENT_AUDIT = ["code", "name", "conditions"]
CAMPAIGN_AUDIT = ["name", "channel", "purpose", "segment", "subject", "text", "send_at", "holdout_percent",
                  "reward", "lift_days", "status"]
AUTOMATION_AUDIT = ["name", "status", "trigger", "channel", "purpose", "subject", "text", "reward"]


# --- shared -----------------------------------------------------------------------------------------------


def _sees_full_phone(request) -> bool:
    return request.staff_role in MANAGERS


def _shown_phone(request, phone: str, *, typed: str | None = None) -> str:
    """The number in full for owners and managers, or to one who typed it; else masked."""
    if not phone or _sees_full_phone(request) or phone == typed:
        return phone
    return mask_phone(phone)


def _by(request) -> str:
    return request.user.get_username()


def _audited(request, action: str, change: Callable, *, target=None, fields: list[str]):
    """`change()` and one audit entry of what it changed (the fields before and after), in one
    transaction: a refused change writes no entry."""
    before = snapshot(target, fields) if target is not None else None
    with transaction.atomic():
        made = change()
        after = snapshot(made, fields)
        was, now = changed_fields(before, after) if before is not None else (None, after)
        audit_record(actor=Actor.of(request), action=action, target=made, before=was, after=now)
    return made


def _found(read: Callable, **kwargs):
    try:
        return read(**kwargs)
    except NotFound:
        raise Http404 from None


def _htmx(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _numbers(value) -> str:
    return points(value) if value is not None else "—"


# --- segments ---------------------------------------------------------------------------------------------


def _segment_form(data=None, *, initial=None) -> SegmentForm:
    return SegmentForm(data, initial=initial, tiers=program_now().tiers, tags=tag_list(), interests=interest_list())


def _kept(segment) -> dict:
    """The stored conditions the builder does not offer (kept as they are)."""
    if segment is None:
        return {}
    return {key: segment.conditions[key] for key in KEPT_CONDITIONS if key in segment.conditions}


def _live_count(form: SegmentForm, kept: dict) -> int | None:
    """The members the form's conditions select now; None while a condition is invalid (its
    reason is on its field) or the service refuses them (its reasons go on the fields)."""
    if any(name != "name" for name in form.errors):
        return None
    try:
        return engage.conditions_count({"conditions": {**form.conditions(), **kept}})
    except ApplicationError as error:
        add_service_errors(form, error, fields=SEGMENT_FIELDS)
        return None


def _names(choices) -> dict[str, str]:
    return {str(value): str(label) for value, label in choices}


def describe_conditions(conditions: dict, form: SegmentForm) -> list[str]:
    """The conditions in words, one line each, in the page's language."""
    c = conditions or {}
    fields = form.fields
    window = digits(c.get("window_days", 365))
    lines = []

    comma = "، " if (get_language() or "fa").split("-")[0] == "fa" else ", "

    def listed(key: str) -> str:
        labels = _names(fields[key].choices)
        return comma.join(labels.get(v, v) for v in c[key])

    for key, label in (("kinds", _("Kind of member")), ("tiers", _("Tier")), ("tags", _("Staff tags")),
                       ("interests", _("Interests"))):
        if c.get(key):
            lines.append(f"{label}: {listed(key)}")
    if c.get("consent"):
        lines.append(_("Agreed to marketing by %(channel)s") % {
            "channel": _names(Consent.Channel.choices).get(c["consent"], c["consent"])})
    for key, text in (("joined_within_days", _("Joined in the last %(days)s days")),
                      ("purchased_within_days", _("Bought in the last %(days)s days")),
                      ("not_purchased_within_days", _("Did not buy in the last %(days)s days"))):
        if c.get(key) is not None:
            lines.append(text % {"days": digits(c[key])})
    if c.get("purchases_min") is not None:
        lines.append(_("At least %(count)s purchases in %(window)s days") % {
            "count": digits(c["purchases_min"]), "window": window})
    if c.get("purchases_max") is not None:
        lines.append(_("At most %(count)s purchases in %(window)s days") % {
            "count": digits(c["purchases_max"]), "window": window})
    if c.get("spend_min_rial") is not None:
        lines.append(_("Spent at least %(amount)s in %(window)s days") % {
            "amount": toman(c["spend_min_rial"]), "window": window})
    if c.get("spend_max_rial") is not None:
        lines.append(_("Spent at most %(amount)s in %(window)s days") % {
            "amount": toman(c["spend_max_rial"]), "window": window})
    if c.get("points_min") is not None:
        lines.append(_("Holds at least %(points)s points") % {"points": points(c["points_min"])})
    if c.get("birthday_within_days") is not None:
        days = c["birthday_within_days"]
        lines.append(_("Birthday today") if days == 0 else _("Birthday within %(days)s days") % {"days": digits(days)})
    if c.get("skus"):
        lines.append(_("Bought one of the products %(skus)s in %(window)s days") % {
            "skus": comma.join(c["skus"]), "window": window})
    if c.get("categories"):
        lines.append(_("Bought in the categories %(categories)s in %(window)s days") % {
            "categories": comma.join(c["categories"]), "window": window})
    if c.get("rfm"):
        scores = " · ".join(f"{letter.upper()} {digits(comma.join(str(s) for s in c['rfm'][letter]))}"
                            for letter in "rfm" if c["rfm"].get(letter))
        lines.append(_("RFM scores over %(window)s days: %(scores)s") % {"scores": scores, "window": window})
    clv = c.get("clv") or {}
    if clv.get("p_alive_max") is not None:
        lines.append(_("Chance still active at most %(share)s") % {"share": percent(clv["p_alive_max"])})
    if clv.get("clv_min_rial") is not None:
        lines.append(_("Lifetime value at least %(amount)s") % {"amount": toman(clv["clv_min_rial"])})
    if c.get("members"):
        lines.append(_("One of %(count)s chosen members") % {"count": points(len(c["members"]))})
    if c.get("any"):
        lines.append(_("And one of %(count)s alternatives set through the API") % {"count": digits(len(c["any"]))})
    return lines


def _builder(request, form: SegmentForm, *, segment=None, status: int = 200):
    kept = _kept(segment)
    if form.is_bound:
        form.is_valid()
        count = _live_count(form, kept)
    elif segment is not None:
        count = engage.segment_count(segment)
    else:
        count = engage.conditions_count({"conditions": {}})
    return render(request, "web/manage/engage/segment_form.html", {
        "nav": "segments", "form": form, "segment": segment, "count": count, "kept": bool(kept),
    }, status=status)


@staff_required(*ENGAGERS)
@require_GET
def segments(request):
    rows = [{"segment": s, "count": engage.segment_count(s)} for s in engage.segment_list()]
    return render(request, "web/manage/engage/segment_list.html", {"nav": "segments", "rows": rows})


def _segment_save(request, form: SegmentForm, segment=None):
    """Create or change the segment from a valid form; answers it, or None with the service's
    reasons on the form."""
    conditions = {**form.conditions(), **_kept(segment)}
    name = form.cleaned_data["name"]
    try:
        if segment is None:
            return _audited(request, "segment.create", lambda: engaging.segment_create(
                data={"name": name, "conditions": conditions}, created_by=_by(request)), fields=SEGMENT_AUDIT)
        return _audited(request, "segment.update", lambda: engaging.segment_update(
            segment_id=segment.pk, data={"name": name, "conditions": conditions}), target=segment,
            fields=SEGMENT_AUDIT)
    except ApplicationError as error:
        add_service_errors(form, error, fields={**SEGMENT_FIELDS, "code": "name"})
        return None


@staff_required(*ENGAGERS)
@require_http_methods(["GET", "POST"])
def segment_new(request):
    if request.method == "GET":
        return _builder(request, _segment_form())
    form = _segment_form(request.POST)
    if form.is_valid():
        segment = _segment_save(request, form)
        if segment is not None:
            messages.success(request, _("The segment %(name)s is saved.") % {"name": segment.name})
            return redirect("manage:segment", segment_id=segment.pk)
    return _builder(request, form, status=422)


@staff_required(*ENGAGERS)
@require_POST
def segment_count(request):
    """htmx: the live count of the builder's conditions, and each field's errors (out of band)."""
    form = _segment_form(request.POST)
    segment = None
    raw = request.POST.get("segment", "")
    if raw.isascii() and raw.isdigit():
        try:
            segment = engage.segment_get(segment_id=raw)
        except NotFound:
            segment = None
    form.is_valid()
    count = _live_count(form, _kept(segment))
    return render(request, "web/manage/engage/segment_count.html", {"form": form, "count": count, "oob": True})


@staff_required(*ENGAGERS)
@require_GET
def segment(request, segment_id):
    found = _found(engage.segment_get, segment_id=segment_id)
    ids = engage.segment_member_ids(found, limit=FIRST_MEMBERS)
    by_id = {m.pk: m for m in engage.segment_members(found).filter(pk__in=ids)}
    first = [by_id[i] for i in ids if i in by_id]
    for member in first:
        member.shown_phone = _shown_phone(request, member.phone)
    form = _segment_form(initial=SegmentForm.initial_of(found.name, found.conditions))
    return render(request, "web/manage/engage/segment_detail.html", {
        "nav": "segments", "segment": found, "count": engage.segment_count(found), "members": first,
        "conditions": describe_conditions(found.conditions, form), "first_members": FIRST_MEMBERS,
        "campaigns": engage.campaign_list().filter(segment=found)[:20],
    })


@staff_required(*ENGAGERS)
@require_http_methods(["GET", "POST"])
def segment_edit(request, segment_id):
    found = _found(engage.segment_get, segment_id=segment_id)
    if request.method == "GET":
        return _builder(request, _segment_form(initial=SegmentForm.initial_of(found.name, found.conditions)),
                        segment=found)
    # With the stored conditions as initial: bounds the builder shows rounded are kept exact
    form = _segment_form(request.POST, initial=SegmentForm.initial_of(found.name, found.conditions))
    if form.is_valid():
        changed = _segment_save(request, form, found)
        if changed is not None:
            messages.success(request, _("The segment %(name)s is saved.") % {"name": changed.name})
            return redirect("manage:segment", segment_id=changed.pk)
    return _builder(request, form, segment=found, status=422)


@staff_required(*ENGAGERS)
@require_GET
def segment_csv(request, segment_id):
    """The whole segment as CSV (UTF-8 with a BOM), a page at a time; phones as the page shows
    them to this role. The download is audited."""
    found = _found(engage.segment_get, segment_id=segment_id)
    now = timezone.now()
    full = _sees_full_phone(request)
    audit_record(actor=Actor.of(request), action="segment.export", target=found,
                 after={"members": engage.segment_count(found, now=now), "phones": "full" if full else "masked"})

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "phone", "first_name", "last_name", "organization_name", "kind"])
        yield "\ufeff" + buffer.getvalue()
        for ids in engage.segment_member_pages(found, now=now):
            buffer.seek(0)
            buffer.truncate()
            for m in engage.segment_members(found, now=now).filter(pk__in=ids).order_by("pk"):
                writer.writerow([m.pk, m.phone if full else mask_phone(m.phone), cell(m.first_name),
                                 cell(m.last_name), cell(m.organization_name), m.kind])
            yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="segment-{found.pk}.csv"'
    response["Cache-Control"] = "no-store"
    return response


# --- campaigns --------------------------------------------------------------------------------------------


def _campaign_form(data=None, **kwargs) -> CampaignForm:
    return CampaignForm(data, segments=engage.segment_list(), rewards=reward_list(active=True),
                        surveys=engage.survey_list(status="open"), **kwargs)


def _draft(request, form: DraftForm) -> dict:
    """The live counter's answer: the text for the segment's first member, or why not."""
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    text = data.get("text") or ""
    if not text:
        return {"empty": True}
    try:
        return {"draft": engage.draft_preview(
            text=text, subject=data.get("subject") or "", channel=data.get("channel") or Channel.SMS,
            segment_id=data.get("segment"), holdout_percent=data.get("holdout_percent") or 0,
            with_coupon=bool(data.get("reward")))}
    except UnknownPlaceholder as error:
        return {"draft_error": error.message, "unknown": error.details.get("text", "")}
    except NotFound:
        return {"draft_error": _("Choose the segment again: this one is not there any more.")}


def _compose(request, form: CampaignForm, *, status: int = 200):
    draft = _draft(request, DraftForm(form.data if form.is_bound else None, segments=engage.segment_list()))
    return render(request, "web/manage/engage/campaign_form.html", {
        "nav": "campaigns", "form": form, "placeholders": engage.PLACEHOLDERS, **draft,
        "price_per_part": _sms_price(), "has_segments": engage.segment_list().exists(),
    }, status=status)


def _sms_price() -> int:
    from django.conf import settings

    return settings.SMS_PRICE_PER_PART_RIAL


@staff_required(*ENGAGERS)
@require_GET
def campaigns(request):
    rows = list(engage.campaign_list()[:200])
    return render(request, "web/manage/engage/campaign_list.html", {"nav": "campaigns", "rows": rows})


@staff_required(*ENGAGERS)
@require_http_methods(["GET", "POST"])
def campaign_new(request):
    if request.method == "GET":
        initial = {}
        chosen = request.GET.get("segment", "")
        if chosen.isascii() and chosen.isdigit():
            initial["segment"] = int(chosen)
        return _compose(request, _campaign_form(initial=initial))
    form = _campaign_form(request.POST)
    if form.is_valid():
        try:
            made = _audited(request, "campaign.create", lambda: engaging.campaign_create(
                data=form.service_data(), created_by=_by(request)), fields=CAMPAIGN_AUDIT)
        except ApplicationError as error:
            add_service_errors(form, error, fields={"segment_id": "segment", "reward_id": "reward"})
        else:
            messages.success(request, _("The campaign is saved as a draft. Check the preview, then schedule it."))
            return redirect("manage:campaign", campaign_id=made.pk)
    return _compose(request, form, status=422)


@staff_required(*ENGAGERS)
@require_POST
def campaign_draft(request):
    """htmx: the compose form's live counter and preview (characters, parts, cost)."""
    context = _draft(request, DraftForm(request.POST, segments=engage.segment_list()))
    return render(request, "web/manage/engage/campaign_draft.html", {**context, "price_per_part": _sms_price()})


def _lift_charts(lift: dict | None) -> dict | None:
    if not lift or not lift["held_out"]["members"] or not lift["contacted"]["members"]:
        return None
    contacted, held = lift["contacted"], lift["held_out"]

    def rate(group):
        return round((group["purchase_rate"] or 0) * 100, 1)

    def spend(group):
        return (group["spend_per_member_rial"] or 0) // 10

    return {
        "rate": {"type": "bar", "labels": [gettext("Purchase rate (%)")], "series": [
            {"label": gettext("Contacted"), "data": [rate(contacted)], "color": CONTACTED_COLOR},
            {"label": gettext("Held out"), "data": [rate(held)], "color": HELD_OUT_COLOR}]},
        "spend": {"type": "bar", "labels": [gettext("Spend per member (Toman)")], "series": [
            {"label": gettext("Contacted"), "data": [spend(contacted)], "color": CONTACTED_COLOR},
            {"label": gettext("Held out"), "data": [spend(held)], "color": HELD_OUT_COLOR}]},
    }


def _skips(counts: dict) -> list[dict]:
    labels = _names(Message.Skip.choices)
    return [{"reason": reason, "label": labels.get(reason, reason or "—"), "count": n}
            for reason, n in sorted(counts["skipped"].items(), key=lambda item: -item[1])]


def _edit_initial(campaign: Campaign) -> dict:
    day, clock = moment_text(campaign.send_at)
    return {"name": campaign.name, "subject": campaign.subject, "text": campaign.text,
            "holdout_percent": campaign.holdout_percent, "send_date": day, "send_time": clock}


def _campaign_page(request, campaign: Campaign, *, edit_form=None, schedule_form=None, preview_form=None,
                   preview=None, status: int = 200):
    editable = campaign.status in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED)
    if preview is None and editable:
        preview = engage.campaign_preview(campaign_id=campaign.pk)
    counts = engage.campaign_counts(campaign)
    lift = engage.campaign_lift(campaign)
    persian = (get_language() or "fa").split("-")[0] == "fa"
    return render(request, "web/manage/engage/campaign_detail.html", {
        "nav": "campaigns", "campaign": campaign, "editable": editable,
        "cancellable": campaign.status not in (Campaign.Status.SENT, Campaign.Status.CANCELLED),
        "estimate": engage.campaign_estimate(campaign), "counts": counts, "skips": _skips(counts),
        "skipped_total": sum(counts["skipped"].values()), "lift": lift, "charts": _lift_charts(lift),
        "chart_locale": "fa-IR" if persian else "en-US",
        "edit_form": edit_form or CampaignEditForm(initial=_edit_initial(campaign), channel=campaign.channel),
        "schedule_form": schedule_form or ScheduleForm(), "preview_form": preview_form or PreviewForm(),
        "preview": preview, "placeholders": engage.PLACEHOLDERS,
        "send_at_ahead": campaign.send_at is not None and campaign.send_at > timezone.now(),
        "is_marketing": campaign.purpose == Purpose.MARKETING,
    }, status=status)


@staff_required(*ENGAGERS)
@require_GET
def campaign(request, campaign_id):
    return _campaign_page(request, _found(engage.campaign_get, campaign_id=campaign_id))


def _refused(request, found: Campaign, error: ApplicationError, **forms):
    messages.error(request, error.message)
    return _campaign_page(request, engage.campaign_get(campaign_id=found.pk), status=error.status, **forms)


@staff_required(*ENGAGERS)
@require_POST
def campaign_edit(request, campaign_id):
    found = _found(engage.campaign_get, campaign_id=campaign_id)
    form = CampaignEditForm(request.POST, channel=found.channel)
    if not form.is_valid():
        return _campaign_page(request, found, edit_form=form, status=422)
    try:
        _audited(request, "campaign.update", lambda: engaging.campaign_update(
            campaign_id=found.pk, data=form.service_data()), target=found, fields=CAMPAIGN_AUDIT)
    except ApplicationError as error:
        add_service_errors(form, error)
        return _campaign_page(request, engage.campaign_get(campaign_id=found.pk), edit_form=form,
                              status=error.status)
    messages.success(request, _("The campaign is changed."))
    return redirect("manage:campaign", campaign_id=found.pk)


@staff_required(*ENGAGERS)
@require_POST
def campaign_preview(request, campaign_id):
    """The text as the member with this phone would get it (htmx: just the preview)."""
    found = _found(engage.campaign_get, campaign_id=campaign_id)
    form = PreviewForm(request.POST)
    preview = None
    if form.is_valid():
        phone = form.cleaned_data["phone"]
        member = member_find_by_phone(phone=phone) if phone else None
        if phone and member is None:
            form.add_error("phone", MemberNotFound.message)
        else:
            preview = engage.campaign_preview(campaign_id=found.pk, member_id=member.pk if member else None)
    if _htmx(request):
        if preview is None:
            preview = engage.campaign_preview(campaign_id=found.pk)
        return render(request, "web/manage/engage/campaign_preview.html",
                      {"campaign": found, "preview": preview, "preview_form": form, "oob": True})
    return _campaign_page(request, found, preview_form=form, preview=preview, status=422 if form.errors else 200)


@staff_required(*ENGAGERS)
@require_POST
def campaign_schedule(request, campaign_id):
    found = _found(engage.campaign_get, campaign_id=campaign_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return _campaign_page(request, found, schedule_form=form, status=422)
    send_at = form.send_at()
    if send_at is None and not (found.send_at and found.send_at > timezone.now()):
        form.add_error("send_date", _("Choose when to send it, or send it now."))
        return _campaign_page(request, found, schedule_form=form, status=422)
    try:
        done = _audited(request, "campaign.schedule", lambda: engaging.campaign_schedule(
            campaign_id=found.pk, data={"send_at": send_at} if send_at else None), target=found,
            fields=CAMPAIGN_AUDIT)
    except ApplicationError as error:
        return _refused(request, found, error, schedule_form=form)
    messages.success(request, _("The campaign is scheduled for %(when)s.") % {"when": jdatetime(done.send_at)})
    return redirect("manage:campaign", campaign_id=found.pk)


@staff_required(*ENGAGERS)
@require_POST
def campaign_send_now(request, campaign_id):
    found = _found(engage.campaign_get, campaign_id=campaign_id)
    try:
        _audited(request, "campaign.send_now", lambda: engaging.campaign_schedule(
            campaign_id=found.pk, data={"send_at": timezone.now()}), target=found, fields=CAMPAIGN_AUDIT)
    except ApplicationError as error:
        return _refused(request, found, error)
    messages.success(request, _("The campaign goes out now (marketing waits for the sending window)."))
    return redirect("manage:campaign", campaign_id=found.pk)


@staff_required(*ENGAGERS)
@require_POST
def campaign_cancel(request, campaign_id):
    found = _found(engage.campaign_get, campaign_id=campaign_id)
    try:
        _audited(request, "campaign.cancel", lambda: engaging.campaign_cancel(campaign_id=found.pk), target=found,
                 fields=CAMPAIGN_AUDIT)
    except ApplicationError as error:
        return _refused(request, found, error)
    messages.success(request, _("The campaign is cancelled; nothing more of it goes out."))
    return redirect("manage:campaign", campaign_id=found.pk)


# --- automations ------------------------------------------------------------------------------------------


def describe_trigger(trigger: dict) -> str:
    kind = trigger.get("type")
    days = digits(trigger.get("days", ""))
    if kind == Automation.Trigger.BIRTHDAY:
        return _("On the member's birthday")
    if kind == Automation.Trigger.OCCASION:
        return {"wedding": _("On the member's wedding anniversary"),
                "membership_anniversary": _("On the anniversary of joining the club")}.get(
            trigger.get("occasion"), _("On the member's occasion"))
    if kind == Automation.Trigger.POINTS_EXPIRING:
        return _("%(days)s days before points expire") % {"days": digits(trigger.get("days_before", ""))}
    if kind == Automation.Trigger.TIER_CHANGED:
        return _("When the member's tier goes up") if trigger.get("direction") == "up" else _(
            "When the member's tier goes down")
    if kind == Automation.Trigger.INACTIVE:
        return _("When a member has not bought for %(days)s days") % {"days": days}
    if kind == Automation.Trigger.JOINED:
        delay = trigger.get("delay_days")
        return _("%(days)s days after joining") % {"days": digits(delay)} if delay else _("When a member joins")
    if kind == Automation.Trigger.AFTER_PURCHASE:
        text = _("%(days)s days after a purchase") % {"days": days}
        only = [*trigger.get("skus", []), *trigger.get("categories", [])]
        return f"{text} ({', '.join(only)})" if only else text
    if kind == Automation.Trigger.REFERRAL_COMPLETED:
        return _("When a friend the member referred makes a first purchase")
    return str(kind)


def _automation_form(data=None, **kwargs) -> AutomationForm:
    return AutomationForm(data, rewards=reward_list(active=True), surveys=engage.survey_list(status="open"),
                          **kwargs)


def _automation_compose(request, form: AutomationForm, *, status: int = 200):
    return render(request, "web/manage/engage/automation_form.html", {
        "nav": "automations", "form": form, "placeholders": engage.PLACEHOLDERS,
        "trigger_parts": [(form[f"trigger_{part}"], triggers_of(part)) for part in TRIGGER_PARTS],
    }, status=status)


@staff_required(*ENGAGERS)
@require_GET
def automations(request):
    rows = list(engage.automation_list())
    for row in rows:
        row.described = describe_trigger(row.trigger)
        row.sent_count = row.messages.count()
    return render(request, "web/manage/engage/automation_list.html", {"nav": "automations", "rows": rows})


@staff_required(*ENGAGERS)
@require_http_methods(["GET", "POST"])
def automation_new(request):
    if request.method == "GET":
        return _automation_compose(request, _automation_form())
    form = _automation_form(request.POST)
    if form.is_valid():
        try:
            made = _audited(request, "automation.create", lambda: engaging.automation_create(
                data=form.service_data()), fields=AUTOMATION_AUDIT)
        except ApplicationError as error:
            add_service_errors(form, error, fields={**AUTOMATION_FIELDS, "reward_id": "reward"})
        else:
            messages.success(request, _("The automation %(name)s is saved.") % {"name": made.name})
            return redirect("manage:automation", automation_id=made.pk)
    return _automation_compose(request, form, status=422)


def _automation_page(request, found: Automation, *, form=None, status: int = 200):
    history = list(engage.automation_history(found, limit=50))
    for message in history:
        message.shown_to = _shown_phone(request, message.to) if message.channel == Channel.SMS else message.to
    return render(request, "web/manage/engage/automation_detail.html", {
        "nav": "automations", "automation": found, "described": describe_trigger(found.trigger),
        "form": form or AutomationEditForm(initial={"name": found.name, "subject": found.subject,
                                                    "text": found.text}, channel=found.channel),
        "history": history, "placeholders": engage.PLACEHOLDERS, "sent_count": found.messages.count(),
    }, status=status)


@staff_required(*ENGAGERS)
@require_http_methods(["GET", "POST"])
def automation(request, automation_id):
    found = _found(engage.automation_get, automation_id=automation_id)
    if request.method == "GET":
        return _automation_page(request, found)
    form = AutomationEditForm(request.POST, channel=found.channel)
    if not form.is_valid():
        return _automation_page(request, found, form=form, status=422)
    data = form.cleaned_data
    try:
        _audited(request, "automation.update", lambda: engaging.automation_update(
            automation_id=found.pk, data={"name": data["name"], "text": data["text"],
                                          "subject": data.get("subject") or ""}), target=found,
            fields=AUTOMATION_AUDIT)
    except ApplicationError as error:
        add_service_errors(form, error)
        return _automation_page(request, found, form=form, status=error.status)
    messages.success(request, _("The automation %(name)s is saved.") % {"name": data["name"]})
    return redirect("manage:automation", automation_id=found.pk)


@staff_required(*ENGAGERS)
@require_POST
def automation_switch(request, automation_id):
    """On (live) or off (paused); the status asked for is sent, so a second click changes nothing."""
    found = _found(engage.automation_get, automation_id=automation_id)
    form = SwitchForm(request.POST)
    back = "manage:automation" if request.POST.get("back") == "automation" else "manage:automations"
    if not form.is_valid():
        messages.error(request, _("Choose on or off."))
        return redirect(back, **({"automation_id": found.pk} if back == "manage:automation" else {}))
    wanted = form.cleaned_data["status"]
    if wanted != found.status:
        _audited(request, "automation.switch", lambda: engaging.automation_update(
            automation_id=found.pk, data={"status": wanted}), target=found, fields=AUTOMATION_AUDIT)
    if wanted == Automation.Status.LIVE:
        messages.success(request, _("%(name)s is on.") % {"name": found.name})
    else:
        messages.success(request, _("%(name)s is off: it sends nothing until switched on.") % {"name": found.name})
    return redirect(back, **({"automation_id": found.pk} if back == "manage:automation" else {}))


# --- messages ---------------------------------------------------------------------------------------------

MESSAGES_SHOWN = 100


@staff_required(*ENGAGERS)
@require_http_methods(["GET", "POST"])
def message_list(request):
    """Messages, newest first, by member and status. A phone is searched by POST (never in the
    address); a member's page links here by the member's id."""
    data = request.POST.copy() if request.method == "POST" else request.GET.copy()
    data.pop("csrfmiddlewaretoken", None)
    if request.method == "GET":
        data.pop("phone", None)
    raw_member = data.pop("member", [""])[-1]
    form = MessageSearchForm(data or None)
    member = None
    typed = None
    status = ""
    answer = 200
    if form.is_bound and form.is_valid():
        status = form.cleaned_data["status"]
        typed = form.cleaned_data["phone"] or None
        if typed:
            member = member_find_by_phone(phone=typed)
            if member is None:
                form.add_error("phone", MemberNotFound.message)
    elif form.is_bound:
        answer = 422
    if member is None and not typed and raw_member.isascii() and raw_member.isdigit():
        try:
            member = member_get(member_id=raw_member)
        except MemberNotFound:
            raise Http404 from None
    rows = [] if form.errors else list(engage.message_search(member_id=member.pk if member else None,
                                                            status=status or None, limit=MESSAGES_SHOWN))
    for row in rows:
        row.shown_to = _shown_phone(request, row.to, typed=typed) if row.channel == Channel.SMS else row.to
    return render(request, "web/manage/engage/message_list.html", {
        "nav": "messages", "form": form, "rows": rows, "member": member, "limit": MESSAGES_SHOWN,
        "member_phone": _shown_phone(request, member.phone, typed=typed) if member else "",
    }, status=answer if not form.errors else 422)


# --- a member's page: staff tags, consent, messages -------------------------------------------------------


def member_engagement(request, member: Member) -> dict:
    """What the member's page shows to owners, managers and marketers (none of it to cashiers):
    staff tags, the consents and their history, the latest messages."""
    if request.staff_role not in ENGAGERS:
        return {"engagement": None}
    consents = member_consents(member_id=member.pk)
    labels = _names(Consent.Channel.choices)
    recent = list(engage.member_messages(member_id=member.pk, limit=MEMBER_MESSAGES))
    for message in recent:
        message.shown_to = _shown_phone(request, message.to) if message.channel == Channel.SMS else message.to
    return {"engagement": {
        "tags": member_tags(member_id=member.pk), "all_tags": tag_list(), "tag_form": TagForm(),
        "consents": [{"channel": channel, "label": labels.get(channel, channel), "granted": granted}
                     for channel, granted in consents.items()],
        "consent_changes": list(member_consent_changes(member_id=member.pk, limit=MEMBER_CONSENT_CHANGES)),
        "sources": _names(ConsentChange.Source.choices),
        "messages": recent,
    }}


def _member_or_404(member_id) -> Member:
    try:
        return member_get(member_id=member_id)
    except MemberNotFound:
        raise Http404 from None


def _tags_change(request, member: Member, action: str, change: Callable[[], list[str]]) -> list[str]:
    with transaction.atomic():
        before = member_tag_codes(member_id=member.pk)
        after = change()
        audit_record(actor=Actor.of(request), action=action, target=member, before={"tags": before},
                     after={"tags": after})
    return after


@staff_required(*ENGAGERS)
@require_POST
def member_tags_add_view(request, member_id):
    member = _member_or_404(member_id)
    form = TagForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("names", [])) or _("Type a tag."))
        return redirect(f"{_member_url(member)}#tags-h")
    names = form.cleaned_data["names"]
    try:
        _tags_change(request, member, "member.tags_add", lambda: member_tags_add(
            member_id=member.pk, names=names, added_by=_by(request)))
    except ApplicationError as error:
        messages.error(request, f"{error.message} ({', '.join(str(v) for v in error.details.values())})")
        return redirect(f"{_member_url(member)}#tags-h")
    messages.success(request, _("Tagged: %(tags)s.") % {"tags": ", ".join(names)})
    return redirect(f"{_member_url(member)}#tags-h")


@staff_required(*ENGAGERS)
@require_POST
def member_tag_remove(request, member_id, tag):
    member = _member_or_404(member_id)
    try:
        _tags_change(request, member, "member.tags_remove", lambda: member_tags_remove(
            member_id=member.pk, names=[tag]))
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(f"{_member_url(member)}#tags-h")
    messages.success(request, _("The tag %(tag)s is taken off.") % {"tag": tag})
    return redirect(f"{_member_url(member)}#tags-h")


def _member_url(member: Member) -> str:
    from django.urls import reverse

    return reverse("manage:member", kwargs={"member_id": member.pk})


urlpatterns = [
    path("segments/", segments, name="segments"),
    path("segments/new/", segment_new, name="segment_new"),
    path("segments/count/", segment_count, name="segment_count"),
    path("segments/<int:segment_id>/", segment, name="segment"),
    path("segments/<int:segment_id>/edit/", segment_edit, name="segment_edit"),
    path("segments/<int:segment_id>/members.csv", segment_csv, name="segment_csv"),
    path("campaigns/", campaigns, name="campaigns"),
    path("campaigns/new/", campaign_new, name="campaign_new"),
    path("campaigns/draft/", campaign_draft, name="campaign_draft"),
    path("campaigns/<int:campaign_id>/", campaign, name="campaign"),
    path("campaigns/<int:campaign_id>/edit/", campaign_edit, name="campaign_edit"),
    path("campaigns/<int:campaign_id>/preview/", campaign_preview, name="campaign_preview"),
    path("campaigns/<int:campaign_id>/schedule/", campaign_schedule, name="campaign_schedule"),
    path("campaigns/<int:campaign_id>/send-now/", campaign_send_now, name="campaign_send_now"),
    path("campaigns/<int:campaign_id>/cancel/", campaign_cancel, name="campaign_cancel"),
    path("automations/", automations, name="automations"),
    path("automations/new/", automation_new, name="automation_new"),
    path("automations/<int:automation_id>/", automation, name="automation"),
    path("automations/<int:automation_id>/switch/", automation_switch, name="automation_switch"),
    path("messages/", message_list, name="messages"),
    path("members/<int:member_id>/tags/", member_tags_add_view, name="member_tags_add"),
    path("members/<int:member_id>/tags/<str:tag>/remove/", member_tag_remove, name="member_tag_remove"),
]
