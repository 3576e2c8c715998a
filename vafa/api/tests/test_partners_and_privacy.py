"""Holes found by attacking issue 11's changes, each closed and kept closed: a partner cannot use
(or read the codes of) the club's own gift cards and coupons, a replay never shows a national
code to a key that may not read it, a member's export holds nobody else's data, erasing leaves
no personal data in the kept answers, referrals, audit log or outbox, and odd requests are 4xx."""

import pytest
from django.test import Client

from vafa.api.tests.test_api_errors import ApiClient
from vafa.core.models import AuditEntry, OutboxEntry
from vafa.ledger.models import IdempotencyRecord
from vafa.members.services import member_create
from vafa.merchants.services import api_key_create, merchant_create
from vafa.referrals.models import Referral
from vafa.rewards.models import GiftCard

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(merchant):
    shop = merchant_create(name="Partner cafe")
    return shop, ApiClient(api_key_create(merchant=shop, scopes=["members:read", "members:write", "rewards",
                                                                   "purchases"])[1])


def test_the_clubs_own_gift_card_is_not_a_partners_to_spend_or_read(api, member, partner):
    _shop, partner_api = partner
    # A rule's welcome gift is issued by no merchant: it is the club's, the operator's
    card = GiftCard.objects.create(code="WELCOME1234567", member=member, initial_rial=1_000_000,
                                   balance_rial=1_000_000)
    listed = partner_api.get(f"/members/{member.pk}/gift-cards").json()
    assert [c["code"] for c in listed] == ["…4567"]
    refused = partner_api.post("/gift-cards/spend", {"code": card.code, "amount_rial": 1_000_000})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "gift_card_not_valid_here")
    assert GiftCard.objects.get(pk=card.pk).balance_rial == 1_000_000
    # The operator lists it whole and spends it
    assert [c["code"] for c in api.get(f"/members/{member.pk}/gift-cards").json()] != ["…4567"]
    assert api.post("/gift-cards/spend", {"code": card.code, "amount_rial": 100_000}).status_code == 201


def test_a_replay_shows_the_national_code_as_the_replaying_key_may_read_it(api, member, merchant):
    pii = ApiClient(api_key_create(merchant=merchant, scopes=["members:read", "members:write", "members:pii"])[1])
    plain = ApiClient(api_key_create(merchant=merchant, scopes=["members:read", "members:write"])[1])
    body, key = {"national_id": "0013542419"}, {"Idempotency-Key": "order-1"}
    first = pii.patch(f"/members/{member.pk}", body, headers=key)
    assert first.json()["national_id"] == "0013542419"
    replayed = plain.patch(f"/members/{member.pk}", body, headers=key)
    assert replayed["Idempotent-Replayed"] == "true" and replayed.json()["national_id"] == "******2419"


def test_export_and_erase_leave_nobody_elses_data_and_nothing_of_the_erased(api, merchant):
    from vafa.usecases.member_data import member_erase, member_export_json

    referrer = member_create(phone="09120000001")
    joined = api.post("/members", {"phone": "09351234567", "first_name": "Sara", "national_id": "0013542419",
                                   "referral_code": referrer.referral_code}, headers={"Idempotency-Key": "join-1"})
    assert joined.status_code == 201
    sara = joined.json()["id"]
    export = "".join(member_export_json(member_id=referrer.pk))
    assert "0013542419" not in export and "9351234567" not in export
    OutboxEntry.objects.create(type="sms.test", handler="sms.send", payload={"to": "+989351234567", "text": "hi"})
    member_erase(member_id=sara)
    assert not IdempotencyRecord.objects.filter(key="join-1").exists()
    referral = Referral.objects.get(referred_id=sara)
    assert (referral.phone, referral.national_id) == (f"erased-{referral.pk}", "")
    assert "Sara" not in str(list(AuditEntry.objects.values_list("target_label", "before", "after")))
    entry = OutboxEntry.objects.get(type="sms.test")
    assert (entry.payload["to"], entry.gave_up) == ("", True)
    # A retry of the join is a new request now, not a replay of the erased answer
    again = api.post("/members", {"phone": "09351234567"}, headers={"Idempotency-Key": "join-1"})
    assert again.status_code == 201 and again.json()["id"] != sara


def test_a_partners_manager_sees_members_numbers_masked_at_the_till(member, merchant):
    from vafa.merchants.staff import staff_create

    shop = merchant_create(name="Partner cafe")
    client = Client()
    client.force_login(staff_create(username="p-m", password="long-enough-pass-1", role="manager",
                                    merchant_id=shop.pk))
    page = client.get(f"/manage/pos/members/{member.pk}/").content.decode()
    assert "۰۹۱۲۱۲۳۴۵۶۷" not in page and "09121234567" not in page


def test_odd_requests_are_4xx(api):
    client = Client()
    response = client.post("/manage/login/", {"username": "own\x00er", "password": "x"})
    assert response.status_code == 200
    assert client.generic("POST", "/api/v1/members", b"{}", content_type="application/json",
                          HTTP_AUTHORIZATION="Bearer x", CONTENT_LENGTH="abc").status_code == 400


def test_rotating_a_key_keeps_only_scopes_its_merchant_may_hold(merchant):
    from vafa.merchants.models import ApiKey

    shop = merchant_create(name="Partner cafe")
    key, _raw = api_key_create(merchant=shop, scopes=["purchases"])
    ApiKey.objects.filter(pk=key.pk).update(scopes=["program"])  # e.g. a scope partners later lost
    owner = Client()
    from vafa.merchants.staff import staff_create

    owner.force_login(staff_create(username="boss", password="long-enough-pass-1", role="owner"))
    response = owner.post(f"/manage/keys/{key.pk}/rotate/")
    assert response.status_code == 422
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
