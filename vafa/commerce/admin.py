from django.contrib import admin

from vafa.commerce.models import Purchase, PurchaseItem, Refund
from vafa.core.admin import ViewOnlyAdmin


class PurchaseItemInline(admin.TabularInline):
    model = PurchaseItem
    extra = 0
    can_delete = False
    fields = ("sku", "name", "category", "quantity", "unit_price")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class RefundInline(PurchaseItemInline):
    model = Refund
    fields = ("amount", "points_reversed", "points_returned", "balance_after", "created_at")
    readonly_fields = fields


@admin.register(Purchase)
class PurchaseAdmin(ViewOnlyAdmin):
    """Purchases are recorded through the API or the POS and corrected by refunds, never edited."""

    list_display = ("id", "occurred_at", "member", "merchant", "branch", "amount", "points_earned",
                    "points_redeemed", "refunded_amount")
    list_filter = ("channel", "merchant")
    search_fields = ("external_id", "member__phone")
    list_select_related = ("member", "merchant", "branch")
    date_hierarchy = "occurred_at"
    inlines = [PurchaseItemInline, RefundInline]
