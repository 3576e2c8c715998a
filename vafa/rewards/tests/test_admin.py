"""Rewards in the admin: the catalogue is edited through the catalogue's own checks; staff
create promo codes; redemptions, coupons, gift cards and partner codes are only shown, with
gift card and partner codes masked."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from vafa.program.models import ProgramSettings, Reward
from vafa.rewards.admin import mask
from vafa.rewards.models import Coupon, GiftCard, PartnerCode, Redemption
from vafa.rewards.services import partner_codes_upload, reward_redeem

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at")]


@pytest.fixture
def staff(client, db):
    user = get_user_model().objects.create_superuser(username="root", email="root@example.com", password=None)
    client.force_login(user)
    return client


def url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


REWARD_FORM = {"name": "کارت هدیه", "description": "", "kind": "gift_card", "active": "on", "cost_points": "500",
               "amount_rial": "1000000", "percent": "", "cap_rial": "", "min_purchase_rial": "0", "sku": "",
               "valid_days": "90", "charity_name": "", "stock": "", "per_member_limit": "", "starts_at_0": "",
               "starts_at_1": "", "ends_at_0": "", "ends_at_1": ""}


def test_a_reward_is_added_in_the_admin_through_the_catalogue(staff):
    ProgramSettings.objects.get_or_create(pk=1)
    version = ProgramSettings.objects.get(pk=1).version
    response = staff.post(url(Reward, "add"), {**REWARD_FORM, "member_kinds": ["person"]})
    assert response.status_code == 302, response.content.decode()[:3000]
    reward = Reward.objects.get()
    assert (reward.kind, reward.amount_rial, reward.cost_points, reward.valid_days, reward.member_kinds) == (
        "gift_card", 1_000_000, 500, 90, ["person"])
    assert ProgramSettings.objects.get(pk=1).version == version + 1
    # and changed
    response = staff.post(url(Reward, "change", reward.pk), {**REWARD_FORM, "cost_points": "650"})
    assert response.status_code == 302
    reward.refresh_from_db()
    assert (reward.cost_points, reward.member_kinds) == (650, [])
    assert ProgramSettings.objects.get(pk=1).version == version + 2


def test_the_admin_refuses_a_field_the_kind_does_not_use(staff):
    response = staff.post(url(Reward, "add"), {**REWARD_FORM, "percent": "10"})
    assert response.status_code == 200
    assert "not used by a gift_card reward" in response.content.decode()
    assert not Reward.objects.exists()


def test_staff_create_a_promo_code_in_the_admin(staff, merchant):
    response = staff.post(url(Coupon, "add"), {
        "code": "yalda 1403", "kind": "percent", "percent": "20", "cap_rial": "500000", "amount_rial": "",
        "min_purchase_rial": "0", "sku": "", "usage_limit": "100", "per_member_limit": "1", "merchant": merchant.pk,
        "starts_at_0": "", "starts_at_1": "", "expires_at_0": "", "expires_at_1": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    coupon = Coupon.objects.get()
    assert (coupon.code, coupon.kind, coupon.percent, coupon.usage_limit, coupon.is_promo, coupon.merchant_id) == (
        "YALDA1403", "percent", 20, 100, True, merchant.pk)
    # the same code again is refused on the form
    response = staff.post(url(Coupon, "add"), {
        "code": "YALDA-1403", "kind": "amount", "amount_rial": "1000", "percent": "", "cap_rial": "",
        "min_purchase_rial": "0", "sku": "", "usage_limit": "1", "per_member_limit": "", "merchant": "",
        "starts_at_0": "", "starts_at_1": "", "expires_at_0": "", "expires_at_1": ""})
    assert response.status_code == 200
    assert Coupon.objects.count() == 1


def test_every_rewards_page_shows_and_masks_codes(staff, member, merchant, make_reward):
    pool = make_reward("partner_code", cost_points=0)
    partner_codes_upload(reward_id=pool.pk, codes=["SECRET-NETFLIX-CODE"])
    reward_redeem(member_id=member.pk, reward_id=pool.pk, merchant_id=merchant.pk)
    card = reward_redeem(member_id=member.pk, reward_id=make_reward("gift_card", cost_points=0).pk).gift_card
    reward_redeem(member_id=member.pk, reward_id=make_reward("coupon_amount", cost_points=0).pk)
    for model in (Reward, Redemption, Coupon, GiftCard, PartnerCode):
        page = staff.get(url(model, "changelist"))
        assert page.status_code == 200, model
        assert "SECRET-NETFLIX-CODE" not in page.content.decode()
        assert card.code not in page.content.decode()
        obj = model.objects.first()
        detail = staff.get(url(model, "change", obj.pk))
        assert detail.status_code == 200, model
        assert "SECRET-NETFLIX-CODE" not in detail.content.decode()
    assert mask("SECRET-NETFLIX-CODE") == "SE********DE"
    assert staff.get(url(Coupon, "add")).status_code == 200
    assert staff.get(url(Reward, "add")).status_code == 200
    for model in (Redemption, GiftCard, PartnerCode):
        assert staff.get(url(model, "add")).status_code == 403


def test_staff_upload_a_pool_of_partner_codes_in_the_admin(staff, make_reward):
    # Given a partner-code reward with one code in its pool
    reward = make_reward("partner_code")
    partner_codes_upload(reward_id=reward.pk, codes=["OLD-1"])
    assert 'href="/admin/rewards/partnercode/upload/"' in staff.get(url(PartnerCode, "changelist")).content.decode()
    # When staff paste codes, with a repeat and one already in the pool
    response = staff.post("/admin/rewards/partnercode/upload/",
                          {"reward": reward.pk, "codes": "NEW-1\n  NEW-2 \n\nNEW-1\nOLD-1\n"})
    # Then the new ones are added, once each
    assert response.status_code == 302
    assert sorted(PartnerCode.objects.values_list("code", flat=True)) == ["NEW-1", "NEW-2", "OLD-1"]
    # And the audit log has the upload by count, never the codes themselves
    from vafa.core.models import AuditEntry

    entry = AuditEntry.objects.get(action="admin.upload_codes")
    assert (entry.target_type, entry.after) == ("rewards.partnercode", {"added": 2, "lines": 4})


def test_a_partner_code_upload_that_is_refused_changes_nothing(staff, make_reward):
    reward = make_reward("partner_code")
    other = make_reward("coupon_amount")
    page = staff.post("/admin/rewards/partnercode/upload/", {"reward": reward.pk, "codes": "x" * 300})
    assert page.status_code == 200 and "codes" in page.context["form"].errors
    wrong_kind = staff.post("/admin/rewards/partnercode/upload/", {"reward": other.pk, "codes": "A"})
    assert wrong_kind.status_code == 200 and "reward" in wrong_kind.context["form"].errors
    assert PartnerCode.objects.count() == 0


def test_the_partner_code_upload_needs_the_permission(client, db):
    user = get_user_model().objects.create_user(username="clerk", password=None, is_staff=True)
    client.force_login(user)
    assert client.get("/admin/rewards/partnercode/upload/").status_code == 403
