"""The base earning and spending policy (the program settings), as pure Python: no ORM, values
in, values out.

Rounding: every figure is an integer, rounded down once per purchase.
"""

from dataclasses import dataclass
from datetime import datetime

from vafa.core.jalali import add_months, end_of_jalali_month, end_of_jalali_year


@dataclass(frozen=True)
class EarnPolicy:
    earn_points: int = 1
    earn_per_rial: int = 10_000
    earn_base: str = "net"
    earn_includes_tax: bool = False
    earn_includes_shipping: bool = False
    point_value_rial: int = 100
    max_redeem_percent: int = 100
    expiry: str = "months"
    expiry_periods: int = 12
    pending_days: int = 0
    min_purchase_rial: int = 0

    def redeemable_points(self, requested: int, *, amount: int) -> int:
        """The points a checkout of `amount` (what the customer owes before the points
        discount) may spend: the request, capped so the discount never exceeds the allowed
        share of the amount."""
        if requested <= 0:
            return 0
        cap_rial = amount * self.max_redeem_percent // 100
        return min(requested, cap_rial // self.point_value_rial)

    def base_of(self, *, amount: int, tax: int = 0, shipping: int = 0, discount: int = 0) -> int:
        """The Rials that earn: the amount, less tax and shipping unless they earn, less the
        points discount when earning is on the net amount."""
        base = amount
        if not self.earn_includes_tax:
            base -= tax
        if not self.earn_includes_shipping:
            base -= shipping
        if self.earn_base == "net":
            base -= discount
        return max(base, 0)

    def base_points(self, *, amount: int, tax: int = 0, shipping: int = 0, discount: int = 0) -> tuple[int, str]:
        """Points of the base rate and a one-line explanation of how they were counted."""
        if amount < self.min_purchase_rial:
            return 0, f"below the minimum purchase of {self.min_purchase_rial} IRR"
        base = self.base_of(amount=amount, tax=tax, shipping=shipping, discount=discount)
        points = base * self.earn_points // self.earn_per_rial
        return points, (
            f"{self.earn_points} point(s) per {self.earn_per_rial} IRR of {base} IRR "
            f"({self.earn_base}), rounded down"
        )

    def expires_at(self, earned_at: datetime) -> datetime | None:
        n = self.expiry_periods
        if self.expiry == "never":
            return None
        if self.expiry == "jalali_month_end":
            return end_of_jalali_month(earned_at, n)
        if self.expiry == "jalali_year_end":
            return end_of_jalali_year(earned_at, n)
        return add_months(earned_at, n)
