"""One error shape for the whole API: {"error": {"code", "message", "details"}}."""

from django.http import JsonResponse
from django.utils.translation import gettext as _

from vafa.core.errors import ApplicationError, MalformedJson, NotFound, Unauthorized, ValidationFailed


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": str(message), "details": details or {}}}


def application_error_response(exc: ApplicationError) -> JsonResponse:
    return JsonResponse(error_body(exc.code, exc.message, exc.details), status=exc.status,
                        json_dumps_params={"ensure_ascii": False})


def validation_details(errors: list[dict]) -> dict:
    details: dict[str, str] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload", "query", "path")]
        details[".".join(loc) or "body"] = error.get("msg", "invalid")
    return details


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
    answer HTML (405 method not allowed, 404 in debug mode)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.path.startswith("/api/") and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")):
            if response.status_code == 405:
                return JsonResponse(error_body("method_not_allowed", _("This method is not allowed here."),
                                               {"allowed": response.get("Allow", "")}), status=405)
            if response.status_code == 404:
                return application_error_response(NotFound(details={"path": request.path}))
        return response


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
