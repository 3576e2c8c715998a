"""Referrals under real concurrency on PostgreSQL: each thread has its own connection, the
fixtures commit for real (transaction=True)."""

import time
from datetime import UTC, datetime

import pytest
from django.db import transaction

from vafa.core.errors import ReferralRefused
from vafa.ledger.tests.test_concurrency_postgres import run_together
from vafa.members.models import Member
from vafa.members.services import member_create
from vafa.program.models import ProgramSettings
from vafa.referrals.models import Referral
from vafa.referrals.services import referral_complete

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def test_two_concurrent_first_purchases_complete_the_referral_once(member_factory):
    # Given a referred member with a pending referral
    referrer = member_factory(phone="09120000001")
    friend = member_create(phone="09351112233", referral_code=referrer.referral_code, joined_at=T0)

    # When two purchases complete it at the same moment, each holding its transaction open
    # a little (as a purchase does), so the second really waits on the first
    def complete(i: int):
        with transaction.atomic():
            done = referral_complete(member_id=friend.pk, purchase_id=100 + i, at=T0)
            time.sleep(0.3)
            return done

    results = run_together(2, complete)

    # Then exactly one of them completed it, and the referral names that one's purchase
    winners = [r for r in results if isinstance(r, Referral)]
    assert len(winners) == 1, results
    assert results.count(None) == 1, results
    referral = Referral.objects.get()
    assert (referral.status, referral.purchase_id, referral.completed_at) == (
        "completed", winners[0].purchase_id, T0)


def test_concurrent_joins_never_pass_the_referrers_limit(member_factory):
    # Given a limit of 2 referrals per 30 days
    ProgramSettings.objects.update_or_create(pk=1, defaults={"referral_limit": 2, "referral_period_days": 30})
    referrer = member_factory(phone="09120000001")

    # When 6 friends join with the code at the same moment
    def join(i: int):
        return member_create(phone=f"093511100{i:02d}", referral_code=referrer.referral_code, joined_at=T0)

    results = run_together(6, join)

    # Then exactly 2 joined, the others were refused for the limit (no deadlock, nothing half-done)
    joined = [r for r in results if isinstance(r, Member)]
    assert len(joined) == 2, results
    assert all(isinstance(r, ReferralRefused) and r.details == {"reason": "limit_reached"}
               for r in results if not isinstance(r, Member)), results
    assert Referral.objects.filter(referrer=referrer).count() == 2
    assert Member.objects.count() == 3
