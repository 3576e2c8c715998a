"""A worker that dies in the middle of an automation's occurrences (its transaction never
commits) leaves nothing unsent when it starts again a minute later, and nothing twice: the
automation's look is recorded only once all its occurrences are written. (Before: the look was
recorded first, so a restart of a trigger that follows rows looked back only 10 minutes and
lost the rest for good, and a daily one waited for its next look, 15 minutes later, or the next
day's.) vafa/engage/tests/test_worker_crash_postgres.py does it with real processes and SIGKILL."""

from datetime import date

import jdatetime
import pytest

from vafa.engage import automations
from vafa.engage.automations import automation_create, automations_run
from vafa.engage.models import Automation, Message
from vafa.engage.tests.conftest import tehran

pytestmark = pytest.mark.usefixtures("sms_file")

DAY = jdatetime.date(1405, 9, 12).togregorian()  # 12 Azar


class Killed(Exception):
    """The worker's death, as far as the database can tell: the batch's transaction never commits."""


@pytest.mark.parametrize("trigger", [{"type": "joined"}, {"type": "birthday"}])
def test_a_worker_dying_in_the_middle_of_an_automation_sends_the_rest_when_it_starts_again(
        member_factory, monkeypatch, trigger):
    members = [member_factory(birth_date=date(1990, 12, 3), consents={"sms": True},
                              joined_at=tehran(DAY.year, DAY.month, DAY.day, 8)) for _ in range(5)]
    made = automation_create(data={"name": "x", "trigger": trigger, "channel": "sms", "text": "سلام {first_name}"})
    Automation.objects.filter(pk=made.pk).update(created_at=tehran(2020, 1, 1))
    monkeypatch.setattr(automations, "CHUNK", 2)  # three batches: 2, 2 and 1
    real_decide = automations.messages_decide
    calls = []

    def dies_in_the_second_batch(**kwargs):
        calls.append(kwargs)
        written = real_decide(**kwargs)
        if len(calls) == 2:
            raise Killed
        return written

    monkeypatch.setattr(automations, "messages_decide", dies_in_the_second_batch)
    with pytest.raises(Killed):
        automations_run(tehran(DAY.year, DAY.month, DAY.day, 10))
    assert Message.objects.filter(automation=made).count() == 2  # the first batch only
    monkeypatch.setattr(automations, "messages_decide", real_decide)
    everyone = sorted(m.pk for m in members)
    automations_run(tehran(DAY.year, DAY.month, DAY.day, 10, 1))  # started again a minute later
    assert sorted(Message.objects.filter(automation=made).values_list("member_id", flat=True)) == everyone
    automations_run(tehran(DAY.year, DAY.month, DAY.day, 10, 30))  # and later on: nothing twice
    assert sorted(Message.objects.filter(automation=made).values_list("member_id", flat=True)) == everyone
