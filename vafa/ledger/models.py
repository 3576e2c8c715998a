from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Account(models.Model):
    """One per member, plus system accounts. Only member accounts cache a balance:
    a system account's balance is derived from its transfers, so no row is written
    by every purchase (no hot row)."""

    class Role(models.TextChoices):
        MEMBER = "member", _("member")
        ISSUED = "issued", _("issued by merchant")
        REDEEMED = "redeemed", _("redeemed at merchant")
        EXPIRED = "expired", _("expired")
        ADJUSTMENTS = "adjustments", _("adjustments")

    code = models.CharField(_("code"), max_length=40, unique=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    member = models.OneToOneField("members.Member", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="account", verbose_name=_("member"))
    merchant = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("merchant"))
    balance = models.BigIntegerField(_("cached balance"), default=0)
    # Cached too: points past their expiry may wait for the expiry run beside a deficit, so
    # the balance's sign alone does not tell whether a credit must repay one first.
    deficit = models.BigIntegerField(_("cached deficit"), default=0)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.code


class Transfer(models.Model):
    """An immutable movement of points from `debit` to `credit`. Corrections are new,
    reversing transfers; a row is never edited or deleted."""

    class Kind(models.TextChoices):
        EARN = "earn", _("earn")
        BONUS = "bonus", _("bonus")
        REFERRAL = "referral", _("referral")
        REDEEM = "redeem", _("redeem")
        REFUND_REVERSAL = "refund_reversal", _("refund reversal")
        EXPIRE = "expire", _("expire")
        ADJUST = "adjust", _("adjust")
        TRANSFER = "transfer", _("transfer")

    debit = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="debits",
                              verbose_name=_("from account"))
    credit = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="credits",
                               verbose_name=_("to account"))
    amount = models.BigIntegerField(_("points"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    merchant = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("recorded by merchant"))
    # For debits: the merchant that issued the consumed points (coalition settlement).
    issuer = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("issuer"))
    source_kind = models.CharField(_("source"), max_length=20, blank=True)
    source_id = models.BigIntegerField(_("source id"), null=True, blank=True)
    rule = models.CharField(_("rule"), max_length=64, blank=True)
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="reversals", verbose_name=_("reverses"))
    # The API key whose request wrote it (none for staff, the portal and jobs); not indexed:
    # it is read when a key's writes are reviewed, never on a hot path.
    api_key = models.ForeignKey("merchants.ApiKey", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", db_index=False, verbose_name=_("API key"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        indexes = [
            models.Index(fields=["source_kind", "source_id"], name="transfer_source"),
            models.Index(fields=["debit", "id"], name="transfer_debit_id"),
            models.Index(fields=["credit", "id"], name="transfer_credit_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(condition=~Q(debit=models.F("credit")), name="transfer_two_accounts"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}: {self.debit_id} → {self.credit_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Transfers are immutable; record a reversing transfer instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Transfers are immutable; record a reversing transfer instead.")


class Lot(models.Model):
    """Points credited to a member, consumed first-to-expire-first.

    A debt lot (amount 0, negative remaining) holds a claw-back deficit; the next credits
    repay it before anything else."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lots")
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="lots")
    merchant = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("issuer"))
    amount = models.BigIntegerField(_("points"))
    remaining = models.BigIntegerField(_("remaining"))
    # What expiry took from this lot: a refund never claws back points that already expired.
    expired = models.BigIntegerField(_("expired"), default=0)
    available_at = models.DateTimeField(_("available at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        indexes = [
            models.Index(fields=["account", "expires_at"], name="lot_account_expiry"),
            models.Index(fields=["expires_at"], name="lot_open_expiry", condition=Q(remaining__gt=0)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(remaining__lte=models.F("amount")), name="lot_remaining_le_amount"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="lot_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"lot {self.pk}: {self.remaining}/{self.amount}"


class LotUse(models.Model):
    """Which lots a debit took its points from (points > 0), and which a refund gave them back
    to (points < 0): so a refund restores the very points it spent, with their expiry, and a
    coalition's settlement knows whose points were spent. Rows are only ever added."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="lot_uses")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="uses")
    points = models.BigIntegerField(_("points"))

    class Meta:
        verbose_name = _("lot use")
        verbose_name_plural = _("lot uses")


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an Idempotency-Key, replayed for retries."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["merchant", "key"], name="idempotency_key_unique")]
