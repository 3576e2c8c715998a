"""Portal: surveys to answer, and reviews of purchases."""

urlpatterns: list = []
