"""A hostile review of engagement: each test is an attack that once got through (a 500, a
crash of the worker, a double credit) and must now be refused or harmless."""

import pytest

from vafa.core.errors import UnknownPlaceholder
from vafa.engage.texts import placeholders_check, render


@pytest.mark.parametrize("text", [
    "{first_name!r}", "{first_name!x}", "{points:d}", "{first_name:>999999999999}", "{first_name:{points}}",
    "{points!s:>10}",
])
def test_a_conversion_or_format_spec_is_refused_like_an_unknown_placeholder(text):
    # string.Formatter would apply them when sending: a ValueError, or a MemoryError for a
    # width of a trillion, in the worker or the preview (a 500).
    with pytest.raises(UnknownPlaceholder):
        placeholders_check(text)
    with pytest.raises(UnknownPlaceholder):
        render(text, {"first_name": "Ali", "points": "12"})


def test_doubled_braces_still_stand_for_themselves():
    assert render("{{first_name}} {first_name}", {"first_name": "Ali"}) == "{first_name} Ali"


@pytest.mark.django_db
@pytest.mark.usefixtures("sms_file")
def test_an_email_subject_with_a_newline_is_sent_on_one_line(member_factory):
    # A subject (or a first name in `{first_name}`) with a line break made Django refuse the
    # header (BadHeaderError): the e-mail was retried ten times and never went.
    from datetime import timedelta

    from django.core import mail

    from vafa.engage.messages import Draft, messages_decide
    from vafa.engage.models import Message
    from vafa.engage.tests.conftest import tehran, work

    fan = member_factory(email="sara@example.com", consents={"email": True})
    morning = tehran(2026, 12, 5, 10)
    message = messages_decide(drafts=[Draft(fan.pk, "Hello", "Hi\nBcc: evil@example.com\r\n", None)],
                              channel="email", purpose="marketing", now=morning)[0]
    work(morning)
    work(morning + timedelta(minutes=5))
    message.refresh_from_db()
    assert message.status == Message.Status.SENT, message.error
    assert [m.subject for m in mail.outbox] == ["Hi Bcc: evil@example.com"]
    assert mail.outbox[0].bcc == []


@pytest.mark.django_db
def test_an_email_automation_keeps_its_subject():
    # PATCH could blank the subject creation requires of an e-mail.
    from vafa.core.errors import ValidationFailed
    from vafa.engage.automations import automation_create, automation_update
    from vafa.engage.models import Automation

    made = automation_create(data={"name": "Welcome", "trigger": {"type": "joined"}, "channel": "email",
                                   "purpose": "service", "text": "Hello {first_name}", "subject": "Welcome"})
    with pytest.raises(ValidationFailed) as caught:
        automation_update(automation_id=made.pk, data={"subject": "  "})
    assert caught.value.details == {"subject": "required for an e-mail"}
    assert Automation.objects.get(pk=made.pk).subject == "Welcome"
