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
"""

import datetime as dt
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from vafa.commerce.models import Purchase, Refund
from vafa.commerce.services import ItemIn, member_adjust, member_redeem, purchase_record, refund_record
from vafa.core.jalali import TEHRAN
from vafa.core.national_id import legal_id_check_digit, national_code_check_digit, validate_national_id
from vafa.core.phone import is_valid_phone, normalize_phone
from vafa.demo import data
from vafa.ledger.models import Account, Transfer
from vafa.ledger.selectors import member_points
from vafa.ledger.services import points_expire
from vafa.members.models import Member
from vafa.members.services import member_create
from vafa.merchants.models import ApiKey, Branch, Merchant
from vafa.merchants.selectors import merchant_for_api_key
from vafa.merchants.services import api_key_create, api_key_revoke, branch_create, merchant_create

SEED = 1405
ADMIN_USERNAME = "admin"
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
MIN_REDEEM_POINTS = 50
# Service calls are grouped into one transaction per batch: each stays atomic on its own, and a
# run costs one commit (an fsync on PostgreSQL) per batch instead of one per purchase. A failed
# batch rolls back whole; the next run picks up from there.
BATCH = 250
RECENT_DAYS = 363  # recent purchases are 1..363 days old, so none has expired yet
OLD_DAYS = (375, 425)  # 12-14 months back: expired by now
BIRTH_FROM, BIRTH_TO = dt.date(1955, 1, 1), dt.date(2006, 12, 31)


# --- the plan (pure: no database) -------------------------------------------------------------------


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
    referred_by: int | None  # index of an earlier member


@dataclass(frozen=True)
class PurchasePlan:
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

    @property
    def amount(self) -> int:
        return sum(i.quantity * i.unit_price for i in self.items)

    def occurred_at(self, today: dt.date) -> dt.datetime:
        day = today - dt.timedelta(days=self.days_back)
        hour, rest = divmod(self.second_of_day, 3600)
        return dt.datetime.combine(day, dt.time(hour, rest // 60, rest % 60), tzinfo=TEHRAN)


@dataclass(frozen=True)
class Plan:
    members: list[MemberPlan]
    purchases: list[PurchasePlan]  # oldest first; external ids follow that order
    redemptions: list[tuple[int, float]]  # (member index, share of the available points)
    adjustments: list[tuple[int, int, str]]  # (member index, points, reason)


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
    is_org = index % ORGANIZATION_EVERY == ORGANIZATION_EVERY - 1
    male = rng.random() < 0.5
    first_name, first_latin = rng.choice(data.MALE_FIRST_NAMES if male else data.FEMALE_FIRST_NAMES)
    last_name, last_latin = rng.choice(data.LAST_NAMES)
    phone = _phone(rng, phones)
    home_branch = rng.choices([b[0] for b in data.BRANCHES], weights=[b[3] for b in data.BRANCHES])[0]
    interests = rng.sample(data.INTERESTS, k=rng.choice([0, 1, 2, 2, 3, 4]))
    referred_by = rng.randrange(index) if index > 5 and rng.random() < 0.08 else None
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
    return Plan(member_plans, purchase_plans, redemptions, adjustments)


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


def _members(plan: Plan, merchant: Merchant) -> tuple[list[int], int]:
    """Join the members who are not there yet; answer every member's id by plan index."""
    e164 = [normalize_phone(m.phone) for m in plan.members]
    ids = dict(Member.objects.filter(phone__in=e164).values_list("phone", "id"))
    created = 0
    for start in range(0, len(plan.members), BATCH):
        with transaction.atomic():
            for m, phone in zip(plan.members[start : start + BATCH], e164[start : start + BATCH], strict=True):
                if phone not in ids:
                    ids[phone] = _member(
                        m, ids.get(e164[m.referred_by]) if m.referred_by is not None else None, merchant
                    )
                    created += 1
    return [ids[p] for p in e164], created


def _member(m: MemberPlan, referrer_id: int | None, merchant: Merchant) -> int:
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

    member_ids, created["members"] = _members(plan, merchant)
    step(f"members: {created['members']} joined")
    old = [p for p in plan.purchases if p.old]
    recent = [p for p in plan.purchases if not p.old]
    # The purchases of 12-14 months ago, then the expiry that would have run since.
    _purchases(old, member_ids, merchant, today, created)
    created["points_expired"] += points_expire(now=now).points
    _purchases(recent, member_ids, merchant, today, created)
    step(f"purchases: {created['purchases']} recorded, {created['refunds']} refunds")
    _redemptions(plan, member_ids, merchant, created)
    _adjustments(plan, member_ids, merchant, created)
    created["points_expired"] += points_expire(now=now).points
    result.seconds = time.monotonic() - started
    return result


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


def demo_counts(merchant: Merchant) -> DemoCounts:
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
    # At a checkout (a purchase spending points) or on their own (one transfer each: one issuer).
    redemptions = (
        Purchase.objects.filter(merchant=merchant, points_redeemed__gt=0).count()
        + Transfer.objects.filter(kind=Transfer.Kind.REDEEM, merchant=merchant).exclude(source_kind="purchase").count()
    )
    return DemoCounts(
        members=members.count(),
        organizations=members.filter(kind=Member.Kind.ORGANIZATION).count(),
        purchases=Purchase.objects.filter(merchant=merchant).count(),
        refunds=Refund.objects.filter(purchase__merchant=merchant).count(),
        redemptions=redemptions,
        points_outstanding=outstanding,
        points_expired=expired,
        sample_member_id=members.order_by("id").values_list("id", flat=True).first(),
    )
