"""Back-office: physical rewards waiting to be sent, and their steps."""

urlpatterns: list = []
