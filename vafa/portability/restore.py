"""An export (vafa.portability.export) restored into a fresh installation: `vafa restore-export DIR`.

First the folder is checked against its manifest: every file it names is there with its
size, SHA-256 and number of rows, and every file the restore reads is named; anything else is
refused before a row is written. An installation that already has members or transfers is
refused too: the export is the business's whole history and is not merged into another.

Then, in one transaction (all or nothing), the business is rebuilt in the order its rows name
each other: merchants and branches (found by slug or name, and branch code, or created),
membership plans (by name), the program (its document, through the program's own import), the
export's rules (rules.csv) found again among the program's, interests and tags; members with
their consents, interests, tier, consent history, occasions, tags, applications (a closed club),
paid periods and tier changes; purchases with their items and refunds; redemptions; then the
points ledger as it was: accounts (a member's by its member, a system account by its role and
merchant), transfers with their kinds, amounts, times, memos and sources mapped to the new rows,
lots and lot uses; what rules gave members (rule_awards.csv: what per-member caps count); then
coupons and gift cards with their uses. Rows get new ids, so every reference is mapped; rows are
read a chunk at a time and written with multi-row inserts, in id order, each holding its final
values: the ledger's history guards (ledger migrations 0005 and 0007: transfers, lots and lot
uses are never updated or deleted) hold because nothing is ever updated. No event is announced:
restoring a member is not a member joining (no welcome points, no messages).

Before the commit, the ledger's totals by kind, the members' points outstanding and the counts
are compared with the manifest's, and `verify-ledger`'s checks run: any difference rolls back.

Rules: an export's rule is this installation's rule of the same name that the program import
left not ended; an ended rule (program.json leaves it out) or a name not found is no rule here. A
rule found keeps what it had issued (its budget goes on from there). A reference to a rule is
written mapped, at insert: a transfer's `rule`, each line of a purchase's `applied_rules` and a
redemption's `rule` become the new rule's id; "plan:<id>" names the new plan; "base" and
"tier:<code>" stay; a rule id that is no rule here becomes "ended:<its id in the export>" (never a
bare number, which could be another rule's id here; the name is in rules.csv), so the programme
effect shows its points apart and no rule's caps or budget count them. An award of such a rule
is left out (its rule is not here to cap); an award's source is mapped as a transfer's.
An export made before rules.csv and rule_awards.csv (the manifest lists neither) restores as
before them: rule references kept as they were, no awards, rules with nothing issued.

Left out: messages (history of what was sent, kept in messages.csv), the XLSX copies,
referral records (members keep who referred them), badges, surveys, reviews, segments and campaigns,
shipments, partner code pools, staff and API keys. A transfer or a rule award whose source is one
of those (or a staff user) keeps its kind of source without the id. A purchase exported as
`vafa-<its id>` (it had no external id) has none again.
"""

from __future__ import annotations

import csv
import json
import zipfile
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import DatabaseError, connection, models, transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vafa.commerce.models import Purchase, PurchaseItem, Refund, WalkInSale, WalkInSaleItem
from vafa.core import sql
from vafa.core.errors import ApplicationError, ValidationFailed
from vafa.ledger.models import Account, Lot, LotUse, Transfer
from vafa.ledger.selectors import verify_ledger
from vafa.ledger.services import system_account_id
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
from vafa.members.services import birth_jalali_of, plan_create
from vafa.merchants.models import Branch, Merchant
from vafa.merchants.services import branch_create, merchant_create
from vafa.portability.export import (
    CONSENT_CHANNELS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST_FILE,
    PROGRAM_FILE,
    file_sha256,
    ledger_totals,
)
from vafa.program.models import MemberTier, Reward, Rule, RuleAward, Tier, TierChange
from vafa.program.services import program_import
from vafa.rewards.models import Coupon, CouponUse, GiftCard, GiftCardUse, Redemption

# The files the restore reads, in the order it reads them.
RESTORED = ("merchants.csv", "branches.csv", "membership_plans.csv", PROGRAM_FILE, "interests.csv", "tags.csv",
            "members.csv", "consent_changes.csv", "occasions.csv", "member_tags.csv", "applications.csv",
            "memberships.csv", "tier_changes.csv", "purchases.csv", "purchase_items.csv",
            "refunds.csv", "walk_in_sales.csv", "walk_in_sale_items.csv",
            "redemptions.csv", "accounts.csv", "transfers.csv", "lots.csv", "lot_uses.csv",
            "coupons.csv", "coupon_uses.csv", "gift_cards.csv", "gift_card_uses.csv")
# Read when the manifest lists them: exports made before them have neither.
RULES_FILE, RULE_AWARDS_FILE = "rules.csv", "rule_awards.csv"
NOT_RESTORED = ("messages.csv",)
# Before the export's id, a reference (a transfer's, a purchase line's or a redemption's rule) to a
# rule this installation does not have: never a bare id, which could be another rule's here.
ENDED_RULE = "ended:"
CHUNK = 1000  # rows read before they are written
# Parameters one statement may carry: SQLite's own limit where it tells it (999 before 3.32).
_PG_PARAMS = 65_000


class RestoreError(ApplicationError):
    code, status, message = "restore_refused", 409, gettext_lazy("The export cannot be restored.")


# --- the manifest ---------------------------------------------------------------------------------


def _data_rows(path: Path) -> int:
    if path.suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as file:
            return max(sum(1 for _row in csv.reader(file)) - 1, 0)
    if path.suffix == ".xlsx":
        return _xlsx_rows(path)
    return 1  # a document


def _xlsx_rows(path: Path) -> int:
    """Data rows of a workbook the export wrote (a sheet, its header first), counted as the
    sheet's <row> elements in the stream: parsing every cell with openpyxl would take as long
    as the rest of the restore, for files the restore does not otherwise read."""
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        rows = 0
        for name in sheets:
            tail = b""
            with archive.open(name) as sheet:
                for block in iter(lambda sheet=sheet: sheet.read(1 << 20), b""):
                    data = tail + block
                    rows += data.count(b"<row ") + data.count(b"<row>")
                    tail = data[-5:]  # a tag cut in two is counted with the next block, once
                    rows -= tail.count(b"<row ") + tail.count(b"<row>")
            rows += tail.count(b"<row ") + tail.count(b"<row>")
    return max(rows - len(sheets), 0)


def export_check(directory) -> dict:
    """The export's manifest, once every file it names is as it says (size, SHA-256, rows) and
    every file the restore reads is among them; else RestoreError, which names the first problem."""
    folder = Path(directory)
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise RestoreError(_("%(path)s has no %(file)s: it is not an export made by vafa export.")
                           % {"path": folder, "file": MANIFEST_FILE}) from None
    except (OSError, ValueError) as exc:
        raise RestoreError(_("%(file)s cannot be read: %(why)s") % {"file": MANIFEST_FILE, "why": exc}) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
            or not isinstance(manifest.get("files"), list):
        raise RestoreError(_("%(file)s is not the manifest of an export made by vafa export.")
                           % {"file": MANIFEST_FILE})
    if manifest.get("format_version") != FORMAT_VERSION:
        raise RestoreError(_("This export has format version %(found)s; this Vafa restores version %(known)s.")
                           % {"found": manifest.get("format_version"), "known": FORMAT_VERSION})
    listed = {}
    for entry in manifest["files"]:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or Path(name).name != name or name in (".", ".."):
            raise RestoreError(_("The manifest names a file %(name)r that is not a plain file name.") % {"name": name})
        listed[name] = entry
    for name in RESTORED:
        if name not in listed:
            raise RestoreError(_("The manifest does not list %(file)s.") % {"file": name})
    for name, entry in listed.items():
        path = folder / name
        if not path.is_file():
            raise RestoreError(_("%(file)s is missing from %(path)s.") % {"file": name, "path": folder})
        if path.stat().st_size != entry.get("bytes") or file_sha256(path) != entry.get("sha256"):
            raise RestoreError(_("%(file)s is not the file the manifest describes (its size or SHA-256 differs): "
                                 "it changed after the export.") % {"file": name})
        try:
            rows = _data_rows(path)
        except Exception as exc:  # an unreadable XLSX is as refused as a wrong checksum
            raise RestoreError(_("%(file)s cannot be read: %(why)s") % {"file": name, "why": exc}) from None
        if rows != entry.get("rows"):
            raise RestoreError(_("%(file)s has %(found)s rows; the manifest says %(rows)s.")
                               % {"file": name, "found": rows, "rows": entry.get("rows")})
    if not isinstance(manifest.get("ledger"), dict):
        raise RestoreError(_("The manifest has no ledger totals to check the restore against."))
    return manifest


# --- reading cells ----------------------------------------------------------------------------------


def text_value(raw: str) -> str:
    """A text cell as stored: the export put one apostrophe before a text beginning with a
    formula character or an apostrophe (vafa.portability.export.text_cell)."""
    return raw[1:] if raw.startswith("'") else raw


class _Bad(Exception):
    """A cell that is not what its column holds (the caller adds where it is)."""


def _parse(field: models.Field, raw: str, *, verbatim: bool = False) -> Any:
    if raw == "":
        if field.null:
            return None
        if isinstance(field, (models.CharField, models.TextField)):
            return ""
        raise _Bad("empty")
    try:
        if isinstance(field, models.BooleanField):
            if raw not in ("true", "false"):
                raise _Bad("true or false")
            return raw == "true"
        if isinstance(field, (models.IntegerField, models.ForeignKey)):
            return int(raw)
        if isinstance(field, models.DateTimeField):
            moment = datetime.fromisoformat(raw)
            if moment.utcoffset() is None:
                raise _Bad("a time with its offset")
            return moment
        if isinstance(field, models.DateField):
            return date.fromisoformat(raw)
        if isinstance(field, models.JSONField):
            return json.loads(text_value(raw))
    except ValueError:
        raise _Bad(field.get_internal_type()) from None
    value = raw if verbatim else text_value(raw)
    if field.choices and value not in {str(choice) for choice, _label in field.flatchoices}:
        raise _Bad(f"one of {', '.join(str(c) for c, _label in field.flatchoices)}")
    return value


class _IdMap:
    """Ids of an export's table to the new ids of its rows. Tables are restored in id order, so
    the old ids come sorted: two arrays of 8-byte integers searched by bisection hold a row in
    16 bytes (a dict takes about 100), which keeps tens of millions of transfers in memory."""

    def __init__(self, what: str):
        self.what = what
        self.old = array("q")
        self.new = array("q")

    def add(self, old: int, new: int) -> None:
        if self.old and old <= self.old[-1]:
            raise _Bad(f"{self.what} are not in id order ({old} after {self.old[-1]})")
        self.old.append(old)
        self.new.append(new)

    def get(self, old: int | None) -> int | None:
        if old is None:
            return None
        i = bisect_left(self.old, old)
        return self.new[i] if i < len(self.old) and self.old[i] == old else None

    def need(self, old: int | None) -> int | None:
        """The new id of `old`, which must be among the rows restored (None stays None)."""
        new = self.get(old)
        if old is not None and new is None:
            raise _Bad(f"{self.what} {old} is not in the export")
        return new

    def __len__(self) -> int:
        return len(self.old)


def _batch_rows(n_columns: int) -> int:
    limit = _PG_PARAMS
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        getlimit = getattr(connection.connection, "getlimit", None)  # Python 3.11+
        limit = getlimit(9) if getlimit else 999  # 9: SQLITE_LIMIT_VARIABLE_NUMBER
    return max(1, min(CHUNK, limit // n_columns))


class _Inserter:
    """Rows of one model, written in multi-row inserts as they fill a batch; the new ids go to
    `ids` in the order of the old ones."""

    def __init__(self, model: type[models.Model], names: list[str], ids: _IdMap | None = None,
                 after: Callable[[list[tuple[int, int, Any]]], None] | None = None):
        self.model, self.names, self.ids, self.after = model, names, ids, after
        self.size = _batch_rows(len(names))
        self.pending: list[tuple[int, list[Any], Any]] = []
        self.pending_old: set[int] = set()
        self.count = 0

    def add(self, old_id: int, values: list[Any], extra: Any = None) -> None:
        self.pending.append((old_id, values, extra))
        self.pending_old.add(old_id)
        if len(self.pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        new_ids = sql.insert(self.model, self.names, [values for _old, values, _extra in self.pending])
        done = [(old, new, extra) for (old, _values, extra), new in zip(self.pending, new_ids, strict=True)]
        if self.ids is not None:
            for old, new, _extra in done:
                self.ids.add(old, new)
        self.count += len(done)
        self.pending, self.pending_old = [], set()
        if self.after:
            self.after(done)


# --- the restore ------------------------------------------------------------------------------------


class _Restore:
    def __init__(self, folder: Path, manifest: dict, merchant_id: int | None, progress):
        self.folder, self.manifest, self.merchant_id, self.progress = folder, manifest, merchant_id, progress
        self.maps = {name: _IdMap(name) for name in (
            "merchants", "branches", "membership plans", "interests", "tags", "members", "purchases", "redemptions",
            "accounts", "transfers", "lots", "coupons", "gift cards", "walk-in sales")}
        self.counts: dict[str, int] = {}
        self.merchants: dict[str, list[str]] = {"matched": [], "created": []}
        self.program: dict = {}
        self.listed = {entry["name"] for entry in manifest["files"]}
        self.rules: _IdMap | None = None  # None: the export has no rules.csv
        # A source is mapped to the row restored in its place; sources that are not restored keep
        # their kind without an id (a purchase's points stay the purchase's).
        self.sources = {"purchase": self.m("purchases"), "reward": self.m("redemptions"), "api": self.m("merchants")}

    def m(self, name: str) -> _IdMap:
        return self.maps[name]

    def source_id(self, kind: str | None, old: int | None) -> int | None:
        ids = self.sources.get(kind or "")
        return ids.need(old) if ids else None

    def rule_ref(self, ref: str) -> str:
        """A reference to a rule, or to what else earned, as this installation names it (see the
        module doc); as it was for an export without rules.csv."""
        if self.rules is None:
            return ref
        if ref.isascii() and ref.isdigit():
            new = self.rules.get(int(ref))
            return str(new) if new is not None else f"{ENDED_RULE}{ref}"
        kind, _, old = ref.partition(":")
        if kind == "plan" and old.isascii() and old.isdigit():
            return f"plan:{self.m('membership plans').need(int(old))}"
        return ref

    # -- reading
    def rows(self, name: str, required: tuple[str, ...] = ()) -> Iterator[dict[str, str]]:
        path = self.folder / name
        with open(path, encoding="utf-8-sig", newline="") as file:
            reader = csv.DictReader(file)
            missing = [c for c in ("id", *required) if c not in (reader.fieldnames or [])]
            if missing:
                raise RestoreError(_("%(file)s has no column %(columns)s.") % {"file": name,
                                                                               "columns": ", ".join(missing)})
            n = 0
            for row in reader:
                self.line = (name, reader.line_num)
                if not ((row["id"] or "").isascii() and row["id"].isdigit()):
                    raise _Bad("column id: a row's id")
                yield row
                n += 1
                if self.progress and n % 5000 == 0:
                    self.progress(name, n)
        self.counts[name] = n
        if self.progress:
            self.progress(name, n)

    def fields(self, model: type[models.Model], columns: list[str]) -> dict[str, models.Field]:
        """The model's stored fields among a file's columns (by column name: `member_id`)."""
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        return {c: by_attname[c] for c in columns if c in by_attname}

    def parsed(self, row: dict[str, str], fields: dict[str, models.Field], verbatim=()) -> dict[str, Any]:
        values = {}
        for column, field in fields.items():
            try:
                values[column] = _parse(field, row[column] or "", verbatim=column in verbatim)
            except _Bad as why:
                raise _Bad(f"column {column}: {why}") from None
        return values

    def copy(self, name: str, model: type[models.Model], *, refs: dict[str, _IdMap | None],
             ids: _IdMap | None = None, fix: Callable[[dict], None] | None = None, after=None) -> _Inserter:
        """Rows of `name` into `model`: every column the file and the model share, parsed by its
        field; `refs` map references to the new rows (None: dropped, as what it names is not
        restored); `fix` changes a row's values before it is written."""
        header = self._header(name)
        fields = self.fields(model, header)
        fields.pop("id", None)
        unmapped = [c for c, f in fields.items() if f.is_relation and c not in refs]
        if unmapped:  # an old id written as it is would name another row, or none
            raise _Bad(f"the column {unmapped[0]} names rows the restore does not map")
        names = list(fields)
        inserter = _Inserter(model, names, ids, after)
        for row in self.rows(name):
            values = self.parsed(row, fields)
            for column, mapping in refs.items():
                if column in values:
                    values[column] = mapping.need(values[column]) if mapping is not None else None
            if fix:
                fix(values)
            inserter.add(int(row["id"]), [values[n] for n in names])
        inserter.flush()
        return inserter

    def _header(self, name: str) -> list[str]:
        with open(self.folder / name, encoding="utf-8-sig", newline="") as file:
            return next(csv.reader(file), [])

    # -- the parts, in order
    def run(self) -> None:
        self.restore_merchants()
        self.restore_branches()
        self.restore_plans()
        self.restore_program()
        self.restore_rules()
        self.restore_interests()
        self.restore_tags()
        self.restore_members()
        self.copy("consent_changes.csv", ConsentChange, refs={"member_id": self.m("members")})
        self.copy("occasions.csv", Occasion, refs={"member_id": self.m("members")})
        self.copy("member_tags.csv", MemberTag, refs={"member_id": self.m("members"), "tag_id": self.m("tags")})
        self.copy("applications.csv", Application, refs={"member_id": self.m("members")})
        self.copy("memberships.csv", Membership, refs={"member_id": self.m("members"), "plan_id": self.m(
            "membership plans"), "merchant_id": self.m("merchants")})
        self.restore_tier_changes()
        self.restore_purchases()
        self.copy("purchase_items.csv", PurchaseItem, refs={"purchase_id": self.m("purchases")})
        self.copy("refunds.csv", Refund, refs={"purchase_id": self.m("purchases")})
        self.copy("walk_in_sales.csv", WalkInSale, ids=self.m("walk-in sales"), refs={
            "merchant_id": self.m("merchants"), "branch_id": self.m("branches")})
        self.copy("walk_in_sale_items.csv", WalkInSaleItem, refs={"sale_id": self.m("walk-in sales")})
        self.restore_redemptions()
        self.restore_accounts()
        self.restore_transfers()
        self.copy("lots.csv", Lot, ids=self.m("lots"), refs={
            "account_id": self.m("accounts"), "transfer_id": self.m("transfers"), "merchant_id": self.m("merchants")})
        self.copy("lot_uses.csv", LotUse, refs={"transfer_id": self.m("transfers"), "lot_id": self.m("lots")})
        self.restore_rule_awards()
        self.copy("coupons.csv", Coupon, ids=self.m("coupons"), refs={
            "member_id": self.m("members"), "redemption_id": self.m("redemptions"), "merchant_id": self.m("merchants")})
        self.copy("coupon_uses.csv", CouponUse, refs={
            "coupon_id": self.m("coupons"), "member_id": self.m("members"), "merchant_id": self.m("merchants")})
        self.copy("gift_cards.csv", GiftCard, ids=self.m("gift cards"), refs={
            "member_id": self.m("members"), "redemption_id": self.m("redemptions"), "merchant_id": self.m("merchants")})
        self.copy("gift_card_uses.csv", GiftCardUse, refs={
            "gift_card_id": self.m("gift cards"), "merchant_id": self.m("merchants")})

    def restore_merchants(self) -> None:
        fields = self.fields(Merchant, ["name", "slug", "is_active", "created_at"])
        taken: set[int] = set()
        for row in self.rows("merchants.csv", ("name", "slug")):
            values = self.parsed(row, fields)
            merchant = None
            if self.merchant_id is not None and not len(self.m("merchants")):
                # The export's first merchant is its club's operator: it becomes the one asked for.
                merchant = Merchant.objects.filter(pk=self.merchant_id).first()
                if merchant is None:
                    raise RestoreError(_("No merchant %(id)s in this installation.") % {"id": self.merchant_id})
            merchant = merchant or Merchant.objects.filter(slug=values["slug"]).first()
            if merchant is None:
                named = list(Merchant.objects.filter(name=values["name"])[:2])
                merchant = named[0] if len(named) == 1 else None
            if merchant is not None:
                if merchant.pk in taken:
                    raise _Bad(f"two merchants of the export are {merchant.slug} here")
                self.merchants["matched"].append(merchant.slug)
            else:
                merchant = merchant_create(name=values["name"], slug=values["slug"])
                Merchant.objects.filter(pk=merchant.pk).update(is_active=values["is_active"],
                                                               created_at=values["created_at"])
                self.merchants["created"].append(merchant.slug)
            taken.add(merchant.pk)
            self.m("merchants").add(int(row["id"]), merchant.pk)
        self.merchant_slugs = dict(Merchant.objects.values_list("pk", "slug"))

    def restore_branches(self) -> None:
        fields = self.fields(Branch, ["merchant_id", "code", "name", "city", "is_active"])
        self.branches: dict[tuple[int, str], int] = {}
        for row in self.rows("branches.csv", ("merchant_id", "code", "name")):
            values = self.parsed(row, fields)
            merchant_id = self.m("merchants").need(values["merchant_id"])
            branch = Branch.objects.filter(merchant_id=merchant_id, code=values["code"]).first()
            if branch is None:
                branch = branch_create(merchant=Merchant.objects.get(pk=merchant_id), code=values["code"],
                                       name=values["name"], city=values["city"])
                if not values["is_active"]:
                    Branch.objects.filter(pk=branch.pk).update(is_active=False)
            self.m("branches").add(int(row["id"]), branch.pk)
            self.branches[(merchant_id, values["code"])] = branch.pk

    def restore_plans(self) -> None:
        fields = self.fields(MembershipPlan, ["name", "description", "fee_rial", "duration_days", "earn_percent",
                                              "active", "created_at"])
        for row in self.rows("membership_plans.csv", tuple(fields)):
            values = self.parsed(row, fields)
            created_at = values.pop("created_at")
            plan = MembershipPlan.objects.filter(name=values["name"]).order_by("pk").first()
            if plan is None:
                try:
                    plan = plan_create(**values)
                except ValidationFailed as exc:
                    raise _Bad(f"the plan is refused: {exc.details}") from None
                MembershipPlan.objects.filter(pk=plan.pk).update(created_at=created_at)
            self.m("membership plans").add(int(row["id"]), plan.pk)

    def restore_program(self) -> None:
        self.line = (PROGRAM_FILE, 0)
        try:
            document = json.loads((self.folder / PROGRAM_FILE).read_text(encoding="utf-8"))
        except ValueError as exc:
            raise _Bad(f"not JSON: {exc}") from None
        if not isinstance(document, dict):
            raise _Bad("not a program document")
        # The document names merchants by slug: the export's slugs become this installation's.
        slugs = {}
        with open(self.folder / "merchants.csv", encoding="utf-8-sig", newline="") as file:
            for row in csv.DictReader(file):
                slugs[text_value(row["slug"])] = self.merchant_slugs[self.m("merchants").need(int(row["id"]))]
        for rule in document.get("rules") or []:
            if isinstance(rule, dict):
                if isinstance(rule.get("merchant"), str):
                    rule["merchant"] = slugs.get(rule["merchant"], rule["merchant"])
                conditions = rule.get("conditions")
                if isinstance(conditions, dict) and isinstance(conditions.get("merchants"), list):
                    conditions["merchants"] = [slugs.get(s, s) if isinstance(s, str) else s
                                               for s in conditions["merchants"]]
        try:
            self.program = program_import(data=document, changed_by="restore-export")
        except ValidationFailed as exc:
            raise _Bad("the program is refused: " + "; ".join(f"{k}: {v}" for k, v in exc.details.items())) from None
        self.counts[PROGRAM_FILE] = 1
        self.tiers = dict(Tier.objects.values_list("code", "pk"))

    def restore_rules(self) -> None:
        name = RULES_FILE
        if name not in self.listed:
            return
        fields = self.fields(Rule, ["name", "status", "issued_points", "issued_rial"])
        # After the program import, the rules not ended have the document's names, one rule a name.
        here = dict(Rule.objects.exclude(status=Rule.Status.ENDED).values_list("name", "pk"))
        self.rules = _IdMap("rules")
        issued: dict[str, dict[int, int]] = {"issued_points": {}, "issued_rial": {}}
        for row in self.rows(name, tuple(fields)):
            values = self.parsed(row, fields)
            new = here.get(values["name"].strip()) if values["status"] != Rule.Status.ENDED else None
            if new is None:
                continue  # no rule here: its references become "ended:<id>"
            self.rules.add(int(row["id"]), new)
            for column, by_rule in issued.items():
                by_rule[new] = values[column]
        for column, by_rule in issued.items():
            sql.update_by_id(Rule, column, by_rule)
        self.counts[name] = len(self.rules)  # the rules found here

    def restore_rule_awards(self) -> None:
        name = RULE_AWARDS_FILE
        if name not in self.listed:
            return
        if self.rules is None:
            self.line = (name, 0)
            raise _Bad("the manifest lists it without rules.csv, which names its rules")
        fields = self.fields(RuleAward, self._header(name))
        fields.pop("id", None)
        names = list(fields)
        awards = _Inserter(RuleAward, names)
        for row in self.rows(name, ("rule_id", "member_id", "points", "occurred_at", "source_kind", "source_id")):
            values = self.parsed(row, fields)
            rule_id = self.rules.get(values["rule_id"])
            if rule_id is None:
                continue  # its rule is not here (ended): nothing to cap
            values.update(rule_id=rule_id, member_id=self.m("members").need(values["member_id"]),
                          source_id=self.source_id(values["source_kind"], values["source_id"]))
            awards.add(int(row["id"]), [values[n] for n in names])
        awards.flush()
        self.counts[name] = awards.count  # the awards restored

    def restore_interests(self) -> None:
        fields = self.fields(Interest, ["slug", "name"])
        self.interest_names: dict[str, int] = {}
        for row in self.rows("interests.csv", ("slug", "name")):
            values = self.parsed(row, fields)
            interest, _created = Interest.objects.get_or_create(slug=values["slug"], defaults={"name": values["name"]})
            self.m("interests").add(int(row["id"]), interest.pk)
            self.interest_names.setdefault(values["name"], interest.pk)

    def restore_tags(self) -> None:
        fields = self.fields(Tag, ["code", "name", "created_at"])
        for row in self.rows("tags.csv", ("code", "name")):
            values = self.parsed(row, fields)
            tag, _created = Tag.objects.get_or_create(code=values["code"], defaults=values)
            self.m("tags").add(int(row["id"]), tag.pk)

    def restore_tier_changes(self) -> None:
        fields = self.fields(TierChange, ["member_id", "reason", "changed_at"])
        changes = _Inserter(TierChange, ["member_id", "from_tier_id", "to_tier_id", "reason", "changed_at"])
        for row in self.rows("tier_changes.csv", (*fields, "from_tier", "to_tier")):
            values = self.parsed(row, fields)
            tiers = []
            for column in ("from_tier", "to_tier"):
                code = text_value(row[column] or "")
                if code and code not in self.tiers:
                    raise _Bad(f"the tier {code!r} is not in {PROGRAM_FILE}")
                tiers.append(self.tiers.get(code))
            changes.add(int(row["id"]), [self.m("members").need(values["member_id"]), *tiers, values["reason"],
                                         values["changed_at"]])
        changes.flush()

    def restore_members(self) -> None:
        header = self._header("members.csv")
        fields = self.fields(Member, header)
        fields.pop("id", None)
        for name in ("tier", "tier_since", "tier_hold_until", "interests"):
            fields.pop(name, None)
        names = [*fields, "birth_jalali"]
        tier_fields = {"tier_since": MemberTier._meta.get_field("since"),
                       "tier_hold_until": MemberTier._meta.get_field("hold_until")}
        consent_at = Consent._meta.get_field("changed_at")
        later_referrers: dict[int, int] = {}  # new member id -> the referrer's old id, not restored yet
        consents = _Inserter(Consent, ["member_id", "channel", "granted", "changed_at"])
        interests = _Inserter(Member.interests.through, ["member_id", "interest_id"])
        tiers = _Inserter(MemberTier, ["member_id", "tier_id", "since", "hold_until"])

        def dependents(done):
            for _old, new, (row, referrer, joined_at, line) in done:
                self.line = ("members.csv", line)
                if referrer is not None:
                    later_referrers[new] = referrer
                for channel in CONSENT_CHANNELS:
                    granted = row.get(f"{channel}_consent") or ""
                    if granted:
                        at = _parse(consent_at, row.get(f"{channel}_consent_at") or "", verbatim=True) or joined_at
                        consents.add(0, [new, channel, _parse(Consent._meta.get_field("granted"), granted), at])
                for name in filter(None, text_value(row.get("interests") or "").split(";")):
                    if name not in self.interest_names:
                        raise _Bad(f"the interest {name!r} is not in interests.csv")
                    interests.add(0, [new, self.interest_names[name]])
                if row.get("tier_since"):  # the member has a tier state (its tier may be none)
                    since = _parse(tier_fields["tier_since"], row["tier_since"])
                    code = text_value(row.get("tier") or "")
                    if code and code not in self.tiers:
                        raise _Bad(f"the tier {code!r} is not in {PROGRAM_FILE}")
                    tiers.add(0, [new, self.tiers.get(code), since,
                                  _parse(tier_fields["tier_hold_until"], row.get("tier_hold_until") or "")])

        members = _Inserter(Member, names, self.m("members"), after=dependents)
        for row in self.rows("members.csv", ("phone", "referral_code")):
            values = self.parsed(row, fields, verbatim=("phone",))
            values["merchant_id"] = self.m("merchants").need(values.get("merchant_id"))
            referrer = values.get("referred_by_id")
            values["referred_by_id"] = self.m("members").get(referrer)
            if referrer is not None and values["referred_by_id"] is None and referrer in members.pending_old:
                members.flush()  # the referrer is in this very batch
                values["referred_by_id"] = self.m("members").get(referrer)
            pending = referrer if referrer is not None and values["referred_by_id"] is None else None
            values["birth_jalali"] = birth_jalali_of(values.get("birth_date"))
            members.add(int(row["id"]), [values.get(n) for n in names],
                        (row, pending, values.get("joined_at"), self.line[1]))
        members.flush()
        for inserter in (consents, interests, tiers):
            inserter.flush()
        # Referrers who joined after the member they referred (ids are not always in that order).
        sql.update_by_id(Member, "referred_by", {new: self.m("members").need(old) for new, old
                                                 in later_referrers.items()})

    def restore_purchases(self) -> None:
        header = self._header("purchases.csv")
        fields = self.fields(Purchase, header)
        fields.pop("id", None)
        names = [*fields, "branch_id"]

        def fix(row: dict[str, str], values: dict) -> None:
            values["merchant_id"] = self.m("merchants").need(values["merchant_id"])
            values["member_id"] = self.m("members").need(values["member_id"])
            if "api_key_id" in values:
                values["api_key_id"] = None  # keys are not part of an export
            if values.get("external_id") == f"vafa-{row['id']}":
                values["external_id"] = None  # it had none: the export made it (vafa.portability.export)
            if isinstance(values.get("applied_rules"), list):
                values["applied_rules"] = [
                    {**line, "rule_id": self.rule_ref(str(line["rule_id"]))}
                    if isinstance(line, dict) and isinstance(line.get("rule_id"), (str, int)) else line
                    for line in values["applied_rules"]]
            code = text_value(row.get("branch") or "")
            values["branch_id"] = None
            if code:
                values["branch_id"] = self.branches.get((values["merchant_id"], code))
                if values["branch_id"] is None:
                    raise _Bad(f"the branch {code!r} is not in branches.csv")

        purchases = _Inserter(Purchase, names, self.m("purchases"))
        for row in self.rows("purchases.csv", ("merchant_id", "member_id", "amount", "occurred_at")):
            values = self.parsed(row, fields)
            fix(row, values)
            purchases.add(int(row["id"]), [values.get(n) for n in names])
        purchases.flush()

    def restore_redemptions(self) -> None:
        header = self._header("redemptions.csv")
        fields = self.fields(Redemption, header)
        fields.pop("id", None)
        names = list(fields)
        rewards = dict(Reward.objects.values_list("name", "pk"))
        redemptions = _Inserter(Redemption, names, self.m("redemptions"))
        for row in self.rows("redemptions.csv", ("member_id", "reward_name")):
            values = self.parsed(row, fields)
            reward = text_value(row["reward_name"] or "")
            if reward not in rewards:
                raise _Bad(f"the reward {reward!r} is not in {PROGRAM_FILE}")
            values.update(reward_id=rewards[reward], member_id=self.m("members").need(values["member_id"]),
                          merchant_id=self.m("merchants").need(values.get("merchant_id")))
            if "rule" in values:  # the rule that gave it, free
                values["rule"] = self.rule_ref(values["rule"])
            redemptions.add(int(row["id"]), [values[n] for n in names])
        redemptions.flush()

    def restore_accounts(self) -> None:
        fields = self.fields(Account, ["role", "member_id", "merchant_id", "balance", "deficit"])
        accounts = _Inserter(Account, ["code", "role", "member_id", "balance", "deficit"], self.m("accounts"))
        for row in self.rows("accounts.csv", tuple(fields)):
            values = self.parsed(row, fields)
            if values["role"] == Account.Role.MEMBER:
                member_id = self.m("members").need(values["member_id"])
                if member_id is None:
                    raise _Bad("a member's account names no member")
                accounts.add(int(row["id"]), [f"member:{member_id}", values["role"], member_id, values["balance"],
                                              values["deficit"]])
                continue
            # A system account caches nothing (its balance is its transfers'): the one of this role
            # and merchant here, opened if need be; the ids come in order, so the batch goes first.
            accounts.flush()
            self.m("accounts").add(int(row["id"]), system_account_id(
                values["role"], self.m("merchants").need(values["merchant_id"])))
        accounts.flush()

    def restore_transfers(self) -> None:
        header = self._header("transfers.csv")
        fields = self.fields(Transfer, header)
        fields.pop("id", None)
        names = list(fields)
        transfers = _Inserter(Transfer, names, self.m("transfers"))
        accounts, merchants = self.m("accounts"), self.m("merchants")
        for row in self.rows("transfers.csv", ("debit_id", "credit_id", "amount", "kind", "created_at")):
            values = self.parsed(row, fields)
            values["debit_id"], values["credit_id"] = accounts.need(values["debit_id"]), accounts.need(
                values["credit_id"])
            values["merchant_id"] = merchants.need(values.get("merchant_id"))
            values["issuer_id"] = merchants.need(values.get("issuer_id"))
            if "api_key_id" in values:
                values["api_key_id"] = None
            values["source_id"] = self.source_id(values.get("source_kind"), values.get("source_id"))
            if "rule" in values:
                values["rule"] = self.rule_ref(values["rule"])
            reverses = values.get("reverses_id")
            if reverses is not None and reverses in transfers.pending_old:
                transfers.flush()  # it reverses a transfer of this very batch
            values["reverses_id"] = self.m("transfers").need(reverses)
            transfers.add(int(row["id"]), [values[n] for n in names])
        transfers.flush()

    def where(self) -> str:
        name, line = getattr(self, "line", ("", 0))
        return f"{name}, line {line}" if line else name


def _fresh_checked() -> None:
    if Member.objects.exists() or Transfer.objects.exists():
        raise RestoreError(_("This installation already has members or points: an export is restored only into a "
                             "fresh installation (migrated, with no members)."))


def export_restore(directory, *, merchant_id: int | None = None,
                   progress: Callable[[str, int], None] | None = None) -> dict:
    """Restore the export in `directory` into this fresh installation (see the module doc). The
    export's first merchant (its club's operator) becomes `merchant_id` when given, else the
    merchant of the same slug or name, or a new one. Answers what was restored: rows per file,
    the merchants matched and created, the program import's summary and the ledger's totals.
    Raises RestoreError, and then nothing is written."""
    folder = Path(directory)
    manifest = export_check(folder)
    _fresh_checked()
    restore = _Restore(folder, manifest, merchant_id, progress)
    outer = connection.in_atomic_block
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Foreign keys checked per statement, not all queued to the commit: the rows come
                # in the order they name each other, and PostgreSQL would keep an entry per row.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            try:
                restore.run()
            except _Bad as why:
                raise RestoreError(_("%(where)s: %(why)s") % {"where": restore.where(), "why": why}) from None
            except RestoreError:
                raise
            except ApplicationError as exc:  # a service refused what a row asks (a merchant's name, a plan)
                raise RestoreError(_("%(where)s: %(why)s") % {"where": restore.where(), "why": exc.message}) from None
            except DatabaseError as exc:  # a constraint: rows are written a batch at a time
                raise RestoreError(_("%(where)s: the database refused a row there or before it: %(why)s")
                                   % {"where": restore.where(), "why": str(exc).strip().splitlines()[0]}) from None
            totals = ledger_totals()
            expected = manifest["ledger"]
            if json.dumps(totals, sort_keys=True) != json.dumps(expected, sort_keys=True):
                raise RestoreError(_("The restored ledger does not match the export's (%(found)s, not "
                                     "%(expected)s): nothing was restored.") % {"found": totals, "expected": expected})
            problems = [(name, found) for name, found in verify_ledger() if found]
            if problems:
                raise RestoreError(_("The restored ledger fails verify-ledger, so nothing was restored: %(problems)s")
                                   % {"problems": "; ".join(f"{name}: {found[0]}" for name, found in problems)})
    finally:
        if outer and connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # the caller's transaction goes on as Django declares them
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return {"files": restore.counts, "not_restored": [n for n in NOT_RESTORED],
            "merchants": restore.merchants, "program": restore.program, "ledger": totals,
            "members": Member.objects.aggregate(n=Count("id"))["n"],
            "purchases_amount": Purchase.objects.aggregate(s=Sum("amount"))["s"] or 0}
