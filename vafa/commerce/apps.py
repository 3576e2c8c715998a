from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "vafa.commerce"
    label = "commerce"
    verbose_name = _("purchases")

    def ready(self):
        from datetime import time

        from vafa.core.jobs import PeriodicJob, jobs_register

        # After the night's expiry: a tier measured by points counts what is left.
        jobs_register(PeriodicJob("review-tiers", "vafa.commerce.tasks.review_tiers", at=time(0, 20)))
