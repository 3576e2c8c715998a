"""Coupons and promo codes: the discount they give, every reason they are refused, and that a
use is counted exactly once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from vafa.core.errors import (
    CouponExhausted,
    CouponExists,
    CouponExpired,
    CouponMinPurchase,
    CouponNotForMember,
    CouponNotFound,
    CouponUsed,
    MemberNotFound,
    ValidationFailed,
)
from vafa.core.tests import fixtures
from vafa.core.tests.fixtures import REWARD_WRITES, db_state
from vafa.rewards import codes
from vafa.rewards.models import Coupon, CouponUse
from vafa.rewards.services import coupon_redeem, coupon_validate, promo_code_create, reward_redeem

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def promo(merchant, **fields) -> Coupon:
    fields = {"code": "NOWRUZ1404", "kind": "amount", "amount_rial": 200_000, "usage_limit": 10, **fields}
    return promo_code_create(merchant_id=merchant.pk, **fields)


def personal(member, merchant, make_reward, kind="coupon_amount", **fields) -> Coupon:
    reward = make_reward(kind, cost_points=0, **fields)
    return reward_redeem(member_id=member.pk, reward_id=reward.pk, merchant_id=merchant.pk).coupon


def use(code, merchant, amount=5_000_000, member=None, **kwargs) -> CouponUse:
    return coupon_redeem(code=code, amount=amount, merchant_id=merchant.pk,
                         member_id=member.pk if member else None, **kwargs)


def refused(error, code, merchant, amount=5_000_000, member=None):
    """Both validate and redeem refuse it, and neither changes anything."""
    with fixtures.refused(error, *REWARD_WRITES) as validating:
        coupon_validate(code=code, member_id=member.pk if member else None, amount=amount)
    with fixtures.refused(error, *REWARD_WRITES, atomic=True) as redeeming:
        use(code, merchant, amount, member)
    assert validating.value.details == redeeming.value.details
    return redeeming.value


# --- codes ------------------------------------------------------------------------------------------


def test_generated_codes_are_short_unambiguous_and_grouped():
    code = codes.new_coupon_code()
    assert len(code) == 8 and not set(code) & set("0O1IL5S2Z")
    assert codes.grouped("ABCDEFGH") == "ABCD-EFGH"
    assert codes.grouped("ABCDEFGHJKMN") == "ABCD-EFGH-JKMN"


@pytest.mark.parametrize("typed", ["abcd-efgh", " ABCD EFGH ", "ab cd\u200cef–gh", "ABCD_EFGH", "abcd\tefgh"])
def test_what_people_type_is_normalised(typed):
    assert codes.normalize(typed) == "ABCDEFGH"


def test_persian_and_arabic_digits_become_ascii():
    assert codes.normalize("nowruz ۱۴۰۴") == codes.normalize("NOWRUZ-١٤٠٤") == "NOWRUZ1404"


# --- discounts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, amount, discount",
    [
        ({"kind": "amount", "amount_rial": 200_000}, 5_000_000, 200_000),
        ({"kind": "amount", "amount_rial": 200_000}, 150_000, 150_000),  # never more than the basket
        ({"kind": "amount", "amount_rial": 200_000}, 0, 0),
        ({"kind": "percent", "percent": 15, "amount_rial": None}, 1_000_000, 150_000),
        ({"kind": "percent", "percent": 15, "amount_rial": None}, 333_333, 49_999),  # rounded down
        ({"kind": "percent", "percent": 15, "cap_rial": 100_000, "amount_rial": None}, 1_000_000, 100_000),
        ({"kind": "percent", "percent": 100, "amount_rial": None}, 777, 777),
        ({"kind": "free_product", "sku": "TEA-1", "amount_rial": 90_000}, 1_000_000, 90_000),
        ({"kind": "free_product", "sku": "TEA-1", "amount_rial": 90_000}, 50_000, 50_000),
        ({"kind": "free_product", "sku": "TEA-1", "amount_rial": None}, 1_000_000, 0),
    ],
)
def test_the_discount_of_each_kind(merchant, fields, amount, discount):
    coupon = promo(merchant, **fields)
    check = coupon_validate(code="nowruz-1404", amount=amount)
    assert (check.discount, check.coupon) == (discount, coupon)
    assert use("NOWRUZ 1404", merchant, amount).discount == discount


def test_validating_writes_nothing(merchant, member):
    promo(merchant, usage_limit=1)
    before = db_state(*REWARD_WRITES)
    for _ in range(3):
        assert coupon_validate(code="NOWRUZ1404", member_id=member.pk, amount=1_000_000).discount == 200_000
    assert db_state(*REWARD_WRITES) == before


# --- a use ----------------------------------------------------------------------------------------------


def test_a_use_is_counted_and_recorded(merchant, member):
    coupon = promo(merchant, usage_limit=3)
    used = use("nowruz1404", merchant, 2_500_000, member, reference="INV-77")
    assert (used.coupon, used.member_id, used.amount, used.discount, used.reference, used.merchant_id) == (
        coupon, member.pk, 2_500_000, 200_000, "INV-77", merchant.pk)
    coupon.refresh_from_db()
    assert coupon.used_count == 1


def test_a_personal_coupon_is_used_once(member, merchant, make_reward):
    coupon = personal(member, merchant, make_reward)
    assert use(codes.grouped(coupon.code).lower(), merchant, member=member).discount == 500_000
    error = refused(CouponUsed, coupon.code, merchant, member=member)
    assert error.details == {"code": coupon.code}


def test_a_personal_coupon_without_a_named_member_is_the_bearers(member, merchant, make_reward):
    coupon = personal(member, merchant, make_reward)
    assert use(coupon.code, merchant).member_id is None


def test_a_personal_coupon_of_another_member_is_refused(member, member_factory, merchant, make_reward):
    coupon = personal(member, merchant, make_reward)
    refused(CouponNotForMember, coupon.code, merchant, member=member_factory())


def test_a_promo_code_at_its_limit_is_exhausted(merchant, member_factory):
    promo(merchant, usage_limit=2)
    use("NOWRUZ1404", merchant, member=member_factory())
    use("NOWRUZ1404", merchant, member=member_factory())
    error = refused(CouponExhausted, "NOWRUZ1404", merchant, member=member_factory())
    assert error.details == {"code": "NOWRUZ1404", "usage_limit": 2}


def test_a_promo_codes_limit_per_member(merchant, member, member_factory):
    promo(merchant, usage_limit=10, per_member_limit=2)
    use("NOWRUZ1404", merchant, member=member)
    use("NOWRUZ1404", merchant, member=member)
    error = refused(CouponUsed, "NOWRUZ1404", merchant, member=member)
    assert error.details == {"code": "NOWRUZ1404", "per_member_limit": 2}
    assert use("NOWRUZ1404", merchant, member=member_factory()).discount == 200_000


def test_below_the_minimum_purchase(merchant):
    promo(merchant, min_purchase_rial=1_000_000)
    error = refused(CouponMinPurchase, "NOWRUZ1404", merchant, amount=999_999)
    assert error.details == {"code": "NOWRUZ1404", "min_purchase_rial": 1_000_000}
    assert use("NOWRUZ1404", merchant, amount=1_000_000).discount == 200_000


def test_outside_its_dates_a_code_is_expired(merchant, member, make_reward):
    now = timezone.now()
    promo(merchant, code="SOON", starts_at=now + DAY)
    refused(CouponExpired, "SOON", merchant)
    promo(merchant, code="OVER", ends_at=now - DAY)
    error = refused(CouponExpired, "OVER", merchant)
    assert error.details["expires_at"] == Coupon.objects.get(code="OVER").expires_at.isoformat()
    # a personal coupon past its valid days
    coupon = personal(member, merchant, make_reward, valid_days=1)
    Coupon.objects.filter(pk=coupon.pk).update(expires_at=now - timedelta(seconds=1))
    refused(CouponExpired, coupon.code, merchant, member=member)


@pytest.mark.parametrize("code", ["NOPE1234", "", "   ", "x" * 64])
def test_an_unknown_code_is_coupon_not_found(merchant, code):
    promo(merchant)
    refused(CouponNotFound, code, merchant)


def test_an_unknown_member_is_member_not_found(merchant):
    promo(merchant)
    refused(MemberNotFound, "NOWRUZ1404", merchant, member=type("Ghost", (), {"pk": 10**9})())


@pytest.mark.parametrize("amount", [-1, 10**15 + 1, 1.5, True, "1000", None])
def test_the_amount_is_whole_rials(merchant, amount):
    promo(merchant)
    error = refused(ValidationFailed, "NOWRUZ1404", merchant, amount=amount)
    assert set(error.details) == {"amount"}


def test_a_long_reference_is_refused(merchant):
    promo(merchant)
    with fixtures.refused(ValidationFailed, *REWARD_WRITES):
        use("NOWRUZ1404", merchant, reference="r" * 101)


# --- promo codes -------------------------------------------------------------------------------------------


def test_a_promo_code_is_stored_normalised(merchant):
    start, end = timezone.now(), timezone.now() + 10 * DAY
    coupon = promo_code_create(code="yalda-۱۴۰۳", kind="coupon_percent", percent=30, cap_rial=500_000,
                               usage_limit=100, per_member_limit=1, min_purchase_rial=2_000_000,
                               starts_at=start, ends_at=end, merchant_id=merchant.pk)
    assert {f: getattr(coupon, f) for f in ("code", "kind", "percent", "cap_rial", "usage_limit", "per_member_limit",
                                            "min_purchase_rial", "starts_at", "expires_at", "is_promo", "member_id",
                                            "merchant_id", "used_count")} == {
        "code": "YALDA1403", "kind": "percent", "percent": 30, "cap_rial": 500_000, "usage_limit": 100,
        "per_member_limit": 1, "min_purchase_rial": 2_000_000, "starts_at": start, "expires_at": end,
        "is_promo": True, "member_id": None, "merchant_id": merchant.pk, "used_count": 0}


def test_an_existing_code_is_coupon_exists(merchant):
    promo(merchant)
    with pytest.raises(CouponExists) as caught:
        promo(merchant, code="nowruz 1404")
    assert caught.value.details == {"code": "NOWRUZ1404"}
    assert Coupon.objects.count() == 1


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"code": "AB"}, "code"),
        ({"code": "A" * 33}, "code"),
        ({"code": "نوروز"}, "code"),
        ({"code": "HELLO!"}, "code"),
        ({"kind": "gift"}, "kind"),
        ({"usage_limit": 0}, "usage_limit"),
        ({"usage_limit": None}, "usage_limit"),
        ({"per_member_limit": 11}, "per_member_limit"),
        ({"amount_rial": None}, "amount_rial"),
        ({"amount_rial": 0}, "amount_rial"),
        ({"percent": 10}, "amount_rial"),
        ({"kind": "percent", "amount_rial": None}, "percent"),
        ({"kind": "percent", "amount_rial": None, "percent": 101}, "percent"),
        ({"kind": "free_product"}, "sku"),
        ({"min_purchase_rial": -1}, "min_purchase_rial"),
        ({"starts_at": timezone.now(), "ends_at": timezone.now() - DAY}, "ends_at"),
    ],
)
def test_a_wrong_promo_code_is_refused(merchant, fields, field):
    with pytest.raises(ValidationFailed) as caught:
        promo(merchant, **fields)
    assert set(caught.value.details) == {field}
    assert Coupon.objects.count() == 0


@pytest.mark.parametrize("late", ["9999-12-31T23:59:59-05:00", "2201-01-01T00:00:00+03:30"])
def test_dates_no_database_can_read_back_are_refused(api, late):
    from vafa.api.tests.test_api_errors import assert_error

    assert_error(api.post("/promo-codes", {"code": "LATE1", "kind": "amount", "amount_rial": 1000, "usage_limit": 5,
                                           "ends_at": late}), 422, "validation_error")
    reward = api.post("/program/rewards", {"name": "ok", "kind": "coupon_amount", "amount_rial": 1000,
                                           "cost_points": 1}).json()
    assert_error(api.patch(f"/program/rewards/{reward['id']}", {"ends_at": late}), 422, "validation_error")
    assert api.get("/program/rewards").status_code == 200
    assert Coupon.objects.count() == 0


@pytest.mark.parametrize(("path", "code"), [("/gift-cards/A%00B", "gift_card_not_found"),
                                            ("/program/tiers/gold%00", "tier_not_found")])
def test_a_nul_character_in_a_code_is_not_found(api, path, code):
    from vafa.api.tests.test_api_errors import assert_error

    assert_error(api.get(path), 404, code)
