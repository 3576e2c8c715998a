"""Portal: badges with progress, challenges, contest entries."""

urlpatterns: list = []
