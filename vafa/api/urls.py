import json

from ninja import NinjaAPI
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from vafa.api import activity, club, errors, program, rewards
from vafa.api.auth import ApiKeyAuth
from vafa.api.endpoints import router


class StrictJsonParser(Parser):
    def parse_body(self, request):
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data


class Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="Vafa API", version="1", description="Customer club: members, points, purchases, refunds.",
    auth=ApiKeyAuth(), parser=StrictJsonParser(), renderer=Renderer(),
    docs_url="/docs", openapi_url="/openapi.json", urls_namespace="api-v1",
)
errors.install(api)
api.add_router("", router)
api.add_router("", rewards.router)
api.add_router("", club.router)
api.add_router("", activity.router)
api.add_router("", program.router)
