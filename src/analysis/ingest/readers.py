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
- ``not_a_workbook``: anything else, named when recognisable (a PDF, an image,
  a Word document renamed ``.xlsx``).

Decision: merged cells are read as a spreadsheet user sees them: the value of
a merged range (held by its top-left cell) is repeated in every cell of the
range that lies within the sheet's data area, so that a date merged over three
activity rows dates the three, and a header spanning two header rows is found
on the lower one (noted in ``note``).

Decision: a formula cell of an ``.xlsx``/``.xlsm`` file without a value saved
by a spreadsheet program (files written by scripts, e.g. openpyxl, carry no
computed value) or holding an error value (``#DIV/0!``) reads as empty, and is
listed in :attr:`Sheet.formula_cells` so that the cleaning sets its row aside
instead of taking the cell for an empty one. Formulas with a saved value read
as that value.

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
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
CSV_SUFFIXES = (".csv",)
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
CSV_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
CSV_DELIMITERS = (";", ",", "\t")
#: Leading bytes of common files that are not workbooks → French name.
NOT_WORKBOOK_SIGNATURES = {
    b"%PDF": "un document PDF",
    b"\x89PNG": "une image PNG",
    b"\xff\xd8\xff": "une image JPEG",
    b"GIF8": "une image GIF",
    b"{\\rtf": "un document RTF",
}
#: Parts that name the kind of a ZIP container that is not a workbook.
ZIP_NOT_WORKBOOK_PARTS = {
    "word/document.xml": "un document Word",
    "ppt/presentation.xml": "une présentation PowerPoint",
}

Cell = Any  # str | int | float | bool | date | datetime | time | timedelta | None


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name, its rows ``(row number, cells)`` and whether it is hidden."""

    name: str
    rows: list[tuple[int, tuple[Cell, ...]]]
    hidden: bool = False
    #: ``(row number, column index)`` → French description of a formula cell
    #: read as empty because it has no saved value or an error value.
    formula_cells: Mapping[tuple[int, int], str] = field(default_factory=dict)

    def is_empty(self) -> bool:
        """True when no cell of the sheet holds a value (nor a formula without value)."""
        return not self.formula_cells and not any(c is not None for _, cells in self.rows for c in cells)


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


def _clean_row(row) -> tuple[Cell, ...]:
    """A row of cells with blank text (empty or only spaces) as ``None``: :func:`_clean_cell`
    of every cell, in one comprehension (this runs once per cell of the raw folder)."""
    return tuple([c if (c.__class__ is not str or c.strip()) else None for c in row])


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
    rows = [(i, _clean_row(record)) for i, record in enumerate(reader, start=1)]
    return Sheet(name, rows)


def _looks_like_text(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return False
    text, _ = decode_text(head)
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable >= 0.95 * max(len(text), 1) and any(d in text for d in CSV_DELIMITERS)


def fill_merged(rows: list[list[Cell]], ranges) -> int:
    """Repeat each merged range's top-left value over the range, within ``rows``; return ranges filled.

    ``ranges`` are calamine's ``((first row, first col), (last row, last col))``,
    0-based and inclusive. Cells outside the data area are not created.
    """
    filled = 0
    for (r0, c0), (r1, c1) in ranges or ():
        if r0 >= len(rows) or c0 >= len(rows[r0]) or rows[r0][c0] is None:
            continue
        top = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, min(c1, len(rows[r]) - 1) + 1):
                if rows[r][c] is None:
                    rows[r][c] = top
        filled += 1
    return filled


def _read_calamine(data: bytes, formulas: bool = True) -> tuple[list[Sheet], int]:
    """Sheets of a workbook and the number of merged ranges filled; without ``formulas``, no
    sheet's :attr:`Sheet.formula_cells` is filled (see :func:`add_formula_cells`)."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    sheets: list[Sheet] = []
    merged = 0
    formulas = formula_cells_without_value(data) if formulas and data.startswith(ZIP_MAGIC) else {}
    with CalamineWorkbook.from_filelike(io.BytesIO(data)) as wb:
        for meta in wb.sheets_metadata:
            if meta.typ not in (SheetTypeEnum.WorkSheet,):
                continue
            sheet = wb.get_sheet_by_name(meta.name)
            values = sheet.to_python(skip_empty_area=False)
            ranges = getattr(sheet, "merged_cell_ranges", None)
            if ranges:
                values = [list(_clean_row(row)) for row in values]
                merged += fill_merged(values, ranges)
                rows = list(enumerate(map(tuple, values), start=1))
            else:
                rows = list(enumerate(map(_clean_row, values), start=1))
            sheets.append(Sheet(meta.name, rows, hidden=meta.visible != SheetVisibleEnum.Visible,
                                formula_cells=formulas.get(meta.name, {})))
    return sheets, merged


_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
#: Byte strings one of which any formula or error cell contains (a fast pre-check: a
#: sheet without any is not parsed; a false hit only costs the parse).
_FORMULA_HINTS = (b"<f", b":f>", b":f ", b't="e"')
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


def column_index(letters: str) -> int:
    """``A`` → 0, ``Z`` → 25, ``AA`` → 26."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - ord("A") + 1
    return n - 1


def column_letters(index: int) -> str:
    """0 → ``A``, 26 → ``AA`` (the inverse of :func:`column_index`)."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(ord("A") + rem) + out
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def formula_cells_without_value(data: bytes) -> dict[str, dict[tuple[int, int], str]]:
    """Sheet name → ``{(row number, column index): description}`` of formula cells without a value.

    Reads the ``.xlsx`` parts directly (calamine gives such cells as empty):
    a formula with no saved value, or any cell holding an error value. A
    formula whose saved result is an empty text (``t="str"``) is a real empty
    cell. Best effort: a part that cannot be parsed gives nothing.
    """
    out: dict[str, dict[tuple[int, int], str]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
                return out
            targets = {r.get("Id"): r.get("Target", "")
                       for r in ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
            for sh in ElementTree.fromstring(z.read("xl/workbook.xml")).iter(f"{_MAIN_NS}sheet"):
                target = targets.get(sh.get(_REL_ID), "")
                part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                if part not in names:
                    continue
                xml = z.read(part)
                if not any(hint in xml for hint in _FORMULA_HINTS):
                    continue
                cells = _formula_cells_of_part(xml)
                if cells:
                    out[sh.get("name", "")] = cells
    except Exception:  # noqa: BLE001 - best effort, calamine reads the values
        return out
    return out


def _formula_cells_of_part(xml: bytes) -> dict[tuple[int, int], str]:
    found: dict[tuple[int, int], str] = {}
    row_number, col = 0, -1
    for event, elem in ElementTree.iterparse(io.BytesIO(xml), events=("start", "end")):
        tag = _local(elem.tag)
        if event == "start":
            if tag == "row":
                row_number = int(elem.get("r") or row_number + 1)
                col = -1
            continue
        if tag != "c":
            if tag == "row":
                elem.clear()
            continue
        m = _CELL_REF.match(elem.get("r") or "")
        if m:
            col, row_number = column_index(m[1]), int(m[2])
        else:
            col += 1
        formula = value = None
        for child in elem:
            if _local(child.tag) == "f":
                formula = child
            elif _local(child.tag) == "v":
                value = child
        typ = elem.get("t")
        text = formula.text if formula is not None and formula.text else None
        shown = "formule partagée" if text is None else f"={text[:100]}…" if len(text) > 100 else f"={text}"
        if typ == "e":
            error = value.text if value is not None and value.text else "erreur"
            found[(row_number, col)] = f"erreur de formule « {error} » ({shown})" if formula is not None \
                else f"valeur d'erreur « {error} »"
        elif formula is not None and typ != "str" and (value is None or not value.text):
            found[(row_number, col)] = f"formule sans valeur enregistrée ({shown})"
        elem.clear()
    return found


def _unreadable(wb: Workbook, reason: str, detail: str) -> Workbook:
    wb.status, wb.reason, wb.detail, wb.sheets = "unreadable", reason, detail, []
    return wb


def read_file(path: Path, root: Path, formulas: bool = True) -> Workbook:
    """Read one raw file; never raises for a bad file (see the module docstring).

    With ``formulas`` false, the formula cells without a value of an ``.xlsx``/``.xlsm`` workbook
    are left to :func:`add_formula_cells` (a reading process leaves this part to the cleaning
    process, which waits for it otherwise), unless every sheet is empty: whether the workbook is
    empty depends on them.
    """
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
        _read_into(wb, data, path, formulas)
    except Exception as exc:  # noqa: BLE001 - a bad file must never stop the run
        return _unreadable(wb, "corrupted", f"fichier corrompu, illisible ({type(exc).__name__})")
    if wb.ok and not formulas and all(s.is_empty() for s in wb.sheets):
        _attach_formula_cells(wb, data)
    if wb.ok and all(s.is_empty() for s in wb.sheets):
        return _unreadable(wb, "empty", "classeur vide (aucune cellule remplie)")
    return wb


def _attach_formula_cells(wb: Workbook, data: bytes) -> None:
    if not data.startswith(ZIP_MAGIC):
        return
    found = formula_cells_without_value(data)
    if found:
        wb.sheets = [replace(s, formula_cells=found.get(s.name, {})) for s in wb.sheets]


def add_formula_cells(wb: Workbook, root: Path) -> Workbook:
    """Fill the formula cells of ``wb``, read by :func:`read_file` without ``formulas``, from its
    file under ``root`` (the same bytes: its SHA-256 is checked); ``wb`` is returned."""
    if not wb.ok or wb.fmt == "csv":
        return wb
    data = (Path(root) / wb.relpath).read_bytes()
    if hashlib.sha256(data).hexdigest() != wb.sha256:
        from analysis.errors import InputError

        raise InputError(f"{wb.relpath} : le fichier a changé pendant la lecture ; relancer le nettoyage")
    _attach_formula_cells(wb, data)
    return wb


def _read_into(wb: Workbook, data: bytes, path: Path, formulas: bool = True) -> None:
    suffix = path.suffix.lower()
    for magic, what in NOT_WORKBOOK_SIGNATURES.items():
        if data.startswith(magic):
            _unreadable(wb, "not_a_workbook", f"pas un classeur : {what} portant l'extension {suffix}")
            return
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
        _read_workbook_bytes(wb, data, formulas)
        return
    if _looks_like_text(data):
        text, encoding = decode_text(data)
        wb.fmt, wb.sheets = "csv", [read_csv_text(text, path.stem)]
        wb.note = f"fichier texte (CSV, {encoding}) portant l'extension {suffix} : lu comme CSV"
        return
    _unreadable(wb, "not_a_workbook", f"pas un classeur : contenu non reconnu malgré l'extension {suffix}")


def _read_workbook_bytes(wb: Workbook, data: bytes, formulas: bool = True) -> None:
    from python_calamine import PasswordError

    try:
        wb.sheets, merged = _read_calamine(data, formulas)
    except PasswordError:
        _unreadable(wb, "encrypted", "classeur protégé par un mot de passe : "
                    "demander au service une copie sans mot de passe")
    except Exception as exc:  # noqa: BLE001
        what = _zip_not_workbook(data)
        if what:
            _unreadable(wb, "not_a_workbook", f"pas un classeur : {what} portant l'extension .{wb.fmt}")
        else:
            _unreadable(wb, "corrupted", f"fichier corrompu, le classeur ne s'ouvre pas ({type(exc).__name__})")
    else:
        if merged:
            wb.note = (f"cellules fusionnées ({merged} plage{'s' if merged > 1 else ''}) : "
                       "la valeur de chaque plage est reprise dans toutes ses cellules")


def _zip_not_workbook(data: bytes) -> str | None:
    """What a readable ZIP container that is not a workbook is (a Word document…), else None."""
    if not data.startswith(ZIP_MAGIC):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except Exception:  # noqa: BLE001 - a damaged ZIP is a corrupted file
        return None
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names or "content.xml" in names:
        return None
    for part, what in ZIP_NOT_WORKBOOK_PARTS.items():
        if part in names:
            return what
    return "une archive ZIP sans classeur"


def read_folder(raw_dir: Path) -> tuple[list[Workbook], list[tuple[str, str]]]:
    """Read every raw file under ``raw_dir``; return the workbooks and the skipped files."""
    listing = list_raw_files(raw_dir)
    return [read_file(p, raw_dir) for p in listing.inputs], listing.ignored


def memo_cell(fn):
    """Memoise a function of one cell value (and settings): the same few thousand values recur
    across a million rows. ``typed`` keeps ``True``, ``1`` and ``1.0`` apart; a value that raises
    is not cached, and an unhashable one is computed uncached."""
    cached = lru_cache(maxsize=1 << 17, typed=True)(fn)

    @wraps(fn)
    def call(value: Any, *args, **kwargs):
        try:
            hash(value)
        except TypeError:
            return fn(value, *args, **kwargs)
        return cached(value, *args, **kwargs)

    call.cache_clear = cached.cache_clear
    return call


@memo_cell
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
