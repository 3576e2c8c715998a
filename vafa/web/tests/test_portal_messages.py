"""The portal's messages (what the member received) and notification preferences per channel."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from vafa.engage.models import Message
from vafa.engage.selectors import unsubscribe_token
from vafa.engage.services import sms_reply_handle, unsubscribe
from vafa.members.models import Consent, ConsentChange
from vafa.web.tests.test_portal_helpers import log_in

T0 = datetime(2026, 3, 21, 6, 30, tzinfo=UTC)  # 1405/01/01 10:00 in Tehran


def message(member, text, *, status="sent", channel="sms", purpose="service", at=T0, subject="", **extra):
    sent = at if status in ("sent", "delivered") else None
    return Message.objects.create(member=member, channel=channel, purpose=purpose, text=text, subject=subject,
                                  status=status, to=member.phone, created_at=at - timedelta(minutes=1), due_at=at,
                                  sent_at=sent, **extra)


def shown_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-testid="message" data-id="(\d+)"', html)]


def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def me(member_factory):
    return member_factory(phone="09121110001", email="me@example.com")


@pytest.fixture
def other(member_factory):
    return member_factory(phone="09121110002", first_name="Other")


# --- messages received -----------------------------------------------------------------------------------


def test_messages_show_what_was_received_latest_sent_first_and_nothing_else(client, me, other):
    # Decided first (the lowest id) but held for the sending window and sent last: it shows first.
    held_then_sent = message(me, "Birthday coupon BDAY-1234", purpose="marketing", at=T0 + timedelta(days=1))
    receipt = message(me, "Receipt: 120 points", at=T0)
    offer = message(me, "Tea week offer", channel="email", purpose="marketing", subject="Tea week",
                    status="delivered", at=T0 + timedelta(hours=2), delivered_at=T0 + timedelta(hours=3))
    message(me, "Skipped offer", purpose="marketing", status="skipped", skip_reason="no_consent")
    message(me, "Failed receipt", status="failed")
    message(me, "Queued offer", purpose="marketing", status="queued")
    message(me, "Held offer", purpose="marketing", status="held")
    message(other, "Other member's secret offer", purpose="marketing", at=T0 + timedelta(days=2))
    log_in(client, me)
    response = client.get("/messages/")
    assert response.status_code == 200
    html = response.content.decode()
    assert shown_ids(html) == [held_then_sent.pk, offer.pk, receipt.pk]
    for hidden in ("Skipped offer", "Failed receipt", "Queued offer", "Held offer", "Other member", "09121110002",
                   "+989121110002"):
        assert hidden not in html
    assert 'dir="auto" data-testid="subject">Tea week</h2>' in html
    assert html.count('data-testid="subject"') == 1  # an SMS has none
    # Jalali date-times in Persian digits, Tehran time (UTC+3:30), in the language's digits.
    assert "۱۴۰۵/۰۱/۰۱ ۱۰:۰۰" in html and "۱۴۰۵/۰۱/۰۱ ۱۲:۰۰" in html and "۱۴۰۵/۰۱/۰۲ ۱۰:۰۰" in html
    assert 'datetime="2026-03-21T10:00:00+03:30"' in html
    assert html.count('data-channel="email"') == 1 and html.count('data-channel="sms"') == 2
    assert 'class="channel-icon"' in html and 'aria-current="page" data-testid="nav-messages"' in html
    assert 'data-testid="older"' not in html and 'data-testid="newest"' not in html


def test_messages_in_english_have_gregorian_dates_and_channel_labels(client, me, settings):
    message(me, "Welcome", channel="email", subject="Welcome to the club", purpose="marketing")
    message(me, "Your code for the receipt", at=T0 + timedelta(minutes=5))
    log_in(client, me)
    english(client, settings)
    html = client.get("/messages/").content.decode()
    assert "2026-03-21 10:00" in html and "2026-03-21 10:05" in html
    assert re.findall(r'data-testid="channel">([^<]+)<', html) == ["SMS", "E-mail"]
    assert re.findall(r'data-testid="purpose">([^<]+)<', html) == ["About your account", "Offers and news"]


def test_messages_page_by_page_without_gaps_or_repeats(client, me, other):
    # 45 messages, several sent in the same second: the order is by time, then by id.
    made = [message(me, f"Message number {n}", at=T0 + timedelta(minutes=n // 3)) for n in range(45)]
    not_mine = message(other, "Not mine", at=T0 + timedelta(minutes=5))
    expected = [m.pk for m in sorted(made, key=lambda m: (m.sent_at, m.pk), reverse=True)]
    log_in(client, me)
    seen, url, pages = [], "/messages/", 0
    while url:
        html = client.get(url).content.decode()
        pages += 1
        ids = shown_ids(html)
        assert len(ids) == (20 if pages < 3 else 5)
        seen += ids
        found = re.search(r'href="\?before=(\d+)" rel="next"', html)
        url = f"/messages/?before={found.group(1)}" if found else None
        if pages > 1:
            assert 'data-testid="newest"' in html
    assert pages == 3 and seen == expected and not_mine.pk not in seen


def test_nobody_elses_messages_by_any_parameter(client, me, other):
    mine = message(me, "Mine")
    theirs = message(other, "Theirs: coupon XYZ-9999", at=T0 - timedelta(hours=1))
    message(other, "Theirs too", at=T0 - timedelta(hours=2))
    log_in(client, me)
    for url in (f"/messages/?before={theirs.pk}", f"/messages/?member={other.pk}", f"/messages/?member_id={other.pk}",
                f"/messages/?before={theirs.pk + 1}&member={other.pk}"):
        html = client.get(url).content.decode()
        assert "Theirs" not in html and "XYZ-9999" not in html, url
    # Another member's message as the cursor names nothing of mine: an empty page, not theirs.
    assert shown_ids(client.get(f"/messages/?before={theirs.pk}").content.decode()) == []
    assert shown_ids(client.get("/messages/?before=abc").content.decode()) == [mine.pk]


def test_no_messages_yet(client, me, settings):
    log_in(client, me)
    english(client, settings)
    html = client.get("/messages/").content.decode()
    assert 'data-testid="no-messages"' in html and 'class="pagination"' not in html


@pytest.mark.parametrize("url", ["/messages/", "/messages/preferences/"])
def test_anonymous_goes_to_login(client, url, me):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"/login/?next={url.replace('/', '%2F')}"
    response = client.post(url, {"sms": "on"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Consent.objects.exists() and not ConsentChange.objects.exists()


def test_a_blocked_member_is_logged_out(client, member_factory):
    blocked = member_factory(status="blocked")
    message(blocked, "Anything")
    log_in(client, blocked)
    response = client.get("/messages/")
    assert response.status_code == 403 and "Anything" not in response.content.decode()


# --- notification preferences ---------------------------------------------------------------------------


def consents(member) -> dict:
    return dict(Consent.objects.filter(member=member).values_list("channel", "granted"))


def changes(member) -> list[tuple]:
    return list(ConsentChange.objects.filter(member=member).order_by("id").values_list("channel", "granted", "source"))


def test_preferences_page_explains_marketing_only_and_the_sms_replies(client, me, settings):
    log_in(client, me)
    english(client, settings)
    html = client.get("/messages/preferences/").content.decode()
    for channel in Consent.Channel.values:
        assert f'data-testid="consent-{channel}"' in html
    assert "marketing messages only" in html
    assert "Service messages always arrive" in html and "login codes" in html
    assert "reply <strong>11</strong>" in html and "send <strong>12</strong>" in html and "«لغو۱۱»" in html
    assert "+989121110001" in html and "me@example.com" in html
    assert 'data-testid="no-history"' in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fa"
    html = client.get("/messages/preferences/").content.decode()
    assert "<strong>۱۱</strong>" in html and "<strong>۱۲</strong>" in html


def test_saving_records_only_changes_with_source_portal(client, me, settings):
    log_in(client, me)
    english(client, settings)
    # Nothing asked yet, nothing switched on: saving records nothing.
    response = client.post("/messages/preferences/", {})
    assert response.status_code == 302 and response["Location"] == "/messages/preferences/"
    assert consents(me) == {} and changes(me) == []
    assert "Nothing changed" in client.get("/messages/preferences/").content.decode()

    client.post("/messages/preferences/", {"sms": "on", "email": "on"})
    assert consents(me) == {"sms": True, "email": True}
    assert changes(me) == [("sms", True, "portal"), ("email", True, "portal")]
    html = client.get("/messages/preferences/").content.decode()
    assert "Your message preferences are saved." in html
    assert 'id="id_sms" checked' in html and 'id="id_email" checked' in html and 'id="id_push" checked' not in html

    # The same again: no change, no record.
    client.post("/messages/preferences/", {"sms": "on", "email": "on"})
    assert len(changes(me)) == 2
    client.post("/messages/preferences/", {"email": "on"})
    assert consents(me) == {"sms": False, "email": True}
    assert changes(me)[-1] == ("sms", False, "portal") and len(changes(me)) == 3


def test_history_says_when_which_channel_and_how(client, me, other, settings):
    log_in(client, me)
    client.post("/messages/preferences/", {"sms": "on"})
    assert sms_reply_handle(sender="+989121110001", text="۱۱") == "withdrawn"
    assert sms_reply_handle(sender="09121110001", text=" 12 ") == "granted"
    client.post("/messages/preferences/", {"sms": "on", "email": "on"})
    assert unsubscribe(token=unsubscribe_token(me.pk, "email"))
    sms_reply_handle(sender="09121110002", text="11")  # the other member's: not on my page
    for n, change in enumerate(ConsentChange.objects.filter(member=me).order_by("id")):
        ConsentChange.objects.filter(pk=change.pk).update(at=T0 + timedelta(days=n))
    english(client, settings)
    html = client.get("/messages/preferences/").content.decode()
    lines = re.findall(r'data-testid="consent-change"[^>]*>\s*<time[^>]*>([^<]+)</time>\s*<span>([^<]+)</span>', html)
    assert lines == [
        ("2026-03-25 10:00", "E-mail: offers stopped, by the unsubscribe link in an e-mail."),
        ("2026-03-24 10:00", "E-mail: offers allowed, in the portal."),
        ("2026-03-23 10:00", "SMS: offers allowed, by your SMS reply 12."),
        ("2026-03-22 10:00", "SMS: offers stopped, by your SMS reply 11."),
        ("2026-03-21 10:00", "SMS: offers allowed, in the portal."),
    ]
    assert 'data-source="sms_reply"' in html and html.count('data-testid="consent-change"') == 5
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fa"
    html = client.get("/messages/preferences/").content.decode()
    assert "۱۴۰۵/۰۱/۰۵ ۱۰:۰۰" in html and "۱۴۰۵/۰۱/۰۱ ۱۰:۰۰" in html


def test_preferences_post_names_nobody(client, me, other):
    """The form carries no member: a planted id changes only the logged-in member's choices."""
    log_in(client, me)
    client.post("/messages/preferences/", {"sms": "on", "member": other.pk, "member_id": other.pk})
    assert consents(me) == {"sms": True} and consents(other) == {} and changes(other) == []


def test_profile_consents_save_nothing_when_nothing_changed(client, me):
    log_in(client, me)
    client.post("/profile/consents/", {})
    assert changes(me) == []
    client.post("/profile/consents/", {"push": "on"})
    client.post("/profile/consents/", {"push": "on"})
    assert changes(me) == [("push", True, "portal")]
    assert 'href="/messages/preferences/"' in client.get("/profile/").content.decode()
