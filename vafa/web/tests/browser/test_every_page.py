"""Every page a person reaches, in both languages, on a phone (375x812) and a desktop (1280x800).

A small but realistic club is built through the services (tiers, live rules, rewards of several
kinds, a member with a long Persian name, an organization with a long English name, purchases, a
refund, redemptions that gave a coupon and a gift card, an adjustment, a referral, a pending
applicant, audit entries). Then one browser page walks the member portal as the member, the
back-office as the owner, and both login pages logged out. On each page:

- the answer is 200 and the page is the one asked for (no redirect to a login);
- `html[lang]` and `html[dir]` follow the language (fa: rtl, en: ltr);
- axe-core finds no WCAG 2.1 A/AA violation;
- the page does not scroll sideways (documentElement.scrollWidth <= the viewport's width);
- no block inside <main> lets its text spill out of its box (overflow visible and
  scrollWidth > clientWidth + 1); .table-wrap scrolls by design and inline boxes have no width.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

LONG_PERSIAN_FIRST = "محمدحسین"
LONG_PERSIAN_LAST = "عبدالرحیم‌زاده‌ی اصفهانی‌نژاد طباطبایی‌فر"
LONG_ORGANIZATION = "International Consolidated Renewable Energy Infrastructure and Logistics Holdings Company Ltd"

MEMBER_PHONE = "09121234567"
ORGANIZATION_PHONE = "09357654321"

# Blocks inside <main> whose text spills out of their box. Elements that do not show (display none,
# visibility hidden, no box), inline ones (no width of their own), those that clip or scroll
# (overflow other than visible) and anything inside .table-wrap (scrolls by design) are left out.
TEXT_OVERFLOW = """() => {
  const found = [];
  for (const el of document.querySelectorAll('main *')) {
    if (!(el instanceof HTMLElement) || el.closest('.table-wrap')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.display === 'contents' || style.display === 'inline') continue;
    if (style.visibility !== 'visible' || style.overflowX !== 'visible') continue;
    if (!el.getClientRects().length || !el.innerText || !el.innerText.trim()) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
      found.push(`${name} scrollWidth=${el.scrollWidth} clientWidth=${el.clientWidth}: ` +
                 el.innerText.trim().slice(0, 60).replace(/\\s+/g, ' '));
    }
  }
  return found;
}"""


def _club(owner):
    """The club's data, made through the services; answers what the walk needs."""
    from vafa.commerce.services import purchase_record, refund_record
    from vafa.core.audit import audit_record
    from vafa.members.services import application_open, member_create
    from vafa.merchants.services import merchant_create
    from vafa.merchants.staff import staff_create
    from vafa.program.catalog import reward_create
    from vafa.program.rules import rule_create, tier_create
    from vafa.rewards.services import reward_redeem
    from vafa.usecases.points import member_adjust
    from vafa.usecases.till import till_checkout

    merchant = merchant_create(name="فروشگاه زنجیره‌ای نمونهٔ شمال تهران")
    tier_create(data={"code": "silver", "name": "نقره‌ای", "rank": 1, "color": "#708090",
                      "qualify": {"by": "purchases", "threshold": 2}})
    tier_create(data={"code": "gold", "name": "طلایی", "rank": 2, "color": "#b8860b", "earn_percent": 120,
                      "qualify": {"by": "spend", "threshold": 20_000_000}})
    tier_create(data={"code": "platinum", "name": "پلاتینی", "rank": 3, "color": "#4b5563", "earn_percent": 150,
                      "qualify": {"by": "points", "threshold": 50_000, "window": "jalali_year"}})
    rule_create(data={"name": "Big basket bonus", "status": "live",
                      "conditions": {"amount_min": 1_000_000},
                      "effect": {"type": "fixed_points", "points": 20}})
    rule_create(data={"name": "Referral thanks", "status": "live", "trigger": "referral_completed",
                      "effect": {"type": "fixed_points", "points": 100}})

    coupon = reward_create(name="کوپن تخفیف ۱۵ هزار تومانی برای خرید بعدی از همهٔ شعبه‌ها", kind="coupon_amount",
                           cost_points=150, amount_rial=150_000, valid_days=30)
    percent = reward_create(name="ده درصد تخفیف", kind="coupon_percent", cost_points=300, percent=10,
                            cap_rial=500_000, min_purchase_rial=1_000_000, valid_days=60)
    gift = reward_create(name="کارت هدیهٔ ۱۰۰ هزار تومانی", kind="gift_card", cost_points=400,
                         amount_rial=1_000_000, valid_days=365)
    reward_create(name="یک فنجان لاته", kind="free_product", cost_points=90, sku="LATTE-L", amount_rial=900_000)
    reward_create(name="سفر دو نفره به کیش", kind="coupon_amount", cost_points=90_000, amount_rial=90_000_000)
    reward_create(name="هدیهٔ ویژهٔ پلاتینی", kind="non_material", cost_points=10, tiers=["platinum"])

    now = timezone.now()
    member = member_create(phone=MEMBER_PHONE, first_name=LONG_PERSIAN_FIRST, last_name=LONG_PERSIAN_LAST,
                           email="mohammad.hossein.abdolrahimzadeh@example.com")
    organization = member_create(phone=ORGANIZATION_PHONE, kind="organization", first_name="Sarah",
                                 last_name="Whitfield-Montgomery", organization_name=LONG_ORGANIZATION)
    friend = member_create(phone="09361112233", first_name="نگار", last_name="احمدی",
                           referral_code=member.referral_code)
    applicant = member_create(phone="09129998877", first_name="رضا", last_name="کریمی", status="pending")
    application_open(member_id=applicant.pk)

    purchases = [
        purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=amount,
                        external_id=f"web-{n}", occurred_at=now - timedelta(days=days))
        for n, (amount, days) in enumerate([(4_500_000, 40), (12_800_000, 12), (25_000_000, 3)])
    ]
    refund_record(merchant_id=merchant.pk, purchase_id=purchases[1].purchase.pk, amount=2_800_000)
    purchase_record(merchant_id=merchant.pk, member_id=organization.pk, amount=123_456_000,
                    occurred_at=now - timedelta(days=5))
    purchase_record(merchant_id=merchant.pk, member_id=friend.pk, amount=1_500_000)
    # A "bought X, then Y" pair, so the member page and the till show their suggestions card.
    from vafa.commerce.inputs import ItemIn
    from vafa.insight.models import ProductPair

    purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=900_000, occurred_at=now - timedelta(days=2),
                    items=[ItemIn(sku="TEA-1", name="چای", quantity=1, unit_price=900_000)])
    ProductPair.objects.create(first_sku="TEA-1", then_sku="CAKE-LONG-SKU-0042", then_name=LONG_PERSIAN_LAST,
                               members=3, support=0.2, confidence=0.5, lift=2.5, computed_at=now)
    member_adjust(merchant_id=merchant.pk, member_id=member.pk, points=250, reason="جبران تأخیر در ارسال سفارش")
    redemption = reward_redeem(member_id=member.pk, reward_id=coupon.pk, merchant_id=merchant.pk)
    reward_redeem(member_id=member.pk, reward_id=gift.pk, merchant_id=merchant.pk)
    used = reward_redeem(member_id=member.pk, reward_id=percent.pk, merchant_id=merchant.pk)
    # A physical gift on its way (a long address, a long tracking code), and one for the organisation.
    from vafa.program.models import Reward
    from vafa.usecases.fulfilment import reward_redeem_for_member, shipment_advance

    parcel = reward_create(name="سبد هدیهٔ نوروزی با چای، شیرینی و ظرف سفالی دست‌ساز", kind="non_material",
                           cost_points=100, stock=20)
    Reward.objects.filter(pk=parcel.pk).update(ships=True)
    shipped = reward_redeem_for_member(member_id=member.pk, reward_id=parcel.pk, merchant_id=merchant.pk, shipping={
        "recipient_name": f"{LONG_PERSIAN_FIRST} {LONG_PERSIAN_LAST}", "phone": MEMBER_PHONE, "province": "تهران",
        "city": "تهران", "postal_code": "1434567891",
        "address": "خیابان ولیعصر، بالاتر از میدان ونک، کوچهٔ شهید عبدالحسین نیک‌پورمقدم، پلاک ۱۲۳، طبقهٔ چهارم، واحد ۱۲"})
    shipment_advance(shipment_id=shipped.shipment.pk, status="sent", tracking_code="240012345678901234567890",
                     carrier="پست جمهوری اسلامی ایران", by="owner")
    reward_redeem_for_member(member_id=organization.pk, reward_id=parcel.pk, merchant_id=merchant.pk, shipping={
        "organization_name": LONG_ORGANIZATION, "contact_person": "Sarah Whitfield-Montgomery",
        "phone": ORGANIZATION_PHONE, "city": "Tehran", "postal_code": "1111111111",
        "address": "Unit 1204, Tower B, International Business Centre, Africa Boulevard"})

    staff_create(username="cashier.shift.northern.branch", password="vafa-test-pass-1", role="cashier",
                 first_name="فاطمه", last_name="موسوی‌نژاد")
    staff_create(username="marketer", password="vafa-test-pass-1", role="marketer", first_name="Alexander",
                 last_name="Featherstonehaugh")
    # The till: a purchase paid partly with points and a coupon, as the cashier records it.
    sale = till_checkout(merchant_id=merchant.pk, member_id=member.pk, basket=3_200_000, external_id="till-1",
                         redeem_points=100, coupon_code=used.coupon.code, payment_method="card").purchase
    audit_record(actor=owner, action="pos.purchase", target=sale,
                 after={"member": member.pk, "amount": sale.amount, "points_earned": sale.points_earned})
    audit_record(actor=owner, action="member.adjust", target=member,
                 before={"balance": 0}, after={"points": 250, "reason": "جبران تأخیر در ارسال سفارش"})
    engagement = _engagement_made(member)
    _data_jobs(merchant, owner)
    from vafa.commerce.services import walk_in_sale_record

    walk_in = walk_in_sale_record(merchant_id=merchant.pk, amount=1_850_000, external_id="pos-walk-in-1").sale
    return {"owner": owner, "engagement": engagement, "member": member, "organization": organization,
            "walk_in": walk_in,
            "applicant": applicant,
            "coupon": coupon, "redemption": redemption, "sale": sale, "parcel": parcel, "shipped": shipped}


def _engagement_made(member) -> dict:
    """A segment, a draft campaign to it, an automation and a message (the engagement pages)."""
    from vafa.engage import services as engaging

    segment = engaging.segment_create(data={"name": "خریداران پرتکرار شمال تهران با رضایت پیامک", "conditions": {
        "consent": "sms", "purchases_min": 2, "window_days": 180, "rfm": {"f": [4, 5]}}})
    campaign = engaging.campaign_create(data={
        "name": "کمپین یلدای ۱۴۰۵ برای مشتریان وفادار", "channel": "sms", "segment_id": segment.pk,
        "holdout_percent": 10, "text": "{first_name} عزیز، شب یلدا مبارک! {points} امتیاز دارید."})
    automation = engaging.automation_create(data={
        "name": "یادآوری انقضای امتیاز", "trigger": {"type": "points_expiring", "days_before": 7}, "channel": "sms",
        "text": "{first_name} عزیز، {expiring_points} امتیاز شما در {expiring_date} منقضی می‌شود."})
    engaging.message_queue(member_id=member.pk, channel="sms", purpose="service", text="کد ورود شما: ۱۲۳۴۵",
                           key="every-page:1")
    return {"segment": segment, "campaign": campaign, "automation": automation}


def _data_jobs(merchant, owner) -> None:
    """An import done with refused rows, one running, and an export ready: the page shows each."""
    from vafa.portability.models import ExportJob, ImportJob

    ImportJob.objects.create(kind="members", file_name="مشتریان-فروشگاه-قدیمی-۱۴۰۳.xlsx", path="/x", sha256="a" * 64,
                             merchant=merchant, status="done", lines_total=1201, lines_done=1201, imported=1180,
                             unchanged=12, failed=8, errors_path="/x.errors.csv", created_by=owner)
    ImportJob.objects.create(kind="purchases", file_name="sales-2019-2025.csv", path="/y", sha256="b" * 64,
                             merchant=merchant, status="running", lines_total=1_000_001, lines_done=250_001,
                             imported=249_990, unchanged=0, failed=10, options={"no_points": True}, created_by=owner)
    ExportJob.objects.create(status="done", path="/z.zip", created_by=owner)


def _engagement_pages(made) -> list[tuple[str, str]]:
    return [
        ("segments", "/manage/segments/"),
        ("segment-new", "/manage/segments/new/"),
        ("segment", f"/manage/segments/{made['segment'].pk}/"),
        ("segment-edit", f"/manage/segments/{made['segment'].pk}/edit/"),
        ("campaigns", "/manage/campaigns/"),
        ("campaign-new", "/manage/campaigns/new/"),
        ("campaign", f"/manage/campaigns/{made['campaign'].pk}/"),
        ("automations", "/manage/automations/"),
        ("automation-new", "/manage/automations/new/"),
        ("automation", f"/manage/automations/{made['automation'].pk}/"),
        ("messages", "/manage/messages/"),
    ]


def _pages(club) -> dict[str, list[tuple[str, str]]]:
    member, organization = club["member"], club["organization"]
    return {
        "member": [
            ("home", "/"),
            ("history", "/history/"),
            ("purchases", "/history/purchases/"),
            ("wallet", "/history/coupons/"),
            ("rewards", "/rewards/"),
            ("redeem", f"/rewards/{club['coupon'].pk}/redeem/"),
            ("redemption", f"/rewards/redemptions/{club['redemption'].pk}/"),
            ("redeem-parcel", f"/rewards/{club['parcel'].pk}/redeem/"),
            ("parcel", f"/rewards/redemptions/{club['shipped'].pk}/"),
            ("referrals", "/referrals/"),
            ("profile", "/profile/"),
        ],
        "owner": [
            ("dashboard", "/manage/dashboard/"),
            ("members", "/manage/members/"),
            ("members-search", "/manage/members/", lambda page: _submit(page, "#member-search", MEMBER_PHONE)),
            ("member", f"/manage/members/{member.pk}/"),
            ("organization", f"/manage/members/{organization.pk}/"),
            ("applicant", f"/manage/members/{club['applicant'].pk}/"),
            ("pos", "/manage/pos/"),
            ("pos-not-found", "/manage/pos/", lambda page: _submit(page, "[data-testid=search-form]", "09120000000")),
            ("pos-member", f"/manage/pos/members/{member.pk}/"),
            ("pos-organization", f"/manage/pos/members/{organization.pk}/"),
            ("receipt", f"/manage/pos/receipts/{club['sale'].pk}/"),
            ("pos-walk-in", "/manage/pos/walk-in/"),
            ("walk-in-receipt", f"/manage/pos/walk-in/{club['walk_in'].pk}/"),
            ("fulfilment", "/manage/fulfilment/?status=all"),
            ("shipment", f"/manage/fulfilment/{club['shipped'].shipment.pk}/"),
            ("audit", "/manage/audit/"),
            ("staff", "/manage/staff/"),
            ("data", "/manage/data/"),
            *_engagement_pages(club["engagement"]),
        ],
        "nobody": [
            ("login", "/login/"),
            ("manage-login", "/manage/login/"),
        ],
    }


def _language(page, live_server, lang: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])


def _submit(page, form: str, text: str) -> None:
    """A search by phone is a POST (never in the address): type it and send the form."""
    live = page.locator(form).get_attribute("hx-post") is not None  # htmx searches as one types
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        field = page.locator(f"{form} input[type=search], {form} input[name=phone]").first
        field.fill(text)
        if not live:
            field.press("Enter")
    assert answer.value.status in (200, 302), f"{form}: HTTP {answer.value.status}"
    page.wait_for_load_state("load")
    assert text not in page.url


def _check(page, path: str, name: str, *, lang: str, width: int, axe_check, shot, problems: list[str],
           action=None) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: HTTP {response and response.status}"
    wanted = urlsplit(path)
    landed = urlsplit(page.url)
    assert (landed.path, landed.query) == (wanted.path, wanted.query), f"{path} went to {page.url}"
    if action is not None:
        action(page)
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (lang, "rtl" if lang == "fa" else "ltr"), path
    page.wait_for_load_state("load")
    try:
        axe_check(page)
    except AssertionError as failure:  # gathered, so one run names every page's problems
        problems.append(str(failure).split("\nassert")[0])
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        problems.append(f"{path}: the page scrolls sideways ({scroll} > {width})")
    problems.extend(f"{path}: {text}" for text in page.evaluate(TEXT_OVERFLOW))
    if "{#" in page.inner_text("body") or "{%" in page.inner_text("body"):
        problems.append(f"{path}: template syntax shows on the page")
    shot(page, f"{lang}-{width}-{name}")


@pytest.mark.parametrize("lang, width", [
    pytest.param("fa", 375, marks=pytest.mark.viewport(375, 812), id="fa-375"),
    pytest.param("en", 375, marks=pytest.mark.viewport(375, 812), id="en-375"),
    pytest.param("fa", 1280, marks=pytest.mark.viewport(1280, 800), id="fa-1280"),
    pytest.param("en", 1280, marks=pytest.mark.viewport(1280, 800), id="en-1280"),
])
def test_every_page(lang, width, page, another_page, live_server, login_member, login_staff, staff_factory,
                    axe_check, shot):
    club = _club(staff_factory("owner"))
    pages = _pages(club)
    problems: list[str] = []

    def walk(who: str, browser_page) -> None:
        for name, path, *action in pages[who]:
            _check(browser_page, path, name, lang=lang, width=width, axe_check=axe_check, shot=shot,
                   problems=problems, action=action[0] if action else None)

    login_member(page, club["member"])
    _language(page, live_server, lang)
    walk("member", page)

    login_staff(page, club["owner"])  # the same cookie name: the member's session is replaced
    walk("owner", page)

    stranger = another_page(width, 812 if width == 375 else 800)
    _language(stranger, live_server, lang)
    walk("nobody", stranger)

    assert problems == [], "problems:\n" + "\n".join(problems)
