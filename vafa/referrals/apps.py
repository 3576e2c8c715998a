from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "vafa.referrals"
    label = "referrals"
    verbose_name = _("referrals")

    def ready(self):
        from vafa.core import events
        from vafa.members.events import MemberJoined
        from vafa.referrals.services import referral_record

        # After the account opens, before the join award: a refused referral undoes the join.
        events.subscribe(MemberJoined, referral_record, order=20)
