from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Merchant(models.Model):
    """A business that earns and burns the club's points (one, or several in a coalition)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")

    def __str__(self) -> str:
        return self.name


class Branch(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="branches",
                                 verbose_name=_("merchant"))
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        constraints = [models.UniqueConstraint(fields=["merchant", "code"], name="branch_code_unique")]

    def __str__(self) -> str:
        return f"{self.merchant} / {self.name}"


class Scope(models.TextChoices):
    """What a key may do; every API endpoint names the one it needs."""

    MEMBERS_READ = "members:read", _("read members and their points")
    MEMBERS_WRITE = "members:write", _("create and change members")
    MEMBERS_PII = "members:pii", _("see national codes")
    PURCHASES = "purchases", _("record purchases and refunds")
    POINTS_SPEND = "points:spend", _("spend members' points")
    POINTS_ADJUST = "points:adjust", _("adjust points by hand")
    REWARDS = "rewards", _("coupons, gift cards and promo codes")
    PROGRAM = "program", _("change the program")
    ENGAGE = "engage", _("messages and campaigns")
    INSIGHT = "insight", _("reports")
    WEBHOOKS = "webhooks", _("webhooks")


ALL_SCOPES = frozenset(Scope.values)
# A partner shop earns and burns the club's points; only the operator runs the club.
PARTNER_FORBIDDEN_SCOPES = frozenset({Scope.PROGRAM, Scope.ENGAGE, Scope.INSIGHT, Scope.POINTS_ADJUST,
                                      Scope.MEMBERS_PII})
PARTNER_SCOPES = ALL_SCOPES - PARTNER_FORBIDDEN_SCOPES


class ApiKey(models.Model):
    """An integrator's key. Only a SHA-256 digest is stored: keys are long random
    secrets, so a fast digest is safe and keeps every API call to one indexed lookup."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="api_keys",
                                 verbose_name=_("merchant"))
    name = models.CharField(_("name"), max_length=100, default="default")
    prefix = models.CharField(_("prefix"), max_length=16, db_index=True)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.merchant} / {self.name} ({self.prefix}…)"


class StaffRole(models.TextChoices):
    OWNER = "owner", _("owner")
    MANAGER = "manager", _("manager")
    CASHIER = "cashier", _("cashier")
    MARKETER = "marketer", _("marketer")


class StaffProfile(models.Model):
    """A staff member's role in the back-office (a superuser without one counts as owner)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile",
                                verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=16, choices=StaffRole.choices)
    merchant = models.ForeignKey(Merchant, null=True, blank=True, on_delete=models.PROTECT, related_name="staff",
                                 verbose_name=_("merchant"))
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="staff",
                               verbose_name=_("branch"))

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class LoginFailure(models.Model):
    """A failed staff login, counted to slow down password guessing (per username and per IP)."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(db_index=True)
