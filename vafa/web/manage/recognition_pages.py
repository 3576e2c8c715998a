"""Back-office: badges, challenges and contests."""

urlpatterns: list = []
