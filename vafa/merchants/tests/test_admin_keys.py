"""API keys in the admin: the operator's owner may revoke one, nobody may move it or bring it
back; a manager only looks at merchants, branches and keys."""

import pytest
from django.contrib.auth import get_user_model

from vafa.merchants.models import ApiKey, Merchant
from vafa.merchants.services import api_key_create, merchant_create
from vafa.merchants.staff import staff_create

pytestmark = pytest.mark.django_db


def test_a_key_keeps_its_merchant_and_a_revoked_key_stays_revoked(client):
    a, b = merchant_create(name="A"), merchant_create(name="B")
    key, _raw = api_key_create(merchant=a)
    client.force_login(staff_create(username="maryam", password="long-enough-pass-1", role="owner"))
    url = f"/admin/merchants/apikey/{key.pk}/change/"
    client.post("/admin/merchants/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    revoked = ApiKey.objects.get(pk=key.pk).revoked_at
    assert revoked is not None
    client.post(url, {"name": "renamed", "merchant": b.pk, "revoked_at_0": "", "revoked_at_1": ""})
    key = ApiKey.objects.get(pk=key.pk)
    assert (key.merchant_id, key.revoked_at, key.name) == (a.pk, revoked, "renamed")
    assert get_user_model().objects.get(username="maryam").has_perm("merchants.change_apikey")
    assert get_user_model().objects.get(username="maryam").is_superuser is False


def test_a_manager_sees_merchants_branches_and_keys_in_the_admin_but_changes_none(client):
    a = merchant_create(name="A")
    key, _raw = api_key_create(merchant=a)
    manager = staff_create(username="maryam", password="long-enough-pass-1", role="manager")
    client.force_login(manager)
    assert client.get(f"/admin/merchants/merchant/{a.pk}/change/").status_code == 200
    assert client.post(f"/admin/merchants/merchant/{a.pk}/change/", {"name": "Taken", "slug": "a",
                                                                    "is_active": "on"}).status_code == 403
    assert client.get("/admin/merchants/merchant/add/").status_code == 403
    client.post("/admin/merchants/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    assert (Merchant.objects.get(pk=a.pk).name, manager.has_perm("merchants.change_branch")) == ("A", False)
