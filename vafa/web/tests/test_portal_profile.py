"""The member's profile, consents, referral page and the Jalali date widget."""

import datetime as dt

import pytest
from django.utils import translation

from vafa.members.models import Consent, Interest, Member, Occasion
from vafa.referrals.models import Referral
from vafa.web.tests.test_portal_helpers import log_in
from vafa.web.widgets import JalaliDateField


def profile_post(**extra):
    data = {"first_name": "Sara", "last_name": "Ahmadi", "email": "sara@example.com",
            "birth_date_0": "4", "birth_date_1": "9", "birth_date_2": "1370", "birth_date_3": "jalali",
            "wedding_date_0": "", "wedding_date_1": "", "wedding_date_2": "", "wedding_date_3": "jalali"}
    data.update(extra)
    return data


def test_profile_saves_names_email_jalali_birthday_interests_and_wedding(client, member):
    tea = Interest.objects.create(slug="tea", name="Tea")
    Interest.objects.create(slug="coffee", name="Coffee")
    Occasion.objects.create(member=member, kind="other", title="Shop anniversary", date=dt.date(2020, 5, 1))
    log_in(client, member)
    page = client.get("/profile/").content.decode()
    assert "فروردین" in page and 'name="birth_date_0"' in page and '<label for="id_birth_date_1">' in page
    response = client.post("/profile/", profile_post(
        interests=[str(tea.pk)], wedding_date_0="1", wedding_date_1="1", wedding_date_2="1395"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.first_name, member.last_name, member.email) == ("Sara", "Ahmadi", "sara@example.com")
    assert member.birth_date == dt.date(1991, 11, 25)  # 1370/09/04
    assert [i.name for i in member.interests.all()] == ["Tea"]
    assert set(member.occasions.values_list("kind", "date")) == {("wedding", dt.date(2016, 3, 20)),
                                                                 ("other", dt.date(2020, 5, 1))}
    page = client.get("/profile/").content.decode()
    assert '<option value="1370" selected>۱۳۷۰</option>' in page


def test_profile_in_english_takes_gregorian_dates(client, member, settings):
    log_in(client, member)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "September" in client.get("/profile/").content.decode()
    response = client.post("/profile/", profile_post(birth_date_0="25", birth_date_1="11", birth_date_2="1991",
                                                     birth_date_3="gregorian"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.birth_date == dt.date(1991, 11, 25)


@pytest.mark.parametrize("bad", [
    {"email": "not-an-email"},
    {"birth_date_0": "30", "birth_date_1": "12", "birth_date_2": "1402"},  # Esfand 1402 has 29 days
    {"birth_date_0": "4", "birth_date_1": "", "birth_date_2": "1370"},  # incomplete
    {"first_name": "x" * 101},
    # A year no calendar reaches, in the other calendar: refused, and the page still renders
    {"birth_date_2": "99999999999999999999", "birth_date_3": "gregorian"},
])
def test_invalid_profile_is_422_and_changes_nothing(client, member, bad):
    log_in(client, member)
    before = Member.objects.values().get(pk=member.pk)
    response = client.post("/profile/", profile_post(**bad))
    assert response.status_code == 422
    assert 'data-testid="form-errors"' in response.content.decode()
    assert Member.objects.values().get(pk=member.pk) == before


def test_organization_must_keep_its_name(client, member_factory):
    org = member_factory(kind="organization", organization_name="Tea House")
    log_in(client, org)
    response = client.post("/profile/", profile_post(organization_name=""))
    assert response.status_code == 422
    org.refresh_from_db()
    assert org.organization_name == "Tea House"


def test_consents_switch_per_channel(client, member):
    log_in(client, member)
    client.post("/profile/consents/", {"sms": "on", "email": "on"})
    assert dict(Consent.objects.filter(member=member).values_list("channel", "granted")) == {
        "sms": True, "email": True}  # push was never asked and stays so: nothing to record
    client.post("/profile/consents/", {"email": "on"})
    assert dict(Consent.objects.filter(member=member).values_list("channel", "granted")) == {
        "sms": False, "email": True}
    page = client.get("/profile/").content.decode()
    assert 'id="id_email" checked' in page and 'id="id_sms" checked' not in page


def test_referral_page_shows_code_link_and_referrals(client, member_factory):
    me = member_factory()
    friend = member_factory(referral_code=me.referral_code, first_name="Ali", last_name="Rezaei")
    log_in(client, me)
    page = client.get("/referrals/").content.decode()
    assert me.referral_code in page and f"/join?ref={me.referral_code}" in page
    assert "Ali Rezaei" in page and 'data-state="pending"' in page
    assert friend.phone not in page  # the referrer sees a masked number
    assert Referral.objects.filter(referrer=me).count() == 1


def test_widget_yields_a_date_in_either_calendar():
    field = JalaliDateField(required=False)
    with translation.override("fa"):
        assert field.clean(["۴", "۹", "۱۳۷۰", ""]) == dt.date(1991, 11, 25)
        assert field.clean(["", "", "", "jalali"]) is None
        with pytest.raises(Exception):  # noqa: B017
            field.clean(["31", "7", "1370", "jalali"])  # Mehr has 30 days
    with translation.override("en"):
        assert field.clean(["25", "11", "1991", ""]) == dt.date(1991, 11, 25)
        html = field.widget.render("d", dt.date(1991, 11, 25))
        assert '<option value="11" selected>November</option>' in html
    with translation.override("fa"):
        html = field.widget.render("d", dt.date(1991, 11, 25))
        assert '<option value="9" selected>آذر</option>' in html and 'value="jalali"' in html
