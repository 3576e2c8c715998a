"""The till (POS): find by phone, quick join, checkout with points and a coupon, the receipt,
who may use it, and that every refused checkout leaves nothing behind.

Default program: 1 point per 10,000 Rials (1,000 Toman) of the net amount, a point worth 100 Rials."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vafa.commerce.models import Purchase, PurchaseItem
from vafa.commerce.services import purchase_record
from vafa.core.models import AuditEntry
from vafa.core.tests.fixtures import balance, db_state
from vafa.ledger.models import Account, Lot, Transfer
from vafa.members.models import Member
from vafa.members.services import member_status_set
from vafa.merchants.models import StaffProfile
from vafa.merchants.services import merchant_create
from vafa.merchants.staff import staff_create
from vafa.program.catalog import reward_create
from vafa.rewards.models import Coupon, CouponUse
from vafa.rewards.services import coupon_redeem, promo_code_create, reward_redeem
from vafa.usecases.points import member_adjust
from vafa.web.manage.pos_forms import new_external_id, toman_to_rials

pytestmark = pytest.mark.django_db

POS = reverse("manage:pos")
JOIN = reverse("manage:pos-join")


def member_url(member) -> str:
    return reverse("manage:pos-member", kwargs={"member_id": member.pk})


def receipt_url(purchase_id) -> str:
    return reverse("manage:pos-receipt", kwargs={"purchase_id": purchase_id})


@pytest.fixture
def staff_client(merchant):
    """A logged-in client for a new staff account of `role`, working for `merchant`."""
    made = {"n": 0}

    def make(role: str = "cashier", *, shop=None) -> Client:
        made["n"] += 1
        user = staff_create(username=f"{role}-{made['n']}", password="vafa-test-pass-1", role=role)
        StaffProfile.objects.filter(user=user).update(merchant=shop or merchant)
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def cashier(staff_client):
    return staff_client("cashier")


@pytest.fixture
def sara(member_factory):
    return member_factory(phone="09121234567", first_name="سارا", last_name="محمدی")


def give(member, merchant, points: int) -> None:
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=points, reason="opening balance")


SALE_WRITES = (Purchase, PurchaseItem, Account, Transfer, Lot, Coupon, CouponUse)  # what a sale may write


def checkout(client, member, **fields):
    data = {"amount": "250,000", "redeem_points": "", "coupon": "", "payment_method": "card",
            "external_id": new_external_id(), **fields}
    return client.post(member_url(member), data), data


def codes(response) -> list[str]:
    return re.findall(r'data-code="([a-z_]+)"', response.content.decode())


# --- parsing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "rials"), [
    ("250000", 2_500_000), ("250,000", 2_500_000), ("۲۵۰٬۰۰۰", 2_500_000), ("٢٥٠,٠٠٠", 2_500_000),
    (" 1 000 ", 10_000), ("۱۲۳۴۵", 123_450),
    ("0", None), ("", None), ("12.5", None), ("-5", None), ("abc", None), ("1e6", None),
])
def test_toman_is_typed_in_any_digits_and_kept_in_rials(typed, rials):
    assert toman_to_rials(typed) == rials


# --- find and join --------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["09121234567", "9121234567", "+989121234567", "00989121234567",
                                   "۰۹۱۲۱۲۳۴۵۶۷", "0912 123 4567", "٠٩١٢١٢٣٤٥٦٧"])
def test_a_member_is_found_by_phone_in_any_form(cashier, sara, typed):
    response = cashier.post(POS, {"phone": typed})

    assert response.status_code == 302
    assert response["Location"] == member_url(sara)


def _digits(html: str) -> str:
    from vafa.core.digits import to_ascii_digits

    return to_ascii_digits(html)


def test_a_cashier_sees_the_full_phone_only_of_a_member_they_looked_up(cashier, sara, member_factory, staff_client):
    other = member_factory(phone="09351112233")
    # Walking member ids gives masked numbers only
    walked = _digits(cashier.get(member_url(other)).content.decode())
    assert "1112233" not in walked and "0935***2233" in walked
    # The number the cashier typed is shown in full
    cashier.post(POS, {"phone": "09121234567"})
    found = _digits(cashier.get(member_url(sara)).content.decode())
    assert "09121234567" in found
    # A manager sees numbers anyway
    assert "09351112233" in _digits(staff_client("manager").get(member_url(other)).content.decode())


def test_the_till_opens_with_the_phone_field_focused(cashier):
    response = cashier.get(POS)

    assert response.status_code == 200
    html = response.content.decode()
    field = re.search(r"<input[^>]*name=\"phone\"[^>]*>", html).group(0)
    assert "autofocus" in field and 'accesskey="p"' in field
    assert '<label for="id_phone"' in html


def test_an_invalid_phone_is_422(cashier, sara):
    response = cashier.post(POS, {"phone": "12345"})

    assert response.status_code == 422
    assert codes(response) == ["invalid_phone"]


def test_an_unknown_phone_offers_the_quick_join_form_prefilled(cashier, sara):
    response = cashier.post(POS, {"phone": "+98 935 111 2233"})

    assert response.status_code == 200
    join_form = response.context["join_form"]
    assert join_form.initial == {"phone": "09351112233"}
    assert 'name="join-phone"' in response.content.decode()


def test_quick_join_creates_the_member_and_goes_on_to_the_checkout(cashier, merchant):
    response = cashier.post(JOIN, {"join-phone": "۰۹۳۵۱۱۱۲۲۳۳", "join-first_name": " رضا ", "join-last_name": ""})

    reza = Member.objects.get(phone="+989351112233")
    assert (reza.first_name, reza.last_name, reza.status, reza.merchant_id) == ("رضا", "", "active", merchant.pk)
    assert response.status_code == 302 and response["Location"] == member_url(reza) + "?joined=1"
    entry = AuditEntry.objects.get(action="pos.join")
    # The audit log keeps personal fields masked
    assert entry.target_id == str(reza.pk) and entry.after["phone"] == "+98935***2233"
    assert entry.target_label == "رضا (+98935***2233)"
    assert balance(reza) == 0


def test_quick_join_refuses_a_bad_or_taken_phone_and_creates_nothing(cashier, sara):
    bad = cashier.post(JOIN, {"join-phone": "0212345678", "join-first_name": "x"})
    taken = cashier.post(JOIN, {"join-phone": "09121234567", "join-first_name": "x"})

    assert bad.status_code == 422 and "invalid_phone" in codes(bad)
    assert taken.status_code == 409 and "member_exists" in codes(taken)
    assert Member.objects.count() == 1
    assert not AuditEntry.objects.filter(action="pos.join").exists()


def test_the_member_card_shows_points_value_tier_and_active_coupons(cashier, merchant, sara):
    give(sara, merchant, 1_234)
    reward = reward_create(name="10% off", kind="coupon_percent", cost_points=100, percent=10)
    redemption = reward_redeem(member_id=sara.pk, reward_id=reward.pk)
    used = reward_redeem(member_id=sara.pk, reward_id=redemption.reward_id)
    coupon_redeem(code=used.coupon.code, member_id=sara.pk, amount=1_000_000, merchant_id=merchant.pk)

    response = cashier.get(member_url(sara))

    assert response.status_code == 200
    info = response.context["info"]
    assert (info.available, info.value_rial) == (1_034, 103_400)
    assert [c.code for c in info.coupons] == [redemption.coupon.code]  # the used one is not offered
    html = response.content.decode()
    assert 'data-testid="available" data-value="1034"' in html
    assert "۱٬۰۳۴" in html and "۱۰٬۳۴۰ تومان" in html  # Persian digits, Toman
    assert redemption.coupon.code in html and used.coupon.code not in html
    amount = re.search(r"<input[^>]*name=\"amount\"[^>]*>", html).group(0)
    assert "autofocus" in amount and 'inputmode="numeric"' in amount


# --- preview and coupon check (htmx) --------------------------------------------------------------


def test_the_preview_shows_points_earned_and_what_to_pay(cashier, merchant, sara):
    give(sara, merchant, 500)

    response = cashier.get(reverse("manage:pos-preview", kwargs={"member_id": sara.pk}),
                           {"amount": "۲۵۰٬۰۰۰", "redeem_points": "100"})

    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.basket, preview.points_redeemed, preview.points_discount) == (2_500_000, 100, 10_000)
    assert (preview.points_earned, preview.to_pay, preview.max_redeem_points) == (249, 2_490_000, 500)
    assert 'data-points-earned="249"' in response.content.decode()


def test_the_preview_warns_about_more_points_than_available(cashier, merchant, sara):
    give(sara, merchant, 50)

    response = cashier.get(reverse("manage:pos-preview", kwargs={"member_id": sara.pk}),
                           {"amount": "250000", "redeem_points": "100"})

    assert response.status_code == 200
    assert codes(response) == ["insufficient_points"]


def test_the_preview_refuses_a_bad_amount(cashier, sara):
    url = reverse("manage:pos-preview", kwargs={"member_id": sara.pk})

    assert cashier.get(url, {"amount": ""}).context["empty"] is True
    bad = cashier.get(url, {"amount": "abc"})
    assert bad.status_code == 422 and codes(bad) == ["validation_error"]


def test_a_coupon_is_validated_against_the_amount(cashier, merchant, sara):
    promo_code_create(code="NOWRUZ", kind="amount", amount_rial=50_000, usage_limit=10, merchant_id=merchant.pk,
                      min_purchase_rial=1_000_000)
    url = reverse("manage:pos-coupon", kwargs={"member_id": sara.pk})

    ok = cashier.get(url, {"coupon": "nowruz", "amount": "250,000"})
    low = cashier.get(url, {"coupon": "NOWRUZ", "amount": "50,000"})
    unknown = cashier.get(url, {"coupon": "NOPE", "amount": "250,000"})
    no_amount = cashier.get(url, {"coupon": "NOWRUZ", "amount": ""})

    assert ok.status_code == 200 and ok.context["check"].discount == 50_000
    assert 'data-discount="50000"' in ok.content.decode()
    assert low.status_code == 409 and codes(low) == ["coupon_min_purchase"]
    assert unknown.status_code == 422 and codes(unknown) == ["coupon_not_found"]
    assert no_amount.status_code == 422 and codes(no_amount) == ["validation_error"]
    assert CouponUse.objects.count() == 0


# --- the checkout ---------------------------------------------------------------------------------


def test_a_purchase_earns_exactly_one_point_per_1000_toman(cashier, merchant, sara):
    response, data = checkout(cashier, sara, amount="250,000")

    purchase = Purchase.objects.get()
    assert response.status_code == 302 and response["Location"] == receipt_url(purchase.pk)
    assert (purchase.merchant_id, purchase.member_id, purchase.external_id) == (merchant.pk, sara.pk,
                                                                                data["external_id"])
    assert (purchase.amount, purchase.points_earned, purchase.points_redeemed) == (2_500_000, 250, 0)
    assert (purchase.balance_after, balance(sara)) == (250, 250)
    assert (purchase.channel, purchase.payment_method) == ("in_store", "card")
    entry = AuditEntry.objects.get(action="pos.purchase")
    assert entry.target_id == str(purchase.pk)
    assert entry.after == {"member": sara.pk, "external_id": data["external_id"], "basket": 2_500_000,
                           "coupon_discount": 0, "amount": 2_500_000, "points_redeemed": 0, "points_discount": 0,
                           "to_pay": 2_500_000, "points_earned": 250, "balance_after": 250, "payment_method": "card"}


def test_points_spent_in_the_same_checkout(cashier, merchant, sara):
    give(sara, merchant, 500)
    before = balance(sara)

    response, _ = checkout(cashier, sara, amount="۲۵۰٬۰۰۰", redeem_points="۱۰۰")

    purchase = Purchase.objects.get()
    assert response.status_code == 302
    assert (purchase.points_redeemed, purchase.discount) == (100, 100 * 100)  # spent x point value (Rials)
    assert purchase.points_earned == 249  # on 2,490,000 Rials after the points discount
    assert purchase.balance_after == balance(sara) == before - 100 + 249 == 649

    receipt = cashier.get(receipt_url(purchase.pk))
    assert receipt.status_code == 200
    html = receipt.content.decode()
    assert 'data-testid="receipt-points-discount" data-points="100" data-value="10000"' in html
    assert 'data-testid="receipt-to-pay" data-value="2490000"' in html
    assert 'data-testid="receipt-earned" data-value="249"' in html
    assert 'data-testid="receipt-balance" data-value="649"' in html
    assert "۶۴۹" in html and "۲۴۹٬۰۰۰ تومان" in html
    assert "0912***4567" in html or "۰۹۱۲***۴۵۶۷" in html
    assert "1234567" not in html  # the phone is masked


def test_the_receipt_adds_up_in_toman_when_a_discount_has_leftover_rials(cashier, merchant, sara):
    # 10% of 12,345 Toman is 12,345 Rials: 1,234 Toman and 5 Rials
    promo_code_create(code="TEN", kind="percent", percent=10, usage_limit=10, merchant_id=merchant.pk)
    response, _data = checkout(cashier, sara, amount="12,345", coupon="TEN")
    assert response.status_code == 302
    purchase = Purchase.objects.get()
    assert purchase.amount == 123_450 - 12_345
    html = _digits(cashier.get(receipt_url(purchase.pk)).content.decode())
    assert "12,345 " in html or "12٬345 " in html
    # shown: 12,345 - 1,234 = 11,111 Toman (the exact amount is 11,110.5)
    shown = re.search(r'data-testid="receipt-to-pay" data-value="111105">([^<]+)<', html).group(1)
    assert shown.replace("٬", ",").startswith("11,111")


def test_a_coupon_is_redeemed_with_the_purchase(cashier, merchant, sara):
    promo_code_create(code="NOWRUZ", kind="amount", amount_rial=50_000, usage_limit=10, merchant_id=merchant.pk)

    response, data = checkout(cashier, sara, amount="250,000", coupon="nowruz")

    purchase = Purchase.objects.get()
    use = CouponUse.objects.get()
    assert response.status_code == 302
    assert (use.coupon.code, use.member_id, use.amount, use.discount) == ("NOWRUZ", sara.pk, 2_500_000, 50_000)
    assert (use.reference, use.merchant_id) == (data["external_id"], merchant.pk)
    assert purchase.amount == 2_450_000  # what is owed after the coupon
    assert purchase.points_earned == 245
    assert Coupon.objects.get().used_count == 1
    coupon_entry = AuditEntry.objects.get(action="pos.coupon")
    assert coupon_entry.after["discount"] == 50_000 and coupon_entry.after["purchase"] == purchase.pk
    html = cashier.get(receipt_url(purchase.pk)).content.decode()
    assert 'data-testid="receipt-basket" data-value="2500000"' in html
    assert 'data-testid="receipt-coupon" data-value="50000"' in html
    assert 'data-testid="receipt-to-pay" data-value="2450000"' in html


def test_a_reward_coupon_and_points_in_one_checkout(cashier, merchant, sara):
    give(sara, merchant, 300)
    reward = reward_create(name="10% off", kind="coupon_percent", cost_points=100, percent=10)
    coupon = reward_redeem(member_id=sara.pk, reward_id=reward.pk).coupon

    response, _ = checkout(cashier, sara, amount="100,000", redeem_points="50", coupon=coupon.code.lower())

    purchase = Purchase.objects.get()
    assert response.status_code == 302
    # basket 1,000,000; coupon 10% = 100,000; owed 900,000; 50 points = 5,000; earns on 895,000
    assert (purchase.amount, purchase.discount, purchase.points_earned) == (900_000, 5_000, 89)
    assert balance(sara) == 300 - 100 - 50 + 89
    assert CouponUse.objects.get().discount == 100_000


@pytest.mark.parametrize(("fields", "status", "code"), [
    ({"amount": "abc"}, 422, "invalid"),
    ({"amount": "0"}, 422, "invalid"),
    ({"amount": "12.5"}, 422, "invalid"),
    ({"amount": ""}, 422, "required"),
    ({"redeem_points": "x"}, 422, "invalid"),
    ({"redeem_points": "501"}, 409, "insufficient_points"),
    ({"amount": "1,000", "redeem_points": "200"}, 422, "redeem_exceeds_amount"),
    ({"coupon": "NOPE"}, 422, "coupon_not_found"),
    ({"coupon": "USED1"}, 409, "coupon_exhausted"),
    ({"coupon": "OLD"}, 409, "coupon_expired"),
    ({"coupon": "BIG", "amount": "50,000"}, 409, "coupon_min_purchase"),
    ({"coupon": "MINE"}, 409, "coupon_not_for_member"),
    ({"external_id": "not-a-till-id"}, 422, "invalid"),
])
def test_a_refused_checkout_records_nothing(cashier, merchant, sara, member_factory, fields, status, code):
    give(sara, merchant, 500)
    now = timezone.now()
    promo_code_create(code="USED1", kind="amount", amount_rial=1_000, usage_limit=1, merchant_id=merchant.pk)
    coupon_redeem(code="USED1", amount=10_000, merchant_id=merchant.pk)
    promo_code_create(code="OLD", kind="amount", amount_rial=1_000, usage_limit=5, merchant_id=merchant.pk,
                      starts_at=now - timedelta(days=10), ends_at=now - timedelta(days=1))
    promo_code_create(code="BIG", kind="amount", amount_rial=1_000, usage_limit=5, merchant_id=merchant.pk,
                      min_purchase_rial=1_000_000)
    other = member_factory(phone="09351112233")
    give(other, merchant, 100)
    reward = reward_create(name="5,000 off", kind="coupon_amount", cost_points=100, amount_rial=50_000)
    mine = reward_redeem(member_id=other.pk, reward_id=reward.pk).coupon
    Coupon.objects.filter(pk=mine.pk).update(code="MINE")
    before, sara_balance = db_state(*SALE_WRITES), balance(sara)
    audits = AuditEntry.objects.count()

    response, _ = checkout(cashier, sara, **fields)

    assert response.status_code == status
    assert code in codes(response)
    assert db_state(*SALE_WRITES) == before
    assert balance(sara) == sara_balance
    assert AuditEntry.objects.count() == audits


def test_a_blocked_member_cannot_buy(cashier, merchant, sara):
    member_status_set(member=sara, status="blocked")
    before = db_state(*SALE_WRITES)

    response, _ = checkout(cashier, sara)

    assert response.status_code == 409 and "member_blocked" in codes(response)
    assert db_state(*SALE_WRITES) == before


def test_a_double_submit_records_one_purchase_and_shows_the_same_receipt(cashier, merchant, sara):
    promo_code_create(code="TWICE", kind="amount", amount_rial=10_000, usage_limit=5, merchant_id=merchant.pk)
    give(sara, merchant, 200)
    first, data = checkout(cashier, sara, redeem_points="100", coupon="TWICE")
    purchase = Purchase.objects.get()
    after_first = db_state(*SALE_WRITES)

    second = cashier.post(member_url(sara), data)

    assert first["Location"] == receipt_url(purchase.pk)
    assert second["Location"] == receipt_url(purchase.pk) + "?already=1"
    assert db_state(*SALE_WRITES) == after_first
    assert Coupon.objects.get(code="TWICE").used_count == 1
    assert balance(sara) == 200 - 100 + purchase.points_earned
    assert AuditEntry.objects.filter(action="pos.purchase").count() == 1
    assert 'data-testid="already"' in cashier.get(second["Location"]).content.decode()


def test_the_same_checkout_id_with_other_figures_is_refused(cashier, merchant, sara):
    _, data = checkout(cashier, sara)
    before = db_state(*SALE_WRITES)

    response = cashier.post(member_url(sara), {**data, "amount": "300,000"})

    assert response.status_code == 409 and "duplicate_external_id" in codes(response)
    assert db_state(*SALE_WRITES) == before


def test_a_coupon_used_by_another_till_meanwhile_rolls_the_purchase_back(cashier, merchant, sara, monkeypatch):
    """Validate-then-use race: the coupon's use decides, and the purchase goes with it."""
    from vafa.usecases import till

    promo_code_create(code="LAST", kind="amount", amount_rial=10_000, usage_limit=1, merchant_id=merchant.pk)
    give(sara, merchant, 200)
    real_validate = till.coupon_validate

    def validate_then_lose_the_race(**kwargs):
        check = real_validate(**kwargs)
        coupon_redeem(code="LAST", amount=2_500_000, merchant_id=merchant.pk, reference="other-till")
        return check

    monkeypatch.setattr(till, "coupon_validate", validate_then_lose_the_race)
    purchases, transfers = Purchase.objects.count(), Transfer.objects.count()

    response, _ = checkout(cashier, sara, redeem_points="100", coupon="LAST")

    assert response.status_code == 409 and "coupon_exhausted" in codes(response)
    # Everything of this checkout rolled back, the other till's use included (same transaction here).
    assert (Purchase.objects.count(), Transfer.objects.count()) == (purchases, transfers)
    assert balance(sara) == 200
    assert not AuditEntry.objects.filter(action__startswith="pos.").exists()


def test_a_till_without_a_shop_refuses_to_record(db, sara):
    user = staff_create(username="lonely", password="vafa-test-pass-1", role="cashier")
    client = Client()
    client.force_login(user)

    response, _ = checkout(client, sara)

    assert response.status_code == 409
    assert Purchase.objects.count() == 0


# --- the receipt ----------------------------------------------------------------------------------


def test_the_receipt_is_print_friendly_with_jalali_date_and_applied_rules(cashier, merchant, sara):
    _, _ = checkout(cashier, sara, amount="250,000")
    purchase = Purchase.objects.get()

    response = cashier.get(receipt_url(purchase.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert merchant.name in html
    assert re.search(r"[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}", html)  # Jalali, Persian digits
    assert 'data-rule="base"' in html
    assert "data-pos-print" in html and "onclick" not in html and "<script>" not in html
    assert 'href="/manage/pos/"' in html


def test_a_cashier_cannot_open_another_merchants_receipt(staff_client, merchant, sara):
    other_shop = merchant_create(name="Other shop")
    theirs = purchase_record(merchant_id=other_shop.pk, member_id=sara.pk, amount=1_000_000).purchase
    ours = purchase_record(merchant_id=merchant.pk, member_id=sara.pk, amount=1_000_000).purchase
    cashier = staff_client("cashier")

    assert cashier.get(receipt_url(theirs.pk)).status_code == 404
    assert cashier.get(receipt_url(ours.pk)).status_code == 200
    assert cashier.get(receipt_url(999_999)).status_code == 404
    assert staff_client("cashier", shop=other_shop).get(receipt_url(theirs.pk)).status_code == 200


# --- who may use the till -------------------------------------------------------------------------


def test_a_marketer_gets_403_on_every_pos_url(staff_client, merchant, sara):
    purchase = purchase_record(merchant_id=merchant.pk, member_id=sara.pk, amount=1_000_000).purchase
    marketer = staff_client("marketer")
    urls = [POS, f"{POS}?phone=09121234567", JOIN, member_url(sara),
            reverse("manage:pos-preview", kwargs={"member_id": sara.pk}) + "?amount=1000",
            reverse("manage:pos-coupon", kwargs={"member_id": sara.pk}) + "?coupon=X&amount=1000",
            receipt_url(purchase.pk)]
    before = db_state(*SALE_WRITES)

    for url in urls:
        assert marketer.get(url).status_code == 403, url
        assert marketer.post(url, {"amount": "1000", "external_id": new_external_id(),
                                   "payment_method": "card", "join-phone": "09351112233"}).status_code == 403, url
    assert db_state(*SALE_WRITES) == before
    assert Member.objects.count() == 1


@pytest.mark.parametrize("role", ["owner", "manager", "cashier"])
def test_till_roles_may_use_it(staff_client, sara, role):
    client = staff_client(role)

    assert client.get(POS).status_code == 200
    assert client.get(member_url(sara)).status_code == 200
    response, _ = checkout(client, sara)
    assert response.status_code == 302


def test_anonymous_is_sent_to_log_in(sara):
    response = Client().get(member_url(sara))

    assert response.status_code == 302 and response["Location"].startswith("/manage/login/")


def test_csrf_is_enforced_on_the_checkout(merchant, sara):
    user = staff_create(username="csrf-cashier", password="vafa-test-pass-1", role="cashier")
    StaffProfile.objects.filter(user=user).update(merchant=merchant)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    data = {"amount": "250,000", "payment_method": "card", "external_id": new_external_id()}

    refused = client.post(member_url(sara), data)
    refused_join = client.post(JOIN, {"join-phone": "09351112233"})

    assert refused.status_code == 403 and refused_join.status_code == 403
    assert Purchase.objects.count() == 0 and Member.objects.count() == 1

    page = client.get(member_url(sara))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    accepted = client.post(member_url(sara), {**data, "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302
    assert Purchase.objects.count() == 1


# --- a partner's till asks for the member's spend code ------------------------------------------


def test_a_partners_till_spends_points_only_with_the_members_code(staff_client, merchant, member):
    from vafa.members.models import SpendCode
    from vafa.members.services import spend_code_issue

    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=500, reason="set-up")
    partner = merchant_create(name="کافه شریک")
    client = staff_client("cashier", shop=partner)
    page = client.get(member_url(member)).content.decode()
    assert 'data-testid="member-code-field"' in page
    before = db_state(*SALE_WRITES)
    response, _data = checkout(client, member, redeem_points="100")
    assert response.status_code == 422  # the cashier asks the member and types it
    assert codes(response) == ["forbidden"] and db_state(*SALE_WRITES) == before
    response, _data = checkout(client, member, redeem_points="100", member_code="000000")
    assert response.status_code == 422 and db_state(*SALE_WRITES) == before
    _spend, code = spend_code_issue(member_id=member.pk, via="portal")
    response, _data = checkout(client, member, redeem_points="100", member_code=code)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert balance(member) == 500 - 100 + 249  # 2,500,000 Rials less 10,000 of points earns 249
    assert SpendCode.objects.get(via="portal").used_by_id == partner.pk
    # earning alone needs no code
    response, _data = checkout(client, member)
    assert response.status_code == 302


def test_the_operators_till_asks_no_code(staff_client, member, merchant):
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=500, reason="set-up")
    client = staff_client("cashier")
    assert 'data-testid="member-code-field"' not in client.get(member_url(member)).content.decode()
    response, _data = checkout(client, member, redeem_points="100")
    assert response.status_code == 302
