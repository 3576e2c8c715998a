"""What commerce accepts from outside: a purchase with its items (also the checkout preview's
basket), a refund, and a sale without a member (WalkInSaleInput). The API takes these models as
its request bodies and hands the checked purchase to the service, so a purchase is validated
once; Python callers give the same fields as keywords.

The purchase path is hot: every field here is checked in pydantic's core, and the only Python
that runs for a good purchase is the check across its fields (tax and shipping within the
amount, a time not in the future)."""

from dataclasses import dataclass
from typing import Annotated

from django.utils import timezone
from pydantic import ConfigDict, Field, StrictInt, StrictStr, model_validator

from vafa.commerce.models import Purchase
from vafa.core.inputs import Bool, Choice, ExternalId, Input, Int, Moment, Rial, Text, fail, says
from vafa.core.limits import MAX_ITEMS, MAX_POINTS, MAX_QUANTITY
from vafa.core.moments import EARLIEST_YEAR, FUTURE_TOLERANCE


@dataclass(frozen=True)
class ItemIn:
    """A purchase's line as Python callers build it; the purchase checks it (ItemInput)."""

    sku: str
    quantity: int
    unit_price: int
    category: str = ""
    name: str = ""


class ItemInput(Input):
    model_config = ConfigDict(from_attributes=True)  # an ItemIn is read by its attributes

    sku: Text(64, min_length=1, strip=False)
    quantity: Int(1, MAX_QUANTITY)
    unit_price: Rial() = Field(description="IRR")
    category: Text(64, strip=False) = ""
    name: Text(200, strip=False) = ""


class SaleInput(Input):
    """What every sale says, with a member or without one: its id at the shop, how much (IRR),
    when, what, where and how it was paid; checked across its fields (tax and shipping within
    the amount, a time not in the future), then for who bought (`_who`)."""

    external_id: ExternalId() = Field(
        None, description="the shop's own id of the sale: the same one again is recorded once")
    amount: Rial() = Field(description="IRR, tax and shipping included, before the points discount")
    tax: Rial() = 0
    shipping: Rial() = 0
    occurred_at: Moment(early=f"not before {EARLIEST_YEAR}", late="in the future", dates=True) = Field(
        None, description="default now; without an offset, Tehran time")
    items: Annotated[list[ItemInput], Field(max_length=MAX_ITEMS), says(f"at most {MAX_ITEMS}",
                                                                         list_type="a list of items")] = []
    branch: Text(40, strip=False, optional=True) = Field(None, description="the merchant's branch code")
    channel: Choice(Purchase.Channel.values) = "in_store"
    payment_method: Text(30, strip=False) = ""

    @model_validator(mode="after")
    def _adds_up(self):
        if self.tax + self.shipping > self.amount:
            fail("tax and shipping are part of the amount", "tax")
        if self.occurred_at is not None and self.occurred_at > timezone.now() + FUTURE_TOLERANCE:
            fail("in the future", "occurred_at")
        self._who()
        return self

    def _who(self) -> None:
        pass


class PurchaseInput(SaleInput):
    """A purchase: who (member_id or phone), how much (IRR), when, what, and the points to spend."""

    member_id: StrictInt | None = None
    phone: Text(40, strip=False, optional=True) = Field(None, description="any common Iranian form")
    redeem_points: Int(0, MAX_POINTS, why="an integer from 0 to 10^12") = 0
    # Checked before the purchase by the use case that spends (vafa.usecases.spend_proof).
    member_code: Text(20, optional=True, why="at most 20 characters") = Field(
        None, description="the member's spend code (portal or SMS): required when a partner spends points")
    # An addition to the contract: a sale to a customer who is not a member, recorded for the
    # owner's statistics only (vafa.commerce.walk_in), with no member_id or phone and no points.
    without_member: Bool = Field(
        False, description="a sale without a member: no member_id or phone, no points; counted for statistics")

    def _who(self) -> None:
        if self.without_member:
            if self.member_id is not None or self.phone:
                fail("a sale without a member names no member_id or phone", "without_member")
            if self.redeem_points:
                fail("a sale without a member spends no points", "redeem_points")
            return
        if self.member_id is None and not self.phone:
            fail("member_id or phone is required", "member_id")

    def walk_in(self) -> "WalkInSaleInput":
        """The sale without a member that this body describes (when `without_member`): its
        fields, already checked here, taken as they are."""
        return WalkInSaleInput.model_construct(**{name: getattr(self, name) for name in WalkInSaleInput.model_fields})


class PreviewInput(PurchaseInput):
    """A purchase's body, as it would be posted; the member is optional (a guest's basket)."""

    member_id: StrictInt | StrictStr | None = None

    def _who(self) -> None:
        pass


class RefundInput(Input):
    amount: Rial(1) = Field(description="the value returned, in the measure of the purchase's amount")
    external_id: ExternalId() = Field(
        None, description="the shop's own id of the refund: the same one again refunds once")


class WalkInSaleInput(SaleInput):
    """A sale without a member (vafa.commerce.walk_in): a purchase's fields, less the member's
    and the points', checked as a purchase's are."""


class WalkInRefundInput(Input):
    amount: Rial(1) = Field(description="the value returned, in the measure of the sale's amount")
