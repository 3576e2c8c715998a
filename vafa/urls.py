from django.contrib import admin
from django.urls import path

from vafa.api.urls import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler404 = "vafa.api.errors.handler404"
handler500 = "vafa.api.errors.handler500"
