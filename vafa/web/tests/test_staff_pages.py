"""Back-office staff accounts: owners only; create with Django's password validators; change
a role; deactivate/reactivate; never leave the club without an active owner; all audited."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from vafa.core.models import AuditEntry
from vafa.merchants.models import StaffProfile
from vafa.merchants.staff import staff_create, staff_role

pytestmark = pytest.mark.django_db
STAFF = reverse("manage:staff")
User = get_user_model()


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(db):
    return staff_create(username="owner", password="vafa-test-pass-1", role="owner", first_name="Nasrin")


@pytest.fixture
def owner_client(owner):
    return logged_in(owner)


def accounts() -> list:
    return sorted(User.objects.values_list("username", "is_active", "staff_profile__role"))


@pytest.mark.parametrize("role", ["manager", "cashier", "marketer"])
def test_only_owners_open_the_staff_page(role, owner):
    user = staff_create(username=f"{role}-1", password="vafa-test-pass-1", role=role)
    client = logged_in(user)
    before = accounts()
    assert client.get(STAFF).status_code == 403
    body = {"username": "eve", "password1": "a-Long-enough-pass-99", "password2": "a-Long-enough-pass-99",
            "role": "owner"}
    assert client.post(reverse("manage:staff-create"), body).status_code == 403
    assert client.post(reverse("manage:staff-role", args=[user.pk]), {"role": "owner"}).status_code == 403
    assert client.post(reverse("manage:staff-deactivate", args=[owner.pk])).status_code == 403
    assert accounts() == before
    assert AuditEntry.objects.count() == 0


def test_owner_sees_the_staff_list(owner_client, owner):
    staff_create(username="ali", password="vafa-test-pass-1", role="cashier", first_name="Ali")
    response = owner_client.get(STAFF)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-username="ali" data-role="cashier" data-active="1"' in html
    assert 'data-username="owner" data-role="owner" data-active="1"' in html


def test_owner_creates_a_staff_account_audited_without_the_password(owner_client, owner):
    body = {"username": "maryam", "first_name": "Maryam", "last_name": "Rad", "role": "manager",
            "password1": "Sunny-Teapot-4821", "password2": "Sunny-Teapot-4821"}
    response = owner_client.post(reverse("manage:staff-create"), body)
    assert response.status_code == 302
    user = User.objects.get(username="maryam")
    assert user.check_password("Sunny-Teapot-4821")
    assert staff_role(user) == "manager"
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_id, entry.target_type, entry.target_id) == (
        "staff.create", owner.pk, "auth.user", str(user.pk))
    assert entry.before is None
    assert entry.after == {"username": "maryam", "first_name": "Maryam", "last_name": "Rad", "role": "manager",
                           "is_active": True}
    assert "Sunny-Teapot-4821" not in str(entry.after) and "password" not in str(entry.after)


@pytest.mark.parametrize("password1,password2,field", [
    ("12345678", "12345678", "password1"),                    # common and numeric
    ("short", "short", "password1"),                          # too short
    ("maryamrad1", "maryamrad1", "password1"),                # like the username
    ("Sunny-Teapot-4821", "Sunny-Teapot-4822", "password2"),  # not the same twice
])
def test_weak_or_mismatched_password_is_refused(owner_client, password1, password2, field):
    before = accounts()
    body = {"username": "maryamrad", "role": "cashier", "password1": password1, "password2": password2}
    response = owner_client.post(reverse("manage:staff-create"), body)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert accounts() == before
    assert AuditEntry.objects.count() == 0


def test_an_existing_username_is_refused(owner_client):
    before = accounts()
    body = {"username": "OWNER", "role": "cashier", "password1": "Sunny-Teapot-4821", "password2": "Sunny-Teapot-4821"}
    response = owner_client.post(reverse("manage:staff-create"), body)
    assert response.status_code == 422
    assert "username" in response.context["form"].errors
    assert accounts() == before


def test_change_a_role_is_audited(owner_client):
    ali = staff_create(username="ali", password="vafa-test-pass-1", role="cashier")
    response = owner_client.post(reverse("manage:staff-role", args=[ali.pk]), {"role": "marketer"})
    assert response.status_code == 302
    assert StaffProfile.objects.get(user=ali).role == "marketer"
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.before, entry.after) == ("staff.role_change", {"role": "cashier"},
                                                         {"role": "marketer"})
    # an unknown role changes nothing
    assert owner_client.post(reverse("manage:staff-role", args=[ali.pk]), {"role": "boss"}).status_code == 422
    assert StaffProfile.objects.get(user=ali).role == "marketer"


def test_the_last_owner_cannot_demote_or_deactivate_themselves(owner_client, owner):
    before = accounts()
    response = owner_client.post(reverse("manage:staff-role", args=[owner.pk]), {"role": "manager"})
    assert response.status_code == 409
    response = owner_client.post(reverse("manage:staff-deactivate", args=[owner.pk]))
    assert response.status_code == 409
    assert accounts() == before
    assert AuditEntry.objects.count() == 0


def test_with_a_second_owner_an_owner_may_step_down(owner_client, owner):
    staff_create(username="partner", password="vafa-test-pass-1", role="owner")
    response = owner_client.post(reverse("manage:staff-role", args=[owner.pk]), {"role": "manager"})
    assert response.status_code == 302
    assert StaffProfile.objects.get(user=owner).role == "manager"


def test_a_superuser_without_a_profile_counts_as_an_owner(owner_client, owner):
    User.objects.create_superuser(username="root", password="vafa-test-pass-1")
    response = owner_client.post(reverse("manage:staff-deactivate", args=[owner.pk]))
    assert response.status_code == 302
    assert User.objects.get(pk=owner.pk).is_active is False


def test_deactivate_and_reactivate(owner_client):
    ali = staff_create(username="ali", password="vafa-test-pass-1", role="cashier")
    ali_client = logged_in(ali)
    assert ali_client.get(reverse("manage:members")).status_code == 200
    assert owner_client.post(reverse("manage:staff-deactivate", args=[ali.pk])).status_code == 302
    assert User.objects.get(pk=ali.pk).is_active is False
    # the deactivated account's session no longer opens the back-office
    assert ali_client.get(reverse("manage:members")).status_code == 302
    assert owner_client.post(reverse("manage:staff-reactivate", args=[ali.pk])).status_code == 302
    assert User.objects.get(pk=ali.pk).is_active is True
    assert list(AuditEntry.objects.order_by("id").values_list("action", "before", "after")) == [
        ("staff.deactivate", {"is_active": True}, {"is_active": False}),
        ("staff.reactivate", {"is_active": False}, {"is_active": True}),
    ]


def test_unknown_account_is_404(owner_client):
    assert owner_client.post(reverse("manage:staff-deactivate", args=[424242])).status_code == 404


def test_with_partners_the_owner_chooses_whom_a_new_account_works_for(owner_client):
    from vafa.merchants.services import merchant_create

    operator, partner = merchant_create(name="Club shop"), merchant_create(name="Partner cafe")
    page = owner_client.get(reverse("manage:staff")).content.decode()
    assert 'name="merchant"' in page and "Partner cafe" in page
    body = {"username": "barista", "role": "manager", "merchant": str(partner.pk),
            "password1": "Sunny-Teapot-4821", "password2": "Sunny-Teapot-4821"}
    assert owner_client.post(reverse("manage:staff-create"), body).status_code == 302
    user = User.objects.get(username="barista")
    assert (user.staff_profile.merchant_id, user.is_staff) == (partner.pk, False)
    assert operator.pk != partner.pk
