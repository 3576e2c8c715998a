"""Badges and challenges: awarded once, at the threshold and not before, with their points
credited once through the ledger; streaks over Saturday-to-Friday weeks in Tehran time;
challenge windows from starts_at (included) to ends_at (excluded); progress as members see it."""

from datetime import datetime, timedelta

import pytest

from vafa.commerce.inputs import ItemIn
from vafa.commerce.services import purchase_record, refund_record
from vafa.core.errors import BadgeExists, ValidationFailed
from vafa.core.models import AuditEntry, OutboxEntry
from vafa.core.outbox import outbox_run_due
from vafa.core.tests.fixtures import assert_ledger_ok, balance, refused
from vafa.engage import recognition
from vafa.engage.models import Badge, Challenge, ChallengeCompletion, MemberBadge, Message, Survey, SurveyAnswer
from vafa.engage.recognition import (
    badge_create,
    badge_update,
    challenge_create,
    challenge_value,
    current_streak,
    member_badges,
    member_challenges,
    member_recognition_check,
    recognition_run,
    recognition_sweep,
    week_of,
    week_start,
)
from vafa.engage.tests.conftest import tehran
from vafa.ledger.models import Transfer
from vafa.members.services import member_block
from vafa.program.catalog import reward_create
from vafa.rewards.models import Coupon

pytestmark = pytest.mark.usefixtures("sms_file")
_n = iter(range(1, 10_000))


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.LANGUAGE_CODE = "en"  # the notices' wording, whatever the catalogues say
    recognition.recognition_forget()
    yield
    recognition.recognition_forget()


@pytest.fixture
def buy(merchant):
    def make(member, at: datetime, amount: int = 1_000_000, category: str = ""):
        items = [ItemIn(sku=f"sku-{category or 'x'}", quantity=1, unit_price=amount, category=category)]
        return purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=amount, occurred_at=at,
                               items=items, external_id=f"r-{next(_n)}").purchase

    return make


def bonuses(member) -> list[tuple[str, int, str]]:
    return list(Transfer.objects.filter(credit__member=member, kind=Transfer.Kind.BONUS).order_by("pk")
                .values_list("source_kind", "amount", "memo"))


def badge(criterion="purchases", threshold=3, points=50, **more):
    return badge_create(data={"code": f"b{next(_n)}", "name": more.pop("name", "Regular"), "criterion": criterion,
                              "threshold": threshold, "points": points, **more})


# --- weeks ------------------------------------------------------------------------------------------------


def test_weeks_run_from_saturday_to_friday_in_tehran():
    friday_night = tehran(2026, 5, 8, 23, 30)  # Friday 23:30 in Tehran is 20:00 UTC, the same UTC day
    saturday = tehran(2026, 5, 9, 0, 30)  # ... as Saturday 00:30 in Tehran (21:00 UTC Friday)
    assert week_of(saturday) == week_of(friday_night) + 1
    assert week_of(tehran(2026, 5, 2, 0, 0)) == week_of(friday_night)  # that week's Saturday
    assert week_start(week_of(saturday)) == tehran(2026, 5, 9, 0, 0)
    # ISO weeks (Monday) would put Friday and Saturday in one week; these differ on Sunday/Monday
    assert week_of(tehran(2026, 5, 10)) == week_of(tehran(2026, 5, 11)) == week_of(saturday)


def test_a_streak_ends_this_week_or_last_week():
    assert current_streak({10, 11, 12}, 12) == 3  # this week has a purchase
    assert current_streak({10, 11}, 12) == 2  # not yet this week: the streak up to last week holds
    assert current_streak({9, 10}, 12) == 0  # nothing last week: it is broken
    assert current_streak({8, 10, 11, 12}, 12) == 3  # a gap ends it
    assert current_streak(set(), 12) == 0


# --- badges -----------------------------------------------------------------------------------------------


def test_a_purchases_badge_is_awarded_once_at_the_threshold_not_before(member, buy):
    regular = badge(threshold=3, points=50)
    now = tehran(2026, 5, 20, 12)
    buy(member, now - timedelta(days=3))
    buy(member, now - timedelta(days=2))
    assert recognition_sweep(now) == 0
    assert MemberBadge.objects.count() == 0
    assert balance(member) == 200  # 100 points a purchase of 1,000,000 Rials: no bonus
    buy(member, now - timedelta(days=1))
    assert recognition_sweep(now) == 1
    award = MemberBadge.objects.get()
    assert (award.member_id, award.badge_id, award.awarded_at) == (member.pk, regular.pk, now)
    assert bonuses(member) == [("badge", 50, "Regular")]
    assert Transfer.objects.get(kind=Transfer.Kind.BONUS).source_id == award.pk
    assert balance(member) == 350
    message = Message.objects.get()
    assert (message.purpose, message.channel, message.occurrence_key, message.text) == (
        "service", "sms", f"badge:{regular.pk}:member:{member.pk}", "You earned the «Regular» badge and 50 points.")
    # More purchases and more sweeps: nothing twice
    buy(member, now)
    assert recognition_sweep(now) == 0
    assert recognition_sweep(now + timedelta(days=1)) == 0
    assert (MemberBadge.objects.count(), bonuses(member), balance(member)) == (1, [("badge", 50, "Regular")], 450)
    assert_ledger_ok()


def test_a_purchase_refunded_in_full_does_not_count_one_refunded_in_part_does(member, merchant, buy):
    badge(threshold=3, points=10)
    now = tehran(2026, 5, 20, 12)
    first, second, _third = (buy(member, now - timedelta(days=d)) for d in (3, 2, 1))
    refund_record(merchant_id=merchant.pk, purchase_id=first.pk, amount=1_000_000)
    assert recognition_sweep(now) == 0
    assert member_badges(member_id=member.pk, now=now)[0].progress.value == 2
    refund_record(merchant_id=merchant.pk, purchase_id=second.pk, amount=400_000)
    buy(member, now)
    assert recognition_sweep(now) == 1


def test_a_category_badge_counts_purchases_with_a_line_in_it(member_factory, buy):
    tea_lover = badge("category", threshold=2, points=20, category="tea", name="Tea lover")
    sara, reza = member_factory(), member_factory()
    now = tehran(2026, 5, 20, 12)
    buy(sara, now - timedelta(days=2), category="tea")
    buy(sara, now - timedelta(days=1), category="tea")
    buy(reza, now - timedelta(days=2), category="tea")
    buy(reza, now - timedelta(days=1), category="coffee")
    assert recognition_sweep(now) == 1
    assert list(MemberBadge.objects.values_list("member_id", "badge_id")) == [(sara.pk, tea_lover.pk)]
    [state] = member_badges(member_id=reza.pk, now=now)
    assert (state.progress.value, state.progress.target, state.progress.percent, state.earned) == (1, 2, 50, False)


def test_a_streak_badge_counts_weeks_in_a_row_across_week_boundaries(member_factory, buy):
    weekly = badge("streak_weeks", threshold=3, points=30, name="Every week")
    now = tehran(2026, 5, 28, 12)  # a Thursday; this week began on Saturday 23 May
    steady, gap, lapsed = member_factory(), member_factory(), member_factory()
    # Friday night and the next Saturday morning: two weeks; then the week before this one
    for at in (tehran(2026, 5, 8, 23, 30), tehran(2026, 5, 9, 0, 30), tehran(2026, 5, 22, 18)):
        buy(steady, at)
    # weeks of 2 May, 9 May, then none on 16 May, then this week: a streak of one
    for at in (tehran(2026, 5, 4), tehran(2026, 5, 12), tehran(2026, 5, 24)):
        buy(gap, at)
    # three weeks in a row that ended two weeks ago: broken
    for at in (tehran(2026, 4, 27), tehran(2026, 5, 4), tehran(2026, 5, 12)):
        buy(lapsed, at)
    assert recognition_sweep(now) == 1
    assert list(MemberBadge.objects.values_list("member_id", flat=True)) == [steady.pk]
    assert bonuses(steady) == [("badge", 30, "Every week")]
    assert member_badges(member_id=gap.pk, now=now)[0].progress.value == 1
    assert member_badges(member_id=lapsed.pk, now=now)[0].progress.value == 0
    # The gap member buys in the next two weeks: 23 May, 30 May, 6 June in a row
    buy(gap, tehran(2026, 5, 31))
    assert recognition_sweep(tehran(2026, 6, 5, 23)) == 0
    buy(gap, tehran(2026, 6, 6, 9))
    assert recognition_sweep(tehran(2026, 6, 6, 10)) == 1
    assert MemberBadge.objects.filter(badge=weekly).count() == 2


def test_referral_and_survey_badges(member_factory, buy):
    friends = badge("referrals", threshold=2, points=40, name="Ambassador")
    answers = badge("surveys", threshold=2, points=0, name="Voice")
    now = tehran(2026, 5, 20, 12)
    host = member_factory()
    first, second = member_factory(referral_code=host.referral_code), member_factory(referral_code=host.referral_code)
    member_factory(referral_code=host.referral_code)  # joined, never bought: pending
    buy(first, now - timedelta(days=2))
    assert recognition_sweep(now) == 0
    buy(second, now - timedelta(days=1))
    surveys = [Survey.objects.create(name=f"s{i}") for i in range(3)]
    talker, half = member_factory(), member_factory()
    SurveyAnswer.objects.create(survey=surveys[0], member=talker, complete=True)
    SurveyAnswer.objects.create(survey=surveys[1], member=talker, complete=True)
    SurveyAnswer.objects.create(survey=surveys[0], member=half, complete=True)
    SurveyAnswer.objects.create(survey=surveys[1], member=half, complete=False)
    assert recognition_sweep(now) == 2
    assert sorted(MemberBadge.objects.values_list("member_id", "badge_id")) == sorted(
        [(host.pk, friends.pk), (talker.pk, answers.pk)])
    assert bonuses(host) == [("badge", 40, "Ambassador")]
    assert bonuses(talker) == []  # no points: no transfer and no message
    assert list(Message.objects.values_list("member_id", flat=True)) == [host.pk]


def test_blocked_and_erased_members_are_not_awarded(member_factory, buy):
    badge(threshold=1)
    now = tehran(2026, 5, 20, 12)
    blocked = member_factory()
    buy(blocked, now - timedelta(days=1))
    member_block(member_id=blocked.pk)
    assert recognition_sweep(now) == 0
    assert member_recognition_check(member_id=blocked.pk, now=now) == 0
    assert MemberBadge.objects.count() == 0


def test_an_inactive_badge_awards_nothing_and_a_held_one_stays_shown(member, buy):
    regular = badge(threshold=1, points=5)
    now = tehran(2026, 5, 20, 12)
    buy(member, now - timedelta(days=1))
    assert recognition_sweep(now) == 1
    badge_update(badge_id=regular.pk, data={"active": False, "threshold": 10})
    later = badge(threshold=1, points=5, active=False, name="Off")
    assert recognition_sweep(now) == 0
    states = member_badges(member_id=member.pk, now=now)
    assert [(s.badge.pk, s.earned) for s in states] == [(regular.pk, True)]
    assert later.pk not in [s.badge.pk for s in states]


def test_badge_create_and_update_refuse_what_is_wrong_and_are_audited(admin_user):
    from vafa.core.audit import Actor

    made = badge_create(data={"code": "tea-2", "name": "Tea", "criterion": "category", "category": "tea",
                              "threshold": 2}, actor=Actor(user=admin_user))
    assert AuditEntry.objects.get().action == "badge.create"
    with refused(BadgeExists, Badge):
        badge_create(data={"code": "tea-2", "name": "Other", "criterion": "purchases", "threshold": 2})
    with refused(ValidationFailed, Badge) as caught:
        badge_create(data={"code": "x", "name": "X", "criterion": "category", "threshold": 2})
    assert caught.value.details == {"category": "required by the category criterion"}
    with refused(ValidationFailed, Badge) as caught:
        badge_create(data={"code": "x", "name": "X", "criterion": "purchases", "threshold": 0})
    assert caught.value.details == {"threshold": "an integer from 1 to 2147483647"}
    badge_update(badge_id=made.pk, data={"criterion": "purchases", "threshold": 4}, actor=Actor(user=admin_user))
    made.refresh_from_db()
    assert (made.criterion, made.category, made.threshold, made.code) == ("purchases", "", 4, "tea-2")
    entry = AuditEntry.objects.filter(action="badge.update").get()
    assert (entry.before, entry.after) == ({"criterion": "category", "threshold": 2, "category": "tea"},
                                           {"criterion": "purchases", "threshold": 4, "category": ""})


# --- challenges -------------------------------------------------------------------------------------------

STARTS, ENDS = tehran(2026, 5, 1, 0, 0), tehran(2026, 5, 31, 0, 0)


def challenge(goal="purchases", target=3, points=70, **more):
    return challenge_create(data={"name": more.pop("name", "Three in May"), "goal": goal, "target": target,
                                  "starts_at": STARTS, "ends_at": ENDS, "points": points, **more})


def test_a_challenge_counts_from_its_start_included_to_its_end_excluded(member_factory, buy):
    three = challenge()
    inside, outside = member_factory(), member_factory()
    for at in (STARTS, STARTS + timedelta(days=1), ENDS - timedelta(seconds=1)):
        buy(inside, at)
    for at in (STARTS - timedelta(seconds=1), STARTS + timedelta(days=1), ENDS):
        buy(outside, at)
    assert challenge_value(three, member_id=outside.pk, now=ENDS + timedelta(hours=1)) == 1
    assert challenge_value(three, member_id=inside.pk, now=ENDS - timedelta(days=1)) == 2  # as of then
    assert recognition_sweep(ENDS - timedelta(days=1)) == 0
    assert recognition_sweep(ENDS + timedelta(hours=1)) == 1
    completion = ChallengeCompletion.objects.get()
    assert (completion.member_id, completion.challenge_id) == (inside.pk, three.pk)
    assert bonuses(inside) == [("challenge", 70, "Three in May")]
    assert Message.objects.get().text == "You completed the «Three in May» challenge and earned 70 points."
    assert recognition_sweep(ENDS + timedelta(hours=2)) == 0
    assert bonuses(inside) == [("challenge", 70, "Three in May")]


def test_a_challenge_is_looked_at_for_a_week_after_it_ends(member, buy):
    challenge(target=1)
    buy(member, ENDS - timedelta(days=1))
    assert recognition_sweep(ENDS + timedelta(days=8)) == 0  # too late: it is no longer looked at
    assert recognition_sweep(ENDS + timedelta(days=6)) == 1


def test_a_challenge_reward_is_given_in_the_same_transaction_with_its_code(member, buy):
    reward = reward_create(name="Free tea", kind="coupon_amount", cost_points=100, amount_rial=100_000, valid_days=30)
    with_reward = challenge(target=1, points=0, reward_id=reward.pk, name="First of May")
    buy(member, STARTS + timedelta(hours=5))
    assert recognition_sweep(STARTS + timedelta(days=1)) == 1
    coupon = Coupon.objects.get(member=member)
    assert Message.objects.get().text == f"You completed the «First of May» challenge. Your reward code: {coupon.code}"
    assert bonuses(member) == []
    assert recognition_sweep(STARTS + timedelta(days=2)) == 0
    assert Coupon.objects.filter(member=member).count() == 1
    assert ChallengeCompletion.objects.get().challenge_id == with_reward.pk


def test_a_spend_challenge_counts_rials_net_of_refunds_and_a_category_its_lines(member_factory, merchant, buy):
    spend = challenge(goal="spend", target=5_000_000, points=25, name="Spend 500k")
    tea = challenge(goal="spend", target=1_000_000, points=5, category="tea", name="Tea 100k")
    sara, reza = member_factory(), member_factory()
    first = buy(sara, STARTS + timedelta(days=1), amount=3_000_000)
    buy(sara, STARTS + timedelta(days=2), amount=3_000_000)
    refund_record(merchant_id=merchant.pk, purchase_id=first.pk, amount=1_500_000)
    now = STARTS + timedelta(days=3)
    assert challenge_value(spend, member_id=sara.pk, now=now) == 4_500_000
    # Reza: a purchase of 4,000,000 with 2,000,000 of tea, half of it refunded: 1,000,000 of tea
    mixed = purchase_record(merchant_id=merchant.pk, member_id=reza.pk, amount=4_000_000,
                            occurred_at=STARTS + timedelta(days=1), external_id="mixed",
                            items=[ItemIn(sku="t", quantity=2, unit_price=1_000_000, category="tea"),
                                   ItemIn(sku="c", quantity=1, unit_price=2_000_000, category="coffee")]).purchase
    refund_record(merchant_id=merchant.pk, purchase_id=mixed.pk, amount=2_000_000)
    assert challenge_value(tea, member_id=reza.pk, now=now) == 1_000_000
    assert challenge_value(tea, member_id=sara.pk, now=now) == 0
    assert recognition_sweep(now) == 1
    assert list(ChallengeCompletion.objects.values_list("member_id", "challenge_id")) == [(reza.pk, tea.pk)]
    buy(sara, STARTS + timedelta(days=3), amount=500_000)
    assert recognition_sweep(now + timedelta(hours=1)) == 1
    assert bonuses(sara) == [("challenge", 25, "Spend 500k")]


def test_challenge_input_is_checked(db):
    with refused(ValidationFailed, Challenge) as caught:
        challenge_create(data={"name": "x", "target": 3, "starts_at": ENDS, "ends_at": STARTS})
    assert caught.value.details == {"ends_at": "after starts_at"}
    with refused("reward_not_found", Challenge):
        challenge_create(data={"name": "x", "target": 3, "starts_at": STARTS, "ends_at": ENDS, "reward_id": 999})


def test_member_challenges_show_progress_state_and_days_left(member, buy):
    running = challenge(target=4)
    soon = challenge_create(data={"name": "June", "target": 2, "starts_at": ENDS + timedelta(days=3),
                                  "ends_at": ENDS + timedelta(days=20)})
    buy(member, STARTS + timedelta(days=2))
    now = ENDS - timedelta(days=2, hours=3)
    states = member_challenges(member_id=member.pk, now=now)
    assert [(s.challenge.pk, s.state, s.progress.value, s.progress.target, s.progress.percent, s.days_left,
             s.completed) for s in states] == [(running.pk, "running", 1, 4, 25, 2, False),
                                               (soon.pk, "upcoming", 0, 2, 0, 0, False)]
    later = member_challenges(member_id=member.pk, now=ENDS + timedelta(days=4))
    assert [(s.challenge.pk, s.state) for s in later] == [(soon.pk, "running"), (running.pk, "ended")]


# --- the worker: its tick, and the prompt look after a purchase --------------------------------------------


def test_the_tick_sweeps_at_most_every_five_minutes(member_factory, buy):
    badge(threshold=1, points=1)
    t0 = tehran(2026, 5, 20, 12)
    buy(member_factory(), t0 - timedelta(hours=1))
    assert recognition_run(t0) == 1
    buy(member_factory(), t0 - timedelta(hours=1))
    assert recognition_run(t0 + timedelta(minutes=4)) == 0
    assert recognition_run(t0 + timedelta(minutes=5)) == 1


def test_a_purchase_is_looked_at_promptly_through_the_outbox(member, merchant):
    def rows():
        return OutboxEntry.objects.filter(handler=recognition.MEMBER_CHECK).count()

    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000, external_id="p0")
    assert rows() == 0  # nothing live: the purchase writes nothing for recognition
    first = badge(threshold=1, points=15, name="First")
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000, external_id="p1")
    assert rows() == 1
    outbox_run_due(by="test")
    assert list(MemberBadge.objects.values_list("member_id", "badge_id")) == [(member.pk, first.pk)]
    assert bonuses(member) == [("badge", 15, "First")]
    assert OutboxEntry.objects.get(handler=recognition.MEMBER_CHECK).note == "1 awarded"


def test_a_referrer_is_looked_at_when_the_referral_completes(member_factory, merchant):
    badge("referrals", threshold=1, points=9)
    host = member_factory()
    friend = member_factory(referral_code=host.referral_code)
    purchase_record(merchant_id=merchant.pk, member_id=friend.pk, amount=1_000_000, external_id="f1")
    assert sorted(OutboxEntry.objects.filter(handler=recognition.MEMBER_CHECK).values_list(
        "payload__member_id", flat=True)) == sorted([friend.pk, host.pk])
    outbox_run_due(by="test")
    assert list(MemberBadge.objects.values_list("member_id", flat=True)) == [host.pk]


# --- two workers at once (PostgreSQL) ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_award_and_credit_once(member_factory, merchant):
    from vafa.ledger.tests.test_concurrency_postgres import run_together

    regular = badge(threshold=2, points=10)
    pair = challenge(target=2, points=5)
    now = STARTS + timedelta(days=10)
    people = [member_factory() for _ in range(12)]
    for person in people:
        for day in (1, 2):
            purchase_record(merchant_id=merchant.pk, member_id=person.pk, amount=1_000_000,
                            occurred_at=STARTS + timedelta(days=day), external_id=f"c-{person.pk}-{day}")
    results = run_together(2, lambda i: recognition_sweep(now))
    assert sum(results) == 24, results
    assert MemberBadge.objects.filter(badge=regular).count() == 12
    assert ChallengeCompletion.objects.filter(challenge=pair).count() == 12
    for person in people:
        assert sorted(bonuses(person)) == [("badge", 10, "Regular"), ("challenge", 5, "Three in May")]
        assert balance(person) == 215
    assert Message.objects.count() == 24
    assert_ledger_ok()
