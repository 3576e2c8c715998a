"""Managing staff accounts from the back-office (owners only): list, create, change a role,
deactivate and reactivate, without ever leaving the club with no active owner.

An owner is an active user whose staff role is `owner`, or an active superuser without a
staff profile (`staff_role` counts them as owners too). Changes that would remove the last
one are refused with `last_owner`; the owners' rows are locked while counting, so two owners
demoting each other at the same moment cannot both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet

from vafa.core.audit import Actor, audit_change, audit_record
from vafa.core.errors import LastOwner, StaffNotFound, ValidationFailed
from vafa.core.ids import parse_id
from vafa.merchants.models import StaffRole
from vafa.merchants.staff import ROLES, staff_create, staff_profile_of, staff_role, staff_role_set


def _users():
    return get_user_model().objects


def _staff_q() -> Q:
    return Q(staff_profile__isnull=False) | Q(is_superuser=True)


def staff_list() -> QuerySet:
    """Every staff account (with a role, or a superuser), active ones first, by username."""
    return _users().filter(_staff_q()).select_related("staff_profile").order_by("-is_active", "username")


def staff_get(*, user_id):
    user = _users().filter(_staff_q()).select_related("staff_profile").filter(
        pk=parse_id(user_id, StaffNotFound)).first()
    if user is None:
        raise StaffNotFound(details={"id": str(user_id)[:64]})
    return user


def _owners_locked() -> list[int]:
    """Ids of the active owners, their rows locked until the transaction ends."""
    owner_q = Q(staff_profile__role=StaffRole.OWNER) | Q(is_superuser=True, staff_profile__isnull=True)
    ids = list(_users().filter(owner_q, is_active=True).order_by("pk").values_list("pk", flat=True))
    list(_users().select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    return ids


def _refuse_if_last_owner(user) -> None:
    owners = _owners_locked()
    if user.pk in owners and len(owners) <= 1:
        raise LastOwner(details={"user_id": user.pk})


@dataclass(frozen=True)
class StaffState:
    """What the audit log records of an account (never its password)."""

    username: str
    first_name: str
    last_name: str
    role: str | None
    is_active: bool

    def as_dict(self) -> dict:
        return {"username": self.username, "first_name": self.first_name, "last_name": self.last_name,
                "role": self.role, "is_active": self.is_active}


def staff_state(user) -> StaffState:
    profile = staff_profile_of(user)
    role = profile.role if profile is not None else (StaffRole.OWNER.value if user.is_superuser else None)
    return StaffState(user.get_username(), user.first_name, user.last_name, role, user.is_active)


def staff_account_create(*, username: str, password: str, role: str, first_name: str = "", last_name: str = "",
                         merchant_id: int | None = None, actor: Actor | None = None):
    """A new staff account with a role, audited as made by `actor`. The caller has checked the
    password against Django's validators (the form shows their messages)."""
    if not password:
        raise ValidationFailed(details={"password": "required"})
    for name, value in (("first_name", first_name), ("last_name", last_name)):
        if len(value or "") > 150:
            raise ValidationFailed(details={name: "at most 150 characters"})
    if len((username or "").strip()) > 150:
        raise ValidationFailed(details={"username": "at most 150 characters"})
    with transaction.atomic():
        user = staff_create(username=username, password=password, role=role, first_name=(first_name or "").strip(),
                            last_name=(last_name or "").strip(), merchant_id=merchant_id)
        if actor is not None:
            audit_record(actor=actor, action="staff.create", target=user,
                         after=staff_state(staff_get(user_id=user.pk)).as_dict())
        return user


def staff_role_change(*, user_id, role: str, actor: Actor | None = None):
    """Give an account another role; demoting the last active owner is refused."""
    if role not in ROLES:
        raise ValidationFailed(details={"role": "unknown"})
    with transaction.atomic():
        user = staff_get(user_id=user_id)
        before = staff_state(user).as_dict()
        if staff_role(user) == StaffRole.OWNER and role != StaffRole.OWNER:
            _refuse_if_last_owner(user)
        staff_role_set(user=user, role=role)
        user = staff_get(user_id=user.pk)
        audit_change(actor=actor, action="staff.role_change", target=user, before=before,
                     after=staff_state(user).as_dict())
        return user


def staff_active_set(*, user_id, active: bool, actor: Actor | None = None):
    """Deactivate (the account can no longer log in; its sessions stop working at once) or
    reactivate an account; deactivating the last active owner is refused."""
    with transaction.atomic():
        user = staff_get(user_id=user_id)
        before = staff_state(user).as_dict()
        if not active and user.is_active:
            _refuse_if_last_owner(user)
        if user.is_active != active:
            user.is_active = active
            user.save(update_fields=["is_active"])
        audit_change(actor=actor, action="staff.reactivate" if active else "staff.deactivate", target=user,
                     before=before, after=staff_state(staff_get(user_id=user.pk)).as_dict())
        return user
