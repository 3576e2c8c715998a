"""Logging in and joining with a phone number and a one-time SMS code.

Steps: the phone (a code is sent) -> the code (verified) -> a known member is logged in; an
unknown phone fills a short join form. Between steps the phone lives in the session, never in
the page: the join step uses the phone the code proved, whatever the form sends."""

from __future__ import annotations

import time

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from vafa.core.client_ip import client_ip
from vafa.core.errors import (
    ApplicationError,
    InvalidPhone,
    InvalidReferralCode,
    MemberExists,
    OtpInvalid,
    OtpLocked,
    RateLimited,
)
from vafa.members.models import Member
from vafa.members.services import otp_request, otp_verify
from vafa.usecases.joining import member_join
from vafa.web.access import member_login, member_logout, session_member
from vafa.web.portal.common import blocked_page, error_text, page, retry_text, safe_next
from vafa.web.portal.forms import CodeForm, JoinForm, PhoneForm

PHONE = "portal_otp_phone"  # the phone a code was sent to
SENT_AT = "portal_otp_sent_at"  # when (epoch seconds), for the resend link
VERIFIED = "portal_verified_phone"  # {"phone", "at"}: proved by a code, not yet a member
NEXT = "portal_next"
REF = "portal_ref"
VERIFIED_SECONDS = 15 * 60  # time to fill the join form after the code


def _resend_seconds() -> int:
    return int(getattr(settings, "VAFA_OTP_RESEND_SECONDS", 60))


def _finish_login(request, member: Member):
    if member.status == Member.Status.BLOCKED:
        request.member = member
        return blocked_page(request)
    target = safe_next(request, request.session.get(NEXT))
    for key in (PHONE, SENT_AT, VERIFIED, NEXT, REF):
        request.session.pop(key, None)
    member_login(request, member)
    return redirect(target or "portal:home")


def _remember_next_and_ref(request) -> None:
    target = safe_next(request, request.GET.get("next"))
    if target:
        request.session[NEXT] = target
    ref = request.GET.get("ref", "").strip()
    if ref and len(ref) <= 20:
        request.session[REF] = ref


def _send_code(request, phone: str):
    """Ask for a code; answers None on success, else the error response (422 / 429 / 503)."""
    try:
        otp_request(phone=phone, ip=client_ip(request), now=timezone.now())
    except RateLimited as error:  # OtpLocked too
        return error, 429
    except InvalidPhone as error:
        return error, 422
    request.session[PHONE] = phone
    request.session[SENT_AT] = time.time()
    return None


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.method == "GET":
        _remember_next_and_ref(request)
        member = session_member(request)
        if member is not None and member.status != Member.Status.BLOCKED:
            return redirect(safe_next(request, request.GET.get("next")) or "portal:home")
        return page(request, "login.html", {"form": PhoneForm()})
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return page(request, "login.html", {"form": form}, status=422)
    failed = _send_code(request, form.cleaned_data["phone"])
    if failed is not None:
        error, status = failed
        return page(request, "login.html", {"form": form, "error": error_text(error), "error_code": error.code,
                                            "retry": retry_text(error.details.get("retry_after", 60))
                                            if status == 429 else ""}, status=status)
    return redirect("portal:login_code")


def _code_context(request, form, **extra) -> dict:
    sent_at = request.session.get(SENT_AT) or 0
    wait = max(0, int(sent_at + _resend_seconds() - time.time()))
    return {"form": form, "phone": request.session.get(PHONE), "resend_wait": wait, **extra}


@require_http_methods(["GET", "POST"])
def code_view(request):
    phone = request.session.get(PHONE)
    if not phone:
        return redirect("portal:login")
    if request.method == "GET":
        return page(request, "login_code.html", _code_context(request, CodeForm()))
    form = CodeForm(request.POST)
    if not form.is_valid():
        return page(request, "login_code.html", _code_context(request, form), status=422)
    try:
        phone = otp_verify(phone=phone, code=form.cleaned_data["code"], ip=client_ip(request), now=timezone.now())
    except OtpLocked as error:
        return page(request, "login_code.html", _code_context(
            request, form, error=error_text(error), error_code=error.code,
            retry=retry_text(error.details.get("retry_after", 60))), status=429)
    except (OtpInvalid, InvalidPhone) as error:
        left = error.details.get("attempts_left")
        return page(request, "login_code.html", _code_context(
            request, form, error=error_text(error), error_code=error.code, attempts_left=left), status=422)
    member = Member.objects.filter(phone=phone).first()
    if member is not None:
        return _finish_login(request, member)
    request.session.pop(PHONE, None)
    request.session[VERIFIED] = {"phone": phone, "at": time.time()}
    return redirect("portal:join")


@require_POST
def resend_view(request):
    phone = request.session.get(PHONE)
    if not phone:
        return redirect("portal:login")
    failed = _send_code(request, phone)
    if failed is not None:
        error, status = failed
        return page(request, "login_code.html", _code_context(
            request, CodeForm(), error=error_text(error), error_code=error.code,
            retry=retry_text(error.details.get("retry_after", 60))), status=status)
    return redirect("portal:login_code")


def _verified_phone(request) -> str | None:
    verified = request.session.get(VERIFIED)
    if not isinstance(verified, dict) or time.time() - float(verified.get("at", 0)) > VERIFIED_SECONDS:
        request.session.pop(VERIFIED, None)
        return None
    return verified.get("phone")


@require_http_methods(["GET", "POST"])
def join_view(request):
    phone = _verified_phone(request)
    if phone is None:
        return redirect("portal:login")
    if request.method == "GET":
        form = JoinForm(initial={"referral_code": request.session.get(REF, "")})
        return page(request, "join.html", {"form": form, "phone": phone})
    form = JoinForm(request.POST)
    if not form.is_valid():
        return page(request, "join.html", {"form": form, "phone": phone}, status=422)
    data = form.cleaned_data
    organization = data["kind"] == Member.Kind.ORGANIZATION
    try:
        member = member_join(
            merchant_id=None, phone=phone, first_name=data["first_name"], last_name=data["last_name"],
            kind=data["kind"], organization_name=data["organization_name"] if organization else "",
            referral_code=data["referral_code"])
    except MemberExists:
        member = Member.objects.filter(phone=phone).first()  # joined meanwhile: the phone is proved
        if member is None:
            return redirect("portal:login")
    except InvalidReferralCode as error:
        form.add_error("referral_code", error_text(error))
        return page(request, "join.html", {"form": form, "phone": phone}, status=422)
    except ApplicationError as error:
        form.add_error(None, error_text(error))
        return page(request, "join.html", {"form": form, "phone": phone}, status=error.status)
    return _finish_login(request, member)


def join_link(request):
    """The referral link a member shares (`/join?ref=CODE`): on to the login page with the code."""
    ref = request.GET.get("ref", "").strip()[:20]
    target = reverse("portal:login")
    return redirect(f"{target}?{urlencode({'ref': ref})}" if ref else target)


@require_POST
def logout_view(request):
    member_logout(request)
    return redirect("portal:login")

