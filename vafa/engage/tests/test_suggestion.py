"""`{suggestion}`: the product suggested to each member (vafa.insight, through
vafa.core.suggestion_port) in a campaign's preview and in the messages sent; a member without
one lacks the value, so the text never carries a raw `{suggestion}`."""

from datetime import timedelta

import pytest
from django.utils import timezone

from vafa.engage.campaigns import campaign_create, campaign_preview, campaign_schedule, campaigns_run
from vafa.engage.models import Message
from vafa.engage.segments import segment_create
from vafa.engage.tests.conftest import sent_lines, tehran, work
from vafa.engage.texts import PLACEHOLDERS, placeholders_check
from vafa.engage.values import members_values
from vafa.insight.models import ProductPair

pytestmark = pytest.mark.usefixtures("sms_file")

MORNING = tehran(2026, 12, 5, 10)
TEXT = "پیشنهاد ما برای شما: {suggestion}"


@pytest.fixture
def club(member_factory, buy):
    """Who bought coffee is suggested cake (by name) and a mug (it has no name: its SKU)."""
    for then, name, lift in (("CAKE-1", "کیک", 3.0), ("MUG-1", "", 1.5)):
        ProductPair.objects.create(first_sku="COFFEE", then_sku=then, then_name=name, members=3, support=0.2,
                                   confidence=0.5, lift=lift, computed_at=timezone.now())
    coffee, both, nothing = (member_factory(consents={"sms": True}) for _ in range(3))
    buy(coffee, 100_000, days_ago=3, skus=["COFFEE"])
    buy(both, 100_000, days_ago=3, skus=["COFFEE", "CAKE-1"])  # has had cake: the mug, by its SKU
    segment = segment_create(data={"name": "قهوه", "conditions": {"members": [coffee.pk, both.pk, nothing.pk]}})
    return {"coffee": coffee, "both": both, "nothing": nothing, "segment": segment}


def test_suggestion_is_a_known_placeholder():
    assert "suggestion" in PLACEHOLDERS
    placeholders_check(TEXT)  # no error


def test_the_values_carry_each_members_suggestion_and_leave_it_out_for_a_member_without(club):
    ids = [club["coffee"].pk, club["both"].pk, club["nothing"].pk]
    values = members_values(ids, now=MORNING, persian=True)
    assert [values[i].get("suggestion") for i in ids] == ["کیک", "MUG-1", None]


def test_the_preview_shows_the_suggestion_or_names_it_missing(club):
    c = campaign_create(data={"name": "پیشنهاد", "channel": "sms", "segment_id": club["segment"].pk, "text": TEXT})
    shown = campaign_preview(campaign_id=c.pk, member_id=club["coffee"].pk)
    assert (shown["text"], shown["missing"]) == ("پیشنهاد ما برای شما: کیک\nلغو۱۱", [])
    lacking = campaign_preview(campaign_id=c.pk, member_id=club["nothing"].pk)
    assert (lacking["text"], lacking["missing"]) == ("پیشنهاد ما برای شما:\nلغو۱۱", ["suggestion"])


def test_each_member_is_sent_their_own_suggestion_and_never_a_raw_placeholder(club, sms_file):
    c = campaign_create(data={"name": "پیشنهاد", "channel": "sms", "segment_id": club["segment"].pk, "text": TEXT})
    campaign_schedule(campaign_id=c.pk, now=MORNING)
    campaigns_run(MORNING)
    work(MORNING + timedelta(hours=1))
    texts = dict(Message.objects.filter(campaign=c).values_list("member_id", "text"))
    assert texts == {club["coffee"].pk: "پیشنهاد ما برای شما: کیک\nلغو۱۱",
                     club["both"].pk: "پیشنهاد ما برای شما: MUG-1\nلغو۱۱",
                     club["nothing"].pk: "پیشنهاد ما برای شما:\nلغو۱۱"}
    lines = sent_lines(sms_file)
    assert len(lines) == 3 and not any("{" in line["text"] for line in lines)
