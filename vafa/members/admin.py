from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from vafa.core.admin import ViewOnlyAdmin
from vafa.core.errors import ApplicationError, MemberExists
from vafa.core.national_id import validate_national_id
from vafa.core.phone import normalize_phone
from vafa.members import services as members
from vafa.members.models import Application, Consent, Interest, Member, Membership, MembershipPlan, Occasion


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0


class OccasionInline(admin.TabularInline):
    model = Occasion
    extra = 0


class MemberAdminForm(forms.ModelForm):
    """The admin's member form checks what the API checks, with the same services: the phone
    normalised and unique, the national code valid for the member's kind, the e-mail and birth
    date sane, an organisation named."""

    class Meta:
        model = Member
        fields = ("phone", "kind", "first_name", "last_name", "organization_name", "national_id", "email",
                  "birth_date", "status", "interests")

    def clean_phone(self):
        try:
            phone = normalize_phone(self.cleaned_data["phone"])
        except ApplicationError as error:
            raise forms.ValidationError(error.message) from None
        if Member.objects.filter(phone=phone).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(MemberExists().message)
        return phone

    def clean(self):
        data = super().clean()
        kind = data.get("kind") or self.instance.kind
        checks = {
            "national_id": lambda v: validate_national_id(v, kind) if v else "",
            "email": lambda v: members.member_email_checked(v or ""),
            "birth_date": members.member_birth_date_checked,
        }
        for name, check in checks.items():
            if name in data:
                try:
                    data[name] = check(data[name])
                except (ApplicationError, ValueError) as error:
                    self.add_error(name, getattr(error, "message", str(error)))
        if kind == Member.Kind.ORGANIZATION and not (data.get("organization_name") or "").strip():
            self.add_error("organization_name", _("An organization needs its name."))
        return data


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    form = MemberAdminForm
    list_display = ("phone", "first_name", "last_name", "organization_name", "kind", "status", "joined_at")
    list_filter = ("kind", "status")
    search_fields = ("phone", "first_name", "last_name", "organization_name", "national_id", "referral_code")
    # Who referred whom is decided once, when the member joins: editing it could make a cycle.
    readonly_fields = ("referral_code", "referred_by", "merchant", "joined_at")
    inlines = [ConsentInline, OccasionInline]

    def get_readonly_fields(self, request, obj=None):
        # A member's kind decides what their national code is: it is chosen when they join.
        return (*self.readonly_fields, "kind") if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            # Joined as through the API: an account, the join event and its welcome bonus.
            created = members.member_create(
                phone=data["phone"], kind=data["kind"], first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""), organization_name=data.get("organization_name", ""),
                national_id=data.get("national_id", ""), email=data.get("email", ""),
                birth_date=data.get("birth_date"), status=data["status"])
            obj.pk, obj.referral_code, obj.joined_at = created.pk, created.referral_code, created.joined_at
            obj._state.adding, obj._state.db = False, created._state.db
            return
        profile = {name: data[name] for name in members.PROFILE_FIELDS if name in form.changed_data}
        if profile:
            members.member_update(member_id=obj.pk, changes=profile)
        if "phone" in form.changed_data:
            members.member_phone_set(member_id=obj.pk, phone=data["phone"])
        if "status" in form.changed_data:
            members.member_status_set(member=obj, status=data["status"])

    def save_related(self, request, form, formsets, change):
        # The interests are the only many-to-many field; the inlines save themselves.
        form.instance.interests.set(form.cleaned_data.get("interests") or [])
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


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
