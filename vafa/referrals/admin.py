from django.contrib import admin

from vafa.core.admin import ViewOnlyAdmin
from vafa.referrals.models import Referral


@admin.register(Referral)
class ReferralAdmin(ViewOnlyAdmin):
    """Referrals are recorded on joining and completed by a purchase: shown, not edited."""

    list_display = ("referrer", "referred", "phone", "status", "created_at", "completed_at", "purchase_id")
    list_filter = ("status",)
    search_fields = ("phone", "national_id", "referrer__phone", "referrer__referral_code")
    list_select_related = ("referrer", "referred")
    raw_id_fields = ("referrer", "referred")
