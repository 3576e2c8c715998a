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
    survey = models.ForeignKey("Survey", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("survey linked as {survey_link}"))
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
    survey = models.ForeignKey("Survey", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("survey linked as {survey_link}"))
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


# --- feedback: surveys and reviews ----------------------------------------------------------------


class Survey(models.Model):
    """Questions members answer in the portal (/surveys/<id>), from a link in a message.

    `questions` is a list of {"type": "nps"|"rating"|"choice"|"text", "text": ..., "options":
    [...] (choice), "required": bool}; `points` are earned once, for a complete answer."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    questions = models.JSONField(_("questions"), default=list)
    points = models.PositiveIntegerField(_("points for a complete answer"), default=0)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.CharField(_("created by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.name


class SurveyAnswer(models.Model):
    """A member's answers to a survey (one per member): `answers` follows the questions' order
    (a number for nps/rating, an option's index for choice, text for text, null when skipped)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers", verbose_name=_("survey"))
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="survey_answers",
                               verbose_name=_("member"))
    answers = models.JSONField(_("answers"), default=list)
    complete = models.BooleanField(_("complete"), default=False)
    points_awarded = models.PositiveIntegerField(_("points awarded"), default=0)
    created_at = models.DateTimeField(_("answered at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [models.UniqueConstraint(fields=["survey", "member"], name="survey_answer_once")]


class Review(models.Model):
    """A member's review of one of their purchases (once per purchase)."""

    class Status(models.TextChoices):
        PUBLISHED = "published", _("published")
        HIDDEN = "hidden", _("hidden")

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="reviews",
                               verbose_name=_("member"))
    purchase = models.OneToOneField("commerce.Purchase", on_delete=models.CASCADE, related_name="review",
                                    verbose_name=_("purchase"))
    rating = models.PositiveSmallIntegerField(_("rating"))  # 1 to 5
    text = models.TextField(_("text"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")


# --- recognition: badges, challenges, contests ----------------------------------------------------


class Badge(models.Model):
    """Recognition awarded once, when a member meets its criterion: `threshold` purchases (in
    `category` when given), a streak of `threshold` weeks in a row with a purchase, `threshold`
    completed referrals, or `threshold` surveys answered."""

    class Criterion(models.TextChoices):
        PURCHASES = "purchases", _("purchases")
        CATEGORY = "category", _("purchases in a category")
        STREAK_WEEKS = "streak_weeks", _("weeks in a row with a purchase")
        REFERRALS = "referrals", _("friends referred")
        SURVEYS = "surveys", _("surveys answered")

    code = models.SlugField(_("code"), max_length=64, unique=True, allow_unicode=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=255, blank=True)
    criterion = models.CharField(_("criterion"), max_length=16, choices=Criterion.choices)
    threshold = models.PositiveIntegerField(_("threshold"))
    category = models.CharField(_("category"), max_length=64, blank=True)
    points = models.PositiveIntegerField(_("points when awarded"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("badge")
        verbose_name_plural = _("badges")

    def __str__(self) -> str:
        return self.name


class MemberBadge(models.Model):
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="badges",
                               verbose_name=_("member"))
    badge = models.ForeignKey(Badge, on_delete=models.CASCADE, related_name="awards", verbose_name=_("badge"))
    awarded_at = models.DateTimeField(_("awarded at"), default=timezone.now)

    class Meta:
        verbose_name = _("member's badge")
        verbose_name_plural = _("members' badges")
        constraints = [models.UniqueConstraint(fields=["member", "badge"], name="member_badge_once")]


class Challenge(models.Model):
    """A goal within a time window ("3 purchases in 30 days"): `target` purchases, or `target`
    Rials spent (net of refunds), between `starts_at` and `ends_at` (in `category` when given);
    completing it gives `points` and/or `reward`, once."""

    class Goal(models.TextChoices):
        PURCHASES = "purchases", _("purchases")
        SPEND = "spend", _("spend (IRR)")

    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=255, blank=True)
    goal = models.CharField(_("goal"), max_length=10, choices=Goal.choices, default=Goal.PURCHASES)
    target = models.PositiveBigIntegerField(_("target"))
    category = models.CharField(_("category"), max_length=64, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    points = models.PositiveIntegerField(_("points on completion"), default=0)
    reward = models.ForeignKey("program.Reward", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("reward on completion"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")

    def __str__(self) -> str:
        return self.name


class ChallengeCompletion(models.Model):
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="completions",
                                  verbose_name=_("challenge"))
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="challenges_completed",
                               verbose_name=_("member"))
    completed_at = models.DateTimeField(_("completed at"), default=timezone.now)

    class Meta:
        verbose_name = _("completed challenge")
        verbose_name_plural = _("completed challenges")
        constraints = [models.UniqueConstraint(fields=["challenge", "member"], name="challenge_once")]


class Contest(models.Model):
    """Members submit an entry (a text, or a photo) between `starts_at` and `ends_at`; staff
    approve entries and pick winners, who earn `winner_points`."""

    class Entry(models.TextChoices):
        TEXT = "text", _("text")
        PHOTO = "photo", _("photo")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        JUDGING = "judging", _("judging")
        DECIDED = "decided", _("winners chosen")

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    entry_kind = models.CharField(_("entry"), max_length=5, choices=Entry.choices, default=Entry.TEXT)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    winner_points = models.PositiveIntegerField(_("points for a winner"), default=0)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("contest")
        verbose_name_plural = _("contests")

    def __str__(self) -> str:
        return self.name


class ContestEntry(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("waiting for approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        WINNER = "winner", _("winner")

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="entries", verbose_name=_("contest"))
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="contest_entries",
                               verbose_name=_("member"))
    text = models.TextField(_("text"), blank=True)
    photo = models.FileField(_("photo"), upload_to="contests/%Y/%m/", blank=True)
    photo_type = models.CharField(_("photo type"), max_length=20, blank=True)  # image/jpeg, image/png, image/webp
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    points_awarded = models.PositiveIntegerField(_("points awarded"), default=0)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.CharField(_("decided by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("contest entry")
        verbose_name_plural = _("contest entries")
        constraints = [models.UniqueConstraint(fields=["contest", "member"], name="contest_entry_once")]
