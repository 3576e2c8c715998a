from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "vafa.referrals"
    label = "referrals"
    verbose_name = _("referrals")

    def ready(self):
        from vafa.core import events
        from vafa.referrals.services import referral_record

        events.subscribe(events.MEMBER_CREATED, referral_record)
