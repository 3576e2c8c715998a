"""Deciding and sending messages: consent, the sending window, the weekly cap, blocked numbers,
«لغو۱۱», service messages, occurrence keys, e-mail headers, and SMS replies 11/12."""

from datetime import timedelta

import pytest
from django.core import mail

from vafa.core.models import OutboxEntry
from vafa.engage.messages import Draft, message_queue, messages_decide, window_opening
from vafa.engage.models import BlockedNumber, Message
from vafa.engage.services import number_blocks_advertising, sms_reply_handle
from vafa.engage.tests.conftest import sent_lines, tehran, work
from vafa.members.models import Consent, ConsentChange, Member
from vafa.members.services import member_consent_set

pytestmark = pytest.mark.usefixtures("sms_file")

MORNING = tehran(2026, 12, 5, 10)


@pytest.fixture
def fan(member_factory):
    return member_factory(phone="09121234567", email="sara@example.com", consents={"sms": True, "email": True})


def marketing(member, text="تخفیف ویژه", *, now=MORNING, key=None, channel="sms", subject=""):
    return messages_decide(drafts=[Draft(member.pk, text, subject, key)], channel=channel, purpose="marketing",
                           now=now)[0]


def test_window_opening(settings):
    assert window_opening(tehran(2026, 12, 5, 9, 0)) == tehran(2026, 12, 5, 9, 0)
    assert window_opening(tehran(2026, 12, 5, 20, 59)) == tehran(2026, 12, 5, 20, 59)
    assert window_opening(tehran(2026, 12, 5, 21, 0)) == tehran(2026, 12, 6, 9, 0)
    assert window_opening(tehran(2026, 12, 5, 3, 30)) == tehran(2026, 12, 5, 9, 0)
    settings.SENDING_WINDOW = "08:30-22:30"
    assert window_opening(tehran(2026, 12, 5, 22, 0)) == tehran(2026, 12, 5, 22, 0)
    assert window_opening(tehran(2026, 12, 5, 8, 0)) == tehran(2026, 12, 5, 8, 30)


def test_a_marketing_sms_goes_once_with_the_opt_out_at_its_end(fan, sms_file):
    message = marketing(fan)
    assert (message.status, message.text, message.parts, message.to) == ("queued", "تخفیف ویژه\nلغو۱۱", 1,
                                                                         "+989121234567")
    entry = OutboxEntry.objects.get(handler="engage.message")
    work(MORNING)
    work(MORNING + timedelta(minutes=5))
    message.refresh_from_db()
    assert (message.status, message.gateway, message.gateway_id, message.sent_at) == ("sent", "console", str(entry.pk),
                                                                                      MORNING)
    lines = sent_lines(sms_file)
    assert [(line["to"], line["text"], line["purpose"], line["message_id"]) for line in lines] == [
        ("+989121234567", "تخفیف ویژه\nلغو۱۱", "marketing", str(entry.pk))]


def test_no_opt_out_from_an_advertising_line_or_on_service_messages(fan, settings):
    settings.SMS_SERVICE_LINE = False
    assert marketing(fan, "حراج").text == "حراج"
    settings.SMS_SERVICE_LINE = True
    service = message_queue(member_id=fan.pk, channel="sms", purpose="service", text="رسید خرید", now=MORNING)
    assert service.text == "رسید خرید"


def test_without_consent_a_marketing_message_is_skipped_and_never_queued(member_factory, sms_file):
    silent = member_factory(consents={"sms": False})
    message = marketing(silent)
    assert (message.status, message.skip_reason) == ("skipped", "no_consent")
    assert not OutboxEntry.objects.filter(handler="engage.message").exists()
    service = message_queue(member_id=silent.pk, channel="sms", purpose="service", text="کد شما", now=MORNING)
    assert service.status == "queued"
    work(MORNING)
    assert [line["text"] for line in sent_lines(sms_file)] == ["کد شما"]


def test_outside_the_window_marketing_is_held_until_it_opens(fan, sms_file):
    night = tehran(2026, 12, 5, 23, 15)
    message = marketing(fan, now=night)
    assert (message.status, message.due_at) == ("held", tehran(2026, 12, 6, 9, 0))
    service = message_queue(member_id=fan.pk, channel="sms", purpose="service", text="رسید", now=night)
    assert (service.status, service.due_at) == ("queued", night)
    work(night)
    assert [line["text"] for line in sent_lines(sms_file)] == ["رسید"]
    work(tehran(2026, 12, 6, 8, 59))
    assert len(sent_lines(sms_file)) == 1
    work(tehran(2026, 12, 6, 9, 0))
    message.refresh_from_db()
    assert message.status == "sent" and message.sent_at == tehran(2026, 12, 6, 9, 0)
    assert [line["text"] for line in sent_lines(sms_file)] == ["رسید", "تخفیف ویژه\nلغو۱۱"]


def test_a_message_whose_turn_comes_after_the_window_closes_waits_for_the_next_day(fan, sms_file):
    message = marketing(fan, now=tehran(2026, 12, 5, 20, 50))
    assert message.status == "queued"
    work(tehran(2026, 12, 5, 21, 5))  # the worker was late: the window has closed meanwhile
    message.refresh_from_db()
    assert (message.status, message.due_at) == ("held", tehran(2026, 12, 6, 9, 0))
    entry = OutboxEntry.objects.get(handler="engage.message")
    assert (entry.attempts, entry.available_at) == (0, tehran(2026, 12, 6, 9, 0))
    assert sent_lines(sms_file) == []
    work(tehran(2026, 12, 6, 9, 1))
    assert len(sent_lines(sms_file)) == 1


def test_the_weekly_cap_counts_marketing_across_channels_over_any_seven_days(fan, settings):
    assert marketing(fan, "یک").status == "queued"
    assert marketing(fan, "دو", channel="email", subject="s", now=MORNING + timedelta(days=2)).status == "queued"
    third = marketing(fan, "سه", now=MORNING + timedelta(days=6, hours=23))
    assert (third.status, third.skip_reason) == ("skipped", "frequency_cap")
    # Seven days after the first, one place is free again.
    assert marketing(fan, "چهار", now=MORNING + timedelta(days=7)).status == "queued"
    assert marketing(fan, "پنج", now=MORNING + timedelta(days=8)).skip_reason == "frequency_cap"
    assert message_queue(member_id=fan.pk, channel="sms", purpose="service", text="رسید",
                         now=MORNING + timedelta(days=8)).status == "queued"
    settings.MARKETING_PER_WEEK = 3
    assert marketing(fan, "شش", now=MORNING + timedelta(days=8)).status == "queued"


def test_skipped_messages_do_not_count_towards_the_cap(member_factory):
    member = member_factory(consents={"sms": False})
    for _ in range(3):
        assert marketing(member).skip_reason == "no_consent"
    member_consent_set(member=member, channel="sms", granted=True)
    assert marketing(member).status == "queued"


def test_a_number_that_blocks_advertising_gets_no_marketing_but_still_service(fan, sms_file):
    number_blocks_advertising(phone="0912 123 4567", gateway="kavenegar")
    assert BlockedNumber.objects.get().phone == "+989121234567"
    assert marketing(fan).skip_reason == "blocked_number"
    assert marketing(fan, channel="email", subject="s").status == "queued"
    assert message_queue(member_id=fan.pk, channel="sms", purpose="service", text="کد", now=MORNING).status == \
        "queued"


def test_consent_withdrawn_after_queueing_stops_the_message_at_send_time(fan, sms_file, client, settings):
    message = marketing(fan)
    assert sms_reply_handle(sender="+989121234567", text="۱۱") == "withdrawn"
    work(MORNING)
    message.refresh_from_db()
    assert (message.status, message.skip_reason) == ("skipped", "no_consent")
    assert sent_lines(sms_file) == []


def test_blocked_members_and_missing_addresses_are_skipped(member_factory):
    nobody = member_factory(consents={"email": True})
    assert marketing(nobody, channel="email", subject="s").skip_reason == "invalid_address"
    blocked = member_factory(consents={"sms": True})
    Member.objects.filter(pk=blocked.pk).update(status=Member.Status.BLOCKED)
    assert marketing(blocked).skip_reason == "member_blocked"
    assert message_queue(member_id=blocked.pk, channel="sms", purpose="service", text="x",
                         now=MORNING).skip_reason == "member_blocked"


def test_an_occurrence_key_decides_once(fan):
    first = marketing(fan, key="automation:1:member:1:birthday:1405")
    assert messages_decide(drafts=[Draft(fan.pk, "again", "", "automation:1:member:1:birthday:1405")], channel="sms",
                           purpose="marketing", now=MORNING) == []
    assert Message.objects.get() == first


def test_a_marketing_email_carries_one_click_unsubscribe_and_rtl_html(fan, settings, client):
    settings.VAFA_PUBLIC_URL = "https://club.example"
    message = marketing(fan, "سلام سارا\nتخفیف ویژهٔ شما", channel="email", subject="هدیهٔ باشگاه")
    work(MORNING)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    unsubscribe = sent.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://club.example/u/") and unsubscribe.endswith(">")
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (sent.to, sent.subject) == (["sara@example.com"], "هدیهٔ باشگاه")
    assert sent.body.startswith("سلام سارا\nتخفیف ویژهٔ شما")
    html = sent.alternatives[0][0]
    assert 'dir="rtl"' in html and 'lang="fa"' in html and "<br>" in html
    message.refresh_from_db()
    assert message.status == "sent"
    token = unsubscribe[1:-1].rsplit("/", 1)[1]
    assert client.get(f"/u/{token}").status_code == 200
    assert Consent.objects.get(member=fan, channel="email").granted is True  # GET changes nothing
    response = client.post(f"/u/{token}", {"List-Unsubscribe": "One-Click"})
    assert (response.status_code, response.content) == (200, b"")
    assert Consent.objects.get(member=fan, channel="email").granted is False
    assert ConsentChange.objects.filter(member=fan, channel="email").latest("pk").source == "unsubscribe"


def test_a_service_email_has_no_unsubscribe(fan):
    message_queue(member_id=fan.pk, channel="email", purpose="service", text="Your receipt", subject="Receipt",
                  now=MORNING)
    work(MORNING)
    assert "List-Unsubscribe" not in mail.outbox[0].extra_headers
    assert 'dir="ltr"' in mail.outbox[0].alternatives[0][0]


@pytest.mark.parametrize(("text", "result", "granted"), [
    ("11", "withdrawn", False), ("۱۱", "withdrawn", False), (" ١ ١ ", "withdrawn", False),
    ("12", "granted", True), ("۱۲", "granted", True), ("لغو", "ignored", True), ("111", "ignored", True),
])
def test_sms_replies(fan, text, result, granted):
    assert sms_reply_handle(sender="09121234567", text=text) == result
    assert Consent.objects.get(member=fan, channel="sms").granted is granted
    changes = list(ConsentChange.objects.filter(member=fan, channel="sms").order_by("pk")
                   .values_list("granted", "source"))
    # 12 from someone who already agreed changes nothing, so it adds no change to the history.
    assert changes[-1] == ((False, "sms_reply") if result == "withdrawn" else (True, "join"))


def test_twelve_lifts_the_advertising_block_and_unknown_numbers_are_ignored(fan):
    number_blocks_advertising(phone="09121234567")
    assert sms_reply_handle(sender="989121234567", text="12") == "granted"
    assert not BlockedNumber.objects.exists()
    assert sms_reply_handle(sender="09350000000", text="11") == "ignored"
    assert sms_reply_handle(sender="not a phone", text="11") == "ignored"
    assert Consent.objects.get(member=fan, channel="sms").granted is True

