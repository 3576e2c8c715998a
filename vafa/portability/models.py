from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One import of a file (members or purchases): where it stands, so a second run of the same
    file continues after the last line committed, and the back-office shows its progress."""

    class Kind(models.TextChoices):
        MEMBERS = "members", _("members")
        PURCHASES = "purchases", _("purchases")

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("stopped with an error")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    file_name = models.CharField(_("file"), max_length=255)
    # Where the file is kept (an upload, or the path given to `vafa import`) and its SHA-256:
    # the same content again is the same job, continued.
    path = models.CharField(max_length=1024)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("merchant"))
    # {"dry_run": bool, "no_points": bool}
    options = models.JSONField(default=dict)
    lines_total = models.PositiveBigIntegerField(_("rows"), null=True, blank=True)
    # The last line (1 = the header) whose row is decided and committed: a rerun starts after it.
    lines_done = models.PositiveBigIntegerField(_("rows done"), default=0)
    imported = models.PositiveBigIntegerField(_("imported"), default=0)
    unchanged = models.PositiveBigIntegerField(_("already there"), default=0)
    failed = models.PositiveBigIntegerField(_("refused"), default=0)
    errors_path = models.CharField(max_length=1024, blank=True)
    message = models.CharField(_("message"), max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("started by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Touched as chunks commit: a running job whose heartbeat is old was cut off (killed worker).
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"


class ExportJob(models.Model):
    """One export of everything the business owns, made in the background for the back-office."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("stopped with an error")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    path = models.CharField(max_length=1024, blank=True)  # the folder of the files, then the zip beside it
    # The manifest as written: {"files": [{"name", "rows", "sha256", "bytes"}], ...}
    manifest = models.JSONField(default=dict)
    # How far it is: the file being written and the rows written so far.
    progress = models.JSONField(default=dict)
    message = models.CharField(_("message"), max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("started by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.pk}"
