"""Back-office: surveys and their results, reviews."""

urlpatterns: list = []
