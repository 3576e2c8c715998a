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
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("program settings")
        verbose_name_plural = _("program settings")

    def __str__(self) -> str:
        return str(_("Program settings"))
