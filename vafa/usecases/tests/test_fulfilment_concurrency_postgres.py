"""Shipments under real concurrency on PostgreSQL: many cancellations of one shipment at once give
the points back once; a cancellation racing the 'sent' step ends in exactly one of the two.
Each thread has its own connection; the fixtures commit for real (transaction=True)."""

import pytest

from vafa.core.errors import ShipmentStepRefused
from vafa.core.tests.fixtures import assert_ledger_ok, balance
from vafa.engage.models import Message
from vafa.ledger.models import Transfer
from vafa.ledger.services import points_adjust
from vafa.ledger.tests.test_concurrency_postgres import run_together
from vafa.program.catalog import reward_create
from vafa.program.models import Reward
from vafa.rewards.models import Shipment, ShipmentStep
from vafa.usecases.fulfilment import reward_redeem_for_member, shipment_advance

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sms_file")]

ADDRESS = {"recipient_name": "Sara", "phone": "09123456789", "address": "Valiasr St. 3", "postal_code": "1434567891"}


@pytest.fixture
def shipment(member, merchant):
    reward = reward_create(name="Tea set", kind="non_material", cost_points=300, stock=5)
    Reward.objects.filter(pk=reward.pk).update(ships=True)
    points_adjust(member_id=member.pk, points=1_000, reason="set-up", merchant_id=merchant.pk, expires_at=None)
    return reward_redeem_for_member(member_id=member.pk, reward_id=reward.pk, merchant_id=merchant.pk,
                                    shipping=ADDRESS).shipment


def test_twenty_cancellations_at_once_give_the_points_back_once(member, shipment):
    results = run_together(20, lambda i: shipment_advance(shipment_id=shipment.pk, status="cancelled",
                                                          note=f"desk {i}", by=f"staff {i}"))
    assert [r.changed for r in results].count(True) == 1, [repr(r) for r in results]
    assert sum(r.points_back for r in results) == 300
    assert balance(member) == 1_000 and Reward.objects.get(pk=shipment.redemption.reward_id).stock == 5
    assert Transfer.objects.filter(kind="refund_reversal").count() == 1
    assert ShipmentStep.objects.filter(shipment=shipment, status="cancelled").count() == 1
    assert Message.objects.filter(occurrence_key=f"shipment:{shipment.pk}:cancelled:sms").count() == 1
    assert_ledger_ok()


def test_a_cancellation_racing_the_sent_step_ends_in_one_of_them(member, shipment):
    def step(i):
        if i % 2:
            return shipment_advance(shipment_id=shipment.pk, status="cancelled", note="x", by="a")
        return shipment_advance(shipment_id=shipment.pk, status="sent", tracking_code="T1", by="b")

    results = run_together(10, step)
    final = Shipment.objects.get(pk=shipment.pk).status
    changed = [r for r in results if not isinstance(r, Exception) and r.changed]
    refused = [r for r in results if isinstance(r, ShipmentStepRefused)]
    assert len(changed) == 1 and changed[0].shipment.status == final
    assert len(changed) + len(refused) + len([r for r in results if not isinstance(r, Exception)
                                              and not r.changed]) == 10
    assert balance(member) == (1_000 if final == "cancelled" else 700)
    assert_ledger_ok()
