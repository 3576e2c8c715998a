"""Redemptions, coupons, gift cards and partner codes in the admin: shown, not edited.

They change only through the services (a redemption spends points, a coupon's use count
grows under its lock), so the admin never edits them; staff create shared promo codes here."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from vafa.core.admin import CodeUploadAdmin, ViewOnlyAdmin
from vafa.core.errors import CouponExists, ValidationFailed
from vafa.program.models import Reward
from vafa.rewards.models import Coupon, GiftCard, PartnerCode, Redemption
from vafa.rewards.services import partner_codes_upload, promo_code_clean, promo_code_create


def mask(code: str) -> str:
    """Enough of a code to recognise it, not enough to use it."""
    if len(code) <= 4:
        return "*" * len(code)
    return f"{code[:2]}{'*' * min(len(code) - 4, 8)}{code[-2:]}"


@admin.register(Redemption)
class RedemptionAdmin(ViewOnlyAdmin):
    list_display = ("id", "created_at", "member", "reward", "points", "value_rial", "free", "rule", "merchant")
    list_filter = ("free", "reward__kind")
    search_fields = ("member__phone", "reward__name")
    list_select_related = ("member", "reward", "merchant")
    date_hierarchy = "created_at"


class PromoCodeForm(forms.ModelForm):
    """Only shared promo codes are created here; personal coupons come from redemptions."""

    kind = forms.ChoiceField(label=_("kind"), choices=Coupon.Kind.choices)

    class Meta:
        model = Coupon
        fields = ("code", "kind", "amount_rial", "percent", "cap_rial", "min_purchase_rial", "sku", "usage_limit",
                  "per_member_limit", "starts_at", "expires_at", "merchant")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.promo = promo_code_clean(
                code=data.get("code") or "", kind=data.get("kind"), usage_limit=data.get("usage_limit"),
                amount_rial=data.get("amount_rial"), percent=data.get("percent"), cap_rial=data.get("cap_rial"),
                per_member_limit=data.get("per_member_limit"), min_purchase_rial=data.get("min_purchase_rial") or 0,
                sku=data.get("sku") or "", starts_at=data.get("starts_at"), ends_at=data.get("expires_at"))
        except ValidationFailed as exc:
            for field, why in exc.details.items():
                name = "expires_at" if field == "ends_at" else field
                self.add_error(name if name in self.fields else None, str(why))
        except CouponExists as exc:
            self.add_error("code", str(exc.message))
        return data


@admin.register(Coupon)
class CouponAdmin(ViewOnlyAdmin):
    list_display = ("code", "kind", "is_promo", "member", "used_count", "usage_limit", "expires_at", "created_at")
    list_filter = ("is_promo", "kind")
    search_fields = ("code", "member__phone")
    list_select_related = ("member",)
    form = PromoCodeForm

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("rewards.add_coupon")

    def get_fields(self, request, obj=None):
        if obj is None:
            return PromoCodeForm.Meta.fields
        return [f.name for f in Coupon._meta.fields]

    def save_model(self, request, obj, form, change):
        promo = form.promo
        created = promo_code_create(
            code=promo["code"], kind=promo["kind"], usage_limit=promo["usage_limit"],
            amount_rial=promo["amount_rial"], percent=promo["percent"], cap_rial=promo["cap_rial"],
            per_member_limit=promo["per_member_limit"], min_purchase_rial=promo["min_purchase_rial"],
            sku=promo["sku"], starts_at=promo["starts_at"], ends_at=promo["expires_at"],
            merchant_id=obj.merchant_id)
        obj.pk, obj.code, obj.is_promo = created.pk, created.code, True
        obj.refresh_from_db()  # the row the service wrote


@admin.register(GiftCard)
class GiftCardAdmin(ViewOnlyAdmin):
    list_display = ("masked_code", "member", "initial_rial", "balance_rial", "expires_at", "created_at")
    search_fields = ("member__phone",)
    list_select_related = ("member",)
    fields = ("masked_code", "member", "redemption", "initial_rial", "balance_rial", "expires_at", "created_at")
    readonly_fields = fields

    @admin.display(description=_("code"))
    def masked_code(self, obj):
        return mask(obj.code)


class PartnerCodeUploadForm(forms.Form):
    reward = forms.ModelChoiceField(label=_("reward"), queryset=Reward.objects.filter(kind=Reward.Kind.PARTNER_CODE))
    codes = forms.CharField(label=_("codes"), widget=forms.Textarea(attrs={"rows": 12, "dir": "ltr"}),
                            help_text=_("one code per line; repeats and codes already in the pool are skipped"))


@admin.register(PartnerCode)
class PartnerCodeAdmin(CodeUploadAdmin):
    """Codes are added in bulk through the upload page (the pool is the reward's stock)."""

    upload_form = PartnerCodeUploadForm
    upload_title = _("Upload partner codes")
    list_display = ("masked_code", "reward", "redemption", "uploaded_at")
    list_filter = ("reward",)
    list_select_related = ("reward", "redemption")
    fields = ("masked_code", "reward", "redemption", "uploaded_at")
    readonly_fields = fields

    @admin.display(description=_("code"))
    def masked_code(self, obj):
        return mask(obj.code)

    def upload(self, form, codes: list[str]) -> int:
        return partner_codes_upload(reward_id=form.cleaned_data["reward"].pk, codes=codes)
