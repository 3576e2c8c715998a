"""Inviting friends: the member's code and link, and the referrals made with it."""

from vafa.members.models import Member
from vafa.referrals.selectors import member_referrals, referral_link
from vafa.web.portal.common import page, portal_member


@portal_member
def referrals_view(request):
    member = request.member
    link = referral_link(code=member.referral_code)
    if link.startswith("/"):
        link = request.build_absolute_uri(link)
    return page(request, "referrals.html", {
        "code": member.referral_code, "link": link, "referrals": member_referrals(member_id=member.pk),
        "can_refer": member.status == Member.Status.ACTIVE,
    }, nav="referrals")
