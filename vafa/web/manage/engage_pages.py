"""Back-office: segments, campaigns, automations and messages (marketers, owners, managers)."""

urlpatterns: list = []
