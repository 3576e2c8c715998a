from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")


class Purpose(models.TextChoices):
    SERVICE = "service", _("service")
    MARKETING = "marketing", _("marketing")


class Segment(models.Model):
    """A group of members by rules (`conditions`, all must hold), evaluated when asked."""

    code = models.SlugField(_("code"), max_length=64, unique=True, allow_unicode=True,
                            help_text=_("used in rule conditions, e.g. lapsed-vips"))
    name = models.CharField(_("name"), max_length=100)
    conditions = models.JSONField(_("conditions"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.CharField(_("created by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        CANCELLED = "cancelled", _("cancelled")

    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.MARKETING)
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="campaigns",
                                verbose_name=_("segment"))
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    holdout_percent = models.PositiveSmallIntegerField(_("hold-out percent"), default=0)
    reward = models.ForeignKey("program.Reward", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("coupon from reward"))
    lift_days = models.PositiveSmallIntegerField(_("lift measured over days"), default=30)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    audience = models.PositiveIntegerField(_("audience"), default=0)
    holdout = models.PositiveIntegerField(_("held out"), default=0)
    # The audience is drawn in chunks by member id: the last one drawn, so a restart goes on.
    drawn_up_to = models.BigIntegerField(default=0, editable=False)
    queued_up_to = models.BigIntegerField(default=0, editable=False)
    audience_drawn = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.CharField(_("created by"), max_length=150, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [models.Index(fields=["status", "send_at"], name="campaign_status_send_at")]

    def __str__(self) -> str:
        return self.name


class CampaignMember(models.Model):
    """One member of a campaign's audience as drawn when it started; `holdout` members get
    nothing and are the comparison of the lift report."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    draw = models.BigIntegerField()  # a random number: the lowest ones are held out
    holdout = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "member"], name="campaign_member_unique")]
        indexes = [models.Index(fields=["campaign", "draw"], name="campaign_member_draw")]


class Automation(models.Model):
    class Status(models.TextChoices):
        LIVE = "live", _("live")
        PAUSED = "paused", _("paused")

    class Trigger(models.TextChoices):
        BIRTHDAY = "birthday", _("birthday")
        OCCASION = "occasion", _("occasion")
        POINTS_EXPIRING = "points_expiring", _("points expiring")
        TIER_CHANGED = "tier_changed", _("tier changed")
        INACTIVE = "inactive", _("inactive")
        JOINED = "joined", _("joined")
        AFTER_PURCHASE = "after_purchase", _("after a purchase")
        REFERRAL_COMPLETED = "referral_completed", _("referral completed")

    name = models.CharField(_("name"), max_length=100)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.LIVE)
    trigger = models.JSONField(_("trigger"))
    trigger_type = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices, editable=False)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.MARKETING)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    reward = models.ForeignKey("program.Reward", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("reward given"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # When the worker last looked: event-like triggers go on from there (with an overlap), the
    # daily ones look again CHECK_MINUTES later.
    checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("automation")
        verbose_name_plural = _("automations")

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """One message to one member, written in the transaction that decided it and sent by the
    worker through the outbox."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        HELD = "held", _("held until the sending window")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped")

    class Skip(models.TextChoices):
        NO_CONSENT = "no_consent", _("no consent")
        FREQUENCY_CAP = "frequency_cap", _("weekly limit reached")
        BLOCKED_NUMBER = "blocked_number", _("the number blocks advertising")
        INVALID_ADDRESS = "invalid_address", _("no valid address")
        MEMBER_BLOCKED = "member_blocked", _("the member is blocked")
        CANCELLED = "cancelled", _("cancelled")
        TOO_LATE = "too_late", _("no longer meaningful")

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="messages",
                               verbose_name=_("member"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    to = models.CharField(_("to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    parts = models.PositiveSmallIntegerField(_("SMS parts"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    skip_reason = models.CharField(_("reason"), max_length=16, choices=Skip.choices, blank=True)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages",
                                 verbose_name=_("campaign"))
    automation = models.ForeignKey(Automation, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="messages", verbose_name=_("automation"))
    # e.g. campaign:3:member:42 or automation:7:member:42:birthday:1405: one message per key.
    occurrence_key = models.CharField(_("occurrence key"), max_length=120, null=True, blank=True, unique=True)
    gateway = models.CharField(_("gateway"), max_length=20, blank=True)
    gateway_id = models.CharField(_("gateway's id"), max_length=100, blank=True)
    gateway_status = models.CharField(_("gateway's status"), max_length=40, blank=True)
    error = models.CharField(_("error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    status_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["member", "-created_at"], name="message_member_created"),
            models.Index(fields=["member", "purpose", "due_at"], name="message_member_cap"),
            models.Index(fields=["status", "sent_at"], name="message_status_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.member_id}: {self.status}"


class BlockedNumber(models.Model):
    """A phone the gateway reported as blocking advertising (Kavenegar 14, Ghasedak 12/15): no
    marketing SMS goes to it again."""

    phone = models.CharField(_("phone"), max_length=16, unique=True)
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    gateway = models.CharField(_("gateway"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("number blocking advertising")
        verbose_name_plural = _("numbers blocking advertising")

    def __str__(self) -> str:
        return self.phone
