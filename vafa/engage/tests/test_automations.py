"""Automations: every trigger on the right (Jalali) day, once per occurrence, with catch-up that
sends only what still makes sense, and a reward given with the message."""

from datetime import date, timedelta

import jdatetime
import pytest
from django.utils import timezone

from vafa.core.errors import ValidationFailed
from vafa.core.jalali import TEHRAN
from vafa.core.tests.fixtures import ledger_unguarded
from vafa.engage.automations import automation_create, automation_update, automations_run
from vafa.engage.models import Automation, Message
from vafa.engage.tests.conftest import tehran
from vafa.ledger.models import Lot
from vafa.members.models import Member
from vafa.program.models import Tier, TierChange
from vafa.referrals.models import Referral
from vafa.rewards.models import Coupon
from vafa.usecases.points import member_adjust

pytestmark = pytest.mark.usefixtures("sms_file")


def gregorian(y, m, d):
    return jdatetime.date(y, m, d).togregorian()


def at(d: date, hour=10, minute=0):
    return tehran(d.year, d.month, d.day, hour, minute)


def automation(trigger, text="تولدت مبارک {first_name}", **fields):
    made = automation_create(data={"name": "x", "trigger": trigger, "channel": "sms", "text": text, **fields})
    # Made "long ago", so tests may act at any date after it.
    Automation.objects.filter(pk=made.pk).update(created_at=tehran(2020, 1, 1))
    made.refresh_from_db()
    return made


def keys(a) -> list[str]:
    return list(Message.objects.filter(automation=a).order_by("pk").values_list("occurrence_key", flat=True))


def test_a_birthday_on_the_day_after_the_window_opens_once_and_again_next_year(member_factory):
    born = member_factory(birth_date=date(1990, 12, 3), consents={"sms": True})  # 12 Azar
    a = automation({"type": "birthday"})
    day = gregorian(1405, 9, 12)
    automations_run(at(gregorian(1405, 9, 11)))  # the day before: nothing
    automations_run(at(day, 8, 59))  # before the window: nothing
    assert keys(a) == []
    automations_run(at(day, 9, 0))
    automations_run(at(day, 9, 20))
    automations_run(at(day, 20, 0))
    assert keys(a) == [f"automation:{a.pk}:member:{born.pk}:birthday:1405"]
    message = Message.objects.get(automation=a)
    assert (message.text, message.status) == ("تولدت مبارک سارا\nلغو۱۱", "queued")
    automations_run(at(gregorian(1406, 9, 12), 9, 30))
    assert keys(a)[1] == f"automation:{a.pk}:member:{born.pk}:birthday:1406"
    assert len(keys(a)) == 2


def test_a_missed_birthday_is_not_sent_late(member_factory):
    member_factory(birth_date=date(1990, 12, 3), consents={"sms": True})
    a = automation({"type": "birthday"})
    automations_run(at(gregorian(1405, 9, 13)))  # the worker was down on the day
    automations_run(at(gregorian(1405, 9, 20)))
    assert keys(a) == []


def test_esfand_30_birthdays(member_factory):
    leapling = member_factory(birth_date=gregorian(1399, 12, 30), consents={"sms": True})
    a = automation({"type": "birthday"})
    # 1403 has an Esfand 30: not on the 29th, but on the 30th.
    automations_run(at(gregorian(1403, 12, 29)))
    assert keys(a) == []
    automations_run(at(gregorian(1403, 12, 30)))
    assert keys(a) == [f"automation:{a.pk}:member:{leapling.pk}:birthday:1403"]
    # 1404 has none: on Esfand 29.
    automations_run(at(gregorian(1404, 12, 29)))
    assert keys(a)[1:] == [f"automation:{a.pk}:member:{leapling.pk}:birthday:1404"]


def test_a_birthday_coupon_is_given_with_the_message(member_factory):
    from vafa.program.catalog import reward_create

    reward = reward_create(name="هدیهٔ تولد", kind="coupon_amount", amount_rial=500_000, cost_points=1_000)
    born = member_factory(birth_date=date(1990, 12, 3), consents={"sms": False})
    a = automation({"type": "birthday"}, text="کد هدیه: {coupon}", reward_id=reward.pk)
    automations_run(at(gregorian(1405, 9, 12)))
    coupon = Coupon.objects.get(member=born)
    message = Message.objects.get(automation=a)
    # No consent: the message is kept as skipped, and the gift is still the member's (in the portal).
    assert (message.status, message.skip_reason) == ("skipped", "no_consent")
    assert message.text == f"کد هدیه: {coupon.code}\nلغو۱۱"
    automations_run(at(gregorian(1405, 9, 12), 15))
    assert Coupon.objects.filter(member=born).count() == 1


def test_a_wedding_and_a_membership_anniversary(member_factory):
    wed = member_factory(occasions=[{"kind": "wedding", "date": gregorian(1400, 5, 20)}], consents={"sms": True})
    joined = member_factory(consents={"sms": True})
    Member.objects.filter(pk=joined.pk).update(joined_at=at(gregorian(1403, 5, 20), 12))
    wedding = automation({"type": "occasion", "occasion": "wedding"})
    anniversary = automation({"type": "occasion", "occasion": "membership_anniversary"})
    automations_run(at(gregorian(1405, 5, 20)))
    occasion_id = wed.occasions.get().pk
    assert keys(wedding) == [f"automation:{wedding.pk}:member:{wed.pk}:wedding:{occasion_id}:1405"]
    assert keys(anniversary) == [f"automation:{anniversary.pk}:member:{joined.pk}:membership_anniversary:1405"]


def _expiring(member, merchant, points, expires_at):
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=points, reason="t")
    lot = Lot.objects.filter(account__member=member).latest("pk")
    with ledger_unguarded():
        Lot.objects.filter(pk=lot.pk).update(expires_at=expires_at)


def test_points_expiring_names_the_points_and_the_jalali_date_once_per_expiry(member_factory, merchant):
    member = member_factory(consents={"sms": True})
    expiry = at(gregorian(1405, 10, 1), 23, 59)
    _expiring(member, merchant, 1_200, expiry)
    _expiring(member, merchant, 300, expiry)
    a = automation({"type": "points_expiring", "days_before": 7},
                   text="{expiring_points} امتیاز شما تا {expiring_date} منقضی می‌شود")
    automations_run(at(gregorian(1405, 9, 23)))  # eight days before: not yet
    assert keys(a) == []
    automations_run(at(gregorian(1405, 9, 24)))
    automations_run(at(gregorian(1405, 9, 26)))  # still ahead, but already told
    assert keys(a) == [f"automation:{a.pk}:member:{member.pk}:expiring:{gregorian(1405, 10, 1).isoformat()}"]
    assert Message.objects.get(automation=a).text == "۱٬۵۰۰ امتیاز شما تا ۱۴۰۵/۱۰/۰۱ منقضی می‌شود\nلغو۱۱"


def test_a_missed_day_still_warns_before_the_points_expire(member_factory, merchant):
    member = member_factory(consents={"sms": True})
    _expiring(member, merchant, 100, at(gregorian(1405, 10, 1), 23, 59))
    a = automation({"type": "points_expiring", "days_before": 7})
    automations_run(at(gregorian(1405, 9, 29)))  # the worker was down on the 24th
    assert len(keys(a)) == 1
    other = member_factory(consents={"sms": True})
    _expiring(other, merchant, 100, at(gregorian(1405, 9, 20), 23, 59))
    automations_run(at(gregorian(1405, 9, 29), 15))  # already expired: nothing to warn about
    assert len(keys(a)) == 1


def test_tier_up_and_down(member_factory):
    member = member_factory(consents={"sms": True})
    silver = Tier.objects.create(code="silver", name="نقره‌ای", rank=1)
    gold = Tier.objects.create(code="gold", name="طلایی", rank=2)
    up = automation({"type": "tier_changed", "direction": "up"}, text="به سطح {tier} رسیدید")
    down = automation({"type": "tier_changed", "direction": "down"}, text="سطح شما تغییر کرد")
    now = timezone.now()
    first = TierChange.objects.create(member=member, from_tier=None, to_tier=silver, reason="t", changed_at=now)
    second = TierChange.objects.create(member=member, from_tier=silver, to_tier=gold, reason="t", changed_at=now)
    third = TierChange.objects.create(member=member, from_tier=gold, to_tier=None, reason="t", changed_at=now)
    automations_run(now)
    automations_run(now + timedelta(seconds=5))
    assert keys(up) == [f"automation:{up.pk}:member:{member.pk}:tier:{first.pk}",
                        f"automation:{up.pk}:member:{member.pk}:tier:{second.pk}"]
    assert keys(down) == [f"automation:{down.pk}:member:{member.pk}:tier:{third.pk}"]


def test_a_row_committed_late_is_still_seen_and_a_paused_spell_is_not_sent(member_factory):
    member = member_factory(consents={"sms": True})
    gold = Tier.objects.create(code="gold", name="طلایی", rank=2)
    up = automation({"type": "tier_changed", "direction": "up"})
    now = timezone.now()
    automations_run(now)
    # Dated a minute before the last look, committed after it.
    late = TierChange.objects.create(member=member, to_tier=gold, reason="t", changed_at=now - timedelta(minutes=1))
    automations_run(now + timedelta(seconds=10))
    assert keys(up) == [f"automation:{up.pk}:member:{member.pk}:tier:{late.pk}"]
    automation_update(automation_id=up.pk, data={"status": "paused"})
    TierChange.objects.create(member=member, to_tier=gold, reason="t", changed_at=timezone.now())
    automations_run(timezone.now())
    automation_update(automation_id=up.pk, data={"status": "live"})
    automations_run(timezone.now() + timedelta(seconds=1))
    assert len(keys(up)) == 1


def test_referral_completed_thanks_the_referrer(member_factory):
    referrer = member_factory(consents={"sms": True})
    friend = member_factory()
    a = automation({"type": "referral_completed"}, text="دوست شما خرید کرد")
    now = timezone.now()
    pending = Referral.objects.create(referrer=referrer, referred=friend, phone=friend.phone,
                                      created_at=now - timedelta(days=3))
    automations_run(now)
    assert keys(a) == []
    Referral.objects.filter(pk=pending.pk).update(status="completed", completed_at=now + timedelta(seconds=1))
    automations_run(now + timedelta(seconds=2))
    automations_run(now + timedelta(seconds=3))
    assert keys(a) == [f"automation:{a.pk}:member:{referrer.pk}:referral:{pending.pk}"]


def test_a_welcome_at_once_or_after_a_delay(member_factory):
    old = member_factory()
    a = automation_create(data={"name": "x", "trigger": {"type": "joined"}, "channel": "sms", "text": "خوش آمدید"})
    newcomer = member_factory()
    automations_run(timezone.now())
    automations_run(timezone.now())
    # Those who joined before the automation existed get nothing.
    assert keys(a) == [f"automation:{a.pk}:member:{newcomer.pk}:joined"] and old.pk != newcomer.pk
    later = automation({"type": "joined", "delay_days": 3}, text="سه روز است با ما هستید")
    Member.objects.filter(pk=newcomer.pk).update(joined_at=at(gregorian(1405, 9, 10), 11))
    automations_run(at(gregorian(1405, 9, 12), 12))
    assert keys(later) == []
    automations_run(at(gregorian(1405, 9, 13), 12))
    assert keys(later) == [f"automation:{later.pk}:member:{newcomer.pk}:joined"]


def midday_yesterday():
    """A daily trigger waits for the sending window: tests that act "now" act at a fixed hour inside it."""
    return at(timezone.now().astimezone(TEHRAN).date() - timedelta(days=1), 12)


def test_inactive_once_per_spell(member_factory, buy):
    member = member_factory(consents={"sms": True})
    now = midday_yesterday()
    first = buy(member, 1_000_000, 61, now=now)
    a = automation({"type": "inactive", "days": 60}, text="دلمان برایتان تنگ شده")
    automations_run(now)
    automations_run(now + timedelta(hours=1))
    purchase_id = first.purchase.pk
    assert keys(a) == [f"automation:{a.pk}:member:{member.pk}:inactive:{purchase_id}"]
    lapsed_long_ago = member_factory(consents={"sms": True})
    buy(lapsed_long_ago, 1_000_000, 100, now=now)
    automations_run(now + timedelta(hours=2))
    assert len(keys(a)) == 1  # a spell that began long before is not news any more


def test_a_service_reminder_a_year_after_the_last_service(member_factory, buy):
    member = member_factory(consents={"sms": True})
    other = member_factory(consents={"sms": True})
    now = midday_yesterday()
    service = buy(member, 3_000_000, 365.2, skus=["SRV-1"], category="service", now=now)
    buy(member, 500_000, 100, skus=["WASH"], category="wash", now=now)  # not a service: does not count
    buy(other, 3_000_000, 365.2, skus=["SRV-1"], category="service", now=now)
    buy(other, 3_000_000, 10, skus=["SRV-1"], category="service", now=now)  # serviced again since
    a = automation({"type": "after_purchase", "days": 365, "categories": ["service"]}, text="وقت سرویس سالانه است")
    automations_run(now)
    automations_run(now + timedelta(hours=1))
    assert keys(a) == [f"automation:{a.pk}:member:{member.pk}:purchase:{service.purchase.pk}"]


@pytest.mark.parametrize(("trigger", "field"), [
    ({"type": "points_expiring"}, "trigger.days_before"),
    ({"type": "inactive", "days": 0}, "trigger.days"),
    ({"type": "birthday", "days": 3}, "trigger.days"),
    ({"type": "tier_changed", "direction": "sideways"}, "trigger.direction"),
    ({"type": "someday"}, "trigger.type"),
])
def test_bad_triggers_are_refused(db, trigger, field):
    with pytest.raises(ValidationFailed) as caught:
        automation_create(data={"name": "x", "trigger": trigger, "channel": "sms", "text": "x"})
    assert field in caught.value.details, caught.value.details
    assert not Automation.objects.exists()
