"""What engagement accepts from outside: segments (their conditions), campaigns and automations,
as typed inputs (vafa.core.inputs); the API takes these models as its request bodies."""

from typing import Annotated, Any

import annotated_types as at
from pydantic import AfterValidator, AllowInfNan, BeforeValidator, Field, Strict, model_validator

from vafa.core.inputs import Bool, Choice, Input, Int, Ints, Moment, Text, Texts, fail, says
from vafa.core.limits import MAX_COUNT, MAX_DAYS, MAX_ID, MAX_POINTS, MAX_RIAL
from vafa.engage.models import Automation, Badge, Challenge, Channel, Contest, Purpose
from vafa.members.models import Consent, Member

MAX_WINDOW_DAYS = 3650
MAX_LIST_MEMBERS = 10_000
QUINTILES = Ints(1, 5, why="a list of quintile scores from 1 to 5", each="a score from 1 to 5", unique=True)


def _days(description: str) -> Any:
    return Field(None, description=description)


Days = Int(1, MAX_WINDOW_DAYS, optional=True)


class Rfm(Input):
    """Quintile scores of recency, frequency and money over the window (5 best); an empty list
    asks nothing of that score."""

    r: QUINTILES = Field([], description="recency quintiles (5: bought most recently)")
    f: QUINTILES = Field([], description="frequency quintiles (5: bought most often)")
    m: QUINTILES = Field([], description="money quintiles (5: spent most)")


def _share(why: str) -> Any:
    """A number from 0 to 1 (an integer 0 or 1 too), or None."""
    return Annotated[Annotated[float, Strict(), at.Ge(0), at.Le(1), AllowInfNan(False)] | None, says(why)]


class Clv(Input):
    """The nightly lifetime-value figures (vafa.insight; MemberScore): members not scored yet, or
    whose last fit was refused, meet no bound given here."""

    p_alive_max: _share("a number from 0 to 1") = Field(
        None, description="the probability that the member is still a customer is at most this (0 to 1)")
    clv_min_rial: Int(0, MAX_RIAL, optional=True) = Field(
        None, description="the expected value of the member's purchases over 12 months is at least this (IRR)")


class _Conditions(Input):
    kinds: Texts(choices=Member.Kind.values) = Field([], description="the member is one of these kinds")
    tiers: Texts() = Field([], description="the member's tier is one of these codes")
    interests: Texts() = Field([], description="the member has one of these interests (slugs)")
    tags: Texts() = Field([], description="the member carries one of these staff tags (codes)")
    consent: Choice(Consent.Channel.values, why="sms, email or push") | None = Field(
        None, description="the member agreed to marketing by this channel")
    joined_within_days: Days = _days("joined in the last N days")
    purchased_within_days: Days = _days("bought in the last N days")
    not_purchased_within_days: Days = _days("did not buy in the last N days")
    purchases_min: Int(0, MAX_ID, optional=True) = _days("at least this many purchases over window_days")
    purchases_max: Int(0, MAX_ID, optional=True) = _days("at most this many purchases over window_days")
    spend_min_rial: Int(0, MAX_RIAL, optional=True) = _days(
        "spent at least this (IRR, net of refunds) over window_days")
    spend_max_rial: Int(0, MAX_RIAL, optional=True) = _days("spent at most this over window_days")
    window_days: Int(1, MAX_WINDOW_DAYS) = Field(365, description="the window of purchases, skus, categories and rfm")
    points_min: Int(0, MAX_POINTS, optional=True) = _days("holds at least this many points")
    birthday_within_days: Int(0, 366, optional=True) = _days(
        "the birthday (Jalali) is today or in the next N days")
    skus: Texts() = Field([], description="bought one of these SKUs over window_days")
    categories: Texts() = Field([], description="bought in one of these categories over window_days")
    rfm: Rfm | None = Field(None, description="RFM quintile scores over window_days")
    clv: Clv | None = Field(None, description="lifetime value: p_alive_max and clv_min_rial")
    members: Ints(1, MAX_ID, why=f"a list of at most {MAX_LIST_MEMBERS} member ids", unique=True,
                  max_items=MAX_LIST_MEMBERS) = Field([], description="one of these members")

    @model_validator(mode="after")
    def _ranges(self):
        for low, high in (("purchases_min", "purchases_max"), ("spend_min_rial", "spend_max_rial")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                fail(f"at most {high}", low)
        return self


class AnyOf(_Conditions):
    """One alternative of `any`: its conditions must all hold."""


def _alternatives(value: list) -> list:
    if not 1 <= len(value) <= 20:
        fail("a list of 1 to 20 condition objects")
    return value


class SegmentConditions(_Conditions):
    """All must hold; `any` adds a list of alternatives of which one must hold."""

    any: Annotated[list[AnyOf], AfterValidator(_alternatives)] | None = Field(
        None, description="a list of condition objects of which one must hold")

    def stored(self) -> dict:
        """The conditions as kept: only what was set."""
        return self.model_dump(mode="json", exclude_defaults=True, exclude_none=True, by_alias=True)


class SegmentInput(Input):
    name: Text(100, min_length=1)
    code: Text(64, optional=True, pattern=r"^[-\w]+$", why="letters, digits, - and _ (at most 64)") = None
    conditions: SegmentConditions = Field(default_factory=SegmentConditions)


class SegmentPatch(Input):
    name: Text(100, min_length=1, optional=True) = None
    conditions: SegmentConditions | None = None


class SegmentCount(Input):
    conditions: SegmentConditions = Field(default_factory=SegmentConditions)


# --- campaigns ------------------------------------------------------------------------------------------

TEXT_MAX = 1000


class CampaignInput(Input):
    name: Text(100, min_length=1)
    channel: Choice(Channel.values, why="sms or email")
    purpose: Choice(Purpose.values, why="service or marketing") = Purpose.MARKETING
    segment_id: Int(1, MAX_ID, why="a segment's id")
    text: Text(TEXT_MAX, min_length=1)
    subject: Text(200) = ""
    send_at: Moment(optional=True) = None
    holdout_percent: Int(0, 50) = 0
    reward_id: Int(1, MAX_ID, optional=True, why="a reward's id") = None
    lift_days: Int(1, 365) = 30
    survey_id: Int(1, MAX_ID, optional=True, why="a survey's id") = Field(
        None, description="the survey {survey_link} links to")


class CampaignPatch(Input):
    name: Text(100, min_length=1, optional=True) = None
    text: Text(TEXT_MAX, min_length=1, optional=True) = None
    subject: Text(200, optional=True) = None
    send_at: Moment(optional=True) = None
    holdout_percent: Int(0, 50, optional=True) = None


class ScheduleInput(Input):
    send_at: Moment(optional=True) = None


# --- automations ------------------------------------------------------------------------------------------


class Trigger(Input):
    type: Choice(Automation.Trigger.values)
    occasion: Choice(("wedding", "membership_anniversary", "other"), why="wedding, membership_anniversary or other"
                     ) | None = None
    days_before: Int(0, 365, optional=True) = None
    direction: Choice(("up", "down"), why="up or down") | None = None
    days: Int(1, MAX_DAYS, optional=True) = None
    delay_days: Int(0, 365, optional=True) = None
    skus: Texts() = []
    categories: Texts() = []

    @model_validator(mode="after")
    def _needs(self):
        needs = {"occasion": "occasion", "points_expiring": "days_before", "tier_changed": "direction",
                 "inactive": "days", "after_purchase": "days"}
        field = needs.get(self.type)
        if field and getattr(self, field) is None:
            fail(f"required by the {self.type} trigger", field)
        allowed = {"type", *([field] if field else []), *(["delay_days"] if self.type == "joined" else []),
                   *(["skus", "categories"] if self.type == "after_purchase" else [])}
        for name in ("occasion", "days_before", "direction", "days", "delay_days", "skus", "categories"):
            if name not in allowed and getattr(self, name) not in (None, []):
                fail(f"not a field of the {self.type} trigger", name)
        return self

    def stored(self) -> dict:
        return self.model_dump(mode="json", exclude_defaults=True, exclude_none=True)


class AutomationInput(Input):
    name: Text(100, min_length=1)
    status: Choice(Automation.Status.values, why="live or paused") = Automation.Status.LIVE
    trigger: Trigger
    channel: Choice(Channel.values, why="sms or email")
    purpose: Choice(Purpose.values, why="service or marketing") = Purpose.MARKETING
    text: Text(TEXT_MAX, min_length=1)
    subject: Text(200) = ""
    reward_id: Int(1, MAX_ID, optional=True, why="a reward's id") = None
    survey_id: Int(1, MAX_ID, optional=True, why="a survey's id") = Field(
        None, description="the survey {survey_link} links to")


class AutomationPatch(Input):
    name: Text(100, min_length=1, optional=True) = None
    status: Choice(Automation.Status.values, why="live or paused") | None = None
    text: Text(TEXT_MAX, min_length=1, optional=True) = None
    subject: Text(200, optional=True) = None


class FlagInput(Input):
    on: Bool


# --- surveys and reviews ----------------------------------------------------------------------------------

QUESTION_TYPES = ("nps", "rating", "choice", "text")
MAX_QUESTIONS = 30
MIN_OPTIONS, MAX_OPTIONS = 2, 20
QUESTION_MAX, OPTION_MAX, ANSWER_TEXT_MAX, REVIEW_TEXT_MAX = 300, 100, 2000, 2000
# What one question is answered with: nps 0-10, rating 1-5 (stars), choice an option's index.
SCALES = {"nps": (0, 10), "rating": (1, 5)}
OptionText = Text(OPTION_MAX, min_length=1, why=f"an option of 1 to {OPTION_MAX} characters")


def _options(value: list) -> list:
    if len(set(value)) != len(value):
        fail("options must differ from each other")
    return value


class Question(Input):
    """One question: `nps` (0-10, how likely to recommend), `rating` (1-5 stars), `choice` (one
    of 2 to 20 `options`) or `text`; a `required` question must be answered for the answer to
    count as complete (and earn)."""

    type: Choice(QUESTION_TYPES, why="nps, rating, choice or text")
    text: Text(QUESTION_MAX, min_length=1)
    options: Annotated[list[OptionText], AfterValidator(_options)] = Field(
        [], description=f"choice only: {MIN_OPTIONS} to {MAX_OPTIONS} options, each at most {OPTION_MAX} characters")
    required: Bool = True

    @model_validator(mode="after")
    def _options_fit(self):
        if self.type == "choice" and not MIN_OPTIONS <= len(self.options) <= MAX_OPTIONS:
            fail(f"a choice needs {MIN_OPTIONS} to {MAX_OPTIONS} options", "options")
        if self.type != "choice" and self.options:
            fail(f"only a choice has options, not {self.type}", "options")
        return self

    def stored(self) -> dict:
        body = {"type": self.type, "text": self.text, "required": self.required}
        return {**body, "options": list(self.options)} if self.type == "choice" else body


QUESTIONS_WHY = f"a list of 1 to {MAX_QUESTIONS} questions"


def _questions(value: list) -> list:
    if not 1 <= len(value) <= MAX_QUESTIONS:
        fail(QUESTIONS_WHY)
    return value


class SurveyInput(Input):
    name: Text(200, min_length=1)
    description: Text(2000) = ""
    questions: Annotated[list[Question], AfterValidator(_questions),
                         says(QUESTIONS_WHY, missing=f"required: {QUESTIONS_WHY}")] = Field(
        description=f"1 to {MAX_QUESTIONS} questions, answered in this order")
    points: Int(0, MAX_POINTS) = Field(0, description="earned once, for a complete answer")
    status: Choice(("draft", "open"), why="draft or open") = "open"
    closes_at: Moment(optional=True) = None


def _answer(value):
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and -1 <= value <= 100):
        return value
    if isinstance(value, str) and len(value) <= ANSWER_TEXT_MAX:
        return value
    fail(f"a whole number, a text of at most {ANSWER_TEXT_MAX} characters, or null")


AnswerValue = Annotated[int | str | None, BeforeValidator(_answer), Field(description=(
    "nps: 0 to 10; rating: 1 to 5; choice: the option's index (from 0); text: the text; null: skipped"))]
ANSWERS_WHY = f"a list of at most {MAX_QUESTIONS} answers, one per question"


def _answers(value):
    if not isinstance(value, list) or len(value) > MAX_QUESTIONS:
        fail(ANSWERS_WHY)
    return value


class SurveyAnswerInput(Input):
    """A member's answers, one per question in the survey's order (null for one skipped)."""

    member_id: Int(1, MAX_ID, why="a member's id")
    answers: Annotated[list[AnswerValue], BeforeValidator(_answers)]


class ReviewInput(Input):
    purchase_id: Int(1, MAX_ID, why="a purchase's id")
    rating: Int(1, 5, why="an integer from 1 to 5 (stars)")
    text: Text(REVIEW_TEXT_MAX) = ""


class MemberReviewInput(ReviewInput):
    """A review sent for a member (the API): the purchase must be theirs."""

    member_id: Int(1, MAX_ID, why="a member's id")


# --- recognition: badges, challenges, contests ----------------------------------------------------------

CONTEST_TEXT_MAX = 2000
CONTEST_PHOTO_MAX_BYTES = 5 * 1024 * 1024  # a contest photo, as uploaded
Points = Int(0, MAX_COUNT, why=f"an integer number of points from 0 to {MAX_COUNT}")


class BadgeInput(Input):
    """A badge: awarded once, when the member reaches `threshold` of its `criterion` (purchases,
    purchases in `category`, weeks in a row with a purchase, completed referrals, surveys answered)."""

    code: Text(64, min_length=1, pattern=r"^[-\w]+$", why="required: letters, digits, - and _ (at most 64)")
    name: Text(100, min_length=1)
    description: Text(255) = ""
    criterion: Choice(Badge.Criterion.values)
    threshold: Int(1, MAX_COUNT, why=f"an integer from 1 to {MAX_COUNT}")
    category: Text(64) = ""
    points: Points = 0
    active: Bool = True

    @model_validator(mode="after")
    def _category(self):
        if self.criterion == Badge.Criterion.CATEGORY and not self.category:
            fail("required by the category criterion", "category")
        if self.criterion != Badge.Criterion.CATEGORY and self.category:
            fail("only for the category criterion", "category")
        return self


class BadgePatch(Input):
    name: Text(100, min_length=1, optional=True) = None
    description: Text(255, optional=True) = None
    criterion: Choice(Badge.Criterion.values) | None = None
    threshold: Int(1, MAX_COUNT, optional=True, why=f"an integer from 1 to {MAX_COUNT}") = None
    category: Text(64, optional=True) = None
    points: Int(0, MAX_COUNT, optional=True, why=f"an integer number of points from 0 to {MAX_COUNT}") = None
    active: Bool | None = None


def _window(model):
    if model.ends_at <= model.starts_at:
        fail("after starts_at", "ends_at")
    return model


class ChallengeInput(Input):
    """A goal within a time window: `target` purchases (or Rials spent, net of refunds) from
    `starts_at` (included) to `ends_at` (excluded), in `category` when given; completing it gives
    `points` and/or the reward `reward_id`, once."""

    name: Text(100, min_length=1)
    description: Text(255) = ""
    goal: Choice(Challenge.Goal.values, why="purchases or spend") = Challenge.Goal.PURCHASES
    target: Int(1, MAX_RIAL, why=f"an integer from 1 to {MAX_RIAL}")
    category: Text(64) = ""
    starts_at: Moment(optional=False)
    ends_at: Moment(optional=False)
    points: Points = 0
    reward_id: Int(1, MAX_ID, optional=True, why="a reward's id") = None
    active: Bool = True

    @model_validator(mode="after")
    def _checks(self):
        if self.goal == Challenge.Goal.PURCHASES and self.target > MAX_COUNT:
            fail(f"at most {MAX_COUNT} purchases", "target")
        return _window(self)


class ChallengePatch(Input):
    name: Text(100, min_length=1, optional=True) = None
    description: Text(255, optional=True) = None
    active: Bool | None = None


class ContestInput(Input):
    """A contest: members send one entry (a text, or a photo) from `starts_at` to `ends_at`;
    staff approve entries and choose winners, who earn `winner_points`."""

    name: Text(100, min_length=1)
    description: Text(5000) = ""
    entry_kind: Choice(Contest.Entry.values, why="text or photo") = Contest.Entry.TEXT
    starts_at: Moment(optional=False)
    ends_at: Moment(optional=False)
    winner_points: Points = 0

    @model_validator(mode="after")
    def _checks(self):
        return _window(self)


class ContestEntryInput(Input):
    """What a member writes: the entry of a text contest, or a photo's caption."""

    text: Text(CONTEST_TEXT_MAX) = ""
