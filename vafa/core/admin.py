from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from vafa.core.audit import audit_record
from vafa.core.client_ip import client_ip
from vafa.core.errors import ApplicationError
from vafa.core.models import AuditEntry


class ViewOnlyAdmin(admin.ModelAdmin):
    """Records that only services write (the ledger, awards, history): shown, never edited."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CodeUploadAdmin(ViewOnlyAdmin):
    """A pool of codes shown masked and filled in bulk on an upload page (one code a line),
    through a service: set `upload_form`, `upload_title` and `upload(form, codes) -> added`."""

    change_list_template = "admin/code_upload_change_list.html"
    upload_form = None
    upload_title = ""

    def upload(self, form, codes: list[str]) -> int:
        raise NotImplementedError

    def _may_upload(self, request) -> bool:
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}")

    def changelist_view(self, request, extra_context=None):
        opts = self.model._meta
        extra = {"can_upload": self._may_upload(request), "upload_title": self.upload_title,
                 "upload_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_upload"), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}_upload"
        return [path("upload/", self.admin_site.admin_view(self.upload_view), name=name), *super().get_urls()]

    def upload_view(self, request):
        if not self._may_upload(request):
            raise PermissionDenied
        opts = self.model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        form = self.upload_form(request.POST or None)
        if request.method == "POST" and form.is_valid():
            codes = [line for line in form.cleaned_data["codes"].splitlines() if line.strip()]
            try:
                # Codes go in by bulk insert, which the audit's model signals do not see: the
                # upload is logged here, by count only (the codes are worth money).
                with transaction.atomic():
                    added = self.upload(form, codes)
                    audit_record(actor=request.user, action="admin.upload_codes", target_type=opts.label_lower,
                                 target_label=str(opts.verbose_name_plural),
                                 after={"added": added, "lines": len(codes)}, ip=client_ip(request))
            except ApplicationError as exc:
                form.add_error("codes", "; ".join(f"{k}: {v}" for k, v in exc.details.items()) or str(exc.message))
            else:
                self.message_user(request, _("%(added)d new code(s) added.") % {"added": added}, messages.SUCCESS)
                return HttpResponseRedirect(changelist)
        context = {**self.admin_site.each_context(request), "title": self.upload_title, "form": form, "opts": opts,
                   "changelist_url": changelist}
        return render(request, "admin/code_upload.html", context)


@admin.register(AuditEntry)
class AuditEntryAdmin(ViewOnlyAdmin):
    list_display = ("created_at", "actor_name", "action", "target_type", "target_label")
    list_filter = ("action", "target_type")
    search_fields = ("actor_name", "target_label", "target_id")
