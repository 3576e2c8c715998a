from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Member(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("person")
        ORGANIZATION = "organization", _("organization")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        PENDING = "pending", _("pending")
        BLOCKED = "blocked", _("blocked")

    phone = models.CharField(_("phone"), max_length=16, unique=True, help_text=_("E.164, e.g. +989121234567"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PERSON)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    organization_name = models.CharField(_("organization name"), max_length=200, blank=True)
    national_id = models.CharField(_("national code / ID"), max_length=11, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    # The birth date's Jalali month and day (month x 100 + day), kept by the services beside
    # birth_date, so "a birthday in the next N days" is one indexed query.
    birth_jalali = models.PositiveSmallIntegerField(null=True, blank=True, editable=False, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    referral_code = models.CharField(_("referral code"), max_length=12, unique=True)
    referred_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="referrals", verbose_name=_("referred by"))
    interests = models.ManyToManyField("Interest", blank=True, related_name="members",
                                       verbose_name=_("interests"))
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now, db_index=True)
    # Set when the member's personal data was erased on their request (members.services.member_erase).
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    merchant = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="members", verbose_name=_("joined at merchant"))
    # The member's id in the shop's own system (an import's `external_ref`): purchases imported
    # later name the member by it.
    external_ref = models.CharField(_("external reference"), max_length=100, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return f"{self.display_name} ({self.phone})"

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.ORGANIZATION and self.organization_name:
            return self.organization_name
        return f"{self.first_name} {self.last_name}".strip() or self.phone


class Interest(models.Model):
    slug = models.SlugField(_("slug"), max_length=60, unique=True, allow_unicode=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("interest")
        verbose_name_plural = _("interests")

    def __str__(self) -> str:
        return self.name


class Occasion(models.Model):
    """A yearly date worth a greeting or a gift (wedding anniversary, a car's service...)."""

    class Kind(models.TextChoices):
        WEDDING = "wedding", _("wedding anniversary")
        OTHER = "other", _("other")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="occasions")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100, blank=True)
    date = models.DateField(_("date"))

    class Meta:
        verbose_name = _("occasion")
        verbose_name_plural = _("occasions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class Consent(models.Model):
    """Marketing consent per channel, with when it was given or withdrawn."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("e-mail")
        PUSH = "push", _("push")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    granted = models.BooleanField(_("granted"))
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [models.UniqueConstraint(fields=["member", "channel"], name="consent_unique")]

    def __str__(self) -> str:
        return f"{self.channel}={self.granted}"


class Application(models.Model):
    """A request to join a closed club; the member is `pending` until it is approved."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="application")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("applied at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.CharField(_("decided by"), max_length=150, blank=True,
                                  help_text=_("a staff user, or 'auto' when the customer qualified"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return f"{self.member_id}: {self.status}"


class MembershipPlan(models.Model):
    """A paid membership (subscription club): a fee for a period with benefits."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("benefits"), blank=True)
    fee_rial = models.PositiveBigIntegerField(_("fee (Rials)"))
    duration_days = models.PositiveIntegerField(_("duration (days)"), default=365)
    earn_percent = models.PositiveIntegerField(_("earn percent"), default=100,
                                               help_text=_("100 = no change, 150 = half as many base points again"))
    active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership plan")
        verbose_name_plural = _("membership plans")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """One paid period of a plan; a renewal starts when the previous period ends."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    plan = models.ForeignKey(MembershipPlan, on_delete=models.PROTECT, related_name="memberships",
                             verbose_name=_("plan"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    amount_rial = models.PositiveBigIntegerField(_("paid (Rials)"))
    payment_reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    channel = models.CharField(_("recorded from"), max_length=10, default="api")
    merchant = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("merchant"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        indexes = [models.Index(fields=["member", "ends_at"], name="membership_member_end")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.plan_id} until {self.ends_at:%Y-%m-%d}"


class OneTimeCode(models.Model):
    """A code sent by SMS to prove a phone number; only its HMAC is kept (see members/otp.py)."""

    class Purpose(models.TextChoices):
        LOGIN = "login", _("log in or join")

    # Indexed by the (phone, created_at) index below, which every query here filters on.
    phone = models.CharField(_("phone"), max_length=16, help_text=_("E.164, e.g. +989121234567"))
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices, default=Purpose.LOGIN)
    code_hash = models.CharField(_("code hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    requested_ip = models.GenericIPAddressField(_("requested from IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [
            models.Index(fields=["phone", "created_at"], name="otp_phone_created"),
            models.Index(fields=["requested_ip", "created_at"], name="otp_ip_created"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code for {self.phone} at {self.created_at:%Y-%m-%d %H:%M}"


class CodeFailure(models.Model):
    """A wrong one-time code typed from an address (IPv6 grouped by /64). Too many from one
    address lock that address, never the phone: a stranger cannot keep a member out."""

    address = models.GenericIPAddressField(_("address"))
    phone = models.CharField(_("phone"), max_length=16)
    at = models.DateTimeField(_("at"))
    # Set on the failure that locked the address.
    locked_until = models.DateTimeField(_("address locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("wrong code")
        verbose_name_plural = _("wrong codes")
        indexes = [models.Index(fields=["address", "at"], name="codefailure_address_at")]


class SpendCode(models.Model):
    """A short-lived code that proves the member is at the till when a partner spends their
    points: shown in the portal (digits and QR) or sent by SMS. Only its HMAC is kept."""

    class Via(models.TextChoices):
        PORTAL = "portal", _("shown in the portal")
        SMS = "sms", _("sent by SMS")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="spend_codes",
                               verbose_name=_("member"))
    via = models.CharField(_("via"), max_length=8, choices=Via.choices)
    code_hash = models.CharField(_("code hash"), max_length=64)
    requested_by = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("requested by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_by = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("used by"))

    class Meta:
        verbose_name = _("spend code")
        verbose_name_plural = _("spend codes")
        indexes = [models.Index(fields=["member", "created_at"], name="spend_code_member_created")]


class Tag(models.Model):
    """A label staff put on members ("VIP", "wholesale", "complained in May"); rules and segments
    ask for it by its code."""

    code = models.SlugField(_("code"), max_length=64, unique=True, allow_unicode=True)
    name = models.CharField(_("name"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class MemberTag(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="member_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="member_tags")
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    added_by = models.CharField(_("added by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("member's tag")
        verbose_name_plural = _("members' tags")
        constraints = [models.UniqueConstraint(fields=["member", "tag"], name="member_tag_unique")]
        indexes = [models.Index(fields=["tag", "member"], name="member_tag_by_tag")]


class ConsentChange(models.Model):
    """Every change of a consent, with where it came from (an 11 reply, an unsubscribe link, the
    portal, staff): the proof of what the member asked for, and when."""

    class Source(models.TextChoices):
        JOIN = "join", _("when joining")
        PORTAL = "portal", _("the portal")
        API = "api", _("the API")
        STAFF = "staff", _("staff")
        SMS_REPLY = "sms_reply", _("an SMS reply")
        UNSUBSCRIBE = "unsubscribe", _("an unsubscribe link")
        GATEWAY = "gateway", _("the gateway's block list")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="consent_changes")
    channel = models.CharField(_("channel"), max_length=10, choices=Consent.Channel.choices)
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")
        indexes = [models.Index(fields=["member", "at"], name="consent_change_member_at")]


class MemberScore(models.Model):
    """What the figures say of a member, recomputed by the nightly scoring (vafa.insight): RFM
    quintiles (5 best) and the lifetime-value model's predictions. Derived data: never edited,
    always replaceable by scoring again. Kept here, below the apps that select by it (segments)."""

    member = models.OneToOneField(Member, primary_key=True, on_delete=models.CASCADE, related_name="score")
    rfm_r = models.PositiveSmallIntegerField(_("recency quintile"), null=True, blank=True)
    rfm_f = models.PositiveSmallIntegerField(_("frequency quintile"), null=True, blank=True)
    rfm_m = models.PositiveSmallIntegerField(_("monetary quintile"), null=True, blank=True)
    # BG/NBD's summary of the member's purchase days (DESIGN: x, t_x, T in days).
    repeat_days = models.PositiveIntegerField(_("repeat purchase days"), null=True, blank=True)
    p_alive = models.FloatField(_("probability still a customer"), null=True, blank=True)
    # p_alive at the scoring before: "slipping away" is a valuable member whose p_alive fell.
    p_alive_before = models.FloatField(null=True, blank=True)
    expected_purchases_90d = models.FloatField(_("expected purchases in 90 days"), null=True, blank=True)
    expected_avg_spend_rial = models.BigIntegerField(_("expected value of a purchase (Rials)"), null=True, blank=True)
    clv_rial = models.BigIntegerField(_("lifetime value over 12 months (Rials)"), null=True, blank=True)
    scored_at = models.DateTimeField(_("scored at"))

    class Meta:
        verbose_name = _("member score")
        verbose_name_plural = _("member scores")
        indexes = [models.Index(fields=["clv_rial"], name="member_score_clv"),
                   models.Index(fields=["p_alive"], name="member_score_p_alive")]

    def __str__(self) -> str:
        return f"score of member {self.member_id}"
