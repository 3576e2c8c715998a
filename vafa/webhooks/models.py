from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vafa.merchants.models import Merchant

# The event types an endpoint may subscribe to (DESIGN, "Shop connections and outgoing webhooks").
EVENT_TYPES = ("member.created", "member.updated", "purchase.recorded", "purchase.refunded", "points.redeemed",
               "points.expired", "points.expiring", "tier.changed", "reward.redeemed", "referral.completed",
               "consent.changed", "survey.answered")


class WebhookEndpoint(models.Model):
    class Status(models.TextChoices):
        ENABLED = "enabled", _("enabled")
        DISABLED = "disabled", _("disabled")

    class DisabledReason(models.TextChoices):
        NONE = "", _("none")
        GONE = "gone", _("the receiver answered 410 Gone")
        FAILING = "failing", _("deliveries failed for days")
        STAFF = "staff", _("disabled by staff")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="webhook_endpoints",
                                 verbose_name=_("merchant"))
    url = models.URLField(_("URL"), max_length=1000)
    events = models.JSONField(_("events"), default=list)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Kept in clear: it signs every delivery (a digest could not).
    secret = models.CharField(_("secret"), max_length=100)
    previous_secret = models.CharField(_("previous secret"), max_length=100, blank=True)
    previous_until = models.DateTimeField(_("previous secret valid until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ENABLED)
    disabled_reason = models.CharField(_("why disabled"), max_length=10, choices=DisabledReason.choices,
                                       blank=True, default="")
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Deleting keeps the row: other processes may still hold it in their cache of endpoints for a
    # few seconds and write a message for it, which must not break their transaction.
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url


class WebhookMessage(models.Model):
    """One event for one endpoint: its body is fixed when the event is decided, so every retry
    (and a replay) sends the same bytes under the same `webhook-id`."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    public_id = models.CharField(_("webhook id"), max_length=30, unique=True)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages",
                                 verbose_name=_("endpoint"))
    type = models.CharField(_("type"), max_length=40)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook message")
        verbose_name_plural = _("webhook messages")
        indexes = [models.Index(fields=["endpoint", "status"], name="webhook_msg_endpoint_status")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.type}"


class WebhookAttempt(models.Model):
    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="attempt_log",
                                verbose_name=_("message"))
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="attempts",
                                 verbose_name=_("endpoint"))  # the deliveries log is read per endpoint
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)  # None: no answer
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    response = models.CharField(_("response (first 500 characters)"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        indexes = [models.Index(fields=["endpoint", "-id"], name="webhook_attempt_endpoint")]

    def __str__(self) -> str:
        return f"{self.message_id} {self.status_code}"
