import json

from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from vafa.api import (
    engage,
    errors,
    feedback,
    fulfilment,
    member_events,
    members,
    memberships,
    program,
    purchases,
    recognition,
    rewards,
    webhooks,
)
from vafa.api.auth import ApiKeyAuth
from vafa.core.errors import ValidationFailed


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python accepts them, JSON does not


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class StrictJsonParser(Parser):
    def parse_body(self, request):
        data = json.loads(request.body, parse_constant=_no_constant)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        if _has_nul(data):
            # No database stores a NUL character in text (PostgreSQL refuses it).
            raise ValidationFailed(details={"body": "text may not contain NUL characters"})
        return data


class Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


api = errors.Api(
    title="Vafa API", version="1", description="Customer club: members, points, purchases, refunds.",
    auth=ApiKeyAuth(), parser=StrictJsonParser(), renderer=Renderer(),
    docs_url="/docs", openapi_url="/openapi.json", urls_namespace="api-v1",
)
errors.install(api)
api.add_router("", members.router)
api.add_router("", purchases.router)
api.add_router("", rewards.router)
api.add_router("", memberships.router)
api.add_router("", member_events.router)
api.add_router("", program.router)
api.add_router("", engage.router)
api.add_router("", feedback.router)
api.add_router("", recognition.router)
api.add_router("", fulfilment.router)
api.add_router("", webhooks.router)
