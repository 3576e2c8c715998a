from django.db import models
from django.utils.translation import gettext_lazy as _


class ClvFit(models.Model):
    """One fit of the lifetime-value models (BG/NBD and Gamma-Gamma) on the purchases up to
    `calibration_end`: the parameters the nightly scoring used, or why it refused to fit."""

    class Status(models.TextChoices):
        FITTED = "fitted", _("fitted")
        REFUSED = "refused", _("refused")

    fitted_at = models.DateTimeField(_("fitted at"))
    calibration_end = models.DateField(_("calibration end"))
    unit = models.CharField(_("time unit"), max_length=8, default="week")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    # Why a fit was refused, in the words the command prints (too few repeat customers, q <= 1).
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    members = models.PositiveIntegerField(_("members"), default=0)
    repeat_members = models.PositiveIntegerField(_("repeat customers"), default=0)
    # {"r", "alpha", "a", "b", "log_likelihood"} and {"p", "q", "gamma", "log_likelihood"} (DESIGN)
    bgnbd = models.JSONField(_("BG/NBD"), default=dict)
    gamma_gamma = models.JSONField(_("Gamma-Gamma"), default=dict)
    seconds = models.FloatField(_("seconds"), default=0)
    # The members by lifetime value as scored: [{"from_rial", "to_rial" (None: no bound), "members",
    # "clv_rial"}], so the dashboard reads a dozen numbers, not a million scores.
    distribution = models.JSONField(_("distribution of lifetime values"), default=list, blank=True)

    class Meta:
        verbose_name = _("lifetime value fit")
        verbose_name_plural = _("lifetime value fits")
        ordering = ["-fitted_at"]

    def __str__(self) -> str:
        return f"{self.status} {self.calibration_end}"


# --- rollups: the owner's figures kept up to date as things are written (vafa/insight/rollups.py) ----------


class RollupState(models.Model):
    """How far the rollups have read their sources: one row, locked by whoever brings them up to
    date, so two workers (or a worker and a page) never add the same rows twice."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)
    # Per source table: {"seen_to": id, "gaps": [[first id, last id, noticed (Unix seconds)], ...]}:
    # every id up to seen_to was read, except the gaps, ids not committed yet when they were passed.
    feeds = models.JSONField(_("sources read"), default=dict)
    rfm_checked_at = models.DateTimeField(_("RFM grid checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"rollups built {self.built_at}"


class CalendarDay(models.Model):
    """A Tehran calendar day and its Jalali month (year x 100 + month), so SQL can group by Jalali
    month with a join; filled for the days the data needs."""

    day = models.DateField(_("day"), primary_key=True)
    month = models.PositiveIntegerField(_("Jalali month"))

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.day} {self.month}"


class DayFigures(models.Model):
    """What happened on one Tehran day: points by when they happened (points a purchase earned on
    the purchase's day, other movements on their own), members who joined, tier moves."""

    day = models.DateField(_("day"), primary_key=True)
    points_earned = models.BigIntegerField(_("points earned"), default=0)
    points_adjusted = models.BigIntegerField(_("points adjusted (net)"), default=0)
    points_reversed = models.BigIntegerField(_("points refunds took back"), default=0)
    points_redeemed = models.BigIntegerField(_("points redeemed"), default=0)
    points_returned = models.BigIntegerField(_("points refunds gave back"), default=0)
    points_expired = models.BigIntegerField(_("points expired"), default=0)
    members_joined = models.BigIntegerField(_("members joined"), default=0)
    tier_ups = models.BigIntegerField(_("tier upgrades"), default=0)
    tier_downs = models.BigIntegerField(_("tier downgrades"), default=0)

    class Meta:
        verbose_name = _("day's figures")
        verbose_name_plural = _("days' figures")

    def __str__(self) -> str:
        return str(self.day)


class DayReward(models.Model):
    """Catalogue redemptions of one reward on one Tehran day (rewards a rule gave free left out)."""

    day = models.DateField(_("day"))
    # Derived rows: no database constraint to check on every write (a reward with redemptions is
    # never deleted).
    reward = models.ForeignKey("program.Reward", on_delete=models.CASCADE, related_name="+", db_constraint=False,
                               verbose_name=_("reward"))
    redemptions = models.BigIntegerField(_("redemptions"), default=0)
    points = models.BigIntegerField(_("points spent"), default=0)

    class Meta:
        verbose_name = _("day's redemptions")
        verbose_name_plural = _("days' redemptions")
        constraints = [models.UniqueConstraint(fields=["day", "reward"], name="day_reward_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.reward_id}"


class MemberFigures(models.Model):
    """One member's purchases summed (a purchase refunded in full does not count; amounts are net
    of refunds), recomputed from the purchases whenever one of theirs is recorded or refunded."""

    member = models.OneToOneField("members.Member", primary_key=True, on_delete=models.CASCADE, related_name="+",
                                  db_constraint=False)
    cohort = models.PositiveIntegerField(_("Jalali month of joining"))
    joined_at = models.DateTimeField(_("joined at"))
    purchases = models.PositiveIntegerField(_("purchases"), default=0)
    amount_rial = models.BigIntegerField(_("spend (Rials)"), default=0)
    last_at = models.DateTimeField(_("last purchase"), null=True, blank=True)
    before_purchases = models.PositiveIntegerField(_("purchases before joining"), default=0)
    before_rial = models.BigIntegerField(_("spend before joining (Rials)"), default=0)
    first_before_at = models.DateTimeField(_("first purchase before joining"), null=True, blank=True)
    after_purchases = models.PositiveIntegerField(_("purchases since joining"), default=0)
    after_rial = models.BigIntegerField(_("spend since joining (Rials)"), default=0)
    # The tier these figures are counted under in TierMonth (0: none): the member's tier when
    # they were last recomputed, so a move takes them out of the tier they were counted in.
    tier = models.PositiveIntegerField(_("tier counted"), default=0)

    class Meta:
        verbose_name = _("member's figures")
        verbose_name_plural = _("members' figures")
        indexes = [
            models.Index(fields=["purchases"], name="member_figures_purchases"),
            models.Index(fields=["last_at"], name="member_figures_last"),
            models.Index(fields=["before_purchases"], name="member_figures_before",
                         condition=models.Q(before_purchases__gt=0)),
        ]

    def __str__(self) -> str:
        return f"figures of member {self.member_id}"


class MemberMonth(models.Model):
    """A member's purchases in one Jalali month (only months with a purchase that counts)."""

    # Indexed by the unique (member, month) below.
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+", db_index=False,
                               db_constraint=False)
    month = models.PositiveIntegerField(_("Jalali month"))
    cohort = models.PositiveIntegerField(_("Jalali month of joining"))
    purchases = models.PositiveIntegerField(_("purchases"))
    amount_rial = models.BigIntegerField(_("spend (Rials)"))

    class Meta:
        verbose_name = _("member's month")
        verbose_name_plural = _("members' months")
        constraints = [models.UniqueConstraint(fields=["member", "month"], name="member_month_unique")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month}"


class CohortMonth(models.Model):
    """The members who joined in one Jalali month (the cohort) and bought in another: how many,
    their purchases and spend; kept with each member's months."""

    cohort = models.PositiveIntegerField(_("Jalali month of joining"))
    month = models.PositiveIntegerField(_("Jalali month"))
    members = models.BigIntegerField(_("members who bought"), default=0)
    purchases = models.BigIntegerField(_("purchases"), default=0)
    amount_rial = models.BigIntegerField(_("spend (Rials)"), default=0)

    class Meta:
        verbose_name = _("cohort's month")
        verbose_name_plural = _("cohorts' months")
        constraints = [models.UniqueConstraint(fields=["cohort", "month"], name="cohort_month_unique")]

    def __str__(self) -> str:
        return f"{self.cohort} {self.month}"


class TierMonth(models.Model):
    """Members' months by current tier: for each tier (0: none), Jalali month and the month of each
    member's previous purchase before it (0: none), how many members, their purchases and spend.
    Purchases and spend over a run of months are sums; the buyers over months a..b are the members
    whose first month in the run has its previous month before a (each member counted once)."""

    tier = models.PositiveIntegerField(_("tier"))
    month = models.PositiveIntegerField(_("Jalali month"))
    prev_month = models.PositiveIntegerField(_("previous month with a purchase"))
    members = models.BigIntegerField(_("members who bought"), default=0)
    purchases = models.BigIntegerField(_("purchases"), default=0)
    amount_rial = models.BigIntegerField(_("spend (Rials)"), default=0)

    class Meta:
        verbose_name = _("tier's month")
        verbose_name_plural = _("tiers' months")
        constraints = [models.UniqueConstraint(fields=["tier", "month", "prev_month"], name="tier_month_unique")]

    def __str__(self) -> str:
        return f"{self.tier} {self.month} {self.prev_month}"


class RfmCell(models.Model):
    """One cell of the recency x frequency grid as the scores stood when it was taken: members and
    their spend to date. Retaken when the scores change (the nightly scoring)."""

    r = models.PositiveSmallIntegerField(_("recency quintile"))
    f = models.PositiveSmallIntegerField(_("frequency quintile"))
    members = models.BigIntegerField(_("members"), default=0)
    spend_rial = models.BigIntegerField(_("spend to date (Rials)"), default=0)
    scored_at = models.DateTimeField(_("latest score"), null=True, blank=True)
    taken_at = models.DateTimeField(_("taken at"))

    class Meta:
        verbose_name = _("RFM cell")
        verbose_name_plural = _("RFM cells")
        constraints = [models.UniqueConstraint(fields=["r", "f"], name="rfm_cell_unique")]

    def __str__(self) -> str:
        return f"R{self.r} F{self.f}: {self.members}"


class RollupTotals(models.Model):
    """Figures over all members, kept with the members' figures and balances (each recomputation
    adds the difference it makes): a page reads one row instead of counting a million."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    buyers = models.BigIntegerField(_("members with a purchase"), default=0)
    repeat_buyers = models.BigIntegerField(_("members with two purchases or more"), default=0)
    points_held = models.BigIntegerField(_("positive balances"), default=0)
    points_owed = models.BigIntegerField(_("negative balances, as a positive number"), default=0)
    joining_members = models.BigIntegerField(_("members who bought before joining"), default=0)
    before_purchases = models.BigIntegerField(_("their purchases before joining"), default=0)
    before_rial = models.BigIntegerField(_("their spend before joining (Rials)"), default=0)
    before_seconds = models.FloatField(_("seconds from their first purchase to joining"), default=0)
    after_purchases = models.BigIntegerField(_("their purchases since joining"), default=0)
    after_rial = models.BigIntegerField(_("their spend since joining (Rials)"), default=0)
    joined_seconds = models.FloatField(_("their moments of joining summed (Unix seconds)"), default=0)

    class Meta:
        verbose_name = _("rollup totals")
        verbose_name_plural = _("rollup totals")

    def __str__(self) -> str:
        return f"{self.buyers} buyers"


class AccountBalance(models.Model):
    """A member account's balance as the rollups last read it (after its latest transfer read):
    what a change of balance adds to, or takes from, the liability's totals."""

    account_id = models.BigIntegerField(_("account"), primary_key=True)
    balance = models.BigIntegerField(_("balance"))

    class Meta:
        verbose_name = _("account balance read")
        verbose_name_plural = _("account balances read")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.balance}"


class DayLastPurchase(models.Model):
    """Members whose latest purchase that counts was on this Tehran day: the members active in
    a window are these days summed (and the two days at its ends counted exactly)."""

    day = models.DateField(_("day"), primary_key=True)
    members = models.BigIntegerField(_("members"), default=0)

    class Meta:
        verbose_name = _("day of members' last purchase")
        verbose_name_plural = _("days of members' last purchase")

    def __str__(self) -> str:
        return f"{self.day}: {self.members}"


class ProductPair(models.Model):
    """"Bought X, then Y": among the members who bought `first_sku`, those who bought `then_sku` in
    the same purchase or a later one. Recomputed from the purchases nightly (vafa.insight.products)."""

    first_sku = models.CharField(_("first SKU"), max_length=64)
    then_sku = models.CharField(_("then SKU"), max_length=64)
    then_name = models.CharField(_("name of the then SKU"), max_length=200, blank=True)
    members = models.BigIntegerField(_("members who bought both"))
    support = models.FloatField(_("support"))
    confidence = models.FloatField(_("confidence"))
    lift = models.FloatField(_("lift"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("product pair")
        verbose_name_plural = _("product pairs")
        constraints = [models.UniqueConstraint(fields=["first_sku", "then_sku"], name="product_pair_unique")]
        indexes = [models.Index(fields=["first_sku", "-lift"], name="product_pair_first")]

    def __str__(self) -> str:
        return f"{self.first_sku} -> {self.then_sku}"


class ProgrammeEffect(models.Model):
    """What one rule, reward or campaign cost and what followed: the members who received it vs
    comparable members who did not, over `window_days` after. Recomputed nightly
    (vafa.insight.effect); `figures` holds what only some kinds have (a campaign's hold-out lift)."""

    class Kind(models.TextChoices):
        RULE = "rule", _("rule")
        REWARD = "reward", _("reward")
        CAMPAIGN = "campaign", _("campaign")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    ref = models.CharField(_("rule code or id"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    recipients = models.BigIntegerField(_("members who received it"), default=0)
    cost_rial = models.BigIntegerField(_("cost (Rials)"), default=0)
    points = models.BigIntegerField(_("points given"), default=0)
    recipients_buyers = models.BigIntegerField(_("recipients who bought after"), default=0)
    recipients_spend_rial = models.BigIntegerField(_("recipients' spend after (Rials)"), default=0)
    comparison = models.BigIntegerField(_("comparable members"), default=0)
    comparison_buyers = models.BigIntegerField(_("comparable members who bought"), default=0)
    comparison_spend_rial = models.BigIntegerField(_("comparable members' spend (Rials)"), default=0)
    window_days = models.PositiveIntegerField(_("days after"), default=30)
    figures = models.JSONField(_("more figures"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("programme effect")
        verbose_name_plural = _("programme effects")
        constraints = [models.UniqueConstraint(fields=["kind", "ref"], name="programme_effect_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref}"
