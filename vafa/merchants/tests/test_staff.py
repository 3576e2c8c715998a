"""Staff roles: who is staff, which admin permissions each role's group holds, login throttling."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from vafa.core.errors import RateLimited, ValidationFailed
from vafa.merchants.models import LoginFailure, StaffProfile
from vafa.merchants.staff import (
    LOGIN_MAX_PER_IP,
    LOGIN_MAX_PER_USERNAME,
    login_allowed,
    login_failed,
    staff_create,
    staff_role,
    staff_role_set,
)

pytestmark = pytest.mark.django_db


def test_each_role_gets_its_profile_group_and_admin_access():
    made = {role: staff_create(username=role, password="long-enough-pass-1", role=role)
            for role in ("owner", "manager", "cashier", "marketer")}
    for role, user in made.items():
        assert staff_role(user) == role
        assert list(user.groups.values_list("name", flat=True)) == [f"vafa:{role}"]
    # A cashier works the till only: no way into the Django admin.
    assert [u.is_staff for u in made.values()] == [True, True, False, True]
    marketer = get_user_model().objects.get(username="marketer")
    assert marketer.has_perm("program.change_rule") and marketer.has_perm("program.change_reward")
    assert marketer.has_perm("program.change_tier") and marketer.has_perm("program.view_programsettings")
    # The point value is money, and members' tier lists name them by phone
    assert not marketer.has_perm("program.change_programsettings")
    assert not marketer.has_perm("program.view_membertier") and not marketer.has_perm("program.view_ruleaward")
    # Admin lists name members by phone, which marketers only see masked.
    assert not marketer.has_perm("members.view_member") and not marketer.has_perm("rewards.view_coupon")
    assert not marketer.has_perm("ledger.view_transfer")
    manager = get_user_model().objects.get(username="manager")
    assert manager.has_perm("members.change_member") and not manager.has_perm("auth.change_user")
    assert not manager.has_perm("merchants.change_staffprofile")
    owner = get_user_model().objects.get(username="owner")
    assert owner.has_perm("auth.change_user")
    assert not get_user_model().objects.get(username="cashier").has_perm("program.view_rule")


def test_role_change_moves_the_user_between_groups():
    user = staff_create(username="sara", password="long-enough-pass-1", role="cashier")
    staff_role_set(user=user, role="manager")
    user.refresh_from_db()
    assert staff_role(user) == "manager" and user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["vafa:manager"]
    assert StaffProfile.objects.filter(user=user).count() == 1


def test_a_superuser_given_a_lesser_role_stops_being_superuser():
    boss = get_user_model().objects.create_superuser("boss", "b@example.com", "long-enough-pass-1")
    staff_role_set(user=boss, role="owner")
    assert get_user_model().objects.get(pk=boss.pk).is_superuser
    staff_role_set(user=boss, role="manager")
    boss = get_user_model().objects.get(pk=boss.pk)
    assert not boss.is_superuser and not boss.has_perm("auth.change_user")


def test_superuser_without_profile_is_owner_and_others_are_not_staff():
    User = get_user_model()
    boss = User.objects.create_superuser("boss", "b@example.com", "long-enough-pass-1")
    plain = User.objects.create_user("plain", password="long-enough-pass-1")
    assert staff_role(boss) == "owner"
    assert staff_role(plain) is None
    boss.is_active = False
    assert staff_role(boss) is None


def test_bad_role_or_taken_username_creates_nothing():
    staff_create(username="ali", password="long-enough-pass-1", role="cashier")
    users, groups = get_user_model().objects.count(), Group.objects.count()
    with pytest.raises(ValidationFailed):
        staff_create(username="ALI", password="long-enough-pass-1", role="cashier")
    with pytest.raises(ValidationFailed):
        staff_create(username="reza", password="long-enough-pass-1", role="admin")
    assert get_user_model().objects.count() == users and Group.objects.count() == groups


def test_logins_are_throttled_per_username_and_address_and_per_address():
    for _ in range(LOGIN_MAX_PER_USERNAME - 1):
        login_failed(username="Ali", ip="10.0.0.1")
    login_allowed(username="ali", ip="10.0.0.1")
    login_failed(username="ali", ip="10.0.0.1")
    with pytest.raises(RateLimited) as raised:
        login_allowed(username="ALI", ip="10.0.0.1")
    assert 1 <= raised.value.details["retry_after"] <= 15 * 60 + 1
    login_allowed(username="ali", ip="10.0.0.9")  # the name from another address is not locked
    login_allowed(username="reza", ip="10.0.0.1")  # nor another name from this one, yet

    for n in range(LOGIN_MAX_PER_IP - LOGIN_MAX_PER_USERNAME):
        login_failed(username=f"guess{n}", ip="10.0.0.1")
    with pytest.raises(RateLimited):
        login_allowed(username="someone-new", ip="10.0.0.1")
    assert LoginFailure.objects.count() == LOGIN_MAX_PER_IP
