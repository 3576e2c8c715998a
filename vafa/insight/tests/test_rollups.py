"""The rollups: read incrementally in any order of refreshes they equal a build from scratch and the
figures row by row; rows that commit late are caught in their gap, once; a page reads only what
is new; the worker's tick; Tehran days (with Iran's old daylight saving time) on both databases."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction

from vafa.commerce.models import Purchase
from vafa.commerce.services import purchase_record, refund_record
from vafa.core.errors import ApplicationError
from vafa.core.jobs import tick_run
from vafa.insight import rollups
from vafa.insight.models import (
    CohortMonth,
    DayFigures,
    DayReward,
    MemberFigures,
    MemberMonth,
    RollupState,
    TierMonth,
)
from vafa.insight.selectors import dashboard_figures, jalali_months, joining_figures, rfm_grid, tiers_compared
from vafa.insight.tests.dataset import NOW, booked_at, tehran
from vafa.insight.tests.truth import assert_matches, tiers_shown, tiers_truth
from vafa.ledger.services import points_adjust, points_expire
from vafa.members.models import Member, MemberScore
from vafa.members.services import member_create
from vafa.program.catalog import reward_create
from vafa.program.models import MemberTier, TierChange
from vafa.program.rules import tier_create
from vafa.rewards.services import reward_redeem

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    """Every rollup row, comparable."""
    return {
        "days": sorted(DayFigures.objects.values_list(*[f.attname for f in DayFigures._meta.concrete_fields])),
        "rewards": sorted(DayReward.objects.values_list("day", "reward_id", "redemptions", "points")),
        "members": sorted(MemberFigures.objects.values_list(*[f.attname for f in MemberFigures._meta.concrete_fields])),
        "months": sorted(MemberMonth.objects.values_list("member_id", "month", "cohort", "purchases", "amount_rial")),
        "cohorts": sorted((c, m, n, p, a) for c, m, n, p, a in CohortMonth.objects.values_list(
            "cohort", "month", "members", "purchases", "amount_rial") if n or p or a),
        "tiers": sorted(row for row in TierMonth.objects.values_list(
            "tier", "month", "prev_month", "members", "purchases", "amount_rial") if any(row[3:])),
    }


def random_history(merchant, seed: int, *, members: int = 10, events: int = 70, refresh_every: float = 0.15):
    """A club's two years, through the services, in a random order, each thing booked at a random
    time after it happened (imported history), the rollups refreshed now and then in between."""
    rng = random.Random(seed)
    start = tehran(2024, 12, 1, 10, 0)
    span = int((NOW - start).total_seconds())

    def moment(after: datetime = start) -> datetime:
        return after + timedelta(seconds=rng.randrange(max(int((NOW - after).total_seconds()), 1)))

    people = [member_create(phone=f"0912{seed:03d}{n:04d}", first_name=f"m{n}",
                            joined_at=start + timedelta(seconds=rng.randrange(span))) for n in range(members)]
    rewards = [reward_create(name=f"r{n}", kind="non_material", cost_points=cost) for n, cost in enumerate((30, 80))]
    tiers = [tier_create(data={"code": f"t{n}", "name": f"T{n}", "rank": n + 1,
                               "qualify": {"by": "purchases", "threshold": 10_000 + n}}) for n in range(2)]
    bought: list[Purchase] = []
    for _ in range(events):
        who = rng.choice(people)
        kind = rng.choices(["buy", "refund", "redeem", "adjust", "expire", "tier"], [8, 3, 3, 2, 1, 2])[0]
        try:
            with transaction.atomic():  # a refused call leaves the test's transaction usable
                if kind == "buy":
                    happened = moment()
                    with booked_at(moment(happened)):
                        bought.append(purchase_record(merchant_id=merchant.pk, member_id=who.pk,
                                                      amount=rng.choice([0, 150_000, 1_000_000, 2_500_000]),
                                                      occurred_at=happened).purchase)
                elif kind == "refund" and bought:
                    p = Purchase.objects.get(pk=rng.choice(bought).pk)
                    left = p.amount - p.refunded_amount
                    if left:
                        with booked_at(moment(p.occurred_at)):
                            refund_record(merchant_id=merchant.pk, purchase_id=p.pk,
                                          amount=rng.choice([left, max(left // 2, 1)]))
                elif kind == "redeem":
                    with booked_at(moment()):
                        reward_redeem(member_id=who.pk, reward_id=rng.choice(rewards).pk, merchant_id=merchant.pk,
                                      free=rng.random() < 0.2)
                elif kind == "adjust":
                    with booked_at(moment()):
                        points_adjust(member_id=who.pk, points=rng.choice([-15, 25, 60]), reason="r",
                                      merchant_id=merchant.pk, expires_at=moment())
                elif kind == "expire":
                    at = moment()
                    with booked_at(at):
                        points_expire(now=at)
                else:
                    # as a tier review moves a member: their tier row and the change, together
                    state = MemberTier.objects.filter(member=who).first()
                    was = state.tier if state else None
                    now = rng.choice([t for t in [None, *tiers] if t != was])
                    MemberTier.objects.update_or_create(member=who, defaults={"tier": now, "since": NOW})
                    TierChange.objects.create(member=who, from_tier=was, to_tier=now, reason="r", changed_at=moment())
        except ApplicationError:
            pass  # not enough points, say: as at a real till
        if rng.random() < refresh_every:
            rollups.rollups_refresh()
    for n, who in enumerate(people[: members // 2]):
        MemberScore.objects.create(member=who, rfm_r=1 + n % 5, rfm_f=1 + (n * 3) % 5, scored_at=NOW)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_read_as_it_happens_it_equals_a_build_and_the_truth(merchant, seed):
    random_history(merchant, seed)
    figures = dashboard_figures(now=NOW)
    assert_matches(figures, joining_figures(NOW), rfm_grid(), NOW)
    months = jalali_months(NOW, count=30)  # the whole history
    for run in (months, months[-12:], months[-1:]):
        shown = tiers_shown(tiers_compared(run))
        assert shown == tiers_truth(run, shown)
    read = snapshot()
    rollups.rollups_rebuild()
    assert snapshot() == read


def test_a_build_in_sql_equals_reading_row_by_row(merchant, monkeypatch):
    # Given a history read as it happened
    random_history(merchant, 7, members=14, events=90)
    dashboard_figures(now=NOW)
    read = snapshot()
    # When everything is built again set-based, a few ids at a time, all but the last three rows
    monkeypatch.setattr(rollups, "REBUILD_TAIL", 3)
    monkeypatch.setattr(rollups, "REBUILD_SPAN", 7)
    monkeypatch.setattr(rollups, "REBUILD_MEMBERS", 4)
    fresh = rollups.rollups_rebuild()
    # Then it is the same
    assert fresh.exact and fresh.read > 0
    assert snapshot() == read
    assert_matches(dashboard_figures(now=NOW), joining_figures(NOW), rfm_grid(), NOW)


def test_nothing_new_costs_two_queries_and_reads_nothing(merchant, member, django_assert_num_queries):
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000)
    assert rollups.rollups_refresh().read > 0
    with django_assert_num_queries(2):
        fresh = rollups.rollups_refresh()
    assert (fresh.read, fresh.behind, fresh.exact) == (0, 0, True)


def test_a_refresh_reads_only_what_is_new(merchant, member):
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000)
    rollups.rollups_refresh()
    before = DayFigures.objects.get()
    # A purchase and a refund later, the second refresh reads those rows (and recomputes one member)
    bought = purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=2_000_000).purchase
    refund_record(merchant_id=merchant.pk, purchase_id=bought.pk, amount=2_000_000)
    fresh = rollups.rollups_refresh()
    assert fresh.read == 1 + 1 + 2  # a purchase, a refund, an earning and its claw-back
    day = DayFigures.objects.get()
    assert (day.points_earned, day.points_reversed) == (before.points_earned + 200, 200)
    assert MemberFigures.objects.values_list("purchases", "amount_rial").get() == (1, 1_000_000)


def test_a_page_leaves_a_long_backlog_to_the_worker(merchant, member, monkeypatch):
    rollups.rollups_refresh()
    for n in range(3):
        purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000 + n)
    # A refresh that may read one row per source at a time, and about 2 in all
    monkeypatch.setattr(rollups, "STEP_ROWS", 1)
    fresh = rollups.rollups_refresh(budget=2)
    assert (fresh.read, fresh.exact) == (2, False)
    assert fresh.behind == 4  # 2 purchases and 2 earnings left
    assert rollups.rollups_refresh().exact


def test_a_page_does_not_build_a_big_club_itself(merchant, member):
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000)
    fresh = rollups.rollups_refresh(rebuild_up_to=1)
    assert (fresh.built, fresh.read, fresh.exact) == (False, 0, False)
    assert not DayFigures.objects.exists()
    figures = dashboard_figures(now=NOW)  # a small club is built at once
    assert figures.freshness.exact


def test_a_row_committed_late_is_read_from_its_gap_once(merchant, member_factory):
    # Given members 1..3 read, then member 5 committed while 4 is still in a transaction
    first = [member_factory() for _ in range(3)]
    rollups.rollups_refresh()
    top = first[-1].pk
    late_joined = tehran(2026, 8, 1, 10, 0)
    Member.objects.create(pk=top + 2, phone="+989120000905", referral_code="LATE5", joined_at=late_joined)
    rollups.rollups_refresh()
    state = RollupState.objects.get().feeds["members"]
    assert state["seen_to"] == top + 2
    # (on PostgreSQL the ids of the tests before this one are a gap below the first member too)
    assert [g[:2] for g in state["gaps"] if g[1] > top] == [[top + 1, top + 1]]
    # When 4 commits
    Member.objects.create(pk=top + 1, phone="+989120000904", referral_code="LATE4", joined_at=late_joined)
    fresh = rollups.rollups_refresh()
    # Then it is read (and its gap closed), and a refresh after that reads nothing again
    assert fresh.read == 1
    assert [g for g in RollupState.objects.get().feeds["members"]["gaps"] if g[1] > top] == []
    assert DayFigures.objects.get(day=late_joined.date()).members_joined == 2
    assert rollups.rollups_refresh().read == 0
    assert DayFigures.objects.get(day=late_joined.date()).members_joined == 2


def test_a_gap_is_given_up_after_ten_minutes(merchant, member_factory, monkeypatch):
    made = member_factory()
    rollups.rollups_refresh()
    Member.objects.create(pk=made.pk + 2, phone="+989120000906", referral_code="GAP6")
    started = rollups.clock.time()
    rollups.rollups_refresh()
    assert [g[:2] for g in RollupState.objects.get().feeds["members"]["gaps"] if g[1] > made.pk] == [
        [made.pk + 1, made.pk + 1]]
    # Ten minutes later the gap's id is taken for a row that never committed: one with that id
    # is not read, and the next refresh that reads something forgets the gap
    monkeypatch.setattr(rollups.clock, "time", lambda: started + 601)
    Member.objects.create(pk=made.pk + 1, phone="+989120000907", referral_code="GAP7")
    assert rollups.rollups_refresh().read == 0
    Member.objects.create(pk=made.pk + 3, phone="+989120000908", referral_code="GAP8")
    assert rollups.rollups_refresh().read == 1
    assert RollupState.objects.get().feeds["members"] == {"seen_to": made.pk + 3, "gaps": []}


def test_gaps_and_runs():
    assert rollups._runs([3, 4, 5, 9, 11, 12]) == [(3, 5), (9, 9), (11, 12)]
    where, params = rollups._in_runs("id", [(3, 5), (9, 9)])
    assert (where, params) == ("(id BETWEEN %s AND %s OR id = %s)", [3, 5, 9])


def test_the_worker_tick_reads_and_is_registered(merchant, member):
    from vafa.core import jobs

    assert jobs._tick_work["insight-rollups"] is rollups.rollups_tick
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000)
    done = tick_run(NOW)
    assert done.get("insight-rollups", 0) >= 3  # the member, the purchase, its points
    assert tick_run(NOW).get("insight-rollups") is None  # nothing new: nothing said


def test_the_tehran_day_on_both_databases(merchant, member):
    # Tehran kept daylight saving time (+04:30) until 2022: 19:45 UTC on 20 June 2020 was 00:15
    # on 21 June there; on 21 December 2020 (+03:30) 20:45 UTC was 00:15 on the 22nd
    rollups._prepare()
    moments = [datetime(2020, 6, 20, 19, 45, tzinfo=UTC), datetime(2020, 6, 20, 19, 15, tzinfo=UTC),
               datetime(2020, 12, 21, 20, 45, tzinfo=UTC), datetime(2026, 11, 21, 20, 30, tzinfo=UTC)]
    for moment in moments:
        Purchase.objects.filter(pk=purchase_record(merchant_id=merchant.pk, member_id=member.pk,
                                                   amount=1_000).purchase.pk).update(occurred_at=moment)
    table, column = rollups.sql.table(Purchase), rollups.sql.column(Purchase, "occurred_at")
    days = rollups.sql.fetch(f"SELECT {rollups.tehran_day_sql(column)} FROM {table} ORDER BY id")
    assert [str(d[0]) for d in days] == ["2020-06-21", "2020-06-20", "2020-12-22", "2026-11-22"]
    assert connection.vendor in ("sqlite", "postgresql")


def test_jalali_months_of_the_calendar():
    from datetime import date

    from vafa.insight.models import CalendarDay

    rollups.calendar_cover(date(2026, 3, 19), date(2026, 3, 22))
    rollups.calendar_cover(date(2026, 3, 21), date(2026, 3, 23))  # extends, leaves no hole
    assert list(CalendarDay.objects.order_by("day").values_list("day", "month")) == [
        (date(2026, 3, 19), 140412), (date(2026, 3, 20), 140412),  # Esfand 1404 (28, 29)
        (date(2026, 3, 21), 140501), (date(2026, 3, 22), 140501), (date(2026, 3, 23), 140501)]  # Nowruz 1405
