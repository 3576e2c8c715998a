"""Campaigns: the audience drawn once, an exact hold-out share, one message per member whatever
reruns do, throttling, cancel, preview and estimate, a coupon each, and the lift report."""

from datetime import timedelta

import pytest
from django.utils import timezone

from vafa.core.errors import CampaignNotEditable, UnknownPlaceholder, ValidationFailed
from vafa.core.tests.fixtures import db_state
from vafa.engage import campaigns as campaigns_module
from vafa.engage.campaigns import (
    campaign_cancel,
    campaign_counts,
    campaign_create,
    campaign_estimate,
    campaign_lift,
    campaign_preview,
    campaign_schedule,
    campaign_step,
    campaign_update,
    campaigns_run,
    two_proportion_z,
)
from vafa.engage.models import Campaign, CampaignMember, Message
from vafa.engage.segments import segment_create
from vafa.engage.tests.conftest import sent_lines, tehran, work
from vafa.rewards.models import Coupon
from vafa.usecases.points import member_adjust

pytestmark = pytest.mark.usefixtures("sms_file")

MORNING = tehran(2026, 12, 5, 10)


@pytest.fixture
def audience(member_factory):
    return [member_factory(consents={"sms": True}) for _ in range(10)]


@pytest.fixture
def segment(audience):
    return segment_create(data={"name": "همه", "conditions": {"consent": "sms"}})


def campaign(segment, **fields):
    return campaign_create(data={"name": "یلدا", "channel": "sms", "segment_id": segment.pk,
                                 "text": "سلام {first_name}، یلدا مبارک", **fields})


def run(c, now=MORNING):
    campaign_schedule(campaign_id=c.pk, now=now)
    campaigns_run(now)
    c.refresh_from_db()
    return c


def test_an_exact_hold_out_share_gets_nothing_and_everyone_else_one_message(segment, audience, monkeypatch,
                                                                          sms_file):
    monkeypatch.setattr(campaigns_module, "CHUNK", 3)  # several chunks of drawing and queueing
    c = run(campaign(segment, holdout_percent=30))
    assert (c.status, c.audience, c.holdout) == ("sending", 10, 3)
    held = set(CampaignMember.objects.filter(campaign=c, holdout=True).values_list("member_id", flat=True))
    assert len(held) == 3
    messaged = list(Message.objects.filter(campaign=c).values_list("member_id", flat=True))
    assert sorted(messaged) == sorted({m.pk for m in audience} - held)
    campaigns_run(MORNING + timedelta(minutes=1))  # a rerun adds nothing
    work(MORNING + timedelta(hours=1))
    work(MORNING + timedelta(hours=2))
    assert Message.objects.filter(campaign=c).count() == 7
    lines = sent_lines(sms_file)
    assert len(lines) == 7 and len({line["to"] for line in lines}) == 7
    assert lines[0]["text"] == "سلام سارا، یلدا مبارک\nلغو۱۱"
    assert campaign_counts(c) == {"queued": 0, "held": 0, "sent": 7, "delivered": 0, "failed": 0, "skipped": {}}
    c.refresh_from_db()
    assert (c.status, c.finished_at) == ("sent", MORNING + timedelta(hours=2))


@pytest.mark.parametrize(("size", "percent", "held"), [(10, 0, 0), (10, 50, 5), (7, 10, 0), (99, 25, 24),
                                                       (1, 50, 0)])
def test_the_hold_out_is_the_floor_of_the_share(member_factory, size, percent, held):
    members = [member_factory(consents={"sms": True}) for _ in range(size)]
    segment = segment_create(data={"name": "x", "conditions": {"members": [m.pk for m in members]}})
    c = run(campaign(segment, holdout_percent=percent))
    assert (c.audience, c.holdout) == (size, held)
    assert Message.objects.filter(campaign=c).count() == size - held


def test_members_who_join_the_segment_later_are_not_added(segment, member_factory):
    c = run(campaign(segment))
    member_factory(consents={"sms": True})
    campaigns_run(MORNING + timedelta(hours=1))
    assert Message.objects.filter(campaign=c).count() == 10


def test_throttled_hand_over(segment, settings):
    settings.SEND_PER_MINUTE = 2
    c = run(campaign(segment))
    dues = list(Message.objects.filter(campaign=c).order_by("member_id").values_list("due_at", flat=True))
    assert dues == [MORNING + timedelta(seconds=30 * i) for i in range(10)]


def test_a_campaign_scheduled_for_later_waits(segment, sms_file):
    c = campaign(segment)
    campaign_schedule(campaign_id=c.pk, data={"send_at": "2026-12-06T11:00:00+03:30"}, now=MORNING)
    campaigns_run(MORNING)
    c.refresh_from_db()
    assert (c.status, Message.objects.count()) == ("scheduled", 0)
    campaigns_run(tehran(2026, 12, 6, 11))
    c.refresh_from_db()
    assert (c.status, c.started_at, Message.objects.count()) == ("sending", tehran(2026, 12, 6, 11), 10)


def test_cancel_before_it_starts_and_while_it_sends(segment, sms_file):
    c = campaign(segment)
    campaign_schedule(campaign_id=c.pk, data={"send_at": "2026-12-06T11:00:00+03:30"}, now=MORNING)
    campaign_cancel(campaign_id=c.pk)
    campaigns_run(tehran(2026, 12, 6, 12))
    assert Message.objects.count() == 0
    with pytest.raises(CampaignNotEditable):
        campaign_cancel(campaign_id=c.pk)
    late = run(campaign(segment), now=tehran(2026, 12, 6, 22))  # held until the window opens
    campaign_cancel(campaign_id=late.pk)
    work(tehran(2026, 12, 7, 9, 30))
    assert set(Message.objects.filter(campaign=late).values_list("status", "skip_reason")) == {
        ("skipped", "cancelled")}
    assert sent_lines(sms_file) == []


def test_a_sent_campaign_cannot_change(segment):
    c = run(campaign(segment))
    work(MORNING + timedelta(minutes=5))  # sends them
    work(MORNING + timedelta(minutes=6))  # sees nothing waits
    c.refresh_from_db()
    assert c.status == "sent"
    before = db_state(Campaign)
    for change in (lambda: campaign_update(campaign_id=c.pk, data={"text": "x"}),
                   lambda: campaign_schedule(campaign_id=c.pk), lambda: campaign_cancel(campaign_id=c.pk)):
        with pytest.raises(CampaignNotEditable):
            change()
    assert db_state(Campaign) == before


def test_unknown_placeholders_cannot_be_saved_or_scheduled(segment):
    with pytest.raises(UnknownPlaceholder):
        campaign(segment, text="سلام {name}")
    c = campaign(segment)
    with pytest.raises(UnknownPlaceholder):
        campaign_update(campaign_id=c.pk, data={"text": "{phone}"})
    with pytest.raises(ValidationFailed) as caught:
        campaign_create(data={"name": "e", "channel": "email", "segment_id": segment.pk, "text": "x"})
    assert caught.value.details == {"subject": "required for an e-mail"}
    c.refresh_from_db()
    assert c.text == "سلام {first_name}، یلدا مبارک" and Campaign.objects.count() == 1


def test_preview_shows_a_real_members_values_parts_and_missing_ones(segment, audience, merchant):
    member_adjust(merchant_id=merchant.pk, member_id=audience[0].pk, points=1_250, reason="t")
    c = campaign(segment, text="سلام {first_name} {last_name}، {points} امتیاز دارید. سطح: {tier}")
    preview = campaign_preview(campaign_id=c.pk, member_id=audience[0].pk)
    assert preview["text"] == "سلام سارا محمدی، ۱٬۲۵۰ امتیاز دارید. سطح:\nلغو۱۱"
    assert preview["missing"] == ["tier"]
    assert (preview["parts"], preview["unicode"], preview["per_part"]) == (1, True, 70)
    assert preview["characters"] == len(preview["text"])


def test_estimate_uses_the_longest_text_and_the_price_per_part(segment, audience, settings):
    settings.SMS_PRICE_PER_PART_RIAL = 2_000
    c = campaign(segment, text="س" * 60 + " {first_name}", holdout_percent=20)
    # 60 + space + «سارا» (4) + newline + «لغو۱۱» (5) = 71 characters: two parts.
    assert campaign_estimate(c) == {"audience": 10, "holdout": 2, "parts_per_message": 2,
                                    "estimated_cost_rial": 2 * 8 * 2_000}


def test_a_coupon_for_each_recipient(segment, audience):
    from vafa.program.catalog import reward_create

    reward = reward_create(name="۱۰٪", kind="coupon_percent", percent=10, cost_points=500)
    c = run(campaign(segment, text="کد تخفیف شما: {coupon}", reward_id=reward.pk))
    coupons = dict(Coupon.objects.values_list("member_id", "code"))
    assert len(coupons) == 10
    for message in Message.objects.filter(campaign=c):
        assert message.text == f"کد تخفیف شما: {coupons[message.member_id]}\nلغو۱۱"


def test_two_proportion_z():
    assert round(two_proportion_z(6, 10, 2, 10), 4) == 1.8257
    assert round(two_proportion_z(8, 10, 2, 10), 4) == 2.6833
    assert two_proportion_z(0, 10, 0, 10) is None
    assert two_proportion_z(1, 0, 1, 10) is None


def test_the_lift_report_on_a_constructed_history(member_factory, buy):
    members = [member_factory(consents={"sms": True}) for _ in range(20)]
    segment = segment_create(data={"name": "x", "conditions": {"members": [m.pk for m in members]}})
    start = timezone.now() - timedelta(days=40)
    c = campaign(segment, holdout_percent=50, lift_days=30)
    campaign_schedule(campaign_id=c.pk, now=start)
    while campaign_step(c.pk, now=start):
        pass
    c.refresh_from_db()
    held = [cm.member for cm in CampaignMember.objects.filter(campaign=c, holdout=True).order_by("member_id")]
    contacted = [cm.member for cm in CampaignMember.objects.filter(campaign=c, holdout=False).order_by("member_id")]
    assert (len(held), len(contacted)) == (10, 10)
    for m in contacted[:8]:
        buy(m, 1_000_000, 35)  # five days after the start
    buy(contacted[0], 500_000, 30)
    for m in held[:2]:
        buy(m, 2_000_000, 38)
    buy(held[2], 9_000_000, 5)  # after the 30 days: not counted
    buy(contacted[9], 9_000_000, 41)  # before the start: not counted
    lift = campaign_lift(c)
    assert lift["contacted"] == {"members": 10, "buyers": 8, "purchase_rate": 0.8, "spend_rial": 8_500_000,
                                 "spend_per_member_rial": 850_000}
    assert lift["held_out"] == {"members": 10, "buyers": 2, "purchase_rate": 0.2, "spend_rial": 4_000_000,
                                "spend_per_member_rial": 400_000}
    assert (lift["rate_difference"], lift["z"], lift["significant"], lift["complete"]) == (0.6, 2.683, True, True)
