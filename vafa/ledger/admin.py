from django.contrib import admin

from vafa.core.admin import ViewOnlyAdmin
from vafa.ledger.models import Account, IdempotencyRecord, Lot, Transfer


@admin.register(Account)
class AccountAdmin(ViewOnlyAdmin):
    list_display = ("code", "role", "member", "merchant", "balance")
    list_filter = ("role",)
    search_fields = ("code", "member__phone")


@admin.register(Transfer)
class TransferAdmin(ViewOnlyAdmin):
    list_display = ("id", "created_at", "kind", "amount", "debit", "credit", "rule", "source_kind", "source_id",
                    "memo")
    list_filter = ("kind",)
    search_fields = ("debit__code", "credit__code", "memo")
    list_select_related = ("debit", "credit")


@admin.register(Lot)
class LotAdmin(ViewOnlyAdmin):
    list_display = ("id", "account", "amount", "remaining", "available_at", "expires_at", "merchant")
    list_select_related = ("account", "merchant")


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ViewOnlyAdmin):
    list_display = ("merchant", "key", "status", "created_at")
