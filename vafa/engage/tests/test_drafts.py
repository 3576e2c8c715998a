"""A campaign being composed: its text for the segment's first member, its SMS parts and the
cost over the segment less its hold-out; nothing is written."""

import pytest

from vafa.core.errors import SegmentNotFound, UnknownPlaceholder
from vafa.engage.models import Campaign, Message
from vafa.engage.segments import segment_create
from vafa.engage.selectors import draft_preview

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment(member_factory):
    member_factory(first_name="سارا", last_name="محمدی", consents={"sms": True})
    member_factory(first_name="رضا", last_name="", consents={"sms": True})
    member_factory(consents={"sms": False})
    return segment_create(data={"name": "sms", "conditions": {"consent": "sms"}})


def test_the_first_members_text_with_the_opt_out_and_the_cost_less_the_hold_out(segment, settings):
    settings.SMS_PRICE_PER_PART_RIAL = 2_000
    draft = draft_preview(text="سلام {first_name} {last_name}", channel="sms", segment_id=segment.pk,
                          holdout_percent=50)
    assert draft == {"member_id": draft["member_id"], "text": "سلام سارا محمدی\nلغو۱۱", "subject": "", "missing": [],
                     "characters": 21, "unicode": True, "per_part": 70, "parts": 1, "audience": 2, "holdout": 1,
                     "cost_per_message_rial": 2_000, "estimated_cost_rial": 2_000}
    assert Campaign.objects.count() == Message.objects.count() == 0


def test_a_chosen_member_missing_a_value_and_a_coupon_sample(segment):
    from vafa.members.models import Member

    reza = Member.objects.get(first_name="رضا")
    draft = draft_preview(text="Hi {first_name} {last_name}, {coupon}", channel="sms", purpose="service",
                          member_id=reza.pk, with_coupon=True)
    assert (draft["text"], draft["missing"], draft["unicode"], draft["per_part"]) == (
        "Hi رضا, ABCD-1234", ["last_name"], True, 70)
    assert (draft["audience"], draft["holdout"], draft["estimated_cost_rial"]) == (None, None, None)


def test_e_mail_has_no_parts_and_a_latin_sms_holds_160(segment):
    mail = draft_preview(text="Hello", subject="Yalda {first_name}", channel="email", segment_id=segment.pk)
    assert (mail["parts"], mail["subject"], mail["estimated_cost_rial"]) == (0, "Yalda سارا", 0)
    latin = draft_preview(text="x" * 160, channel="sms", purpose="service")
    assert (latin["unicode"], latin["parts"], latin["per_part"]) == (False, 1, 160)
    assert draft_preview(text="x" * 161, channel="sms", purpose="service")["parts"] == 2


def test_unknown_placeholders_and_missing_segments_are_refused(segment):
    with pytest.raises(UnknownPlaceholder):
        draft_preview(text="Hi {nickname}", channel="sms")
    with pytest.raises(SegmentNotFound):
        draft_preview(text="Hi", channel="sms", segment_id=999)
