"""The rollups on PostgreSQL with real concurrency: a purchase that commits after later ids were
read is added once, when it commits; refreshes at the same time add nothing twice; a page gives up
waiting for a refresh under way and says the figures are behind."""

import threading

import pytest
from django.db import connection, transaction

from vafa.commerce.services import purchase_record
from vafa.insight import rollups
from vafa.insight.models import DayFigures, MemberFigures, RollupState
from vafa.insight.selectors import dashboard_figures
from vafa.insight.tests.dataset import NOW
from vafa.ledger.tests.test_concurrency_postgres import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def earned() -> int:
    return sum(DayFigures.objects.values_list("points_earned", flat=True))


def test_a_purchase_committed_late_is_added_once_when_it_commits(merchant, member_factory):
    early, late = member_factory(), member_factory()
    rollups.rollups_refresh()
    started, release, done = threading.Event(), threading.Event(), threading.Event()

    def slow_purchase():
        try:
            with transaction.atomic():
                purchase_record(merchant_id=merchant.pk, member_id=late.pk, amount=3_000_000)  # +300
                started.set()
                release.wait(timeout=30)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=slow_purchase)
    thread.start()
    assert started.wait(timeout=30)
    # Given a purchase with higher ids committed, and read, while the first is still open
    purchase_record(merchant_id=merchant.pk, member_id=early.pk, amount=1_000_000)  # +100
    rollups.rollups_refresh()
    assert earned() == 100
    gaps = RollupState.objects.get().feeds["transfers"]["gaps"]
    assert gaps, "the open purchase's transfer is a gap"
    # When the first one commits
    release.set()
    assert done.wait(timeout=30)
    thread.join()
    # Then the next refresh adds it, once
    assert rollups.rollups_refresh().read >= 2  # its purchase and its transfer
    assert earned() == 400
    assert MemberFigures.objects.get(member=late).purchases == 1
    assert rollups.rollups_refresh().read == 0
    assert earned() == 400


def test_refreshes_at_the_same_time_add_nothing_twice(merchant, member_factory):
    people = [member_factory() for _ in range(4)]
    rollups.rollups_refresh()
    for n, who in enumerate(people * 5):
        purchase_record(merchant_id=merchant.pk, member_id=who.pk, amount=1_000_000 + n * 10_000)
    results = run_together(4, lambda i: rollups.rollups_refresh().read)
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 20 + 20  # each purchase and its earning read by one of them
    assert earned() == sum(100 + n for n in range(20))
    assert sorted(MemberFigures.objects.values_list("purchases", flat=True)) == [5, 5, 5, 5]


def test_a_page_does_not_wait_long_for_a_refresh_under_way(merchant, member, monkeypatch):
    rollups.rollups_refresh()
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000)
    monkeypatch.setattr(rollups, "PAGE_LOCK_WAIT_MS", 200)
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with transaction.atomic():
                RollupState.objects.select_for_update().get(pk=1)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_the_lock)
    thread.start()
    assert holding.wait(timeout=30)
    try:
        figures = dashboard_figures(now=NOW)
        assert not figures.freshness.exact and figures.freshness.behind >= 2  # (ids, not rows)
        # the worker's tick does not wait at all
        assert rollups.rollups_tick(NOW) == 0
    finally:
        release.set()
        thread.join()
    assert dashboard_figures(now=NOW).freshness.exact
    assert earned() == 100
