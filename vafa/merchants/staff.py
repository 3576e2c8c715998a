"""Staff roles: who may do what in the back-office and the Django admin.

    owner     everything, including staff accounts
    manager   everything but staff accounts: members, points, POS, program, reports
    cashier   the POS screen and the member lookup it needs
    marketer  reports, members (read, phones masked), the program (rules, tiers, rewards) and the dry run

Each role is also a Django group holding the admin permissions it needs, so the admin enforces
the same split (a cashier has no admin access at all).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from vafa.core.client_ip import address_group
from vafa.core.errors import RateLimited, ValidationFailed
from vafa.merchants.models import LoginFailure, Merchant, StaffProfile, StaffRole

ROLES = tuple(StaffRole.values)
# What each role may change in the admin, by app ("program") or model ("program.rule"); the
# models in ADMIN_VIEW it may only look at.
_ADMIN_CHANGE = {
    # Not the merchants, their branches or API keys: only the operator's owners change those.
    StaffRole.MANAGER: {"members", "ledger", "program", "rewards", "referrals", "commerce", "member_events", "core"},
    # The rules, tiers and rewards only: lists of members' tiers and awards name members by
    # phone, which the back-office masks for marketers, and the point value is money.
    StaffRole.MARKETER: {"program.rule", "program.rulerevision", "program.tier", "program.reward"},
    StaffRole.CASHIER: set(),
}
_ADMIN_VIEW = {
    StaffRole.MANAGER: {"merchants.merchant", "merchants.branch", "merchants.apikey"},
    StaffRole.MARKETER: {"program.programsettings"},
}

# Roles and login records: only an owner may touch them, or a manager could make themselves owner.
_OWNER_ONLY_MODELS = {"staffprofile", "loginfailure"}

LOGIN_WINDOW = timedelta(minutes=15)
# Wrong passwords lock a name at one address (IPv6 by its /64) and an address for all names:
# never a name everywhere, or anyone could lock the owner out by typing wrong passwords.
# `vafa unlock-login NAME` clears a name's failures.
LOGIN_MAX_PER_USERNAME = 5  # per name and address
LOGIN_MAX_PER_IP = 20

def _covers(names: set[str], content_type) -> bool:
    return content_type.app_label in names or f"{content_type.app_label}.{content_type.model}" in names


def staff_profile_of(user) -> StaffProfile | None:
    """The user's staff profile, or None (no profile, or anonymous)."""
    return getattr(user, "staff_profile", None)


def staff_role(user) -> str | None:
    """The user's role, or None for anyone who is not active staff."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    profile = staff_profile_of(user)
    if profile is not None:
        return profile.role
    return StaffRole.OWNER if user.is_superuser else None


def role_groups_ensure() -> None:
    """One group per role with its admin permissions (run after every migrate)."""
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=f"vafa:{role}")
        if role == StaffRole.OWNER:
            perms = Permission.objects.all()
        else:
            change = _ADMIN_CHANGE.get(role, set())
            view = _ADMIN_VIEW.get(role, set())
            perms = [p for p in Permission.objects.select_related("content_type")
                     if p.content_type.model not in _OWNER_ONLY_MODELS
                     and (_covers(change, p.content_type) or (_covers(view, p.content_type)
                                                             and p.codename.startswith("view_")))]
        group.permissions.set(perms)


@transaction.atomic
def staff_role_set(*, user, role: str) -> StaffProfile:
    if role not in ROLES:
        raise ValidationFailed(details={"role": "unknown"})
    profile, _ = StaffProfile.objects.update_or_create(user=user, defaults={"role": role})
    # The admin shows the whole club: a partner's staff work only in the back-office's till.
    partner = staff_is_partner(profile)
    user.is_staff = role != StaffRole.CASHIER and not partner
    # A superuser bypasses every admin permission: only the operator's owner keeps that.
    user.is_superuser = user.is_superuser and role == StaffRole.OWNER and not partner
    user.save(update_fields=["is_staff", "is_superuser"])
    user.groups.remove(*Group.objects.filter(name__startswith="vafa:"))
    group, _ = Group.objects.get_or_create(name=f"vafa:{role}")
    user.groups.add(group)
    return profile


def staff_is_partner(profile: StaffProfile | None) -> bool:
    """Does this staff member work for a partner (a merchant other than the club's operator)?"""
    from vafa.merchants.services import operator_id

    return profile is not None and profile.merchant_id is not None and profile.merchant_id != operator_id()


@transaction.atomic
def staff_create(*, username: str, password: str, role: str, first_name: str = "", last_name: str = "",
                 merchant_id: int | None = None):
    username = (username or "").strip()
    if not username:
        raise ValidationFailed(details={"username": "required"})
    if role not in ROLES:
        raise ValidationFailed(details={"role": "unknown"})
    User = get_user_model()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed(details={"username": "exists"})
    user = User.objects.create_user(username=username, password=password, first_name=first_name,
                                    last_name=last_name)
    if merchant_id is not None:
        if not Merchant.objects.filter(pk=merchant_id).exists():
            raise ValidationFailed(details={"merchant": "unknown"})
        StaffProfile.objects.create(user=user, role=role, merchant_id=merchant_id)
    staff_role_set(user=user, role=role)
    return user


def staff_deactivate(*, user) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


def login_allowed(*, username: str, ip: str | None) -> None:
    """Raises RateLimited when this name failed too often lately from this address, or this
    address did for any name."""
    now = timezone.now()
    address = address_group(ip)
    recent = LoginFailure.objects.filter(at__gte=now - LOGIN_WINDOW, ip=address)
    by_name = recent.filter(username=username.lower()).order_by("at").values_list("at", flat=True)
    if username and by_name.count() >= LOGIN_MAX_PER_USERNAME:
        raise RateLimited(details={"retry_after": _retry_after(by_name.first(), now)})
    if address:
        by_ip = recent.order_by("at").values_list("at", flat=True)
        if by_ip.count() >= LOGIN_MAX_PER_IP:
            raise RateLimited(details={"retry_after": _retry_after(by_ip.first(), now)})


def _retry_after(oldest, now) -> int:
    return max(1, int((oldest + LOGIN_WINDOW - now).total_seconds()) + 1)


def login_failed(*, username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=(username or "").lower()[:150], ip=address_group(ip), at=timezone.now())


def login_unlock(*, username: str) -> int:
    """Forget a name's failed logins from every address; answers how many there were."""
    deleted, _ = LoginFailure.objects.filter(username=username.strip().lower()).delete()
    return deleted


def login_failures_purge(*, before) -> int:
    """Forget failed logins older than `before` (the throttle looks back 15 minutes)."""
    from vafa.core.retention import purge

    return purge(LoginFailure.objects.filter(at__lt=before))
