"""Portal: the messages a member received, and notification preferences."""

urlpatterns: list = []
