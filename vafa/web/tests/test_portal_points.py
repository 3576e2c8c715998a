"""The member's home figures and the history with the reason of every line."""

from datetime import timedelta

import pytest
from django.utils import timezone

from vafa.commerce.services import purchase_record, refund_record
from vafa.core.jalali import add_months, format_jalali_date
from vafa.ledger.models import Lot
from vafa.ledger.services import points_expire
from vafa.member_events.services import event_record
from vafa.program.catalog import reward_create
from vafa.program.models import ProgramSettings
from vafa.program.rules import rule_create, tier_create
from vafa.rewards.services import reward_redeem
from vafa.usecases.points import member_adjust
from vafa.web.tests.test_portal_helpers import log_in


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_home_shows_balance_toman_value_pending_and_expiring_dates(client, merchant, member):
    # given pending days of 14, an old purchase (125 points, expiring within 90 days) and a new one (50 pending)
    ProgramSettings.objects.update_or_create(pk=1, defaults={"pending_days": 14})
    now = timezone.now()
    old_at = now - timedelta(days=300)
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_250_000, occurred_at=old_at)
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=500_000)
    log_in(client, member)
    # when the member opens home
    page = body(client.get("/"))
    # then: 175 points worth 175 x 100 Rials = 1,750 Toman, 50 pending, 125 expiring a year after the purchase
    assert 'data-testid="balance">۱۷۵<' in page
    assert 'data-testid="value">۱٬۷۵۰ تومان<' in page
    assert 'data-testid="pending">۵۰<' in page
    expiry = Lot.objects.get(account__member=member, amount=125).expires_at
    assert expiry == add_months(old_at, 12)
    assert format_jalali_date(expiry) in page.split('data-testid="expiring"')[1].split("</ul>")[0]
    assert "۱۲۵" in page.split('data-testid="expiring"')[1].split("</ul>")[0]


def test_home_in_english_has_ascii_figures(client, merchant, member, settings):
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_250_000)
    log_in(client, member)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = body(client.get("/"))
    assert 'data-testid="balance">125<' in page and 'data-testid="value">1,250 Toman<' in page
    assert 'lang="en"' in page and 'dir="ltr"' in page


def test_home_shows_the_tier_progress_and_what_remains(client, merchant, member):
    tier_create(data={"code": "silver", "name": "Silver", "rank": 1, "qualify": {"by": "spend", "threshold": 0}})
    tier_create(data={"code": "gold", "name": "Gold", "rank": 2,
                      "qualify": {"by": "spend", "threshold": 10_000_000, "window": "rolling_365"}})
    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=2_500_000)
    log_in(client, member)
    page = body(client.get("/"))
    assert 'data-testid="tier-name">Silver<' in page
    # 7,500,000 Rials (750,000 Toman) still to spend: 25% of the way
    assert "۷۵۰٬۰۰۰ تومان" in page and "Gold" in page
    assert 'aria-valuenow="25"' in page


def test_history_gives_the_reason_of_every_line(client, merchant, member):
    purchase_at = timezone.now() - timedelta(days=2)
    purchase = purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=3_000_000,
                               occurred_at=purchase_at).purchase
    rule_create(data={"name": "Birthday bonus", "status": "live", "trigger": "event", "event_type": "birthday",
                      "effect": {"type": "fixed_points", "points": 40}})
    event_record(member_id=member.pk, event_type="birthday", key=f"birthday-{member.pk}", merchant_id=merchant.pk)
    reward = reward_create(name="Free tea", kind="free_product", cost_points=10, sku="tea-1")
    reward_redeem(member_id=member.pk, reward_id=reward.pk)
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=5, reason="Sorry for the wait")
    refund_record(merchant_id=merchant.pk, purchase_id=purchase.pk, amount=1_000_000)
    log_in(client, member)
    page = body(client.get("/history/"))
    reasons = [part.split("</td>")[0] for part in page.split('data-testid="reason">')[1:]]
    date = format_jalali_date(purchase_at)
    assert reasons[0] == f"کسر امتیاز: مرجوعی خرید {date}"  # Taken back: refund of purchase
    assert reasons[1] == "اصلاح: Sorry for the wait"
    assert reasons[2] == "دریافت جایزه: Free tea"
    assert "Birthday bonus" in reasons[3]
    assert reasons[-1] == f"خرید {date}"


def test_history_expired_lines_and_pages(client, merchant, member):
    at = timezone.now() - timedelta(days=400)
    for i in range(25):
        purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=100_000, occurred_at=at,
                        external_id=f"p{i}")
    points_expire()
    log_in(client, member)
    page = body(client.get("/history/"))
    assert page.count('data-testid="reason">منقضی شد<') >= 1
    assert page.count('data-testid="reason">') == 20
    older = page.split('data-testid="older"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = body(client.get(f"/history/{older}"))
    assert second.count('data-testid="reason">') >= 1
    assert body(client.get("/history/?before=abc")).count('data-testid="reason">') == 20


def test_purchases_and_wallet_pages(client, merchant, member):
    purchase = purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=2_000_000).purchase
    refund_record(merchant_id=merchant.pk, purchase_id=purchase.pk, amount=500_000)
    reward = reward_create(name="50k off", kind="coupon_amount", cost_points=100, amount_rial=500_000, valid_days=30)
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=100, reason="gift")
    redemption = reward_redeem(member_id=member.pk, reward_id=reward.pk)
    log_in(client, member)
    page = body(client.get("/history/purchases/"))
    assert "۲۰۰٬۰۰۰ تومان" in page and "۵۰٬۰۰۰ تومان" in page
    wallet = body(client.get("/history/coupons/"))
    assert redemption.coupon.code in wallet and 'data-state="active"' in wallet
    assert format_jalali_date(redemption.coupon.expires_at) in wallet


@pytest.mark.parametrize("url", ["/", "/history/", "/history/purchases/", "/history/coupons/"])
def test_a_member_sees_only_their_own_figures(client, merchant, member_factory, url):
    me, other = member_factory(), member_factory()
    purchase_record(merchant_id=merchant.pk, member_id=other.pk, amount=9_870_000)
    log_in(client, me)
    page = body(client.get(url))
    assert "۹۸۷" not in page
