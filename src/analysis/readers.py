"""Read every raw file of a folder into plain rows of cells, without ever raising.

Workbooks (``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``) are read with
python-calamine, CSV files with the standard library. Each sheet becomes a list
of ``(row number, cells)`` where the row number is the one a spreadsheet user
sees (1-based, counting the rows above the data) and blank cells are ``None``.

A file that cannot be read comes back with ``status="unreadable"``, a short
``reason`` code and a French ``detail``:

- ``empty``: zero bytes, or a workbook without a single filled cell;
- ``encrypted``: a password-protected workbook (Excel stores an encrypted
  ``.xlsx`` inside an OLE container, recognised by its ``D0 CF 11 E0`` magic
  bytes and an ``EncryptionInfo`` stream);
- ``corrupted``: a ZIP/OLE container that calamine cannot open;
- ``not_a_workbook``: anything else.

Decision: a "workbook" that is in fact plain delimited text (a CSV renamed
``.xlsx``) is read as CSV rather than set aside, with a ``note`` saying so: its
content is exactly what the service typed, and the cleaning then recognises (or
not) its headers like any other sheet.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
CSV_SUFFIXES = (".csv",)
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
CSV_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
CSV_DELIMITERS = (";", ",", "\t")

Cell = Any  # str | int | float | bool | date | datetime | time | timedelta | None


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name, its rows ``(row number, cells)`` and whether it is hidden."""

    name: str
    rows: list[tuple[int, tuple[Cell, ...]]]
    hidden: bool = False

    def is_empty(self) -> bool:
        """True when no cell of the sheet holds a value."""
        return not any(c is not None for _, cells in self.rows for c in cells)


@dataclass
class Workbook:
    """A raw file as read: its sheets, or why it could not be read."""

    relpath: str  # path relative to the raw folder, with forward slashes
    sha256: str
    fmt: str  # xlsx, xlsm, xls, ods or csv (what was actually read)
    status: str = "ok"  # ok | unreadable
    reason: str | None = None  # empty | encrypted | corrupted | not_a_workbook
    detail: str | None = None  # French, when unreadable
    note: str | None = None  # French, e.g. a CSV renamed .xlsx read as CSV
    sheets: list[Sheet] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class FolderListing:
    """Files of a raw folder: those read, and those skipped with the reason."""

    inputs: list[Path]
    ignored: list[tuple[str, str]]  # (relative path, French reason)


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def list_raw_files(raw_dir: Path) -> FolderListing:
    """Workbooks and CSV files under ``raw_dir`` (recursively), sorted by relative path.

    Hidden files (``.gitkeep``), Excel lock files (``~$…``) and other
    extensions are skipped and listed with the reason.
    """
    raw_dir = Path(raw_dir)
    inputs: list[Path] = []
    ignored: list[tuple[str, str]] = []
    for path in sorted((p for p in raw_dir.rglob("*") if p.is_file()), key=lambda p: _rel(p, raw_dir)):
        rel = _rel(path, raw_dir)
        if any(part.startswith(".") for part in Path(rel).parts):
            continue
        if path.name.startswith("~$"):
            ignored.append((rel, "fichier de verrouillage temporaire d'Excel"))
        elif path.suffix.lower() in WORKBOOK_SUFFIXES + CSV_SUFFIXES:
            inputs.append(path)
        else:
            ignored.append((rel, f"extension {path.suffix or '(aucune)'} non prise en charge"))
    return FolderListing(inputs, ignored)


def _clean_cell(value: Any) -> Cell:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    return value


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 (with or without BOM), else Windows-1252, else Latin-1."""
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any byte string")  # pragma: no cover


def sniff_delimiter(text: str) -> str:
    """``;``, ``,`` or tab: the one most frequent on the busiest of the first lines.

    Belgian Excel exports use ``;`` (the comma is the decimal mark); ties go to ``;``.
    """
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    best, best_count = ";", 0
    for delim in CSV_DELIMITERS:
        count = max((ln.count(delim) for ln in lines), default=0)
        if count > best_count:
            best, best_count = delim, count
    return best


def read_csv_text(text: str, name: str) -> Sheet:
    """Parse delimited text into one sheet; row numbers are record numbers (1-based)."""
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [(i, tuple(_clean_cell(c) for c in record)) for i, record in enumerate(reader, start=1)]
    return Sheet(name, rows)


def _looks_like_text(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return False
    text, _ = decode_text(head)
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable >= 0.95 * max(len(text), 1) and any(d in text for d in CSV_DELIMITERS)


def _read_calamine(data: bytes) -> list[Sheet]:
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    sheets: list[Sheet] = []
    with CalamineWorkbook.from_filelike(io.BytesIO(data)) as wb:
        for meta in wb.sheets_metadata:
            if meta.typ not in (SheetTypeEnum.WorkSheet,):
                continue
            values = wb.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            rows = [(i, tuple(_clean_cell(c) for c in row)) for i, row in enumerate(values, start=1)]
            sheets.append(Sheet(meta.name, rows, hidden=meta.visible != SheetVisibleEnum.Visible))
    return sheets


def _unreadable(wb: Workbook, reason: str, detail: str) -> Workbook:
    wb.status, wb.reason, wb.detail, wb.sheets = "unreadable", reason, detail, []
    return wb


def read_file(path: Path, root: Path) -> Workbook:
    """Read one raw file; never raises for a bad file (see the module docstring)."""
    path, root = Path(path), Path(root)
    rel = _rel(path, root)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _unreadable(Workbook(rel, "", path.suffix.lower().lstrip(".")), "corrupted",
                           f"fichier impossible à ouvrir ({exc.strerror or exc})")
    wb = Workbook(rel, hashlib.sha256(data).hexdigest(), path.suffix.lower().lstrip("."))
    if not data.strip():
        return _unreadable(wb, "empty", "fichier vide (aucun contenu)")
    try:
        _read_into(wb, data, path)
    except Exception as exc:  # noqa: BLE001 - a bad file must never stop the run
        return _unreadable(wb, "corrupted", f"fichier corrompu, illisible ({type(exc).__name__})")
    if wb.ok and all(s.is_empty() for s in wb.sheets):
        return _unreadable(wb, "empty", "classeur vide (aucune cellule remplie)")
    return wb


def _read_into(wb: Workbook, data: bytes, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        text, _ = decode_text(data)
        wb.fmt, wb.sheets = "csv", [read_csv_text(text, path.stem)]
        return
    if data.startswith(OLE_MAGIC):
        if _ENCRYPTION_STREAM in data:
            _unreadable(wb, "encrypted", "classeur protégé par un mot de passe (chiffré) : "
                        "demander au service une copie sans mot de passe")
            return
        _read_workbook_bytes(wb, data)
        if wb.ok:
            wb.fmt = "xls"
        return
    if data.startswith(ZIP_MAGIC):
        _read_workbook_bytes(wb, data)
        return
    if _looks_like_text(data):
        text, encoding = decode_text(data)
        wb.fmt, wb.sheets = "csv", [read_csv_text(text, path.stem)]
        wb.note = f"fichier texte (CSV, {encoding}) portant l'extension {suffix} : lu comme CSV"
        return
    _unreadable(wb, "not_a_workbook", f"pas un classeur : contenu non reconnu malgré l'extension {suffix}")


def _read_workbook_bytes(wb: Workbook, data: bytes) -> None:
    from python_calamine import PasswordError

    try:
        wb.sheets = _read_calamine(data)
    except PasswordError:
        _unreadable(wb, "encrypted", "classeur protégé par un mot de passe : "
                    "demander au service une copie sans mot de passe")
    except Exception as exc:  # noqa: BLE001
        _unreadable(wb, "corrupted", f"fichier corrompu, le classeur ne s'ouvre pas ({type(exc).__name__})")


def read_folder(raw_dir: Path) -> tuple[list[Workbook], list[tuple[str, str]]]:
    """Read every raw file under ``raw_dir``; return the workbooks and the skipped files."""
    listing = list_raw_files(raw_dir)
    return [read_file(p, raw_dir) for p in listing.inputs], listing.ignored


def cell_text(value: Cell) -> str:
    """A cell as stable text (for hashing and duplicate detection)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, str):
        return " ".join(value.split())
    return str(value)
