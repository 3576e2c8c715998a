from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "vafa.ledger"
    label = "ledger"

    def ready(self):
        from vafa.core import events
        from vafa.ledger.accounts import open_member_account, open_merchant_accounts

        events.subscribe(events.MEMBER_CREATED, open_member_account)
        events.subscribe(events.MERCHANT_CREATED, open_merchant_accounts)
