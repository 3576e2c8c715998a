"""`vafa import members|purchases FILE`: every row through the API's services and error codes, refused
rows in FILE.errors.csv changing nothing, the same file again adding nothing, an interrupted import
continued after its last committed line, a dry run writing nothing, CSV and XLSX alike."""

import csv
import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from vafa.commerce.models import Purchase
from vafa.ledger.checks import verify_ledger
from vafa.ledger.models import Account, Transfer
from vafa.members.models import Consent, ConsentChange, Member
from vafa.merchants.models import Merchant
from vafa.merchants.services import merchant_create
from vafa.portability import imports
from vafa.portability.models import ImportJob
from vafa.portability.services import import_file
from vafa.program.services import rule_create

TEHRAN = ZoneInfo("Asia/Tehran")
MEMBERS = [
    ["phone", "external_ref", "first_name", "last_name", "kind", "national_id", "email", "birth_date", "joined_at",
     "interests", "sms_consent", "email_consent"],
    ["۰۹۱۲ ۱۲۳ ۴۵۶۷", "C1", "علی", "رضایی", "person", "0013542419", "ali@example.ir", "1370/05/12", "2020-01-02",
     "کتاب; موسیقی", "بله", "no"],
    ["+98 912 111 1111", "C2", "Sara", "Karimi", "", "", "", "1990-02-03", "1402/01/01 09:15", "", "1", ""],
    ["12345", "C3", "bad", "phone", "", "", "", "", "", "", "", ""],
    ["09122222222", "C4", "bad", "code", "", "0012345678", "", "", "", "", "", ""],
    ["09123333333", "C5", "bad", "date", "", "", "", "1403/12/31", "", "", "", ""],
    ["09124444444", "C6", "bad", "consent", "", "", "", "", "", "", "maybe", ""],
]
PURCHASES = [
    ["external_id", "member_ref", "phone", "occurred_at", "amount", "sku", "category", "quantity"],
    ["P1", "C1", "", "1403/07/15", "1,250,000", "A1", "books", "2"],
    ["P1", "C1", "", "1403/07/15", "500000", "B1", "music", "1"],
    ["P2", "", "09121111111", "2024-10-06T14:30:00", "۳۰۰٬۰۰۰", "", "", ""],
    ["P3", "C9", "", "2024-10-06", "100", "", "", ""],
    ["P4", "C2", "", "2099-01-01", "100", "", "", ""],
    ["P5", "C2", "", "2024-10-07", "abc", "", "", ""],
    ["P6", "", "09129999999", "2024-10-07", "100000", "", "", ""],
]


def _csv(path, rows, bom=False):
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _errors(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [(r["line"], r["error"], r["field"]) for r in csv.DictReader(handle)]


def _shop() -> int:
    return Merchant.objects.order_by("pk").first().pk


def _run(*args):
    out = StringIO()
    call_command("import", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.fixture
def shop(merchant):
    return merchant


@pytest.fixture
def members_file(tmp_path):
    return _csv(tmp_path / "members.csv", MEMBERS, bom=True)


def test_members_are_joined_with_the_services_rules_and_refused_rows_go_to_the_errors_file(shop, members_file):
    out = _run("members", members_file)

    assert out.splitlines()[0] == "members: imported 2, already there 0, refused 4 (lines to 7)."
    ali = Member.objects.get(external_ref="C1")
    assert (ali.phone, ali.first_name, ali.last_name, ali.national_id, ali.email) == (
        "+989121234567", "علی", "رضایی", "0013542419", "ali@example.ir")
    assert ali.birth_date == dt.date(1991, 8, 3)  # 1370/05/12
    assert ali.joined_at == dt.datetime(2020, 1, 2, 12, 0, tzinfo=TEHRAN)  # a date alone: noon Tehran
    assert sorted(ali.interests.values_list("name", flat=True)) == sorted(["موسیقی", "کتاب"])
    assert dict(ali.consents.values_list("channel", "granted")) == {Consent.Channel.SMS: True,
                                                                    Consent.Channel.EMAIL: False}
    assert ConsentChange.objects.filter(member=ali, source=ConsentChange.Source.JOIN).count() == 2
    sara = Member.objects.get(external_ref="C2")
    assert sara.phone == "+989121111111"
    assert sara.joined_at == dt.datetime(2023, 3, 21, 9, 15, tzinfo=TEHRAN)  # 1402/01/01 09:15
    assert Account.objects.filter(member__in=[ali, sara]).count() == 2
    assert _errors(members_file.with_name("members.csv.errors.csv")) == [
        ("4", "invalid_phone", ""), ("5", "invalid_national_id", ""), ("6", "validation_error", "birth_date"),
        ("7", "validation_error", "sms_consent")]
    assert Member.objects.count() == 2


def test_the_same_members_file_again_adds_nothing_and_links_an_external_ref(shop, member_factory, tmp_path):
    known = member_factory(phone="09121111111")
    path = _csv(tmp_path / "m.csv", MEMBERS[:3])

    first = import_file(kind="members", path=path, merchant_id=shop.pk)
    again = import_file(kind="members", path=_csv(tmp_path / "m2.csv", MEMBERS[:3]), merchant_id=shop.pk)

    assert (first.imported, first.unchanged, first.failed) == (1, 1, 0)
    assert (again.imported, again.unchanged, again.failed) == (0, 2, 0)
    known.refresh_from_db()
    assert known.external_ref == "C2"  # an existing member is linked to the shop's id, not changed
    assert known.first_name == "سارا"
    assert Member.objects.count() == 2
    assert not (tmp_path / "m.csv.errors.csv").exists()


def test_an_external_ref_of_another_member_is_refused(shop, member_factory, tmp_path):
    member_factory(phone="09125555555", external_ref="C1")
    path = _csv(tmp_path / "m.csv", MEMBERS[:2])

    job = import_file(kind="members", path=path, merchant_id=shop.pk)

    assert (job.imported, job.failed) == (0, 1)
    assert _errors(tmp_path / "m.csv.errors.csv") == [("2", "validation_error", "external_ref")]
    assert not Member.objects.filter(phone="+989121234567").exists()


def test_members_imported_without_points_get_no_join_award(shop, tmp_path):
    rule_create(data={"status": "live", "name": "Welcome", "trigger": "join",
                      "effect": {"type": "fixed_points", "points": 100}})
    _run("members", _csv(tmp_path / "a.csv", MEMBERS[:2]))
    _run("members", _csv(tmp_path / "b.csv", [MEMBERS[0], MEMBERS[2]]), "--no-points")

    assert Account.objects.get(member__external_ref="C1").balance == 100
    assert Account.objects.get(member__external_ref="C2").balance == 0


@pytest.fixture
def two_members(shop, members_file):
    _run("members", members_file)


def test_purchases_earn_as_the_program_says_with_their_items_and_refused_rows_change_nothing(two_members, tmp_path):
    path = _csv(tmp_path / "purchases.csv", PURCHASES)

    out = _run("purchases", path)

    assert out.splitlines() == ["purchases: imported 2, already there 0, refused 4 (lines to 8).",
                                f"Refused rows, with their line and error: {path}.errors.csv",
                                "All ledger invariants hold."]
    p1 = Purchase.objects.get(external_id="P1")
    assert (p1.amount, p1.points_earned, p1.member.external_ref) == (1_750_000, 175, "C1")
    assert p1.occurred_at == dt.datetime(2024, 10, 6, 12, 0, tzinfo=TEHRAN)  # 1403/07/15, noon Tehran
    assert list(p1.items.order_by("sku").values_list("sku", "category", "quantity", "unit_price")) == [
        ("A1", "books", 2, 625_000), ("B1", "music", 1, 500_000)]
    p2 = Purchase.objects.get(external_id="P2")
    assert (p2.amount, p2.points_earned, p2.member.external_ref) == (300_000, 30, "C2")
    assert p2.occurred_at == dt.datetime(2024, 10, 6, 14, 30, tzinfo=TEHRAN)
    assert _errors(tmp_path / "purchases.csv.errors.csv") == [
        ("5", "member_not_found", "member_ref"), ("6", "validation_error", "occurred_at"),
        ("7", "validation_error", "amount"), ("8", "member_not_found", "phone")]
    assert Account.objects.get(member__external_ref="C1").balance == 175
    assert Purchase.objects.count() == 2


def test_the_same_purchases_again_add_nothing_and_a_changed_one_is_a_duplicate(two_members, tmp_path):
    path = _csv(tmp_path / "p.csv", PURCHASES[:4])
    _run("purchases", path)
    transfers = Transfer.objects.count()

    again = import_file(kind="purchases", path=_csv(tmp_path / "p2.csv", PURCHASES[:4]), merchant_id=_shop())
    changed = [row[:] for row in PURCHASES[:4]]
    changed[3][4] = "999"
    third = import_file(kind="purchases", path=_csv(tmp_path / "p3.csv", changed), merchant_id=_shop())

    assert (again.imported, again.unchanged, again.failed) == (0, 2, 0)
    assert (third.imported, third.unchanged, third.failed) == (0, 1, 1)
    assert _errors(tmp_path / "p3.csv.errors.csv") == [("4", "duplicate_external_id", "external_id")]
    assert Transfer.objects.count() == transfers
    assert Purchase.objects.count() == 2


def test_purchases_imported_without_points_earn_nothing(two_members, tmp_path):
    _run("purchases", _csv(tmp_path / "p.csv", PURCHASES[:4]), "--no-points")

    assert list(Purchase.objects.order_by("external_id").values_list("external_id", "points_earned")) == [
        ("P1", 0), ("P2", 0)]
    assert Transfer.objects.filter(kind=Transfer.Kind.EARN).count() == 0


def test_a_dry_run_checks_every_row_and_writes_nothing(two_members, tmp_path):
    path = _csv(tmp_path / "p.csv", PURCHASES)
    before = (Purchase.objects.count(), Transfer.objects.count(), ImportJob.objects.count())

    out = _run("purchases", path, "--dry-run")

    assert out.splitlines()[0] == "purchases: would import 2, already there 0, refused 4 (lines to 8)."
    assert (Purchase.objects.count(), Transfer.objects.count(), ImportJob.objects.count()) == before
    assert [e[1] for e in _errors(tmp_path / "p.csv.errors.csv")] == [
        "member_not_found", "validation_error", "validation_error", "member_not_found"]


def test_an_xlsx_file_imports_like_its_csv_with_excel_dates_and_numbers(shop, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Phone", "external_ref", "first_name", "birth_date", "sms_consent"])
    sheet.append([9121234567, "X1", "رضا", dt.datetime(1990, 5, 6), True])
    sheet.append(["09121111111", 77, "Mina", "1369/02/16", "خیر"])
    book.save(tmp_path / "m.xlsx")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["external_id", "member_ref", "occurred_at", "amount", "sku", "quantity"])
    sheet.append(["S-1", "X1", dt.datetime(2024, 3, 1, 10, 0), 2_000_000.0, "Z", 4])
    sheet.append(["S-2", 77, dt.date(2024, 3, 2), 50_000, None, None])
    book.save(tmp_path / "p.xlsx")

    _run("members", tmp_path / "m.xlsx")
    _run("purchases", tmp_path / "p.xlsx")

    reza, mina = Member.objects.get(external_ref="X1"), Member.objects.get(external_ref="77")
    assert (reza.phone, reza.birth_date, mina.birth_date) == ("+989121234567", dt.date(1990, 5, 6),
                                                               dt.date(1990, 5, 6))
    assert dict(reza.consents.values_list("channel", "granted")) == {"sms": True}
    assert dict(mina.consents.values_list("channel", "granted")) == {"sms": False}
    s1 = Purchase.objects.get(external_id="S-1")
    assert (s1.amount, s1.occurred_at, s1.points_earned) == (2_000_000, dt.datetime(2024, 3, 1, 10, tzinfo=TEHRAN),
                                                             200)
    assert list(s1.items.values_list("sku", "quantity", "unit_price")) == [("Z", 4, 500_000)]
    assert Purchase.objects.get(external_id="S-2").occurred_at == dt.datetime(2024, 3, 2, 12, tzinfo=TEHRAN)


@pytest.mark.parametrize(("name", "content", "says"), [
    ("m.csv", "first_name\nعلی\n", "phone"),
    ("m.txt.pdf", "phone\n09121234567\n", ".csv"),
    ("m.csv", None, "UTF-8"),
    ("m.xlsx", "not a workbook", "xlsx"),
])
def test_a_file_that_cannot_be_imported_is_refused_whole(shop, tmp_path, name, content, says):
    path = tmp_path / name
    if content is None:
        path.write_bytes(b"phone,first_name\n09121234567," + "علی".encode("utf-16"))
    else:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        _run("members", path)

    assert refused.value.returncode == 2
    assert says in str(refused.value)
    assert Member.objects.count() == 0


def test_purchases_need_a_merchant_named_when_there_are_several(two_members, tmp_path):
    merchant_create(name="شعبهٔ دوم")
    path = _csv(tmp_path / "p.csv", PURCHASES[:2])

    with pytest.raises(CommandError) as refused:
        _run("purchases", path)
    _run("purchases", path, "--merchant", "شعبهٔ دوم")

    assert refused.value.returncode == 2
    assert Purchase.objects.get().merchant.name == "شعبهٔ دوم"


def test_an_interrupted_import_continues_after_its_last_committed_chunk(two_members, tmp_path, monkeypatch):
    rows = [PURCHASES[0]] + [[f"Q{n}", "C1", "", "2024-10-06", str(10_000 * n), "", "", ""] for n in range(1, 26)]
    path = _csv(tmp_path / "q.csv", rows)
    real = imports._purchases_chunk

    def dies_in_the_third_chunk(run, chunk):
        if chunk[0].line == 12:
            real(run, chunk)
            raise KeyboardInterrupt  # the process cut off in the middle of a chunk's transaction
        return real(run, chunk)

    monkeypatch.setattr(imports, "_KIND_WORK", {**imports._KIND_WORK, "purchases": (
        imports.PURCHASE_COLUMNS, ("external_id", "amount"), dies_in_the_third_chunk)})
    job = imports.import_job_open(kind="purchases", path=path, merchant_id=_shop())
    with pytest.raises(KeyboardInterrupt):
        imports.import_run(job, chunk_rows=5)
    job.refresh_from_db()
    assert (job.status, job.lines_done, job.imported) == ("running", 11, 10)
    assert Purchase.objects.count() == 10  # the chunk of lines 12-16 rolled back whole

    monkeypatch.setattr(imports, "_KIND_WORK", {**imports._KIND_WORK, "purchases": (
        imports.PURCHASE_COLUMNS, ("external_id", "amount"), real)})
    monkeypatch.setattr(imports, "STALE_AFTER", dt.timedelta(0))  # the cut-off run no longer holds it
    again = import_file(kind="purchases", path=path, merchant_id=_shop())

    assert again.pk == job.pk
    assert (again.status, again.lines_done, again.imported, again.unchanged) == ("done", 26, 25, 0)
    assert sorted(Purchase.objects.values_list("amount", flat=True)) == [10_000 * n for n in range(1, 26)]
    assert Account.objects.get(member__external_ref="C1").balance == sum(n for n in range(1, 26))
    assert all(not problems for _, problems in verify_ledger())


def test_a_file_being_imported_by_a_live_process_is_not_imported_twice_at_once(two_members, tmp_path):
    path = _csv(tmp_path / "p.csv", PURCHASES[:2])
    job = imports.import_job_open(kind="purchases", path=path, merchant_id=_shop())
    ImportJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=dt.datetime.now(tz=TEHRAN))

    with pytest.raises(CommandError) as refused:
        _run("purchases", path)

    assert refused.value.returncode == 2
    assert Purchase.objects.count() == 0


def test_the_same_phone_or_external_ref_twice_in_a_file_joins_one_member(shop, tmp_path):
    rows = [MEMBERS[0], MEMBERS[1], ["09121234567", "D1", "again", "", "", "", "", "", "", "", "", ""],
            ["09127777777", "C1", "other", "", "", "", "", "", "", "", "", ""]]
    job = import_file(kind="members", path=_csv(tmp_path / "m.csv", rows), merchant_id=_shop())

    assert (job.imported, job.failed) == (1, 2)
    assert _errors(tmp_path / "m.csv.errors.csv") == [("3", "member_exists", "phone"),
                                                       ("4", "validation_error", "external_ref")]
    assert Member.objects.get().first_name == "علی"
    assert Account.objects.filter(member__isnull=False).count() == 1


def test_a_first_purchase_bonus_counts_each_members_own_earlier_purchases_across_chunks(merchant, member_factory,
                                                                                       tmp_path):
    # Chunk 2's earliest row (2019) is before member 1's purchase of chunk 1 (2024-01): member 1's
    # purchase of 2024-06 is their second all the same.
    rule_create(data={"status": "live", "name": "First", "trigger": "purchase", "conditions": {"first_purchase": True},
                      "effect": {"type": "fixed_points", "points": 500}})
    phones = ["09120000001", "09120000002", "09120000003"]
    for phone in phones:
        member_factory(phone=phone)
    path = tmp_path / "p.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["external_id", "phone", "occurred_at", "amount"],
                                      ["P1", phones[0], "2024-01-01", "100000"],
                                      ["P2", phones[1], "2024-01-01", "100000"],
                                      ["P3", phones[2], "2019-01-01", "100000"],
                                      ["P4", phones[0], "2024-06-01", "100000"]])
    job = imports.import_job_open(kind="purchases", path=path, merchant_id=merchant.id)
    imports.import_run(job, chunk_rows=2)
    ids = dict(Purchase.objects.values_list("pk", "external_id"))
    bonuses = Transfer.objects.filter(source_kind="purchase", memo__startswith="First").values_list("source_id",
                                                                                                   "amount")
    assert sorted((ids[source], amount) for source, amount in bonuses) == [("P1", 500), ("P2", 500), ("P3", 500)]
    assert all(not problems for _, problems in verify_ledger())
