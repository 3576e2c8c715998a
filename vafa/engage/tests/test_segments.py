"""Every segment condition, evaluated in SQL, with exact member sets."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from vafa.commerce.models import Purchase
from vafa.core.errors import SegmentExists, SegmentNotFound, ValidationFailed
from vafa.core.tests.fixtures import db_state
from vafa.engage.models import Segment
from vafa.engage.segments import (
    conditions_count,
    conditions_members,
    segment_create,
    segment_get,
    segment_member_ids,
    segment_member_pages,
    segment_update,
    segments_known,
    segments_test,
)
from vafa.engage.tests.conftest import tehran
from vafa.members.models import Member
from vafa.members.services import member_consent_set, member_erase, member_tags_add
from vafa.program.models import MemberTier, Tier
from vafa.usecases.points import member_adjust


def ids(conditions, now=None) -> set[int]:
    return set(conditions_members(conditions, now=now).values_list("pk", flat=True))


@pytest.fixture
def people(member_factory):
    return [member_factory() for _ in range(6)]


def test_kind_tier_interest_tag_and_consent(member_factory):
    person = member_factory(interests=["قهوه"])
    org = member_factory(kind=Member.Kind.ORGANIZATION, organization_name="شرکت نمونه", national_id="10101234565",
                         first_name="", last_name="")
    gold = Tier.objects.create(code="gold", name="طلایی", rank=2)
    MemberTier.objects.create(member=org, tier=gold, since=timezone.now())
    member_tags_add(member_id=person.pk, names=["VIP مشتری"])
    member_consent_set(member=org, channel="sms", granted=True)
    assert ids({"kinds": ["organization"]}) == {org.pk}
    assert ids({"tiers": ["gold"]}) == {org.pk}
    assert ids({"interests": ["قهوه"]}) == {person.pk}
    assert ids({"tags": ["vip-مشتری"]}) == {person.pk}
    assert ids({"consent": "sms"}) == {org.pk}
    assert ids({"consent": "email"}) == set()
    assert ids({"kinds": ["person"], "tiers": ["gold"]}) == set()  # all must hold
    assert ids({"any": [{"kinds": ["person"]}, {"tiers": ["gold"]}]}) == {person.pk, org.pk}


def test_recency_frequency_spend_and_points(people, buy, merchant):
    a, b, c, d, e, f = people
    now = timezone.now()
    buy(a, 1_000_000, 2, now=now)
    buy(a, 2_000_000, 40, now=now)
    buy(b, 500_000, 10, now=now)
    buy(c, 9_000_000, 400, now=now)  # outside the default window of 365 days
    member_adjust(merchant_id=merchant.pk, member_id=d.pk, points=250, reason="t")
    Member.objects.filter(pk=e.pk).update(joined_at=now - timedelta(days=100))
    Member.objects.filter(pk__in=[a.pk, b.pk, c.pk, d.pk, f.pk]).update(joined_at=now - timedelta(days=3))
    assert ids({"purchased_within_days": 7}, now) == {a.pk}
    assert ids({"purchased_within_days": 30}, now) == {a.pk, b.pk}
    assert ids({"not_purchased_within_days": 30}, now) == {c.pk, d.pk, e.pk, f.pk}
    assert ids({"purchases_min": 2}, now) == {a.pk}
    assert ids({"purchases_max": 0}, now) == {c.pk, d.pk, e.pk, f.pk}
    assert ids({"purchases_min": 1, "purchases_max": 1}, now) == {b.pk}
    assert ids({"purchases_min": 1, "window_days": 500}, now) == {a.pk, b.pk, c.pk}
    assert ids({"spend_min_rial": 3_000_000}, now) == {a.pk}
    assert ids({"spend_min_rial": 400_000, "spend_max_rial": 600_000}, now) == {b.pk}
    assert ids({"spend_max_rial": 0}, now) == {c.pk, d.pk, e.pk, f.pk}
    assert ids({"joined_within_days": 30}, now) == {a.pk, b.pk, c.pk, d.pk, f.pk}


def test_points_min_counts_the_balance(people, merchant):
    a, b = people[:2]
    member_adjust(merchant_id=merchant.pk, member_id=a.pk, points=250, reason="t")
    member_adjust(merchant_id=merchant.pk, member_id=b.pk, points=199, reason="t")
    assert ids({"points_min": 200}) == {a.pk}
    assert ids({"points_min": 199}) == {a.pk, b.pk}


def test_products_and_categories_bought_within_the_window(people, buy):
    a, b, c = people[:3]
    now = timezone.now()
    buy(a, 1_000_000, 5, skus=["OIL-5W30"], category="service", now=now)
    buy(b, 1_000_000, 200, skus=["TIRE-1"], category="tires", now=now)
    buy(c, 1_000_000, 5, skus=["TIRE-1"], category="tires", now=now)
    assert ids({"skus": ["OIL-5W30"]}, now) == {a.pk}
    assert ids({"categories": ["tires"]}, now) == {b.pk, c.pk}
    assert ids({"categories": ["tires"], "window_days": 30}, now) == {c.pk}
    assert ids({"skus": ["OIL-5W30"], "categories": ["tires"], "window_days": 30}, now) == {a.pk, c.pk}


def test_rfm_quintiles_score_recency_frequency_and_money(member_factory, buy):
    now = timezone.now()
    members = [member_factory() for _ in range(10)]
    # Member i bought i+1 times, the last one 10-i days ago, for (i+1) x 100,000 each time.
    for i, m in enumerate(members):
        for n in range(i + 1):
            buy(m, (i + 1) * 100_000, 10 - i + n * 0.01, now=now)
    top = {members[8].pk, members[9].pk}
    bottom = {members[0].pk, members[1].pk}
    assert ids({"rfm": {"r": [5]}}, now) == top
    assert ids({"rfm": {"f": [5]}}, now) == top
    assert ids({"rfm": {"m": [5]}}, now) == top
    assert ids({"rfm": {"r": [1], "f": [1], "m": [1]}}, now) == bottom
    assert ids({"rfm": {"r": [4, 5], "m": [5]}}, now) == top
    assert len(ids({"rfm": {"r": [3]}}, now)) == 2


def test_birthday_within_days_uses_the_jalali_calendar(member_factory):
    # 1405/09/12 is 2026-12-03.
    now = tehran(2026, 12, 3)
    today = member_factory(birth_date=date(1990, 12, 3))  # 12 Azar
    in_three = member_factory(birth_date=date(1991, 12, 6))  # 15 Azar
    gone = member_factory(birth_date=date(1992, 12, 2))  # 11 Azar, yesterday
    member_factory()
    assert ids({"birthday_within_days": 0}, now) == {today.pk}
    assert ids({"birthday_within_days": 3}, now) == {today.pk, in_three.pk}
    assert gone.pk not in ids({"birthday_within_days": 300}, now)
    assert gone.pk in ids({"birthday_within_days": 365}, now)


def test_esfand_30_birthdays_come_on_esfand_29_in_a_common_year(member_factory):
    # 1399 was a leap year: 1399/12/30 is 2021-03-20. 1404 is common: 1404/12/29 is 2026-03-20.
    leapling = member_factory(birth_date=date(2021, 3, 20))
    assert Member.objects.get(pk=leapling.pk).birth_jalali == 1230
    assert ids({"birthday_within_days": 0}, tehran(2026, 3, 20)) == {leapling.pk}
    assert ids({"birthday_within_days": 0}, tehran(2026, 3, 19)) == set()


def test_a_fixed_list_and_blocked_or_erased_members_are_never_in(people):
    a, b, c = people[:3]
    Member.objects.filter(pk=b.pk).update(status=Member.Status.BLOCKED)
    member_erase(member_id=c.pk)
    assert ids({"members": [a.pk, b.pk, c.pk]}) == {a.pk}
    assert ids({}) == {p.pk for p in people} - {b.pk, c.pk}


def test_create_read_update_count_and_page(people):
    segment = segment_create(data={"name": "Lapsed VIPs", "conditions": {"members": [people[0].pk, people[2].pk]}})
    assert (segment.code, segment.conditions) == ("lapsed-vips", {"members": [people[0].pk, people[2].pk]})
    assert segment_get(segment_id=str(segment.pk)) == segment
    with pytest.raises(SegmentExists):
        segment_create(data={"name": "lapsed vips"})
    assert conditions_count({"conditions": {"members": [people[1].pk]}}) == 1
    segment = segment_update(segment_id=segment.pk, data={"conditions": {"members": [p.pk for p in people]}})
    assert segment_member_ids(segment, limit=4) == [p.pk for p in people][:4]
    assert segment_member_ids(segment, after=people[3].pk, limit=4) == [p.pk for p in people][4:]
    assert list(segment_member_pages(segment, size=4)) == [[p.pk for p in people][:4], [p.pk for p in people][4:]]
    assert segments_known(["lapsed-vips", str(segment.pk), "nope"]) == {"lapsed-vips", str(segment.pk)}
    tested = segments_test(["lapsed-vips"], [people[0].pk])
    assert tested == {people[0].pk: frozenset({"lapsed-vips"})}


@pytest.mark.parametrize(("data", "field"), [
    ({"name": ""}, "name"),
    ({"name": "x", "conditions": {"kinds": ["alien"]}}, "conditions.kinds"),
    ({"name": "x", "conditions": {"purchases_min": 5, "purchases_max": 2}}, "conditions.purchases_min"),
    ({"name": "x", "conditions": {"rfm": {"r": [6]}}}, "conditions.rfm.r"),
    ({"name": "x", "conditions": {"window_days": 0}}, "conditions.window_days"),
    ({"name": "x", "conditions": {"any": []}}, "conditions.any"),
    ({"name": "x", "conditions": {"colour": "red"}}, "conditions.colour"),
    ({"name": "123"}, "code"),
])
def test_bad_segments_are_refused_and_nothing_is_saved(db, data, field):
    before = db_state(Segment)
    with pytest.raises(ValidationFailed) as caught:
        segment_create(data=data)
    assert field in caught.value.details, caught.value.details
    assert db_state(Segment) == before


def test_an_unknown_segment_is_not_found(db):
    for given in ("999", "abc", "-1", "1" * 40):
        with pytest.raises(SegmentNotFound):
            segment_get(segment_id=given)


def test_spend_and_purchase_counts_group_the_purchases_once_and_net_the_refunds(people, buy):
    a, b, c, d, e, f = people
    now = timezone.now()
    buy(a, 1_000_000, 1, now=now)
    buy(b, 2_000_000, 1, now=now)
    buy(b, 500_000, 3, now=now)
    Purchase.objects.filter(member=a).update(refunded_amount=1_000_000)  # fully refunded: spent 0
    nobody = {c.pk, d.pk, e.pk, f.pk}
    assert ids({"spend_max_rial": 0}, now) == {a.pk} | nobody
    assert ids({"spend_min_rial": 0, "spend_max_rial": 2_000_000}, now) == {a.pk} | nobody
    assert ids({"spend_min_rial": 1}, now) == {b.pk}
    assert ids({"spend_min_rial": 2_500_000, "spend_max_rial": 2_500_000}, now) == {b.pk}
    assert ids({"purchases_min": 1, "spend_max_rial": 0}, now) == {a.pk}
    assert ids({"purchases_max": 1}, now) == {a.pk} | nobody
    assert ids({"any": [{"purchases_min": 2}, {"spend_max_rial": 0, "purchases_min": 1}]}, now) == {a.pk, b.pk}
    # One grouping of the purchases per condition (a hashed subquery), not a correlated subquery
    # per member for each bound (100,000 members: 2 x 100,000 index probes).
    sql = str(conditions_members({"spend_min_rial": 1, "spend_max_rial": 5_000_000}, now=now).query)
    assert sql.count("GROUP BY") == 1
