from vafa.web.portal.views import urlpatterns as portal_urls

app_name = "portal"
urlpatterns = [*portal_urls]
