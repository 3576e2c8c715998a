from django.db import models
from django.utils.translation import gettext_lazy as _


class Referral(models.Model):
    """A member who joined with another's code. It completes on the new member's first
    purchase, once. The phone and national code are kept so the same person cannot be
    referred twice (e.g. after leaving and joining again)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        COMPLETED = "completed", _("completed")

    referrer = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="referrals_made",
                                 verbose_name=_("referrer"))
    referred = models.OneToOneField("members.Member", null=True, on_delete=models.SET_NULL,
                                    related_name="referral", verbose_name=_("referred member"))
    phone = models.CharField(_("phone"), max_length=16, unique=True)
    national_id = models.CharField(_("national code / ID"), max_length=11, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("joined at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    purchase_id = models.BigIntegerField(_("first purchase"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [models.Index(fields=["referrer", "created_at"], name="referral_referrer_time")]

    def __str__(self) -> str:
        return f"{self.referrer_id} -> {self.phone}"
