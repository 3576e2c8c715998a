from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "vafa.members"
    label = "members"
