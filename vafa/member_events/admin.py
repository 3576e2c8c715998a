from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from vafa.core.admin import CodeUploadAdmin, ViewOnlyAdmin
from vafa.member_events.models import Event, PackagingCode
from vafa.member_events.packaging import packaging_codes_upload


@admin.register(Event)
class EventAdmin(ViewOnlyAdmin):
    list_display = ("id", "occurred_at", "member", "type", "points_earned")
    list_filter = ("type",)
    search_fields = ("member__phone", "key")
    list_select_related = ("member",)


class PackagingCodeUploadForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64, required=False,
                          help_text=_("the product's SKU, so rules can ask for it"))
    batch = forms.CharField(label=_("batch"), max_length=64, required=False)
    codes = forms.CharField(label=_("codes"), widget=forms.Textarea(attrs={"rows": 12, "dir": "ltr"}),
                            help_text=_("one code per line; repeats and codes already in the pool are skipped"))


@admin.register(PackagingCode)
class PackagingCodeAdmin(CodeUploadAdmin):
    upload_form = PackagingCodeUploadForm
    upload_title = _("Upload packaging codes")
    list_display = ("code", "sku", "batch", "event", "uploaded_at")
    list_filter = ("sku", "batch")
    search_fields = ("code",)

    def upload(self, form, codes: list[str]) -> int:
        return packaging_codes_upload(codes=codes, sku=form.cleaned_data["sku"], batch=form.cleaned_data["batch"])
