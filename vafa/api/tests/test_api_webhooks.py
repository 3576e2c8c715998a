"""The webhooks API: create (the secret shown once), list, get, delete, rotate, enable, the
deliveries log and replay; the `webhooks` scope; a merchant sees only its own endpoints."""

import pytest

from vafa.api.tests.test_api_scopes import _client, assert_error
from vafa.merchants.services import merchant_create
from vafa.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db
URL = "https://hooks.example.com/vafa"


def delete(api, path):
    return api.client.delete(f"/api/v1{path}", headers=api.headers)


def test_an_endpoint_is_created_listed_rotated_and_deleted(merchant):
    api = _client(merchant, "webhooks")
    created = api.post("/webhooks", {"url": URL, "events": ["purchase.recorded", "tier.changed"],
                                            "description": "shop"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["status"] == "enabled"
    assert body["events"] == ["purchase.recorded", "tier.changed"]
    listed = api.get("/webhooks").json()
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    assert "secret" not in api.get(f"/webhooks/{body['id']}").json()
    rotated = api.post(f"/webhooks/{body['id']}/rotate-secret", {})
    assert rotated.status_code == 200 and rotated.json()["secret"] != body["secret"]
    assert rotated.json()["previous_valid_until"]
    assert api.get(f"/webhooks/{body['id']}/deliveries").json() == {"items": [], "next_cursor": None}
    assert delete(api, f"/webhooks/{body['id']}").status_code == 204
    assert_error(api.get(f"/webhooks/{body['id']}"), 404, "webhook_not_found")
    # The audit log records each change, never a secret
    from vafa.core.models import AuditEntry

    entries = AuditEntry.objects.filter(action__startswith="api.webhook.").order_by("pk")
    assert [e.action for e in entries] == ["api.webhook.create", "api.webhook.rotate_secret", "api.webhook.delete"]
    assert entries[0].after["url"] == URL
    for entry in entries:
        assert "whsec_" not in str(entry.before) + str(entry.after)


@pytest.mark.parametrize("payload", [
    {"url": "ftp://example.com/x", "events": ["purchase.recorded"]},
    {"url": "not a url", "events": ["purchase.recorded"]},
    {"url": URL, "events": ["purchase.exploded"]},
    {"url": URL, "events": []},
    {"url": URL},
])
def test_bad_input_is_422_and_changes_nothing(merchant, payload):
    assert_error(_client(merchant, "webhooks").post("/webhooks", payload), 422, "validation_error")
    assert not WebhookEndpoint.objects.exists()


def test_the_scope_is_required_and_another_merchants_endpoint_is_not_found(merchant):
    assert_error(_client(merchant, "purchases").get("/webhooks"), 403, "forbidden")
    assert_error(_client(merchant, "purchases").post("/webhooks", {"url": URL, "events": ["member.created"]}),
                 403, "forbidden")
    mine = _client(merchant, "webhooks").post("/webhooks", {"url": URL, "events": ["member.created"]}).json()
    partner = _client(merchant_create(name="شریک"), "webhooks")
    assert partner.get("/webhooks").json() == []
    for call in (partner.get(f"/webhooks/{mine['id']}"), delete(partner, f"/webhooks/{mine['id']}"),
                 partner.post(f"/webhooks/{mine['id']}/rotate-secret", {}),
                 partner.get(f"/webhooks/{mine['id']}/deliveries")):
        assert_error(call, 404, "webhook_not_found")
    assert WebhookEndpoint.objects.get().deleted_at is None


def test_deliveries_are_paged_newest_first_and_a_message_is_replayed_and_enabled(merchant):
    api = _client(merchant, "webhooks")
    created = api.post("/webhooks", {"url": URL, "events": ["member.created"]}).json()
    endpoint = WebhookEndpoint.objects.get()
    message = WebhookMessage.objects.create(public_id="msg_01TEST", endpoint=endpoint, type="member.created",
                                            payload={"type": "member.created", "timestamp": "t", "data": {}})
    for code in (500, 429, 200):
        WebhookAttempt.objects.create(message=message, endpoint=endpoint, status_code=code)
    first = api.get(f"/webhooks/{created['id']}/deliveries?limit=2").json()
    assert [a["status_code"] for a in first["items"]] == [200, 429] and first["next_cursor"]
    rest = api.get(f"/webhooks/{created['id']}/deliveries?limit=2&cursor={first['next_cursor']}").json()
    assert [a["status_code"] for a in rest["items"]] == [500] and rest["next_cursor"] is None
    replayed = api.post(f"/webhooks/{created['id']}/deliveries/msg_01TEST/replay", {})
    assert replayed.status_code == 202 and replayed.json() == {"message_id": "msg_01TEST", "status": "pending"}
    assert_error(api.post(f"/webhooks/{created['id']}/deliveries/msg_nope/replay", {}), 404,
                 "webhook_message_not_found")
    WebhookEndpoint.objects.update(status="disabled", disabled_reason="gone")
    enabled = api.post(f"/webhooks/{created['id']}/enable", {})
    assert enabled.status_code == 200 and enabled.json()["status"] == "enabled"
