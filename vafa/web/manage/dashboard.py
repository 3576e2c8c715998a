"""Back-office: dashboard (placeholder until built)."""

from django.shortcuts import render
from django.urls import path

from vafa.web.access import ALL_STAFF, staff_required


@staff_required(*ALL_STAFF)
def index(request):
    return render(request, "web/manage/base.html")


urlpatterns = [path("dashboard/", index, name="dashboard")]
