"""Build the demo club: a believable Iranian chain store with members, a year of purchases,
redemptions, refunds and expired points.

Everything is drawn from `random.Random(1405)`, so every run plans the same club, and written
only through the services, so the demo ledger holds every invariant `vafa verify-ledger` checks.

A run is idempotent and resumable: it first reads what already exists (the merchant by its
slug, members by phone, purchases by their `demo-NNNNNN` external id, refunds, redemptions and
adjustments already made) and writes only what is missing. A second run creates nothing.

Expiry: purchases are recorded today with their real `occurred_at`, and a lot expires 12 months
after its purchase. So a few members also get purchases 12-14 months back; those are recorded
first and expired by `points_expire()` before anything else is spent, as the nightly expiry job
would have done at the time.

The program (issue 4) is set up before anyone joins: tiers, earning rules, the reward catalogue,
a paid plan and a promo code. Members join on their own (past) day, some with an earlier
member's referral code; the plan's subscribers pay early in the year; then the purchases are
replayed oldest first, so they earn by the rules, climb tiers as they spend, and complete
their referrals. Afterwards members take catalogue rewards they can afford, use some of the
coupons, a promo code and gift cards, report app installs, and today's birthdays are awarded.
Every part looks for what it would create first (by name, code, payment or coupon reference,
event key), so a second run creates nothing.
"""

import datetime as dt
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from vafa.commerce.models import Purchase, Refund, WalkInSale
from vafa.commerce.services import ItemIn, purchase_record, refund_record, walk_in_sale_record
from vafa.core.errors import Conflict
from vafa.core.jalali import TEHRAN
from vafa.core.national_id import legal_id_check_digit, national_code_check_digit, validate_national_id
from vafa.core.phone import is_valid_phone, normalize_phone
from vafa.demo import data
from vafa.engage import services as engage
from vafa.engage.models import Automation, Badge, Campaign, Challenge, Segment, Survey
from vafa.insight.services import insight_refresh
from vafa.ledger.models import Account, Transfer
from vafa.ledger.selectors import member_points
from vafa.ledger.services import points_expire
from vafa.member_events.models import Event
from vafa.member_events.services import event_record, occasions_award
from vafa.members.models import Member, Membership, MembershipPlan
from vafa.members.services import member_create, membership_record, plan_create
from vafa.merchants.models import ApiKey, Branch, Merchant
from vafa.merchants.selectors import merchant_for_api_key
from vafa.merchants.services import api_key_create, api_key_revoke, branch_create, merchant_create, staff_create
from vafa.program.models import MemberTier, Reward, Rule, Tier
from vafa.program.services import reward_create, rule_create, tier_create
from vafa.referrals.models import Referral
from vafa.rewards.models import Coupon, CouponUse, GiftCard, GiftCardUse, PartnerCode, Redemption
from vafa.rewards.services import coupon_redeem, gift_card_spend, partner_codes_upload, promo_code_create, reward_redeem
from vafa.usecases.points import member_adjust, member_redeem

SEED = 1405
ADMIN_USERNAME = "admin"
# One login per back-office role besides the owner (admin), with the same demo password.
STAFF_USERS = (("manager", "manager", "مریم", "مدیری"), ("cashier", "cashier", "علی", "صندوقی"),
               ("marketer", "marketer", "نیلوفر", "بازاریابی"))
DEFAULT_ADMIN_PASSWORD = "vafa-demo-1405"
API_KEY_FILE = "demo-api-key.txt"
EXTERNAL_ID_PREFIX = "demo-"

ORGANIZATION_EVERY = 10  # every 10th member is an organisation
OLD_MEMBER_SHARE = 0.10  # members who also shopped 12-14 months ago (their points expire)
OLD_PURCHASE_SHARE = 0.04  # of all purchases
REDEEM_AT_CHECKOUT_SHARE = 0.08  # of recent purchases: pay part of the basket with points
REFUND_SHARE = 0.03  # of recent purchases
STANDALONE_REDEEM_SHARE = 0.06  # of members: spend points outside a purchase (member_redeem)
ADJUST_SHARE = 0.02  # of members: a staff correction (member_adjust)
REFERRED_SHARE = 0.12  # of persons: join with an earlier member's code (about 10% of all members)
PAID_PLAN_SHARE = 0.067  # of members: pay for the paid plan early in the year (20 of 300)
REWARD_SHARE = 0.21  # of members: take a catalogue reward (about 60 of 300)
COUPON_USE_SHARE = 0.6  # of the coupons (and gift cards) taken: used at a checkout today
PROMO_USE_SHARE = 0.05  # of members: use the promo code
APP_INSTALL_SHARE = 0.1  # of members: install the app (a custom event)
WALK_IN_SHARE = 0.3  # sales without a member, per purchase of a member: smaller baskets, no points
WALK_IN_PREFIX = "demo-walk-in-"
# A reward plan's first choice, by how often; a member who cannot take it takes the first of the
# fallbacks that works (early access goes to the biggest spenders: it needs gold or platinum).
REWARD_CHOICES = {"coupon_50k": 14, "coupon_10pct": 12, "free_cake": 8, "gift_card": 6, "partner_code": 8, "charity": 8}
REWARD_FALLBACKS = ("coupon_10pct", "partner_code", "charity")
MIN_REDEEM_POINTS = 50
# Service calls are grouped into one transaction per batch: each stays atomic on its own, and a
# run costs one commit (an fsync on PostgreSQL) per batch instead of one per purchase. A failed
# batch rolls back whole; the next run picks up from there.
BATCH = 250
RECENT_DAYS = 363  # recent purchases are 1..363 days old, so none has expired yet
OLD_DAYS = (375, 425)  # 12-14 months back: expired by now
BIRTH_FROM, BIRTH_TO = dt.date(1955, 1, 1), dt.date(2006, 12, 31)


# --- the plan (pure: no database) -------------------------------------------------------------------


def _at(today: dt.date, days_back: int, second_of_day: int) -> dt.datetime:
    """A moment of the plan: so many days before `today`, at a Tehran wall-clock time."""
    hour, rest = divmod(second_of_day, 3600)
    return dt.datetime.combine(
        today - dt.timedelta(days=days_back), dt.time(hour, rest // 60, rest % 60), tzinfo=TEHRAN
    )


@dataclass(frozen=True)
class MemberPlan:
    index: int
    phone: str  # domestic form, as a cashier would type it
    kind: str
    first_name: str
    last_name: str
    organization_name: str
    national_id: str
    email: str
    birth_date: dt.date | None
    consents: dict[str, bool]
    interests: list[str]
    occasions: list[dict]
    home_branch: str
    referred_by: int | None  # index of an earlier member who joined before this one
    joined_days_back: int = 0
    joined_second: int = 0  # Tehran wall-clock time

    def joined_at(self, today: dt.date) -> dt.datetime:
        return _at(today, self.joined_days_back, self.joined_second)


class _Sale:
    """A planned sale's amount (its items summed) and moment (days back, Tehran time of day)."""

    items: list[ItemIn]
    days_back: int
    second_of_day: int

    @property
    def amount(self) -> int:
        return sum(i.quantity * i.unit_price for i in self.items)

    def occurred_at(self, today: dt.date) -> dt.datetime:
        return _at(today, self.days_back, self.second_of_day)


@dataclass(frozen=True)
class PurchasePlan(_Sale):
    external_id: str
    member: int  # index into the member plans
    days_back: int
    second_of_day: int  # Tehran wall-clock time
    branch: str | None
    channel: str
    payment_method: str
    items: list[ItemIn]
    redeem_share: float  # 0: no points spent at checkout; else the share of the available points
    refunds: list[int]  # amounts in Rials, in the order they happen
    old: bool



@dataclass(frozen=True)
class WalkInPlan(_Sale):
    """A sale to someone who is not a member: counted for the owner's comparison, no points."""

    external_id: str
    days_back: int
    second_of_day: int
    branch: str
    payment_method: str
    items: list[ItemIn]



@dataclass(frozen=True)
class RewardPlan:
    member: int
    rewards: tuple[str, ...]  # reward keys, first choice first
    use: bool  # a coupon is used at a checkout, a gift card is partly spent
    basket: int  # the checkout's amount in Rials (or what is spent from a gift card)


@dataclass(frozen=True)
class Plan:
    members: list[MemberPlan]
    purchases: list[PurchasePlan]  # oldest first; external ids follow that order
    redemptions: list[tuple[int, float]]  # (member index, share of the available points)
    adjustments: list[tuple[int, int, str]]  # (member index, points, reason)
    memberships: list[tuple[int, int]] = field(default_factory=list)  # (member index, days back paid)
    rewards: list[RewardPlan] = field(default_factory=list)
    promo_uses: list[tuple[int, int]] = field(default_factory=list)  # (member index, basket in Rials)
    app_installs: list[tuple[int, int, int, str]] = field(default_factory=list)  # (member, days back, second, os)
    partner_codes: list[str] = field(default_factory=list)
    walk_ins: list[WalkInPlan] = field(default_factory=list)


def _national_code(rng: random.Random, taken: set[str]) -> str:
    while True:
        first_nine = f"{rng.randint(1, 999):03d}{rng.randint(0, 999_999):06d}"
        code = first_nine + str(national_code_check_digit(first_nine))
        if len(set(code)) > 1 and code not in taken:
            taken.add(code)
            return code


def _legal_id(rng: random.Random, taken: set[str]) -> str:
    while True:
        first_ten = f"10{rng.randint(0, 99_999_999):08d}"
        legal_id = first_ten + str(legal_id_check_digit(first_ten))
        if legal_id not in taken:
            taken.add(legal_id)
            return legal_id


def _phone(rng: random.Random, taken: set[str]) -> str:
    while True:
        phone = f"{rng.choice(data.MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}"
        if phone not in taken and is_valid_phone(phone):
            taken.add(phone)
            return phone


def _plan_member(rng: random.Random, index: int, phones: set[str], ids: set[str]) -> MemberPlan:
    """A member; `referred_by` is -1 for one who will join with a code (the referrer is chosen
    once everyone's joining day is known)."""
    is_org = index % ORGANIZATION_EVERY == ORGANIZATION_EVERY - 1
    male = rng.random() < 0.5
    first_name, first_latin = rng.choice(data.MALE_FIRST_NAMES if male else data.FEMALE_FIRST_NAMES)
    last_name, last_latin = rng.choice(data.LAST_NAMES)
    phone = _phone(rng, phones)
    home_branch = rng.choices([b[0] for b in data.BRANCHES], weights=[b[3] for b in data.BRANCHES])[0]
    interests = rng.sample(data.INTERESTS, k=rng.choice([0, 1, 2, 2, 3, 4]))
    referred_by = -1 if index > 5 and rng.random() < REFERRED_SHARE else None
    if is_org:
        core, core_latin = rng.choice(data.ORGANIZATION_CORES)
        organization_name = f"{rng.choice(data.ORGANIZATION_FORMS)} {core} {rng.choice(data.ORGANIZATION_FIELDS)}"
        email = f"info.{core_latin}{index}@{rng.choice(data.EMAIL_DOMAINS)}"
        founded = dt.date(rng.randint(1985, 2020), rng.randint(1, 12), rng.randint(1, 28))
        return MemberPlan(
            index=index,
            phone=phone,
            kind=Member.Kind.ORGANIZATION,
            first_name=first_name,
            last_name=last_name,
            organization_name=organization_name,
            national_id=_legal_id(rng, ids),
            email=email,
            birth_date=None,
            consents={"sms": True, "email": True, "push": False},
            interests=interests,
            occasions=[{"kind": "other", "title": "سالروز تأسیس", "date": founded}],
            home_branch=home_branch,
            referred_by=None,
        )
    national_id = _national_code(rng, ids) if rng.random() < 0.9 else ""
    email = (
        f"{first_latin}.{last_latin}{rng.randint(1, 99)}@{rng.choice(data.EMAIL_DOMAINS)}"
        if rng.random() < 0.35
        else ""
    )
    birth_date = None
    if rng.random() < 0.85:
        birth_date = dt.date.fromordinal(rng.randint(BIRTH_FROM.toordinal(), BIRTH_TO.toordinal()))
    occasions = []
    if birth_date and birth_date.year < 1998 and rng.random() < 0.15:
        occasions.append(
            {
                "kind": "wedding",
                "title": "سالگرد ازدواج",
                "date": dt.date(rng.randint(birth_date.year + 20, 2024), rng.randint(1, 12), rng.randint(1, 28)),
            }
        )
    consents = {"sms": rng.random() < 0.85, "push": rng.random() < 0.3}
    if email:
        consents["email"] = rng.random() < 0.6
    return MemberPlan(
        index=index,
        phone=phone,
        kind=Member.Kind.PERSON,
        first_name=first_name,
        last_name=last_name,
        organization_name="",
        national_id=national_id,
        email=email,
        birth_date=birth_date,
        consents=consents,
        interests=interests,
        occasions=occasions,
        home_branch=home_branch,
        referred_by=referred_by,
    )


def _basket(rng: random.Random, organization: bool) -> list[ItemIn]:
    weights = [c[4] for c in data.CATALOGUE]
    lines: dict[str, ItemIn] = {}
    for _ in range(rng.choices([1, 2, 3, 4, 5], weights=[25, 30, 22, 14, 9])[0]):
        sku, name, category, price, _w = rng.choices(data.CATALOGUE, weights=weights)[0]
        quantity = rng.choices([1, 2, 3], weights=[70, 22, 8])[0]
        if organization:
            quantity *= rng.randint(2, 6)
        if sku not in lines:
            lines[sku] = ItemIn(sku=sku, name=name, category=category, quantity=quantity, unit_price=price)
    return list(lines.values())


def _refunds(rng: random.Random, amount: int) -> list[int]:
    how = rng.choices(["full", "partial", "partial_then_rest"], weights=[40, 40, 20])[0]
    if how == "full" or amount < 20_000:
        return [amount]
    part = max(10_000, amount * rng.choice([20, 25, 30, 40, 50]) // 100 // 10_000 * 10_000)
    return [part] if how == "partial" else [part, amount - part]


def demo_plan(*, members: int = 300, purchases: int = 5000, seed: int = SEED) -> Plan:
    """The whole club as data. The same arguments always give the same plan."""
    rng = random.Random(seed)
    phones: set[str] = set()
    ids: set[str] = set()
    member_plans = [_plan_member(rng, i, phones, ids) for i in range(members)]
    if not members:
        return Plan(member_plans, [], [], [])

    # A few regulars buy often, many buy now and then, some joined and never came back.
    weights = [0.0 if rng.random() < 0.05 else rng.lognormvariate(0, 0.9) for _ in range(members)]
    if not any(weights):
        weights = [1.0] * members
    old_members = rng.sample(range(members), k=max(1, round(members * OLD_MEMBER_SHARE)))
    n_old = min(purchases, max(1, round(purchases * OLD_PURCHASE_SHARE))) if purchases else 0

    drafts = []
    for n in range(purchases):
        old = n < n_old
        who = rng.choice(old_members) if old else rng.choices(range(members), weights=weights)[0]
        member = member_plans[who]
        # The club grows: more purchases lately than a year ago.
        days_back = rng.randint(*OLD_DAYS) if old else 1 + int((RECENT_DAYS - 1) * rng.random() ** 1.25)
        hour = rng.choices(list(data.OPENING_HOURS), weights=list(data.OPENING_HOURS.values()))[0]
        second_of_day = hour * 3600 + rng.randrange(3600)
        online = rng.random() < 0.1
        branch = None if online else (member.home_branch if rng.random() < 0.85 else rng.choice(data.BRANCHES)[0])
        drafts.append(
            dict(
                member=who,
                days_back=days_back,
                second_of_day=second_of_day,
                branch=branch,
                channel="online" if online else "in_store",
                payment_method="online" if online else rng.choice(data.PAYMENT_METHODS),
                items=_basket(rng, member.kind == Member.Kind.ORGANIZATION),
                old=old,
                redeem_share=0.0,
                refunds=[],
            )
        )
    recent = [d for d in drafts if not d["old"]]
    for d in rng.sample(recent, k=min(len(recent), max(1, round(len(recent) * REDEEM_AT_CHECKOUT_SHARE)))):
        d["redeem_share"] = rng.choice([0.25, 0.5, 0.5, 0.75, 1.0])
    for d in rng.sample(recent, k=min(len(recent), max(1, round(len(recent) * REFUND_SHARE)))):
        d["refunds"] = _refunds(rng, sum(i.quantity * i.unit_price for i in d["items"]))

    # Oldest first (ties by the order drawn), so demo-000001 is the first purchase of the club.
    order = sorted(range(purchases), key=lambda n: (-drafts[n]["days_back"], drafts[n]["second_of_day"], n))
    purchase_plans = [
        PurchasePlan(external_id=f"{EXTERNAL_ID_PREFIX}{k + 1:06d}", **drafts[n]) for k, n in enumerate(order)
    ]

    buyers = sorted({p.member for p in purchase_plans if not p.old})
    redeemers = rng.sample(buyers, k=min(len(buyers), max(1, round(members * STANDALONE_REDEEM_SHARE))))
    redemptions = [(m, rng.choice([0.3, 0.5, 0.8])) for m in sorted(redeemers)]
    adjusted = rng.sample(range(members), k=max(1, round(members * ADJUST_SHARE)))
    adjustments = [(m, rng.choice([50, 100, 150, 200, 300]), rng.choice(data.ADJUST_REASONS)) for m in sorted(adjusted)]
    member_plans = _plan_joins(rng, member_plans, purchase_plans)
    return Plan(
        member_plans,
        purchase_plans,
        redemptions,
        adjustments,
        memberships=_plan_memberships(rng, member_plans, purchase_plans),
        rewards=_plan_rewards(rng, member_plans, purchase_plans),
        promo_uses=[
            (m, rng.randint(1_000, 3_000) * 10_000)
            for m in sorted(rng.sample(buyers, k=min(len(buyers), max(1, round(members * PROMO_USE_SHARE)))))
        ],
        app_installs=_plan_app_installs(rng, member_plans),
        partner_codes=_plan_partner_codes(rng),
        # Their own stream of chance, so the members' plan is the same as before they were added.
        walk_ins=_plan_walk_ins(random.Random(seed + 1), round(purchases * WALK_IN_SHARE)),
    )


def _plan_walk_ins(rng: random.Random, count: int) -> list[WalkInPlan]:
    """Sales without a member over the last year, in a branch (they are not known online):
    one or two lines of an ordinary basket, so a member's basket is the larger."""
    drafts = []
    for _ in range(count):
        days_back = 1 + int((RECENT_DAYS - 1) * rng.random() ** 1.25)
        hour = rng.choices(list(data.OPENING_HOURS), weights=list(data.OPENING_HOURS.values()))[0]
        items = _basket(rng, False)[: rng.choice([1, 1, 2])]
        drafts.append((days_back, hour * 3600 + rng.randrange(3600), rng.choice(data.BRANCHES)[0],
                       rng.choice(data.PAYMENT_METHODS), items))
    drafts.sort(key=lambda d: (-d[0], d[1]))
    return [WalkInPlan(f"{WALK_IN_PREFIX}{k + 1:06d}", *d) for k, d in enumerate(drafts)]


def _plan_joins(rng: random.Random, members: list[MemberPlan], purchases: list[PurchasePlan]) -> list[MemberPlan]:
    """Each member joins a few days before their first purchase (one who never bought, on any
    day of the year); one who came with a code gets a referrer who had joined before them."""
    first: dict[int, int] = {}
    for p in purchases:
        first[p.member] = max(first.get(p.member, 0), p.days_back)
    joined = [first[m.index] + rng.randint(1, 20) if m.index in first else rng.randint(2, RECENT_DAYS) for m in members]
    planned = []
    for m in members:
        referred_by = None
        if m.referred_by is not None:
            earlier = [j for j in range(m.index) if joined[j] > joined[m.index]]
            referred_by = rng.choice(earlier) if earlier else None
        planned.append(
            replace(
                m,
                referred_by=referred_by,
                joined_days_back=joined[m.index],
                joined_second=rng.randrange(9 * 3600, 22 * 3600),
            )
        )
    return planned


def _plan_memberships(
    rng: random.Random, members: list[MemberPlan], purchases: list[PurchasePlan]
) -> list[tuple[int, int]]:
    """Regular persons who pay for the paid plan early in the year (after they joined)."""
    counts = Counter(p.member for p in purchases if not p.old)
    regulars = [
        m.index for m in members if m.kind == Member.Kind.PERSON and counts[m.index] >= 3 and m.joined_days_back >= 200
    ]
    chosen = sorted(rng.sample(regulars, k=min(len(regulars), max(1, round(len(members) * PAID_PLAN_SHARE)))))
    paid = []
    for index in chosen:
        latest = min(members[index].joined_days_back - 1, 355)
        paid.append((index, rng.randint(min(latest, 290), latest)))
    return paid


def _plan_rewards(rng: random.Random, members: list[MemberPlan], purchases: list[PurchasePlan]) -> list[RewardPlan]:
    """Who takes a catalogue reward, and which. Those who spent (so earned) more take the
    dearer rewards; early access goes to some of the biggest spenders (it needs gold or
    platinum)."""
    spend: Counter = Counter()
    for p in purchases:
        if not p.old:
            spend[p.member] += p.amount - sum(p.refunds)
    buyers = sorted(spend, key=lambda m: (-spend[m], m))
    if not buyers:
        return []
    n = min(len(buyers), max(1, round(len(members) * REWARD_SHARE)))
    top = buyers[: max(1, len(buyers) // 5)]
    early = rng.sample(top, k=min(len(top), max(1, n // 8)))
    # Members with points to spend: the better-spending half (at least n of them).
    spenders = [m for m in buyers[: max(n, len(buyers) // 2)] if m not in early]
    rest = sorted(rng.sample(spenders, k=min(len(spenders), n - len(early))), key=lambda m: (-spend[m], m))
    cost = {r["key"]: r["cost_points"] for r in data.REWARDS}
    firsts = sorted(
        rng.choices(list(REWARD_CHOICES), weights=list(REWARD_CHOICES.values()), k=len(rest)), key=lambda k: -cost[k]
    )
    plans = []
    for member, first_choice in sorted([*((m, "early_access") for m in early), *zip(rest, firsts, strict=True)]):
        fallbacks = tuple(k for k in REWARD_FALLBACKS if k != first_choice)
        use = rng.random() < COUPON_USE_SHARE
        basket = rng.randint(250, 1_500) * 10_000
        plans.append(RewardPlan(member=member, rewards=(first_choice, *fallbacks), use=use, basket=basket))
    return plans


def _plan_app_installs(rng: random.Random, members: list[MemberPlan]) -> list[tuple[int, int, int, str]]:
    persons = [m for m in members if m.kind == Member.Kind.PERSON]
    chosen = sorted(
        rng.sample(persons, k=min(len(persons), max(1, round(len(members) * APP_INSTALL_SHARE)))), key=lambda m: m.index
    )
    return [
        (
            m.index,
            rng.randint(1, max(1, m.joined_days_back - 1)),
            rng.randrange(8 * 3600, 24 * 3600),
            rng.choice(data.APP_PLATFORMS),
        )
        for m in chosen
    ]


def _plan_partner_codes(rng: random.Random) -> list[str]:
    codes: list[str] = []
    while len(codes) < data.PARTNER_CODES:
        code = f"{data.PARTNER_CODE_PREFIX}-{rng.randrange(16**4):04X}-{rng.randrange(16**4):04X}"
        if code not in codes:
            codes.append(code)
    return codes


# --- building it (through the services) ------------------------------------------------------------


@dataclass
class DemoResult:
    merchant: Merchant
    api_key: str
    api_key_created: bool
    admin_username: str
    admin_password: str
    admin_created: bool
    created: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def created_anything(self) -> bool:
        return any(self.created.values()) or self.api_key_created or self.admin_created


def _merchant() -> tuple[Merchant, bool]:
    merchant = Merchant.objects.filter(slug=data.MERCHANT_SLUG).first()
    if merchant is not None:
        return merchant, False
    return merchant_create(name=data.MERCHANT_NAME, slug=data.MERCHANT_SLUG), True


def _branches(merchant: Merchant) -> int:
    existing = set(Branch.objects.filter(merchant=merchant).values_list("code", flat=True))
    missing = [b for b in data.BRANCHES if b[0] not in existing]
    for code, name, city, _share in missing:
        branch_create(merchant=merchant, code=code, name=name, city=city)
    return len(missing)


def _api_key(merchant: Merchant) -> tuple[str, bool]:
    """The raw key lives only in var/demo-api-key.txt (the database keeps its digest); a
    missing or stale file gets a new key, and the previous demo key is revoked."""
    path = Path(settings.VAR_DIR) / API_KEY_FILE
    if path.exists():
        raw = path.read_text().strip()
        found = merchant_for_api_key(raw)
        if found is not None and found.pk == merchant.pk:
            return raw, False
    # The old demo key's secret is lost (or belongs to another database): retire it.
    for old in ApiKey.objects.filter(merchant=merchant, name="demo", revoked_at__isnull=True):
        api_key_revoke(key=old)
    _key, raw = api_key_create(merchant=merchant, name="demo")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(raw + "\n")
    path.chmod(0o600)
    return raw, True


def _admin() -> tuple[str, bool]:
    password = os.environ.get("VAFA_DEMO_ADMIN_PASSWORD") or DEFAULT_ADMIN_PASSWORD
    user_model = get_user_model()
    if user_model.objects.filter(username=ADMIN_USERNAME).exists():
        return password, False
    user_model.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", password)
    return password, True


def _staff(password: str) -> int:
    """The manager, cashier and marketer logins of the back-office (kept if they exist)."""
    existing = set(get_user_model().objects.filter(username__in=[u for u, *_ in STAFF_USERS])
                   .values_list("username", flat=True))
    missing = [s for s in STAFF_USERS if s[0] not in existing]
    for username, role, first_name, last_name in missing:
        staff_create(username=username, password=password, role=role, first_name=first_name, last_name=last_name)
    return len(missing)


def _members(plan: Plan, merchant: Merchant, today: dt.date) -> tuple[list[int], int]:
    """Join the members who are not there yet; answer every member's id by plan index."""
    e164 = [normalize_phone(m.phone) for m in plan.members]
    ids = dict(Member.objects.filter(phone__in=e164).values_list("phone", "id"))
    created = 0
    for start in range(0, len(plan.members), BATCH):
        with transaction.atomic():
            for m, phone in zip(plan.members[start : start + BATCH], e164[start : start + BATCH], strict=True):
                if phone not in ids:
                    ids[phone] = _member(
                        m, ids.get(e164[m.referred_by]) if m.referred_by is not None else None, merchant, today
                    )
                    created += 1
    return [ids[p] for p in e164], created


def _member(m: MemberPlan, referrer_id: int | None, merchant: Merchant, today: dt.date) -> int:
    referral_code = ""
    if referrer_id is not None:
        referral_code = Member.objects.filter(pk=referrer_id).values_list("referral_code", flat=True).first() or ""
    member = member_create(
        phone=m.phone,
        first_name=m.first_name,
        last_name=m.last_name,
        kind=m.kind,
        organization_name=m.organization_name,
        national_id=m.national_id,
        email=m.email,
        birth_date=m.birth_date,
        referral_code=referral_code,
        consents=m.consents,
        interests=m.interests,
        occasions=m.occasions,
        merchant_id=merchant.pk,
        joined_at=m.joined_at(today),
    )
    return member.pk


def _purchases(
    plan_purchases: list[PurchasePlan], member_ids: list[int], merchant: Merchant, today: dt.date, created: Counter
) -> None:
    external_ids = [p.external_id for p in plan_purchases]
    existing = {
        external_id: (pk, amount)
        for external_id, pk, amount in Purchase.objects.filter(
            merchant=merchant, external_id__in=external_ids
        ).values_list("external_id", "id", "amount")
    }
    refunds_done = dict(
        Refund.objects.filter(purchase_id__in=[pk for pk, _a in existing.values()])
        .values("purchase_id")
        .annotate(n=Count("id"))
        .values_list("purchase_id", "n")
    )
    for start in range(0, len(plan_purchases), BATCH):
        with transaction.atomic():
            for p in plan_purchases[start : start + BATCH]:
                _purchase(p, member_ids[p.member], merchant, today, existing, refunds_done, created)


def _purchase(
    p: PurchasePlan,
    member_id: int,
    merchant: Merchant,
    today: dt.date,
    existing: dict[str, tuple[int, int]],
    refunds_done: dict[int, int],
    created: Counter,
) -> None:
    purchase_id, stored_amount = existing.get(p.external_id, (None, None))
    if purchase_id is not None and stored_amount != p.amount:
        return  # recorded by a run with other --members/--purchases: not this plan's purchase
    if purchase_id is None:
        redeem = 0
        if p.redeem_share:
            available = member_points(member_id=member_id).available
            if available >= MIN_REDEEM_POINTS:
                redeem = max(MIN_REDEEM_POINTS, int(available * p.redeem_share))
        result = purchase_record(
            merchant_id=merchant.pk,
            member_id=member_id,
            external_id=p.external_id,
            amount=p.amount,
            occurred_at=p.occurred_at(today),
            items=p.items,
            branch=p.branch,
            redeem_points=redeem,
            channel=p.channel,
            payment_method=p.payment_method,
        )
        purchase_id = result.purchase.pk
        created["purchases"] += 1
        created["checkout_redemptions"] += bool(result.purchase.points_redeemed)
    for refund in p.refunds[refunds_done.get(purchase_id, 0) :]:
        refund_record(merchant_id=merchant.pk, purchase_id=purchase_id, amount=refund)
        created["refunds"] += 1


def _walk_ins(plan: Plan, merchant: Merchant, today: dt.date, created: Counter) -> None:
    done = set(
        WalkInSale.objects.filter(merchant=merchant, external_id__startswith=WALK_IN_PREFIX).values_list(
            "external_id", flat=True
        )
    )
    todo = [w for w in plan.walk_ins if w.external_id not in done]
    for start in range(0, len(todo), BATCH):
        with transaction.atomic():
            for w in todo[start : start + BATCH]:
                walk_in_sale_record(
                    merchant_id=merchant.pk,
                    external_id=w.external_id,
                    amount=w.amount,
                    occurred_at=w.occurred_at(today),
                    items=w.items,
                    branch=w.branch,
                    channel="in_store",
                    payment_method=w.payment_method,
                )
                created["sales_without_a_member"] += 1


def _redemptions(plan: Plan, member_ids: list[int], merchant: Merchant, created: Counter) -> None:
    done = set(
        Transfer.objects.filter(kind=Transfer.Kind.REDEEM, source_kind="api", source_id=merchant.pk).values_list(
            "debit__member_id", flat=True
        )
    )
    for index, share in plan.redemptions:
        member_id = member_ids[index]
        if member_id in done:
            continue
        available = member_points(member_id=member_id).available
        points = int(available * share) // 10 * 10
        if points >= MIN_REDEEM_POINTS:
            member_redeem(merchant_id=merchant.pk, member_id=member_id, points=points)
            created["redemptions"] += 1


def _adjustments(plan: Plan, member_ids: list[int], merchant: Merchant, created: Counter) -> None:
    done = set(
        Transfer.objects.filter(kind=Transfer.Kind.ADJUST, source_kind="api", source_id=merchant.pk).values_list(
            "credit__member_id", flat=True
        )
    )
    for index, points, reason in plan.adjustments:
        if member_ids[index] not in done:
            member_adjust(merchant_id=merchant.pk, member_id=member_ids[index], points=points, reason=reason)
            created["adjustments"] += 1


# --- the program (issue 4) ------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoProgram:
    rewards: dict[str, Reward]  # by the demo's key (data.REWARDS)
    paid_plan: MembershipPlan
    promo: Coupon


def _program(plan: Plan, merchant: Merchant, now: dt.datetime, created: Counter) -> DemoProgram:
    """Tiers, rules, rewards (with the partner codes' pool), the paid plan and the promo code:
    whatever of them is missing, found by tier code, rule and reward name, plan name, code."""
    with transaction.atomic():
        tiers = set(Tier.objects.values_list("code", flat=True))
        for tier in data.TIERS:
            if tier["code"] not in tiers:
                tier_create(data=tier)
                created["tiers"] += 1
        rules = set(Rule.objects.values_list("name", flat=True))
        for rule in data.RULES:
            if rule["name"] not in rules:
                rule_create(data=rule, changed_by="vafa demo")
                created["rules"] += 1
        rewards = {}
        for fields in data.REWARDS:
            fields = dict(fields)
            key = fields.pop("key")
            reward = Reward.objects.filter(name=fields["name"], kind=fields["kind"]).order_by("id").first()
            if reward is None:
                reward = reward_create(**fields)
                created["rewards"] += 1
            rewards[key] = reward
        # Codes already in the pool (handed out or not) are skipped by the upload itself.
        created["partner_codes"] += partner_codes_upload(reward_id=rewards["partner_code"].pk, codes=plan.partner_codes)
        paid_plan = MembershipPlan.objects.filter(name=data.PAID_PLAN["name"]).order_by("id").first()
        if paid_plan is None:
            paid_plan = plan_create(**data.PAID_PLAN)
            created["paid_plan"] += 1
        promo = Coupon.objects.filter(code=data.PROMO_CODE["code"]).first()
        if promo is None:
            starts, ends = data.PROMO_DAYS
            promo = promo_code_create(
                **data.PROMO_CODE,
                merchant_id=merchant.pk,
                starts_at=now + dt.timedelta(days=starts),
                ends_at=now + dt.timedelta(days=ends),
            )
            created["promo_code"] += 1
    return DemoProgram(rewards=rewards, paid_plan=paid_plan, promo=promo)


def _memberships(
    plan: Plan, member_ids: list[int], program: DemoProgram, merchant: Merchant, today: dt.date, created: Counter
) -> None:
    """The plan's subscribers pay at a branch, early in the year, before their purchases are replayed."""
    references = {f"demo-plan-{index:04d}": (index, days_back) for index, days_back in plan.memberships}
    done = set(Membership.objects.filter(payment_reference__in=references).values_list("payment_reference", flat=True))
    with transaction.atomic():
        for reference, (index, days_back) in references.items():
            if reference in done:
                continue
            membership_record(
                member_id=member_ids[index],
                plan_id=program.paid_plan.pk,
                amount_rial=program.paid_plan.fee_rial,
                payment_reference=reference,
                channel="pos",
                merchant_id=merchant.pk,
                at=_at(today, days_back, 11 * 3600 + 17 * 60),
            )
            created["memberships"] += 1


def _app_installs(plan: Plan, member_ids: list[int], merchant: Merchant, today: dt.date, created: Counter) -> None:
    """A custom event posted by the shop's app; its key makes a second run replay it."""
    with transaction.atomic():
        for index, days_back, second, platform in plan.app_installs:
            _event, replayed = event_record(
                member_id=member_ids[index],
                event_type=data.APP_INSTALL_EVENT,
                properties={"platform": platform},
                key=f"demo-app-install-{index:04d}",
                merchant_id=merchant.pk,
                occurred_at=_at(today, days_back, second),
            )
            created["app_installs"] += not replayed


def _reward_redemptions(
    plan: Plan, member_ids: list[int], program: DemoProgram, merchant: Merchant, created: Counter
) -> None:
    """Members take the first reward on their list that they can afford and may take (tier,
    stock, per-member limit); some use the coupon at a checkout or spend part of the gift card.
    A member who already took a demo reward is done (its coupon is still used if it was not)."""
    reward_ids = [r.pk for r in program.rewards.values()]
    taken: dict[int, Redemption] = {}
    for redemption in Redemption.objects.filter(
        member_id__in=member_ids, reward_id__in=reward_ids, free=False
    ).order_by("-id"):
        taken[redemption.member_id] = redemption  # the first one wins
    with transaction.atomic():
        for rp in plan.rewards:
            member_id = member_ids[rp.member]
            redemption = taken.get(member_id)
            if redemption is None:
                redemption = _take_reward(rp, member_id, program, merchant)
                if redemption is None:
                    continue
                created["reward_redemptions"] += 1
            if rp.use:
                _use_reward(rp, redemption, member_id, merchant, created)


def _take_reward(rp: RewardPlan, member_id: int, program: DemoProgram, merchant: Merchant) -> Redemption | None:
    available = member_points(member_id=member_id).available
    for key in rp.rewards:
        reward = program.rewards[key]
        if reward.cost_points > available:
            continue
        try:
            return reward_redeem(member_id=member_id, reward_id=reward.pk, merchant_id=merchant.pk)
        except Conflict:
            continue  # not for this member's tier, out of stock or limit reached: the next choice
    return None


def _use_reward(rp: RewardPlan, redemption: Redemption, member_id: int, merchant: Merchant, created: Counter) -> None:
    coupon = Coupon.objects.filter(redemption=redemption).first()
    if coupon is not None and coupon.used_count == 0:
        try:
            coupon_redeem(
                code=coupon.code,
                member_id=member_id,
                amount=max(rp.basket, coupon.min_purchase_rial),
                merchant_id=merchant.pk,
                reference=f"demo-coupon-{rp.member:04d}",
            )
            created["coupon_uses"] += 1
        except Conflict:
            pass  # expired since the demo was loaded: left unused
    card = GiftCard.objects.filter(redemption=redemption).first()
    if card is not None and card.balance_rial and not GiftCardUse.objects.filter(gift_card=card).exists():
        try:
            gift_card_spend(
                code=card.code,
                amount_rial=min(card.balance_rial, rp.basket // 10 // 10_000 * 10_000),
                reference=f"demo-gift-card-{rp.member:04d}",
            )
            created["gift_card_uses"] += 1
        except Conflict:
            pass  # expired since the demo was loaded


def _promo_uses(plan: Plan, member_ids: list[int], program: DemoProgram, merchant: Merchant, created: Counter) -> None:
    done = set(CouponUse.objects.filter(coupon=program.promo).values_list("reference", flat=True))
    with transaction.atomic():
        for index, amount in plan.promo_uses:
            reference = f"demo-promo-{index:04d}"
            if reference in done:
                continue
            try:
                coupon_redeem(
                    code=program.promo.code,
                    member_id=member_ids[index],
                    amount=amount,
                    merchant_id=merchant.pk,
                    reference=reference,
                )
                created["promo_uses"] += 1
            except Conflict:
                continue  # the code ran out or ended since the demo was loaded


def demo_build(
    *,
    members: int = 300,
    purchases: int = 5000,
    now: dt.datetime | None = None,
    log: Callable[[str], None] = lambda _line: None,
) -> DemoResult:
    """Create whatever of the demo club is missing and answer what was created."""
    started = time.monotonic()
    now = now or timezone.now()
    today = now.astimezone(TEHRAN).date()
    plan = demo_plan(members=members, purchases=purchases)
    for m in plan.members:  # the plan's identifiers must be ones the services accept
        if m.national_id:
            validate_national_id(m.national_id, m.kind)

    merchant, merchant_created = _merchant()
    created: Counter = Counter(merchant=int(merchant_created), branches=_branches(merchant))
    api_key, key_created = _api_key(merchant)
    admin_password, admin_created = _admin()
    created["staff_logins"] = _staff(admin_password)
    result = DemoResult(
        merchant=merchant,
        api_key=api_key,
        api_key_created=key_created,
        admin_username=ADMIN_USERNAME,
        admin_password=admin_password,
        admin_created=admin_created,
        created=created,
    )

    def step(name: str) -> None:
        log(f"  {name} ({time.monotonic() - started:.1f}s)")

    program = _program(plan, merchant, now, created)
    step(f"program: {created['tiers']} tiers, {created['rules']} rules, {created['rewards']} rewards")
    member_ids, created["members"] = _members(plan, merchant, today)
    _memberships(plan, member_ids, program, merchant, today, created)
    step(f"members: {created['members']} joined, {created['memberships']} paid plan payments")
    old = [p for p in plan.purchases if p.old]
    recent = [p for p in plan.purchases if not p.old]
    # The purchases of 12-14 months ago, then the expiry that would have run since.
    _purchases(old, member_ids, merchant, today, created)
    created["points_expired"] += points_expire(now=now).points
    _purchases(recent, member_ids, merchant, today, created)
    _walk_ins(plan, merchant, today, created)
    step(f"purchases: {created['purchases']} recorded, {created['refunds']} refunds, "
         f"{created['sales_without_a_member']} sales without a member")
    _app_installs(plan, member_ids, merchant, today, created)
    _redemptions(plan, member_ids, merchant, created)
    _reward_redemptions(plan, member_ids, program, merchant, created)
    _promo_uses(plan, member_ids, program, merchant, created)
    _adjustments(plan, member_ids, merchant, created)
    _engagement(now, created)
    # Today's birthdays, as the daily job would award them (once per member and Jalali year).
    created["occasion_awards"] += sum(occasions_award(now=now).values())
    created["points_expired"] += points_expire(now=now).points
    step(
        f"rewards: {created['reward_redemptions']} taken, {created['coupon_uses'] + created['promo_uses']} coupons used"
    )
    # What the nightly jobs compute (lifetime values, RFM, product pairs, programme effect), so the
    # dashboard and the member pages show them from the first visit; recomputed, so no count.
    # As of the end of the build: the rewards taken and messages sent above are booked at the real
    # clock, after `now` (taken when the build began), and would fall outside the figures' period.
    figures = insight_refresh(max(now, timezone.now()))
    step(f"insight: {figures['scored']} members scored ({figures['fit']}), {figures['pairs']} product pairs")
    result.seconds = time.monotonic() - started
    return result


def _engagement(now: dt.datetime, created: Counter) -> None:
    """Segments, a survey, a draft campaign, automations, badges and a challenge to start from;
    each made once (found again by its code or name), none of them sending anything yet."""
    segments = {}
    for code, name, conditions in (
            ("recent-sms", "خریداران اخیر با رضایت پیامک", {"consent": "sms", "purchased_within_days": 90}),
            ("champions", "مشتریان وفادار", {"rfm": {"r": [4, 5], "f": [4, 5]}}),
            ("lapsed", "کم‌پیداها", {"purchases_min": 1, "not_purchased_within_days": 90}),
    ):
        segments[code] = Segment.objects.filter(code=code).first()
        if segments[code] is None:
            segments[code] = engage.segment_create(data={"code": code, "name": name, "conditions": conditions},
                                                   created_by="demo")
            created["segments"] += 1
    survey = Survey.objects.filter(name="رضایت از خرید").first()
    if survey is None:
        survey = engage.survey_create(data={"name": "رضایت از خرید", "points": 50, "questions": [
            {"type": "nps", "text": "چقدر احتمال دارد ما را به دوستانتان پیشنهاد کنید؟", "required": True},
            {"type": "rating", "text": "از خرید اخیرتان چقدر راضی بودید؟", "required": True},
            {"type": "choice", "text": "بیشتر از کدام شعبه خرید می‌کنید؟",
             "options": ["ونک", "تجریش", "صادقیه", "آنلاین"]},
            {"type": "text", "text": "پیشنهادی برای ما دارید؟"}]})
        created["surveys"] += 1
    if not Campaign.objects.filter(name="یلدا ۱۴۰۵").exists():
        engage.campaign_create(data={
            "name": "یلدا ۱۴۰۵", "channel": "sms", "segment_id": segments["recent-sms"].pk, "holdout_percent": 10,
            "text": "{first_name} عزیز، یلدا مبارک! {points} امتیاز دارید؛ این هفته امتیاز دوبرابر بگیرید."},
            created_by="demo")
        created["campaigns"] += 1
    for name, trigger, text in (
            ("تبریک تولد", {"type": "birthday"}, "{first_name} عزیز، تولدتان مبارک! هدیه‌ای در باشگاه منتظر شماست."),
            ("یادآوری انقضای امتیاز", {"type": "points_expiring", "days_before": 7},
             "{expiring_points} امتیاز شما تا {expiring_date} منقضی می‌شود."),
            ("دلتنگی", {"type": "inactive", "days": 60}, "{first_name} عزیز، دلمان برایتان تنگ شده است."),
            ("نظر شما", {"type": "after_purchase", "days": 3}, "نظر شما درباره خرید اخیرتان: {survey_link}"),
    ):
        if not Automation.objects.filter(name=name).exists():
            engage.automation_create(data={"name": name, "trigger": trigger, "channel": "sms", "text": text,
                                           "survey_id": survey.pk if "{survey_link}" in text else None})
            created["automations"] += 1
    for code, name, criterion, threshold in (("ten-purchases", "ده خرید", "purchases", 10),
                                             ("three-weeks", "سه هفتهٔ پیاپی", "streak_weeks", 3)):
        if not Badge.objects.filter(code=code).exists():
            engage.badge_create(data={"code": code, "name": name, "criterion": criterion, "threshold": threshold,
                                      "points": 100})
            created["badges"] += 1
    if not Challenge.objects.filter(name="سه خرید در سی روز").exists():
        engage.challenge_create(data={"name": "سه خرید در سی روز", "target": 3, "points": 300,
                                      "starts_at": now, "ends_at": now + dt.timedelta(days=30)})
        created["challenges"] += 1


@dataclass(frozen=True)
class DemoCounts:
    members: int
    organizations: int
    purchases: int
    refunds: int
    redemptions: int
    points_outstanding: int
    points_expired: int
    sample_member_id: int | None
    sample_member_phone: str | None
    tiers: list[tuple[str, int]] = field(default_factory=list)  # (tier name, members) by rank; "" = none
    rules: dict[str, int] = field(default_factory=dict)  # by status
    rewards: int = 0
    reward_redemptions: dict[str, int] = field(default_factory=dict)  # by reward kind
    partner_codes_left: int = 0
    coupons_issued: int = 0
    coupons_used: int = 0
    promo_code: str = ""
    promo_used: int = 0
    promo_limit: int = 0
    gift_cards: int = 0
    paid_plan_members: int = 0
    referrals: int = 0
    referrals_completed: int = 0
    app_installs: int = 0
    birthday_awards: int = 0


def demo_counts(merchant: Merchant, *, now: dt.datetime | None = None) -> DemoCounts:
    now = now or timezone.now()
    members = Member.objects.filter(merchant=merchant)
    outstanding = (
        Account.objects.filter(role=Account.Role.MEMBER, member__merchant=merchant).aggregate(s=Sum("balance"))["s"]
        or 0
    )
    expired = (
        Transfer.objects.filter(kind=Transfer.Kind.EXPIRE, debit__member__merchant=merchant).aggregate(s=Sum("amount"))[
            "s"
        ]
        or 0
    )
    # At a checkout (a purchase spending points), on their own (one transfer each: one issuer),
    # or on a catalogue reward (one Redemption each, however many transfers).
    redemptions = (
        Purchase.objects.filter(merchant=merchant, points_redeemed__gt=0).count()
        + Transfer.objects.filter(kind=Transfer.Kind.REDEEM, merchant=merchant)
        .exclude(source_kind__in=["purchase", "reward"])
        .count()
        + Redemption.objects.filter(member__merchant=merchant, free=False).count()
    )
    by_tier = dict(
        MemberTier.objects.filter(member__merchant=merchant, tier__isnull=False)
        .values("tier_id")
        .annotate(n=Count("id"))
        .values_list("tier_id", "n")
    )
    tiers = [(tier.name, by_tier.get(tier.pk, 0)) for tier in Tier.objects.order_by("rank")]
    total = members.count()
    tiers.append(("", total - sum(n for _name, n in tiers)))
    redeemed = (
        Redemption.objects.filter(member__merchant=merchant, free=False)
        .values("reward__kind")
        .annotate(n=Count("id"))
        .values_list("reward__kind", "n")
    )
    coupons = Coupon.objects.filter(member__merchant=merchant, is_promo=False)
    promo = Coupon.objects.filter(code=data.PROMO_CODE["code"]).first()
    referrals = Referral.objects.filter(referrer__merchant=merchant)
    return DemoCounts(
        members=total,
        organizations=members.filter(kind=Member.Kind.ORGANIZATION).count(),
        purchases=Purchase.objects.filter(merchant=merchant).count(),
        refunds=Refund.objects.filter(purchase__merchant=merchant).count(),
        redemptions=redemptions,
        points_outstanding=outstanding,
        points_expired=expired,
        sample_member_id=members.order_by("id").values_list("id", flat=True).first(),
        sample_member_phone=members.order_by("id").values_list("phone", flat=True).first(),
        tiers=tiers,
        rules=dict(Rule.objects.values("status").annotate(n=Count("id")).values_list("status", "n")),
        rewards=Reward.objects.count(),
        reward_redemptions=dict(sorted(redeemed)),
        partner_codes_left=PartnerCode.objects.filter(redemption__isnull=True).count(),
        coupons_issued=coupons.count(),
        coupons_used=coupons.filter(used_count__gt=0).count(),
        promo_code=promo.code if promo else "",
        promo_used=promo.used_count if promo else 0,
        promo_limit=promo.usage_limit if promo else 0,
        gift_cards=GiftCard.objects.filter(member__merchant=merchant).count(),
        paid_plan_members=Membership.objects.filter(member__merchant=merchant, starts_at__lte=now, ends_at__gt=now)
        .values("member_id")
        .distinct()
        .count(),
        referrals=referrals.count(),
        referrals_completed=referrals.filter(status=Referral.Status.COMPLETED).count(),
        app_installs=Event.objects.filter(member__merchant=merchant, type=data.APP_INSTALL_EVENT).count(),
        birthday_awards=Event.objects.filter(member__merchant=merchant, type="occasion.birthday").count(),
    )
