"""Importing a shop's members and purchases from a spreadsheet (DESIGN: "Importing history").

Each row goes through the services the API uses (member_create, purchase_record), so it is
checked by the same rules and refused with the same error codes. Rows are decided a chunk at a
time, each chunk in one transaction that also records how far the import got (ImportJob.
lines_done): a run cut off anywhere leaves whole chunks behind it, and running the same file
again continues after the last one. A refused row is written, with its line and error code, to
FILE.errors.csv and changes nothing (its own savepoint); re-importing a file adds nothing
(members are known by phone, purchases by external_id)."""

from __future__ import annotations

import csv
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vafa.commerce.models import Purchase, PurchaseItem
from vafa.commerce.services import (
    ItemIn,
    PastPurchase,
    PurchaseInput,
    purchase_fingerprint,
    purchase_record,
    purchases_record_past,
    purchases_recorded,
)
from vafa.core.errors import ApplicationError, BranchNotFound, DuplicateExternalId, MemberNotFound, ValidationFailed
from vafa.core.inputs import validated
from vafa.core.phone import normalize_phone
from vafa.core.spreadsheet import cell
from vafa.ledger.models import Account, Lot, Transfer
from vafa.members.models import Consent, Member
from vafa.members.services import member_create, member_external_ref_link, members_join_many
from vafa.merchants.selectors import branch_id_for_code
from vafa.portability import rows
from vafa.portability.models import ImportJob
from vafa.portability.readers import UnreadableFile, header_read, rows_estimate, rows_read
from vafa.program.selectors import program_now

CHUNK_ROWS = 1000
# A running import touches its job at every chunk: one not touched for this long was cut off.
STALE_AFTER = timedelta(minutes=2)

MEMBER_COLUMNS = ("phone", "external_ref", "first_name", "last_name", "kind", "national_id", "email",
                  "birth_date", "joined_at", "interests", "sms_consent", "email_consent", "organization_name")
PURCHASE_COLUMNS = ("external_id", "member_ref", "phone", "occurred_at", "amount", "branch", "sku", "category",
                    "quantity", "name")
_KINDS = {"person": Member.Kind.PERSON, "حقیقی": Member.Kind.PERSON, "organization": Member.Kind.ORGANIZATION,
          "حقوقی": Member.Kind.ORGANIZATION}


class ImportRefused(ValidationFailed):
    """The file as a whole cannot be imported (a required column is missing, it is already being
    imported): nothing is written."""

    code = "import_refused"


@dataclass
class Group:
    """The rows that make one record: one member, or one purchase and its lines (consecutive rows
    with the same external_id)."""

    line: int
    cells: list[dict[str, str]] = field(default_factory=list)
    last_line: int = 0


def _groups(kind: str, lines: Iterator[tuple[int, dict[str, str]]]) -> Iterator[Group]:
    if kind == ImportJob.Kind.MEMBERS:
        for number, values in lines:
            yield Group(number, [values], number)
        return
    current: Group | None = None
    for number, values in lines:
        key = rows.plain(values.get("external_id", ""))
        if current is not None and key and key == rows.plain(current.cells[0].get("external_id", "")):
            current.cells.append(values)
            current.last_line = number
            continue
        if current is not None:
            yield current
        current = Group(number, [values], number)
    if current is not None:
        yield current


# --- members ---------------------------------------------------------------------------------------


def _member_fields(values: dict[str, str]) -> dict:
    phone = values.get("phone", "")
    if not rows.plain(phone):
        rows.refuse("phone", "required")
    kind_text = rows.plain(values.get("kind", "")).lower()
    kind = _KINDS.get(kind_text, kind_text) or Member.Kind.PERSON
    first, last = values.get("first_name", "").strip(), values.get("last_name", "").strip()
    organization = values.get("organization_name", "").strip()
    if kind == Member.Kind.ORGANIZATION and not organization:
        organization = f"{first} {last}".strip()
    consents = {}
    for channel in (Consent.Channel.SMS, Consent.Channel.EMAIL):
        granted = rows.yes_no(values.get(f"{channel}_consent", ""), f"{channel}_consent")
        if granted is not None:
            consents[channel] = granted
    for name, limit in (("first_name", 100), ("last_name", 100), ("organization_name", 200),
                        ("external_ref", 100)):
        if len(values.get(name, "").strip()) > limit:
            rows.refuse(name, f"at most {limit} characters")
    joined_at = rows.moment(values.get("joined_at", ""), "joined_at")
    if joined_at is not None and joined_at > timezone.now():
        rows.refuse("joined_at", "not in the future")
    return {
        "phone": normalize_phone(phone), "external_ref": rows.plain(values.get("external_ref", "")) or None,
        "first_name": first, "last_name": last, "kind": kind, "organization_name": organization,
        "national_id": rows.plain(values.get("national_id", "")), "email": values.get("email", "").strip(),
        "birth_date": rows.date(values.get("birth_date", ""), "birth_date"),
        "joined_at": joined_at,
        "interests": rows.words(values.get("interests", "")), "consents": consents,
    }


def _member_import(group: Group, run: ImportRun) -> bool:
    """True when the member was added, False when they were already a member."""
    fields = _member_fields(group.cells[0])
    existing = run.members_by_phone.get(fields["phone"])
    if existing is not None:
        member_id, ref = existing
        if fields["external_ref"] and ref != fields["external_ref"]:
            member_external_ref_link(member_id=member_id, external_ref=fields["external_ref"])
        return False
    member_create(**fields, merchant_id=run.merchant_id, earns=run.earns)
    return True


def _members_prefetch(run: ImportRun, chunk: list[Group]) -> None:
    phones = set()
    for group in chunk:
        try:
            phones.add(normalize_phone(group.cells[0].get("phone", "")))
        except ApplicationError:
            continue  # refused when its row is decided
    run.members_by_phone = {phone: (pk, ref) for pk, phone, ref in
                            Member.objects.filter(phone__in=phones).values_list("pk", "phone", "external_ref")}


# --- purchases -------------------------------------------------------------------------------------


def _purchase_fields(group: Group, run: ImportRun) -> dict:
    first = group.cells[0]
    external_id = rows.plain(first.get("external_id", ""))
    if not external_id:
        rows.refuse("external_id", "required")
    member_ref, phone = rows.plain(first.get("member_ref", "")), rows.plain(first.get("phone", ""))
    who: dict = {}
    if member_ref:
        member_id = run.members_by_ref.get(member_ref)
        if member_id is None:
            raise MemberNotFound(details={"member_ref": member_ref})
        who["member_id"] = member_id
    elif phone:
        who["phone"] = phone
    else:
        rows.refuse("member_ref", "member_ref or phone is required")
    total, items = 0, []
    for values in group.cells:
        line_amount = rows.amount(values.get("amount", ""), "amount")
        total += line_amount
        sku = values.get("sku", "").strip()
        if sku:
            quantity = rows.count(values.get("quantity", ""), "quantity", 1)
            if quantity < 1:
                rows.refuse("quantity", "at least 1")
            items.append(ItemIn(sku=sku, quantity=quantity, unit_price=line_amount // quantity,
                                category=values.get("category", "").strip(), name=values.get("name", "").strip()))
    branch = rows.plain(first.get("branch", "")) or None
    return {"external_id": external_id, "amount": total, "items": items, "branch": branch,
            "occurred_at": rows.moment(first.get("occurred_at", ""), "occurred_at"), **who}


def _purchase_import(group: Group, run: ImportRun, fields: dict | None = None) -> bool:
    fields = fields if fields is not None else _purchase_fields(group, run)
    result = purchase_record(merchant_id=run.merchant_id, earns=run.earns, **fields)
    return not result.replayed


def _purchases_prefetch(run: ImportRun, chunk: list[Group]) -> None:
    refs = {rows.plain(g.cells[0].get("member_ref", "")) for g in chunk} - {""}
    run.members_by_ref = dict(Member.objects.filter(external_ref__in=refs).values_list("external_ref", "pk"))


def _past(fields: dict, run: ImportRun, by_phone: dict, branches: dict) -> PastPurchase:
    """The purchase as the bulk path takes it, checked as purchase_record checks it."""
    checked = validated(PurchaseInput, fields)
    member_id = checked.member_id
    phone = None
    if member_id is None:
        phone = normalize_phone(checked.phone)
        member_id = by_phone.get(phone)
        if member_id is None:
            raise MemberNotFound(details={"phone": phone})
    branch_id = None
    if checked.branch:
        branch_id = branches.get(checked.branch)
        if branch_id is None:
            raise BranchNotFound(details={"branch": checked.branch})
    fingerprint = purchase_fingerprint(
        member_ref=str(checked.member_id or phone), amount=checked.amount, tax=0, shipping=0, redeem_points=0,
        items=checked.items, occurred_at=checked.occurred_at, branch=checked.branch)
    return PastPurchase(member_id=member_id, external_id=checked.external_id, amount=checked.amount,
                        occurred_at=(checked.occurred_at or timezone.now()).astimezone(UTC), items=tuple(checked.items),
                        branch_id=branch_id, branch=checked.branch, fingerprint=fingerprint)


def _purchases_chunk(run: ImportRun, chunk: list[Group]) -> tuple[int, int, list[list]]:
    """A chunk of purchases: the new ones the bulk path takes in a few statements, the others (a
    member it does not take, an external_id already recorded: replayed or refused as a duplicate)
    one by one through purchase_record."""
    _purchases_prefetch(run, chunk)
    refused: list[list] = []
    prepared: list[tuple[Group, dict]] = []
    for group in chunk:
        try:
            prepared.append((group, _purchase_fields(group, run)))
        except ApplicationError as error:
            refused.append(_error_row(group, error))
    phones = set()
    for _group, fields in prepared:
        if "phone" not in fields:
            continue
        try:
            phones.add(normalize_phone(fields["phone"]))
        except ApplicationError:
            continue  # refused below, as purchase_record would
    by_phone = dict(Member.objects.filter(phone__in=phones).values_list("phone", "pk"))
    branches = {code: branch_id_for_code(merchant_id=run.merchant_id, code=code)
                for code in {f["branch"] for _g, f in prepared if f.get("branch")}}
    recorded = purchases_recorded(merchant_id=run.merchant_id, external_ids=[f["external_id"] for _g, f in prepared])
    bulk: list[tuple[Group, PastPurchase]] = []
    single: list[tuple[Group, dict]] = []
    taken_ids: set[str] = set()
    unchanged = 0
    for group, fields in prepared:
        if fields["external_id"] in taken_ids:
            single.append((group, fields))  # twice in one chunk: the second replays after the first
            continue
        try:
            past = _past(fields, run, by_phone, branches)
            if past.external_id in recorded:
                pk, fingerprint = recorded[past.external_id]
                if fingerprint != past.fingerprint:
                    raise DuplicateExternalId(details={"external_id": past.external_id, "purchase_id": pk})
                unchanged += 1
                continue
            bulk.append((group, past))
        except ApplicationError as error:
            refused.append(_error_row(group, error))
            continue
        taken_ids.add(fields["external_id"])
    imported = 0
    if bulk:
        try:
            with transaction.atomic():
                left = purchases_record_past(merchant_id=run.merchant_id, purchases=[p for _g, p in bulk],
                                             earns=run.earns)
        except ApplicationError:
            left = [p for _g, p in bulk]  # one of them cannot be recorded: each is tried alone
        left_ids = {p.external_id for p in left}
        imported += len(bulk) - len(left_ids)
        single += [(group, next(f for g, f in prepared if g is group)) for group, p in bulk
                   if p.external_id in left_ids]
    for group, fields in sorted(single, key=lambda pair: pair[0].line):
        try:
            with transaction.atomic():
                if _purchase_import(group, run, fields):
                    imported += 1
                else:
                    unchanged += 1
        except ApplicationError as error:
            refused.append(_error_row(group, error))
    refused.sort(key=lambda record: record[0])
    return imported, unchanged, refused


def _rows_one_by_one(decide):
    def chunk_decide(run: ImportRun, chunk: list[Group]) -> tuple[int, int, list[list]]:
        imported, unchanged, refused = 0, 0, []
        for group in chunk:
            try:
                with transaction.atomic():
                    if decide(group, run):
                        imported += 1
                    else:
                        unchanged += 1
            except ApplicationError as error:
                refused.append(_error_row(group, error))
        return imported, unchanged, refused

    return chunk_decide


# --- the run ---------------------------------------------------------------------------------------

def _members_chunk(run: ImportRun, chunk: list[Group]) -> tuple[int, int, list[list]]:
    """A chunk of members: the new ones joined together (members_join_many), unless the program
    awards joining and the import awards points (then each through member_create, which gives the
    awards); members already there one by one (at most their external_ref is linked)."""
    _members_prefetch(run, chunk)
    if run.earns and any(program_now().rules_for(trigger) for trigger in ("join", "profile_completed")):
        return _rows_one_by_one(_member_import)(run, chunk)
    refused, known, new = [], [], []
    for group in chunk:
        try:
            fields = _member_fields(group.cells[0])
        except ApplicationError as error:
            refused.append(_error_row(group, error))
            continue
        (known if fields["phone"] in run.members_by_phone else new).append((group, fields))
    imported = unchanged = 0
    results = members_join_many(rows=[fields for _g, fields in new], merchant_id=run.merchant_id) if new else []
    for (group, _fields), result in zip(new, results, strict=True):
        if isinstance(result, ApplicationError):
            refused.append(_error_row(group, result))
        else:
            imported += 1
    for group, _fields in known:
        try:
            with transaction.atomic():
                _member_import(group, run)
            unchanged += 1
        except ApplicationError as error:
            refused.append(_error_row(group, error))
    refused.sort(key=lambda record: record[0])
    return imported, unchanged, refused


_KIND_WORK = {
    ImportJob.Kind.MEMBERS: (MEMBER_COLUMNS, ("phone",), _members_chunk),
    ImportJob.Kind.PURCHASES: (PURCHASE_COLUMNS, ("external_id", "amount"), _purchases_chunk),
}
ERROR_COLUMNS = ["line", "error", "field", "message"]


class _DryRun(Exception):
    """Raised at the end of a dry run's chunk: its transaction rolls back."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def errors_path_for(path: Path) -> Path:
    return path.with_name(path.name + ".errors.csv")


@dataclass
class ImportRun:
    job: ImportJob
    dry_run: bool
    earns: bool
    progress: Callable[[ImportJob], None] | None = None
    members_by_phone: dict = field(default_factory=dict)
    members_by_ref: dict = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def merchant_id(self) -> int:
        return self.job.merchant_id


def _check_columns(kind: str, path: Path) -> list[str]:
    known, required, _decide = _KIND_WORK[kind]
    header = header_read(path)
    missing = [name for name in required if name not in header]
    if kind == ImportJob.Kind.PURCHASES and not {"member_ref", "phone"} & set(header):
        missing.append("member_ref or phone")
    if missing:
        raise ImportRefused(_("The file lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)},
                            details={"columns": f"missing: {', '.join(missing)}"})
    return [name for name in header if name not in known]


def import_job_open(*, kind: str, path: Path, merchant_id: int, dry_run: bool = False, earns: bool = True,
                    created_by=None, keep: bool | None = None) -> ImportJob:
    """The job for this file: an unfinished one of the same content and options is continued;
    otherwise a new one, saved when `keep` (by default unless a dry run: the command's dry run
    writes nothing; the back-office keeps its checks to show them)."""
    keep = not dry_run if keep is None else keep
    if kind not in _KIND_WORK:
        raise ImportRefused(details={"kind": "members or purchases"})
    path = Path(path)
    if not path.is_file():
        raise UnreadableFile(_("No such file: %(path)s") % {"path": path}, details={"file": "not found"})
    _check_columns(kind, path)
    sha = file_sha256(path)
    options = {"dry_run": dry_run, "no_points": not earns}
    if not dry_run:
        earlier = (ImportJob.objects.filter(kind=kind, sha256=sha, merchant_id=merchant_id, options=options)
                   .exclude(status=ImportJob.Status.DONE).order_by("-created_at").first())
        if earlier is not None:
            if earlier.path != str(path):
                ImportJob.objects.filter(pk=earlier.pk).update(path=str(path), errors_path=str(errors_path_for(path)))
                earlier.path, earlier.errors_path = str(path), str(errors_path_for(path))
            return earlier
    job = ImportJob(kind=kind, file_name=path.name, path=str(path), sha256=sha, size=path.stat().st_size,
                    merchant_id=merchant_id, options=options, errors_path=str(errors_path_for(path)),
                    created_by=created_by)
    if keep:
        job.save()
    return job


def _claim(job: ImportJob, now) -> bool:
    """Mark the job running, unless another process runs it (touched within STALE_AFTER)."""
    if job.pk is None:
        return True
    fresh = now - STALE_AFTER
    claimed = (ImportJob.objects.filter(pk=job.pk)
               .exclude(status=ImportJob.Status.RUNNING, heartbeat_at__gt=fresh)
               .update(status=ImportJob.Status.RUNNING, heartbeat_at=now, started_at=job.started_at or now,
                       message=""))
    return claimed == 1


def _errors_keep_until(path: Path, line: int) -> None:
    """An errors file as it was when `line` was committed: a cut-off run may have written the
    errors of a chunk that then rolled back."""
    if not path.exists():
        return
    kept = path.with_name(path.name + ".part")
    with path.open(encoding="utf-8-sig", newline="") as source, kept.open("w", encoding="utf-8-sig",
                                                                          newline="") as target:
        reader, writer = csv.reader(source), csv.writer(target)
        header = next(reader, None)
        if header:
            writer.writerow(header)
        for record in reader:
            if record and record[0].isdigit() and int(record[0]) <= line:
                writer.writerow(record)
    kept.replace(path)


def import_run(job: ImportJob, *, dry_run: bool | None = None, progress=None, chunk_rows: int = CHUNK_ROWS,
               max_seconds: float | None = None) -> ImportJob:
    """Import the job's file from after its last committed line; answers the job, `done` when
    the file is through (or still `running` when `max_seconds` ran out first)."""
    dry_run = job.options.get("dry_run", False) if dry_run is None else dry_run
    run = ImportRun(job=job, dry_run=dry_run, earns=not job.options.get("no_points", False), progress=progress)
    path = Path(job.path)
    _known, _required, decide = _KIND_WORK[job.kind]
    now = timezone.now()
    if not _claim(job, now):
        raise ImportRefused(_("This file is being imported by another process right now."),
                            details={"file": "already being imported"})
    job.status = ImportJob.Status.RUNNING
    job.started_at = job.started_at or now
    started = time.monotonic()
    errors_path = Path(job.errors_path or errors_path_for(path))
    try:
        run.ignored_columns = _check_columns(job.kind, path)
        if job.lines_total is None:
            job.lines_total = rows_estimate(path)
        _errors_keep_until(errors_path, job.lines_done)
        fresh = not errors_path.exists()
        with errors_path.open("a", encoding="utf-8-sig" if fresh else "utf-8", newline="") as errors_file:
            errors = csv.writer(errors_file)
            if fresh:
                errors.writerow(ERROR_COLUMNS + list(header_read(path)))
            chunk: list[Group] = []
            chunks = 0
            for group in _groups(job.kind, rows_read(path)):
                if group.line <= job.lines_done:
                    continue
                chunk.append(group)
                if len(chunk) >= chunk_rows:
                    _chunk_decide(run, chunk, decide, errors, errors_file)
                    chunk = []
                    chunks += 1
                    if chunks & (chunks - 1) == 0:
                        _statistics_refresh(job.kind)
                    if max_seconds is not None and time.monotonic() - started > max_seconds:
                        return job
            if chunk:
                _chunk_decide(run, chunk, decide, errors, errors_file)
        if not job.failed:
            errors_path.unlink(missing_ok=True)
            job.errors_path = ""
        job.status, job.finished_at = ImportJob.Status.DONE, timezone.now()
        _save(job)
    except (ApplicationError, OSError) as error:
        job.status, job.message = ImportJob.Status.FAILED, str(getattr(error, "message", error))[:255]
        _save(job)
        raise
    return job


def _statistics_refresh(kind: str) -> None:
    """ANALYZE the tables an import fills, after chunks 1, 2, 4, 8...: the planner's idea of a
    table that was empty when the import began would otherwise stay "a few rows", and it would
    scan the whole growing table for each chunk's lookups (autovacuum comes too late)."""
    if connection.vendor != "postgresql":
        return
    tables = {ImportJob.Kind.MEMBERS: (Member, Account, Consent),
              ImportJob.Kind.PURCHASES: (Purchase, PurchaseItem, Transfer, Lot, Account)}[kind]
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _chunk_decide(run: ImportRun, chunk: list[Group], decide, errors, errors_file) -> None:
    job = run.job
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # A chunk lost to a crash after its commit is imported again (its line is not
                # recorded either): waiting for the disk at each commit buys nothing here.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            imported, unchanged, refused = decide(run, chunk)
            job.imported += imported
            job.unchanged += unchanged
            job.failed += len(refused)
            job.lines_done = chunk[-1].last_line
            job.heartbeat_at = timezone.now()
            for record in refused:
                errors.writerow(record)
            errors_file.flush()
            if run.dry_run:
                raise _DryRun
            _save(job)
    except _DryRun:
        _save(job)  # what the check found, after its writes rolled back
    if run.progress is not None:
        run.progress(job)


def _error_row(group: Group, error: ApplicationError) -> list:
    details = error.details or {}
    where, why = next(iter(details.items()), ("", ""))
    message = f"{error.message}" + (f" ({where}: {why})" if where else "")
    original = list(group.cells[0].values())
    return [group.line, error.code, where, cell(message)] + [cell(v) for v in original]


_JOB_FIELDS = ["status", "lines_total", "lines_done", "imported", "unchanged", "failed", "errors_path", "message",
               "started_at", "finished_at", "heartbeat_at"]


def _save(job: ImportJob) -> None:
    if job.pk is not None:
        job.save(update_fields=_JOB_FIELDS)
