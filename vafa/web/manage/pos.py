"""Back-office: the till (POS). A cashier finds a member by phone (or joins them on the spot),
records a purchase with points spent and a coupon, and prints the receipt.

    pos/                              find a member by phone (GET ?phone=); not found: quick join
    pos/join/                         POST: join the member, then go on to the checkout
    pos/members/<id>/                 the member's card and the checkout form (POST records it)
    pos/members/<id>/preview/         htmx: what the checkout would earn and cost (writes nothing)
    pos/members/<id>/coupon/          htmx: what a coupon takes off, or why it does not apply
    pos/receipts/<purchase id>/       the receipt, print-friendly; only the staff member's merchant's
    pos/walk-in/                      a sale without a member: the amount (POST records it, no points)
    pos/walk-in/<sale id>/            its receipt ("no points"); only the staff member's merchant's

Recording is one transaction (see vafa.usecases.till): the purchase, the coupon's use and the
audit entries commit together or not at all. Each checkout form carries its own external id,
so a double submit replays the recorded purchase instead of recording a second one; a sale
without a member (vafa.commerce.walk_in) the same way."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vafa.commerce.selectors import walk_in_sale_find
from vafa.commerce.services import walk_in_sale_record
from vafa.core.audit import Actor
from vafa.core.errors import ApplicationError, MemberNotFound, NotFound, ValidationFailed
from vafa.core.phone import mask_phone, national_mobile
from vafa.insight.selectors import member_suggestions
from vafa.merchants.models import Merchant
from vafa.rewards.services import coupon_validate
from vafa.usecases.spend_proof import spend_proof_asked
from vafa.usecases.till import till_checkout, till_join, till_member, till_member_find, till_preview, till_receipt
from vafa.web.access import TILL, is_partner_staff, staff_merchant_id, staff_required
from vafa.web.manage.pos_forms import (
    CheckoutForm,
    JoinForm,
    SearchForm,
    WalkInForm,
    add_service_error,
    error_status,
    new_external_id,
    parse_whole,
    toman_to_rials,
)

PARTIAL_ERROR = 422


def masked(e164: str) -> str:
    """0912***4567: enough to recognise a receipt, too little to reuse."""
    return national_mobile(mask_phone(e164))


def _merchant_name(merchant_id: int | None) -> str:
    if merchant_id is None:
        return ""
    return Merchant.objects.filter(pk=merchant_id).values_list("name", flat=True).first() or ""


_KNOWN_PHONES = "pos_known_members"


def _remember(request, member_id: int) -> None:
    """The cashier typed this member's phone (search or join), so showing it in full tells nothing new."""
    known = request.session.get(_KNOWN_PHONES, [])[-50:]
    if member_id not in known:
        request.session[_KNOWN_PHONES] = [*known, member_id]


def _shown_phone(request, member) -> str:
    # A till page reached by member id alone must not hand out the number (walking ids would
    # collect every member's phone); the operator's managers see numbers anyway, a partner's never.
    operators_manager = request.staff_role in ("owner", "manager") and not is_partner_staff(request)
    if operators_manager or member.pk in request.session.get(_KNOWN_PHONES, []):
        return national_mobile(member.phone)
    return masked(member.phone)


def _page(request, template: str, context: dict, status: int = 200):
    merchant_id = staff_merchant_id(request)
    return render(request, template, {"nav": "pos", "merchant_name": _merchant_name(merchant_id),
                                      "no_merchant": merchant_id is None, **context}, status=status)


# --- find and join ------------------------------------------------------------------------------


@staff_required(*TILL, partners=True)
@require_http_methods(["GET", "POST"])
def index(request):
    # The number is looked up by POST: it never lands in an access log or the browser's history.
    if request.method == "GET":
        return _page(request, "web/manage/pos.html", {"form": SearchForm()})
    form = SearchForm(request.POST)
    if not form.is_valid():
        return _page(request, "web/manage/pos.html", {"form": form}, status=422)
    phone = form.cleaned_data["phone"]
    try:
        member = till_member_find(phone=phone)
    except MemberNotFound:
        join_form = JoinForm(prefix="join", initial={"phone": national_mobile(phone)})
        form.fields["phone"].widget.attrs.pop("autofocus", None)  # the join form's first name takes it
        return _page(request, "web/manage/pos.html", {"form": form, "join_form": join_form, "not_found": phone})
    _remember(request, member.pk)
    return redirect("manage:pos-member", member_id=member.pk)


@staff_required(*TILL, partners=True)
@require_POST
def join(request):
    form = JoinForm(request.POST, prefix="join")
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            member = till_join(merchant_id=staff_merchant_id(request), phone=data["phone"],
                               first_name=data["first_name"], last_name=data["last_name"], actor=Actor.of(request))
        except ApplicationError as error:
            status = add_service_error(form, error)
        else:
            _remember(request, member.pk)
            # A note on the next page (not django.contrib.messages: the frame's message list is
            # role="status" on the <ul>, which axe flags).
            return redirect(reverse("manage:pos-member", kwargs={"member_id": member.pk}) + "?joined=1")
    search = SearchForm(initial={"phone": request.POST.get("join-phone", "")})
    search.fields["phone"].widget.attrs.pop("autofocus", None)
    return _page(request, "web/manage/pos.html", {"form": search, "join_form": form, "not_found": True},
                 status=status)


# --- the checkout -------------------------------------------------------------------------------


def _member_or_404(member_id: int, request):
    try:
        return till_member(member_id=member_id, merchant_id=staff_merchant_id(request))
    except MemberNotFound:
        raise Http404 from None


def _no_shop(form) -> int:
    """A till of an installation without a merchant records nothing: said on the form, 409."""
    form.add_error(None, _("No shop is set up yet: the till cannot record purchases."))
    return 409


@staff_required(*TILL, partners=True)
@require_http_methods(["GET", "POST"])
def member(request, member_id: int):
    info = _member_or_404(member_id, request)
    merchant_id = staff_merchant_id(request)
    status = 200
    if request.method == "POST":
        form = CheckoutForm(request.POST)
        status = 422
        if merchant_id is None:
            status = _no_shop(form)
        elif form.is_valid():
            data = form.cleaned_data
            try:
                result = till_checkout(merchant_id=merchant_id, member_id=info.member.pk, basket=data["amount"],
                                       redeem_points=data["redeem_points"], coupon_code=data["coupon"],
                                       external_id=data["external_id"], payment_method=data["payment_method"],
                                       member_code=data["member_code"], actor=Actor.of(request))
            except ApplicationError as error:
                status = add_service_error(form, error)
            else:
                url = reverse("manage:pos-receipt", kwargs={"purchase_id": result.purchase.pk})
                return redirect(url + "?already=1" if result.replayed else url)
    else:
        form = CheckoutForm(initial={"external_id": new_external_id()})
    error_codes = [e.code for errors in form.errors.as_data().values() for e in errors]
    return _page(request, "web/manage/pos_member.html", {
        "info": info, "form": form, "phone": _shown_phone(request, info.member), "error_codes": error_codes,
        "joined": request.method == "GET" and request.GET.get("joined") == "1",
        "asks_spend_code": merchant_id is not None and spend_proof_asked(merchant_id=merchant_id),
        # Pairs come from the purchases at every shop: a partner's cashier is not shown them.
        "suggestions": [] if is_partner_staff(request) else member_suggestions(info.member.pk),
    }, status=status)


def _partial_error(request, template: str, error, status: int | None = None):
    return render(request, template, {"error": error}, status=status or error_status(error))


@staff_required(*TILL, partners=True)
@require_GET
def preview(request, member_id: int):
    info = _member_or_404(member_id, request)
    template = "web/manage/pos_preview.html"
    raw_amount = request.GET.get("amount", "").strip()
    if not raw_amount:
        return render(request, template, {"info": info, "empty": True})
    basket = toman_to_rials(raw_amount)
    if basket is None:
        return _partial_error(request, template, ValidationFailed(
            _("Type the amount in Toman as a whole number, e.g. 250,000."), details={"amount": "invalid"}))
    points = parse_whole(request.GET.get("redeem_points", "").strip() or "0")
    if points is None:
        return _partial_error(request, template, ValidationFailed(
            _("Type the points as a whole number."), details={"redeem_points": "invalid"}))
    merchant_id = staff_merchant_id(request)
    try:
        result = till_preview(merchant_id=merchant_id or 0, member_id=info.member.pk, basket=basket,
                              redeem_points=points, coupon_code=request.GET.get("coupon", "")[:64])
    except ApplicationError as error:
        return _partial_error(request, template, error)
    return render(request, template, {"info": info, "preview": result})


@staff_required(*TILL, partners=True)
@require_GET
def coupon(request, member_id: int):
    info = _member_or_404(member_id, request)
    template = "web/manage/pos_coupon.html"
    code = request.GET.get("coupon", "").strip()[:64]
    if not code:
        return _partial_error(request, template, ValidationFailed(_("Type the coupon code first."),
                                                                  details={"coupon": "required"}))
    basket = toman_to_rials(request.GET.get("amount", "").strip())
    if basket is None:
        return _partial_error(request, template, ValidationFailed(
            _("Type the amount first: a coupon is checked against it."), details={"amount": "required"}))
    try:
        check = coupon_validate(code=code, member_id=info.member.pk, amount=basket,
                                merchant_id=staff_merchant_id(request))
    except ApplicationError as error:
        return _partial_error(request, template, error)
    return render(request, template, {"check": check, "basket": basket})


# --- the receipt --------------------------------------------------------------------------------


@staff_required(*TILL, partners=True)
@require_GET
def receipt(request, purchase_id: int):
    merchant_id = staff_merchant_id(request)
    if merchant_id is None:
        raise Http404
    try:
        found = till_receipt(merchant_id=merchant_id, purchase_id=purchase_id)
    except NotFound:
        raise Http404 from None
    return _page(request, "web/manage/pos_receipt.html", {
        "receipt": found, "purchase": found.purchase, "phone": masked(found.member.phone),
        "already": request.GET.get("already") == "1"})


# --- a sale without a member ---------------------------------------------------------------------


@staff_required(*TILL, partners=True)
@require_http_methods(["GET", "POST"])
def walk_in(request):
    merchant_id = staff_merchant_id(request)
    status = 200
    if request.method == "POST":
        form = WalkInForm(request.POST)
        status = 422
        if merchant_id is None:
            status = _no_shop(form)
        elif form.is_valid():
            data = form.cleaned_data
            try:
                result = walk_in_sale_record(merchant_id=merchant_id, amount=data["amount"],
                                             external_id=data["external_id"], payment_method=data["payment_method"])
            except ApplicationError as error:
                status = add_service_error(form, error)
            else:
                url = reverse("manage:pos-walk-in-receipt", kwargs={"sale_id": result.sale.pk})
                return redirect(url + "?already=1" if result.replayed else url)
    else:
        form = WalkInForm(initial={"external_id": new_external_id()})
    return _page(request, "web/manage/pos_walk_in.html", {"form": form}, status=status)


@staff_required(*TILL, partners=True)
@require_GET
def walk_in_receipt(request, sale_id: int):
    merchant_id = staff_merchant_id(request)
    sale = walk_in_sale_find(merchant_id=merchant_id, sale_id=sale_id) if merchant_id else None
    if sale is None:
        raise Http404
    return _page(request, "web/manage/pos_walk_in_receipt.html", {
        "sale": sale, "already": request.GET.get("already") == "1"})


urlpatterns = [
    path("pos/", index, name="pos"),
    path("pos/join/", join, name="pos-join"),
    path("pos/members/<int:member_id>/", member, name="pos-member"),
    path("pos/members/<int:member_id>/preview/", preview, name="pos-preview"),
    path("pos/members/<int:member_id>/coupon/", coupon, name="pos-coupon"),
    path("pos/receipts/<int:purchase_id>/", receipt, name="pos-receipt"),
    path("pos/walk-in/", walk_in, name="pos-walk-in"),
    path("pos/walk-in/<int:sale_id>/", walk_in_receipt, name="pos-walk-in-receipt"),
]
