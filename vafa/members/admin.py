from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from vafa.core.admin import ViewOnlyAdmin
from vafa.core.errors import ApplicationError
from vafa.members import services as members
from vafa.members.models import Application, Consent, Interest, Member, Membership, MembershipPlan, Occasion


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


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Applications to a closed club. Decisions go through the actions, which also set the
    member's status; only the reason can be edited here."""

    list_display = ("member", "status", "created_at", "decided_at", "decided_by", "reason")
    list_filter = ("status",)
    search_fields = ("member__phone", "member__first_name", "member__last_name", "member__organization_name")
    list_select_related = ("member",)
    readonly_fields = ("member", "status", "created_at", "decided_at", "decided_by")
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False

    def _decide(self, request, queryset, decide, done_message):
        done, refused = 0, []
        for application in queryset.select_related("member"):
            try:
                decide(member_id=application.member_id, staff=request.user.get_username())
            except ApplicationError as exc:
                refused.append(f"{application.member}: {exc.message}")
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description=_("Approve the selected applications"))
    def approve(self, request, queryset):
        self._decide(request, queryset, members.application_approve, _("%(count)d application(s) approved."))

    @admin.action(description=_("Reject the selected applications (the members are blocked)"))
    def reject(self, request, queryset):
        def reject(**kwargs):
            return members.application_reject(reason="", **kwargs)

        self._decide(request, queryset, reject, _("%(count)d application(s) rejected."))


@admin.register(MembershipPlan)
class MembershipPlanAdmin(admin.ModelAdmin):
    list_display = ("name", "fee_rial", "duration_days", "earn_percent", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name",)


@admin.register(Membership)
class MembershipAdmin(ViewOnlyAdmin):
    """Paid periods are recorded by a payment (POS or API), which computes their dates: shown here,
    not edited."""

    list_display = ("member", "plan", "starts_at", "ends_at", "amount_rial", "payment_reference", "channel",
                    "merchant", "created_at")
    list_filter = ("plan", "channel")
    search_fields = ("member__phone", "payment_reference")
    list_select_related = ("member", "plan", "merchant")
