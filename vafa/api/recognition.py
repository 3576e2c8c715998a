"""REST API v1: badges, challenges and a member's badges with their progress; scope `engage`,
which a partner's key never holds. Badges and challenges are awarded by the worker (see
vafa/engage/recognition.py); contests are run from the back-office."""

from datetime import datetime

from ninja import Router, Schema

from vafa.api.auth import needs
from vafa.api.common import READ_ERRORS, WRITE_ERRORS, IdempotencyKey
from vafa.api.idempotency import json_response, run_write
from vafa.engage import selectors as engage
from vafa.engage import services as engaging
from vafa.engage.inputs import BadgeInput, ChallengeInput
from vafa.members import selectors as members

router = Router(tags=["recognition"])


class BadgeOut(Schema):
    id: int
    code: str
    name: str
    description: str
    criterion: str
    threshold: int
    category: str
    points: int
    active: bool
    holders: int
    created_at: datetime


class ChallengeOut(Schema):
    id: int
    name: str
    description: str
    goal: str
    target: int
    category: str
    starts_at: datetime
    ends_at: datetime
    points: int
    reward_id: int | None
    active: bool
    completions: int
    created_at: datetime


class MemberBadgeOut(Schema):
    badge_id: int
    code: str
    name: str
    criterion: str
    earned: bool
    awarded_at: datetime | None
    progress: int
    threshold: int
    percent: int


class MemberBadgesOut(Schema):
    member_id: int
    items: list[MemberBadgeOut]


def badge_body(badge, holders: int | None = None) -> dict:
    return {"id": badge.pk, "code": badge.code, "name": badge.name, "description": badge.description,
            "criterion": badge.criterion, "threshold": badge.threshold, "category": badge.category,
            "points": badge.points, "active": badge.active,
            "holders": holders if holders is not None else getattr(badge, "holders", 0), "created_at": badge.created_at}


def challenge_body(challenge, completions: int | None = None) -> dict:
    return {"id": challenge.pk, "name": challenge.name, "description": challenge.description, "goal": challenge.goal,
            "target": challenge.target, "category": challenge.category, "starts_at": challenge.starts_at,
            "ends_at": challenge.ends_at, "points": challenge.points, "reward_id": challenge.reward_id,
            "active": challenge.active,
            "completions": completions if completions is not None else getattr(challenge, "completions_count", 0),
            "created_at": challenge.created_at}


@router.get("/badges", auth=needs("engage"), response={200: list[BadgeOut], **READ_ERRORS})
def list_badges(request):
    return json_response(200, [badge_body(b) for b in engage.badge_list()[:500]])


@router.post("/badges", auth=needs("engage"), response={201: BadgeOut, **WRITE_ERRORS})
def create_badge(request, payload: BadgeInput, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 201, badge_body(engaging.badge_create(data=payload), holders=0)

    return run_write(request, produce, audit="badge.create")


@router.get("/challenges", auth=needs("engage"), response={200: list[ChallengeOut], **READ_ERRORS})
def list_challenges(request):
    return json_response(200, [challenge_body(c) for c in engage.challenge_list()[:500]])


@router.post("/challenges", auth=needs("engage"), response={201: ChallengeOut, **WRITE_ERRORS})
def create_challenge(request, payload: ChallengeInput, idempotency_key: str | None = IdempotencyKey):
    def produce():
        return 201, challenge_body(engaging.challenge_create(data=payload), completions=0)

    return run_write(request, produce, audit="challenge.create")


@router.get("/members/{member_id}/badges", auth=needs("engage"), response={200: MemberBadgesOut, **READ_ERRORS})
def member_badges(request, member_id: str):
    """The member's badges (earned first, newest first) and their progress towards the others."""
    member = members.member_get(member_id=member_id)
    items = [{"badge_id": s.badge.pk, "code": s.badge.code, "name": s.badge.name, "criterion": s.badge.criterion,
              "earned": s.earned, "awarded_at": s.awarded_at, "progress": s.progress.value,
              "threshold": s.progress.target, "percent": s.progress.percent}
             for s in engage.member_badges(member_id=member.pk)]
    return json_response(200, {"member_id": member.pk, "items": items})
