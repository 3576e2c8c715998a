from django.apps import AppConfig


class ProgramConfig(AppConfig):
    name = "vafa.program"
    label = "program"
