"""Typed domain events: who reacts to what, in which order; what each change announces; and an
event written to the outbox in the transaction of the change (and rolled back with it)."""

import dataclasses
import importlib
import pkgutil
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

import vafa
from vafa.commerce.events import PurchaseRecorded, PurchaseRefunded, TierChanged
from vafa.commerce.services import purchase_record, refund_record
from vafa.core import events
from vafa.core.events import Event
from vafa.core.models import OutboxEntry
from vafa.ledger.events import PointsAdjusted, PointsExpired, PointsRedeemed
from vafa.ledger.services import points_expire
from vafa.members.events import ConsentChanged, MemberJoined, MemberUpdated, PlanChanged
from vafa.members.services import member_consent_set, member_update, plan_create
from vafa.merchants.events import MerchantCreated
from vafa.merchants.services import merchant_create
from vafa.program.services import reward_create, rule_create, tier_create
from vafa.referrals.events import ReferralCompleted
from vafa.rewards.events import RewardRedeemed
from vafa.rewards.services import reward_redeem
from vafa.usecases.points import member_adjust, member_redeem


def test_every_event_and_its_handlers_in_their_order():
    # The whole wiring, read from the registry that publish() uses: a new subscription, or a
    # change of order, shows up here.
    # Outgoing webhooks fan every event they send out last (order 90), in the same transaction.
    WEBHOOKS = "vafa.webhooks.services.on_event"
    hook = {"in_transaction": [WEBHOOKS], "outbox": []}
    assert events.subscriptions() == {
        "consent.changed": hook,
        "member.created": {
            "in_transaction": ["vafa.ledger.accounts.open_member_account",
                               "vafa.referrals.services.referral_record",
                               "vafa.member_events.triggers.on_member_joined",
                               WEBHOOKS],
            "outbox": []},
        "member.updated": {"in_transaction": ["vafa.member_events.triggers.on_member_updated", WEBHOOKS],
                           "outbox": []},
        "members.imported": {"in_transaction": ["vafa.ledger.accounts.open_member_accounts"], "outbox": []},
        "merchant.created": {"in_transaction": ["vafa.ledger.accounts.open_merchant_accounts"], "outbox": []},
        "plan.changed": {"in_transaction": ["vafa.program.version.program_changed_by"], "outbox": []},
        "points.expired": hook,
        "points.redeemed": hook,
        # Badges and challenges look at the member after a purchase or a referral (an outbox row,
        # written only while one is active).
        "purchase.recorded": {"in_transaction": ["vafa.engage.recognition.on_purchase_recorded", WEBHOOKS],
                              "outbox": []},
        "purchase.refunded": hook,
        "referral.completed": {"in_transaction": ["vafa.engage.recognition.on_referral_completed", WEBHOOKS],
                               "outbox": []},
        "reward.redeemed": hook,
        "survey.answered": hook,
        "tier.changed": hook,
    }
    assert [s.order for s in events.handlers_of(MemberJoined)] == [10, 20, 30, 90]


def _event_types() -> list[type[Event]]:
    found = []
    for module in pkgutil.walk_packages(vafa.__path__, "vafa."):
        if module.name.endswith(".events") and ".tests" not in module.name:
            for value in vars(importlib.import_module(module.name)).values():
                if isinstance(value, type) and issubclass(value, Event) and value is not Event:
                    found.append(value)
    return found


def test_events_are_frozen_dataclasses_with_one_name_each_in_the_app_that_publishes_them():
    types = _event_types()
    assert {t.__name__ for t in types} >= {
        "MemberJoined", "MemberUpdated", "ConsentChanged", "PlanChanged", "MerchantCreated", "PointsRedeemed",
        "PointsExpired", "PointsAdjusted", "PurchaseRecorded", "PurchaseRefunded", "TierChanged", "RewardRedeemed",
        "ReferralCompleted"}
    names = [t.name for t in types]
    assert len(names) == len(set(names)) and all(names)
    for event_type in types:
        assert dataclasses.is_dataclass(event_type) and event_type.__dataclass_params__.frozen, event_type


def test_handlers_run_by_their_stated_order_not_by_the_order_they_subscribed():
    @dataclasses.dataclass(frozen=True)
    class Happened(Event):
        name = "test.happened"

    ran = []
    late, early = (lambda e: ran.append("late")), (lambda e: ran.append("early"))
    events.subscribe(Happened, late, order=50)
    events.subscribe(Happened, early, order=5)
    events.publish(Happened())
    assert ran == ["early", "late"]
    with pytest.raises(ValueError, match="order 5"):
        events.subscribe(Happened, lambda e: None, order=5)


@contextmanager
def announced(*types):
    """The events of `types` published inside the block, in order."""
    seen = []

    def record(event):
        seen.append(event)

    for event_type in types:
        events.subscribe(event_type, record, order=10_000)
    try:
        yield seen
    finally:
        for event_type in types:
            events.unsubscribe(event_type, record)


@pytest.mark.django_db
def test_a_merchant_and_a_member_joining_announce_themselves(member_factory):
    with announced(MerchantCreated, MemberJoined, ConsentChanged) as seen:
        shop = merchant_create(name="کافه")
        member = member_factory(phone="09121111111", consents={"sms": True})
    assert seen[0] == MerchantCreated(merchant_id=shop.pk)
    assert seen[1] == ConsentChanged(member_id=member.pk, channel="sms", granted=True)
    assert seen[2] == MemberJoined(member_id=member.pk, phone="+989121111111", kind="person", status="active",
                                   national_id="", referred_by_id=None, merchant_id=None, joined_at=member.joined_at)


@pytest.mark.django_db
def test_profile_consent_and_plan_changes_are_announced_once_each(member):
    with announced(MemberUpdated, ConsentChanged, PlanChanged) as seen:
        member_update(member_id=member.pk, changes={"first_name": "مینا", "interests": ["چای"]})
        member_consent_set(member=member, channel="email", granted=True)
        member_consent_set(member=member, channel="email", granted=True)  # no change: nothing announced
        plan = plan_create(name="طلایی", fee_rial=1_000_000, duration_days=365, earn_percent=150)
    assert seen == [MemberUpdated(member_id=member.pk, fields=("first_name", "interests")),
                    ConsentChanged(member_id=member.pk, channel="email", granted=True),
                    PlanChanged(plan_id=plan.pk)]


@pytest.mark.django_db
def test_purchases_refunds_and_points_announce_what_they_wrote(merchant, member):
    everything = (PurchaseRecorded, PurchaseRefunded, PointsRedeemed, PointsExpired, PointsAdjusted)
    with announced(*everything) as seen:
        bought = purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=2_000_000,
                                 external_id="e-1").purchase
        again = purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000,
                                redeem_points=50).purchase
        refund = refund_record(merchant_id=merchant.pk, purchase_id=bought.pk, amount=1_000_000)
        member_redeem(merchant_id=merchant.pk, member_id=member.pk, points=10)
        member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=-5, reason="typo")
    assert seen == [
        PurchaseRecorded(purchase_id=bought.pk, member_id=member.pk, merchant_id=merchant.pk, external_id="e-1",
                         amount=2_000_000, points_earned=200, points_redeemed=0, balance_after=200,
                         occurred_at=bought.occurred_at),
        PointsRedeemed(member_id=member.pk, points=50, merchant_id=merchant.pk, source_kind="purchase",
                       source_id=again.pk, balance_after=249),  # the balance once the purchase is written
        PurchaseRecorded(purchase_id=again.pk, member_id=member.pk, merchant_id=merchant.pk, external_id=None,
                         amount=1_000_000, points_earned=99, points_redeemed=50, balance_after=249,
                         occurred_at=again.occurred_at),
        PurchaseRefunded(refund_id=refund.pk, purchase_id=bought.pk, member_id=member.pk, merchant_id=merchant.pk,
                         amount=1_000_000, points_reversed=100, points_returned=0, balance_after=149),
        PointsRedeemed(member_id=member.pk, points=10, merchant_id=merchant.pk, source_kind="api",
                       source_id=merchant.pk, balance_after=139),
        PointsAdjusted(member_id=member.pk, points=-5, merchant_id=merchant.pk, source_kind="api",
                       source_id=merchant.pk, balance_after=134),
    ]
    with announced(PointsExpired) as expired:
        points_expire(now=timezone.now() + timedelta(days=800))
    assert expired == [PointsExpired(member_id=member.pk, points=134, balance_after=0)]


@pytest.mark.django_db
def test_tier_rewards_and_referrals_announce_their_changes(merchant, member_factory):
    tier_create(data={"name": "طلایی", "code": "gold", "rank": 1, "qualify": {"by": "spend", "threshold": 1_000_000}})
    rule_create(data={"name": "friend", "status": "live", "trigger": "referral_completed",
                      "effect": {"type": "fixed_points", "points": 30}})
    reward = reward_create(name="کوپن", kind="coupon_amount", amount_rial=50_000, cost_points=20)
    referrer = member_factory()
    friend = member_factory(referral_code=referrer.referral_code)
    with announced(TierChanged, ReferralCompleted, RewardRedeemed) as seen:
        purchase = purchase_record(merchant_id=merchant.pk, member_id=friend.pk, amount=1_500_000).purchase
        redemption = reward_redeem(member_id=referrer.pk, reward_id=reward.pk, merchant_id=merchant.pk)
    referral_event, tier_event, reward_event = seen
    assert referral_event == ReferralCompleted(referral_id=referral_event.referral_id, referrer_id=referrer.pk,
                                               referred_id=friend.pk, purchase_id=purchase.pk,
                                               completed_at=purchase.occurred_at)
    assert (tier_event.member_id, tier_event.from_tier, tier_event.to_tier, tier_event.direction) == (
        friend.pk, None, "gold", "up")
    assert reward_event == RewardRedeemed(redemption_id=redemption.pk, member_id=referrer.pk, reward_id=reward.pk,
                                          kind="coupon_amount", points=20, free=False, merchant_id=merchant.pk)


@pytest.mark.django_db
def test_an_event_for_an_outbox_handler_is_written_with_the_change_and_rolled_back_with_it(merchant, member):
    events.subscribe_outbox(PurchaseRecorded, "test.purchases")
    try:
        purchase = purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000).purchase
        with pytest.raises(RuntimeError), transaction.atomic():
            purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=3_000_000)
            raise RuntimeError("the request failed after the purchase")
    finally:
        events.unsubscribe_outbox(PurchaseRecorded, "test.purchases")
    [row] = OutboxEntry.objects.all()
    assert (row.type, row.handler, row.done_at, row.attempts) == ("purchase.recorded", "test.purchases", None, 0)
    assert row.payload == {"purchase_id": purchase.pk, "member_id": member.pk, "merchant_id": merchant.pk,
                           "external_id": None, "amount": 1_000_000, "points_earned": 100, "points_redeemed": 0,
                           "balance_after": 100, "occurred_at": purchase.occurred_at.isoformat()}


@pytest.mark.django_db
def test_an_event_nobody_reacts_to_writes_nothing(merchant, member):
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000)
    assert OutboxEntry.objects.count() == 0
