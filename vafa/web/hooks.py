"""What the outside world calls without a session: the SMS gateway's inbound hook and the
e-mail unsubscribe link (RFC 8058). Neither carries a CSRF token (a gateway, a mail client),
so each is guarded by its secret: the hook's token, the link's signed token."""

import hmac
import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from vafa.engage.selectors import unsubscribe_read
from vafa.engage.services import sms_reply_handle, unsubscribe


def _inbound_fields(request) -> dict:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return {key: request.POST.get(key) for key in request.POST}


@csrf_exempt
@require_http_methods(["POST"])
def sms_inbound(request):
    """`POST /hooks/sms/inbound?token=...` with `from` and `text` (Kavenegar: `message`), as JSON
    or a form: 11 withdraws SMS marketing consent, 12 gives it back; 200 either way."""
    expected = settings.SMS_INBOUND_TOKEN
    given = request.GET.get("token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return JsonResponse({"error": {"code": "forbidden", "message": "wrong token", "details": {}}}, status=403)
    fields = _inbound_fields(request)
    sender = fields.get("from") or fields.get("sender") or ""
    text = fields.get("text") if fields.get("text") is not None else fields.get("message", "")
    done = sms_reply_handle(sender=str(sender)[:40], text=str(text or "")[:200])
    return JsonResponse({"result": done})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request, token: str):
    """GET asks for a click and changes nothing (mail scanners follow links); POST (the mail
    client's one click, or the page's button) withdraws the consent."""
    if unsubscribe_read(token) is None:
        return render(request, "web/portal/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        unsubscribe(token=token)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse(status=200)
        return render(request, "web/portal/unsubscribe.html", {"done": True})
    return render(request, "web/portal/unsubscribe.html", {"token": token})
