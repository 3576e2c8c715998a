"""Member portal (placeholder until built)."""

from django.http import HttpResponse
from django.urls import path


def stub(request, *args, **kwargs):
    return HttpResponse("portal")


urlpatterns = [
    path("", stub, name="home"),
    path("login/", stub, name="login"),
    path("logout/", stub, name="logout"),
    path("history/", stub, name="history"),
    path("rewards/", stub, name="rewards"),
    path("referrals/", stub, name="referrals"),
    path("profile/", stub, name="profile"),
]
