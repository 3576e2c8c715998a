from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One change a staff member made: who, when, what, and the object before and after.

    Rows are only ever added. The actor's name is copied so the log still reads when the
    account is gone.
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("staff member"))
    actor_name = models.CharField(_("staff member"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("object type"), max_length=64, blank=True)
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target_label = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # The API key that made the change (core sits below the merchants app: an id, not a key).
    api_key_id = models.BigIntegerField(_("API key"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_label}"


class OutboxEntry(models.Model):
    """Something to do after a commit, written in the transaction that decided it (an SMS to send,
    an event for a webhook): handled at least once by a worker, each handler idempotent by the
    row's id (see vafa/core/outbox.py)."""

    type = models.CharField(_("type"), max_length=64, db_index=True)  # what happened, e.g. sms.login_code
    handler = models.CharField(_("handler"), max_length=64)  # what to do about it, e.g. sms.send
    payload = models.JSONField(_("payload"), default=dict)
    sensitive = models.BooleanField(_("holds a secret"), default=False)  # wiped once handled
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    available_at = models.DateTimeField(_("due at"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    claimed_by = models.CharField(_("being handled by"), max_length=100, blank=True)
    claimed_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    started_at = models.DateTimeField(_("effect started at"), null=True, blank=True)
    in_doubt = models.BooleanField(_("an earlier attempt may have taken effect"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    handled_by = models.CharField(_("handled by"), max_length=100, blank=True)
    gave_up = models.BooleanField(_("given up"), default=False)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("outbox entry")
        verbose_name_plural = _("outbox")
        indexes = [models.Index(fields=["available_at", "id"], name="outbox_due", condition=Q(done_at__isnull=True))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type} → {self.handler}"


class JobRun(models.Model):
    """One run of a periodic job for one period (a Tehran day): the unique pair makes two workers,
    or a restarted one, run it once."""

    job = models.CharField(_("job"), max_length=64)
    period = models.CharField(_("period"), max_length=32)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("periodic job run")
        verbose_name_plural = _("periodic job runs")
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="job_run_once_per_period")]

    def __str__(self) -> str:
        return f"{self.job} {self.period}"
