from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "vafa.core"
    label = "core"
