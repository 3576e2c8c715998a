from django.contrib import admin
from django.urls import include, path

from vafa.api.urls import api
from vafa.usecases.admin_views import rules_dry_run

urlpatterns = [
    path("admin/program/rule/dry-run/", rules_dry_run, name="rules-dry-run"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("manage/", include("vafa.web.manage.urls")),
    path("", include("vafa.web.portal.urls")),
]

handler404 = "vafa.api.errors.handler404"
handler500 = "vafa.api.errors.handler500"
