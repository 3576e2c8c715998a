"""Back-office: physical rewards waiting to be sent, and their steps.

The list puts what waits first (requested, then being prepared), each oldest first, with a
filter by status. A shipment's page shows the reward, the member, the address and the steps as
they happened, with a form for each step the shipment may take next: being prepared, sent (its
tracking code), delivered, or cancelled with a reason (the points go back to the member).

Roles: owners and managers see everything and move shipments (each step its own POST, written
with its audit entry and the member's message in one transaction: vafa.usecases.fulfilment).
Marketers read the list and the pages (gifts of their campaigns and contests travel here) with
the phone masked and the street address and postal code hidden: they need to know where a
gift is, not where a member lives. Cashiers and a partner's staff have no business here (403).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from vafa.core.audit import Actor
from vafa.core.digits import to_ascii_digits
from vafa.core.errors import ApplicationError, ShipmentNotFound
from vafa.core.phone import mask_phone
from vafa.rewards.models import Shipment
from vafa.rewards.selectors import SHIPMENT_NEXT, shipment_counts, shipment_get, shipments_list
from vafa.usecases.fulfilment import shipment_advance
from vafa.web.access import MANAGER, MANAGERS, MARKETER, OWNER, staff_required

READERS = (OWNER, MANAGER, MARKETER)
PAGE_SIZE = 25
Status = Shipment.Status
FILTERS = [
    ("waiting", gettext_lazy("Waiting to be sent")),
    (Status.REQUESTED, gettext_lazy("Requested")),
    (Status.PREPARING, gettext_lazy("Being prepared")),
    (Status.SENT, gettext_lazy("Sent")),
    (Status.DELIVERED, gettext_lazy("Delivered")),
    (Status.CANCELLED, gettext_lazy("Cancelled")),
    ("all", gettext_lazy("All")),
]
_FILTER_VALUES = {value for value, _label in FILTERS}


class StepForm(forms.Form):
    """One step: the status it moves to, with what that step needs (checked again, and
    decided, by the service)."""

    status = forms.ChoiceField(choices=[(s, s) for s in (Status.PREPARING, Status.SENT, Status.DELIVERED,
                                                         Status.CANCELLED)], widget=forms.HiddenInput)
    tracking_code = forms.CharField(label=gettext_lazy("Tracking code"), max_length=60, required=False)
    carrier = forms.CharField(label=gettext_lazy("Carrier"), max_length=60, required=False,
                              help_text=gettext_lazy("e.g. Post, Tipax, a courier"))
    note = forms.CharField(label=gettext_lazy("Note"), max_length=255, required=False)

    def clean_tracking_code(self):
        # Tracking codes are typed as they are printed: Persian digits are the same digits.
        return to_ascii_digits(self.cleaned_data["tracking_code"]).strip()

    def clean(self):
        data = super().clean()
        status = data.get("status")
        if status == Status.SENT and not data.get("tracking_code"):
            self.add_error("tracking_code", _("Enter the tracking code of the parcel."))
        if status == Status.CANCELLED and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why it is cancelled: the member is told their points are back."))
        return data


def _sees_address(request) -> bool:
    return request.staff_role in MANAGERS


@staff_required(*READERS)
@require_GET
def index(request):
    status = request.GET.get("status") or "waiting"
    if status not in _FILTER_VALUES:
        status = "waiting"
    rows = shipments_list(status=None if status == "all" else status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    full = _sees_address(request)
    now = timezone.now()
    for shipment in page.object_list:
        shipment.shown_phone = shipment.phone if full else mask_phone(shipment.phone)
        waiting = shipment.status in (Status.REQUESTED, Status.PREPARING)
        shipment.waiting_days = (now - shipment.created_at).days if waiting else None
    counts = shipment_counts()
    counts["waiting"] = counts[Status.REQUESTED] + counts[Status.PREPARING]
    counts["all"] = sum(counts[s] for s in Status.values)
    filters = [{"value": value, "label": label, "count": counts[value], "current": value == status}
               for value, label in FILTERS]
    return render(request, "web/manage/fulfilment/list.html", {
        "nav": "fulfilment", "page": page, "filters": filters, "status": status,
        "query": f"status={status}", "full_address": full})


def _detail(request, shipment_id, *, form: StepForm | None = None, status: int = 200):
    try:
        shipment = shipment_get(shipment_id=shipment_id)
    except ShipmentNotFound:
        raise Http404 from None
    full = _sees_address(request)
    steps = list(shipment.steps.all())
    next_steps = list(SHIPMENT_NEXT[shipment.status])
    context = {
        "nav": "fulfilment", "shipment": shipment, "redemption": shipment.redemption,
        "member": shipment.redemption.member, "reward": shipment.redemption.reward, "steps": steps,
        "shown_phone": shipment.phone if full else mask_phone(shipment.phone), "full_address": full,
        "can_act": request.staff_role in MANAGERS, "next_steps": next_steps,
        # `sent` again corrects the tracking code of a shipment on its way.
        "can_correct": shipment.status == Status.SENT,
        "form": form, "failed_step": form.data.get("status") if form is not None else None,
    }
    return render(request, "web/manage/fulfilment/detail.html", context, status=status)


@staff_required(*READERS)
@require_GET
def detail(request, shipment_id):
    return _detail(request, shipment_id)


DONE = {
    Status.PREPARING: gettext_lazy("Marked as being prepared; the member is told."),
    Status.SENT: gettext_lazy("Marked as sent with its tracking code; the member is told."),
    Status.DELIVERED: gettext_lazy("Marked as delivered; the member is told."),
    Status.CANCELLED: gettext_lazy("Cancelled; the member's points are back and they are told."),
}


@staff_required(*MANAGERS)
@require_POST
def step(request, shipment_id):
    form = StepForm(request.POST)
    if not form.is_valid():
        return _detail(request, shipment_id, form=form, status=422)
    data = form.cleaned_data
    try:
        outcome = shipment_advance(shipment_id=shipment_id, status=data["status"],
                                   tracking_code=data["tracking_code"], carrier=data["carrier"].strip(),
                                   note=data["note"].strip(), actor=Actor.of(request))
    except ShipmentNotFound:
        raise Http404 from None
    except ApplicationError as error:
        messages.error(request, error.message)
        return _detail(request, shipment_id, form=form, status=error.status)
    if not outcome.changed:
        messages.info(request, _("Nothing changed: the shipment was already there."))
    elif outcome.corrected:
        messages.success(request, _("The tracking code is corrected; the member is told the new one."))
    else:
        messages.success(request, DONE[outcome.shipment.status])
    return redirect("manage:shipment", shipment_id=outcome.shipment.pk)


urlpatterns = [
    path("fulfilment/", index, name="fulfilment"),
    path("fulfilment/<int:shipment_id>/", detail, name="shipment"),
    path("fulfilment/<int:shipment_id>/step/", step, name="shipment-step"),
]
