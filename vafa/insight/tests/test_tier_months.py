"""TierMonth (vafa/insight/rollups.py) after sequences of events: the tiers compared, read from the rollup after
sequences of events read in one refresh step, equal the purchases counted one by one under each
member's tier as it is now (tests/truth.py `tiers_truth`), and equal a rebuild."""

from __future__ import annotations

import pytest

from vafa.commerce.services import purchase_record, refund_record
from vafa.insight.rollups import rollups_rebuild
from vafa.insight.selectors import jalali_months, tiers_compared
from vafa.insight.tests.dataset import NOW, build_club, tehran
from vafa.insight.tests.truth import tiers_shown, tiers_truth
from vafa.members.services import member_create
from vafa.program.models import MemberTier, Tier, TierChange

pytestmark = pytest.mark.django_db


def _move(member, to):
    state = MemberTier.objects.filter(member=member).first()
    was = state.tier if state else None
    MemberTier.objects.update_or_create(member=member, defaults={"tier": to, "since": NOW})
    TierChange.objects.create(member=member, from_tier=was, to_tier=to, reason="test", changed_at=NOW)


def _check(months) -> dict:
    shown = tiers_shown(tiers_compared(months))
    assert shown == tiers_truth(months, shown)
    for start in range(len(months)):
        run = months[start:]
        assert tiers_shown(tiers_compared(run)) == tiers_truth(run, shown), run[0].key
    return shown


def test_sequences_read_in_one_step_hold(merchant):
    """Pins (passes): a tier change then a refund of the member; two changes of one member; a
    change and a purchase of the same member; a member with a tier row and no purchase who then
    buys; a purchase dated before every month shown — all in one step."""
    club = build_club(merchant)
    months = jalali_months(NOW)
    _check(months)
    silver, gold = club.tiers["silver"], club.tiers["gold"]
    a, b, c, g = (club.members[k] for k in "ABCG")
    _move(a, gold)
    p = purchase_record(merchant_id=merchant.pk, member_id=a.pk, amount=800_000,
                        occurred_at=tehran(2026, 4, 1, 12)).purchase
    refund_record(merchant_id=merchant.pk, purchase_id=p.pk, amount=800_000)
    _move(b, gold)
    _move(b, None)
    _move(b, silver)
    _move(c, silver)
    purchase_record(merchant_id=merchant.pk, member_id=c.pk, amount=300_000, occurred_at=tehran(2024, 1, 1, 12))
    newcomer = member_create(phone="09121119999", first_name="N", joined_at=tehran(2025, 1, 1, 9))
    _move(newcomer, gold)
    shown = _check(months)  # one refresh reads all of it
    purchase_record(merchant_id=merchant.pk, member_id=newcomer.pk, amount=1_000_000, occurred_at=NOW)
    _move(g, gold)
    shown = _check(months)
    rollups_rebuild()
    assert tiers_shown(tiers_compared(months)) == shown


def test_a_deleted_tier_members_are_counted_under_no_tier(merchant):
    """A tier deleted (MemberTier.tier is SET_NULL, no TierChange is written) leaves its members'
    months under the deleted id in TierMonth: the page counts them under no tier, as their tier
    rows do (Tier has no delete in the admin; only the shell can do it)."""
    club = build_club(merchant)
    months = jalali_months(NOW)
    _check(months)
    gold = club.tiers["gold"]
    assert MemberTier.objects.filter(tier=gold).exists()
    Tier.objects.filter(pk=gold.pk).delete()
    new = purchase_record(merchant_id=merchant.pk, member_id=club.members["A"].pk, amount=10_000,
                          occurred_at=NOW)  # something new, so the page refreshes
    assert new.purchase.pk
    shown = tiers_shown(tiers_compared(months))
    assert shown == tiers_truth(months, shown)
