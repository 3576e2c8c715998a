from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgramSettings(models.Model):
    """The club's base earning and spending policy: one record (pk 1), edited in the admin.

    A fresh install works with the defaults: 1 point per 10,000 Rials of the earn base,
    a point worth 100 Rials (1% back), points expiring 12 months after the purchase."""

    class EarnBase(models.TextChoices):
        NET = "net", _("amount after the points discount")
        GROSS = "gross", _("amount before the points discount")

    class Expiry(models.TextChoices):
        MONTHS = "months", _("N months after earning")
        JALALI_MONTH_END = "jalali_month_end", _("end of the Jalali month, N months on")
        JALALI_YEAR_END = "jalali_year_end", _("end of the Jalali year, N years on")
        NEVER = "never", _("never")

    class ClubMode(models.TextChoices):
        OPEN = "open", _("open: anyone joins")
        CLOSED = "closed", _("closed: joining is an application")

    earn_points = models.PositiveIntegerField(_("points earned"), default=1, validators=[MinValueValidator(0)])
    earn_per_rial = models.PositiveBigIntegerField(
        _("per this many Rials"), default=10_000, validators=[MinValueValidator(1)])
    earn_base = models.CharField(_("earn base"), max_length=8, choices=EarnBase.choices, default=EarnBase.NET)
    earn_includes_tax = models.BooleanField(_("earn on tax"), default=False)
    earn_includes_shipping = models.BooleanField(_("earn on shipping"), default=False)
    point_value_rial = models.PositiveIntegerField(
        _("value of one point (Rials)"), default=100, validators=[MinValueValidator(1)])
    max_redeem_percent = models.PositiveSmallIntegerField(
        _("most of a purchase payable with points (%)"), default=100,
        validators=[MinValueValidator(0), MaxValueValidator(100)])
    expiry = models.CharField(_("expiry"), max_length=20, choices=Expiry.choices, default=Expiry.MONTHS)
    expiry_periods = models.PositiveSmallIntegerField(_("expiry periods (N)"), default=12)
    pending_days = models.PositiveSmallIntegerField(_("pending days"), default=0)
    min_purchase_rial = models.PositiveBigIntegerField(_("minimum purchase to earn (Rials)"), default=0)
    club_mode = models.CharField(_("club mode"), max_length=8, choices=ClubMode.choices, default=ClubMode.OPEN)
    approve_spend_rial = models.PositiveBigIntegerField(
        _("closed club: approve automatically after spending (Rials)"), null=True, blank=True,
        help_text=_("empty = staff approve every application"))
    approve_months = models.PositiveSmallIntegerField(_("closed club: spend counted over (months)"), default=6)
    referral_limit = models.PositiveIntegerField(_("referrals per member per period"), null=True, blank=True,
                                                 help_text=_("empty = no limit"))
    referral_period_days = models.PositiveIntegerField(_("referral period (days)"), default=30)
    version = models.PositiveBigIntegerField(_("program version"), default=1, editable=False,
                                             help_text=_("raised on every change of rules, tiers or rewards"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("program settings")
        verbose_name_plural = _("program settings")

    def __str__(self) -> str:
        return str(_("Program settings"))

    def clean(self):
        from django.core.exceptions import ValidationError

        from vafa.core.limits import MAX_AWARD_POINTS, MAX_RIAL

        # At most a point per Rial, as for a rule: the largest purchase stays within the bound.
        if self.earn_per_rial and self.earn_points * MAX_RIAL // self.earn_per_rial > MAX_AWARD_POINTS:
            raise ValidationError({"earn_points": _("At most one point per Rial.")})


class Rule(models.Model):
    """An earning rule as data (DESIGN "The program as data"). Only `live` rules earn.

    `issued_points`/`issued_rial` count what the rule has given, for its budget; they are
    written under the rule's row lock only when the rule has a budget."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        LIVE = "live", _("live")
        PAUSED = "paused", _("paused")
        ENDED = "ended", _("ended")

    class Trigger(models.TextChoices):
        PURCHASE = "purchase", _("purchase")
        JOIN = "join", _("joining")
        PROFILE_COMPLETED = "profile_completed", _("profile completed")
        OCCASION = "occasion", _("occasion")
        REFERRAL_COMPLETED = "referral_completed", _("referral completed")
        REVIEW = "review", _("review written")
        SURVEY = "survey", _("survey answered")
        PACKAGING_CODE = "packaging_code", _("packaging code entered")
        EVENT = "event", _("custom event")

    class Occasion(models.TextChoices):
        BIRTHDAY = "birthday", _("birthday")
        WEDDING = "wedding", _("wedding anniversary")
        MEMBERSHIP_ANNIVERSARY = "membership_anniversary", _("membership anniversary")

    class Stacking(models.TextChoices):
        CUMULATIVE = "cumulative", _("cumulative")
        EXCLUSIVE = "exclusive", _("exclusive")

    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    trigger = models.CharField(_("trigger"), max_length=24, choices=Trigger.choices, default=Trigger.PURCHASE)
    occasion = models.CharField(_("occasion"), max_length=24, choices=Occasion.choices, blank=True)
    event_type = models.CharField(_("event type"), max_length=64, blank=True)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    effect = models.JSONField(_("effect"), default=dict)
    priority = models.IntegerField(_("priority"), default=0)
    stacking = models.CharField(_("stacking"), max_length=10, choices=Stacking.choices,
                                default=Stacking.CUMULATIVE)
    caps = models.JSONField(_("caps"), default=dict, blank=True)
    budget = models.JSONField(_("budget"), default=dict, blank=True)
    pending_days = models.PositiveSmallIntegerField(_("pending days"), null=True, blank=True)
    expiry_months = models.PositiveSmallIntegerField(_("expiry (months)"), null=True, blank=True)
    merchant = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="rules", verbose_name=_("only at merchant"))
    issued_points = models.BigIntegerField(_("points issued"), default=0, editable=False)
    issued_rial = models.BigIntegerField(_("value issued (Rials)"), default=0, editable=False)
    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ["-priority", "id"]

    def __str__(self) -> str:
        return self.name


class RuleRevision(models.Model):
    """Every saved state of a rule: editing a live rule keeps its history."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField(_("revision"))
    data = models.JSONField(_("rule"))
    changed_by = models.CharField(_("changed by"), max_length=150, blank=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rule revision")
        verbose_name_plural = _("rule revisions")
        constraints = [models.UniqueConstraint(fields=["rule", "revision"], name="rule_revision_unique")]

    def __str__(self) -> str:
        return f"{self.rule_id} r{self.revision}"


class Tier(models.Model):
    class QualifyBy(models.TextChoices):
        SPEND = "spend", _("spend (Rials)")
        POINTS = "points", _("points earned")
        PURCHASES = "purchases", _("number of purchases")

    class Window(models.TextChoices):
        ROLLING_365 = "rolling_365", _("the last 365 days")
        JALALI_YEAR = "jalali_year", _("the Jalali calendar year")

    code = models.SlugField(_("code"), max_length=40, unique=True, allow_unicode=True,
                            help_text=_("used in rule conditions, e.g. gold"))
    name = models.CharField(_("name"), max_length=100)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True, help_text=_("higher is better"))
    color = models.CharField(_("colour"), max_length=7, default="#9e9e9e")
    qualify_by = models.CharField(_("qualify by"), max_length=10, choices=QualifyBy.choices,
                                  default=QualifyBy.SPEND)
    threshold = models.BigIntegerField(_("threshold"), default=0, validators=[MinValueValidator(0)])
    window = models.CharField(_("window"), max_length=12, choices=Window.choices, default=Window.ROLLING_365)
    earn_percent = models.PositiveIntegerField(_("earn percent"), default=100,
                                               help_text=_("100 = no change, 200 = double base points"))
    grace_days = models.PositiveIntegerField(_("grace days before a downgrade"), default=0)
    page_text = models.TextField(_("tier page text"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class MemberTier(models.Model):
    """A member's current tier. A downgrade waits until `hold_until` (end of the period plus
    the tier's grace)."""

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="tier_state")
    tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("tier"))
    since = models.DateTimeField(_("since"))
    hold_until = models.DateTimeField(_("kept until"), null=True, blank=True)

    class Meta:
        verbose_name = _("member tier")
        verbose_name_plural = _("member tiers")

    def __str__(self) -> str:
        return f"{self.member_id}: {self.tier_id}"


class TierChange(models.Model):
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("from"))
    to_tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("to"))
    reason = models.CharField(_("reason"), max_length=255)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier history")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_tier_id} -> {self.to_tier_id}"


class Reward(models.Model):
    """A catalogue reward: what a member can spend points on."""

    class Kind(models.TextChoices):
        COUPON_AMOUNT = "coupon_amount", _("fixed-amount coupon")
        COUPON_PERCENT = "coupon_percent", _("percentage coupon")
        FREE_PRODUCT = "free_product", _("free product")
        GIFT_CARD = "gift_card", _("gift card")
        PARTNER_CODE = "partner_code", _("partner code")
        CHARITY = "charity", _("charity donation")
        NON_MATERIAL = "non_material", _("non-material")

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    active = models.BooleanField(_("active"), default=True)
    cost_points = models.PositiveBigIntegerField(_("cost (points)"), default=0)
    amount_rial = models.PositiveBigIntegerField(_("amount (Rials)"), null=True, blank=True)
    percent = models.PositiveSmallIntegerField(_("percent"), null=True, blank=True,
                                               validators=[MinValueValidator(1), MaxValueValidator(100)])
    cap_rial = models.PositiveBigIntegerField(_("cap (Rials)"), null=True, blank=True)
    min_purchase_rial = models.PositiveBigIntegerField(_("minimum purchase (Rials)"), default=0)
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    stock = models.PositiveIntegerField(_("stock"), null=True, blank=True, help_text=_("empty = unlimited"))
    per_member_limit = models.PositiveIntegerField(_("per member limit"), null=True, blank=True)
    tiers = models.JSONField(_("tiers (codes)"), default=list, blank=True)
    member_kinds = models.JSONField(_("member kinds"), default=list, blank=True)
    plans = models.JSONField(_("membership plans (ids)"), default=list, blank=True)
    starts_at = models.DateTimeField(_("available from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("available until"), null=True, blank=True)
    valid_days = models.PositiveIntegerField(_("coupon valid for (days)"), null=True, blank=True)
    charity_name = models.CharField(_("charity"), max_length=200, blank=True)
    ships = models.BooleanField(_("physical: sent or handed over"), default=False,
                                help_text=_("a gift or product that must reach the member: its redemption "
                                            "waits in the fulfilment list until delivered"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["cost_points", "id"]

    def __str__(self) -> str:
        return self.name


class RuleAward(models.Model):
    """What a rule gave a member and when (the event's own time): the record that per-member
    caps count against. Written only for rules, never for the base rate."""

    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="awards")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    points = models.BigIntegerField(_("points"))
    occurred_at = models.DateTimeField(_("occurred at"))
    source_kind = models.CharField(_("source"), max_length=20)
    source_id = models.BigIntegerField(_("source id"), null=True)

    class Meta:
        verbose_name = _("rule award")
        verbose_name_plural = _("rule awards")
        indexes = [models.Index(fields=["member", "rule", "occurred_at"], name="rule_award_member_time")]

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.points}"
