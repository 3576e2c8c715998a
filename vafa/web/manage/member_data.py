"""Back-office: a member's data on request (owners only) — download everything held about the
member (JSON or CSV), or erase the member's personal data. Both are audited."""

from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vafa.core.audit import Actor
from vafa.core.errors import MemberNotFound
from vafa.usecases.member_data import member_erase, member_export_csv, member_export_json
from vafa.web.access import OWNER, staff_required

_FORMATS = {"json": (member_export_json, "application/json; charset=utf-8"),
            "csv": (member_export_csv, "text/csv; charset=utf-8")}


@staff_required(OWNER)
@require_GET
def export(request, member_id, form):
    produce, content_type = _FORMATS[form]
    pieces = produce(member_id=member_id, actor=Actor.of(request))
    try:
        first = next(pieces)  # looks the member up (and audits) before the answer starts
    except MemberNotFound:
        raise Http404 from None

    def body():
        yield first
        yield from pieces

    response = StreamingHttpResponse(body(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="member-{member_id}.{form}"'
    response["Cache-Control"] = "no-store"
    return response


@staff_required(OWNER)
@require_POST
def erase(request, member_id):
    if request.POST.get("confirm") != str(member_id):
        messages.error(request, _("Type the member's number to confirm erasing."))
        return redirect("manage:member", member_id=member_id)
    try:
        member_erase(member_id=member_id, actor=Actor.of(request))
    except MemberNotFound:
        raise Http404 from None
    messages.success(request, _("The member's personal data is erased; their points and purchases stay in the "
                                "books, anonymous."))
    return redirect("manage:member", member_id=member_id)


urlpatterns = [
    path("members/<int:member_id>/export.json", export, {"form": "json"}, name="member-export-json"),
    path("members/<int:member_id>/export.csv", export, {"form": "csv"}, name="member-export-csv"),
    path("members/<int:member_id>/erase/", erase, name="member-erase"),
]
