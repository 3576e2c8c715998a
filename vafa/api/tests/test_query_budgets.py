"""Query budgets of the hot endpoints: the exact number of SQL statements one request runs today,
measured through the real URL stack (Django's test client), and that the number does not grow
with the basket or the club. A change that adds a statement fails here and has to say why in
the budget; raw SQL (vafa/core/sql.py) is kept to the paths where these numbers showed it matters.

Counted as in production: the tests commit (transaction=True), so the code's atomic blocks are
real transactions rather than savepoints inside a test's; BEGIN and COMMIT, which Django logs on
SQLite and not on PostgreSQL, are not counted (`statements`), and both databases give the same
numbers. Each test first makes one request of the same kind, so the per-process caches (system
account ids, the live rules by the program's version) are warm, as in a running server. The
programme is the default one: no rules, tiers or paid plans (those cost more: see
vafa/commerce/tests/test_purchase_queries.py).

Why the numbers are what they are:

- POST /purchases, an earn sent with an Idempotency-Key: 10. The API key; is the external_id
  new; the member's account row lock (joined with the member: status, kind, referrer); the
  program settings (one row, which also says whether the cached rules are current); the
  purchase; its items (one INSERT of all rows); the transfers (one INSERT); the new lot; the
  cached balance; the idempotency record. Spending points adds the open lots, the lot uses (which
  lots it took from, one INSERT) and their UPDATE ... CASE (13, test_purchase_queries.py).
- GET /members?phone=: 6. The API key; the member by phone; the answer's rows with the account and score;
  their consents and interests (two prefetches); the program settings (the tier status).
- GET /members/{id}/points: 5. The API key; the member; the account; the lots' sums by state
  (one query); the program settings (the points' value in Rials).
- POST /checkout/preview: 14. The API key; the member; the settings; the points (account and
  lots); then the rewards and coupons that apply read the member, tier and paid plan, the points
  again, the rewards, the member's redemptions per reward, the member again and the coupons.
  Reading the member three times and the points twice is what the catalogue's and the
  preview's own selectors cost; one shared read would save four.
- POST /coupons/validate (no key: it writes nothing): 3. The API key, the member, the coupon.
- POST /coupons/redeem with an Idempotency-Key: 9. The API key; the member; a savepoint (the use
  is its own atomic block, so the till can undo it with the sale); the coupon; the guarded
  UPDATE of its use count; the use; the savepoint's release; the audit entry naming the key; the
  idempotency record.
- The till's sale (POST /manage/pos/member/{id}/, points spent, no coupon): 24. The session,
  the user and the staff profile; what the page shows of the member (the member, the account
  and lots, the settings for the points' value, the member again with their coupons, the
  settings for the tier); the member once more; then in the transaction the replay check by the
  form's checkout id, the settings (the most points the amount allows), the external_id check,
  the account row lock, the settings, the open lots, the purchase (no items at the till), the
  transfers, the new lot, the lot uses, the consumed lots' UPDATE ... CASE, the balance and the
  audit entry.
  The settings row is read four times and the member three times over the request.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vafa.core.tests.fixtures import statements
from vafa.ledger.models import Lot
from vafa.ledger.services import points_adjust
from vafa.merchants.models import StaffProfile
from vafa.merchants.staff import staff_create
from vafa.program.catalog import reward_create
from vafa.rewards.services import coupon_redeem, promo_code_create, reward_redeem
from vafa.web.manage.pos_forms import new_external_id

pytestmark = pytest.mark.django_db(transaction=True)

DAY = timedelta(days=1)


def counted(call):
    """The response of `call`, the statements it ran, and their SQL (for a failure's message)."""
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    return response, statements(ctx), [q["sql"][:160] for q in ctx.captured_queries]


def items(n: int) -> list[dict]:
    return [{"sku": f"SKU-{i}", "category": "tea", "quantity": 1 + i % 3, "unit_price": 100_000} for i in range(n)]


def give(member, merchant, points: int, *, expires_at=None) -> None:
    points_adjust(member_id=member.pk, points=points, reason="test set-up", merchant_id=merchant.pk,
                  expires_at=expires_at)


# --- the API ---------------------------------------------------------------------------------------


def test_a_purchase_costs_10_statements_whatever_its_number_of_items(api, member):
    def buy(n_items: int, ref: str):
        body = {"phone": member.phone, "external_id": ref, "amount": 5_000_000, "items": items(n_items)}
        return api.post("/purchases", body, headers={"Idempotency-Key": ref})

    assert buy(1, "warm-up").status_code == 201
    found = []
    for n_items in (1, 20):
        response, n, sqls = counted(lambda n_items=n_items: buy(n_items, f"order-{n_items}"))
        assert response.status_code == 201, response.content
        assert response.json()["points_earned"] == 500
        found.append((n, sqls))
    assert [n for n, _ in found] == [10, 10], found


def test_finding_a_member_by_phone_costs_6_statements_whatever_the_size_of_the_club(api, member, member_factory):
    def find():
        return api.get(f"/members?phone={member.phone}")

    assert find().status_code == 200
    response, small, sqls = counted(find)
    assert (response.status_code, [m["id"] for m in response.json()]) == (200, [member.pk])
    for _ in range(29):
        member_factory()
    response, large, _ = counted(find)
    assert (response.status_code, [m["id"] for m in response.json()]) == (200, [member.pk])
    assert (small, large) == (6, 6), sqls


def test_a_members_points_cost_5_statements_whatever_their_number_of_lots(api, member, merchant):
    now = timezone.now()
    give(member, merchant, 10, expires_at=now + 5 * DAY)

    def points():
        return api.get(f"/members/{member.pk}/points")

    assert points().status_code == 200
    response, one_lot, sqls = counted(points)
    assert response.json()["balance"] == 10
    for i in range(29):
        give(member, merchant, 10, expires_at=now + (6 + i) * DAY)
    response, many_lots, _ = counted(points)
    assert response.json()["balance"] == 300
    assert (one_lot, many_lots) == (5, 5), sqls


def test_a_checkout_preview_costs_14_statements_whatever_the_basket_and_the_rewards(api, member, merchant):
    give(member, merchant, 5_000)

    def offer(name: str) -> None:  # a reward the member can afford, and a coupon they already hold
        reward = reward_create(name=name, kind="coupon_amount", cost_points=100, amount_rial=10_000)
        reward_redeem(member_id=member.pk, reward_id=reward.pk, merchant_id=merchant.pk)

    def preview(n_items: int):
        return api.post("/checkout/preview", {"member_id": member.pk, "amount": 5_000_000, "items": items(n_items)})

    offer("چای")
    assert preview(1).status_code == 200
    found = []
    for n_items in (1, 20):
        response, n, sqls = counted(lambda n_items=n_items: preview(n_items))
        assert response.status_code == 200, response.content
        found.append((n, sqls))
    for i in range(10):
        offer(f"قهوه {i}")
    response, n, sqls = counted(lambda: preview(20))
    assert (len(response.json()["rewards"]), len(response.json()["coupons"])) == (11, 11)
    found.append((n, sqls))
    assert [n for n, _ in found] == [14, 14, 14], found


def test_validating_and_redeeming_a_coupon_cost_3_and_9_statements_whatever_its_uses(api, member, merchant):
    # (the redemption's 9 include its audit entry: every API write but the ledger's names its key)
    promo_code_create(merchant_id=merchant.pk, code="NOWRUZ1404", kind="amount", amount_rial=10_000, usage_limit=100)
    body = {"code": "NOWRUZ1404", "amount": 1_000_000, "member_id": member.pk}

    def validate():
        return api.post("/coupons/validate", body)

    def redeem(key: str):
        return api.post("/coupons/redeem", body, headers={"Idempotency-Key": key})

    assert validate().status_code == 200
    assert redeem("warm-up").status_code == 201
    found = []
    for uses in (1, 21):
        response, n_validate, validate_sqls = counted(validate)
        assert response.status_code == 200, response.content
        response, n_redeem, redeem_sqls = counted(lambda uses=uses: redeem(f"use-{uses}"))
        assert (response.status_code, response.json()["used_count"]) == (201, uses + 1)
        found.append(((n_validate, n_redeem), validate_sqls, redeem_sqls))
        for _ in range(19):
            coupon_redeem(code="NOWRUZ1404", amount=1_000_000, merchant_id=merchant.pk, member_id=member.pk)
    assert [n for n, *_ in found] == [(3, 9), (3, 9)], found


# --- the till ----------------------------------------------------------------------------------------


def test_a_sale_at_the_till_costs_24_statements_whatever_the_lots_it_spends(merchant, member):
    # Given a cashier of the merchant, logged in, and a member with 1,000 points in one lot
    user = staff_create(username="cashier-1", password="vafa-test-pass-1", role="cashier")
    StaffProfile.objects.filter(user=user).update(merchant=merchant)
    cashier = Client()
    cashier.force_login(user)
    give(member, merchant, 1_000)
    url = reverse("manage:pos-member", kwargs={"member_id": member.pk})

    def sell(points: int):
        return cashier.post(url, {"amount": "250,000", "redeem_points": str(points), "coupon": "",
                                  "payment_method": "card", "external_id": new_external_id()})

    assert sell(10).status_code == 302
    # When a sale spends points from that one lot, and then one spends from 30 lots
    response, one_lot, sqls = counted(lambda: sell(10))
    assert response.status_code == 302, response.content
    for i in range(29):
        give(member, merchant, 1, expires_at=timezone.now() + (3 + i) * DAY)  # spent before the big lot
    response, many_lots, _ = counted(lambda: sell(40))
    assert response.status_code == 302, response.content
    assert Lot.objects.filter(account__member=member, amount=1, remaining=0).count() == 29
    # Then each costs the same 24 statements, the audit entry and the lots it used included
    assert (one_lot, many_lots) == (24, 24), sqls
