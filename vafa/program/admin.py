"""The program in the admin (Persian RTL): its settings, earning rules with their history,
tiers, and, shown only, members' tiers, the tier history and what each rule gave.

Rules and tiers are saved through their services (`vafa.program.rules`): the admin refuses what
the API refuses, field by field; every change of a rule is a revision naming the staff user; and
the program's version moves, so every process reloads the live rules."""

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import Sum
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from vafa.core.admin import ViewOnlyAdmin
from vafa.core.errors import ValidationFailed
from vafa.program import inputs as program_inputs
from vafa.program import rules as program_rules
from vafa.program.engine import WEEKDAYS
from vafa.program.models import MemberTier, ProgramSettings, Rule, RuleAward, RuleRevision, Tier, TierChange

# The keys, effect types and limits the rule's input models take (vafa.program.inputs).
CONDITION_KEYS = program_inputs.CONDITION_KEYS
JSON_FIELDS = ("conditions", "effect", "caps", "budget")
JSON_HELP = {
    "conditions": format_lazy(
        _("A JSON object; every key is optional: {keys}. Weekdays: {weekdays}; hours in Tehran time. "
          "Example: {example}"),
        keys=", ".join(CONDITION_KEYS), weekdays=", ".join(WEEKDAYS),
        example='{"amount_min": 1000000, "weekdays": ["thu", "fri"], "hours": {"from": "10:00", "to": "12:00"}}'),
    "effect": format_lazy(
        _('A JSON object with a "type" and its keys: {types}. A free_item may give a quantity; a '
          'referral_completed rule may say "member": "referrer" or "referred". Example: {example}'),
        types="; ".join(f"{kind} ({', '.join(keys)})" for kind, keys in program_inputs.EFFECTS.items()),
        example='{"type": "multiplier", "percent": 200}'),
    "caps": format_lazy(_("Most points per member, a JSON object with any of: {keys}. Example: {example}"),
                        keys=", ".join(program_inputs.CAP_KEYS), example='{"per_member_month": 500}'),
    "budget": format_lazy(_("The rule stops once it has issued this much, a JSON object with any of: {keys}. "
                            "Example: {example}"), keys=", ".join(program_inputs.BUDGET_KEYS),
                          example='{"points": 100000}'),
}
_JSON_WIDGET = {"dir": "ltr", "rows": 5, "cols": 90, "style": "font-family: monospace"}


@admin.register(ProgramSettings)
class ProgramSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "earn_points", "earn_per_rial", "point_value_rial", "expiry", "expiry_periods",
                    "club_mode", "updated_at")
    fieldsets = (
        (_("Earning"), {"fields": ("earn_points", "earn_per_rial", "earn_base", "earn_includes_tax",
                                   "earn_includes_shipping", "min_purchase_rial", "pending_days")}),
        (_("Spending"), {"fields": ("point_value_rial", "max_redeem_percent")}),
        (_("Expiry"), {"fields": ("expiry", "expiry_periods")}),
        (_("Joining the club"), {"fields": ("club_mode", "approve_spend_rial", "approve_months")}),
        (_("Referrals"), {"fields": ("referral_limit", "referral_period_days")}),
        (_("Version"), {"fields": ("version", "updated_at")}),
    )
    readonly_fields = ("version", "updated_at")

    def has_add_permission(self, request):
        return not ProgramSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # Only the form's fields: writing the whole row back would undo a version raised meanwhile.
        obj.save(update_fields=[*form.fields, "updated_at"])


def _show_errors(form: forms.ModelForm, exc: ValidationFailed, fields: dict[str, str | None]) -> None:
    """A service's {"path": "why"} on the form: on the field the path starts with, else on the form."""
    for path, why in exc.details.items():
        name = fields.get(path, path.split(".")[0])
        message = f"{path}: {why}" if "." in path else str(why)
        form.add_error(name if name in form.fields else None, message)


class RuleForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = ("name", "status", "trigger", "occasion", "event_type", *JSON_FIELDS, "priority", "stacking",
                  "pending_days", "expiry_months", "merchant")
        widgets = {name: forms.Textarea(attrs=_JSON_WIDGET) for name in JSON_FIELDS}
        help_texts = JSON_HELP

    def clean(self):
        data = super().clean()
        if self.errors:  # e.g. text that is not JSON: Django's own message on the field
            return data
        merchant = data.get("merchant")
        body = {name: data.get(name) for name in program_inputs.RULE_FIELDS if name != "merchant_id"}
        body["merchant_id"] = merchant.pk if merchant else None
        try:
            self.rule_data = program_rules.rule_clean(body)
        except ValidationFailed as exc:
            _show_errors(self, exc, {"merchant_id": "merchant", "rule": None})
            return data
        data.update({name: self.rule_data[name] for name in (*JSON_FIELDS, "name", "occasion", "event_type")})
        return data


class RuleRevisionInline(admin.TabularInline):
    model = RuleRevision
    fields = ("revision", "changed_at", "changed_by", "rule_data")
    readonly_fields = fields
    ordering = ("-revision",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("rule"))
    def rule_data(self, revision):
        text = json.dumps(revision.data, ensure_ascii=False, indent=1, sort_keys=True)
        return format_html('<pre dir="ltr" style="white-space: pre-wrap; margin: 0">{}</pre>', text)


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    form = RuleForm
    list_display = ("name", "status", "trigger", "priority", "stacking", "points_given", "revision", "updated_at")
    list_filter = ("status", "trigger")
    search_fields = ("name", "event_type")
    readonly_fields = ("revision", "issued_points", "issued_rial", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "status", "trigger", "occasion", "event_type")}),
        (_("Conditions and effect"), {"fields": JSON_FIELDS[:2]}),
        (_("Control"), {"fields": ("priority", "stacking", *JSON_FIELDS[2:], "pending_days", "expiry_months",
                                   "merchant")}),
        (_("Record"), {"fields": ("revision", "issued_points", "issued_rial", "created_at", "updated_at")}),
    )
    inlines = [RuleRevisionInline]
    actions = ["make_live", "pause", "end", "dry_run"]

    def has_delete_permission(self, request, obj=None):
        return False  # awards and history refer to it: end it instead

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(given=Sum("awards__points"))

    @admin.display(description=_("points given"), ordering="given")
    def points_given(self, rule):
        return rule.given or 0

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        user = request.user.get_username()
        if change:
            rule = program_rules.rule_update(rule_id=obj.pk, data=form.rule_data, changed_by=user)
        else:
            rule = program_rules.rule_create(data=form.rule_data, changed_by=user)
            obj.pk = rule.pk
            obj.refresh_from_db()  # the row the service wrote
        obj.revision = rule.revision

    def _set_status(self, request, queryset, status: str, done):
        changed, refused = 0, []
        for rule in queryset.order_by("pk"):
            try:
                before = rule.revision
                after = program_rules.rule_update(rule_id=rule.pk, data={"status": status},
                                                  changed_by=request.user.get_username())
            except ValidationFailed as exc:
                refused.append(f"{rule.name}: {'; '.join(f'{k}: {v}' for k, v in exc.details.items())}")
            else:
                changed += after.revision != before
        self.message_user(request, done % {"count": changed}, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description=_("Make the selected rules live"), permissions=["change"])
    def make_live(self, request, queryset):
        self._set_status(request, queryset, Rule.Status.LIVE, _("%(count)d rule(s) made live."))

    @admin.action(description=_("Pause the selected rules"), permissions=["change"])
    def pause(self, request, queryset):
        self._set_status(request, queryset, Rule.Status.PAUSED, _("%(count)d rule(s) paused."))

    @admin.action(description=_("End the selected rules"), permissions=["change"])
    def end(self, request, queryset):
        self._set_status(request, queryset, Rule.Status.ENDED, _("%(count)d rule(s) ended."))

    @admin.action(description=_("Dry run the selected rules over past purchases"), permissions=["view"])
    def dry_run(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.order_by("pk").values_list("pk", flat=True))
        return HttpResponseRedirect(f"{reverse('rules-dry-run')}?ids={ids}")


class TierForm(forms.ModelForm):
    class Meta:
        model = Tier
        fields = ("code", "name", "rank", "color", "qualify_by", "threshold", "window", "earn_percent",
                  "grace_days", "page_text")
        widgets = {"color": forms.TextInput(attrs={"type": "color"})}

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        self.tier_data = {
            "code": data.get("code"), "name": data.get("name"), "rank": data.get("rank"), "color": data.get("color"),
            "qualify": {"by": data.get("qualify_by"), "threshold": data.get("threshold"),
                        "window": data.get("window")},
            "earn_percent": data.get("earn_percent"), "grace_days": data.get("grace_days"),
            "page_text": data.get("page_text") or "",
        }
        try:
            program_rules.tier_clean(self.tier_data)
        except ValidationFailed as exc:
            _show_errors(self, exc, {"qualify.by": "qualify_by", "qualify.threshold": "threshold",
                                     "qualify.window": "window", "qualify": None, "tier": None})
        return data


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    form = TierForm
    list_display = ("rank", "name", "code", "swatch", "qualify_by", "threshold", "window", "earn_percent",
                    "grace_days")
    list_display_links = ("name",)
    search_fields = ("name", "code")

    def has_delete_permission(self, request, obj=None):
        return False  # members hold it and rules name it

    @admin.display(description=_("colour"))
    def swatch(self, tier):
        return format_html('<span style="display:inline-block;width:1.5em;height:1em;background:{}"></span>',
                           tier.color)

    def save_model(self, request, obj, form, change):
        if change:
            program_rules.tier_update(tier_id=obj.pk, data=form.tier_data)
        else:
            obj.pk = program_rules.tier_create(data=form.tier_data).pk
            obj.refresh_from_db()  # the row the service wrote


@admin.register(MemberTier)
class MemberTierAdmin(ViewOnlyAdmin):
    list_display = ("member", "tier", "since", "hold_until")
    list_filter = ("tier",)
    search_fields = ("member__phone", "member__first_name", "member__last_name")
    list_select_related = ("member", "tier")


@admin.register(TierChange)
class TierChangeAdmin(ViewOnlyAdmin):
    list_display = ("changed_at", "member", "from_tier", "to_tier", "reason")
    list_filter = ("to_tier",)
    search_fields = ("member__phone",)
    list_select_related = ("member", "from_tier", "to_tier")
    date_hierarchy = "changed_at"


@admin.register(RuleAward)
class RuleAwardAdmin(ViewOnlyAdmin):
    list_display = ("occurred_at", "rule", "member", "points", "source_kind", "source_id")
    list_filter = ("source_kind",)
    search_fields = ("rule__name", "member__phone")
    list_select_related = ("rule", "member")
    date_hierarchy = "occurred_at"


# --- rewards catalogue ----------------------------------------------------------------------------

from django import forms as _forms  # noqa: E402
from django.utils.translation import gettext_lazy  # noqa: E402

from vafa.core.errors import ValidationFailed as _ValidationFailed  # noqa: E402
from vafa.members.models import Member as _Member  # noqa: E402
from vafa.members.models import MembershipPlan as _MembershipPlan  # noqa: E402
from vafa.program import catalog as _catalog  # noqa: E402
from vafa.program.models import Reward as _Reward  # noqa: E402
from vafa.program.models import Tier as _Tier  # noqa: E402


def _tier_choices():
    return list(_Tier.objects.order_by("rank").values_list("code", "name"))


def _plan_choices():
    return list(_MembershipPlan.objects.order_by("id").values_list("id", "name"))


class RewardForm(_forms.ModelForm):
    """The catalogue's own checks (`vafa.program.catalog.reward_clean`) run on the form, so
    the admin refuses what the API refuses, field by field."""

    tiers = _forms.MultipleChoiceField(label=gettext_lazy("tiers"), choices=_tier_choices, required=False,
                                       widget=_forms.CheckboxSelectMultiple,
                                       help_text=gettext_lazy("empty = every member, in any tier or none"))
    member_kinds = _forms.MultipleChoiceField(label=gettext_lazy("member kinds"), choices=_Member.Kind.choices,
                                              required=False, widget=_forms.CheckboxSelectMultiple,
                                              help_text=gettext_lazy("empty = both"))
    plans = _forms.TypedMultipleChoiceField(label=gettext_lazy("membership plans"), choices=_plan_choices, coerce=int,
                                            required=False, widget=_forms.CheckboxSelectMultiple,
                                            help_text=gettext_lazy("empty = no paid membership needed"))

    class Meta:
        model = _Reward
        fields = list(_catalog.EDITABLE)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.reward_fields = _catalog.reward_clean({name: data.get(name) for name in _catalog.EDITABLE})
        except _ValidationFailed as exc:
            for field, why in exc.details.items():
                self.add_error(field if field in self.fields else None, str(why))
        return data


@admin.register(_Reward)
class RewardAdmin(admin.ModelAdmin):
    form = RewardForm
    list_display = ("name", "kind", "cost_points", "stock", "per_member_limit", "active", "starts_at", "ends_at")
    list_filter = ("kind", "active")
    search_fields = ("name", "sku", "charity_name")
    fieldsets = (
        (None, {"fields": ("name", "description", "kind", "active", "cost_points")}),
        (gettext_lazy("What it gives"), {"fields": (
            "amount_rial", "percent", "cap_rial", "min_purchase_rial", "sku", "valid_days", "charity_name",
            "ships")}),
        (gettext_lazy("Who may take it, and when"), {"fields": (
            "stock", "per_member_limit", "tiers", "member_kinds", "plans", "starts_at", "ends_at")}),
    )

    def has_delete_permission(self, request, obj=None):
        return False  # redemptions refer to it: deactivate instead

    def save_model(self, request, obj, form, change):
        # Through the catalogue's services, so the program's version moves with the change.
        if change:
            _catalog.reward_update(reward_id=obj.pk, **form.reward_fields)
        else:
            created = _catalog.reward_create(**form.reward_fields)
            obj.pk = created.pk
            obj.refresh_from_db()  # the row the service wrote
