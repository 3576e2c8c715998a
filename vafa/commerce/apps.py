from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "vafa.commerce"
    label = "commerce"
