"""Tiers: upgrade at once, downgrade only after the period and its grace, with history."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from vafa.commerce.selectors import member_tier_status
from vafa.commerce.services import purchase_record, tier_reviews_due
from vafa.program.models import MemberTier, TierChange
from vafa.program.rules import tier_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiers(db):
    silver = tier_create(data={"code": "silver", "name": "Silver", "rank": 1,
                               "qualify": {"by": "purchases", "threshold": 2}, "grace_days": 0})
    gold = tier_create(data={"code": "gold", "name": "Gold", "rank": 2, "grace_days": 30,
                             "qualify": {"by": "spend", "threshold": 10_000_000, "window": "rolling_365"}})
    return silver, gold


def _buy(merchant, member, amount, at):
    return purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=amount, occurred_at=at)


def test_upgrade_at_once_and_downgrade_after_the_period_and_grace(merchant, member, tiers):
    _silver, gold = tiers
    now = timezone.now()
    # Given a member who spent 12,000,000 Rials in one purchase: gold at once
    _buy(merchant, member, 12_000_000, now)
    state = MemberTier.objects.get(member=member)
    assert state.tier == gold
    assert state.hold_until == state.since + timedelta(days=365 + 30)
    # When a year passes with one more small purchase, the tier is kept until the grace ends
    assert tier_reviews_due(now=now + timedelta(days=380)) == {"kept": 0, "downgraded": 0, "upgraded": 0}
    # Then after the grace the member moves down to what they still qualify for (nothing)
    counts = tier_reviews_due(now=now + timedelta(days=396))
    assert counts == {"kept": 0, "downgraded": 1, "upgraded": 0}
    assert MemberTier.objects.get(member=member).tier is None
    assert list(TierChange.objects.filter(member=member).order_by("changed_at")
                .values_list("from_tier__code", "to_tier__code")) == [(None, "gold"), ("gold", None)]
    # And a second run the same day changes nothing
    assert tier_reviews_due(now=now + timedelta(days=396)) == {"kept": 0, "downgraded": 0, "upgraded": 0}


def test_a_member_who_still_qualifies_keeps_the_tier_for_a_new_period(merchant, member, tiers):
    silver, _gold = tiers
    now = timezone.now()
    _buy(merchant, member, 100_000, now - timedelta(days=2))
    _buy(merchant, member, 100_000, now - timedelta(days=1))
    state = MemberTier.objects.get(member=member)
    assert state.tier == silver
    # When its period has ended (made so here) and the daily review runs
    MemberTier.objects.filter(pk=state.pk).update(hold_until=now - timedelta(minutes=1))
    counts = tier_reviews_due(now=now)
    # Then both purchases fall inside the last 365 days: still silver, for a new period
    assert counts == {"kept": 1, "downgraded": 0, "upgraded": 0}
    assert MemberTier.objects.get(member=member).hold_until == now + timedelta(days=365)
    assert TierChange.objects.filter(member=member).count() == 1


def test_status_answers_the_next_tier_and_what_remains(merchant, member, tiers):
    _buy(merchant, member, 3_000_000, timezone.now())
    status = member_tier_status(member_id=member.pk, now=timezone.now())
    assert (status.tier, status.next_tier.code, status.to_next_tier) == (None, "silver", 1)
    _buy(merchant, member, 3_000_000, timezone.now())
    status = member_tier_status(member_id=member.pk, now=timezone.now())
    assert (status.tier.code, status.next_tier.code, status.to_next_tier) == ("silver", "gold", 4_000_000)


def test_the_review_command(merchant, member, tiers, capsys):
    call_command("review_tiers")
    assert capsys.readouterr().out.strip() == "Tiers reviewed: kept 0, downgraded 0, upgraded 0"
