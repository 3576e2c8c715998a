"""Safe production defaults on every answer: a Content-Security-Policy with no inline script or
style (and no template that would need one), frames refused, HTTPS redirect and HSTS when the
site says it is served over HTTPS, and the console SMS backend refused unless chosen."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2]
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


@pytest.mark.parametrize("path", ["/login/", "/manage/login/", "/api/v1/members/1", "/admin/login/"])
def test_every_answer_carries_the_policy(path):
    response = Client().get(path)
    assert "; ".join(sorted(response["Content-Security-Policy"].split("; "))) == "; ".join(sorted(CSP.split("; ")))
    assert response["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response  # plain HTTP on 127.0.0.1 keeps working


def test_no_template_has_an_inline_script_style_or_handler():
    offenders = []
    for template in TEMPLATES.rglob("templates/**/*.html"):
        if ".venv" in template.parts or template.parent.name == "mail":
            continue  # e-mail bodies are read by mail clients, which know only inline styles
        text = template.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\sstyle=\"", r"<style\b", r"\son[a-z]+=\""):
            offenders += [f"{template.name}: {m.group(0)}" for m in re.finditer(pattern, text)]
    assert offenders == []


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31_536_000)
def test_with_https_plain_http_is_redirected_and_hsts_sent():
    response = Client().get("/login/")
    assert (response.status_code, response["Location"]) == (301, "https://testserver/login/")
    secure = Client().get("/login/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000"


def test_production_sends_no_sms_through_the_console_unless_chosen(settings, tmp_path, capsys):
    from django.core.checks import run_checks

    from vafa.integrations.sms.base import NOT_CHOSEN, SmsNotChosen, get_backend

    settings.DEV_MODE, settings.SMS_BACKEND, settings.SMS_BACKEND_CHOSEN = False, "console", False
    with pytest.raises(SmsNotChosen):
        get_backend()
    assert [(e.id, e.msg) for e in run_checks(include_deployment_checks=True) if e.id == "vafa.E001"] == [
        ("vafa.E001", NOT_CHOSEN)]
    # A login code is not written anywhere: the outbox gives up on it and says why
    from vafa.core.models import OutboxEntry
    from vafa.members.services import otp_request

    settings.SMS_OUTBOX = tmp_path / "outbox.jsonl"
    otp_request(phone="09121234567")
    call_command("worker", once=True, stdout=__import__("io").StringIO())
    entry = OutboxEntry.objects.get()
    assert entry.gave_up and "no SMS gateway is chosen" in (entry.last_error + entry.note)
    assert not settings.SMS_OUTBOX.exists() and "کد ورود" not in capsys.readouterr().out
    # Chosen by name, the console is allowed in production
    settings.SMS_BACKEND_CHOSEN = True
    assert get_backend().name == "console"
    assert [e for e in run_checks(include_deployment_checks=True) if e.id == "vafa.E001"] == []


def test_the_demo_refuses_a_production_installation_without_force(settings):
    from django.core.management import CommandError

    from vafa.members.models import Member

    settings.DEV_MODE = False
    with pytest.raises(CommandError, match=r"production installation.*--force"):
        call_command("demo", members=1, purchases=0)
    assert Member.objects.count() == 0
