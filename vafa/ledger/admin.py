from django.contrib import admin

from vafa.ledger.models import Account, IdempotencyRecord, Lot, Transfer


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger is shown, never edited: no add, change or delete, ever."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("code", "role", "member", "merchant", "balance")
    list_filter = ("role",)
    search_fields = ("code", "member__phone")


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "kind", "amount", "debit", "credit", "rule", "source_kind", "source_id",
                    "memo")
    list_filter = ("kind",)
    search_fields = ("debit__code", "credit__code", "memo")
    list_select_related = ("debit", "credit")


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "amount", "remaining", "available_at", "expires_at", "merchant")
    list_select_related = ("account", "merchant")


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("merchant", "key", "status", "created_at")
