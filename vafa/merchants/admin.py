from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from vafa.merchants.models import ApiKey, Branch, Merchant
from vafa.merchants.services import api_key_revoke


class BranchInline(admin.TabularInline):
    model = Branch
    extra = 0


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active", "created_at")
    search_fields = ("name", "slug")
    inlines = [BranchInline]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("merchant", "name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    # A key stays with its merchant, and a revoked key stays revoked (revoke with the action);
    # scopes are checked against the merchant in the back-office's key page, not here.
    readonly_fields = ("merchant", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    exclude = ("digest",)
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset:
            api_key_revoke(key=key)

    def has_add_permission(self, request):
        # Keys are created by `vafa create-merchant` so the secret is shown exactly once.
        return False
