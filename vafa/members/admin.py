from django.contrib import admin

from vafa.members.models import Consent, Interest, Member, Occasion


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0


class OccasionInline(admin.TabularInline):
    model = Occasion
    extra = 0


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("phone", "first_name", "last_name", "organization_name", "kind", "status", "joined_at")
    list_filter = ("kind", "status")
    search_fields = ("phone", "first_name", "last_name", "organization_name", "national_id", "referral_code")
    readonly_fields = ("referral_code", "joined_at")
    raw_id_fields = ("referred_by",)
    inlines = [ConsentInline, OccasionInline]


admin.site.register(Interest)
