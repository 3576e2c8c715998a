from django.urls import path

from vafa.web.manage import audit, dashboard, keys, members, pos, staff
from vafa.web.manage.auth import home, login_view, logout_view

app_name = "manage"

urlpatterns = [
    path("", home, name="home"),
    path("login/", login_view, name="login"),
    path("logout/", logout_view, name="logout"),
    *dashboard.urlpatterns,
    *members.urlpatterns,
    *pos.urlpatterns,
    *audit.urlpatterns,
    *staff.urlpatterns,
    *keys.urlpatterns,
]
