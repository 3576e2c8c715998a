"""What the portal's views share: the member gate, safe redirects and error wording."""

from __future__ import annotations

import math
from functools import wraps

from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vafa.members.models import Member
from vafa.web.access import member_logout, member_required
from vafa.web.templatetags.vafa import digits


def page(request, template: str, context: dict | None = None, *, status: int = 200, nav: str = ""):
    """Render a portal page with the logged-in member (if any) and the current menu item."""
    context = {"member": getattr(request, "member", None), "nav": nav, **(context or {})}
    return render(request, f"web/portal/{template}", context, status=status)


def blocked_page(request):
    """A blocked member is told so (and logged out), with their application if it was refused."""
    from vafa.members.models import Application

    member = getattr(request, "member", None)
    application = Application.objects.filter(member=member).first() if member is not None else None
    member_logout(request)
    request.member = None
    return page(request, "blocked.html", {"application": application}, status=403)


def portal_member(view):
    """`member_required`, and a blocked member's session ends with a clear page (403)."""

    @member_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.member.status == Member.Status.BLOCKED:
            return blocked_page(request)
        return view(request, *args, **kwargs)

    wrapped.member_only = True
    return wrapped


def safe_next(request, target: str | None) -> str | None:
    """`target` when it is a path on this site (no open redirect), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return None


def retry_text(seconds: int) -> str:
    """'Try again in 45 seconds.' / '... in 30 minutes.' in the page's language and digits."""
    seconds = max(1, int(seconds))
    if seconds < 120:
        text = ngettext("Try again in %(n)s second.", "Try again in %(n)s seconds.", seconds)
        return text % {"n": digits(seconds)}
    minutes = math.ceil(seconds / 60)
    return ngettext("Try again in %(n)s minute.", "Try again in %(n)s minutes.", minutes) % {"n": digits(minutes)}


def error_text(error) -> str:
    return str(error.message) if getattr(error, "message", None) else _("The request could not be completed.")


def cursor_param(request, name: str = "before") -> int | None:
    raw = request.GET.get(name, "")
    if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 18 and int(raw) > 0:
        return int(raw)
    return None
