"""What the members app accepts from outside for paid membership: a plan (a fee for a number of
days, an earn percent) and a payment for one. The API takes these models as its request bodies;
the services check through them."""

from pydantic import Field

from vafa.core.inputs import Bool, Choice, Input, Int, Text, partial
from vafa.core.limits import MAX_PLAN_DAYS, MAX_PLAN_EARN_PERCENT, MAX_RIAL

PAYMENT_CHANNELS = ("api", "pos")


class PlanInput(Input):
    """A paid membership plan: `fee_rial` for `duration_days`."""

    name: Text(100, min_length=1, why="1 to 100 characters")
    fee_rial: Int(0, MAX_RIAL)
    duration_days: Int(1, MAX_PLAN_DAYS)
    earn_percent: Int(0, MAX_PLAN_EARN_PERCENT) = Field(
        100, description="of the base points while the plan lasts: 100 = no change, 150 = half as many more")
    description: Text(5000, why="at most 5000 characters") = ""
    active: Bool = Field(True, description="on sale")


PlanPatch = partial(PlanInput, "PlanPatch", "Only the fields given (not null) change; paid periods keep their dates.")


class MembershipInput(Input):
    """A payment for a plan: a new paid period."""

    amount_rial: Int(0, MAX_RIAL) = Field(description="the plan's fee")
    payment_reference: Text(100, why="at most 100 characters") = Field(
        "", description="the same reference again is the same payment (a retry)")
    channel: Choice(PAYMENT_CHANNELS) = "api"
