"""Back-office member directory and member file: search, filters, who may read, masking."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from vafa.commerce.services import purchase_record
from vafa.members.models import Member
from vafa.members.services import application_open
from vafa.merchants.staff import staff_create
from vafa.program.rules import tier_create
from vafa.usecases.points import member_adjust

pytestmark = pytest.mark.django_db

MEMBERS = reverse("manage:members")
NATIONAL_CODE = "0013542419"  # a valid national code (check digit 9)


@pytest.fixture
def staff_client(db):
    """A logged-in Django client for a new staff account of `role`."""
    def make(role: str) -> Client:
        user = staff_create(username=f"{role}-1", password="vafa-test-pass-1", role=role)
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def people(member_factory):
    sara = member_factory(phone="09121234567", first_name="سارا", last_name="محمدی", national_id=NATIONAL_CODE,
                          joined_at=datetime(2025, 3, 25, 8, 0, tzinfo=UTC))  # 1404/01/05
    reza = member_factory(phone="09351112233", first_name="رضا", last_name="کریمی",
                          joined_at=datetime(2025, 6, 1, 8, 0, tzinfo=UTC))
    shop = member_factory(phone="09197654321", kind="organization", organization_name="Tea House",
                          first_name="", last_name="", joined_at=datetime(2025, 9, 1, 8, 0, tzinfo=UTC))
    return sara, reza, shop


def found(response) -> list[int]:
    return [m.pk for m in response.context["page"].object_list]


@pytest.mark.parametrize("text", ["09121234567", "+989121234567", "۰۹۱۲۱۲۳۴۵۶۷", "0912 123 4567", "9121234567"])
def test_search_by_phone_in_any_form(staff_client, people, text):
    sara = people[0]
    response = staff_client("manager").post(MEMBERS, {"q": text})
    assert response.status_code == 200
    assert found(response) == [sara.pk]


def test_search_by_part_of_a_phone(staff_client, people):
    assert found(staff_client("manager").post(MEMBERS, {"q": "0935111"})) == [people[1].pk]


@pytest.mark.parametrize("role", ["cashier", "marketer"])
def test_who_sees_numbers_masked_finds_only_by_a_whole_number(staff_client, people, role):
    client = staff_client(role)
    assert found(client.post(MEMBERS, {"q": "0935111"})) == []
    assert found(client.post(MEMBERS, {"q": people[1].phone})) == [people[1].pk]


@pytest.mark.parametrize("text,index", [("سارا", 0), ("محمدی", 0), ("سارا محمدی", 0), ("کریمی", 1),
                                        ("كريمي", 1), ("tea", 2), ("House", 2)])
def test_search_by_name(staff_client, people, text, index):
    assert found(staff_client("manager").post(MEMBERS, {"q": text})) == [people[index].pk]


@pytest.mark.parametrize("text", [NATIONAL_CODE, "۰۰۱۳۵۴۲۴۱۹", "001-354241-9"])
def test_search_by_national_code(staff_client, people, text):
    assert found(staff_client("manager").post(MEMBERS, {"q": text})) == [people[0].pk]


def test_no_query_lists_everyone_newest_first_and_nothing_matches_an_unknown_name(staff_client, people):
    client = staff_client("cashier")
    sara, reza, shop = people
    assert found(client.get(MEMBERS)) == [shop.pk, reza.pk, sara.pk]
    response = client.post(MEMBERS, {"q": "ناشناس"})
    assert found(response) == []
    assert b'data-testid="no-members"' in response.content


def test_filters_status_kind_joined_period_and_pending_application(staff_client, people):
    sara, reza, shop = people
    client = staff_client("manager")
    Member.objects.filter(pk=reza.pk).update(status="blocked")
    assert found(client.get(MEMBERS, {"status": "blocked"})) == [reza.pk]
    assert found(client.get(MEMBERS, {"kind": "organization"})) == [shop.pk]
    # Jalali dates (Persian digits too) and Gregorian ones, both ends included
    assert found(client.get(MEMBERS, {"joined_from": "۱۴۰۴/۰۱/۰۵", "joined_to": "1404/01/05"})) == [sara.pk]
    assert found(client.get(MEMBERS, {"joined_from": "2025-05-01"})) == [shop.pk, reza.pk]
    assert found(client.get(MEMBERS, {"joined_to": "1404/03/11"})) == [reza.pk, sara.pk]
    Member.objects.filter(pk=shop.pk).update(status="pending")
    application_open(member_id=shop.pk)
    assert found(client.get(MEMBERS, {"pending": "on"})) == [shop.pk]
    # an impossible date is an error on the form and filters nothing out
    response = client.get(MEMBERS, {"joined_from": "1404/13/40"})
    assert response.status_code == 200
    assert "joined_from" in response.context["form"].errors
    assert len(found(response)) == 3


def test_filter_by_tier(staff_client, people, merchant):
    sara, reza, shop = people
    tier_create(data={"code": "gold", "name": "Gold", "rank": 1, "qualify": {"by": "purchases", "threshold": 1}})
    purchase_record(merchant_id=merchant.pk, member_id=reza.pk, amount=1_000_000)
    client = staff_client("marketer")
    assert found(client.get(MEMBERS, {"tier": "gold"})) == [reza.pk]
    assert found(client.get(MEMBERS, {"tier": "none"})) == [shop.pk, sara.pk]


def test_list_shows_balance_and_jalali_join_date(staff_client, people, merchant):
    sara = people[0]
    member_adjust(merchant_id=merchant.pk, member_id=sara.pk, points=1250, reason="welcome")
    response = staff_client("owner").post(MEMBERS, {"q": "سارا"})
    row = response.context["page"].object_list[0]
    assert row.balance == 1250
    html = response.content.decode()
    assert "۱٬۲۵۰" in html
    assert "۱۴۰۴/۰۱/۰۵" in html
    assert "+۹۸۹۱۲۱۲۳۴۵۶۷" in html  # a manager sees the whole number


def test_cashier_and_marketer_see_masked_numbers_unless_they_typed_the_number(staff_client, people):
    client = staff_client("cashier")
    html = client.get(MEMBERS).content.decode()
    assert "+۹۸۹۱۲***۴۵۶۷" in html and "+۹۸۹۱۲۱۲۳۴۵۶۷" not in html
    html = client.post(MEMBERS, {"q": "09121234567"}).content.decode()
    assert "+۹۸۹۱۲۱۲۳۴۵۶۷" in html
    detail = staff_client("marketer").get(reverse("manage:member", args=[people[0].pk]))
    assert detail.context["shown_phone"] == "+98912***4567"
    assert detail.context["shown_national_id"] == "******2419"


def test_a_search_in_the_address_is_not_run_and_paging_keeps_the_search_in_the_form(staff_client, people):
    client = staff_client("manager")
    # ?q= is ignored: a phone or national code must not sit in access logs
    assert found(client.get(MEMBERS, {"q": "09121234567"})) == found(client.get(MEMBERS))
    response = client.post(MEMBERS, {"q": "09121234567", "page": "1"})
    assert found(response) == [people[0].pk]
    html = response.content.decode()
    assert 'method="post"' in html and 'hx-push-url' not in html


def test_a_cashier_sees_the_email_masked_and_no_birth_date(staff_client, people):
    from vafa.members.models import Member

    Member.objects.filter(pk=people[0].pk).update(email="sara.rad@example.com", birth_date="1990-03-21")
    url = reverse("manage:member", args=[people[0].pk])
    html = staff_client("cashier").get(url).content.decode()
    assert "s***@example.com" in html and "sara.rad@example.com" not in html
    assert "۱۳۶۹" not in html  # the Jalali year of the birth date
    html = staff_client("manager").get(url).content.decode()
    assert "sara.rad@example.com" in html and "۱۳۶۹/۰۱/۰۱" in html


def test_htmx_search_answers_only_the_results(staff_client, people):
    response = staff_client("manager").post(MEMBERS, {"q": "رضا"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="member-count"' in html and 'hx-swap-oob="true"' in html
    assert found(response) == [people[1].pk]


def test_list_query_count_does_not_grow_with_members(staff_client, member_factory, merchant,
                                                     django_assert_max_num_queries):
    tier_create(data={"code": "gold", "name": "Gold", "rank": 1, "qualify": {"by": "purchases", "threshold": 1}})
    client = staff_client("manager")
    for n in range(30):
        m = member_factory(phone=f"0912555{n:04d}")
        if n % 3 == 0:
            purchase_record(merchant_id=merchant.pk, member_id=m.pk, amount=2_000_000)
            application_open(member_id=m.pk)
    with django_assert_max_num_queries(10):
        response = client.get(MEMBERS)
    assert len(response.context["page"].object_list) == 25


@pytest.mark.parametrize("role", ["owner", "manager", "cashier", "marketer"])
def test_every_role_reads_the_member_page(staff_client, people, role, merchant):
    sara = people[0]
    purchase_record(merchant_id=merchant.pk, member_id=sara.pk, amount=25_000_000)
    response = staff_client(role).get(reverse("manage:member", args=[sara.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="balance" data-value="2500"' in html
    assert ('data-testid="adjust-form"' in html) == (role in ("owner", "manager"))
    assert (f'action="/manage/members/{sara.pk}/block/"' in html) == (role in ("owner", "manager"))


def test_member_page_query_count_is_bounded(staff_client, people, merchant, django_assert_max_num_queries):
    sara = people[0]
    for n in range(15):
        purchase_record(merchant_id=merchant.pk, member_id=sara.pk, amount=1_000_000 + n)
    client = staff_client("manager")
    # 25, and 5 for the engagement part (tags, the tags to suggest, consents, their history, messages)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("manage:member", args=[sara.pk]))
    assert len(response.context["ledger"]) == 15


def test_ledger_pages_older_lines(staff_client, people, merchant):
    sara = people[0]
    for n in range(23):
        member_adjust(merchant_id=merchant.pk, member_id=sara.pk, points=n + 1, reason=f"line {n + 1}")
    client = staff_client("manager")
    first = client.get(reverse("manage:member", args=[sara.pk]))
    lines = first.context["ledger"]
    assert [line.memo for line in lines[:2]] == ["line 23", "line 22"] and len(lines) == 20
    older = client.get(reverse("manage:member", args=[sara.pk]), {"before": first.context["ledger_next"]})
    assert [line.memo for line in older.context["ledger"]] == ["line 3", "line 2", "line 1"]
    assert older.context["ledger_next"] is None


@pytest.mark.parametrize("cursor", ["²", "abc", "-1", "99999999999999999999999"])
def test_a_strange_ledger_cursor_is_not_an_error(staff_client, people, cursor):
    response = staff_client("manager").get(reverse("manage:member", args=[people[0].pk]), {"before": cursor})
    assert response.status_code == 200


def test_the_last_day_there_is_can_end_a_joined_filter(staff_client, people):
    response = staff_client("manager").get(reverse("manage:members"), {"joined_to": "9999-12-31"})
    assert response.status_code == 200 and len(found(response)) == len(people)


def test_gift_card_codes_are_shown_in_full_to_managers_only(staff_client, people):
    from vafa.program.catalog import reward_create
    from vafa.rewards.models import GiftCard
    from vafa.rewards.services import reward_redeem

    sara = people[0]
    reward = reward_create(name="Card", kind="gift_card", cost_points=0, amount_rial=500_000)
    reward_redeem(member_id=sara.pk, reward_id=reward.pk)
    code = GiftCard.objects.get().code
    url = reverse("manage:member", args=[sara.pk])
    assert code in staff_client("manager").get(url).content.decode()
    for role in ("cashier", "marketer"):
        page = staff_client(role).get(url).content.decode()
        assert code not in page and f"…{code[-4:]}" in page


def test_anonymous_is_sent_to_log_in_and_unknown_member_is_404(client, staff_client, people):
    url = reverse("manage:member", args=[people[0].pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('manage:login')}?next={url}"
    assert client.get(MEMBERS).status_code == 302
    assert staff_client("manager").get(reverse("manage:member", args=[999999])).status_code == 404


def test_member_page_shows_coupons_gift_cards_referrals_and_tier_history(staff_client, merchant, member_factory):
    from vafa.program.catalog import reward_create
    from vafa.rewards.services import reward_redeem

    sara = member_factory(phone="09121234567")
    friend = member_factory(phone="09351112233", first_name="رضا", referral_code=sara.referral_code)
    tier_create(data={"code": "gold", "name": "Gold", "rank": 1, "qualify": {"by": "purchases", "threshold": 1}})
    purchase_record(merchant_id=merchant.pk, member_id=sara.pk, amount=50_000_000)
    coupon = reward_create(name="10% off", kind="coupon_percent", percent=10, cost_points=100)
    card = reward_create(name="Card", kind="gift_card", amount_rial=2_000_000, cost_points=200)
    reward_redeem(member_id=sara.pk, reward_id=coupon.pk, merchant_id=merchant.pk)
    reward_redeem(member_id=sara.pk, reward_id=card.pk, merchant_id=merchant.pk)
    response = staff_client("manager").get(reverse("manage:member", args=[sara.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert len(response.context["file"].coupons) == 1 and response.context["file"].coupons[0].state == "active"
    assert len(response.context["file"].gift_cards) == 1
    assert "۲۰۰٬۰۰۰ تومان" in html  # the gift card's value in Toman
    assert [r.member_id for r in response.context["file"].referrals] == [friend.pk]
    assert [c.to_tier.code for c in response.context["file"].tier_history] == ["gold"]
    assert 'data-testid="tier">Gold<' in html
    assert 'data-value="4700"' in html  # 5,000 earned less 100 and 200 spent
