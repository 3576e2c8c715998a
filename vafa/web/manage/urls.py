from django.urls import path

from vafa.web.manage import (
    audit,
    dashboard,
    data_pages,
    engage_pages,
    feedback_pages,
    fulfilment,
    keys,
    member_data,
    members,
    pos,
    recognition_pages,
    reports,
    staff,
)
from vafa.web.manage.auth import home, login_view, logout_view

app_name = "manage"

urlpatterns = [
    path("", home, name="home"),
    path("login/", login_view, name="login"),
    path("logout/", logout_view, name="logout"),
    *dashboard.urlpatterns,
    *reports.urlpatterns,
    *members.urlpatterns,
    *member_data.urlpatterns,
    *pos.urlpatterns,
    *audit.urlpatterns,
    *staff.urlpatterns,
    *keys.urlpatterns,
    *engage_pages.urlpatterns,
    *feedback_pages.urlpatterns,
    *recognition_pages.urlpatterns,
    *fulfilment.urlpatterns,
    *data_pages.urlpatterns,
]
