"""`vafa demo`: a believable club, built through the services, idempotent, ledger intact."""

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F, Sum

from vafa.commerce.models import Purchase, PurchaseItem, Refund, WalkInSale, WalkInSaleItem
from vafa.core.jalali import TEHRAN, jalali_month_day, jalali_today
from vafa.core.national_id import validate_national_id
from vafa.core.phone import normalize_phone
from vafa.core.tests.fixtures import assert_ledger_ok
from vafa.demo import data
from vafa.demo.build import API_KEY_FILE, REWARD_CHOICES, demo_build, demo_plan
from vafa.ledger.models import Account, Lot, Transfer
from vafa.member_events.models import Event
from vafa.members.models import Consent, Interest, Member, Membership, MembershipPlan, Occasion
from vafa.merchants.models import ApiKey, Branch, Merchant
from vafa.merchants.selectors import merchant_for_api_key
from vafa.program.models import MemberTier, Reward, Rule, RuleAward, RuleRevision, Tier, TierChange
from vafa.referrals.models import Referral
from vafa.rewards.models import Coupon, CouponUse, GiftCard, GiftCardUse, PartnerCode, Redemption

MEMBERS, PURCHASES = 20, 150
# Large enough for every tier to have members and for referrals to complete: the same number of
# purchases per member as the full demo (300 / 5000).
PROGRAM_MEMBERS, PROGRAM_PURCHASES = 40, 700


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def run_demo(members: int = MEMBERS, purchases: int = PURCHASES) -> str:
    out = StringIO()
    call_command("demo", members=members, purchases=purchases, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Merchant,
            Branch,
            ApiKey,
            Member,
            Consent,
            Interest,
            Occasion,
            Purchase,
            PurchaseItem,
            WalkInSale,
            WalkInSaleItem,
            Refund,
            Account,
            Transfer,
            Lot,
            get_user_model(),
            Tier,
            MemberTier,
            TierChange,
            Rule,
            RuleRevision,
            RuleAward,
            Reward,
            PartnerCode,
            Redemption,
            Coupon,
            CouponUse,
            GiftCard,
            GiftCardUse,
            MembershipPlan,
            Membership,
            Referral,
            Event,
        )
    }


def test_plan_is_deterministic_and_valid():
    first, second = demo_plan(members=MEMBERS, purchases=PURCHASES), demo_plan(members=MEMBERS, purchases=PURCHASES)
    assert first == second
    phones = [normalize_phone(m.phone) for m in first.members]
    assert len(set(phones)) == MEMBERS
    for m in first.members:
        if m.national_id:
            assert validate_national_id(m.national_id, m.kind) == m.national_id
    assert [p.external_id for p in first.purchases] == [f"demo-{n:06d}" for n in range(1, PURCHASES + 1)]
    for p in first.purchases:
        assert 1 <= len(p.items) <= 5
        assert all(50_000 <= i.unit_price <= 5_000_000 for i in p.items)
        assert sum(p.refunds) <= p.amount
    # Oldest first; the old ones (12-14 months back) come before every recent one.
    assert [p.days_back for p in first.purchases] == sorted((p.days_back for p in first.purchases), reverse=True)
    assert all(375 <= p.days_back <= 425 for p in first.purchases if p.old)
    assert all(1 <= p.days_back <= 363 for p in first.purchases if not p.old)


def test_the_full_plan_joins_refers_subscribes_and_redeems_in_order():
    plan = demo_plan()
    members = plan.members
    first_purchase = {}
    for p in plan.purchases:
        first_purchase[p.member] = max(first_purchase.get(p.member, 0), p.days_back)

    # Everyone joins on a day before their first purchase.
    assert all(m.joined_days_back > first_purchase.get(m.index, 0) for m in members)
    assert all(9 * 3600 <= m.joined_second < 22 * 3600 for m in members)
    # About 10% join with the code of a person who had joined before them.
    referred = [m for m in members if m.referred_by is not None]
    assert len(referred) == 29
    for m in referred:
        referrer = members[m.referred_by]
        assert m.kind == Member.Kind.PERSON
        assert referrer.index < m.index and referrer.joined_days_back > m.joined_days_back
    # 20 regulars pay for the paid plan early in the year, after joining.
    assert len(plan.memberships) == len({index for index, _days in plan.memberships}) == 20
    for index, days_back in plan.memberships:
        assert members[index].kind == Member.Kind.PERSON
        assert 199 <= days_back < members[index].joined_days_back and days_back <= 355
    # About 60 distinct members plan a reward; every choice is a catalogue key.
    keys = {r["key"] for r in data.REWARDS}
    assert len(plan.rewards) == len({r.member for r in plan.rewards}) == 63
    assert all(set(r.rewards) <= keys and len(set(r.rewards)) == len(r.rewards) for r in plan.rewards)
    assert {r.rewards[0] for r in plan.rewards} == set(REWARD_CHOICES) | {"early_access"}
    assert all(2_500_000 <= r.basket <= 15_000_000 for r in plan.rewards)
    # The promo code's uses meet its minimum; app installs happen after joining.
    assert len(plan.promo_uses) == 15
    assert all(amount >= data.PROMO_CODE["min_purchase_rial"] for _m, amount in plan.promo_uses)
    assert len(plan.app_installs) == 30
    for index, days_back, _second, platform in plan.app_installs:
        assert 1 <= days_back < members[index].joined_days_back
        assert platform in data.APP_PLATFORMS
    assert len(set(plan.partner_codes)) == data.PARTNER_CODES == 20


def test_the_tier_thresholds_split_the_full_demo_as_intended():
    """Tiers go by spend net of refunds over the last 365 days (every recent purchase is in
    it): about 40% silver, 15% gold, 3-5% platinum."""
    plan = demo_plan()
    spend = Counter()
    for p in plan.purchases:
        if not p.old:
            spend[p.member] += p.amount - sum(p.refunds)
    thresholds = [t["qualify"]["threshold"] for t in data.TIERS]
    by_tier = Counter(sum(spend[m.index] >= t for t in thresholds) for m in plan.members)
    assert [by_tier[rank] for rank in (0, 1, 2, 3)] == [118, 122, 46, 14]


@pytest.mark.django_db
def test_demo_builds_the_club_once(_var_dir):
    out = run_demo()

    merchant = Merchant.objects.get(slug=data.MERCHANT_SLUG)
    assert merchant.name == data.MERCHANT_NAME
    assert sorted(Branch.objects.filter(merchant=merchant).values_list("code", flat=True)) == [
        "ISF-1",
        "SHZ-1",
        "TBZ-1",
        "THR-1",
    ]
    assert Member.objects.count() == MEMBERS
    assert Member.objects.filter(kind=Member.Kind.ORGANIZATION).count() == MEMBERS // 10
    assert Member.objects.filter(kind=Member.Kind.PERSON).count() == MEMBERS - MEMBERS // 10
    for kind, organization_name, national_id in Member.objects.values_list("kind", "organization_name", "national_id"):
        if kind == Member.Kind.ORGANIZATION:
            assert organization_name and len(national_id) == 11
        if national_id:
            validate_national_id(national_id, kind)
    assert Purchase.objects.count() == PURCHASES
    assert set(Purchase.objects.values_list("external_id", flat=True)) == {
        f"demo-{n:06d}" for n in range(1, PURCHASES + 1)
    }
    assert Purchase.objects.filter(branch__isnull=False).exists()
    # Sales without a member (30 % as many as the members' purchases): in a branch, with items, no points
    walk_ins = round(PURCHASES * 0.3)
    assert WalkInSale.objects.count() == walk_ins and WalkInSale.objects.filter(branch__isnull=True).count() == 0
    assert set(WalkInSale.objects.values_list("external_id", flat=True)) == {
        f"demo-walk-in-{n:06d}" for n in range(1, walk_ins + 1)
    }
    assert WalkInSaleItem.objects.values("sale").distinct().count() == walk_ins
    assert f"{walk_ins} sales without a member" in out
    assert Purchase.objects.filter(refunded_amount=F("amount")).exists()  # full refunds
    assert Purchase.objects.filter(refunded_amount__gt=0, refunded_amount__lt=F("amount")).exists()  # partial
    assert Transfer.objects.filter(kind=Transfer.Kind.REDEEM, source_kind="purchase").exists()
    assert Transfer.objects.filter(kind=Transfer.Kind.REDEEM, source_kind="api").exists()
    assert Transfer.objects.filter(kind=Transfer.Kind.REFUND_REVERSAL).exists()
    assert Transfer.objects.filter(kind=Transfer.Kind.EXPIRE).exists()
    assert Transfer.objects.filter(kind=Transfer.Kind.ADJUST).exists()
    assert Interest.objects.exists() and Consent.objects.exists()

    # The raw key is in var/demo-api-key.txt only, it works, and the output shows it and a login.
    raw_key = (_var_dir / API_KEY_FILE).read_text().strip()
    assert merchant_for_api_key(raw_key) == merchant
    assert raw_key in out
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password("vafa-demo-1405")
    assert "vafa-demo-1405" in out and "http://127.0.0.1:8000/admin/" in out
    # One login per back-office role, each with its role and the demo password.
    from vafa.merchants.staff import staff_role

    for username in ("manager", "cashier", "marketer"):
        user = get_user_model().objects.get(username=username)
        assert staff_role(user) == username and user.check_password("vafa-demo-1405")
    assert staff_role(admin) == "owner"
    assert "http://127.0.0.1:8000/manage/" in out

    assert_ledger_ok()

    before = counts()
    second = run_demo()

    assert counts() == before
    assert "nothing created" in second
    assert raw_key in second
    assert_ledger_ok()


@pytest.mark.django_db
def test_demo_sets_up_the_whole_program_and_members_use_it(_var_dir):
    out = run_demo(PROGRAM_MEMBERS, PROGRAM_PURCHASES)
    plan = demo_plan(members=PROGRAM_MEMBERS, purchases=PROGRAM_PURCHASES)
    by_phone = dict(Member.objects.values_list("phone", "id"))
    member_ids = [by_phone[normalize_phone(m.phone)] for m in plan.members]

    # Three tiers by spend; members climbed them as they bought, and each tier has members.
    tiers = list(Tier.objects.order_by("rank").values_list("code", "rank", "threshold", "earn_percent", "grace_days"))
    assert tiers == [
        ("silver", 1, 25_000_000, 100, 0),
        ("gold", 2, 100_000_000, 150, 30),
        ("platinum", 3, 250_000_000, 200, 30),
    ]
    assert list(Tier.objects.order_by("rank").values_list("name", flat=True)) == ["نقره‌ای", "طلایی", "پلاتینیوم"]
    assert all(Tier.objects.values_list("page_text", flat=True))
    held = Counter(MemberTier.objects.filter(tier__isnull=False).values_list("tier__code", flat=True))
    assert held == {"silver": 16, "gold": 7, "platinum": 2}
    assert TierChange.objects.filter(from_tier__code="silver", to_tier__code="gold").exists()
    assert Purchase.objects.filter(applied_rules__icontains='"tier:gold"').exists()
    assert Purchase.objects.filter(applied_rules__icontains='"tier:platinum"').exists()
    assert "نقره‌ای 16 (40%), طلایی 7 (17%), پلاتینیوم 2 (5%), no tier 15 (37%)" in out

    # Every rule state is shown; the live rules earned on the replayed purchases and events.
    assert Counter(Rule.objects.values_list("status", flat=True)) == {"live": 10, "draft": 1, "paused": 1}
    assert Counter(Rule.objects.filter(status="live").values_list("trigger", flat=True)) == {
        "purchase": 4,
        "join": 1,
        "profile_completed": 1,
        "occasion": 1,
        "referral_completed": 2,
        "event": 1,
    }
    assert "earning rules:      1 draft, 10 live, 1 paused" in out
    awarded = {name for name in RuleAward.objects.values_list("rule__name", flat=True)}
    assert awarded >= {
        "هدیه خرید دوم و ششم",
        "امتیاز خرید عمده سازمان‌ها",
        "جشنواره چای با حمایت تأمین‌کننده",
        "خوش‌آمدگویی عضویت در باشگاه",
        "تکمیل پروفایل",
        "معرفی دوستان: هدیه معرف",
        "معرفی دوستان: هدیه عضو تازه",
        "نصب اپلیکیشن وفا",
    }
    assert not RuleAward.objects.filter(rule__status__in=["draft", "paused"]).exists()
    assert RuleAward.objects.filter(rule__name="خوش‌آمدگویی عضویت در باشگاه").count() == PROGRAM_MEMBERS
    tea = Rule.objects.get(name="جشنواره چای با حمایت تأمین‌کننده")
    assert tea.budget == {"points": 50_000}
    assert 0 < tea.issued_points <= 50_000
    assert tea.issued_points == RuleAward.objects.filter(rule=tea).aggregate(s=Sum("points"))["s"]
    # The organisations' volume rule never passes its monthly cap.
    wholesale = Rule.objects.get(name="امتیاز خرید عمده سازمان‌ها")
    assert wholesale.conditions["member_kinds"] == ["organization"]
    assert not RuleAward.objects.filter(rule=wholesale, member__kind=Member.Kind.PERSON).exists()
    by_month = Counter()
    for member_id, points, at in RuleAward.objects.filter(rule=wholesale).values_list(
        "member", "points", "occurred_at"
    ):
        by_month[member_id, jalali_today(at)[:2]] += points
    assert by_month and max(by_month.values()) <= wholesale.caps["per_member_month"] == 2_000

    # The catalogue has every kind; the partner code pool was uploaded once.
    assert sorted(Reward.objects.values_list("kind", flat=True)) == sorted(Reward.Kind.values)
    assert Reward.objects.get(kind="non_material").tiers == ["gold", "platinum"]
    assert Reward.objects.get(kind="coupon_amount").amount_rial == 500_000
    assert PartnerCode.objects.count() == 20
    promo = Coupon.objects.get(code="YALDA1405")
    assert promo.is_promo and promo.usage_limit == 100
    assert promo.used_count == CouponUse.objects.filter(coupon=promo).count() == len(plan.promo_uses) == 2

    # Members spent points on rewards they could afford (and may take), through the ledger.
    redemptions = Redemption.objects.filter(free=False)
    assert redemptions.count() >= 6
    assert (
        redemptions.aggregate(s=Sum("points"))["s"]
        == Transfer.objects.filter(kind=Transfer.Kind.REDEEM, source_kind="reward").aggregate(s=Sum("amount"))["s"]
    )
    for redemption in redemptions.filter(reward__kind="non_material"):
        assert MemberTier.objects.get(member=redemption.member_id).tier.code in ("gold", "platinum")
    assert (
        Coupon.objects.filter(is_promo=False).count()
        == redemptions.filter(reward__kind__in=["coupon_amount", "coupon_percent", "free_product"]).count()
    )
    assert CouponUse.objects.exclude(coupon=promo).exists()
    assert (
        Coupon.objects.filter(is_promo=False, used_count=1).count() == CouponUse.objects.exclude(coupon=promo).count()
    )

    # The paid plan: its subscribers paid early in the year and earned its 125% since.
    paid_plan = MembershipPlan.objects.get(name="باشگاه ویژه")
    assert (paid_plan.fee_rial, paid_plan.duration_days, paid_plan.earn_percent) == (2_000_000, 365, 125)
    assert Membership.objects.filter(plan=paid_plan).count() == len(plan.memberships) == 3
    assert Purchase.objects.filter(applied_rules__icontains=f'"plan:{paid_plan.pk}"').exists()

    # Referrals: joined with an earlier member's code, completed on the first purchase.
    referrals = Referral.objects.all()
    assert referrals.count() == sum(m.referred_by is not None for m in plan.members) == 2
    for referral in referrals:
        assert referral.status == Referral.Status.COMPLETED
        assert referral.referrer.joined_at < referral.created_at < referral.completed_at
    assert Transfer.objects.filter(kind=Transfer.Kind.REFERRAL).count() == 2 * referrals.count()

    # Members joined on their own day, before anything they did.
    for m in plan.members:
        member = Member.objects.get(pk=member_ids[m.index])
        local = member.joined_at.astimezone(TEHRAN)
        assert local.hour * 3600 + local.minute * 60 + local.second == m.joined_second
        assert not Purchase.objects.filter(member=member, occurred_at__lt=member.joined_at).exists()
        assert not Event.objects.filter(member=member, occurred_at__lt=member.joined_at).exists()
    assert Event.objects.filter(type="app_install").count() == len(plan.app_installs) == 4
    assert_ledger_ok()

    # The programme effect as of the end of the build: the rewards taken are in it, and the welcome
    # points count from each member's joining (so what they bought since follows them).
    from vafa.insight.models import ProgrammeEffect

    taken = set(redemptions.values_list("reward_id", flat=True))
    assert {int(r) for r in ProgrammeEffect.objects.filter(kind="reward").values_list("ref", flat=True)} == taken
    welcome = Rule.objects.get(trigger="join")
    row = ProgrammeEffect.objects.get(kind="rule", ref=str(welcome.pk))
    joined_this_year = Event.objects.filter(type="join", points_earned__gt=0,
                                            occurred_at__gte=dt.datetime.now(dt.UTC) - dt.timedelta(days=365))
    assert row.recipients == joined_this_year.count() > 0 and row.recipients_buyers > 0

    # A second run finds every part of the program and creates nothing.
    before = counts()
    assert "nothing created" in run_demo(PROGRAM_MEMBERS, PROGRAM_PURCHASES)
    assert counts() == before


@pytest.mark.django_db
def test_todays_birthdays_are_awarded_once(_var_dir):
    # Given a demo loaded on the day one of its members has a birthday (in the Jalali calendar) ...
    plan = demo_plan(members=MEMBERS, purchases=50)
    celebrant = next(m for m in plan.members if m.birth_date and jalali_month_day(m.birth_date) != (12, 30))
    day = dt.datetime.now(TEHRAN).date()
    while jalali_month_day(day) != jalali_month_day(celebrant.birth_date):
        day -= dt.timedelta(days=1)
    now = dt.datetime.combine(day, dt.time(12, 0), tzinfo=TEHRAN)

    demo_build(members=MEMBERS, purchases=50, now=now)

    # ... the birthday rule awarded that member 500 points, once, even when loaded again.
    member = Member.objects.get(phone=normalize_phone(celebrant.phone))
    event = Event.objects.get(member=member, type="occasion.birthday")
    assert event.points_earned == 500
    assert event.applied_rules[0]["name"] == "هدیه تولد"
    before = counts()
    result = demo_build(members=MEMBERS, purchases=50, now=now)
    assert not result.created_anything
    assert counts() == before
    assert_ledger_ok()


@pytest.mark.django_db
def test_a_lost_key_file_gets_a_new_working_key(_var_dir):
    run_demo()
    first = (_var_dir / API_KEY_FILE).read_text().strip()
    (_var_dir / API_KEY_FILE).unlink()

    out = run_demo()

    second = (_var_dir / API_KEY_FILE).read_text().strip()
    assert second != first and second in out
    assert merchant_for_api_key(second) == Merchant.objects.get(slug=data.MERCHANT_SLUG)
    assert ApiKey.objects.count() == 2
    assert merchant_for_api_key(first) is None  # the lost key is revoked
    assert Purchase.objects.count() == PURCHASES


@pytest.mark.django_db
def test_an_interrupted_demo_is_completed_without_doubling(_var_dir):
    # Given a club whose purchases stopped part-way (a first run that was cut short) ...
    call_command("demo", members=MEMBERS, purchases=40, stdout=StringIO())
    assert Purchase.objects.count() == 40

    # ... the full run records only what is missing.
    run_demo()

    assert Member.objects.count() == MEMBERS
    assert Purchase.objects.count() == PURCHASES
    assert_ledger_ok()
