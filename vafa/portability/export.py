"""Everything a business owns, as files in one folder: `vafa export DIR` and the back-office's
export job (DESIGN "Importing history"; `vafa restore-export` reads the folder back).

What is written (`TABLES` in order, then `program.json` and `manifest.json`):
- CSV, one file a table: members (the columns of `vafa import members` first), their consent
  history, occasions, tags, applications (a closed club), paid memberships and tier changes;
  purchases (the columns of `vafa import purchases` first) with their items and refunds;
  sales without a member with their items;
  redemptions; the points ledger (accounts, transfers, lots, lot uses) and what rules gave
  members (`rule_awards`: the record per-member caps count against); coupons and gift cards
  with their uses; messages; and what the rows name: merchants, branches, membership plans,
  interests, tags, and every rule, ended ones too (`rules`: transfers, purchases and awards
  name a rule by its id; the restore finds it again by name);
- XLSX (one workbook a table, one sheet) of members, purchases, refunds, coupons and gift
  cards, the same rows as their CSV; skipped, and said so in the manifest, for a table of more
  than `XLSX_MAX_ROWS` rows (a sheet holds at most 1,048,576);
- `program.json`: the program document (vafa.program's export: settings, tiers, rewards, rules
  that are not ended);
- `manifest.json`: format, versions, time, and each file's name, rows (data rows, the header
  left out; 1 for program.json), bytes and SHA-256; the ledger's totals, which the restore
  checks it rebuilt.

Streamed: every table is read a chunk of `CHUNK` rows at a time, by id (keyset pagination:
constant memory and cost per chunk, however large the table), and written as it comes.
One snapshot: the whole export reads one consistent state of the database (PostgreSQL:
a REPEATABLE READ transaction; SQLite in WAL mode: one read transaction), so an export taken
while the shop sells still balances (its accounts, transfers and lots agree) and writers are
never blocked.

Cells: CSV is UTF-8 with a byte order mark (Excel then reads Persian text right; our import
and the restore accept it with or without). Empty is none; booleans are `true`/`false`; times
ISO 8601 in Tehran time with the offset (`2025-03-21T12:30:00+03:30`), dates ISO; integers
as digits (Rials, points). Every text from the database goes through `vafa.core.spreadsheet.cell`
(a text that begins like a formula gets a leading apostrophe), and a text that already begins
with an apostrophe gets one more: reading a text back is then exactly "drop one leading
apostrophe", with nothing lost. Phones are the exception, written as stored: they are E.164
(`+989121234567`, checked when saved) or `erased-<id>`, so no formula can ride in them, and
the import must read them as they are. Coupon and gift card codes are stored in clear and
exported as stored: the owner owns them.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import shutil
import sys
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from vafa.commerce.models import Purchase, PurchaseItem, Refund, WalkInSale, WalkInSaleItem
from vafa.core.errors import ApplicationError
from vafa.core.jalali import TEHRAN
from vafa.core.spreadsheet import cell
from vafa.engage.models import Message
from vafa.ledger.models import Account, Lot, LotUse, Transfer
from vafa.members.models import (
    Application,
    Consent,
    ConsentChange,
    Interest,
    Member,
    Membership,
    MembershipPlan,
    MemberTag,
    Occasion,
    Tag,
)
from vafa.merchants.models import Branch, Merchant
from vafa.portability.imports import STALE_AFTER as IMPORT_STALE_AFTER
from vafa.portability.models import ExportJob
from vafa.program.models import Rule, RuleAward, TierChange
from vafa.program.selectors import program_export
from vafa.rewards.models import Coupon, CouponUse, GiftCard, GiftCardUse, Redemption

logger = logging.getLogger(__name__)

FORMAT = "vafa-export"
FORMAT_VERSION = 1
CHUNK = 2000  # rows read by one query
PROGRESS_EVERY = 5000  # rows between two calls of `progress`
# XLSX for the smaller tables only: a workbook is written at about 1 ms a row and opens slowly;
# the CSV holds every table whatever its size (a sheet holds at most 1,048,576 rows anyway).
XLSX_MAX_ROWS = 100_000
XLSX_MAX_TEXT = 32_767  # characters a cell holds
CONSENT_CHANNELS = ("sms", "email", "push")
PROGRAM_FILE = "program.json"
MANIFEST_FILE = "manifest.json"
# How the files are written, restated in the manifest for whoever reads them without this code.
CSV_NOTES = {
    "encoding": "UTF-8 with a byte order mark",
    "empty": "none",
    "booleans": "true / false",
    "times": "ISO 8601 in Tehran time, with the offset",
    "texts": "a text beginning with = + - @ a tab, a carriage return or an apostrophe has one more "
             "apostrophe in front (spreadsheets then never run it): drop one to read it back; phones as stored",
    "interests": "names, separated by ;",
}


class ExportError(ApplicationError):
    code, status, message = "export_refused", 409, gettext_lazy("The export cannot be written.")


# --- cells ----------------------------------------------------------------------------------------


def text_cell(value: str) -> str:
    """A text as written to a CSV or XLSX cell (see the module doc): safe to open, and read
    back exactly by dropping one leading apostrophe."""
    return "'" + value if value.startswith("'") else cell(value)


def _out(value: Any, *, verbatim: bool = False) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return value.astimezone(TEHRAN).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    value = str(value)
    return value if verbatim else text_cell(value)


def _xlsx_cell(value: Any) -> Any:
    """A CSV cell as an XLSX cell: the same text, less the control characters XML cannot hold."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_MAX_TEXT]
        return value or None
    return value


# --- the tables -----------------------------------------------------------------------------------

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Table:
    """One table as one file. `columns` maps each column to the path read (`values_list`), None
    for a column `fill` computes for a chunk; every column's value is formatted by `_out`."""

    name: str
    model: type[models.Model]
    columns: dict[str, str | None]
    xlsx: bool = False
    fill: Callable[[Rows], None] | None = None
    verbatim: frozenset[str] = frozenset()

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    def paths(self) -> list[str]:
        paths = ["id"]  # read first: the key of the pages
        paths += [p for p in self.columns.values() if p and p not in paths]
        return paths


def _all_columns(model: type[models.Model], *, leave_out: tuple[str, ...] = ()) -> dict[str, str]:
    """Every stored column of the model, by its column name (`member_id`), in the model's order."""
    return {f.attname: f.attname for f in model._meta.concrete_fields if f.attname not in leave_out}


def _external_id(value: str | None, pk: int) -> str:
    # A purchase recorded without the shop's id gets one made of Vafa's: importing this file
    # again then finds it instead of recording it twice.
    return value if value else f"vafa-{pk}"


# The columns of `vafa import members` (DESIGN), in its order; the rest follow.
MEMBER_IMPORT_COLUMNS = ("phone", "external_ref", "first_name", "last_name", "kind", "national_id", "email",
                         "birth_date", "joined_at", "interests", "sms_consent", "email_consent")
_MEMBER_COLUMNS: dict[str, str | None] = {
    "phone": "phone", "external_ref": "external_ref", "first_name": "first_name", "last_name": "last_name",
    "kind": "kind", "national_id": "national_id", "email": "email", "birth_date": "birth_date",
    "joined_at": "joined_at", "interests": None, "sms_consent": None, "email_consent": None,
    "id": "id", "organization_name": "organization_name", "status": "status",
    "tier": "tier_state__tier__code", "tier_since": "tier_state__since", "tier_hold_until": "tier_state__hold_until",
    "referral_code": "referral_code", "referred_by_id": "referred_by_id", "push_consent": None,
    "sms_consent_at": None, "email_consent_at": None, "push_consent_at": None,
    "merchant_id": "merchant_id", "erased_at": "erased_at",
}


def _member_fill(rows: Rows) -> None:
    """Consents and interests of a chunk of members: two queries by the chunk's id range."""
    first, last = rows[0]["id"], rows[-1]["id"]
    consents = {(m, c): (g, at) for m, c, g, at in Consent.objects.filter(member_id__gte=first, member_id__lte=last)
                .values_list("member_id", "channel", "granted", "changed_at")}
    interests: dict[int, list[str]] = {}
    through = Member.interests.through.objects.filter(member_id__gte=first, member_id__lte=last)
    for member_id, name in through.order_by("interest__name", "interest_id").values_list("member_id",
                                                                                         "interest__name"):
        interests.setdefault(member_id, []).append(name)
    for row in rows:
        row["interests"] = ";".join(interests.get(row["id"], []))
        for channel in CONSENT_CHANNELS:
            granted, at = consents.get((row["id"], channel), (None, None))
            row[f"{channel}_consent"], row[f"{channel}_consent_at"] = granted, at


# The columns of `vafa import purchases` (DESIGN), in its order; the rest follow.
PURCHASE_IMPORT_COLUMNS = ("external_id", "member_ref", "phone", "occurred_at", "amount", "branch")
_PURCHASE_COLUMNS: dict[str, str | None] = {
    "external_id": "external_id", "member_ref": "member__external_ref", "phone": "member__phone",
    "occurred_at": "occurred_at", "amount": "amount", "branch": "branch__code",
    "id": "id", "member_id": "member_id", "merchant_id": "merchant_id", "tax": "tax", "shipping": "shipping",
    "discount": "discount", "channel": "channel", "payment_method": "payment_method",
    "points_earned": "points_earned", "points_redeemed": "points_redeemed", "refunded_amount": "refunded_amount",
    "points_reversed": "points_reversed", "points_returned": "points_returned", "balance_after": "balance_after",
    "applied_rules": "applied_rules", "fingerprint": "fingerprint", "recorded_at": "recorded_at",
}


def _purchase_fill(rows: Rows) -> None:
    for row in rows:
        row["external_id"] = _external_id(row["external_id"], row["id"])


def _refund_fill(rows: Rows) -> None:
    for row in rows:
        row["purchase__external_id"] = _external_id(row["purchase__external_id"], row["purchase_id"])


TABLES: tuple[Table, ...] = (
    Table("merchants", Merchant, _all_columns(Merchant)),
    Table("branches", Branch, _all_columns(Branch)),
    Table("membership_plans", MembershipPlan, _all_columns(MembershipPlan)),
    Table("interests", Interest, _all_columns(Interest)),
    Table("tags", Tag, _all_columns(Tag)),
    # Every rule, ended ones too (program.json leaves those out), its merchant by slug as in program.json.
    Table("rules", Rule, {**_all_columns(Rule, leave_out=("merchant_id",)), "merchant": "merchant__slug"}),
    Table("members", Member, _MEMBER_COLUMNS, xlsx=True, fill=_member_fill, verbatim=frozenset({"phone"})),
    Table("consent_changes", ConsentChange, _all_columns(ConsentChange)),
    Table("occasions", Occasion, _all_columns(Occasion)),
    Table("member_tags", MemberTag, _all_columns(MemberTag)),
    Table("applications", Application, _all_columns(Application)),
    Table("memberships", Membership, _all_columns(Membership)),
    # Tiers by code, as the program document names them
    Table("tier_changes", TierChange, {"id": "id", "member_id": "member_id", "from_tier": "from_tier__code",
                                       "to_tier": "to_tier__code", "reason": "reason", "changed_at": "changed_at"}),
    Table("purchases", Purchase, _PURCHASE_COLUMNS, xlsx=True, fill=_purchase_fill,
          verbatim=frozenset({"phone"})),
    Table("purchase_items", PurchaseItem, _all_columns(PurchaseItem)),
    Table("refunds", Refund, {**_all_columns(Refund), "purchase_external_id": "purchase__external_id"},
          xlsx=True, fill=_refund_fill),
    # Sales without a member (statistics only: no member, no points).
    Table("walk_in_sales", WalkInSale, _all_columns(WalkInSale)),
    Table("walk_in_sale_items", WalkInSaleItem, _all_columns(WalkInSaleItem)),
    Table("redemptions", Redemption, {**_all_columns(Redemption), "reward_name": "reward__name"}),
    Table("accounts", Account, _all_columns(Account)),
    Table("transfers", Transfer, _all_columns(Transfer)),
    Table("lots", Lot, _all_columns(Lot)),
    Table("lot_uses", LotUse, _all_columns(LotUse)),
    Table("rule_awards", RuleAward, _all_columns(RuleAward)),
    Table("coupons", Coupon, _all_columns(Coupon), xlsx=True),
    Table("coupon_uses", CouponUse, _all_columns(CouponUse)),
    Table("gift_cards", GiftCard, _all_columns(GiftCard), xlsx=True),
    Table("gift_card_uses", GiftCardUse, _all_columns(GiftCardUse)),
    Table("messages", Message, _all_columns(Message)),
)


def table_chunks(table: Table, size: int | None = None) -> Iterator[Rows]:
    """The table's rows in id order, a chunk at a time, each row a dict of its paths."""
    size = size or CHUNK
    paths = table.paths()
    queryset = table.model._default_manager.order_by("pk")
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        rows = [dict(zip(paths, values, strict=True)) for values in page.values_list(*paths)[:size]]
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = rows[-1]["id"]


# --- writing --------------------------------------------------------------------------------------


@dataclass
class _Written:
    name: str
    rows: int

    def entry(self, folder: Path) -> dict:
        path = folder / self.name
        return {"name": self.name, "rows": self.rows, "bytes": path.stat().st_size, "sha256": file_sha256(path)}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _folder(directory) -> Path:
    folder = Path(directory)
    try:
        if folder.exists() and not folder.is_dir():
            raise ExportError(_("%(path)s is a file: export into a new or empty folder.") % {"path": folder})
        if folder.is_dir() and any(folder.iterdir()):
            raise ExportError(_("%(path)s is not empty: export into a new or empty folder.") % {"path": folder})
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(_("Cannot write to %(path)s: %(why)s.") % {"path": folder, "why": exc.strerror}) from None
    return folder


@contextmanager
def _snapshot() -> Iterator[None]:
    """Read everything that follows from one state of the database (see the module doc).
    Inside a caller's transaction (a test's), that transaction is the snapshot."""
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "sqlite":
        # Django opens SQLite transactions IMMEDIATE (the write lock at BEGIN): this one only
        # reads, so it is opened DEFERRED by hand and shops keep selling during the export.
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")  # nothing was written: this only ends the snapshot
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _write_table(table: Table, folder: Path, *, with_xlsx: bool, progress) -> list[_Written]:
    header = list(table.columns)
    workbook = sheet = None
    if with_xlsx:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(table.name)
        sheet.append(header)
    rows = reported = 0
    with open(folder / table.file, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for chunk in table_chunks(table):
            if table.fill:
                table.fill(chunk)
            for row in chunk:
                line = [_out(row[path if path else column], verbatim=column in table.verbatim)
                        for column, path in table.columns.items()]
                writer.writerow(line)
                if sheet is not None:
                    sheet.append([_xlsx_cell(value) for value in line])
            rows += len(chunk)
            if progress and rows - reported >= PROGRESS_EVERY:
                progress(table.file, rows)
                reported = rows
    if progress:
        progress(table.file, rows)
    written = [_Written(table.file, rows)]
    if workbook is not None:
        workbook.save(folder / f"{table.name}.xlsx")
        written.append(_Written(f"{table.name}.xlsx", rows))
    return written


def ledger_totals() -> dict:
    """What the restore must rebuild: transfers (count, points) by kind, member accounts and
    their points outstanding, lots."""
    by_kind = {kind: {"transfers": n, "points": points} for kind, n, points in
               Transfer.objects.order_by("kind").values("kind").annotate(n=Count("id"), points=Sum("amount"))
               .values_list("kind", "n", "points")}
    members = Account.objects.filter(role=Account.Role.MEMBER).aggregate(n=Count("id"), points=Sum("balance"))
    return {"transfers_by_kind": by_kind, "member_accounts": members["n"], "points_outstanding": members["points"] or 0,
            "transfers": sum(k["transfers"] for k in by_kind.values()), "lots": Lot.objects.count()}


def vafa_version() -> str:
    try:
        return metadata.version("vafa")
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "unknown"


def export_write(directory, *, progress: Callable[[str, int], None] | None = None) -> dict:
    """Write everything the business owns into `directory` (new, or an empty folder) and answer
    the manifest. `progress(file_name, rows_so_far)` is called every `PROGRESS_EVERY` rows and
    when a file is done. Raises ExportError for a folder that cannot take the export."""
    folder = _folder(directory)
    created_at = timezone.now()
    written: list[_Written] = []
    skipped = []
    with _snapshot():
        for table in TABLES:
            with_xlsx = table.xlsx
            if with_xlsx and table.model._default_manager.count() > XLSX_MAX_ROWS:
                with_xlsx = False
                skipped.append({"name": f"{table.name}.xlsx", "reason": f"more than {XLSX_MAX_ROWS} rows: "
                                                                      f"the CSV holds them (see {table.file})"})
            written += _write_table(table, folder, with_xlsx=with_xlsx, progress=progress)
        with open(folder / PROGRAM_FILE, "w", encoding="utf-8") as out:
            json.dump(program_export(), out, ensure_ascii=False, indent=2, sort_keys=True)
        written.append(_Written(PROGRAM_FILE, 1))
        totals = ledger_totals()
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "vafa_version": vafa_version(),
        "created_at": created_at.astimezone(TEHRAN).isoformat(),
        "database": connection.vendor,
        "csv": CSV_NOTES,
        "files": [w.entry(folder) for w in written],
        "skipped": skipped,
        "ledger": totals,
    }
    with open(folder / MANIFEST_FILE, "w", encoding="utf-8") as out:
        json.dump(manifest, out, ensure_ascii=False, indent=2)
    return manifest


def export_zip(directory, *, progress: Callable[[str, int], None] | None = None) -> Path:
    """`DIR.zip` beside the folder, its files under the folder's name (unzipped, the folder
    again). Copied a block at a time; `progress(zip name, megabytes so far)` every 64 MB."""
    folder = Path(directory)
    target = folder.with_name(folder.name + ".zip")
    copied = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for path in sorted(folder.iterdir()):
            if not path.is_file():
                continue
            with open(path, "rb") as source, archive.open(f"{folder.name}/{path.name}", "w",
                                                          force_zip64=True) as entry:
                for block in iter(lambda source=source: source.read(1 << 20), b""):
                    entry.write(block)
                    copied += len(block)
                    if progress and copied % (64 << 20) < len(block):
                        progress(target.name, copied >> 20)
    return target


# --- the back-office's job -----------------------------------------------------------------------

# A running job's progress carries `at`, the time it was last written: the back-office's launcher
# (vafa.portability.background) starts again an export whose `at` is older than this (cut off),
# as it does an import.
STALE_AFTER = IMPORT_STALE_AFTER


def _now_iso() -> str:
    return timezone.now().isoformat()  # UTC: compared as text with the launcher's


class _JobProgress:
    """Writes the job's progress through a connection of its own: the export reads in one long
    transaction, and a write made in it would show only when the export ends."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.own = connections.create_connection(DEFAULT_DB_ALIAS)
        self.field = ExportJob._meta.get_field("progress")

    def __call__(self, file_name: str, rows: int) -> None:
        value = self.field.get_db_prep_save({"file": file_name, "rows": rows, "at": _now_iso()}, self.own)
        try:
            with self.own.cursor() as cursor:
                cursor.execute(f"UPDATE {self.own.ops.quote_name(ExportJob._meta.db_table)} SET "
                               f"{self.own.ops.quote_name(self.field.column)} = %s WHERE id = %s", [value, self.job_id])
        except DatabaseError:
            # What the page shows and the launcher's heartbeat: the export itself goes on.
            logger.warning("export %s: progress not recorded", self.job_id, exc_info=True)

    def close(self) -> None:
        self.own.close()


def _forget_unfinished(path: str) -> None:
    """What a cut-off run of the job left under the exports folder (a part of the files)."""
    exports = (Path(settings.VAR_DIR) / "exports").resolve()
    for left in (Path(path), Path(path + ".zip")) if path else ():
        left = left.resolve()
        if left.parent != exports or not left.exists():
            continue  # only ever the job's own files
        if left.is_dir():
            shutil.rmtree(left)
        else:
            left.unlink()


def export_run(job_id: int) -> ExportJob:
    """Run an ExportJob: running, its progress as it goes, then done (the manifest and the path
    of the zip of the folder) or failed (the reason). A queued job is taken, and a running one
    whose progress was not written for STALE_AFTER (its process was cut off: it starts again);
    any other (running elsewhere, finished) is left as it is."""
    now = timezone.now()
    cut_off = Q(status=ExportJob.Status.RUNNING) & (
        Q(progress__at__isnull=True) | Q(progress__at__lt=(now - STALE_AFTER).isoformat()))
    claimed = ExportJob.objects.filter(Q(status=ExportJob.Status.QUEUED) | cut_off, pk=job_id).update(
        status=ExportJob.Status.RUNNING, progress={"at": now.isoformat()}, message="")
    job = ExportJob.objects.get(pk=job_id)
    if not claimed:
        return job
    _forget_unfinished(job.path)
    folder = Path(settings.VAR_DIR) / "exports" / f"export-{job.pk}-{now.astimezone(TEHRAN):%Y%m%d-%H%M%S}"
    ExportJob.objects.filter(pk=job.pk).update(path=str(folder))
    progress = _JobProgress(job.pk)
    try:
        manifest = export_write(folder, progress=progress)
        archive = export_zip(folder, progress=progress)
    except Exception as exc:
        logger.exception("export %s failed", job.pk)
        reason = exc.message if isinstance(exc, ExportError) else _("Stopped with an error: %(error)s") % {
            "error": exc.__class__.__name__}
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, message=str(reason)[:255],
                                                   finished_at=timezone.now())
    else:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.DONE, manifest=manifest, path=str(archive), finished_at=timezone.now(),
            progress={"done": True, "files": len(manifest["files"]), "at": _now_iso(),
                      "rows": sum(f["rows"] for f in manifest["files"] if f["name"].endswith(".csv"))})
    finally:
        progress.close()
    job.refresh_from_db()
    return job


def progress_printer(stream=None) -> Callable[[str, int], None] | None:
    """For a command on a terminal: the file and the rows written so far, on one line."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return None

    def show(file_name: str, rows: int) -> None:
        stream.write(f"\r{file_name}: {rows:,}\x1b[K")
        stream.flush()

    return show
