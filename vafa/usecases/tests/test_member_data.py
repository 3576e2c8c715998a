"""A member's data on request: the export holds everything about the member and nobody else;
erasing anonymises the person and keeps the books (ledger balanced, totals intact); only the
operator's owners do either in the back-office, audited."""

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from vafa.commerce.models import Purchase
from vafa.commerce.services import purchase_record, refund_record
from vafa.core.models import AuditEntry
from vafa.core.tests.fixtures import assert_ledger_ok, balance
from vafa.ledger.models import Account, Transfer
from vafa.members.models import Consent, Member, Occasion, OneTimeCode
from vafa.members.services import member_create, otp_request
from vafa.merchants.staff import staff_create
from vafa.usecases.member_data import member_erase, member_export_csv, member_export_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def sara(merchant):
    sara = member_create(phone="09121234567", first_name="سارا", last_name="رادمنش", national_id="0013542419",
                         email="sara@example.com", birth_date=date(1990, 3, 21), consents={"sms": True},
                         occasions=[{"kind": "wedding", "date": date(2015, 6, 1)}])
    purchase = purchase_record(merchant_id=merchant.pk, member_id=sara.pk, amount=2_500_000, external_id="S-1")
    refund_record(merchant_id=merchant.pk, purchase_id=purchase.purchase.pk, amount=500_000)
    member_create(phone="09351112233", first_name="Other", email="other@example.com")
    return sara


def exported(member_id) -> dict:
    return json.loads("".join(member_export_json(member_id=member_id)))


def test_the_json_export_holds_the_member_and_nobody_else(sara):
    data = exported(sara.pk)
    assert data["member"] == [{**data["member"][0], "phone": "+989121234567", "national_id": "0013542419",
                               "email": "sara@example.com", "birth_date": "1990-03-21"}]
    assert [c["channel"] for c in data["consents"] if c["granted"]] == ["sms"]
    assert [o["kind"] for o in data["occasions"]] == ["wedding"]
    assert data["account"][0]["balance"] == balance(sara) == 200
    assert [p["external_id"] for p in data["purchases"]] == ["S-1"]
    assert [r["amount"] for r in data["refunds"]] == [500_000]
    assert {t["kind"] for t in data["transfers"]} == {"earn", "refund_reversal"}
    text = json.dumps(data, ensure_ascii=False)
    assert "other@example.com" not in text and "09351112233" not in text and "code_hash" not in text


def test_the_csv_export_has_one_line_per_field(sara):
    rows = list(csv.reader(io.StringIO("".join(member_export_csv(member_id=sara.pk)))))
    assert rows[0] == ["section", "row", "field", "value"]
    assert ["member", "1", "national_id", "0013542419"] in rows
    assert ["member", "1", "first_name", "سارا"] in rows
    assert ["purchases", "1", "amount", "2500000"] in rows


def test_erasing_anonymises_the_person_and_keeps_the_books(sara, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        otp_request(phone="09121234567")
    totals = (Purchase.objects.count(), Transfer.objects.count(), balance(sara))
    erased = member_erase(member_id=sara.pk)
    stored = Member.objects.get(pk=sara.pk)
    assert (stored.phone, stored.first_name, stored.last_name, stored.national_id, stored.email,
            stored.birth_date, stored.status) == (f"erased-{sara.pk}", "", "", "", "", None, "blocked")
    assert stored.erased_at == erased.erased_at is not None
    assert not Occasion.objects.filter(member=sara).exists()
    assert not Consent.objects.filter(member=sara, granted=True).exists()
    assert not OneTimeCode.objects.filter(phone="+989121234567").exists()
    assert (Purchase.objects.count(), Transfer.objects.count(), balance(sara)) == totals
    assert Account.objects.filter(member=sara).count() == 1
    assert_ledger_ok()
    # The phone is free for a new member; erasing again changes nothing more
    member_create(phone="09121234567")
    assert member_erase(member_id=sara.pk).erased_at == erased.erased_at
    text = json.dumps(exported(sara.pk), ensure_ascii=False)
    assert "0013542419" not in text and "sara@example.com" not in text and "سارا" not in text


def test_the_commands(sara, tmp_path):
    out = io.StringIO()
    call_command("member_export", str(sara.pk), stdout=out)
    assert json.loads(out.getvalue())["member"][0]["id"] == sara.pk
    call_command("member_export", str(sara.pk), "--format", "csv", "--output", str(tmp_path / "s.csv"))
    assert (tmp_path / "s.csv").read_text(encoding="utf-8").startswith("section,row,field,value")
    with pytest.raises(CommandError, match="no member '999999'"):
        call_command("member_export", "999999")
    with pytest.raises(CommandError, match="--yes"):
        call_command("member_erase", str(sara.pk))
    assert Member.objects.get(pk=sara.pk).erased_at is None
    out = io.StringIO()
    call_command("member_erase", str(sara.pk), "--yes", stdout=out)
    assert out.getvalue().startswith(f"Member {sara.pk} erased")
    with pytest.raises(CommandError, match="no member 'abc'"):
        call_command("member_erase", "abc", "--yes")


@pytest.mark.parametrize("role", ["manager", "cashier", "marketer"])
def test_only_owners_export_or_erase(sara, role):
    client = Client()
    client.force_login(staff_create(username=role, password="long-enough-pass-1", role=role))
    assert client.get(f"/manage/members/{sara.pk}/export.json").status_code == 403
    assert client.post(f"/manage/members/{sara.pk}/erase/", {"confirm": str(sara.pk)}).status_code == 403
    assert Member.objects.get(pk=sara.pk).erased_at is None
    assert not AuditEntry.objects.filter(action__in=["member.export", "member.erase"]).exists()


def test_the_owner_downloads_and_erases_audited(sara):
    owner = staff_create(username="boss", password="long-enough-pass-1", role="owner")
    client = Client()
    client.force_login(owner)
    page = client.get(f"/manage/members/{sara.pk}/").content.decode()
    assert 'data-testid="export-json"' in page and 'data-testid="erase"' in page
    response = client.get(f"/manage/members/{sara.pk}/export.json")
    assert response.status_code == 200 and response["Content-Disposition"] == (
        f'attachment; filename="member-{sara.pk}.json"')
    assert json.loads(b"".join(response.streaming_content))["member"][0]["email"] == "sara@example.com"
    assert client.get(f"/manage/members/{sara.pk}/export.csv")["Content-Type"] == "text/csv; charset=utf-8"
    assert client.get("/manage/members/999999/export.json").status_code == 404
    # Without the typed confirmation nothing is erased
    client.post(f"/manage/members/{sara.pk}/erase/", {"confirm": "yes"})
    assert Member.objects.get(pk=sara.pk).erased_at is None
    assert client.post(f"/manage/members/{sara.pk}/erase/", {"confirm": str(sara.pk)}).status_code == 302
    assert Member.objects.get(pk=sara.pk).erased_at is not None
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "after"))
    assert actions == [("member.export", {"format": "json"}), ("member.export", {"format": "csv"}),
                       ("member.erase", {"erased": True})]
    assert "سارا" not in str(list(AuditEntry.objects.values_list("target_label", flat=True)))
    assert 'data-testid="erased"' in client.get(f"/manage/members/{sara.pk}/").content.decode()
