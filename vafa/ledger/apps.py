from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "vafa.ledger"
    label = "ledger"
    verbose_name = _("points ledger")

    def ready(self):
        from vafa.core import events
        from vafa.ledger.accounts import open_member_account, open_merchant_accounts

        events.subscribe(events.MEMBER_CREATED, open_member_account)
        events.subscribe(events.MERCHANT_CREATED, open_merchant_accounts)
