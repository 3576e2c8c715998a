"""What the webhooks accept from outside: an endpoint's URL and the events it wants."""

from typing import Annotated
from urllib.parse import urlsplit

from django.conf import settings
from pydantic import AfterValidator, Field

from vafa.core.inputs import Input, Text, Texts, fail
from vafa.webhooks.models import EVENT_TYPES

URL_WHY = "an https:// URL with a host (http:// only where private receivers are allowed)"


def _url(value: str) -> str:
    try:
        parts = urlsplit(value)
        host, port = parts.hostname, parts.port  # a bad port raises here
    except ValueError:
        fail(URL_WHY)
    allowed = ("https", "http") if settings.WEBHOOKS_ALLOW_PRIVATE else ("https",)
    if parts.scheme not in allowed or not host or parts.username or parts.password or any(c.isspace() for c in value):
        fail(URL_WHY)
    if port == 0:
        fail(URL_WHY)
    try:
        host.encode("idna")  # what the resolver will do: a label over 63 characters cannot be called
    except UnicodeError:
        fail(URL_WHY)
    return value


def _some(value: list[str]) -> list[str]:
    if not value:
        fail("at least one event type")
    return value


class EndpointInput(Input):
    url: Annotated[Text(1000, min_length=1, why=URL_WHY), AfterValidator(_url)] = Field(
        description="where the deliveries are POSTed")
    events: Annotated[Texts(choices=EVENT_TYPES, each=f"one of {', '.join(EVENT_TYPES)}"),
                      AfterValidator(_some)] = Field(description="the event types to deliver")
    description: Text(200) = Field("", description="the owner's note")
