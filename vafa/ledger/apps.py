from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "vafa.ledger"
    label = "ledger"
    verbose_name = _("points ledger")

    def ready(self):
        from vafa.core import events
        from vafa.ledger.accounts import open_member_account, open_member_accounts, open_merchant_accounts
        from vafa.members.events import MemberJoined, MembersImported
        from vafa.merchants.events import MerchantCreated

        # First of all: a joining member's referral and join award are written to this account.
        events.subscribe(MemberJoined, open_member_account, order=10)
        events.subscribe(MembersImported, open_member_accounts, order=10)
        events.subscribe(MerchantCreated, open_merchant_accounts, order=10)

        from datetime import time

        from vafa.core.jobs import PeriodicJob, jobs_register

        jobs_register(PeriodicJob("expire-points", "vafa.ledger.tasks.expire_points", at=time(0, 5)))
