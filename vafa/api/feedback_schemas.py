"""What the survey and review endpoints answer (their inputs are vafa.engage.inputs)."""

from datetime import datetime
from typing import Any

from ninja import Schema


class SurveyOut(Schema):
    id: int
    name: str
    description: str
    questions: list[dict[str, Any]]
    points: int
    status: str  # draft, open or closed (an open survey past closes_at is closed)
    closes_at: datetime | None
    answers_count: int
    link: str  # the portal page members answer at
    created_at: datetime


class ScoreCount(Schema):
    score: int
    count: int


class OptionCount(Schema):
    index: int
    option: str
    count: int
    percent: int


class TextAnswerOut(Schema):
    answer_id: int
    member_id: int
    text: str
    answered_at: datetime


class QuestionResultOut(Schema):
    index: int
    type: str
    text: str
    answered: int
    nps: int | None = None
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None
    average: float | None = None
    distribution: list[ScoreCount] | None = None
    options: list[OptionCount] | None = None
    texts: list[TextAnswerOut] | None = None


class ResultsOut(Schema):
    survey_id: int
    answers: int
    questions: list[QuestionResultOut]


class TextsOut(Schema):
    items: list[TextAnswerOut]
    next_cursor: str | None


class AnswerOut(Schema):
    id: int
    survey_id: int
    member_id: int
    answers: list[int | str | None]
    complete: bool
    points_awarded: int
    created_at: datetime
    already_answered: bool = False


class AnswersOut(Schema):
    items: list[AnswerOut]
    next_cursor: str | None


class ReviewOut(Schema):
    id: int
    member_id: int
    purchase_id: int
    rating: int
    text: str
    status: str
    points_awarded: int
    created_at: datetime


class ReviewsOut(Schema):
    items: list[ReviewOut]
    next_cursor: str | None
