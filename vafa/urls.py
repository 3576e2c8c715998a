from django.contrib import admin
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.utils.http import urlencode

from vafa.api.urls import api
from vafa.usecases.admin_views import rules_dry_run
from vafa.web.hooks import sms_inbound, unsubscribe_page


def admin_login(request):
    """One way in for staff, with one throttle: the admin's own login form is not served."""
    target = request.GET.get("next") or "/admin/"
    return redirect(f"{reverse('manage:login')}?{urlencode({'next': target})}")


urlpatterns = [
    path("admin/program/rule/dry-run/", rules_dry_run, name="rules-dry-run"),
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("hooks/sms/inbound", sms_inbound, name="sms-inbound"),
    path("u/<str:token>", unsubscribe_page, name="unsubscribe"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("manage/", include("vafa.web.manage.urls")),
    path("", include("vafa.web.portal.urls")),
]

handler404 = "vafa.api.errors.handler404"
handler500 = "vafa.api.errors.handler500"
