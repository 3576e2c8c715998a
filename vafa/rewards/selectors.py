"""Reads of the rewards app: the catalogue with what is left of it, what a member may take
now, a member's coupons and gift cards, and the donations per charity."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from vafa.core.errors import CouponNotFound, GiftCardNotFound, RewardNotFound
from vafa.ledger.selectors import member_points
from vafa.members.models import Member, Membership
from vafa.members.selectors import member_get
from vafa.program.models import Reward
from vafa.program.selectors import member_tier, parse_reward_id
from vafa.rewards.codes import grouped as grouped  # a code in groups of four, as printed
from vafa.rewards.codes import normalize
from vafa.rewards.models import Coupon, GiftCard, Redemption

# Why a reward cannot be taken now (the `reason` of reward_unavailable and of the catalogue).
INACTIVE, NOT_STARTED, ENDED = "inactive", "not_started", "ended"
MEMBER_KIND, TIER, PLAN = "member_kind", "tier", "plan"
OUT_OF_STOCK, LIMIT_REACHED = "out_of_stock", "limit_reached"


def reward_list(*, active: bool | None = None) -> QuerySet[Reward]:
    """Rewards with `available_codes` (free partner codes) counted in the same query."""
    qs = Reward.objects.annotate(
        available_codes=Count("partner_codes", filter=Q(partner_codes__redemption__isnull=True)))
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("cost_points", "id")


def reward_get(*, reward_id) -> Reward:
    pk = parse_reward_id(reward_id)
    reward = reward_list().filter(pk=pk).first()
    if reward is None:
        raise RewardNotFound(details={"reward_id": reward_id})
    return reward


def reward_cost(*, reward_id) -> int:
    """The points a reward costs (`RewardNotFound` for no such reward)."""
    return reward_get(reward_id=reward_id).cost_points


@dataclass(frozen=True)
class MemberFacts:
    """What a reward's availability depends on, read once per member."""

    kind: str
    tier_code: str | None
    plan_ids: frozenset[int]


def member_facts(*, member_id: int, kind: str | None = None, now: datetime | None = None) -> MemberFacts:
    now = now or timezone.now()
    if kind is None:
        kind = Member.objects.values_list("kind", flat=True).get(pk=member_id)
    tier = member_tier(member_id=member_id)
    plan_ids = Membership.objects.filter(member_id=member_id, starts_at__lte=now, ends_at__gt=now).values_list(
        "plan_id", flat=True)
    return MemberFacts(kind=kind, tier_code=tier.code if tier else None, plan_ids=frozenset(plan_ids))


def reward_unavailable_reason(reward: Reward, facts: MemberFacts, now: datetime) -> dict[str, Any] | None:
    """Why this member cannot take this reward at `now` (its settings only; stock and the
    member's limit are counted apart), or None."""
    if not reward.active:
        return {"reason": INACTIVE}
    if reward.starts_at and now < reward.starts_at:
        return {"reason": NOT_STARTED, "starts_at": reward.starts_at.isoformat()}
    if reward.ends_at and now >= reward.ends_at:
        return {"reason": ENDED, "ends_at": reward.ends_at.isoformat()}
    if reward.member_kinds and facts.kind not in reward.member_kinds:
        return {"reason": MEMBER_KIND, "member_kinds": list(reward.member_kinds)}
    if reward.tiers and facts.tier_code not in reward.tiers:
        return {"reason": TIER, "tiers": list(reward.tiers)}
    if reward.plans and not facts.plan_ids.intersection(reward.plans):
        return {"reason": PLAN, "plans": list(reward.plans)}
    return None


def member_redemption_counts(*, member_id: int, reward_ids=None) -> dict[int, int]:
    # A redemption whose shipment was cancelled gave nothing: it does not count.
    qs = Redemption.objects.filter(member_id=member_id).exclude(shipment__status="cancelled")
    if reward_ids is not None:
        qs = qs.filter(reward_id__in=reward_ids)
    return dict(qs.values("reward_id").annotate(n=Count("id")).values_list("reward_id", "n"))


def reward_sold_out(reward: Reward) -> bool:
    """No stock left; a partner code reward's stock is its pool (`available_codes` annotated)."""
    if reward.kind == Reward.Kind.PARTNER_CODE:
        return not reward.available_codes
    return reward.stock is not None and reward.stock <= 0


@dataclass(frozen=True)
class CatalogueEntry:
    reward: Reward
    affordable: bool
    available: bool
    reason: dict[str, Any] | None


def member_catalogue(*, member_id) -> tuple[int, list[CatalogueEntry]]:
    """The active catalogue as this member sees it now: whether the points are there
    (`affordable`) and whether the reward may be taken (`available`, else why). Answers the
    member's available points too. A constant number of queries, whatever the catalogue."""
    member = member_get(member_id=member_id)
    now = timezone.now()
    facts = member_facts(member_id=member.pk, kind=member.kind, now=now)
    available_points = member_points(member_id=member.pk, now=now).available
    rewards = list(reward_list(active=True))
    counts = member_redemption_counts(member_id=member.pk)
    entries = []
    for reward in rewards:
        reason = reward_unavailable_reason(reward, facts, now)
        if reason is None:
            if reward_sold_out(reward):
                reason = {"reason": OUT_OF_STOCK}
            elif reward.per_member_limit is not None and counts.get(reward.pk, 0) >= reward.per_member_limit:
                reason = {"reason": LIMIT_REACHED, "per_member_limit": reward.per_member_limit}
        entries.append(CatalogueEntry(reward=reward, affordable=available_points >= reward.cost_points,
                                      available=reason is None, reason=reason))
    return available_points, entries


# --- coupons and gift cards ---------------------------------------------------------------------

ACTIVE, USED, EXPIRED, SCHEDULED = "active", "used", "expired", "scheduled"


def coupon_state(coupon: Coupon, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if coupon.used_count >= coupon.usage_limit:
        return USED
    if coupon.expires_at is not None and now >= coupon.expires_at:
        return EXPIRED
    if coupon.starts_at is not None and now < coupon.starts_at:
        return SCHEDULED
    return ACTIVE


def gift_card_state(card: GiftCard, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if card.expires_at is not None and now >= card.expires_at:
        return EXPIRED
    if card.balance_rial == 0:
        return USED
    return ACTIVE


def _codelike(code) -> bool:
    """Text that could be a code: no code holds a NUL (PostgreSQL cannot be asked about one)."""
    return isinstance(code, str) and "\x00" not in code


def coupon_find(*, code: str) -> Coupon:
    coupon = Coupon.objects.filter(code=normalize(code)).first() if _codelike(code) else None
    if coupon is None:
        raise CouponNotFound(details={"code": str(code)[:64]})
    return coupon


def gift_card_find(*, code: str) -> GiftCard:
    card = GiftCard.objects.filter(code=normalize(code)).first() if _codelike(code) else None
    if card is None:
        raise GiftCardNotFound(details={"code": str(code)[:64]})
    return card


def member_coupons(*, member_id, limit: int = 500) -> list[Coupon]:
    """A member's own coupons, newest first (promo codes belong to nobody)."""
    member = member_get(member_id=member_id)
    return list(Coupon.objects.filter(member_id=member.pk).select_related("redemption").order_by("-id")[:limit])


def member_gift_cards(*, member_id, limit: int = 500) -> list[GiftCard]:
    member = member_get(member_id=member_id)
    return list(GiftCard.objects.filter(member_id=member.pk).select_related("redemption").order_by("-id")[:limit])


def charity_totals() -> list[dict[str, Any]]:
    """Donations recorded per charity reward: how many, the points and their value in Rials."""
    rows = (Redemption.objects.filter(reward__kind=Reward.Kind.CHARITY)
            .values("reward_id", "reward__charity_name")
            .annotate(donations=Count("id"), points=Sum("points"), value_rial=Sum("value_rial"))
            .order_by("reward__charity_name", "reward_id"))
    return [{"reward_id": r["reward_id"], "charity_name": r["reward__charity_name"], "donations": r["donations"],
             "points": r["points"] or 0, "value_rial": r["value_rial"] or 0} for r in rows]


# --- a member's redemptions (only ever the member's own) -------------------------------------------
_ID = re.compile(r"[1-9][0-9]{0,17}")


def redemptions_with_gifts(qs):
    return qs.select_related("reward", "coupon", "gift_card", "partner_code", "shipment")



def member_redemption(*, member_id: int, redemption_id) -> Redemption | None:
    """One of the member's own redemptions with what it gave, or None (also for anyone else's)."""
    if not _ID.fullmatch(str(redemption_id)):
        return None
    return redemptions_with_gifts(Redemption.objects.filter(pk=int(redemption_id), member_id=member_id)).first()


def member_redemptions(*, member_id: int, limit: int = 100) -> list[Redemption]:
    """The member's redemptions, newest first, with what each gave."""
    return list(redemptions_with_gifts(Redemption.objects.filter(member_id=member_id)).order_by("-id")[:limit])


normalize_code = normalize  # a code as people type it, as stored


# --- shipments of physical rewards (vafa.rewards.shipments), offered here ----------------------
from vafa.rewards.shipments import NEXT as SHIPMENT_NEXT  # noqa: E402, F401
from vafa.rewards.shipments import WAITING as SHIPMENTS_WAITING  # noqa: E402, F401
from vafa.rewards.shipments import member_last_address, shipment_counts, shipment_get, shipments_list  # noqa: E402, F401
