from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "vafa.merchants"
    label = "merchants"
