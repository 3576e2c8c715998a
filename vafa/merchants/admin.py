from django.contrib import admin

from vafa.merchants.models import ApiKey, Branch, Merchant


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
    list_display = ("merchant", "name", "prefix", "created_at", "revoked_at")
    readonly_fields = ("prefix", "created_at")
    exclude = ("digest",)

    def has_add_permission(self, request):
        # Keys are created by `vafa create-merchant` so the secret is shown exactly once.
        return False
