"""Rows of a spreadsheet a shop brings, read one at a time whatever the file's size: CSV (UTF-8,
with or without the BOM Excel writes) or XLSX (openpyxl in read-only mode, which streams the
sheet's XML). Every cell comes out as text, as the shop would have typed it; the importers parse
it with the project's own rules (Persian digits, Jalali dates)."""

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from vafa.core.errors import ValidationFailed

READ_CHUNK = 1 << 20


class UnreadableFile(ValidationFailed):
    code = "unreadable_file"


def file_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    raise UnreadableFile(_("Only .csv (UTF-8) and .xlsx files can be imported."),
                         details={"file": "a .csv or .xlsx file"})


def _text(value) -> str:
    """A cell as text: numbers without a spurious ".0", dates and times in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        # Excel keeps a date as a date-time at midnight: it is the date alone (noon Tehran time).
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep="T")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _unquoted(text: str) -> str:
    """A cell without the apostrophe that keeps a spreadsheet (and our own exports,
    vafa.core.spreadsheet.cell) from reading text as a formula."""
    return text[1:] if text.startswith("'") else text


def _header(cells) -> list[str]:
    names = [_text(c).strip().lstrip("\ufeff").lower() for c in cells]
    seen = set()
    for name in names:
        if name and name in seen:
            raise UnreadableFile(_("The column %(name)s appears twice.") % {"name": name},
                                 details={"header": f"{name} appears twice"})
        seen.add(name)
    return names


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = _header(next(reader, []))
            for number, cells in enumerate(reader, start=2):
                if not any(c.strip() for c in cells):
                    continue
                yield number, {name: _unquoted(cells[i]) if i < len(cells) else "" for i, name in enumerate(header)
                               if name}
    except UnicodeDecodeError:
        raise UnreadableFile(_("The file is not UTF-8 text: save it as \"CSV UTF-8\" and try again."),
                             details={"file": "not UTF-8"}) from None
    except csv.Error as error:
        raise UnreadableFile(_("The file is not a readable CSV file."), details={"file": str(error)}) from None


def _book(path: Path):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise UnreadableFile(_("The file is not a readable .xlsx workbook."),
                             details={"file": "not an .xlsx workbook"}) from None


def _xlsx_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    book = _book(path)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = _header(next(rows, ()))
        for number, cells in enumerate(rows, start=2):
            if not any(c is not None and _text(c).strip() for c in cells):
                continue
            yield number, {name: _unquoted(_text(cells[i])) if i < len(cells) else "" for i, name in enumerate(header)
                           if name}
    finally:
        book.close()


def rows_read(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {column: text}) for each row after the header; line 1 is the header, as a
    spreadsheet numbers its rows. Blank rows are passed over."""
    return _csv_rows(path) if file_kind(path) == "csv" else _xlsx_rows(path)


def header_read(path: Path) -> list[str]:
    """The file's column names, lower-case (checked before anything is imported)."""
    if file_kind(path) == "csv":
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                return [n for n in _header(next(csv.reader(handle), [])) if n]
        except UnicodeDecodeError:
            raise UnreadableFile(_("The file is not UTF-8 text: save it as \"CSV UTF-8\" and try again."),
                                 details={"file": "not UTF-8"}) from None
    book = _book(path)
    try:
        return [n for n in _header(next(book.worksheets[0].iter_rows(values_only=True, max_row=1), ())) if n]
    finally:
        book.close()


def rows_estimate(path: Path) -> int | None:
    """About how many data rows the file has, for the progress bar: a CSV's line count (fields
    with line breaks make it an overestimate), an XLSX sheet's declared dimension."""
    if file_kind(path) == "csv":
        lines, last = 0, b"\n"
        with path.open("rb") as handle:
            while chunk := handle.read(READ_CHUNK):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
        return max(lines + (last != b"\n") - 1, 0)
    try:
        book = _book(path)
        rows = book.worksheets[0].max_row
        book.close()
    except UnreadableFile:  # refused when its rows are read; the estimate is only a guess
        return None
    return max(rows - 1, 0) if rows else None
