from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Redemption(models.Model):
    """Points spent on a catalogue reward (or a reward given free by a rule), with what it gave.
    A charity reward's redemptions are the donations recorded for that charity."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="redemptions",
                               verbose_name=_("member"))
    reward = models.ForeignKey("program.Reward", on_delete=models.PROTECT, related_name="redemptions",
                               verbose_name=_("reward"))
    merchant = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("merchant"))
    points = models.BigIntegerField(_("points spent"), default=0)
    value_rial = models.BigIntegerField(_("value (Rials)"), default=0)
    free = models.BooleanField(_("given by a rule"), default=False)
    rule = models.CharField(_("rule"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        indexes = [models.Index(fields=["member", "reward"], name="redemption_member_reward")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.reward_id}"


class Coupon(models.Model):
    """A discount code: a member's own (from a redemption, single use) or a shared promo code
    with a usage limit. `used_count` only grows under the coupon's row lock."""

    class Kind(models.TextChoices):
        AMOUNT = "amount", _("fixed amount")
        PERCENT = "percent", _("percentage")
        FREE_PRODUCT = "free_product", _("free product")

    code = models.CharField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    amount_rial = models.PositiveBigIntegerField(_("amount (Rials)"), null=True, blank=True)
    percent = models.PositiveSmallIntegerField(_("percent"), null=True, blank=True)
    cap_rial = models.PositiveBigIntegerField(_("cap (Rials)"), null=True, blank=True)
    min_purchase_rial = models.PositiveBigIntegerField(_("minimum purchase (Rials)"), default=0)
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="coupons", verbose_name=_("member"))
    redemption = models.OneToOneField(Redemption, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="coupon")
    is_promo = models.BooleanField(_("shared promo code"), default=False)
    usage_limit = models.PositiveIntegerField(_("usage limit"), default=1)
    used_count = models.PositiveIntegerField(_("used"), default=0)
    per_member_limit = models.PositiveIntegerField(_("uses per member"), null=True, blank=True)
    starts_at = models.DateTimeField(_("valid from"), null=True, blank=True)
    expires_at = models.DateTimeField(_("valid until"), null=True, blank=True)
    merchant = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("merchant"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        constraints = [models.CheckConstraint(condition=Q(used_count__lte=F("usage_limit")),
                                              name="coupon_used_le_limit")]

    def __str__(self) -> str:
        return self.code


class CouponUse(models.Model):
    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="uses")
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    amount = models.BigIntegerField(_("basket amount (Rials)"))
    discount = models.BigIntegerField(_("discount (Rials)"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    merchant = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_at = models.DateTimeField(_("used at"), auto_now_add=True)

    class Meta:
        verbose_name = _("coupon use")
        verbose_name_plural = _("coupon uses")

    def __str__(self) -> str:
        return f"{self.coupon_id}: {self.discount}"


class GiftCard(models.Model):
    """Stored value in Rials, spent in parts until empty or expired."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="gift_cards",
                               verbose_name=_("member"))
    redemption = models.OneToOneField(Redemption, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="gift_card")
    initial_rial = models.PositiveBigIntegerField(_("value (Rials)"))
    balance_rial = models.PositiveBigIntegerField(_("balance (Rials)"))
    expires_at = models.DateTimeField(_("valid until"), null=True, blank=True)
    # Where it was issued (the points were spent there): it is spent at that merchant's shops.
    merchant = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("issued by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("gift card")
        verbose_name_plural = _("gift cards")
        constraints = [models.CheckConstraint(condition=Q(balance_rial__lte=F("initial_rial")),
                                              name="gift_card_balance_le_value")]

    def __str__(self) -> str:
        return self.code


class GiftCardUse(models.Model):
    gift_card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="uses")
    amount_rial = models.PositiveBigIntegerField(_("amount (Rials)"))
    balance_after = models.PositiveBigIntegerField(_("balance after (Rials)"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    merchant = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("spent at"))
    created_at = models.DateTimeField(_("used at"), auto_now_add=True)

    class Meta:
        verbose_name = _("gift card use")
        verbose_name_plural = _("gift card uses")

    def __str__(self) -> str:
        return f"{self.gift_card_id}: {self.amount_rial}"


class PartnerCode(models.Model):
    """One code of a partner's pool (e.g. a streaming subscription); handed out once."""

    reward = models.ForeignKey("program.Reward", on_delete=models.CASCADE, related_name="partner_codes")
    code = models.CharField(_("code"), max_length=200)
    redemption = models.OneToOneField(Redemption, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="partner_code")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner code")
        verbose_name_plural = _("partner codes")
        constraints = [models.UniqueConstraint(fields=["reward", "code"], name="partner_code_unique")]
        indexes = [models.Index(fields=["reward", "redemption"], name="partner_code_free")]

    def __str__(self) -> str:
        return f"{self.reward_id}: ****"


class Shipment(models.Model):
    """The delivery of a physical reward (Reward.ships): requested, being prepared, sent (with a
    tracking code), delivered; or cancelled, with the points given back. To the member's address,
    or an organisation's with a contact person."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        PREPARING = "preparing", _("being prepared")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        CANCELLED = "cancelled", _("cancelled")

    redemption = models.OneToOneField(Redemption, on_delete=models.PROTECT, related_name="shipment",
                                      verbose_name=_("redemption"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    recipient_name = models.CharField(_("recipient"), max_length=200)
    organization_name = models.CharField(_("organisation"), max_length=200, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=16)
    province = models.CharField(_("province"), max_length=60, blank=True)
    city = models.CharField(_("city"), max_length=60, blank=True)
    address = models.TextField(_("address"))
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    tracking_code = models.CharField(_("tracking code"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        indexes = [models.Index(fields=["status", "created_at"], name="shipment_status_created")]

    def __str__(self) -> str:
        return f"{self.redemption_id}: {self.status}"


class ShipmentStep(models.Model):
    """One step of a shipment, as it happened: who moved it, when, and why."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="steps")
    status = models.CharField(_("status"), max_length=10, choices=Shipment.Status.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.CharField(_("by"), max_length=150, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("shipment step")
        verbose_name_plural = _("shipment steps")
        ordering = ["at", "id"]
