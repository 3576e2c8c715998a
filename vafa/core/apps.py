from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "vafa.core"
    label = "core"
    verbose_name = _("core")

    def ready(self):
        from vafa.core.admin_audit import connect_admin_audit

        connect_admin_audit()
