"""What the ledger accepts from outside: points to spend or to adjust by, and an adjustment's
reason. The API and the back-office reach these through the services."""

from typing import Annotated

import annotated_types as at
from pydantic import AfterValidator, Field, Strict

from vafa.core.inputs import Input, Text, fail, says
from vafa.core.limits import MAX_POINTS

_POINTS_WHY = f"must be a non-zero integer up to {MAX_POINTS}"


def _not_zero(value: int) -> int:
    if value == 0:
        fail(_POINTS_WHY)
    return value


# Points spent: 1 to MAX_POINTS. A change (an adjustment) may also be negative, never zero.
Spend = Annotated[int, Strict(), at.Ge(1), at.Le(MAX_POINTS), says(_POINTS_WHY, int_type="must be an integer")]
Change = Annotated[int, Strict(), at.Ge(-MAX_POINTS), at.Le(MAX_POINTS), AfterValidator(_not_zero),
                   says(_POINTS_WHY, int_type="must be an integer")]


class AdjustmentInput(Input):
    """A staff or integrator correction: points (+/-) with a mandatory reason."""

    points: Change = Field(description="added (positive) or taken (negative)")
    reason: Text(255, min_length=1, why="required", string_too_long="at most 255 characters")
