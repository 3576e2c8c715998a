"""`export_write` and `vafa export DIR`: every file of a small club, row by row, the manifest's
counts and checksums, cells safe in a spreadsheet, chunked reading, the folder refused when it
is not empty, and the back-office's job."""

import csv
import hashlib
import json
import tracemalloc
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from vafa.commerce.models import Purchase
from vafa.commerce.services import purchase_record, refund_record
from vafa.core import sql
from vafa.core.jalali import TEHRAN
from vafa.engage.services import message_queue
from vafa.ledger.models import Account, Lot, LotUse, Transfer
from vafa.ledger.services import points_adjust, points_expire, points_redeem
from vafa.members.models import Member
from vafa.members.services import (
    application_approve,
    application_open,
    member_create,
    member_erase,
    member_tags_add,
    membership_record,
    plan_create,
)
from vafa.merchants.services import branch_create, merchant_create
from vafa.portability import export
from vafa.portability.export import ExportError, export_run, export_write, text_cell
from vafa.portability.models import ExportJob
from vafa.program.catalog import reward_create
from vafa.program.services import tier_create
from vafa.rewards.models import Coupon, GiftCard
from vafa.rewards.services import coupon_redeem, gift_card_spend, promo_code_create, reward_redeem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The messages are checked in English; the CLI test below reads what an operator sees (Persian)."""
    with translation.override("en"):
        yield

CSV_FILES = ["merchants.csv", "branches.csv", "membership_plans.csv", "interests.csv", "tags.csv", "rules.csv",
             "members.csv", "consent_changes.csv", "occasions.csv", "member_tags.csv", "applications.csv",
             "memberships.csv", "tier_changes.csv", "purchases.csv", "purchase_items.csv",
             "refunds.csv", "walk_in_sales.csv", "walk_in_sale_items.csv",
             "redemptions.csv", "accounts.csv", "transfers.csv", "lots.csv", "lot_uses.csv", "rule_awards.csv",
             "coupons.csv", "coupon_uses.csv", "gift_cards.csv", "gift_card_uses.csv", "messages.csv"]
XLSX_FILES = ["members.xlsx", "purchases.xlsx", "refunds.xlsx", "coupons.xlsx", "gift_cards.xlsx"]
SARA, ALI, ORG, GONE = "+989121111111", "+989122222222", "+989123333333", "+989124444444"


def build_club() -> dict:
    """A small club made through the services: members with consents, interests and a referral,
    purchases with items and a branch, refunds (one in full after the points were spent: a
    deficit), a reward redeemed, an expiry, adjustments, coupons, a gift card, a paid plan, a
    tier, an erased member and a message."""
    merchant = merchant_create(name="فروشگاه نمونه")
    branch_create(merchant=merchant, code="THR-1", name="شعبه ونک", city="تهران")
    tier_create(data={"code": "gold", "name": "طلایی", "rank": 1, "qualify": {"by": "spend", "threshold": 1_000_000}})
    plan = plan_create(name="عضویت ویژه", fee_rial=5_000_000, duration_days=365)
    sara = member_create(phone="09121111111", first_name="سارا", last_name="محمدی", email="sara@example.org",
                         birth_date=date(1990, 3, 21), consents={"sms": True, "email": False},
                         interests=["چای", "کتاب"], merchant_id=merchant.pk,
                         occasions=[{"kind": "wedding", "date": date(2015, 6, 1)}])
    Member.objects.filter(pk=sara.pk).update(external_ref="C-1")
    # A name that a spreadsheet would run as a formula, and one that begins with an apostrophe
    ali = member_create(phone="09122222222", first_name="=HYPERLINK(\"http://x\")", last_name="'رضایی")
    org = member_create(phone="09123333333", kind="organization", organization_name="شرکت آوا",
                        referral_code=sara.referral_code, consents={"push": True})
    gone = member_create(phone="09124444444", first_name="رفته", consents={"sms": True}, interests=["کتاب"])
    member_erase(member_id=gone.pk)
    membership_record(member_id=org.pk, plan_id=plan.pk, amount_rial=5_000_000, payment_reference="PAY-1")

    first = purchase_record(merchant_id=merchant.pk, phone=SARA, amount=1_250_000, external_id="1001",
                            branch="THR-1", payment_method="card",
                            items=[{"sku": "TEA-1", "name": "چای سیاه", "category": "tea", "quantity": 2,
                                    "unit_price": 625_000}]).purchase  # 125 points; gold from here
    refund_record(merchant_id=merchant.pk, purchase_id=first.pk, amount=250_000, external_id="R-1")  # -25
    coupon_reward = reward_create(name="کوپن ۵۰ هزار تومانی", kind="coupon_amount", amount_rial=500_000,
                                  cost_points=50)
    coupon = reward_redeem(member_id=sara.pk, reward_id=coupon_reward.pk, merchant_id=merchant.pk).coupon  # -50
    points_adjust(member_id=sara.pk, points=40, reason="-جبران تأخیر", merchant_id=merchant.pk, expires_at=None)

    # Ali: points that expired, then a purchase whose points he spends before it is refunded
    points_adjust(member_id=ali.pk, points=30, reason="هدیه", merchant_id=None,
                  expires_at=timezone.now() - timedelta(hours=1))
    points_expire()
    second = purchase_record(merchant_id=merchant.pk, phone=ALI, amount=800_000).purchase  # 80 points
    points_redeem(member_id=ali.pk, points=80, merchant_id=merchant.pk)
    refund_record(merchant_id=merchant.pk, purchase_id=second.pk, amount=800_000)  # 80 clawed back: a deficit

    promo = promo_code_create(merchant_id=merchant.pk, code="NOWRUZ", kind="amount", amount_rial=100_000,
                              usage_limit=10)
    coupon_redeem(code="nowruz", member_id=sara.pk, amount=2_000_000, merchant_id=merchant.pk, reference="F-9")
    card_reward = reward_create(name="کارت هدیه", kind="gift_card", amount_rial=1_000_000, cost_points=0)
    card = reward_redeem(member_id=org.pk, reward_id=card_reward.pk, merchant_id=merchant.pk).gift_card
    gift_card_spend(code=card.code, amount_rial=300_000, reference="F-10", merchant_id=merchant.pk)
    message = message_queue(member_id=sara.pk, channel="sms", purpose="service", text="کوپن شما آماده است")
    member_tags_add(member_id=sara.pk, names=["مشتری ویژه"], added_by="مدیر")
    application_open(member_id=org.pk)
    application_approve(member_id=org.pk, staff="مدیر")
    return {"merchant": merchant, "sara": sara, "ali": ali, "org": org, "gone": gone, "first": first,
            "second": second, "coupon": coupon, "promo": promo, "card": card, "message": message, "plan": plan}


@pytest.fixture
def club(settings, tmp_path):
    settings.SMS_BACKEND = "console"
    settings.SMS_OUTBOX = tmp_path / "outbox.jsonl"
    return build_club()


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as file:
        return next(csv.reader(file))


def tehran(moment: datetime | None) -> str:
    return moment.astimezone(TEHRAN).isoformat() if moment else ""


@pytest.fixture
def exported(club, tmp_path):
    folder = tmp_path / "export"
    return folder, export_write(folder)


# --- the files and the manifest ----------------------------------------------------------------


def test_every_file_is_in_the_manifest_with_its_rows_bytes_and_checksum(exported):
    folder, manifest = exported
    names = [entry["name"] for entry in manifest["files"]]
    expected = []
    for name in CSV_FILES:
        expected.append(name)
        if name.replace(".csv", ".xlsx") in XLSX_FILES:
            expected.append(name.replace(".csv", ".xlsx"))
    assert names == [*expected, "program.json"]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*names, "manifest.json"])
    rows = {"merchants.csv": 1, "branches.csv": 1, "membership_plans.csv": 1, "interests.csv": 2, "tags.csv": 1,
            "members.csv": 4, "consent_changes.csv": 4, "occasions.csv": 1, "member_tags.csv": 1,
            "applications.csv": 1, "memberships.csv": 1, "tier_changes.csv": 1, "purchases.csv": 2,
            "purchase_items.csv": 1, "refunds.csv": 2, "redemptions.csv": 2, "coupons.csv": 2, "coupon_uses.csv": 1,
            "gift_cards.csv": 1, "gift_card_uses.csv": 1, "messages.csv": 1, "program.json": 1, "rules.csv": 0,
            "rule_awards.csv": 0}
    for entry in manifest["files"]:
        path = folder / entry["name"]
        data = path.read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        if entry["name"].endswith(".csv"):
            assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM
            assert entry["rows"] == len(read_csv(path))
        elif entry["name"].endswith(".xlsx"):
            assert entry["rows"] == next(e["rows"] for e in manifest["files"]
                                         if e["name"] == entry["name"].replace(".xlsx", ".csv"))
        if entry["name"] in rows:
            assert entry["rows"] == rows[entry["name"]], entry["name"]
    ledger = {e["name"]: e["rows"] for e in manifest["files"]}
    assert (ledger["accounts.csv"], ledger["transfers.csv"], ledger["lots.csv"], ledger["lot_uses.csv"]) == (
        Account.objects.count(), Transfer.objects.count(), Lot.objects.count(), LotUse.objects.count())
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert (manifest["format"], manifest["format_version"], manifest["vafa_version"]) == ("vafa-export", 1, "0.1.0")
    assert datetime.fromisoformat(manifest["created_at"]).utcoffset() == timedelta(hours=3, minutes=30)
    assert manifest["skipped"] == []


def test_the_manifest_carries_the_ledger_totals(exported):
    _folder, manifest = exported
    # Sara 125 - 25 - 50 + 40 = 90; Ali 30 expired, 80 earned, 80 spent, 80 clawed back: -80
    assert manifest["ledger"] == {
        "transfers_by_kind": {"adjust": {"transfers": 2, "points": 70}, "earn": {"transfers": 2, "points": 205},
                              "expire": {"transfers": 1, "points": 30}, "redeem": {"transfers": 2, "points": 130},
                              "refund_reversal": {"transfers": 2, "points": 105}},
        "member_accounts": 4, "points_outstanding": 10, "transfers": 9, "lots": 5}


def test_members_have_the_import_columns_first_then_the_rest(exported, club):
    folder, _manifest = exported
    assert header(folder / "members.csv") == [
        "phone", "external_ref", "first_name", "last_name", "kind", "national_id", "email", "birth_date", "joined_at",
        "interests", "sms_consent", "email_consent", "id", "organization_name", "status", "tier", "tier_since",
        "tier_hold_until", "referral_code", "referred_by_id", "push_consent", "sms_consent_at", "email_consent_at",
        "push_consent_at", "merchant_id", "erased_at"]
    rows = {row["id"]: row for row in read_csv(folder / "members.csv")}
    sara, org, gone = (Member.objects.get(pk=club[name].pk) for name in ("sara", "org", "gone"))
    consents = {c.channel: c.changed_at for c in sara.consents.all()}
    assert rows[str(sara.pk)] == {
        "phone": SARA, "external_ref": "C-1", "first_name": "سارا", "last_name": "محمدی", "kind": "person",
        "national_id": "", "email": "sara@example.org", "birth_date": "1990-03-21", "joined_at": tehran(sara.joined_at),
        "interests": "چای;کتاب", "sms_consent": "true", "email_consent": "false", "id": str(sara.pk),
        "organization_name": "", "status": "active", "tier": "gold", "tier_since": tehran(sara.tier_state.since),
        "tier_hold_until": tehran(sara.tier_state.hold_until), "referral_code": sara.referral_code,
        "referred_by_id": "", "push_consent": "", "sms_consent_at": tehran(consents["sms"]),
        "email_consent_at": tehran(consents["email"]), "push_consent_at": "", "merchant_id": str(club["merchant"].pk),
        "erased_at": ""}
    assert {k: rows[str(org.pk)][k] for k in ("kind", "organization_name", "referred_by_id", "sms_consent",
                                              "push_consent", "tier", "interests")} == {
        "kind": "organization", "organization_name": "شرکت آوا", "referred_by_id": str(sara.pk), "sms_consent": "",
        "push_consent": "true", "tier": "", "interests": ""}
    # An erased member: what is left (no personal data, consent withdrawn, blocked)
    assert {k: rows[str(gone.pk)][k] for k in ("phone", "first_name", "interests", "sms_consent", "status",
                                               "erased_at")} == {
        "phone": f"erased-{gone.pk}", "first_name": "", "interests": "", "sms_consent": "false", "status": "blocked",
        "erased_at": tehran(gone.erased_at)}


def test_tags_applications_and_tier_changes(exported, club):
    folder, _manifest = exported
    sara, org = club["sara"], club["org"]
    [tag] = read_csv(folder / "tags.csv")
    assert (tag["code"], tag["name"]) == ("مشتری-ویژه", "مشتری ویژه")
    [tagged] = read_csv(folder / "member_tags.csv")
    assert (tagged["member_id"], tagged["tag_id"], tagged["added_by"]) == (str(sara.pk), tag["id"], "مدیر")
    [application] = read_csv(folder / "applications.csv")
    assert {k: application[k] for k in ("member_id", "status", "decided_by", "reason")} == {
        "member_id": str(org.pk), "status": "approved", "decided_by": "مدیر", "reason": ""}
    [change] = read_csv(folder / "tier_changes.csv")
    assert list(change) == ["id", "member_id", "from_tier", "to_tier", "reason", "changed_at"]
    assert (change["member_id"], change["from_tier"], change["to_tier"]) == (str(sara.pk), "", "gold")


def test_texts_that_a_spreadsheet_would_run_are_kept_as_text(exported, club):
    folder, _manifest = exported
    ali = next(row for row in read_csv(folder / "members.csv") if row["id"] == str(club["ali"].pk))
    assert (ali["phone"], ali["first_name"], ali["last_name"]) == (ALI, "'=HYPERLINK(\"http://x\")", "''رضایی")
    memo = next(row["memo"] for row in read_csv(folder / "transfers.csv") if row["kind"] == "adjust"
                and row["amount"] == "40")
    assert memo == "'-جبران تأخیر"
    sheet = load_workbook(folder / "members.xlsx", read_only=True)["members"]
    cells = {row[12].value: row for row in sheet.iter_rows(min_row=2)}  # by id
    assert cells[club["ali"].pk][2].value == "'=HYPERLINK(\"http://x\")"
    assert cells[club["ali"].pk][2].data_type == "s"  # a text, not a formula
    assert [text_cell(t) for t in ("=1+1", "+98", "-5", "@a", "\tx", "'a", "a'", "")] == [
        "'=1+1", "'+98", "'-5", "'@a", "'\tx", "''a", "a'", ""]


def test_purchases_items_and_refunds(exported, club):
    folder, _manifest = exported
    assert header(folder / "purchases.csv")[:6] == ["external_id", "member_ref", "phone", "occurred_at", "amount",
                                                    "branch"]
    first, second = (Purchase.objects.get(pk=club[name].pk) for name in ("first", "second"))
    rows = read_csv(folder / "purchases.csv")
    columns = ("external_id", "member_ref", "phone", "amount", "branch", "id", "points_earned", "refunded_amount",
               "points_reversed", "payment_method", "channel")
    assert [{k: row[k] for k in columns} for row in rows] == [
        {"external_id": "1001", "member_ref": "C-1", "phone": SARA, "amount": "1250000", "branch": "THR-1",
         "id": str(first.pk), "points_earned": "125", "refunded_amount": "250000", "points_reversed": "25",
         "payment_method": "card", "channel": "in_store"},
        # recorded without the shop's id: one made of Vafa's, so importing the file again adds nothing
        {"external_id": f"vafa-{second.pk}", "member_ref": "", "phone": ALI, "amount": "800000", "branch": "",
         "id": str(second.pk), "points_earned": "80", "refunded_amount": "800000", "points_reversed": "80",
         "payment_method": "", "channel": "in_store"}]
    assert rows[0]["occurred_at"] == tehran(first.occurred_at)
    assert json.loads(rows[0]["applied_rules"]) == first.applied_rules
    assert [{k: v for k, v in row.items() if k != "id"} for row in read_csv(folder / "purchase_items.csv")] == [
        {"purchase_id": str(first.pk), "sku": "TEA-1", "name": "چای سیاه", "category": "tea", "quantity": "2",
         "unit_price": "625000"}]
    refunds = [{k: v for k, v in row.items() if k not in ("id", "created_at")}
               for row in read_csv(folder / "refunds.csv")]
    assert refunds == [
        {"purchase_id": str(first.pk), "external_id": "R-1", "amount": "250000", "points_reversed": "25",
         "points_returned": "0", "balance_after": "100", "purchase_external_id": "1001"},
        {"purchase_id": str(second.pk), "external_id": "", "amount": "800000", "points_reversed": "80",
         "points_returned": "0", "balance_after": "-80", "purchase_external_id": f"vafa-{second.pk}"}]


def test_the_ledger_files_hold_every_column_of_every_row(exported, club):
    folder, manifest = exported
    assert header(folder / "transfers.csv") == [f.attname for f in Transfer._meta.concrete_fields]
    assert header(folder / "accounts.csv") == ["id", "code", "role", "member_id", "merchant_id", "balance", "deficit"]
    members = {row["member_id"]: (row["balance"], row["deficit"]) for row in read_csv(folder / "accounts.csv")
               if row["role"] == "member"}
    assert members == {str(club["sara"].pk): ("90", "0"), str(club["ali"].pk): ("-80", "80"),
                       str(club["org"].pk): ("0", "0"), str(club["gone"].pk): ("0", "0")}
    transfers = read_csv(folder / "transfers.csv")
    assert [row["id"] for row in transfers] == [str(pk) for pk in Transfer.objects.order_by("pk")
                                                .values_list("pk", flat=True)]
    by_kind: dict[str, int] = {}
    for row in transfers:
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + int(row["amount"])
    assert by_kind == {k: v["points"] for k, v in manifest["ledger"]["transfers_by_kind"].items()}
    clawback = next(row for row in transfers if row["kind"] == "refund_reversal" and row["amount"] == "80")
    stored = Transfer.objects.get(pk=clawback["id"])
    assert clawback == {"id": str(stored.pk), "debit_id": str(stored.debit_id), "credit_id": str(stored.credit_id),
                        "amount": "80", "kind": "refund_reversal", "merchant_id": str(club["merchant"].pk),
                        "issuer_id": str(club["merchant"].pk), "source_kind": "purchase",
                        "source_id": str(club["second"].pk), "rule": "base", "memo": "refund of 800000 IRR",
                        "reverses_id": str(stored.reverses_id), "api_key_id": "",
                        "created_at": tehran(stored.created_at)}
    lots = read_csv(folder / "lots.csv")
    assert [(r["amount"], r["remaining"], r["expired"]) for r in lots] == [
        ("125", "50", "0"), ("40", "40", "0"), ("30", "0", "30"), ("80", "0", "0"), ("0", "-80", "0")]
    assert sorted(int(r["points"]) for r in read_csv(folder / "lot_uses.csv")) == [25, 50, 80]


def test_coupons_gift_cards_and_messages_as_stored(exported, club):
    folder, _manifest = exported
    coupons = {row["code"]: row for row in read_csv(folder / "coupons.csv")}
    assert set(coupons) == {club["coupon"].code, "NOWRUZ"}  # codes as stored: the owner owns them
    assert {k: coupons["NOWRUZ"][k] for k in ("kind", "amount_rial", "is_promo", "usage_limit", "used_count",
                                              "member_id", "redemption_id")} == {
        "kind": "amount", "amount_rial": "100000", "is_promo": "true", "usage_limit": "10", "used_count": "1",
        "member_id": "", "redemption_id": ""}
    assert coupons[club["coupon"].code]["member_id"] == str(club["sara"].pk)
    [card] = read_csv(folder / "gift_cards.csv")
    assert (card["code"], card["initial_rial"], card["balance_rial"], card["member_id"]) == (
        club["card"].code, "1000000", "700000", str(club["org"].pk))
    [use] = read_csv(folder / "gift_card_uses.csv")
    assert (use["amount_rial"], use["balance_after"], use["reference"]) == ("300000", "700000", "F-10")
    [message] = read_csv(folder / "messages.csv")
    stored = club["message"]
    stored.refresh_from_db()
    assert {k: message[k] for k in ("member_id", "channel", "purpose", "to", "text", "status", "skip_reason",
                                    "created_at")} == {
        # `to` is a phone or an e-mail, which may begin with = or +: a text like any other
        "member_id": str(club["sara"].pk), "channel": "sms", "purpose": "service", "to": "'" + SARA,
        "text": "کوپن شما آماده است", "status": stored.status, "skip_reason": stored.skip_reason,
        "created_at": tehran(stored.created_at)}
    program = json.loads((folder / "program.json").read_text(encoding="utf-8"))
    assert (program["format"], [t["code"] for t in program["tiers"]], sorted(r["name"] for r in program["rewards"])) \
        == ("vafa-program", ["gold"], ["کارت هدیه", "کوپن ۵۰ هزار تومانی"])


def test_the_xlsx_files_hold_the_csv_rows(exported):
    folder, _manifest = exported
    for name in XLSX_FILES:
        workbook = load_workbook(folder / name, read_only=True)
        assert workbook.sheetnames == [name.removesuffix(".xlsx")]
        with open(folder / name.replace(".xlsx", ".csv"), encoding="utf-8-sig", newline="") as file:
            csv_rows = [[int(v) if v.lstrip("-").isdigit() else v for v in row] for row in csv.reader(file)]
        width = len(csv_rows[0])  # a sheet's row ends at its last cell that holds something
        sheet_rows = [["" if v is None else v for v in row] + [""] * (width - len(row))
                      for row in workbook.worksheets[0].iter_rows(values_only=True)]
        # Digits are numbers in a sheet; a code of digits only would be too, so compare as CSV reads them
        assert [[int(v) if isinstance(v, str) and v.lstrip("-").isdigit() else v for v in row]
                for row in sheet_rows] == csv_rows, name


def test_a_table_too_large_for_a_sheet_has_no_xlsx_and_the_manifest_says_so(club, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 3)  # 4 members, 2 purchases
    manifest = export_write(tmp_path / "out")
    names = [entry["name"] for entry in manifest["files"]]
    assert "members.xlsx" not in names and "purchases.xlsx" in names
    assert not (tmp_path / "out" / "members.xlsx").exists()
    assert manifest["skipped"] == [{"name": "members.xlsx",
                                    "reason": "more than 3 rows: the CSV holds them (see members.csv)"}]


# --- streaming ----------------------------------------------------------------------------------


def test_tables_are_read_a_chunk_at_a_time_and_written_as_they_come(club, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 2)
    monkeypatch.setattr(export, "PROGRESS_EVERY", 2)
    seen = []

    with CaptureQueriesContext(connection) as queries:
        manifest = export_write(tmp_path / "out", progress=lambda name, rows: seen.append((name, rows)))
    table = connection.ops.quote_name(Transfer._meta.db_table)
    reads = [q["sql"] for q in queries.captured_queries
             if q["sql"].startswith("SELECT") and f"FROM {table}" in q["sql"] and "LIMIT 2" in q["sql"]]
    transfers = Transfer.objects.count()
    assert transfers == 9  # pages of 2, the last one short
    assert len(reads) == transfers // 2 + 1
    assert all("ORDER BY" in sql for sql in reads)
    assert [rows for name, rows in seen if name == "transfers.csv"] == [2, 4, 6, 8, 9]
    assert [rows for name, rows in seen if name == "members.csv"] == [2, 4, 4]  # full pages, then the end
    assert len(read_csv(tmp_path / "out" / "transfers.csv")) == transfers == manifest["ledger"]["transfers"]
    member_ids = [int(row["id"]) for row in read_csv(tmp_path / "out" / "members.csv")]
    assert member_ids == sorted(member_ids) and len(member_ids) == 4


def test_the_memory_an_export_takes_does_not_grow_with_the_table(club, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 200)
    transfers = next(t for t in export.TABLES if t.name == "transfers")
    issued, redeemed = (Account.objects.get(code=f"{role}:{club['merchant'].pk}").pk for role in ("issued", "redeemed"))
    peaks = {}
    for total in (1_000, 6_000):
        missing = total - Transfer.objects.count()
        for start in range(0, missing, 1000):  # rows as the book writes them, only more of them
            sql.insert(Transfer, ["debit_id", "credit_id", "amount", "kind", "source_kind", "rule", "memo",
                                  "created_at"],
                       [[issued, redeemed, 1, "adjust", "", "", f"row {start + n}", timezone.now()]
                        for n in range(min(1000, missing - start))])
        folder = tmp_path / str(total)
        folder.mkdir()
        tracemalloc.start()
        [written] = export._write_table(transfers, folder, with_xlsx=False, progress=None)
        peaks[total] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert written.rows == total
    # Six times the rows, about the same memory: a chunk at a time, never the table
    assert peaks[6_000] < peaks[1_000] * 1.3, peaks


def test_chunks_are_keyed_by_id(club):
    members = next(t for t in export.TABLES if t.name == "members")
    chunks = list(export.table_chunks(members, size=3))
    assert [[row["id"] for row in chunk] for chunk in chunks] == [
        list(Member.objects.order_by("pk").values_list("pk", flat=True)[:3]),
        list(Member.objects.order_by("pk").values_list("pk", flat=True)[3:])]


# --- refusals and the command -------------------------------------------------------------------


def test_a_folder_that_is_not_empty_is_refused_and_left_as_it_is(club, tmp_path):
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(ExportError) as caught:
        export_write(folder)
    assert caught.value.code == "export_refused"
    assert str(caught.value.message) == f"{folder} is not empty: export into a new or empty folder."
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    with pytest.raises(CommandError) as command:
        call_command("export", str(folder))
    assert command.value.returncode == 2
    assert str(command.value) == f"{folder} is not empty: export into a new or empty folder."
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="is a file"):
        export_write(tmp_path / "file")


def test_the_command_prints_a_line_per_file_and_can_zip(club, tmp_path, capsys):
    folder = tmp_path / "deep" / "export"  # made with its parents
    call_command("export", str(folder), "--zip")
    lines = capsys.readouterr().out.splitlines()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert lines[:len(manifest["files"])] == [f"{e['name']}: {e['rows']} rows, {e['bytes']} bytes, sha256 {e['sha256']}"
                                              for e in manifest["files"]]
    assert lines[-2] == (f"Exported to {folder}: {len(manifest['files'])} files, 9 transfers, 4 member accounts, "
                         "10 points outstanding.")
    assert lines[-1] == f"Zip: {folder}.zip"
    with zipfile.ZipFile(f"{folder}.zip") as archive:
        assert sorted(archive.namelist()) == sorted(f"export/{p.name}" for p in folder.iterdir())
        assert archive.read("export/members.csv") == (folder / "members.csv").read_bytes()


# --- the back-office's job ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_job_runs_records_its_progress_and_leaves_a_zip(club, settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path / "var"
    monkeypatch.setattr(export, "CHUNK", 2)
    monkeypatch.setattr(export, "PROGRESS_EVERY", 2)
    job = ExportJob.objects.create()
    seen = []
    started = timezone.now()
    record = export._JobProgress.__call__
    onlooker = connections.create_connection(DEFAULT_DB_ALIAS)  # as the back-office's page would read it

    def watched(self, file_name, rows):
        record(self, file_name, rows)
        with onlooker.cursor() as cursor:
            cursor.execute("SELECT progress FROM portability_exportjob WHERE id = %s", [job.pk])
            seen.append(json.loads(cursor.fetchone()[0]))
        assert datetime.fromisoformat(seen[-1].pop("at")) > started  # the launcher's heartbeat

    monkeypatch.setattr(export._JobProgress, "__call__", watched)
    try:
        done = export_run(job.pk)
    finally:
        onlooker.close()
    assert done.status == ExportJob.Status.DONE and done.message == "" and done.finished_at is not None
    assert {"file": "transfers.csv", "rows": 4} in seen and {"file": "members.csv", "rows": 4} in seen
    archive = Path(done.path)
    assert archive.suffix == ".zip" and archive.parent == tmp_path / "var" / "exports"
    folder = archive.with_suffix("")
    assert done.manifest == json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert datetime.fromisoformat(done.progress.pop("at")) > started
    assert done.progress == {"done": True, "files": len(done.manifest["files"]),
                             "rows": sum(e["rows"] for e in done.manifest["files"] if e["name"].endswith(".csv"))}
    with zipfile.ZipFile(archive) as zipped:
        assert len(zipped.namelist()) == len(done.manifest["files"]) + 1
    # Run again (a retry of the task): a job that is not queued is left as it is
    assert export_run(job.pk).path == done.path


def test_a_running_job_is_left_alone_unless_it_was_cut_off(club, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    exports = tmp_path / "var" / "exports"
    exports.mkdir(parents=True)
    now = timezone.now()
    busy = ExportJob.objects.create(status=ExportJob.Status.RUNNING, progress={"at": now.isoformat()})
    assert export_run(busy.pk).status == ExportJob.Status.RUNNING  # its own process is at it
    (exports / "export-old").mkdir()
    (exports / "export-old" / "members.csv").write_text("half")
    cut_off = ExportJob.objects.create(status=ExportJob.Status.RUNNING, path=str(exports / "export-old"),
                                       progress={"at": (now - timedelta(minutes=3)).isoformat(), "rows": 10})
    done = export_run(cut_off.pk)
    assert done.status == ExportJob.Status.DONE
    assert not (exports / "export-old").exists()  # what the cut-off run left is gone
    assert sorted(p.name for p in exports.iterdir()) == [Path(done.path).stem, Path(done.path).name]
    finished = ExportJob.objects.create(status=ExportJob.Status.DONE, path="kept")
    assert export_run(finished.pk).path == "kept"


def test_a_job_that_cannot_write_is_failed_with_the_reason(club, settings, tmp_path):
    (tmp_path / "var").write_text("not a folder")
    settings.VAR_DIR = tmp_path / "var"
    job = ExportJob.objects.create()
    failed = export_run(job.pk)
    assert failed.status == ExportJob.Status.FAILED and failed.finished_at is not None
    assert failed.message.startswith("Cannot write to ")
    assert failed.manifest == {}
    assert Coupon.objects.count() == 2 and GiftCard.objects.count() == 1  # an export changes nothing
