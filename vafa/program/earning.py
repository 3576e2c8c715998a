"""The base earning policy as pure functions: no ORM, values in, values out.

Rounding: every figure is an integer, rounded down once per purchase.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

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


@dataclass(frozen=True)
class Basket:
    amount: int  # what the customer owes before the points discount, tax and shipping included
    tax: int = 0
    shipping: int = 0


def redeemable_points(policy: EarnPolicy, basket: Basket, requested: int) -> int:
    """The points a checkout may spend: the request, capped so the discount never exceeds
    the allowed share of the amount."""
    if requested <= 0:
        return 0
    cap_rial = basket.amount * policy.max_redeem_percent // 100
    return min(requested, cap_rial // policy.point_value_rial)


def earn_base(policy: EarnPolicy, basket: Basket, discount: int) -> int:
    base = basket.amount
    if not policy.earn_includes_tax:
        base -= basket.tax
    if not policy.earn_includes_shipping:
        base -= basket.shipping
    if policy.earn_base == "net":
        base -= discount
    return max(base, 0)


def base_points(policy: EarnPolicy, basket: Basket, discount: int) -> tuple[int, str]:
    """Points of the base rate and a one-line explanation of how they were counted."""
    if basket.amount < policy.min_purchase_rial:
        return 0, f"below the minimum purchase of {policy.min_purchase_rial} IRR"
    base = earn_base(policy, basket, discount)
    points = base * policy.earn_points // policy.earn_per_rial
    return points, (
        f"{policy.earn_points} point(s) per {policy.earn_per_rial} IRR of {base} IRR "
        f"({policy.earn_base}), rounded down"
    )


def available_from(policy: EarnPolicy, earned_at: datetime) -> datetime:
    return earned_at + timedelta(days=policy.pending_days)


def expires_at(policy: EarnPolicy, earned_at: datetime) -> datetime | None:
    n = policy.expiry_periods
    if policy.expiry == "never":
        return None
    if policy.expiry == "jalali_month_end":
        return end_of_jalali_month(earned_at, n)
    if policy.expiry == "jalali_year_end":
        return end_of_jalali_year(earned_at, n)
    return add_months(earned_at, n)
