"""The webhooks API at its edges: odd ids and URLs answer 4xx, never 500, and a URL that
leads nowhere useful is refused when it is given, not on every delivery."""

import pytest

from vafa.api.tests.test_api_scopes import _client, assert_error
from vafa.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db
URL = "https://hooks.example.com/vafa"


@pytest.mark.parametrize("suffix", ["", "/deliveries", "/enable", "/rotate-secret", "/deliveries/msg_x/replay"])
def test_a_superscript_digit_id_is_not_found_not_a_500(merchant, suffix):
    api = _client(merchant, "webhooks")
    api.post("/webhooks", {"url": URL, "events": ["member.created"]})
    path = "/webhooks/%C2%B2" + suffix  # "²": str.isdigit() is True, int() refuses it
    response = api.get(path) if suffix in ("", "/deliveries") else api.post(path, {})
    assert_error(response, 404, "webhook_not_found")


def test_deleting_a_superscript_digit_id_is_not_found_not_a_500(merchant):
    api = _client(merchant, "webhooks")
    response = api.client.delete("/api/v1/webhooks/%C2%B2", headers=api.headers)
    assert_error(response, 404, "webhook_not_found")


@pytest.mark.parametrize("url", [
    "https://hooks.example.com:0/vafa",  # port 0: delivered to 443 (`parts.port or 443`)
])
def test_a_url_that_cannot_be_called_is_refused_when_given(merchant, url):
    assert_error(_client(merchant, "webhooks").post("/webhooks", {"url": url, "events": ["member.created"]}),
                 422, "validation_error")
    assert not WebhookEndpoint.objects.exists()


def test_a_host_with_a_dns_label_over_63_characters_is_refused_when_given(merchant):
    url = "https://" + "a" * 64 + ".example.com/hook"  # every delivery crashes in getaddrinfo (idna)
    assert_error(_client(merchant, "webhooks").post("/webhooks", {"url": url, "events": ["member.created"]}),
                 422, "validation_error")
