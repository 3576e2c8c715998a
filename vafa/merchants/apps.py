from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_role_groups(sender, **kwargs):
    # Once per migrate, after the last app that has models (the signal skips the others),
    # when every app's permissions exist.
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender.label != with_models[-1].label:
        return
    from vafa.merchants.staff import role_groups_ensure

    role_groups_ensure()


class MerchantsConfig(AppConfig):
    name = "vafa.merchants"
    label = "merchants"
    verbose_name = _("merchants")

    def ready(self):
        post_migrate.connect(_ensure_role_groups, dispatch_uid="vafa-role-groups")
