"""Staff log in and out; the back-office's front door sends each role to its first page."""

from django.contrib.auth import login, logout
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vafa.core.client_ip import client_ip
from vafa.core.errors import RateLimited
from vafa.merchants.selectors import staff_role
from vafa.merchants.services import login_allowed, login_failed
from vafa.web.access import ALL_STAFF, CASHIER, is_partner_staff, staff_required


def _next_url(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return None


def login_view(request):
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST":
        # The form strips and NFKC-normalises the name; count failures under that same name,
        # or "ali " would be a fresh counter for the account "ali".
        username = UsernameField().to_python(request.POST.get("username", "")) or ""
        # No name holds a NUL (PostgreSQL cannot even store one): counted without it.
        username = username.replace("\x00", "")[:150]
        ip = client_ip(request)
        try:
            login_allowed(username=username, ip=ip)
        except RateLimited as error:
            minutes = max(1, round(error.details["retry_after"] / 60))
            return render(request, "web/rate_limited.html",
                          {"minutes": minutes, "base_template": "web/manage/base.html"}, status=429)
        if form.is_valid() and staff_role(form.get_user()) is not None:
            login(request, form.get_user())
            return redirect(_next_url(request) or "manage:home")
        login_failed(username=username, ip=ip)
        if form.is_valid():
            form.add_error(None, _("This account has no access to the back-office."))
    return render(request, "web/manage/login.html", {"form": form, "next": _next_url(request) or ""})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("manage:login")


@staff_required(*ALL_STAFF, partners=True)
def home(request):
    till_only = request.staff_role == CASHIER or is_partner_staff(request)
    return redirect("manage:pos" if till_only else "manage:dashboard")
