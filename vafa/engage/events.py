"""What happens to engagement, for the apps above (and outgoing webhooks) to react to (see
vafa.core.events)."""

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from vafa.core.events import Event


@dataclass(frozen=True)
class SurveyAnswered(Event):
    """A member answered a survey (once per member and survey), in the answer's transaction."""

    name: ClassVar[str] = "survey.answered"
    survey_id: int
    answer_id: int
    member_id: int
    complete: bool
    points_awarded: int
    answered_at: datetime


@dataclass(frozen=True)
class ReviewWritten(Event):
    """A member reviewed one of their purchases (once per purchase)."""

    name: ClassVar[str] = "review.written"
    review_id: int
    member_id: int
    purchase_id: int
    rating: int
    points_awarded: int
    written_at: datetime
