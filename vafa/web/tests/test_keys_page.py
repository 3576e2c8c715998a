"""Back-office API keys: owners only; create with scopes (the secret shown once), change the
scopes, rotate, revoke; a partner's key never gets the operator's scopes; all audited."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from vafa.api.tests.test_api_errors import ApiClient
from vafa.core.models import AuditEntry
from vafa.core.tests.fixtures import db_state
from vafa.merchants.models import ApiKey
from vafa.merchants.services import api_key_create, merchant_create
from vafa.merchants.staff import staff_create

pytestmark = pytest.mark.django_db
KEYS = reverse("manage:keys")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(db):
    return logged_in(staff_create(username="owner", password="vafa-test-pass-1", role="owner"))


def _secret(response) -> str:
    """The new key as the page shows it, once."""
    return re.search(r'value="(vafa_[^"]+)" aria-label="[^"]*" data-testid="new-key-secret"',
                     response.content.decode()).group(1)


@pytest.mark.parametrize("role", ["manager", "cashier", "marketer"])
def test_only_owners_open_the_keys_page(role, merchant):
    key, _raw = api_key_create(merchant=merchant)
    client = logged_in(staff_create(username=f"{role}-1", password="vafa-test-pass-1", role=role))
    before = db_state(ApiKey)
    assert client.get(KEYS).status_code == 403
    body = {"merchant": merchant.pk, "name": "x", "scopes": ["program"]}
    assert client.post(reverse("manage:keys-create"), body).status_code == 403
    assert client.post(reverse("manage:keys-scopes", args=[key.pk]), {"scopes": ["members:read"]}).status_code == 403
    assert client.post(reverse("manage:keys-rotate", args=[key.pk])).status_code == 403
    assert client.post(reverse("manage:keys-revoke", args=[key.pk])).status_code == 403
    assert db_state(ApiKey) == before
    assert not AuditEntry.objects.exists()


def test_the_owner_creates_a_key_that_does_only_its_scopes(owner_client, merchant, member):
    response = owner_client.post(reverse("manage:keys-create"),
                                 {"merchant": merchant.pk, "name": "website", "scopes": ["members:read"]})
    assert response.status_code == 201
    raw = _secret(response)
    key = ApiKey.objects.get()
    assert (key.name, key.scopes, key.digest != raw) == ("website", ["members:read"], True)
    assert raw not in owner_client.get(KEYS).content.decode()  # shown once
    api = ApiClient(raw)
    assert api.get(f"/members/{member.id}").status_code == 200
    assert api.post("/purchases", {"member_id": member.id, "amount": 10_000}).status_code == 403
    entry = AuditEntry.objects.get(action="api_key.create")
    assert entry.after == {"name": "website", "scopes": ["members:read"], "revoked": False}
    assert raw not in str(entry.after) and entry.actor_name == "owner"
    assert '<td data-testid="last-used"><span class="muted">never' not in owner_client.get(KEYS).content.decode()


def test_a_partners_key_cannot_get_the_operators_scopes(owner_client, merchant):
    partner = merchant_create(name="partner")
    response = owner_client.post(reverse("manage:keys-create"),
                                 {"merchant": partner.pk, "name": "till", "scopes": ["purchases", "program"]})
    assert response.status_code == 422
    assert "program" in response.content.decode()
    assert not ApiKey.objects.exists()
    key, _raw = api_key_create(merchant=partner, scopes=["purchases"])
    before = db_state(ApiKey)
    response = owner_client.post(reverse("manage:keys-scopes", args=[key.pk]), {"scopes": ["members:pii"]})
    assert response.status_code == 422 and db_state(ApiKey) == before


def test_the_owner_changes_scopes_rotates_and_revokes(owner_client, merchant, member):
    key, raw = api_key_create(merchant=merchant, scopes=["purchases"])
    assert owner_client.post(reverse("manage:keys-scopes", args=[key.pk]),
                             {"scopes": ["members:read", "purchases"]}).status_code == 302
    assert ApiKey.objects.get(pk=key.pk).scopes == ["members:read", "purchases"]
    rotated = owner_client.post(reverse("manage:keys-rotate", args=[key.pk]))
    assert rotated.status_code == 201
    new_raw = _secret(rotated)
    assert ApiClient(raw).get(f"/members/{member.id}").status_code == 401
    assert ApiClient(new_raw).get(f"/members/{member.id}").status_code == 200
    new_key = ApiKey.objects.get(revoked_at__isnull=True)
    assert new_key.scopes == ["members:read", "purchases"]
    assert owner_client.post(reverse("manage:keys-revoke", args=[new_key.pk])).status_code == 302
    assert ApiClient(new_raw).get(f"/members/{member.id}").status_code == 401
    assert owner_client.post(reverse("manage:keys-rotate", args=[new_key.pk])).status_code == 409
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["api_key.scopes", "api_key.rotate", "api_key.revoke"]
    page = owner_client.get(KEYS).content.decode()
    assert page.count('data-revoked="1"') == 2


def test_an_unknown_key_is_404(owner_client):
    assert owner_client.post(reverse("manage:keys-revoke", args=[999])).status_code == 404
