from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "vafa.api"
    label = "api"
