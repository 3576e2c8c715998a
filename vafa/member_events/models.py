"""Member events: what a member did (or a day came) that rules may reward, each counted once."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """Something a member did that rules may reward (a review, a survey, a packaging code,
    a birthday, any custom event). `key` makes each one count once: a daily run or a retry
    with the same key has no second effect."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="events",
                               verbose_name=_("member"))
    merchant = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("merchant"))
    type = models.CharField(_("type"), max_length=64)
    key = models.CharField(_("key"), max_length=200, null=True, blank=True, unique=True)
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    points_earned = models.BigIntegerField(_("points earned"), default=0)
    applied_rules = models.JSONField(_("applied rules"), default=list)
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["member", "type"], name="event_member_type")]

    def __str__(self) -> str:
        return f"{self.type} #{self.member_id}"


class PackagingCode(models.Model):
    """A code printed in a product's packaging. When the club uploads its codes, only those
    earn, each once; `event` is the member's entry that used it."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    batch = models.CharField(_("batch"), max_length=64, blank=True)
    event = models.OneToOneField(Event, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("used by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("packaging code")
        verbose_name_plural = _("packaging codes")

    def __str__(self) -> str:
        return f"{self.sku or '-'}: ****"
