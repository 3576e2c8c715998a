"""The reward catalogue (vafa.program.catalog): each kind takes exactly its own fields, every
change raises the program's version, and a reward has one JSON shape."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from vafa.core.errors import RewardNotFound, ValidationFailed
from vafa.members.models import MembershipPlan
from vafa.program.catalog import reward_body, reward_create, reward_update
from vafa.program.models import ProgramSettings, Reward, Tier
from vafa.rewards.selectors import reward_get, reward_list
from vafa.rewards.services import partner_codes_upload

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")


def version() -> int:
    return ProgramSettings.objects.get(pk=1).version


def invalid(**fields) -> dict:
    before = (Reward.objects.count(), version())
    with pytest.raises(ValidationFailed) as caught:
        reward_create(**fields)
    assert (Reward.objects.count(), version()) == before
    return caught.value.details


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "coupon_amount", "amount_rial": 500_000, "min_purchase_rial": 1_000_000, "valid_days": 30},
        {"kind": "coupon_percent", "percent": 100, "cap_rial": 2_000_000},
        {"kind": "coupon_percent", "percent": 1},
        {"kind": "free_product", "sku": "TEA-1", "amount_rial": 90_000},
        {"kind": "free_product", "sku": "TEA-1"},
        {"kind": "gift_card", "amount_rial": 10_000_000, "valid_days": 365},
        {"kind": "partner_code"},
        {"kind": "charity", "charity_name": "محک"},
        {"kind": "non_material", "description": "دعوت به رونمایی محصول تازه"},
    ],
)
def test_each_kind_is_created_with_its_own_fields(fields):
    before = version()
    reward = reward_create(name="جایزه", cost_points=250, **fields)
    assert {k: getattr(reward, k) for k in fields} == fields
    assert (reward.name, reward.cost_points, reward.active) == ("جایزه", 250, True)
    assert version() == before + 1


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"kind": "coupon_amount"}, "amount_rial"),
        ({"kind": "coupon_amount", "amount_rial": 0}, "amount_rial"),
        ({"kind": "coupon_amount", "amount_rial": 10**15 + 1}, "amount_rial"),
        ({"kind": "coupon_amount", "amount_rial": 1000, "percent": 10}, "percent"),
        ({"kind": "coupon_amount", "amount_rial": 1000, "charity_name": "x"}, "charity_name"),
        ({"kind": "coupon_percent"}, "percent"),
        ({"kind": "coupon_percent", "percent": 0}, "percent"),
        ({"kind": "coupon_percent", "percent": 101}, "percent"),
        ({"kind": "coupon_percent", "percent": 10, "amount_rial": 5}, "amount_rial"),
        ({"kind": "coupon_percent", "percent": 10, "cap_rial": 0}, "cap_rial"),
        ({"kind": "free_product"}, "sku"),
        ({"kind": "free_product", "sku": "   "}, "sku"),
        ({"kind": "free_product", "sku": "x" * 65}, "sku"),
        ({"kind": "gift_card"}, "amount_rial"),
        ({"kind": "gift_card", "amount_rial": 1000, "min_purchase_rial": 10}, "min_purchase_rial"),
        ({"kind": "partner_code", "stock": 10}, "stock"),
        ({"kind": "partner_code", "valid_days": 10}, "valid_days"),
        ({"kind": "charity"}, "charity_name"),
        ({"kind": "non_material", "sku": "A"}, "sku"),
        ({"kind": "lottery"}, "kind"),
        ({"kind": "non_material", "cost_points": -1}, "cost_points"),
        ({"kind": "non_material", "cost_points": 1.5}, "cost_points"),
        ({"kind": "non_material", "cost_points": True}, "cost_points"),
        ({"kind": "non_material", "stock": -1}, "stock"),
        ({"kind": "non_material", "per_member_limit": 0}, "per_member_limit"),
        ({"kind": "non_material", "valid_days": 0}, "valid_days"),
        ({"kind": "non_material", "member_kinds": ["robot"]}, "member_kinds"),
        ({"kind": "non_material", "tiers": ["diamond"]}, "tiers"),
        ({"kind": "non_material", "plans": [12345]}, "plans"),
        ({"kind": "non_material", "plans": ["1"]}, "plans"),
        ({"kind": "non_material", "starts_at": "2025-01-01"}, "starts_at"),
        ({"kind": "non_material", "name": ""}, "name"),
        ({"kind": "non_material", "name": "x" * 201}, "name"),
        ({"kind": "non_material", "active": "yes"}, "active"),
        ({"kind": "non_material", "colour": "red"}, "colour"),
    ],
)
def test_a_field_wrong_for_the_kind_is_refused(fields, field):
    fields = {"name": "جایزه", **fields}
    assert field in invalid(**fields)


def test_the_end_must_come_after_the_start():
    start = timezone.now()
    assert invalid(name="x", kind="non_material", starts_at=start, ends_at=start) == {
        "ends_at": "must be after starts_at"}


def test_tiers_plans_and_kinds_name_what_exists():
    Tier.objects.create(code="gold", name="طلایی", rank=2)
    plan = MembershipPlan.objects.create(name="VIP", fee_rial=1)
    reward = reward_create(name="x", kind="non_material", tiers=["gold", "gold"], plans=[plan.pk, plan.pk],
                           member_kinds=["person"])
    assert (reward.tiers, reward.plans, reward.member_kinds) == (["gold"], [plan.pk], ["person"])


def test_a_time_without_an_offset_is_tehran_time():
    reward = reward_create(name="x", kind="non_material", starts_at=datetime(2025, 3, 21, 0, 0))
    assert reward.starts_at == datetime(2025, 3, 21, 0, 0, tzinfo=TEHRAN)


def test_an_update_changes_only_what_is_given_and_is_checked_as_a_whole():
    reward = reward_create(name="تخفیف", kind="coupon_amount", amount_rial=100_000, cost_points=50)
    before = version()

    updated = reward_update(reward_id=reward.pk, cost_points=70, stock=3)
    assert (updated.cost_points, updated.stock, updated.amount_rial) == (70, 3, 100_000)
    assert version() == before + 1

    # changing the kind needs the new kind's fields, and leaves nothing of the old one
    with pytest.raises(ValidationFailed) as caught:
        reward_update(reward_id=reward.pk, kind="coupon_percent", percent=10)
    assert caught.value.details == {"amount_rial": "not used by a coupon_percent reward"}
    changed = reward_update(reward_id=str(reward.pk), kind="coupon_percent", percent=10, amount_rial=None)
    assert (changed.kind, changed.percent, changed.amount_rial) == ("coupon_percent", 10, None)
    reward.refresh_from_db()
    assert (reward.kind, reward.cost_points) == ("coupon_percent", 70)


@pytest.mark.parametrize("reward_id", [10**9, "abc", "0", -5])
def test_updating_an_unknown_reward_is_reward_not_found(reward_id):
    with pytest.raises(RewardNotFound) as caught:
        reward_update(reward_id=reward_id, cost_points=1)
    assert caught.value.details == {"reward_id": reward_id if isinstance(reward_id, int) else str(reward_id)}


def test_the_body_of_a_reward_is_the_one_json_shape():
    start = timezone.now() + timedelta(days=1)
    reward = reward_create(name="کارت هدیه", kind="gift_card", amount_rial=2_000_000, cost_points=800, stock=10,
                           per_member_limit=1, member_kinds=["person"], starts_at=start, valid_days=90,
                           description="برای خرید آنلاین")
    assert reward_body(reward) == {
        "id": reward.pk, "name": "کارت هدیه", "description": "برای خرید آنلاین", "kind": "gift_card",
        "active": True, "cost_points": 800, "amount_rial": 2_000_000, "percent": None, "cap_rial": None,
        "min_purchase_rial": 0, "sku": "", "stock": 10, "per_member_limit": 1, "tiers": [],
        "member_kinds": ["person"], "plans": [], "starts_at": start, "ends_at": None, "valid_days": 90,
        "charity_name": "", "ships": False, "available_codes": None,
    }


def test_a_partner_code_reward_shows_its_free_codes_without_a_query_each(django_assert_num_queries):
    rewards = [reward_create(name=f"کد {i}", kind="partner_code") for i in range(3)]
    partner_codes_upload(reward_id=rewards[0].pk, codes=["A1", "A2", "A3"])
    partner_codes_upload(reward_id=rewards[1].pk, codes=["B1"])
    with django_assert_num_queries(1):
        bodies = [reward_body(r) for r in reward_list()]
    assert [b["available_codes"] for b in bodies] == [3, 1, 0]
    assert reward_body(reward_get(reward_id=rewards[0].pk))["available_codes"] == 3
