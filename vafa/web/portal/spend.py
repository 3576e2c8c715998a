"""The member's spend code: what a partner's cashier asks for before spending their points."""

from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from vafa.members.models import Member
from vafa.members.services import spend_code_issue
from vafa.web.portal.common import page, portal_member
from vafa.web.portal.rewards import qr_svg


@portal_member
@require_http_methods(["GET", "POST"])
def spend_code_view(request):
    """GET explains; POST makes a new code (a GET never does: a link must not spend a code)."""
    member = request.member
    context = {"can_spend": member.status == Member.Status.ACTIVE}
    if request.method == "POST" and context["can_spend"]:
        spend, code = spend_code_issue(member_id=member.pk, via="portal")
        context.update(code=code, expires_at=spend.expires_at,
                       qr=qr_svg(code, _("QR code of your spend code")),
                       minutes=int((spend.expires_at - spend.created_at).total_seconds() // 60))
    return page(request, "spend_code.html", context, nav="home")
