"""Back-office: bring a shop's history in (members and purchases from a spreadsheet, owners and
managers) and take everything out (an export of the whole club, owners only). Both run in a
process of their own; the page shows their progress and the file of refused rows."""

from __future__ import annotations

import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from vafa.core.errors import ApplicationError
from vafa.merchants.selectors import merchants_all, staff_role
from vafa.portability.models import ExportJob, ImportJob
from vafa.portability.services import export_job_launch, import_job_launch, import_job_open
from vafa.web.access import MANAGERS, OWNER, staff_required

MAX_UPLOAD_BYTES = 1 << 30  # 1 GiB: years of a big shop's sales as CSV
SHOWN = 20


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=ImportJob.Kind.choices)
    file = forms.FileField(label=gettext_lazy("File (.csv in UTF-8, or .xlsx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))
    merchant = forms.ModelChoiceField(label=gettext_lazy("Merchant"), queryset=None, empty_label=None)
    points = forms.BooleanField(label=gettext_lazy("Award points as the program would have"), required=False,
                                initial=True)
    check_only = forms.BooleanField(label=gettext_lazy("Only check the rows, import nothing"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = merchants_all()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in (".csv", ".xlsx"):
            raise forms.ValidationError(_("Only .csv (UTF-8) and .xlsx files can be imported."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 GB: split it, or use the vafa import command."))
        return upload


def _uploads_dir() -> Path:
    folder = settings.VAR_DIR / "imports" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=False)
    return folder


def _page(request, *, form=None, status=200):
    is_owner = staff_role(request.user) == OWNER
    return render(request, "web/manage/data.html", {
        "nav": "data", "form": form or ImportForm(), "imports": ImportJob.objects.select_related("merchant")[:SHOWN],
        "exports": ExportJob.objects.all()[:SHOWN] if is_owner else None,
    }, status=status)


@staff_required(*MANAGERS)
@require_GET
def index(request):
    return _page(request)


@staff_required(*MANAGERS)
@require_POST
def import_start(request):
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form=form, status=422)
    upload = form.cleaned_data["file"]
    target = _uploads_dir() / Path(upload.name).name
    with target.open("wb") as out:
        for piece in upload.chunks():
            out.write(piece)
    try:
        job = import_job_open(kind=form.cleaned_data["kind"], path=target, merchant_id=form.cleaned_data["merchant"].pk,
                              dry_run=form.cleaned_data["check_only"], earns=form.cleaned_data["points"],
                              created_by=request.user, keep=True)
    except ApplicationError as error:
        target.unlink(missing_ok=True)
        form.add_error("file", str(error.message))
        return _page(request, form=form, status=422)
    import_job_launch(job)
    messages.success(request, _("The import has started: its progress is shown below."))
    return redirect("manage:data")


def _import(job_id: int) -> ImportJob:
    job = ImportJob.objects.select_related("merchant").filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


@staff_required(*MANAGERS)
@require_GET
def import_row(request, job_id):
    return render(request, "web/manage/data_import_row.html", {"job": _import(job_id)})


@staff_required(*MANAGERS)
@require_GET
def import_errors(request, job_id):
    job = _import(job_id)
    errors = Path(job.errors_path) if job.errors_path else None
    if errors is None or not errors.is_file():
        raise Http404
    response = FileResponse(errors.open("rb"), as_attachment=True, filename=f"import-{job.pk}-errors.csv",
                            content_type="text/csv; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@staff_required(OWNER)
@require_POST
def export_start(request):
    job = ExportJob.objects.create(created_by=request.user)
    export_job_launch(job)
    messages.success(request, _("The export has started: it can be downloaded below when it is ready."))
    return redirect("manage:data")


def _export(job_id: int) -> ExportJob:
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


@staff_required(OWNER)
@require_GET
def export_row(request, job_id):
    return render(request, "web/manage/data_export_row.html", {"job": _export(job_id)})


@staff_required(OWNER)
@require_GET
def export_download(request, job_id):
    job = _export(job_id)
    archive = Path(job.path) if job.path else None
    if job.status != ExportJob.Status.DONE or archive is None or not archive.is_file():
        raise Http404
    response = FileResponse(archive.open("rb"), as_attachment=True, filename=f"vafa-export-{job.pk}.zip",
                            content_type="application/zip")
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("data/", index, name="data"),
    path("data/imports/", import_start, name="data-import"),
    path("data/imports/<int:job_id>/", import_row, name="data-import-row"),
    path("data/imports/<int:job_id>/errors.csv", import_errors, name="data-import-errors"),
    path("data/exports/", export_start, name="data-export"),
    path("data/exports/<int:job_id>/", export_row, name="data-export-row"),
    path("data/exports/<int:job_id>/download", export_download, name="data-export-download"),
]
