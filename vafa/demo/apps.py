from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "vafa.demo"
    label = "demo"
