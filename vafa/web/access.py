"""Who may open a page: staff by role, members by their own session.

Every back-office view is wrapped in `staff_required(...)`, which records the roles it allows
on the view (`allowed_roles`), so a test can walk the URLs and check each one for each role.
Member pages take the member from the session only: a member never names whose data to show.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from vafa.members.models import Member
from vafa.merchants.models import StaffRole
from vafa.merchants.selectors import club_merchant_id, staff_is_partner, staff_profile_of, staff_role

OWNER = StaffRole.OWNER.value
MANAGER = StaffRole.MANAGER.value
CASHIER = StaffRole.CASHIER.value
MARKETER = StaffRole.MARKETER.value

ALL_STAFF = (OWNER, MANAGER, CASHIER, MARKETER)
MANAGERS = (OWNER, MANAGER)
REPORT_READERS = (OWNER, MANAGER, MARKETER)
TILL = (OWNER, MANAGER, CASHIER)
ENGAGERS = (OWNER, MANAGER, MARKETER)  # segments, campaigns, automations, surveys, badges, contests

MEMBER_SESSION_KEY = "vafa_member_id"


def staff_required(*roles: str, partners: bool = False):
    """Only active staff in one of `roles`; others are sent to log in, or refused (403). A
    partner's staff (of a merchant other than the operator) only where `partners` says: the
    till, which records their merchant's own sales."""
    allowed = frozenset(roles)

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            role = staff_role(request.user)
            if role is None:
                return redirect_to_login(request.get_full_path(), reverse("manage:login"))
            if role not in allowed or (not partners and is_partner_staff(request)):
                raise PermissionDenied
            request.staff_role = role
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = allowed
        wrapped.partner_staff = partners
        return wrapped

    return decorate


def is_partner_staff(request) -> bool:
    """Does the logged-in staff member work for a partner (not the club's operator)?"""
    return staff_is_partner(staff_profile_of(request.user))


def member_login(request, member: Member) -> None:
    # A new session key on login, so a key planted before it is worth nothing after.
    request.session.cycle_key()
    request.session[MEMBER_SESSION_KEY] = member.pk


def member_logout(request) -> None:
    request.session.pop(MEMBER_SESSION_KEY, None)
    request.session.cycle_key()


def session_member(request) -> Member | None:
    member_id = request.session.get(MEMBER_SESSION_KEY)
    if member_id is None:
        return None
    return Member.objects.filter(pk=member_id).first()


def member_required(view):
    """The logged-in member as `request.member`; anyone else goes to the login page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        member = session_member(request)
        if member is None:
            login = reverse("portal:login")
            if request.get_full_path() == reverse("portal:home"):
                return redirect(login)  # home is where a login lands anyway
            return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
        request.member = member
        return view(request, *args, **kwargs)

    wrapped.member_only = True
    return wrapped


def staff_merchant_id(request) -> int | None:
    """The merchant a staff member works for: their own, else the club's first active merchant
    (a single-shop club has one). None when no merchant exists yet."""
    profile = staff_profile_of(request.user)
    if profile is not None and profile.merchant_id is not None:
        return profile.merchant_id
    return club_merchant_id()
