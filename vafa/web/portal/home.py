"""The member's home: points and their worth, what expires soon, the tier and recent activity."""

from django.utils import timezone

from vafa.engage.selectors import member_surveys
from vafa.members.models import Application, Member
from vafa.usecases.member_home import member_home
from vafa.web.portal.common import page, portal_member
from vafa.web.reasons import with_reasons


@portal_member
def home_view(request):
    member = request.member
    summary = member_home(member_id=member.pk, now=timezone.now())
    application = None
    if member.status == Member.Status.PENDING:
        application = Application.objects.filter(member=member).first()
    return page(request, "home.html", {
        "summary": summary, "recent": with_reasons(summary.recent), "application": application,
        "pending_member": member.status == Member.Status.PENDING,
        "progress_percent": round(summary.tier_progress * 100) if summary.tier_progress is not None else None,
        "surveys": member_surveys(member_id=member.pk),  # (waiting, answered): a link to /surveys/
    }, nav="home")
