"""Surveys: questions members answer in the portal (/surveys/<id>), from a link in a message
(`{survey_link}`), and their results.

A member answers a survey once. An answer is complete when every required question is
answered; an answer missing one is refused (the portal shows which), so every stored answer is
complete today, and `complete` stays the rule results and points go by.

Points, exactly once per member and survey, in the answer's transaction: the answer is written
under the member's account lock (the ledger's `book_open`), so a second answer (a double submit,
two tabs, two servers) waits for the first and then finds it; the unique (survey, member) row is
the last guard. In that transaction the survey's own `points` are credited through the ledger as
a line named `survey:<id>` (source `survey`, the answer's id; the program's pending days and
expiry, like every earning), and the `survey` trigger is recorded once under the key
`survey:<survey id>:member:<member id>` (`trigger_once`), so live `survey` rules award what they
say as well: one place for what the survey gives, the rules for what the program adds to it.

Results (`survey_results`): per question the number who answered; for `nps` the NPS, an integer
from -100 to 100 = % promoters (9-10) - % detractors (0-6) of those who answered it, rounded half
away from zero, with the count of each score 0-10; for `rating` the average (2 decimals, half
up) and the count of each star 1-5; for `choice` the count and percent (integer, half up) of
each option; for `text` the count and the latest texts (paged with `survey_texts`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from vafa.core.audit import Actor, audit_change, audit_record
from vafa.core.errors import SurveyClosed, SurveyNotFound, ValidationFailed
from vafa.core.events import publish
from vafa.core.ids import parse_id
from vafa.core.inputs import validated
from vafa.engage.events import SurveyAnswered
from vafa.engage.inputs import ANSWER_TEXT_MAX, SCALES, SurveyInput
from vafa.engage.models import Survey, SurveyAnswer
from vafa.engage.texts import placeholders_in
from vafa.ledger.services import book_open, ensure_not_blocked
from vafa.member_events.services import trigger_once
from vafa.members.selectors import parse_member_id
from vafa.program.selectors import Line, program_now
from vafa.program.services import lines_apply

TEXT_PAGE = 20
PROMOTERS, DETRACTORS = range(9, 11), range(0, 7)


# --- reading ---------------------------------------------------------------------------------------


def survey_get(*, survey_id) -> Survey:
    survey = Survey.objects.filter(pk=parse_id(survey_id, SurveyNotFound)).first()
    if survey is None:
        raise SurveyNotFound(details={"id": str(survey_id)[:64]})
    return survey


def _taking_answers(now: datetime) -> Q:
    return Q(status=Survey.Status.OPEN) & (Q(closes_at__isnull=True) | Q(closes_at__gt=now))


def survey_list(*, status: str | None = None, now: datetime | None = None) -> QuerySet[Survey]:
    """Surveys, newest first, each with `answers_count` (complete answers); `status` as of now
    (an open survey past `closes_at` is closed)."""
    rows = Survey.objects.annotate(answers_count=Count("answers", filter=Q(answers__complete=True)))
    now = now or timezone.now()
    if status == Survey.Status.OPEN:
        rows = rows.filter(_taking_answers(now))
    elif status == Survey.Status.CLOSED:
        rows = rows.filter(Q(status=Survey.Status.CLOSED) | Q(status=Survey.Status.OPEN, closes_at__lte=now))
    elif status:
        rows = rows.filter(status=status)
    return rows.order_by("-id")


def survey_state(survey: Survey, now: datetime | None = None) -> str:
    """draft, open or closed, as of now: an open survey whose `closes_at` has passed is closed."""
    if survey.status == Survey.Status.OPEN and survey.closes_at is not None and survey.closes_at <= (
            now or timezone.now()):
        return Survey.Status.CLOSED
    return survey.status


def survey_link(survey_id: int | None) -> str:
    """The survey's page in the portal, absolute (VAFA_PUBLIC_URL), for `{survey_link}`."""
    if not survey_id:
        return ""
    base = (settings.VAFA_PUBLIC_URL or "http://localhost:8000").rstrip("/")
    return f"{base}/surveys/{survey_id}/"


def survey_linked(survey_id: int | None, *texts: str) -> Survey | None:
    """The survey a campaign or automation links as `{survey_link}`: `survey_not_found` for an
    unknown id; a text using the placeholder needs one (`validation_error`)."""
    if survey_id is None:
        if any("survey_link" in placeholders_in(text) for text in texts):
            raise ValidationFailed(details={"survey_id": "required by the {survey_link} placeholder"})
        return None
    return survey_get(survey_id=survey_id)


def survey_answer_of(*, survey_id: int, member_id: int) -> SurveyAnswer | None:
    return SurveyAnswer.objects.filter(survey_id=survey_id, member_id=member_id).first()


@dataclass(frozen=True)
class MemberSurvey:
    survey: Survey
    answer: SurveyAnswer | None


def member_surveys(*, member_id: int, now: datetime | None = None) -> tuple[list[MemberSurvey], list[MemberSurvey]]:
    """(open surveys the member has not answered yet, surveys the member answered), newest first."""
    now = now or timezone.now()
    answered = {a.survey_id: a for a in SurveyAnswer.objects.filter(member_id=member_id).select_related("survey")}
    # No answer counts here: the home page asks on every visit.
    waiting = [MemberSurvey(s, None) for s in Survey.objects.filter(_taking_answers(now))
               .exclude(pk__in=list(answered)).order_by("-id")]
    done = [MemberSurvey(a.survey, a) for a in sorted(answered.values(), key=lambda a: -a.pk)]
    return waiting, done


def member_survey_answers(*, member_id: int, limit: int = 20) -> list[dict]:
    """A member's answers, newest first, each paired with its questions (for the member's page)."""
    rows = SurveyAnswer.objects.filter(member_id=member_id).select_related("survey").order_by("-id")[:limit]
    return [{"answer": a, "survey": a.survey, "items": answer_items(a.survey, a.answers)} for a in rows]


def answer_items(survey: Survey, answers: list) -> list[dict]:
    """Each question with its answer as shown: the number, the option's text, the text, or None."""
    items = []
    for index, question in enumerate(survey.questions):
        value = answers[index] if index < len(answers) else None
        shown = value
        if question["type"] == "choice" and isinstance(value, int):
            options = question.get("options", [])
            shown = options[value] if 0 <= value < len(options) else None
        items.append({"index": index, "question": question, "value": value, "shown": shown})
    return items


def survey_answers(*, survey_id, member_id=None, before_id: int | None = None, limit: int = 50
                   ) -> tuple[Survey, list[SurveyAnswer], int | None]:
    """A survey's answers, newest first (of one member with `member_id`), and the next cursor."""
    survey = survey_get(survey_id=survey_id)
    rows = SurveyAnswer.objects.filter(survey=survey)
    if member_id is not None:
        rows = rows.filter(member_id=parse_member_id(member_id))
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    found = list(rows.order_by("-id")[:limit + 1])
    page = found[:limit]
    return survey, page, (page[-1].pk if len(found) > limit else None)


# --- results ----------------------------------------------------------------------------------------


def _half_up(numerator: int, denominator: int, places: int = 0) -> Decimal:
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def nps_of(scores: list[int]) -> int | None:
    """% promoters (9-10) - % detractors (0-6), an integer rounded half away from zero; None
    without scores."""
    if not scores:
        return None
    net = sum(1 for s in scores if s in PROMOTERS) - sum(1 for s in scores if s in DETRACTORS)
    value = _half_up(abs(net) * 100, len(scores))
    return int(value) if net >= 0 else -int(value)


def percent_of(part: int, whole: int) -> int:
    return int(_half_up(part * 100, whole)) if whole else 0


def _complete_answers(survey: Survey) -> Iterator[tuple[int, list]]:
    yield from SurveyAnswer.objects.filter(survey=survey, complete=True).values_list("pk", "answers").iterator(
        chunk_size=2000)


def survey_results(survey: Survey, *, texts: int = 5) -> dict:
    """What the complete answers say, question by question (see the module's doc); `texts`: how
    many of the latest texts each text question shows."""
    questions = survey.questions
    values: list[list] = [[] for _ in questions]
    total = 0
    latest_texts: list[list[dict]] = [[] for _ in questions]
    for _pk, answers in _complete_answers(survey):
        total += 1
        for index in range(len(questions)):
            value = answers[index] if index < len(answers) else None
            if value is not None:
                values[index].append(value)
    for index, question in enumerate(questions):
        if question["type"] == "text":
            latest_texts[index] = survey_texts(survey, index=index, limit=texts)[0]
    return {"survey_id": survey.pk, "answers": total,
            "questions": [_question_result(index, q, values[index], latest_texts[index])
                          for index, q in enumerate(questions)]}


def _question_result(index: int, question: dict, values: list, texts: list[dict]) -> dict:
    kind = question["type"]
    body: dict = {"index": index, "type": kind, "text": question["text"], "answered": len(values)}
    if kind in SCALES:
        low, high = SCALES[kind]
        scores = [v for v in values if isinstance(v, int) and low <= v <= high]
        body["distribution"] = [{"score": s, "count": scores.count(s)} for s in range(low, high + 1)]
        body["average"] = float(_half_up(sum(scores), len(scores), 2)) if scores else None
        if kind == "nps":
            promoters = sum(1 for s in scores if s in PROMOTERS)
            detractors = sum(1 for s in scores if s in DETRACTORS)
            body.update(nps=nps_of(scores), promoters=promoters, passives=len(scores) - promoters - detractors,
                        detractors=detractors)
    elif kind == "choice":
        options = question.get("options", [])
        counts = [sum(1 for v in values if v == i) for i in range(len(options))]
        body["options"] = [{"index": i, "option": option, "count": counts[i], "percent": percent_of(counts[i],
                                                                                                   len(values))}
                           for i, option in enumerate(options)]
    else:
        body["texts"] = texts
    return body


def survey_texts(survey: Survey, *, index: int, before_id: int | None = None, limit: int = TEXT_PAGE
                 ) -> tuple[list[dict], int | None]:
    """The texts answered to question `index`, newest first ({answer_id, member_id, text,
    answered_at}), and the cursor of the next page (an answer's id)."""
    if not 0 <= index < len(survey.questions) or survey.questions[index]["type"] != "text":
        raise ValidationFailed(details={"question": "the index of one of the survey's text questions"})
    rows = SurveyAnswer.objects.filter(survey=survey, complete=True).order_by("-id")
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    found: list[dict] = []
    for pk, member_id, answers, at in rows.values_list("pk", "member_id", "answers", "created_at").iterator(
            chunk_size=500):
        text = answers[index] if index < len(answers) else None
        if not isinstance(text, str) or not text:
            continue
        if len(found) == limit:
            return found, found[-1]["answer_id"]  # there is more
        found.append({"answer_id": pk, "member_id": member_id, "text": text, "answered_at": at})
    return found, None


# --- changing ---------------------------------------------------------------------------------------


@transaction.atomic
def survey_create(*, data, created_by: str = "", actor: Actor | None = None) -> Survey:
    """A new survey (open, or a draft to open later). With an `actor` (a staff member) it is
    audited in the same transaction."""
    asked = validated(SurveyInput, data)
    if asked.closes_at is not None and asked.closes_at <= timezone.now():
        raise ValidationFailed(details={"closes_at": "a moment ahead (or null: open until closed)"})
    survey = Survey.objects.create(
        name=asked.name, description=asked.description, questions=[q.stored() for q in asked.questions],
        points=asked.points, status=asked.status, closes_at=asked.closes_at, created_by=created_by[:150])
    if actor is not None:
        audit_record(actor=actor, action="survey.create", target=survey,
                     after={"name": survey.name, "questions": len(survey.questions), "points": survey.points,
                            "status": survey.status})
    return survey


def _set_status(survey_id, status: str, actor: Actor | None) -> Survey:
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey_get(survey_id=survey_id).pk)
        before = {"status": survey.status}
        if status == Survey.Status.OPEN and survey.closes_at is not None and survey.closes_at <= timezone.now():
            raise SurveyClosed(details={"closes_at": "has passed"})
        if survey.status != status:
            survey.status = status
            survey.save(update_fields=["status"])
            audit_change(actor=actor, action=f"survey.{'open' if status == Survey.Status.OPEN else 'close'}",
                         target=survey, before=before, after={"status": status})
        return survey


def survey_close(*, survey_id, actor: Actor | None = None) -> Survey:
    """No more answers (those given stay, with their points). Closing a closed survey changes nothing."""
    return _set_status(survey_id, Survey.Status.CLOSED, actor)


def survey_open(*, survey_id, actor: Actor | None = None) -> Survey:
    """Open a draft (or a closed survey again), unless its `closes_at` has passed."""
    return _set_status(survey_id, Survey.Status.OPEN, actor)


def answers_check(survey: Survey, answers: list) -> list:
    """The answers as stored (texts stripped, blank texts None), or ValidationFailed naming each
    one that is wrong (`answers[2]`): a required question unanswered, a score out of its scale,
    an option that is not one, a text too long."""
    questions = survey.questions
    if not isinstance(answers, list) or len(answers) != len(questions):
        raise ValidationFailed(details={"answers": f"a list of {len(questions)} answers, one per question"})
    cleaned: list = []
    problems: dict[str, str] = {}
    for index, (question, value) in enumerate(zip(questions, answers, strict=True)):
        kind = question["type"]
        at = f"answers[{index}]"
        if isinstance(value, str) and kind == "text":
            value = value.strip() or None
        if value is None:
            if question.get("required", True):
                problems[at] = "required"
            cleaned.append(None)
            continue
        if kind in SCALES:
            low, high = SCALES[kind]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems[at] = f"an integer from {low} to {high}"
        elif kind == "choice":
            options = question.get("options", [])
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(options):
                problems[at] = f"an option's index, from 0 to {len(options) - 1}"
        elif not isinstance(value, str) or len(value) > ANSWER_TEXT_MAX:
            problems[at] = f"a text of at most {ANSWER_TEXT_MAX} characters"
        cleaned.append(value)
    if not problems and all(v is None for v in cleaned):
        problems["answers"] = "answer at least one question"
    if problems:
        raise ValidationFailed(details=problems)
    return cleaned


def _complete(survey: Survey, answers: list) -> bool:
    return all(value is not None for question, value in zip(survey.questions, answers, strict=True)
               if question.get("required", True))


@dataclass(frozen=True)
class Answered:
    answer: SurveyAnswer
    created: bool  # False: the member had answered already; this is the earlier answer, unchanged
    balance_after: int | None = None


def survey_answer(*, survey_id, member_id, answers: list, now: datetime | None = None) -> Answered:
    """Record a member's answers and give what a complete answer earns, once (see the module's
    doc). A member who answered already gets the earlier answer back, unchanged (`created`
    False). A survey that is not open (a draft, closed, past `closes_at`) is `survey_closed`; a
    blocked member is `member_blocked`; wrong answers are `validation_error`, naming each."""
    survey = survey_get(survey_id=survey_id)
    pk = parse_member_id(member_id)
    earlier = survey_answer_of(survey_id=survey.pk, member_id=pk)
    if earlier is not None:
        return Answered(earlier, False)
    try:
        with transaction.atomic():
            return _answer(survey, pk, answers, now or timezone.now())
    except IntegrityError:
        # The unique (survey, member) row: another request answered in between (SQLite, which
        # has no row lock to wait on). Its answer is the one that counts.
        if transaction.get_connection().in_atomic_block:
            raise
        earlier = survey_answer_of(survey_id=survey.pk, member_id=pk)
        if earlier is None:
            raise
        return Answered(earlier, False)


def _answer(survey: Survey, member_id: int, answers: list, now: datetime) -> Answered:
    book = book_open(member_id=member_id)  # the member's lock: a second answer waits here
    earlier = survey_answer_of(survey_id=survey.pk, member_id=member_id)
    if earlier is not None:
        return Answered(earlier, False)
    ensure_not_blocked(book)
    if survey_state(survey, now) != Survey.Status.OPEN:
        raise SurveyClosed(details={"status": survey_state(survey, now)})
    cleaned = answers_check(survey, answers)
    complete = _complete(survey, cleaned)
    answer = SurveyAnswer.objects.create(survey=survey, member_id=member_id, answers=cleaned, complete=complete,
                                         created_at=now)
    earned = 0
    if complete and survey.points:
        line = Line(rule_id=f"survey:{survey.pk}", name=survey.name[:150], points=survey.points, detail="answered")
        earned += lines_apply(book, [line], program_now(), merchant_id=None, occurred_at=now,
                              source=("survey", answer.pk))
        book.flush()
    balance = book.balance
    if complete:
        event = trigger_once(member_id=member_id, event_type="survey", key=f"survey:{survey.pk}:member:{member_id}",
                             at=now, properties={"survey_id": survey.pk, "answer_id": answer.pk})
        if event is not None:
            earned += event.points_earned
            balance = event.balance_after
    if earned:
        answer.points_awarded = earned
        SurveyAnswer.objects.filter(pk=answer.pk).update(points_awarded=earned)
    publish(SurveyAnswered(survey_id=survey.pk, answer_id=answer.pk, member_id=member_id, complete=complete,
                           points_awarded=earned, answered_at=now))
    return Answered(answer, True, balance)
