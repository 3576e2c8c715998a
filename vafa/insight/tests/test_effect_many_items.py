"""The programme effect measures every item of a kind together, its comparison in statements of
whole items (effect.REFS_PER_STATEMENT references, 4 parameters each): 640 campaigns sent in a
year to members in all 26 strata (quintiles 1..5 and "unscored") would be 66,560 parameters in
one statement, past PostgreSQL's 65,535 (server-side binding)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from vafa.engage.models import Campaign, Message, Segment
from vafa.insight.effect import programme_effects_compute
from vafa.insight.models import ProgrammeEffect
from vafa.insight.tests.dataset import tehran
from vafa.members.models import MemberScore
from vafa.members.services import member_create

pytestmark = pytest.mark.django_db
NOW = tehran(2026, 11, 25, 12, 0)
CAMPAIGNS = 640


def test_many_campaigns_in_a_year_do_not_break_the_nightly_effect(merchant, settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite here allows 250,000 variables: the limit is PostgreSQL's 65,535")
    settings.SMS_PRICE_PER_PART_RIAL = 2_000
    joined = tehran(2025, 1, 1, 9, 0)
    people = []
    strata = [(0, 0)] + [(r, f) for r in range(1, 6) for f in range(1, 6)]  # 26
    for i, (r, f) in enumerate(strata):
        member = member_create(phone=f"091230{i:05d}", first_name=f"M{i}", joined_at=joined)
        if r:
            MemberScore.objects.create(member=member, rfm_r=r, rfm_f=f, scored_at=NOW)
        people.append(member)
    segment = Segment.objects.create(code="all", name="All", conditions={})
    messages = []
    for c in range(CAMPAIGNS):
        started = NOW - timedelta(hours=12 * (c + 1))
        campaign = Campaign.objects.create(name=f"C{c}", channel="sms", segment=segment, text="Hi",
                                           status=Campaign.Status.SENT, audience=len(people),
                                           audience_drawn=True, started_at=started, finished_at=started)
        messages += [Message(member=m, channel="sms", purpose="marketing", to="09120000000", text="Hi", parts=1,
                             status=Message.Status.SENT, campaign=campaign, due_at=started, sent_at=started)
                     for m in people]
    Message.objects.bulk_create(messages, batch_size=2_000)

    programme_effects_compute(now=NOW)

    rows = ProgrammeEffect.objects.filter(kind=ProgrammeEffect.Kind.CAMPAIGN)
    assert rows.count() == CAMPAIGNS
    assert {r.recipients for r in rows} == {len(people)}
