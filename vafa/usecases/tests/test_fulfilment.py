"""vafa/usecases/fulfilment.py and vafa/rewards/shipments.py: a physical reward from the request
to the doorstep. Each step is recorded once, tells the member once, and a cancellation gives the
points back once; every refusal leaves everything as it was."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from vafa.core.audit import Actor
from vafa.core.models import AuditEntry
from vafa.core.tests import fixtures
from vafa.core.tests.fixtures import REWARD_WRITES, assert_ledger_ok, balance, db_state
from vafa.engage.models import Message
from vafa.engage.tests.conftest import sent_lines, work
from vafa.ledger.models import Lot, Transfer
from vafa.ledger.services import points_adjust
from vafa.members.models import Member
from vafa.merchants.services import merchant_create
from vafa.merchants.staff import staff_create
from vafa.program.catalog import reward_create
from vafa.program.models import Reward
from vafa.rewards.models import Coupon, Redemption, Shipment, ShipmentStep
from vafa.rewards.services import reward_redeem, rule_rewards_give, shipment_step
from vafa.usecases.fulfilment import reward_redeem_for_member, shipment_advance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_file")]

ADDRESS = {"recipient_name": "سارا محمدی", "phone": "۰۹۱۲ ۳۴۵ ۶۷۸۹", "province": "تهران", "city": "تهران",
           "address": "خیابان ولیعصر، کوچهٔ ۱۲، پلاک ۳", "postal_code": "۱۴۳۴۵-۶۷۸۹۱", "note": "بعد از ساعت ۵"}
# What a refused step or redemption must leave as it was.
SHIPPING_WRITES = (*REWARD_WRITES, Shipment, ShipmentStep, Message, AuditEntry)


@pytest.fixture(autouse=True)
def _english_texts(settings):
    # The club's messages are in its default language; English here so the texts are exact
    # whatever the Persian catalogue says (the Persian digits are tested apart).
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def gift(db):
    """A physical gift: 300 points, 5 in stock."""
    reward = reward_create(name="Tea set", kind="non_material", cost_points=300, stock=5)
    Reward.objects.filter(pk=reward.pk).update(ships=True)
    return Reward.objects.get(pk=reward.pk)


@pytest.fixture
def sara(member_factory, merchant):
    member = member_factory(phone="09121110000", email="sara@example.com")
    points_adjust(member_id=member.pk, points=1_000, reason="set-up", merchant_id=merchant.pk, expires_at=None)
    return member


@pytest.fixture
def manager(db):
    user = staff_create(username="maryam", password="long-enough-pass-1", role="manager")
    return Actor(user=user, ip="10.0.0.7")


def redeem(member, reward, merchant, shipping=ADDRESS, **kwargs) -> Redemption:
    return reward_redeem_for_member(member_id=member.pk, reward_id=reward.pk, merchant_id=merchant.pk,
                                    shipping=shipping, **kwargs)


def texts(member) -> list[tuple[str, str, str]]:
    return list(Message.objects.filter(member=member).order_by("pk")
                .values_list("channel", "occurrence_key", "text"))


# --- the whole path ---------------------------------------------------------------------------------


def test_the_whole_path_records_each_step_and_tells_the_member_once_per_step(sara, gift, merchant, manager, sms_file):
    # Given a member with 1,000 points and an e-mail, and a physical gift of 300 points (5 in stock)
    # When she redeems it with her address
    redemption = redeem(sara, gift, merchant, by="API abc")

    # Then the points are spent, one item leaves the stock and the shipment waits, requested
    shipment = Shipment.objects.get(redemption=redemption)
    assert (balance(sara), Reward.objects.get(pk=gift.pk).stock) == (700, 4)
    assert redemption.shipment == shipment and not Coupon.objects.filter(redemption=redemption).exists()
    assert {f: getattr(shipment, f) for f in ("status", "recipient_name", "organization_name", "contact_person",
                                              "phone", "province", "city", "address", "postal_code", "note",
                                              "tracking_code")} == {
        "status": "requested", "recipient_name": "سارا محمدی", "organization_name": "", "contact_person": "",
        "phone": "+989123456789", "province": "تهران", "city": "تهران", "address": "خیابان ولیعصر، کوچهٔ ۱۲، پلاک ۳",
        "postal_code": "1434567891", "note": "بعد از ساعت ۵", "tracking_code": ""}

    # When a manager moves it on, each step twice (a double click, a retry)
    for status, extra in [("preparing", {}), ("sent", {"tracking_code": "PT-1234-IR", "carrier": "Post"}),
                          ("delivered", {"note": "signed by the doorman"})]:
        first = shipment_advance(shipment_id=shipment.pk, status=status, actor=manager, **extra)
        again = shipment_advance(shipment_id=shipment.pk, status=status, actor=manager, **extra)
        assert (first.changed, again.changed, again.step) == (True, False, None)

    # Then each step is recorded once, by whom, and the shipment has its dates and code
    shipment.refresh_from_db()
    assert shipment.status == "delivered" and shipment.tracking_code == "PT-1234-IR" and shipment.carrier == "Post"
    assert shipment.sent_at <= shipment.delivered_at and shipment.cancelled_at is None
    assert list(shipment.steps.values_list("status", "by", "note")) == [
        ("requested", "API abc", ""), ("preparing", "maryam", ""), ("sent", "maryam", ""),
        ("delivered", "maryam", "signed by the doorman")]
    # And each staff step has one audit entry
    assert list(AuditEntry.objects.filter(action__startswith="shipment.").order_by("pk").values_list(
        "action", "actor_name", "target_id", "ip")) == [
        ("shipment.preparing", "maryam", str(shipment.pk), "10.0.0.7"),
        ("shipment.sent", "maryam", str(shipment.pk), "10.0.0.7"),
        ("shipment.delivered", "maryam", str(shipment.pk), "10.0.0.7")]
    sent_entry = AuditEntry.objects.get(action="shipment.sent")
    assert (sent_entry.before, sent_entry.after) == (
        {"status": "preparing", "carrier": "", "tracking_code": ""},
        {"status": "sent", "carrier": "Post", "tracking_code": "PT-1234-IR", "note": "", "points_back": 0})

    # And the member got one SMS and one e-mail per step, never two
    n = shipment.pk
    expected = [
        f"Your request for “Tea set” is registered (number {n}). We will let you know when it is sent.",
        "“Tea set” is being prepared to be sent to you.",
        "“Tea set” has been sent by Post. Tracking code: PT-1234-IR",
        "“Tea set” has been delivered. We hope you enjoy it!",
    ]
    steps = ["requested", "preparing", "sent", "delivered"]
    assert texts(sara) == [(channel, f"shipment:{n}:{step}:{channel}", text)
                           for step, text in zip(steps, expected, strict=True) for channel in ("sms", "email")]
    assert set(Message.objects.filter(member=sara).values_list("purpose", "status")) == {("service", "queued")}
    work(timezone.now())
    assert [(line["to"], line["text"]) for line in sent_lines(sms_file)] == [("+989121110000", t) for t in expected]
    assert Message.objects.filter(member=sara, status="sent").count() == 8
    assert_ledger_ok()


def test_a_member_without_an_e_mail_gets_the_sms_only(member, gift, merchant, manager):
    points_adjust(member_id=member.pk, points=300, reason="set-up", merchant_id=merchant.pk, expires_at=None)
    shipment = redeem(member, gift, merchant).shipment
    shipment_advance(shipment_id=shipment.pk, status="sent", tracking_code="T-9", actor=manager)
    assert [(c, k) for c, k, _t in texts(member)] == [("sms", f"shipment:{shipment.pk}:requested:sms"),
                                                      ("sms", f"shipment:{shipment.pk}:sent:sms")]
    assert texts(member)[1][2] == "“Tea set” has been sent. Tracking code: T-9"


def test_the_club_speaks_persian_by_default_with_persian_digits(settings, sara, gift, merchant):
    settings.LANGUAGE_CODE = "fa"
    shipment = redeem(sara, gift, merchant).shipment
    text = Message.objects.get(member=sara, channel="sms").text
    from vafa.core.digits import to_persian_digits

    assert to_persian_digits(str(shipment.pk)) in text and "Tea set" in text


def test_skipping_ahead_is_allowed_a_hand_over_needs_no_post(sara, gift, merchant, manager):
    shipment = redeem(sara, gift, merchant).shipment
    done = shipment_advance(shipment_id=shipment.pk, status="delivered", note="handed over at the shop",
                            actor=manager)
    assert (done.previous, done.shipment.status, done.shipment.sent_at) == ("requested", "delivered", None)
    other = redeem(sara, gift, merchant).shipment
    assert shipment_advance(shipment_id=other.pk, status="sent", tracking_code="X1", actor=manager).previous == \
        "requested"


def test_a_wrong_tracking_code_is_corrected_and_the_member_told_the_new_one_once(sara, gift, merchant, manager):
    shipment = redeem(sara, gift, merchant).shipment
    shipment_advance(shipment_id=shipment.pk, status="sent", tracking_code="PT-1", carrier="Post", actor=manager)
    fixed = shipment_advance(shipment_id=shipment.pk, status="sent", tracking_code="PT-2", actor=manager)
    same = shipment_advance(shipment_id=shipment.pk, status="sent", tracking_code="PT-2", actor=manager)
    assert (fixed.changed, fixed.corrected, same.changed) == (True, True, False)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.tracking_code, shipment.carrier) == ("sent", "PT-2", "Post")
    assert list(shipment.steps.values_list("status", flat=True)) == ["requested", "sent", "sent"]
    assert [(k, t) for c, k, t in texts(sara) if c == "sms"][-1] == (
        f"shipment:{shipment.pk}:step:{fixed.step.pk}:sms", "The tracking code of “Tea set” is now PT-2.")
    assert Message.objects.filter(member=sara, channel="sms").count() == 3


# --- cancelling ------------------------------------------------------------------------------------------


def test_cancelling_gives_the_points_and_the_stock_back_exactly_once(sara, gift, merchant, manager):
    # Given a gift redeemed (1,000 -> 700 points, stock 5 -> 4) and being prepared
    redemption = redeem(sara, gift, merchant)
    shipment = redemption.shipment
    shipment_advance(shipment_id=shipment.pk, status="preparing", actor=manager)
    spent = Transfer.objects.get(source_kind="reward", source_id=redemption.pk, kind="redeem")

    # When it is cancelled, twice
    first = shipment_advance(shipment_id=shipment.pk, status="cancelled", note="out of this colour", actor=manager)
    second = shipment_advance(shipment_id=shipment.pk, status="cancelled", note="again", actor=manager)

    # Then the 300 points are back once, to the lot they came from, and the stock is 5 again
    assert (first.changed, first.points_back, second.changed, second.points_back) == (True, 300, False, 0)
    assert (balance(sara), Reward.objects.get(pk=gift.pk).stock) == (1_000, 5)
    back = Transfer.objects.get(source_kind="reward", source_id=redemption.pk, kind="refund_reversal")
    assert (back.amount, back.reverses_id, back.debit_id, back.credit_id, back.memo) == (
        300, spent.pk, spent.credit_id, spent.debit_id, f"shipment {shipment.pk} cancelled")
    assert list(Lot.objects.filter(account__member=sara).values_list("amount", "remaining")) == [(1_000, 1_000)]
    shipment.refresh_from_db()
    assert shipment.status == "cancelled" and shipment.cancelled_at is not None
    assert list(shipment.steps.values_list("status", "note")) == [
        ("requested", ""), ("preparing", ""), ("cancelled", "out of this colour")]
    assert AuditEntry.objects.get(action="shipment.cancelled").after == {
        "status": "cancelled", "carrier": "", "tracking_code": "", "note": "out of this colour", "points_back": 300}
    assert [t for c, _k, t in texts(sara) if c == "sms"][-1] == \
        "Sending “Tea set” was cancelled; its 300 points are back in your account."
    assert Message.objects.filter(member=sara, channel="sms").count() == 3
    assert_ledger_ok()


def test_a_cancelled_redemption_no_longer_counts_towards_the_members_limit(sara, gift, merchant, manager):
    Reward.objects.filter(pk=gift.pk).update(per_member_limit=1)
    shipment = redeem(sara, gift, merchant).shipment
    with fixtures.refused("reward_limit_reached", *SHIPPING_WRITES, atomic=True):
        redeem(sara, gift, merchant)
    shipment_advance(shipment_id=shipment.pk, status="cancelled", note="changed her mind", actor=manager)
    again = redeem(sara, gift, merchant)
    assert again.shipment.status == "requested" and balance(sara) == 700
    assert_ledger_ok()


def test_points_given_back_after_their_expiry_expire_again_at_once(member, gift, merchant):
    # Given 300 points that expire tomorrow, spent on the gift today
    now = timezone.now()
    points_adjust(member_id=member.pk, points=300, reason="set-up", merchant_id=merchant.pk,
                  expires_at=now + timedelta(days=1))
    shipment = redeem(member, gift, merchant).shipment
    # When the shipment is cancelled two days later
    outcome = shipment_step(shipment_id=shipment.pk, status="cancelled", note="no stock", by="x",
                            now=now + timedelta(days=2))
    # Then the points went back to their lot and expired with it: nothing is left to spend
    assert outcome.points_back == 300 and balance(member) == 0
    assert list(Transfer.objects.order_by("pk").values_list("kind", "amount")) == [
        ("adjust", 300), ("redeem", 300), ("refund_reversal", 300), ("expire", 300)]
    assert list(Lot.objects.values_list("remaining", "expired")) == [(0, 300)]
    assert_ledger_ok()


def test_a_free_gift_cancelled_gives_back_nothing_but_its_stock(sara, gift, merchant, manager):
    Reward.objects.filter(pk=gift.pk).update(cost_points=0)
    shipment = redeem(sara, gift, merchant).shipment
    outcome = shipment_advance(shipment_id=shipment.pk, status="cancelled", note="x", actor=manager)
    assert (outcome.points_back, balance(sara), Reward.objects.get(pk=gift.pk).stock) == (0, 1_000, 5)
    assert [t for c, _k, t in texts(sara) if c == "sms"][-1] == "Sending “Tea set” was cancelled."
    assert_ledger_ok()


# --- refusals: nothing changes -----------------------------------------------------------------------------

PATHS = {
    "sent": [("sent", {"tracking_code": "T1"})],
    "delivered": [("delivered", {})],
    "cancelled": [("cancelled", {"note": "x"})],
}


@pytest.mark.parametrize(("where", "step", "allowed"), [
    ("sent", "preparing", ["delivered"]),
    ("sent", "cancelled", ["delivered"]),
    ("delivered", "preparing", []),
    ("delivered", "sent", []),
    ("delivered", "cancelled", []),
    ("cancelled", "preparing", []),
    ("cancelled", "sent", []),
    ("cancelled", "delivered", []),
])
def test_a_step_back_or_out_of_the_end_is_refused_and_changes_nothing(sara, gift, merchant, manager, where, step,
                                                                       allowed):
    shipment = redeem(sara, gift, merchant).shipment
    for status, extra in PATHS[where]:
        shipment_advance(shipment_id=shipment.pk, status=status, actor=manager, **extra)
    extra = {"tracking_code": "T2"} if step == "sent" else {"note": "why"} if step == "cancelled" else {}
    with fixtures.refused("shipment_step_refused", *SHIPPING_WRITES, atomic=True) as caught:
        shipment_advance(shipment_id=shipment.pk, status=step, actor=manager, **extra)
    assert caught.value.status == 409
    assert caught.value.details == {"from": where, "to": step, "allowed": allowed}
    assert_ledger_ok()


@pytest.mark.parametrize(("fields", "details"), [
    ({"status": "sent"}, {"tracking_code": "required when sent"}),
    ({"status": "sent", "tracking_code": "   "}, {"tracking_code": "required when sent"}),
    ({"status": "cancelled"}, {"note": "required when cancelled: the reason"}),
    ({"status": "requested"}, {"status": "one of preparing, sent, delivered, cancelled"}),
    ({"status": "lost"}, {"status": "one of preparing, sent, delivered, cancelled"}),
    ({"status": "sent", "tracking_code": "T" * 61}, {"tracking_code": "at most 60 characters"}),
])
def test_a_step_without_what_it_needs_is_refused_and_changes_nothing(sara, gift, merchant, manager, fields, details):
    shipment = redeem(sara, gift, merchant).shipment
    with fixtures.refused("validation_error", *SHIPPING_WRITES, atomic=True) as caught:
        shipment_advance(shipment_id=shipment.pk, actor=manager, **fields)
    assert caught.value.details == details


@pytest.mark.parametrize("shipment_id", ["abc", "0", "-1", "99999999", "1.5", ""])
def test_an_unknown_shipment_is_not_found(sara, gift, merchant, manager, shipment_id):
    redeem(sara, gift, merchant)
    with fixtures.refused("shipment_not_found", *SHIPPING_WRITES, atomic=True):
        shipment_advance(shipment_id=shipment_id, status="preparing", actor=manager)


def test_a_partner_finds_only_the_shipments_of_its_own_redemptions(sara, gift, merchant, manager):
    partner = merchant_create(name="Partner cafe")
    ours = redeem(sara, gift, merchant).shipment
    theirs = redeem(sara, gift, partner).shipment
    with fixtures.refused("shipment_not_found", *SHIPPING_WRITES, atomic=True):
        shipment_advance(shipment_id=ours.pk, status="cancelled", note="x", by="API p", merchant_id=partner.pk)
    done = shipment_advance(shipment_id=theirs.pk, status="preparing", by="API p", merchant_id=partner.pk)
    assert done.changed and done.step.by == "API p"
    assert not AuditEntry.objects.filter(action__startswith="shipment.").exists()  # the API audits its own answer


# --- the address ------------------------------------------------------------------------------------------


def test_a_physical_reward_without_an_address_is_refused_and_changes_nothing(sara, gift, merchant):
    with fixtures.refused("shipping_required", *SHIPPING_WRITES, atomic=True) as caught:
        redeem(sara, gift, merchant, shipping=None)
    assert caught.value.status == 422
    assert caught.value.details == {"shipping": "required: this reward is sent to an address"}
    with fixtures.refused("shipping_required", *SHIPPING_WRITES, atomic=True):
        reward_redeem(member_id=sara.pk, reward_id=gift.pk, merchant_id=merchant.pk)


@pytest.mark.parametrize(("change", "details"), [
    ({"phone": "02188776655"}, {"shipping.phone": "an Iranian mobile number, e.g. 09121234567"}),
    ({"phone": "+447700900123"}, {"shipping.phone": "an Iranian mobile number, e.g. 09121234567"}),
    ({"phone": None}, {"shipping.phone": "an Iranian mobile number, e.g. 09121234567"}),
    ({"postal_code": "123456789"}, {"shipping.postal_code": "an Iranian postal code: 10 digits"}),
    ({"postal_code": "12345678901"}, {"shipping.postal_code": "an Iranian postal code: 10 digits"}),
    ({"postal_code": "12345abcde"}, {"shipping.postal_code": "an Iranian postal code: 10 digits"}),
    ({"postal_code": 1234567890}, {"shipping.postal_code": "an Iranian postal code: 10 digits"}),
    ({"address": "   "}, {"shipping.address": "required, at most 1000 characters"}),
    ({"address": "x" * 1001}, {"shipping.address": "required, at most 1000 characters"}),
    ({"recipient_name": ""}, {"shipping.recipient_name": "required, at most 200 characters"}),
    ({"contact_person": "Ali"}, {"shipping.contact_person": "given only with organization_name"}),
    ({"organization_name": "Acme", "contact_person": "Ali"},
     {"shipping.organization_name": "only an organisation member's reward is sent to an organisation"}),
    ({"city": "x" * 61}, {"shipping.city": "at most 60 characters"}),
    ({"floor": 3}, {"shipping.floor": "unknown field"}),
])
def test_a_wrong_address_is_refused_by_its_field_and_changes_nothing(sara, gift, merchant, change, details):
    with fixtures.refused("validation_error", *SHIPPING_WRITES, atomic=True) as caught:
        redeem(sara, gift, merchant, shipping={**ADDRESS, **change})
    assert caught.value.details == details


def test_an_address_that_is_no_object_is_refused(sara, gift, merchant):
    with fixtures.refused("validation_error", *SHIPPING_WRITES, atomic=True) as caught:
        redeem(sara, gift, merchant, shipping="Tehran")
    assert caught.value.details == {"shipping": "an object"}


@pytest.mark.parametrize("phone", ["09123456789", "9123456789", "+989123456789", "00989123456789",
                                   "٠٩١٢٣٤٥٦٧٨٩", "0912-345-6789"])
def test_the_phone_is_taken_in_any_iranian_form(sara, gift, merchant, phone):
    assert redeem(sara, gift, merchant, shipping={**ADDRESS, "phone": phone}).shipment.phone == "+989123456789"


def test_an_organisation_member_sends_it_to_the_organisation_with_a_contact_person(member_factory, gift, merchant):
    acme = member_factory(kind="organization", organization_name="Acme Trading", phone="09351112233")
    points_adjust(member_id=acme.pk, points=300, reason="set-up", merchant_id=merchant.pk, expires_at=None)
    office = {"organization_name": "Acme Trading", "phone": "09351112233", "address": "Tehran, Azadi St. 10",
              "postal_code": "1111111111"}
    with fixtures.refused("validation_error", *SHIPPING_WRITES, atomic=True) as caught:
        redeem(acme, gift, merchant, shipping=office)
    assert caught.value.details == {"shipping.contact_person": "required when it goes to an organisation"}
    shipment = redeem(acme, gift, merchant, shipping={**office, "contact_person": "Reza Karimi"}).shipment
    assert (shipment.recipient_name, shipment.organization_name, shipment.contact_person) == (
        "Acme Trading", "Acme Trading", "Reza Karimi")
    assert Member.objects.get(pk=acme.pk).kind == "organization"


def test_a_rule_cannot_give_a_physical_reward_it_has_no_address_for(sara, gift, merchant):
    before = db_state(*SHIPPING_WRITES)
    notes = rule_rewards_give([SimpleNamespace(reward_id=gift.pk, rule_id="r7")], member_id=sara.pk,
                              merchant_id=merchant.pk)
    assert notes == {"r7": "reward not given: shipping_required"}
    assert db_state(*SHIPPING_WRITES) == before


def test_a_reward_that_does_not_ship_ignores_an_address_and_opens_no_shipment(sara, merchant):
    tea = reward_create(name="Tea voucher", kind="coupon_amount", cost_points=100, amount_rial=50_000)
    redemption = redeem(sara, tea, merchant)
    assert Coupon.objects.filter(redemption=redemption).count() == 1
    assert not Shipment.objects.exists() and not Message.objects.exists()


def test_a_free_product_that_ships_gives_no_coupon(sara, merchant):
    box = reward_create(name="Gift box", kind="free_product", cost_points=100, sku="BOX-1")
    Reward.objects.filter(pk=box.pk).update(ships=True)
    redemption = redeem(sara, box, merchant)
    assert redemption.shipment.status == "requested" and not Coupon.objects.exists()


# --- the member's data ------------------------------------------------------------------------------------


def test_the_members_data_holds_their_shipments_and_erasing_forgets_the_addresses(sara, gift, merchant, manager):
    import json

    from vafa.usecases.member_data import member_erase, member_export_json

    shipment = redeem(sara, gift, merchant).shipment
    shipment_advance(shipment_id=shipment.pk, status="sent", tracking_code="PT-9", note="left with the doorman",
                     actor=manager)
    data = json.loads("".join(member_export_json(member_id=sara.pk)))
    assert [(s["id"], s["postal_code"], s["phone"]) for s in data["shipments"]] == [
        (shipment.pk, "1434567891", "+989123456789")]
    assert [s["status"] for s in data["shipment_steps"]] == ["requested", "sent"]

    member_erase(member_id=sara.pk)
    shipment.refresh_from_db()
    assert (shipment.recipient_name, shipment.phone, shipment.address, shipment.postal_code, shipment.city,
            shipment.note) == ("", "", "", "", "", "")
    assert (shipment.status, shipment.tracking_code) == ("sent", "PT-9")
    assert list(shipment.steps.values_list("note", flat=True)) == ["", ""]
    text = json.dumps(json.loads("".join(member_export_json(member_id=sara.pk))), ensure_ascii=False)
    assert "ولیعصر" not in text and "1434567891" not in text
    assert_ledger_ok()
