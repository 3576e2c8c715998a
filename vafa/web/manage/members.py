"""Back-office: find members, read a member's file, and the managers' actions on it.

Phone numbers: owners and managers see every number in full. Cashiers and marketers see
numbers masked (+98912***4567), except on the rows found by the full number they typed (they
already know it, and the till needs to confirm it); a member's page shows them the masked
number and national code too (the last four digits); cashiers see e-mails masked and no birth
date. Searches by phone, name or national code go by POST, never in the address. Every action
is its own POST address for owners and managers only, and writes one audit entry in the same
transaction as the change.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vafa.core.audit import Actor
from vafa.core.errors import ApplicationError, DuplicateSubmission, MemberNotFound
from vafa.core.masking import mask_email, mask_national_id
from vafa.core.phone import mask_phone
from vafa.engage.selectors import member_feedback
from vafa.insight.selectors import member_score, member_suggestions
from vafa.ledger.models import Transfer
from vafa.members.models import Member
from vafa.members.selectors import member_get
from vafa.members.services import application_approve, application_reject, member_block, member_unblock
from vafa.program.selectors import program_now
from vafa.rewards.selectors import coupon_state, gift_card_state
from vafa.usecases.member_directory import member_file, member_search
from vafa.usecases.member_history import member_activity
from vafa.usecases.points import member_adjust
from vafa.web.access import ALL_STAFF, CASHIER, ENGAGERS, MANAGERS, staff_merchant_id, staff_required
from vafa.web.manage.engage_pages import member_engagement
from vafa.web.manage.member_forms import AdjustForm, MemberSearchForm, RejectForm
from vafa.web.reasons import with_reasons
from vafa.web.templatetags.vafa import points as format_points

PAGE_SIZE = 25
LEDGER_PAGE = 20


def _sees_full_phone(request) -> bool:
    return request.staff_role in MANAGERS


@staff_required(*ALL_STAFF)
@require_http_methods(["GET", "POST"])
def index(request):
    # A search by phone, name or national code is a POST: it never lands in an access log or
    # the browser's history. The other filters may come in the address too.
    data = request.POST.copy() if request.method == "POST" else request.GET.copy()
    if request.method == "GET":
        data.pop("q", None)
    page_number = data.pop("page", [None])[-1]
    data.pop("csrfmiddlewaretoken", None)
    form = MemberSearchForm(data or None, tiers=program_now().tiers)
    filters = {}
    if form.is_bound:
        form.is_valid()  # an invalid filter is shown with its error and left out
        filters = form.filters()
    full = _sees_full_phone(request)
    qs, phone_hit = member_search(**filters, partial_numbers=full)
    page = Paginator(qs, PAGE_SIZE).get_page(page_number)
    for row in page.object_list:
        row.shown_phone = row.phone if full or row.phone == phone_hit else mask_phone(row.phone)
    context = {"nav": "members", "form": form, "page": page, "query": data.urlencode(),
               "pages_form": "member-search", "full_phone": full}
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        return render(request, "web/manage/member_results.html", {**context, "oob": True})
    return render(request, "web/manage/member_list.html", context)


def _member_or_404(member_id) -> Member:
    try:
        return member_get(member_id=member_id)
    except MemberNotFound:
        raise Http404 from None


def _detail(request, member_id, *, adjust_form=None, reject_form=None, status=200):
    try:
        file = member_file(member_id=member_id)
    except MemberNotFound:
        raise Http404 from None
    before = request.GET.get("before")
    before_id = int(before) if before and before.isascii() and before.isdigit() else None
    lines, ledger_next = member_activity(member_id=file.member.pk, limit=LEDGER_PAGE, before_id=before_id)
    full = _sees_full_phone(request)
    member = file.member
    now = timezone.now()
    for coupon in file.coupons:
        coupon.state = coupon_state(coupon, now)
    for card in file.gift_cards:
        card.state = gift_card_state(card, now)
    context = {
        "nav": "members", "file": file, "member": member, "ledger": lines, "ledger_rows": with_reasons(lines),
        "kinds": dict(Transfer.Kind.choices),
        "ledger_next": ledger_next, "ledger_paged": before_id is not None,
        "shown_phone": member.phone if full else mask_phone(member.phone),
        "shown_national_id": member.national_id if full else mask_national_id(member.national_id),
        # A cashier needs neither to sell: shown masked, like the phone.
        "shown_email": mask_email(member.email) if request.staff_role == CASHIER else member.email,
        "birth_date_hidden": request.staff_role == CASHIER and member.birth_date is not None,
        "can_manage": request.staff_role in MANAGERS,
        "adjust_form": adjust_form or AdjustForm(),
        "reject_form": reject_form or RejectForm(),
        "application_pending": file.application is not None and file.application.status == "pending",
        **member_engagement(request, member),  # tags, consent and messages (not for cashiers)
        # Survey answers and reviews (web/manage/_member_feedback.html), for those who run them
        "feedback": member_feedback(member_id=member.pk) if request.staff_role in ENGAGERS else None,
        # The nightly lifetime value and RFM (vafa.insight), for those who act on them
        "score": member_score(member_id=member.pk) if request.staff_role in ENGAGERS else None,
        # What members who bought what they did bought next (vafa.insight.products), for every staff member
        "suggestions": member_suggestions(member.pk),
    }
    return render(request, "web/manage/member_detail.html", context, status=status)


@staff_required(*ALL_STAFF)
def detail(request, member_id):
    return _detail(request, member_id)


def _refused(request, member_id, error: ApplicationError, **forms):
    messages.error(request, error.message)
    return _detail(request, member_id, status=error.status, **forms)


@staff_required(*MANAGERS)
@require_POST
def adjust(request, member_id):
    member = _member_or_404(member_id)
    form = AdjustForm(request.POST)
    if not form.is_valid():
        return _detail(request, member.pk, adjust_form=form, status=422)
    points = form.signed_points()
    reason = form.cleaned_data["reason"]
    token = form.cleaned_data["token"]
    try:
        change = member_adjust(merchant_id=staff_merchant_id(request), member_id=member.pk, points=points,
                               reason=reason, staff_user_id=request.user.pk, actor=Actor.of(request), token=token)
    except DuplicateSubmission:
        messages.info(request, _("This adjustment was already recorded."))
        return redirect("manage:member", member_id=member.pk)
    except ApplicationError as error:
        form.add_error("points", error.message)
        return _detail(request, member.pk, adjust_form=form, status=error.status)
    messages.success(request, _("Points adjusted. The new balance is %(balance)s.")
                     % {"balance": format_points(change.balance_after)})
    return redirect("manage:member", member_id=member.pk)


def _status_action(request, member_id, service, done: str, unchanged: str):
    member = _member_or_404(member_id)
    try:
        change = service(member_id=member.pk, actor=Actor.of(request))
    except ApplicationError as error:
        return _refused(request, member.pk, error)
    if change.changed:
        messages.success(request, done)
    else:
        messages.info(request, unchanged)
    return redirect("manage:member", member_id=member.pk)


@staff_required(*MANAGERS)
@require_POST
def block(request, member_id):
    return _status_action(request, member_id, member_block, _("The member is blocked."),
                          _("The member was already blocked."))


@staff_required(*MANAGERS)
@require_POST
def unblock(request, member_id):
    return _status_action(request, member_id, member_unblock, _("The member is unblocked."),
                          _("The member was not blocked."))


@staff_required(*MANAGERS)
@require_POST
def approve(request, member_id):
    member = _member_or_404(member_id)
    try:
        application_approve(member_id=member.pk, staff=request.user.get_username(), actor=Actor.of(request))
    except ApplicationError as error:
        return _refused(request, member.pk, error)
    messages.success(request, _("The application is approved; the member is active."))
    return redirect("manage:member", member_id=member.pk)


@staff_required(*MANAGERS)
@require_POST
def reject(request, member_id):
    member = _member_or_404(member_id)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _detail(request, member.pk, reject_form=form, status=422)
    reason = form.cleaned_data["reason"]
    try:
        application_reject(member_id=member.pk, reason=reason, staff=request.user.get_username(),
                           actor=Actor.of(request))
    except ApplicationError as error:
        return _refused(request, member.pk, error, reject_form=form)
    messages.success(request, _("The application is rejected; the member is blocked."))
    return redirect("manage:member", member_id=member.pk)


urlpatterns = [
    path("members/", index, name="members"),
    path("members/<int:member_id>/", detail, name="member"),
    path("members/<int:member_id>/adjust/", adjust, name="member-adjust"),
    path("members/<int:member_id>/block/", block, name="member-block"),
    path("members/<int:member_id>/unblock/", unblock, name="member-unblock"),
    path("members/<int:member_id>/application/approve/", approve, name="member-approve"),
    path("members/<int:member_id>/application/reject/", reject, name="member-reject"),
]
