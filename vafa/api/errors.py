"""One error shape for the whole API: {"error": {"code", "message", "details"}}."""

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from vafa.core.audit import calling_key_reset, calling_key_set
from vafa.core.errors import (
    ApplicationError,
    MalformedJson,
    NotFound,
    RequestTooLarge,
    Unauthorized,
    ValidationFailed,
)
from vafa.core.inputs import Input, error_details


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": str(message), "details": details or {}}}


def application_error_response(exc: ApplicationError) -> JsonResponse:
    response = JsonResponse(error_body(exc.code, exc.message, exc.details), status=exc.status,
                            json_dumps_params={"ensure_ascii": False})
    if exc.status == 429 and isinstance(exc.details.get("retry_after"), int):
        response["Retry-After"] = str(max(1, exc.details["retry_after"]))
    return response


_SOURCES = ("body", "query", "path")  # what the paths always left out


def validation_details(errors: list[dict]) -> dict:
    """Ninja's errors as {path: why}, every one. A body that is one of the domain's input models
    (vafa.core.inputs.Input) is answered in the services' own paths ("items[0].sku",
    "conditions.hours.from"); the API's other schemas keep theirs ("occasions.0.date")."""
    located = []
    for error in errors:
        loc = list(error.get("loc", ()))
        if loc and loc[0] in _SOURCES:
            loc = loc[2:] if loc[0] == "body" and loc[1:2] == ["payload"] else loc[1:]
        if not error.get("domain"):
            loc = [".".join(str(part) for part in loc)] if loc else []
        located.append({**error, "loc": tuple(loc), "msg": error.get("msg", "invalid")})
    return error_details(located, every=True)


def _takes_an_input(model) -> bool:
    return any(isinstance(f.annotation, type) and issubclass(f.annotation, Input) for f in model.model_fields.values())


class Api(NinjaAPI):
    """The API: its validation errors remember whether they are a domain input model's."""

    def validation_error_from_error_contexts(self, error_contexts):
        error = super().validation_error_from_error_contexts(error_contexts)
        marks = [_takes_an_input(c.model) for c in error_contexts for _e in c.pydantic_validation_error.errors()]
        for item, domain in zip(error.errors, marks, strict=True):
            item["domain"] = domain
        return error


def install(api) -> None:
    from ninja.errors import AuthenticationError, HttpError
    from ninja.errors import ValidationError as NinjaValidationError

    @api.exception_handler(ApplicationError)
    def on_application_error(request, exc):
        return application_error_response(exc)

    @api.exception_handler(NinjaValidationError)
    def on_validation_error(request, exc):
        if request.method in ("POST", "PUT", "PATCH") and not request.body.strip():
            return application_error_response(MalformedJson(details={"body": "empty"}))
        return application_error_response(ValidationFailed(details=validation_details(exc.errors)))

    @api.exception_handler(AuthenticationError)
    def on_auth_error(request, exc):
        return application_error_response(Unauthorized())

    @api.exception_handler(HttpError)
    def on_http_error(request, exc):
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ApplicationError):  # refused by our body parser (ninja wraps it in a 400)
            return application_error_response(cause)
        if exc.status_code == 400:
            return application_error_response(MalformedJson())
        return JsonResponse(error_body("http_error", str(exc)), status=exc.status_code)


class ApiErrorShapeMiddleware:
    """Answers under /api/ are JSON in the one error shape, even where Django or ninja would
    answer HTML (405 method not allowed, 404 in debug mode); and no request leaves its API key
    behind for the next one in this thread."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The API key that authenticates this request is remembered for the rows it writes
        # (vafa.core.audit.calling_key_id), and forgotten when the request ends.
        if request.path.startswith("/api/"):
            too_large = _body_too_large(request)
            if too_large is not None:
                return application_error_response(too_large)
        token = calling_key_set(None)
        try:
            response = self.get_response(request)
        finally:
            calling_key_reset(token)
        if (request.path.startswith("/api/") and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")):
            if response.status_code == 405:
                return JsonResponse(error_body("method_not_allowed", _("This method is not allowed here."),
                                               {"allowed": response.get("Allow", "")}), status=405)
            if response.status_code == 404:
                return application_error_response(NotFound(details={"path": request.path}))
        return response


def _body_too_large(request) -> ApplicationError | None:
    """A body over VAFA_API_MAX_BODY_BYTES is refused before anything reads it; a Content-Length
    that is not a number is a malformed request (400), not a crash."""
    limit = settings.API_MAX_BODY_BYTES
    raw = (request.META.get("CONTENT_LENGTH") or "0").strip() or "0"
    if not raw.isascii() or not raw.isdigit():
        return MalformedJson(details={"Content-Length": "not a number of bytes"})
    return RequestTooLarge(details={"max_bytes": limit}) if int(raw) > limit else None


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return application_error_response(NotFound(details={"path": request.path}))
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", _("Something went wrong on our side.")), status=500)
    from django.views.defaults import server_error

    return server_error(request)
