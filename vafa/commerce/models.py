from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Purchase(models.Model):
    """A recorded purchase with what it earned and spent: the answer to replay for retries."""

    class Channel(models.TextChoices):
        IN_STORE = "in_store", _("in store")
        ONLINE = "online", _("online")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="purchases",
                                 verbose_name=_("merchant"))
    branch = models.ForeignKey("merchants.Branch", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="purchases", verbose_name=_("branch"))
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="purchases",
                               verbose_name=_("member"))
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    api_key = models.ForeignKey("merchants.ApiKey", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", db_index=False, verbose_name=_("API key"))
    amount = models.BigIntegerField(_("amount (Rials)"))
    tax = models.BigIntegerField(_("tax (Rials)"), default=0)
    shipping = models.BigIntegerField(_("shipping (Rials)"), default=0)
    discount = models.BigIntegerField(_("points discount (Rials)"), default=0)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.IN_STORE)
    payment_method = models.CharField(_("payment method"), max_length=30, blank=True)
    points_earned = models.BigIntegerField(_("points earned"), default=0)
    points_redeemed = models.BigIntegerField(_("points redeemed"), default=0)
    balance_after = models.BigIntegerField(_("balance after"), default=0)
    applied_rules = models.JSONField(_("applied rules"), default=list)
    refunded_amount = models.BigIntegerField(_("refunded (Rials)"), default=0)
    points_reversed = models.BigIntegerField(_("points reversed"), default=0)
    points_returned = models.BigIntegerField(_("spent points given back"), default=0)
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        indexes = [models.Index(fields=["member", "occurred_at"], name="purchase_member_time")]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "external_id"], name="purchase_external_id_unique",
                                    condition=Q(external_id__isnull=False)),
            models.CheckConstraint(condition=Q(amount__gte=0), name="purchase_amount_not_negative"),
            models.CheckConstraint(condition=Q(refunded_amount__lte=models.F("amount")),
                                   name="purchase_refund_le_amount"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.amount} IRR"


class PurchaseItem(models.Model):
    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=64, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.BigIntegerField(_("unit price (Rials)"))

    class Meta:
        verbose_name = _("purchase item")
        verbose_name_plural = _("purchase items")

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class Refund(models.Model):
    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="refunds")
    # The shop's own id for the refund: a retry without an Idempotency-Key cannot refund twice.
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    amount = models.BigIntegerField(_("amount (Rials)"))
    points_reversed = models.BigIntegerField(_("points reversed"))
    points_returned = models.BigIntegerField(_("spent points given back"))
    balance_after = models.BigIntegerField(_("balance after"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(fields=["purchase", "external_id"], name="refund_external_id_unique",
                                    condition=Q(external_id__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} of #{self.purchase_id}"


class WalkInSale(models.Model):
    """A sale without a member: counted for the owner's statistics (members vs non-members),
    never for points. A table of its own, so the ledger, the rollups, the scores and the segments
    never meet a purchase with no member (Purchase.member stays required)."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="walk_in_sales",
                                 verbose_name=_("merchant"))
    branch = models.ForeignKey("merchants.Branch", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="walk_in_sales", verbose_name=_("branch"))
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    amount = models.BigIntegerField(_("amount (Rials)"))
    tax = models.BigIntegerField(_("tax (Rials)"), default=0)
    shipping = models.BigIntegerField(_("shipping (Rials)"), default=0)
    channel = models.CharField(_("channel"), max_length=10, choices=Purchase.Channel.choices,
                               default=Purchase.Channel.IN_STORE)
    payment_method = models.CharField(_("payment method"), max_length=30, blank=True)
    refunded_amount = models.BigIntegerField(_("refunded (Rials)"), default=0)
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    occurred_at = models.DateTimeField(_("occurred at"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sale without a member")
        verbose_name_plural = _("sales without a member")
        # The figures sum the sales of a window of months: a range read of this index.
        indexes = [models.Index(fields=["occurred_at"], name="walk_in_sale_time")]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "external_id"], name="walk_in_external_id_unique",
                                    condition=Q(external_id__isnull=False)),
            models.CheckConstraint(condition=Q(amount__gte=0), name="walk_in_amount_not_negative"),
            models.CheckConstraint(condition=Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                                   name="walk_in_refund_le_amount"),
        ]

    def __str__(self) -> str:
        return f"walk-in #{self.pk} {self.amount} IRR"


class WalkInSaleItem(models.Model):
    sale = models.ForeignKey(WalkInSale, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=64, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.BigIntegerField(_("unit price (Rials)"))

    class Meta:
        verbose_name = _("item of a sale without a member")
        verbose_name_plural = _("items of sales without a member")

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"
