"""Cleaning: raw workbooks and census files → the clean tables of :mod:`analysis.ingest.schema`.

:func:`run_cleaning` reads every file under the raw folder
(:mod:`analysis.ingest.readers`), finds each sheet's header row, identifies the service,
normalises every cell (:mod:`analysis.ingest.normalise`) and returns a
:class:`CleanResult`. Nothing is lost silently: every non-blank row below a
header ends up either in a clean table or in ``rejected`` with a short reason
code and a French detail naming the column and the raw value, and
``accounting`` proves it per file × sheet × table (``raw_rows = clean_rows +
rejected_rows``, asserted). Values that cannot be read but do not make the row
unusable (an unknown commune, a misspelt gender) keep the row, become unknown,
and are listed in ``CleanResult.notes``.

Data decisions, in order of application:

1. Files that cannot be read (empty, encrypted, corrupted, not a workbook) are
   set aside whole (``files.status = unreadable``).
2. A census file is recognised by its headers, never by its name. A tracking
   workbook's sheets are recognised by their folded name (``Activites``,
   ``activités 2022``, ``Activiteiten``), else by their headers, French or
   Dutch; each data sheet's language (:func:`sheet_language`) decides how its
   values are read when the two languages disagree (noted for Dutch sheets).
   The ``Identification`` sheet and the template's ``Listes`` sheet are not
   data. Hidden sheets (an old draft « Activités (brouillon) ») and sheets that
   nothing recognises are not data either, but their rows count as read and are
   set aside (``sheet_hidden``, ``sheet_unrecognised``; under the table a hidden
   sheet's name or headers point to, else under ``file``), so that raw = kept +
   set aside holds for them too; a workbook with no data sheet but such sheets
   is not used (``files.status = unrecognised``).
3. The service of a tracking workbook comes from its ``Identification`` sheet
   (``Code service`` and ``Service``, « Nom (CODE) » as the template lists it;
   when name and code name two services, the file name decides, else the name,
   with a ``service_mismatch`` note), else from the file name (noted);
   if still unknown the whole file is set aside (``service_unknown``,
   ``files.status = unrecognised``).
4. Blank rows (every cell empty) are not data rows: they are counted
   (:attr:`CleanResult.blank_rows`) but not in ``accounting.raw_rows``, which
   counts the non-blank rows below the header.
5. A total row (a cell reading ``Total``/``Sous-total``/``Somme``, or a row
   after the last dated row holding only numbers) is set aside (``total_row``).
6. A workbook identical to an earlier one (same SHA-256, or same service and
   the same cell values in every recognised sheet) is a ``duplicate``: its rows
   are set aside (``duplicate_submission``). "Earlier" is path order. The run's
   ``accounting`` and ``rejected`` tables keep them, but the counts of rows read,
   kept and set aside that the report prints (:func:`counted`) leave them out: they
   are the rows of the workbook copied, and a copy counted again would tell, by its
   set-aside rows, how many demands its service encoded (review of 2026-12-05, H1).
7. Rows that cannot be used are set aside: no date or an unreadable one,
   tracking dates outside the run's months, census demands outside every
   census wave, no recognisable activity type, negative/absurd/unreadable head
   counts, census rows without a service or an outcome.
8. A row identical to an earlier row of the same sheet in every data column is
   KEPT: a mobile team logs several identical home visits a day, and a form has
   no identifier to tell a copy from a second visit. It is listed as a possible
   duplicate (note ``duplicate_possible``, table « doublons possibles » of the
   quality annex) for the researcher to check. This holds for the users,
   professionals and census sheets too (two persons of the same sex, year,
   commune and referrer, first seen the same day, are plausible); only a whole
   workbook sent twice (rule 6) is set aside.
   A row with a formula cell that has no value (never computed, or an error
   such as ``#DIV/0!``, see :mod:`analysis.ingest.readers`) in a recognised column is
   set aside (``formula_without_value``) rather than read with that cell empty;
   a row made only of such formulas is a data row, not a blank one.
9. When two files of one service hold rows of the same sheet and month, one
   file is retained for all the months they share (the researcher's
   ``remplacements.csv``, else the last-modified date saved in the workbooks,
   else hints in the names, else more rows then name order: see
   :mod:`analysis.ingest.resubmissions`); the other file's rows for those
   months are set aside (``duplicate_month``). File system dates are not used:
   copying a file changes them.
10. The services registry is the bundled table plus the raw folder's
   ``services.csv`` override (:mod:`analysis.ingest.registry`); the run warns
   when a service sent rows outside its funded months (rows kept) or when no
   service is expected in the period.

Empty cells: in ``Activités``, an empty count of users or professionals present
means 0 when the other of the two is filled (the row is about the other
public), and unknown when both are empty; an empty number of workers is unknown.
In ``Usagers``, an empty income source or referrer is ``inconnu``; in
``Professionnels`` an empty or unrecognised requesting service is ``autre``
(noted), the origin ``inconnu``.

Values read by interpretation keep their row with a note: a coded value matched
by abbreviation, typo or other tolerant step (``interpreted``, see
:mod:`analysis.ingest.normalise`), an approximate head count (``±5``, ``env.
10``: ``approximate``, the number kept), a bare duration of ambiguous unit
(``5``: ``duration_unit``, read as hours).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis import reference
from analysis.errors import InputError, NoDataInPeriod, NoUsableInput
from analysis.ingest import inputs, rawformat, registry, resubmissions, schema
from analysis.ingest import normalise as nz
from analysis.ingest.parts import Spill, SpilledTable
from analysis.ingest.parts import contiguous as _contiguous
from analysis.ingest.readers import Sheet, Workbook, cell_text, column_letters, read_file
from analysis.publish.fmt import fmt_int

TABLE_NAMES = tuple(schema.TABLES)
DATA_TABLES = schema.DATA_TABLES
#: Tables whose rows are persons (one row, one demand): their counts are disclosure-controlled.
PERSON_TABLES = ("users", "pros", "census")
TRACKING_TABLES = ("users", "pros", "activities")
SHEETS_BY_TABLE = {s.table: s for s in (*rawformat.TRACKING_SHEETS, rawformat.CENSUS)}
DATE_FIELD = {"users": "first_contact", "pros": "first_contact", "activities": "date", "census": "demand_date"}
REQUIRED_FIELDS = {
    "users": ("first_contact",),
    "pros": ("first_contact",),
    "activities": ("date", "activity_type"),
    "census": ("demand_date", "outcome"),
}
#: How many rows from the top are searched for the header row.
HEADER_SCAN_ROWS = 25
#: Header fields a sheet named like a tracking sheet must show (discovery by headers needs half).
NAMED_SHEET_MIN_MATCHES = 2
#: Longer cells are text, not headers.
MAX_HEADER_LENGTH = 120
#: Header cells matched fuzzily need at least this difflib ratio.
HEADER_FUZZY_CUTOFF = 0.8
TOTAL_WORDS = ("total", "totaux", "sous total", "somme", "sum")
NOTES_COLUMNS = ("source_file", "sheet", "row", "column", "value", "issue", "detail")

#: Rejection reasons: short code → French label used in summaries.
REASONS_FR = {
    "file_empty": "fichier vide",
    "file_encrypted": "fichier protégé par mot de passe",
    "file_corrupted": "fichier corrompu",
    "file_not_a_workbook": "pas un classeur",
    "file_unrecognised": "fichier non reconnu (ni suivi, ni recensement)",
    "sheet_unrecognised": "feuille non reconnue",
    "sheet_hidden": "feuille masquée",
    "header_not_found": "en-têtes introuvables",
    "column_missing": "colonne obligatoire absente",
    "service_unknown": "service non identifié",
    "total_row": "ligne de total",
    "no_data": "ligne sans donnée (colonnes ignorées seulement)",
    "date_missing": "date manquante",
    "date_invalid": "date illisible ou impossible",
    "date_out_of_period": "date hors période",
    "date_out_of_wave": "date hors des vagues du recensement",
    "activity_type_missing": "type d'activité manquant",
    "activity_type_unknown": "type d'activité non reconnu",
    "count_invalid": "effectif négatif, invraisemblable ou illisible",
    "outcome_missing": "issue de la demande manquante",
    "outcome_unknown": "issue de la demande non reconnue",
    "duplicate_submission": "classeur envoyé deux fois",
    "duplicate_month": "mois renvoyé : l'autre version du fichier est retenue",
    "file_unreadable": "fichier illisible (permission refusée)",
    "file_link": "lien symbolique non suivi",
    "duplicate_row": "ligne copiée deux fois",
    "formula_without_value": "formule sans valeur calculée",
}
TABLES_FR = schema.TABLES_FR


# --------------------------------------------------------------------------- header detection


@dataclass(frozen=True)
class HeaderMatch:
    """Where a sheet's header is and which column feeds which field."""

    index: int  # position in ``Sheet.rows``
    row: int  # spreadsheet row number
    columns: dict[str, int]  # field -> column index
    headers: dict[str, str]  # field -> header text as written
    ignored: tuple[tuple[int, str], ...]  # (column index, header text) not used
    score: float


@cache
def _header_keys(table: str) -> dict[str, tuple[str, ...]]:
    """Field → folded canonical header and header aliases of one sheet, in column order."""
    keys: dict[str, list[str]] = {c.field: [nz.fold(c.header)] for c in SHEETS_BY_TABLE[table].columns}
    for alias, target, _ in nz.alias_rows("headers"):
        tbl, _, fld = target.partition(".")
        if tbl == table and fld in keys:
            keys[fld].append(alias)
    return {f: tuple(k) for f, k in keys.items()}


@lru_cache(maxsize=65536)
def _field_scores(folded: str, table: str) -> tuple[tuple[int, str, float], ...]:
    """(field order, field, score) of every field a folded header cell could be."""
    out = []
    for order, (fld, keys) in enumerate(_header_keys(table).items()):
        score = max(header_cell_score(folded, k) for k in keys)
        if score > 0:
            out.append((order, fld, score))
    return tuple(out)


def header_cell_score(cell: str, key: str) -> float:
    """How well a folded header cell matches a folded canonical header or alias.

    3 exact; 2 when one starts with the other or the cell contains the key as
    whole words (``Durée (minutes)``, ``Nombre d'usagers présents``); 1 + ratio
    for a fuzzy match (ratio ≥ 0.8); 0 otherwise.
    """
    import difflib

    if not cell or not key:
        return 0.0
    if cell == key:
        return 3.0
    short = min(len(cell), len(key))
    if short >= 4 and (cell.startswith(key + " ") or key.startswith(cell + " ")):
        return 2.0
    if len(key) >= 5 and f" {key} " in f" {cell} ":
        return 2.0
    if 2 * short < HEADER_FUZZY_CUTOFF * (len(cell) + len(key)):  # the ratio cannot reach the cutoff
        return 0.0
    matcher = difflib.SequenceMatcher(None, cell, key)
    # quick_ratio bounds ratio from above (as in difflib.get_close_matches): same scores, fewer full matches
    if matcher.quick_ratio() < HEADER_FUZZY_CUTOFF:
        return 0.0
    ratio = matcher.ratio()
    return 1.0 + ratio if ratio >= HEADER_FUZZY_CUTOFF else 0.0


def match_header_row(cells: tuple, raw_sheet: rawformat.RawSheet) -> tuple[dict[str, int], float]:
    """Assign header cells to fields greedily, best score first; return mapping and total score."""
    candidates = []
    for col, cell in enumerate(cells):
        if not isinstance(cell, str) or len(cell) > MAX_HEADER_LENGTH:
            continue
        for order, fld, score in _field_scores(nz.fold(cell), raw_sheet.table):
            candidates.append((-score, col, order, fld))
    candidates.sort()
    mapping: dict[str, int] = {}
    used: set[int] = set()
    total = 0.0
    for neg, col, _, fld in candidates:
        if fld in mapping or col in used:
            continue
        mapping[fld] = col
        used.add(col)
        total -= neg
    return mapping, total


def min_header_matches(raw_sheet: rawformat.RawSheet) -> int:
    """Fields that must be recognised for a row to be taken as the header (half, at least 2)."""
    return max(2, (len(raw_sheet.columns) + 1) // 2)


def find_header(sheet: Sheet, raw_sheet: rawformat.RawSheet, min_matches: int | None = None) -> HeaderMatch | None:
    """The header row of ``sheet`` for ``raw_sheet`` among the first rows, or None.

    The row recognising the most fields wins (best total score on ties, then the
    highest row), so a title row above the header is skipped. A row must
    recognise ``min_matches`` fields (default :func:`min_header_matches`; 2 when
    the sheet's name already says what it is).
    """
    needed = min_header_matches(raw_sheet) if min_matches is None else min_matches
    best: tuple[int, float, int] | None = None
    best_mapping: dict[str, int] = {}
    for index, (_, cells) in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
        mapping, score = match_header_row(cells, raw_sheet)
        if len(mapping) < needed:
            continue
        key = (len(mapping), score, -index)
        if best is None or key > best:
            best, best_mapping = key, mapping
    if best is None:
        return None
    index = -best[2]
    row_number, cells = sheet.rows[index]
    used = set(best_mapping.values())
    ignored = tuple(
        (col, " ".join(str(c).split())) for col, c in enumerate(cells) if c is not None and col not in used
    )
    headers = {fld: " ".join(str(cells[col]).split()) for fld, col in best_mapping.items()}
    return HeaderMatch(index, row_number, best_mapping, headers, ignored, best[1])


@lru_cache(maxsize=1)
def _sheet_keys() -> dict[str, str]:
    return nz.aliases("sheets")


def sheet_kind(name: str) -> str | None:
    """Kind of a sheet from its name: users, pros, activities, identification, lists, or None."""
    folded = nz.fold(name)
    if not folded:
        return None
    try:
        return nz.match_folded(folded, _sheet_keys())
    except nz.ValueProblem:
        return None


@cache
def _header_languages(table: str) -> dict[str, frozenset[str]]:
    """Folded header → languages (``fr``/``nl``) of one sheet; canonical headers are French."""
    out: dict[str, set[str]] = {nz.fold(c.header): {"fr"} for c in SHEETS_BY_TABLE[table].columns}
    for alias, langs in nz.alias_languages("headers").items():
        out.setdefault(alias, set()).update(langs or {"fr", "nl"})
    return {k: frozenset(v) for k, v in out.items()}


def sheet_language(name: str, table: str | None, header: HeaderMatch | None, default: str = "fr") -> str:
    """Language a sheet is written in: ``fr`` or ``nl``.

    The headers decide (the language with more headers written exactly in it);
    on a tie, the sheet's name (``Gebruikers``, ``Activiteiten``); else ``default``
    (the workbook's other sheets, French when nothing tells).
    """
    if header is not None and table is not None:
        langs = _header_languages(table)
        votes = Counter(lang for text in header.headers.values()
                        for lang in langs.get(nz.fold(text), frozenset()) if len(langs[nz.fold(text)]) == 1)
        if votes["nl"] != votes["fr"]:
            return "nl" if votes["nl"] > votes["fr"] else "fr"
    name_langs = nz.alias_languages("sheets").get(nz.fold(name), frozenset())
    if len(name_langs) == 1:
        return next(iter(name_langs))
    folded = nz.fold(name)
    for alias, langs in nz.alias_languages("sheets").items():
        if len(langs) == 1 and folded.startswith(alias + " "):
            return next(iter(langs))
    return default


# --------------------------------------------------------------------------- working records


@dataclass
class _Ctx:
    """Everything the row cleaners need about the file and sheet being read."""

    source_file: str
    sheet: str
    table: str
    service: str | None
    headers: dict[str, str]
    start: str
    end: str
    notes: list[dict]
    lang: str = "fr"  # language the sheet's values are read in (fr or nl)

    def note(self, row: int | None, fld: str | None, value: Any, issue: str, detail: str) -> None:
        self.notes.append({
            "source_file": self.source_file, "sheet": self.sheet, "row": row,
            "column": self.headers.get(fld, fld) if fld else None,
            "value": None if value is None else cell_text(value), "issue": issue, "detail": detail,
        })

    def col(self, fld: str) -> str:
        return self.headers.get(fld) or _canonical_header(self.table, fld)


def _canonical_header(table: str, fld: str) -> str:
    for c in SHEETS_BY_TABLE[table].columns:
        if c.field == fld:
            return c.header
    return fld


class _Reject(Exception):
    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason, self.detail = reason, detail


@dataclass
class _Candidate:
    """A row that passed normalisation, waiting for the duplicate checks."""

    table: str
    values: dict[str, Any]
    key: tuple  # raw data cells, for duplicate_row
    month: str


@dataclass
class _SheetParse:
    sheet: str
    table: str
    header: HeaderMatch | None
    data_rows: list[tuple[int, tuple]]  # non-blank rows below the header
    blank: int
    formulas: dict[int, dict[int, str]] = field(default_factory=dict)  # row → column → formula without value
    lang: str = "fr"  # fr or nl, see :func:`sheet_language`
    _fields: Any = None

    @property
    def fields(self) -> _SheetFields:
        """The recognised fields' columns (read once, for the fingerprint and the cleaning)."""
        if self._fields is None:
            self._fields = _SheetFields(self.data_rows, self.header)
        return self._fields


@dataclass
class _State:
    start: str
    end: str
    tables: dict[str, list[_Part]] = field(default_factory=lambda: {t: [] for t in DATA_TABLES})
    rejected: list[dict] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    raw_counts: dict[tuple[str, str, str], int] = field(default_factory=dict)
    blank_rows: int = 0
    possible_duplicates: int = 0
    #: notes made for many rows at once (:func:`_notes_block`), besides the dicts of ``notes``
    note_frames: list[pd.DataFrame] = field(default_factory=list)
    #: where each sheet's clean rows go as soon as it is cleaned (None: held in memory)
    spill: Spill | None = None

    def reject(self, table: str, source_file: str, sheet: str, row: int | None, reason: str,
               detail: str, service: str | None) -> None:
        self.rejected.append({
            "table": table, "source_file": source_file, "sheet": sheet, "row": row,
            "reason": reason, "detail": detail, "service_code": service,
        })


# --------------------------------------------------------------------------- row cleaners


def _required_date(ctx: _Ctx, row: int, cells: dict[str, Any], fld: str) -> dt.date:
    value = cells.get(fld)
    try:
        date = nz.parse_date(value)
    except nz.ValueProblem as exc:
        raise _Reject("date_invalid", f"{ctx.col(fld)} : {exc.message}") from None
    if date is None:
        raise _Reject("date_missing", f"{ctx.col(fld)} : cellule vide")
    return date


def _optional(ctx: _Ctx, row: int, cells: dict[str, Any], fld: str, parser, default=None, **kw):
    """Parse an optional cell; on a problem keep the row, use ``default`` and note it."""
    value = cells.get(fld)
    try:
        out = parser(value, **kw)
    except nz.ValueProblem as exc:
        shown_default = nz.UNKNOWN if isinstance(default, (nz.Place, nz.Requester)) else default
        shown = f" : gardé comme « {shown_default} »" if shown_default is not None else " : laissé vide"
        ctx.note(row, fld, value, f"value_{exc.kind}", f"{ctx.col(fld)} : {exc.message}{shown}")
        return default
    return default if out is None else out


@cache
def _labels(domain: str) -> dict[str, str]:
    return reference.labels(domain)


def _note_interpreted(ctx: _Ctx, row: int, fld: str, value: Any, domain: str, code: str | None,
                      how: str | None) -> None:
    """Note a coded value read by a tolerant matching step (prefix, abbreviation, typo…)."""
    if code is None or how not in nz.MATCH_HOW_FR:
        return
    label = _labels(domain).get(code, code)
    ctx.note(row, fld, value, "interpreted",
             f"{ctx.col(fld)} : {nz.show(value)} interprété comme « {label} » ({nz.MATCH_HOW_FR[how]})")


def _coded(ctx: _Ctx, row: int, cells: dict[str, Any], fld: str, domain: str, default=None):
    """An optional coded cell read in the sheet's language; a tolerant match is kept and noted,
    a problem keeps the row with ``default`` (noted), as :func:`_optional`."""
    value = cells.get(fld)
    try:
        code, how = nz.match_code_how(domain, value, ctx.lang)
    except nz.ValueProblem as exc:
        shown = f" : gardé comme « {default} »" if default is not None else " : laissé vide"
        ctx.note(row, fld, value, f"value_{exc.kind}", f"{ctx.col(fld)} : {exc.message}{shown}")
        return default
    _note_interpreted(ctx, row, fld, value, domain, code, how)
    return default if code is None else code


def _required_code(ctx: _Ctx, row: int, cells: dict[str, Any], fld: str, domain: str) -> str | None:
    """A required coded cell: its code (tolerant match noted), None if empty; raises ValueProblem."""
    value = cells.get(fld)
    code, how = nz.match_code_how(domain, value, ctx.lang)
    _note_interpreted(ctx, row, fld, value, domain, code, how)
    return code


def _count(ctx: _Ctx, row: int, cells: dict[str, Any], fld: str, column: str) -> int | None:
    """A head count of an activity; an approximate one (``±5``, ``env. 10``) is kept and noted."""
    value = cells.get(fld)
    try:
        count = nz.parse_count(value, maximum=_count_max("activities", column))
    except nz.ValueProblem as exc:
        raise _Reject("count_invalid", f"{ctx.col(fld)} : {exc.message}") from None
    if count is not None and nz.is_approximate_count(value):
        ctx.note(row, fld, value, "approximate",
                 f"{ctx.col(fld)} : valeur approximative {nz.show(value)}, gardée comme {count}")
    return count


def _duration(ctx: _Ctx, row: int, cells: dict[str, Any]) -> float | None:
    """The activity's duration in minutes; a bare number of ambiguous unit is noted."""
    minutes = _optional(ctx, row, cells, "duration", nz.parse_duration)
    if minutes is not None and (why := nz.duration_ambiguity(cells.get("duration"))):
        ctx.note(row, "duration", cells.get("duration"), "duration_unit", f"{ctx.col('duration')} : {why}")
    return minutes


def clean_users_row(ctx: _Ctx, row: int, cells: dict[str, Any]) -> dict:
    """One ``Usagers`` row → a ``users`` record (raises :class:`_Reject`)."""
    date = _required_date(ctx, row, cells, "first_contact")
    birth_year = _optional(ctx, row, cells, "birth_year", nz.parse_birth_year, ref_year=date.year)
    place = _optional(ctx, row, cells, "commune", nz.parse_commune, default=nz.UNKNOWN_PLACE)
    referrer = _coded(ctx, row, cells, "referrer", "referrers", default=nz.UNKNOWN)
    return {
        "first_contact": date,
        "gender": _coded(ctx, row, cells, "gender", "genders"),
        "birth_year": birth_year,
        "age": None if birth_year is None else date.year - birth_year,
        "commune_nis": place.nis,
        "residence": place.residence,
        "basin": place.basin,
        "income_source": _coded(ctx, row, cells, "income_source", "income_sources", default=nz.UNKNOWN),
        "referrer": referrer,
        "first_line": nz.referrer_first_line().get(referrer),
    }


def clean_pros_row(ctx: _Ctx, row: int, cells: dict[str, Any]) -> dict:
    """One ``Professionnels`` row → a ``pros`` record."""
    date = _required_date(ctx, row, cells, "first_contact")
    requesting = _coded(ctx, row, cells, "requesting_service", "requesting_services")
    if requesting is None:
        if cells.get("requesting_service") is None:
            ctx.note(row, "requesting_service", None, "value_default",
                     f"{ctx.col('requesting_service')} : vide, classé « Autre »")
        requesting = "autre"
    place = _optional(ctx, row, cells, "origin", nz.parse_commune, default=nz.UNKNOWN_PLACE)
    return {
        "first_contact": date,
        "requesting_service": requesting,
        "origin_region": place.region,
        "origin_commune_nis": place.nis,
    }


@lru_cache(maxsize=1)
def _activity_axis() -> dict[str, str]:
    ref = reference.table("activity_types")
    return dict(zip(ref["code"], ref["axis"], strict=True))


@cache
def _count_max(table: str, column: str) -> int | None:
    for c in schema.TABLES[table]:
        if c.name == column:
            return None if c.max is None else int(c.max)
    return None


def activity_counts(workers: int | None, users: int | None, pros: int | None) -> tuple:
    """Apply the empty-cell rule to an activity's head counts.

    An empty count of users or of professionals present is 0 when the other is
    filled, unknown when both are empty; an empty number of workers stays unknown.
    """
    if users is None and pros is not None:
        users = 0
    elif pros is None and users is not None:
        pros = 0
    return workers, users, pros


def clean_activities_row(ctx: _Ctx, row: int, cells: dict[str, Any]) -> dict:
    """One ``Activités`` row → an ``activities`` record."""
    date = _required_date(ctx, row, cells, "date")
    try:
        activity_type = _required_code(ctx, row, cells, "activity_type", "activity_types")
    except nz.ValueProblem as exc:
        raise _Reject("activity_type_unknown", f"{ctx.col('activity_type')} : {exc.message}") from None
    if activity_type is None:
        raise _Reject("activity_type_missing", f"{ctx.col('activity_type')} : cellule vide")
    counts = {}
    for fld, column in (("workers", "workers"), ("users_present", "users_present"), ("pros_present", "pros_present")):
        counts[column] = _count(ctx, row, cells, fld, column)
    workers, users, pros = activity_counts(counts["workers"], counts["users_present"], counts["pros_present"])
    return {
        "date": date,
        "activity_type": activity_type,
        "axis": _activity_axis()[activity_type],
        "place": _coded(ctx, row, cells, "place", "places"),
        "workers": workers,
        "users_present": users,
        "pros_present": pros,
        "duration_min": _duration(ctx, row, cells),
    }


@lru_cache(maxsize=1)
def _waves() -> list[tuple[str, str, str]]:
    ref = reference.table("census_waves")
    return list(zip(ref["code"], ref["start"], ref["end"], strict=True))


def census_wave(month: str) -> str | None:
    """The census wave whose months include ``month`` (``YYYY-MM``), or None."""
    for code, start, end in _waves():
        if start <= month <= end:
            return code
    return None


def clean_census_row(ctx: _Ctx, row: int, cells: dict[str, Any]) -> dict:
    """One census row → a ``census`` record (wave from the demand date)."""
    raw_service = cells.get("service")
    service = ctx.service
    if raw_service is not None or service is None:
        try:
            service = nz.match_service(raw_service)
        except nz.ValueProblem as exc:
            raise _Reject("service_unknown", f"{ctx.col('service')} : {exc.message}") from None
        if service is None:
            raise _Reject("service_unknown", f"{ctx.col('service')} : cellule vide")
    date = _required_date(ctx, row, cells, "demand_date")
    wave = census_wave(nz.month_of(date))
    if wave is None:
        raise _Reject("date_out_of_wave",
                      f"{ctx.col('demand_date')} : {nz.show(cells.get('demand_date'))} hors des vagues du recensement")
    try:
        outcome = _required_code(ctx, row, cells, "outcome", "census_outcomes")
    except nz.ValueProblem as exc:
        raise _Reject("outcome_unknown", f"{ctx.col('outcome')} : {exc.message}") from None
    if outcome is None:
        raise _Reject("outcome_missing", f"{ctx.col('outcome')} : cellule vide")
    who = _optional(ctx, row, cells, "requester", nz.parse_requester, default=nz.Requester(None, None, None))
    place = _optional(ctx, row, cells, "commune", nz.parse_commune, default=nz.UNKNOWN_PLACE)
    return {
        "wave": wave,
        "service_code": service,
        "demand_date": date,
        "requester": who.requester,
        "requester_sector": who.sector,
        "first_line": who.first_line,
        "age": _optional(ctx, row, cells, "age", nz.parse_age, ref_year=date.year),
        "gender": _coded(ctx, row, cells, "gender", "genders"),
        "commune_nis": place.nis,
        "residence": place.residence,
        "public": _coded(ctx, row, cells, "public", "publics"),
        "followup_requested": _coded(ctx, row, cells, "followup_requested", "followups"),
        "outcome": outcome,
        "reorientation_reason": _coded(ctx, row, cells, "reorientation_reason", "reorientation_reasons"),
        "destination_full": _coded(ctx, row, cells, "destination_full", "yes_no_unknown"),
        "first_appointment": _optional(ctx, row, cells, "first_appointment", nz.parse_date),
    }


ROW_CLEANERS = {
    "users": clean_users_row,
    "pros": clean_pros_row,
    "activities": clean_activities_row,
    "census": clean_census_row,
}


# --------------------------------------------------------------------------- sheets and files


def _is_date(value: Any) -> bool:
    try:
        return nz.parse_date(value) is not None
    except nz.ValueProblem:
        return False


def is_total_row(cells: tuple, date_cell: Any, after_last_dated: bool) -> bool:
    """A total row: a cell reading total/sous-total/somme, or only numbers below the data.

    A row with a readable date is never a total (a comment « total 3 séances »
    does not make a data row a total). The numbers-only form is only recognised
    after the last row with a date, so that a data row that merely lacks its
    date is set aside as such, not as a total.
    """
    if _is_date(date_cell):
        return False
    for c in cells:
        if isinstance(c, str):
            folded = nz.fold(c)
            if any(folded == w or folded.startswith(w + " ") for w in TOTAL_WORDS):
                return True
    if after_last_dated and date_cell is None:
        filled = [c for c in cells if c is not None]
        return bool(filled) and all(
            isinstance(c, (int, float)) and not isinstance(c, bool) for c in filled
        )
    return False


def parse_sheet(sheet: Sheet, table: str, header: HeaderMatch | None) -> _SheetParse:
    """Split a sheet into its non-blank data rows (below the header) and a blank count."""
    start = header.index + 1 if header else 0
    rows = sheet.rows[start:]
    formulas: dict[int, dict[int, str]] = defaultdict(dict)
    for (n, col), what in sheet.formula_cells.items():
        formulas[n][col] = what

    # a row is filled when one of its cells is not None or holds a formula without a value
    # (written inline: this runs once per row of the raw folder)
    data = [(n, cells) for n, cells in rows if cells.count(None) != len(cells) or n in formulas]
    last_data = data[-1][0] if data else 0
    blank = sum(1 for n, cells in rows if n < last_data and cells.count(None) == len(cells)
                and n not in formulas)
    first = rows[0][0] if rows else 0
    return _SheetParse(sheet.name, table, header, data, blank,
                       {n: cols for n, cols in formulas.items() if n >= first})


def _cells_of(cells: tuple, header: HeaderMatch) -> dict[str, Any]:
    return {fld: (cells[col] if col < len(cells) else None) for fld, col in header.columns.items()}


def _identification_value(sheet: Sheet, labels: tuple[str, ...]) -> Any:
    """The value next to (else below) a label cell of the Identification sheet."""
    folded_labels = {nz.fold(x) for x in rawformat.IDENTIFICATION_FIELDS} | set(nz.aliases("identification"))
    grid = {(i, j): c for i, (_, cells) in enumerate(sheet.rows) for j, c in enumerate(cells)}
    for (i, j), c in sorted(grid.items()):
        if not isinstance(c, str) or nz.fold(c) not in labels:
            continue
        right = [grid[(i, k)] for k in range(j + 1, j + 4) if grid.get((i, k)) is not None]
        if right and not (isinstance(right[0], str) and nz.fold(right[0]) in folded_labels):
            return right[0]
        below = grid.get((i + 1, j))
        if below is not None and not (isinstance(below, str) and nz.fold(below) in folded_labels):
            return below
    return None


@cache
def identification_labels(what: str) -> tuple[str, ...]:
    """Folded labels of the Identification sheet's ``code`` or ``service`` cell, French and Dutch
    (``Code service``, ``Dienstcode``; ``Service``, ``Naam van de dienst``), from ``aliases.csv``."""
    return tuple(a for a, c in nz.aliases("identification").items() if c == what)


_NAME_AND_CODE = re.compile(r"^(.*\S)\s*\(\s*([A-Za-z0-9]+)\s*\)\s*$")


def service_of_identification(value: Any) -> str | None:
    """Registry code of an Identification cell: a code, a name, or the template's « Nom (CODE) »."""
    if isinstance(value, str) and (m := _NAME_AND_CODE.match(value.strip())):
        codes = set(reference.services().query("instrument == 'prr'")["code"])
        if m[2].upper() in codes:
            return m[2].upper()
    try:
        return nz.match_service(value, "prr")
    except nz.ValueProblem:
        return None


def resolve_identification(found: dict[str, tuple[Any, str]], relpath: str) -> tuple[str, str | None]:
    """The service of an Identification sheet whose name and code cells were both read, and a
    French warning when they name two services.

    Older templates sorted the names and the codes in two separate lists, so a name and a
    code picked side by side can disagree. Then the file name decides when it names one of
    the two; otherwise the name wins: people recognise their service's name, while a code
    is picked from a list of abbreviations.
    """
    if "code" not in found or "service" not in found or found["code"][1] == found["service"][1]:
        return (found.get("code") or found["service"])[1], None
    (code_value, by_code), (name_value, by_name) = found["code"], found["service"]
    stem = Path(relpath).with_suffix("").as_posix().replace("/", " ")
    try:
        by_file = nz.match_service(stem, "prr")
    except nz.ValueProblem:
        by_file = None
    if by_file in (by_code, by_name):
        chosen, why = by_file, "le nom du fichier désigne ce service"
    else:
        chosen, why = by_name, "le nom du service prime sur le code, choisi dans une liste d'abréviations"
    return chosen, (f"Identification : le service {nz.show(name_value)} ({by_name}) et le code "
                    f"{nz.show(code_value)} ({by_code}) désignent deux services différents ; "
                    f"service {chosen} retenu ({why}) : vérifier avec le service")


def identify_service(wb: Workbook, notes: list[str] | None = None) -> tuple[str | None, str | None]:
    """Service code of a tracking workbook and a French note on how it was found.

    ``Code service`` and ``Service`` (name or alias, fuzzy; « Nom (CODE) ») of the
    Identification sheet, their disagreement settled by :func:`resolve_identification`
    (the warning appended to ``notes``), then the file name; ``(None, reason)`` if all fail.
    """
    id_sheets = [s for s in wb.sheets if sheet_kind(s.name) == "identification"]
    tried: list[str] = []
    for sheet in id_sheets:
        found: dict[str, tuple[Any, str]] = {}
        for what in ("code", "service"):
            value = _identification_value(sheet, identification_labels(what))
            if value is None:
                continue
            code = service_of_identification(value)
            if code is None:
                tried.append(nz.show(value))
                continue
            found[what] = (value, code)
        if found:
            code, mismatch = resolve_identification(found, wb.relpath)
            if mismatch and notes is not None:
                notes.append(mismatch)
            return code, None
    stem = Path(wb.relpath).with_suffix("").as_posix().replace("/", " ")
    try:
        code = nz.match_service(stem, "prr")
    except nz.ValueProblem:
        code = None
    if code is not None:
        why = f"service non reconnu dans l'Identification ({', '.join(tried)})" if tried else \
            "Identification absente ou vide"
        return code, f"{why} : service {code} déduit du nom du fichier"
    if tried:
        return None, f"service non reconnu ({', '.join(tried)}), ni dans le nom du fichier"
    return None, "service absent de l'Identification et du nom du fichier"


def classify_sheet(sheet: Sheet) -> tuple[str | None, HeaderMatch | None]:
    """Table a sheet feeds (users, pros, activities, census) and its header, or (kind, None).

    Census sheets are recognised by their headers only; tracking sheets by name,
    else by headers. Returns ``("identification"|"lists"|"hidden", None)`` for
    sheets that are not data and ``(None, None)`` when nothing fits. A hidden
    sheet (an old draft, « Activités (brouillon) ») is never data, whatever its
    name: counting it would count its rows twice.
    """
    kind = sheet_kind(sheet.name)
    if kind in ("identification", "lists"):
        return kind, None
    if sheet.hidden:
        return "hidden", None
    return classify_content(sheet, kind)


def classify_content(sheet: Sheet, kind: str | None = None) -> tuple[str | None, HeaderMatch | None]:
    """Table a sheet's content (and its name's ``kind``) points to, and its header; hidden or not."""
    census = find_header(sheet, rawformat.CENSUS)
    if census is not None and len(census.columns) >= min_header_matches(rawformat.CENSUS):
        return "census", census
    if kind in TRACKING_TABLES:
        return kind, find_header(sheet, SHEETS_BY_TABLE[kind], min_matches=NAMED_SHEET_MIN_MATCHES)
    best: tuple[float, str, HeaderMatch] | None = None
    for raw_sheet in rawformat.TRACKING_SHEETS:
        header = find_header(sheet, raw_sheet)
        if header is None:
            continue
        share = len(header.columns) / len(raw_sheet.columns)
        if best is None or (share, header.score) > (best[0], best[2].score):
            best = (share, raw_sheet.table, header)
    if best is not None:
        return best[1], best[2]
    return None, None


def _fingerprint(parses: list[_SheetParse]) -> str:
    """A digest of a workbook's data cells: every data row of every sheet, as text, in the
    recognised fields (sorted by name) or, without a header, in every cell. Read column-wise
    (:class:`_SheetFields`, also used to clean the sheet): each distinct value's text once."""
    h = hashlib.sha256()
    for p in sorted(parses, key=lambda p: (p.table, p.sheet)):
        h.update(p.table.encode())
        if not p.data_rows:
            continue
        if p.header:
            # column after column, no Python loop over rows: each column as its distinct texts in
            # the order they first occur, then each row's position among them (the same texts in
            # the same rows give the same digest, whatever the cells' types; the row count first)
            h.update(f"{len(p.data_rows)}\x1d".encode())
            for fld in sorted(p.header.columns):
                col = p.fields[fld]
                ids: dict[str, int] = {}
                of_uniq = np.fromiter((ids.setdefault(cell_text(u), len(ids)) for u in col.uniq),
                                      dtype=np.int64, count=len(col.uniq))
                h.update(f"{len(ids)}\x1d".encode() + ("\x1f".join(ids) + "\x1e").encode())
                h.update(of_uniq[col.codes].tobytes())
        else:
            lines = ["\x1f".join(cell_text(c) for c in cells) for _, cells in p.data_rows]
            h.update(("\x1e".join(lines) + "\x1e").encode())
    return h.hexdigest()


def _process_workbook(wb: Workbook, state: _State, seen_sha: dict[str, str],
                      seen_content: dict[tuple, str], candidates: list[tuple[str, str, str | None, _Candidate, int]]) -> None:
    file_row = {"source_file": wb.relpath, "sha256": wb.sha256, "instrument": "inconnu",
                "service_code": None, "status": "used", "detail": wb.note}
    state.files.append(file_row)
    if not wb.ok:
        file_row.update(status="unreadable", detail=wb.detail)
        state.reject("file", wb.relpath, "", None, f"file_{wb.reason}", wb.detail, None)
        return

    parses: list[_SheetParse] = []
    aside: list[Sheet] = []  # hidden or unrecognised sheets: their rows are read and set aside
    has_identification = False
    for sheet in wb.sheets:
        if sheet.is_empty():
            continue
        kind, header = classify_sheet(sheet)
        if kind == "identification":
            has_identification = True
            continue
        if kind == "lists":
            continue
        if kind in ("hidden", None):
            aside.append(sheet)
            continue
        parses.append(parse_sheet(sheet, kind, header))
    _set_languages(wb, parses, state)

    tables = {p.table for p in parses}
    instrument = "census" if "census" in tables else ("tracking" if tables or has_identification else "inconnu")
    file_row["instrument"] = instrument
    if instrument == "inconnu" or (not parses and aside):  # Identification alone stays a (blank) return
        names = ", ".join(f"« {s.name} »" for s in aside)
        file_row.update(status="unrecognised", detail="aucune feuille de suivi ni de recensement reconnue"
                        + (f" (feuilles non reconnues ou masquées : {names})" if names else ""))
        state.reject("file", wb.relpath, "", None, "file_unrecognised", file_row["detail"], None)
        _set_aside_sheets(wb, aside, None, state)
        return

    service: str | None = None
    service_problem: str | None = None
    if tables & set(TRACKING_TABLES) or instrument == "tracking":
        mismatches: list[str] = []
        service, how = identify_service(wb, mismatches)
        if service is None:
            service_problem = how
        elif how:
            state.notes.append({"source_file": wb.relpath, "sheet": "", "row": None, "column": None,
                                "value": None, "issue": "service_from_filename", "detail": how})
        for detail in mismatches:
            state.notes.append({"source_file": wb.relpath, "sheet": rawformat.IDENTIFICATION_SHEET, "row": None,
                                "column": None, "value": None, "issue": "service_mismatch", "detail": detail})
    file_row["service_code"] = service
    _set_aside_sheets(wb, aside, service if instrument == "tracking" else None, state)
    if instrument == "tracking":
        present = {p.table for p in parses}
        for table in TRACKING_TABLES:
            if table not in present:
                state.notes.append({"source_file": wb.relpath, "sheet": SHEETS_BY_TABLE[table].name, "row": None,
                                    "column": None, "value": None, "issue": "sheet_missing",
                                    "detail": f"feuille « {SHEETS_BY_TABLE[table].name} » absente ou vide"})

    duplicate_of = seen_sha.get(wb.sha256)
    fingerprint = (service, _fingerprint(parses))
    if duplicate_of is None and any(p.data_rows for p in parses):
        duplicate_of = seen_content.get(fingerprint)
    if duplicate_of is not None:
        file_row.update(status=COPY_STATUS, detail=f"copie de « {duplicate_of} » (même contenu) : ses "
                        "lignes, celles de ce classeur, ne sont pas comptées une seconde fois")
    else:
        seen_sha[wb.sha256] = wb.relpath
        seen_content.setdefault(fingerprint, wb.relpath)
    if service_problem and duplicate_of is None:
        file_row.update(status="unrecognised", detail=service_problem)
        state.reject("file", wb.relpath, "", None, "service_unknown", service_problem, None)

    for parse in parses:
        set_aside: tuple[str, str] | None = None
        if duplicate_of is not None:
            set_aside = ("duplicate_submission", f"classeur identique à « {duplicate_of} »")
        elif service_problem and parse.table != "census":
            set_aside = ("service_unknown", service_problem)
        _process_sheet(wb, parse, service, state, candidates, set_aside)


def _set_languages(wb: Workbook, parses: list[_SheetParse], state: _State) -> None:
    """Detect each data sheet's language (:func:`sheet_language`); note the Dutch ones.

    A sheet that does not tell takes the language most of the workbook's sheets
    tell (Identification included), French if none does.
    """
    told = [sheet_language(s.name, None, None, default="") for s in wb.sheets if not s.hidden]
    for p in parses:
        told.append(sheet_language(p.sheet, p.table, p.header, default=""))
    votes = Counter(lang for lang in told if lang)
    default = "nl" if votes["nl"] > votes["fr"] else "fr"
    for p in parses:
        p.lang = sheet_language(p.sheet, p.table, p.header, default=default)
        if p.lang == "nl":
            state.notes.append({"source_file": wb.relpath, "sheet": p.sheet, "row": None, "column": None,
                                "value": None, "issue": "sheet_language",
                                "detail": f"feuille « {p.sheet} » lue en néerlandais : en cas de doute entre les "
                                          "deux langues, les valeurs sont comprises dans leur sens néerlandais"})


def _set_aside_sheets(wb: Workbook, sheets: list[Sheet], service: str | None, state: _State) -> None:
    """Count the rows of hidden and unrecognised sheets as read, and set each one aside.

    A hidden sheet whose name or headers say which table it would feed counts
    under that table (its rows below the header); any other sheet counts under
    ``file`` with every non-blank row. Reasons: ``sheet_hidden``, ``sheet_unrecognised``.
    """
    for sheet in sheets:
        table, header = classify_content(sheet, sheet_kind(sheet.name)) if sheet.hidden else (None, None)
        if table is not None:
            parse = parse_sheet(sheet, table, header)
            detail = (f"feuille masquée « {sheet.name} » (brouillon ou copie) : lignes non comptées "
                      "pour éviter un double compte ; l'afficher dans le classeur si elle doit l'être")
            _process_sheet(wb, parse, service if table != "census" else None, state, [], ("sheet_hidden", detail))
            continue
        reason = "sheet_hidden" if sheet.hidden else "sheet_unrecognised"
        detail = (f"feuille masquée « {sheet.name} », non reconnue" if sheet.hidden else
                  f"feuille « {sheet.name} » non reconnue (ni son nom ni ses en-têtes ne correspondent "
                  "à une feuille du classeur de suivi ou du recensement)")
        rows = [n for n, cells in sheet.rows if any(c is not None for c in cells)]
        key = (wb.relpath, sheet.name, "file")
        state.raw_counts[key] = state.raw_counts.get(key, 0) + len(rows)
        for n in rows:
            state.reject("file", wb.relpath, sheet.name, n, reason, detail, service)


def _process_sheet(wb: Workbook, parse: _SheetParse, service: str | None, state: _State,
                   candidates: list, set_aside: tuple[str, str] | None) -> None:
    key = (wb.relpath, parse.sheet, parse.table)
    state.raw_counts[key] = state.raw_counts.get(key, 0) + len(parse.data_rows)
    state.blank_rows += parse.blank
    header = parse.header
    ctx = _Ctx(wb.relpath, parse.sheet, parse.table, service if parse.table != "census" else None,
               header.headers if header else {}, state.start, state.end, state.notes, parse.lang)
    row_service = service if parse.table != "census" else None

    def reject(row: int, reason: str, detail: str, svc: str | None = row_service) -> None:
        state.reject(parse.table, wb.relpath, parse.sheet, row, reason, detail, svc)

    if set_aside is not None:
        for row, _ in parse.data_rows:
            reject(row, *set_aside)
        return
    if header is None:
        for row, _ in parse.data_rows:
            reject(row, "header_not_found",
                   f"feuille « {parse.sheet} » : ligne d'en-têtes introuvable, colonnes non identifiables")
        return
    for col, text in header.ignored:
        ctx.note(None, None, text, "column_ignored", f"colonne « {nz.shorten(text)} » (colonne {col + 1}) ignorée")
    missing = [f for f in REQUIRED_FIELDS[parse.table] if f not in header.columns]
    if parse.table == "census" and "service" not in header.columns:
        try:
            ctx.service = nz.match_service(Path(wb.relpath).stem, "census")
        except nz.ValueProblem:
            missing.append("service")
    if missing:
        names = ", ".join(f"« {_canonical_header(parse.table, f)} »" for f in missing)
        for row, _ in parse.data_rows:
            reject(row, "column_missing", f"colonne obligatoire absente : {names}")
        return

    cleaner = _clean_sheet_rows if ROW_BY_ROW else _clean_sheet_columns
    chunk = cleaner(wb, parse, ctx, row_service, state)
    if chunk is not None:
        # in the clean table's own dtypes (arrow strings, numpy numbers), not as Python objects, and
        # with a spill (the clean step's), on disk at once: memory bounded by a workbook, not the folder
        candidates.append(_Part.of(chunk.table, chunk.source, chunk.sheet, frame_of_chunks([chunk], chunk.table),
                                   state.spill))



# --------------------------------------------------------------------------- column-wise cleaning

#: Clean with the row cleaners one row at a time (the reference, for tests) instead of column-wise.
ROW_BY_ROW = False
_NUMERIC_TYPES = frozenset({bool, int, float})


@dataclass
class _Chunk:
    """The rows of one sheet that passed normalisation, column-wise, waiting for rule 9."""

    table: str
    source: str
    sheet: str
    svc: Any  # per row: the service for the resubmission rule (None: not concerned)
    columns: dict[str, Any]  # schema column → per-row values (list or array)

    def __len__(self) -> int:
        return len(self.columns["row"])


class _Column:
    """One field of a sheet: the code of each row's raw cell among the column's distinct values.

    Values that are equal across Python types (``1``, ``1.0``, ``True``) are kept apart when
    they occur together, since the parsers read them differently (as :func:`readers.memo_cell`).
    """

    def __init__(self, values: list):
        self.values = values
        if len(set(map(type, values)) & _NUMERIC_TYPES) > 1:
            keys = list(zip(map(type, values), values, strict=True))
            uniq = list(dict.fromkeys(keys))
            pos = {k: i for i, k in enumerate(uniq)}
            self.uniq = [v for _, v in uniq]
        else:
            keys = values
            uniq = list(dict.fromkeys(keys))
            pos = {k: i for i, k in enumerate(uniq)}
            self.uniq = uniq
        self.codes = np.fromiter(map(pos.__getitem__, keys), dtype=np.int64, count=len(keys))
        self.is_none = self.per(lambda u: u is None, bool)[self.codes]

    def per(self, fn, dtype=object, where: np.ndarray | None = None) -> np.ndarray:
        """``fn`` of each distinct value (only those of the rows ``where``, if given)."""
        out = np.empty(len(self.uniq), dtype=dtype)
        needed = range(len(self.uniq)) if where is None else np.unique(self.codes[where]).tolist()
        for i in needed:
            out[i] = fn(self.uniq[i])
        return out


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


class _SheetSteps:
    """Rows of a sheet still alive, why the others were set aside, and the notes, step by step.

    Each step reads one field for every row still alive, as the row cleaners do in order: a
    row set aside at a step gets no note from the later steps, and keeps those of earlier ones.
    """

    def __init__(self, ctx: _Ctx, rows: np.ndarray, row_service: str | None):
        self.ctx, self.rows = ctx, rows
        self.alive = np.ones(len(rows), dtype=bool)
        self.why = np.empty(len(rows), dtype=object)  # (reason, detail) of each row set aside
        self.svc = np.full(len(rows), row_service, dtype=object)

    def reject(self, mask: np.ndarray, why: np.ndarray) -> None:
        """Set aside the alive rows of ``mask`` with their ``(reason, detail)`` of ``why``."""
        mask = mask & self.alive
        self.why[mask] = why[mask]
        self.alive &= ~mask

    def reject_per(self, col: _Column, why_of: np.ndarray) -> None:
        """Set aside the alive rows whose distinct value has a ``(reason, detail)`` in ``why_of``."""
        bad = np.array([w is not None for w in why_of], dtype=bool)
        self.reject(bad[col.codes], why_of[col.codes])

    def note_per(self, fld: str, col: _Column, note_of: np.ndarray, codes: np.ndarray | None = None) -> None:
        """Note ``(issue, detail)`` of ``note_of`` on every alive row whose distinct value has one."""
        codes = col.codes if codes is None else codes
        has = np.array([n is not None for n in note_of], dtype=bool)
        idx = np.flatnonzero(has[codes] & self.alive)
        if not len(idx):
            return
        ctx = self.ctx
        column = ctx.headers.get(fld, fld)
        for i in idx.tolist():
            value, issue, detail = note_of[codes[i]]
            ctx.notes.append({"source_file": ctx.source_file, "sheet": ctx.sheet, "row": int(self.rows[i]),
                              "column": column, "value": value, "issue": issue, "detail": detail})


def _text(value: Any) -> str | None:
    return None if value is None else cell_text(value)


def _optional_of(ctx: _Ctx, fld: str, parser, default=None, **kw):
    """Per distinct value: ``(value, note)`` as :func:`_optional` reads it."""
    def one(value):
        try:
            out = parser(value, **kw)
        except nz.ValueProblem as exc:
            shown_default = nz.UNKNOWN if isinstance(default, (nz.Place, nz.Requester)) else default
            shown = f" : gardé comme « {shown_default} »" if shown_default is not None else " : laissé vide"
            return default, (_text(value), f"value_{exc.kind}", f"{ctx.col(fld)} : {exc.message}{shown}")
        return (default if out is None else out), None
    return one


def _coded_of(ctx: _Ctx, fld: str, domain: str, default=None):
    """Per distinct value: ``(code, note)`` as :func:`_coded` reads it."""
    def one(value):
        try:
            code, how = nz.match_code_how(domain, value, ctx.lang)
        except nz.ValueProblem as exc:
            shown = f" : gardé comme « {default} »" if default is not None else " : laissé vide"
            return default, (_text(value), f"value_{exc.kind}", f"{ctx.col(fld)} : {exc.message}{shown}")
        return (default if code is None else code), _interpreted_note(ctx, fld, value, domain, code, how)
    return one


def _interpreted_note(ctx: _Ctx, fld: str, value: Any, domain: str, code: str | None, how: str | None):
    if code is None or how not in nz.MATCH_HOW_FR:
        return None
    label = _labels(domain).get(code, code)
    return (_text(value), "interpreted",
            f"{ctx.col(fld)} : {nz.show(value)} interprété comme « {label} » ({nz.MATCH_HOW_FR[how]})")


def _split(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct ``(value, note)`` → the values and the notes, as two object arrays."""
    values, notes = np.empty(len(pairs), dtype=object), np.empty(len(pairs), dtype=object)
    for i, p in enumerate(pairs):
        if p is not None:
            values[i], notes[i] = p
    return values, notes


class _SheetFields:
    """The recognised fields of a sheet as :class:`_Column` objects, built on first use."""

    def __init__(self, data: list[tuple[int, tuple]], header: HeaderMatch):
        self.data, self.header = data, header
        self.cells = [cells for _, cells in data]
        self.width = min(map(len, self.cells), default=0)
        self._cols: dict[str, _Column] = {}

    def __getitem__(self, fld: str) -> _Column:
        if fld not in self._cols:
            col = self.header.columns.get(fld)
            if col is None:
                values = [None] * len(self.data)
            elif col < self.width:
                values = list(map(itemgetter(col), self.cells))
            else:
                values = [cells[col] if col < len(cells) else None for cells in self.cells]
            self._cols[fld] = _Column(values)
        return self._cols[fld]


def _field_step(steps: _SheetSteps, fields: _SheetFields, fld: str, one) -> np.ndarray:
    """Read ``fld`` with ``one`` (per distinct value → ``(value, note)``) for the alive rows,
    note what it notes, and return each row's value."""
    col = fields[fld]
    values, notes = _split(col.per(one, where=steps.alive))
    steps.note_per(fld, col, notes)
    return values[col.codes]


def _year_step(steps: _SheetSteps, fields: _SheetFields, fld: str, years: np.ndarray, one) -> np.ndarray:
    """As :func:`_field_step` for a field read against each row's year (``one(value, year)``)."""
    col = fields[fld]
    alive = steps.alive
    pair = np.where(alive, col.codes * 10000 + years, -1)
    codes, uniq = pd.factorize(pair)
    values, notes = np.empty(len(uniq), dtype=object), np.empty(len(uniq), dtype=object)
    for i, key in enumerate(uniq.tolist()):
        if key >= 0:
            values[i], notes[i] = one(col.uniq[key // 10000], key % 10000)
    steps.note_per(fld, col, notes, codes)
    return values[codes]


def _date_of(ctx: _Ctx, fld: str):
    """Per distinct value: ``(date, None)`` or ``(None, (reason, detail))`` as :func:`_required_date`."""
    def one(value):
        try:
            date = nz.parse_date(value)
        except nz.ValueProblem as exc:
            return None, ("date_invalid", f"{ctx.col(fld)} : {exc.message}")
        if date is None:
            return None, ("date_missing", f"{ctx.col(fld)} : cellule vide")
        return date, None
    return one


def _required_code_of(ctx: _Ctx, fld: str, domain: str, unknown: str, missing: str):
    """Per distinct value: ``(code, note, reject)`` of a required coded cell."""
    def one(value):
        try:
            code, how = nz.match_code_how(domain, value, ctx.lang)
        except nz.ValueProblem as exc:
            return None, None, (unknown, f"{ctx.col(fld)} : {exc.message}")
        if code is None:
            return None, None, (missing, f"{ctx.col(fld)} : cellule vide")
        return code, _interpreted_note(ctx, fld, value, domain, code, how), None
    return one


def _triple_step(steps: _SheetSteps, fields: _SheetFields, fld: str, one) -> np.ndarray:
    """A field that may set its row aside: ``one`` gives ``(value, note, reject)`` per distinct
    value; the note is written for the rows that stay."""
    col = fields[fld]
    out = col.per(one, where=steps.alive)
    values, notes, whys = (np.empty(len(out), dtype=object) for _ in range(3))
    for i, t in enumerate(out):
        if t is not None:
            values[i], notes[i], whys[i] = t
    steps.reject_per(col, whys)
    steps.note_per(fld, col, notes)
    return values[col.codes]


def _count_of(ctx: _Ctx, fld: str, column: str):
    def one(value):
        try:
            count = nz.parse_count(value, maximum=_count_max("activities", column))
        except nz.ValueProblem as exc:
            return None, None, ("count_invalid", f"{ctx.col(fld)} : {exc.message}")
        note = None
        if count is not None and nz.is_approximate_count(value):
            note = (_text(value), "approximate",
                    f"{ctx.col(fld)} : valeur approximative {nz.show(value)}, gardée comme {count}")
        return count, note, None
    return one


def _ns(dates: np.ndarray) -> np.ndarray:
    """Dates (``datetime.date`` or None) → ``datetime64[ns]`` (NaT for None), each distinct date once."""
    codes, uniq = pd.factorize(np.asarray(dates, dtype=object))
    days = np.array([np.datetime64(d, "D") for d in uniq] + [np.datetime64("NaT")],
                    dtype="datetime64[D]").astype("datetime64[ns]")
    return days[codes]  # code -1 (None) takes the NaT at the end


def _clean_sheet_columns(wb: Workbook, parse: _SheetParse, ctx: _Ctx, row_service: str | None,
                         state: _State) -> _Chunk | None:
    """Clean the data rows of a sheet column by column: each distinct raw value of a column is
    read once, and what the row cleaners (:data:`ROW_CLEANERS`) decide for each row (kept or set
    aside with its reason, notes) is applied to every row holding it.

    Same rules, same order, same outcome as :func:`_clean_sheet_rows`, which reads row by row.
    """
    header, table, data = parse.header, parse.table, parse.data_rows
    n = len(data)
    if not n:
        return None
    rows = np.fromiter((r for r, _ in data), dtype=np.int64, count=n)
    steps = _SheetSteps(ctx, rows, row_service)
    fields = parse.fields
    date_field = DATE_FIELD[table]
    dcol = fields[date_field]
    date_one = _date_of(ctx, date_field)
    date_out = dcol.per(date_one)
    readable = np.array([d is not None and d[0] is not None for d in date_out], dtype=bool)[dcol.codes]

    # total rows, formulas without value, rows without data (in that order, as the row loop)
    dated = np.flatnonzero(~dcol.is_none)
    last_dated = int(rows[dated[-1]]) if len(dated) else 0
    why = np.empty(n, dtype=object)
    total = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(~readable).tolist():
        row, cells = data[i]
        if is_total_row(cells, dcol.values[i], row > last_dated):
            total[i], why[i] = True, ("total_row", "ligne de total : " + _content(cells))
    steps.reject(total, why)
    header_of_col = {col: ctx.col(fld) for fld, col in header.columns.items()}
    if parse.formulas:
        formula = np.zeros(n, dtype=bool)
        where = {r: i for i, r in enumerate(rows.tolist()) if r in parse.formulas}
        for row, i in where.items():
            formulas = parse.formulas[row]
            if bad := [(col, what) for col, what in sorted(formulas.items()) if col in header_of_col]:
                formula[i], why[i] = True, ("formula_without_value", "; ".join(
                    f"{header_of_col[col]} : {what} (cellule {column_letters(col)}{row})" for col, what in bad)
                    + " ; ouvrir le classeur dans Excel ou LibreOffice et l'enregistrer pour calculer les formules")
        steps.reject(formula, why)
    empty = np.ones(n, dtype=bool)
    for fld in header.columns:
        empty &= fields[fld].is_none
    for i in np.flatnonzero(empty & steps.alive).tolist():
        row, cells = data[i]
        formulas = parse.formulas.get(row, {})
        why[i] = ("no_data", "aucune valeur dans les colonnes reconnues ; contenu : " + _content(cells)
                  + "".join(f" ; {column_letters(col)}{row} : {what}" for col, what in sorted(formulas.items())))
    steps.reject(empty, why)

    out: dict[str, Any] = {}
    if table == "census":
        scol = fields["service"]
        if ctx.service is None:
            def service_one(value):
                try:
                    code = nz.match_service(value)
                except nz.ValueProblem as exc:
                    return None, None, ("service_unknown", f"{ctx.col('service')} : {exc.message}")
                if code is None:
                    return None, None, ("service_unknown", f"{ctx.col('service')} : cellule vide")
                return code, None, None
        else:
            def service_one(value):
                if value is None:
                    return ctx.service, None, None
                try:
                    code = nz.match_service(value)
                except nz.ValueProblem as exc:
                    return None, None, ("service_unknown", f"{ctx.col('service')} : {exc.message}")
                if code is None:
                    return None, None, ("service_unknown", f"{ctx.col('service')} : cellule vide")
                return code, None, None
        # rows set aside by the cleaner name the service they give (the checks above: none)
        census_svc = (scol.per(lambda v: ctx.service) if ctx.service
                      else scol.per(_safe_service, where=steps.alive))[scol.codes]
        steps.svc = np.where(steps.alive, census_svc, steps.svc)
        service = _triple_step(steps, fields, "service", service_one)

    date_vals, date_why = _split(date_out)
    steps.reject_per(dcol, date_why)
    dates = date_vals[dcol.codes]
    months_of = dcol.per(lambda d: None, where=None)
    for i, d in enumerate(date_vals):
        months_of[i] = None if d is None else nz.month_of(d)
    months = months_of[dcol.codes]
    years_of = np.array([0 if d is None else d.year for d in date_vals], dtype=np.int64)
    years = years_of[dcol.codes]

    if table == "users":
        birth = _year_step(steps, fields, "birth_year", years,
                           lambda v, y: _optional_of(ctx, "birth_year", nz.parse_birth_year, ref_year=y)(v))
        place = _field_step(steps, fields, "commune", _optional_of(ctx, "commune", nz.parse_commune,
                                                                   default=nz.UNKNOWN_PLACE))
        referrer = _field_step(steps, fields, "referrer", _coded_of(ctx, "referrer", "referrers", nz.UNKNOWN))
        out["gender"] = _field_step(steps, fields, "gender", _coded_of(ctx, "gender", "genders"))
        out["income_source"] = _field_step(steps, fields, "income_source",
                                           _coded_of(ctx, "income_source", "income_sources", nz.UNKNOWN))
        out["first_contact"] = dates
        out["birth_year"] = birth
        out["age"] = np.array([None if b is None else y - b for b, y in zip(birth.tolist(), years.tolist(),
                                                                              strict=True)], dtype=object)
        _places(out, place, "commune_nis", "residence", "basin")
        out["referrer"] = referrer
        first_line = nz.referrer_first_line()
        out["first_line"] = np.array([first_line.get(r) for r in referrer.tolist()], dtype=object)
    elif table == "pros":
        requesting = _field_step(steps, fields, "requesting_service",
                                 _coded_of(ctx, "requesting_service", "requesting_services"))
        rcol = fields["requesting_service"]
        default = np.array([r is None for r in requesting.tolist()], dtype=bool)
        blank = default & rcol.is_none
        note = (None, "value_default", f"{ctx.col('requesting_service')} : vide, classé « Autre »")
        steps.note_per("requesting_service", rcol, _objects([note, None]), np.where(blank, 0, 1))
        requesting[default] = "autre"
        place = _field_step(steps, fields, "origin", _optional_of(ctx, "origin", nz.parse_commune,
                                                                  default=nz.UNKNOWN_PLACE))
        out["first_contact"] = dates
        out["requesting_service"] = requesting
        out["origin_region"] = np.array([p.region if p is not None else None for p in place.tolist()], dtype=object)
        out["origin_commune_nis"] = np.array([p.nis if p is not None else None for p in place.tolist()],
                                             dtype=object)
    elif table == "activities":
        atype = _triple_step(steps, fields, "activity_type", _required_code_of(
            ctx, "activity_type", "activity_types", "activity_type_unknown", "activity_type_missing"))
        counts = {c: _triple_step(steps, fields, c, _count_of(ctx, c, c))
                  for c in ("workers", "users_present", "pros_present")}
        users, pros = counts["users_present"], counts["pros_present"]
        u_none = np.array([u is None for u in users.tolist()], dtype=bool)
        p_none = np.array([p is None for p in pros.tolist()], dtype=bool)
        users = users.copy()
        pros = pros.copy()
        users[u_none & ~p_none] = 0
        pros[p_none & ~u_none] = 0
        out["place"] = _field_step(steps, fields, "place", _coded_of(ctx, "place", "places"))
        duration = _field_step(steps, fields, "duration", _optional_of(ctx, "duration", nz.parse_duration))
        dur_col = fields["duration"]

        def unit(value):
            try:
                minutes = nz.parse_duration(value)
            except nz.ValueProblem:
                return None
            if minutes is not None and (why := nz.duration_ambiguity(value)):
                return _text(value), "duration_unit", f"{ctx.col('duration')} : {why}"
            return None
        steps.note_per("duration", dur_col, dur_col.per(unit, where=steps.alive))
        axis = _activity_axis()
        out["date"] = dates
        out["activity_type"] = atype
        out["axis"] = np.array([axis.get(a) for a in atype.tolist()], dtype=object)
        out["workers"] = counts["workers"]
        out["users_present"] = users
        out["pros_present"] = pros
        out["duration_min"] = duration
    else:  # census
        def wave_one(d):
            return None if d is None else census_wave(nz.month_of(d))
        waves_of = np.array([wave_one(d) for d in date_vals], dtype=object)
        waves = waves_of[dcol.codes]
        no_wave = np.array([w is None for w in waves.tolist()], dtype=bool)
        wave_why = dcol.per(lambda v: ("date_out_of_wave", f"{ctx.col('demand_date')} : {nz.show(v)} "
                                       "hors des vagues du recensement"), where=no_wave & steps.alive)
        steps.reject(no_wave, wave_why[dcol.codes])
        outcome = _triple_step(steps, fields, "outcome", _required_code_of(
            ctx, "outcome", "census_outcomes", "outcome_unknown", "outcome_missing"))
        who = _field_step(steps, fields, "requester", _optional_of(
            ctx, "requester", nz.parse_requester, default=nz.Requester(None, None, None)))
        place = _field_step(steps, fields, "commune", _optional_of(ctx, "commune", nz.parse_commune,
                                                                   default=nz.UNKNOWN_PLACE))
        out["age"] = _year_step(steps, fields, "age", years,
                                lambda v, y: _optional_of(ctx, "age", nz.parse_age, ref_year=y)(v))
        for fld, domain in (("gender", "genders"), ("public", "publics"), ("followup_requested", "followups")):
            out[fld] = _field_step(steps, fields, fld, _coded_of(ctx, fld, domain))
        out["outcome"] = outcome
        for fld, domain in (("reorientation_reason", "reorientation_reasons"),
                            ("destination_full", "yes_no_unknown")):
            out[fld] = _field_step(steps, fields, fld, _coded_of(ctx, fld, domain))
        out["first_appointment"] = _field_step(steps, fields, "first_appointment",
                                               _optional_of(ctx, "first_appointment", nz.parse_date))
        out["wave"] = waves
        out["service_code"] = service
        out["demand_date"] = dates
        out["requester"] = np.array([None if w is None else w.requester for w in who.tolist()], dtype=object)
        out["requester_sector"] = np.array([None if w is None else w.sector for w in who.tolist()], dtype=object)
        out["first_line"] = np.array([None if w is None else w.first_line for w in who.tolist()], dtype=object)
        _places(out, place, "commune_nis", "residence", None)

    if table != "census":
        start, end = state.start, state.end
        outside = np.array([m is not None and not (start <= m <= end) for m in months_of], dtype=bool)
        period_why = dcol.per(lambda v: ("date_out_of_period", f"{ctx.col(date_field)} : {nz.show(v)} "
                                         f"hors de la période {start} → {end}"),
                              where=outside[dcol.codes] & steps.alive)
        steps.reject(outside[dcol.codes], period_why[dcol.codes])

    # rule 8: a row identical to an earlier kept row of the sheet is kept and noted
    keep = np.flatnonzero(steps.alive)
    if len(keep):
        key = np.zeros(len(keep), dtype=np.int64)
        for fld in sorted(header.columns):
            col = fields[fld]
            text_codes, _ = pd.factorize(np.array([cell_text(u) for u in col.uniq], dtype=object))
            key, _ = pd.factorize(key * (int(text_codes.max()) + 1) + text_codes[col.codes[keep]])
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        first_of = first[inverse]
        again = np.flatnonzero(first_of != np.arange(len(keep)))
        if len(again):  # held as one small frame per sheet, not one dict per row (millions at 10 M rows)
            state.possible_duplicates += len(again)
            state.note_frames.append(_notes_block(
                wb.relpath, parse.sheet, rows[keep[again]], "duplicate_possible",
                [f"ligne identique à la ligne {r} de la même feuille : gardée (doublon possible, à vérifier)"
                 for r in rows[keep[first_of[again]]].tolist()]))

    for i in np.flatnonzero(~steps.alive).tolist():
        reason, detail = steps.why[i]
        state.reject(table, wb.relpath, parse.sheet, int(rows[i]), reason, detail, steps.svc[i])
    if not len(keep):
        return None
    cols = {name: values[keep] for name, values in out.items()}
    for name in ("date", "first_contact", "demand_date", "first_appointment"):
        if name in cols:
            cols[name] = _ns(cols[name])
    cols["source_file"] = np.full(len(keep), wb.relpath, dtype=object)
    cols["sheet"] = np.full(len(keep), parse.sheet, dtype=object)
    cols["row"] = rows[keep]
    cols["month"] = months[keep]
    if table != "census":
        cols["service_code"] = np.full(len(keep), row_service, dtype=object)
        svc = cols["service_code"]
    else:
        svc = cols["service_code"]
    return _Chunk(table, wb.relpath, parse.sheet, svc, cols)


def _places(out: dict, place: np.ndarray, nis: str, residence: str, basin: str | None) -> None:
    places = place.tolist()
    out[nis] = np.array([None if p is None else p.nis for p in places], dtype=object)
    out[residence] = np.array([None if p is None else p.residence for p in places], dtype=object)
    if basin:
        out[basin] = np.array([None if p is None else p.basin for p in places], dtype=object)


def _clean_sheet_rows(wb: Workbook, parse: _SheetParse, ctx: _Ctx, row_service: str | None,
                      state: _State) -> _Chunk | None:
    """Reference implementation of :func:`_clean_sheet_columns`, one row at a time with the row
    cleaners (:data:`ROW_CLEANERS`); slower, kept to check the column-wise one (tests)."""
    header = parse.header
    records: list[dict] = []
    svcs: list[str | None] = []

    def reject(row: int, reason: str, detail: str, svc: str | None = row_service) -> None:
        state.reject(parse.table, wb.relpath, parse.sheet, row, reason, detail, svc)

    date_col = header.columns[DATE_FIELD[parse.table]]
    dated = [n for n, cells in parse.data_rows if date_col < len(cells) and cells[date_col] is not None]
    last_dated = dated[-1] if dated else 0
    seen_rows: dict[tuple, int] = {}
    header_of_col = {col: ctx.col(fld) for fld, col in header.columns.items()}
    cleaner = ROW_CLEANERS[parse.table]
    fields = sorted(header.columns)
    for row, cells in parse.data_rows:
        values = _cells_of(cells, header)
        if is_total_row(cells, values[DATE_FIELD[parse.table]], row > last_dated):
            reject(row, "total_row", "ligne de total : " + _content(cells))
            continue
        formulas = parse.formulas.get(row, {})
        if bad := [(col, what) for col, what in sorted(formulas.items()) if col in header_of_col]:
            reject(row, "formula_without_value", "; ".join(
                f"{header_of_col[col]} : {what} (cellule {column_letters(col)}{row})" for col, what in bad)
                + " ; ouvrir le classeur dans Excel ou LibreOffice et l'enregistrer pour calculer les formules")
            continue
        if all(v is None for v in values.values()):
            reject(row, "no_data", "aucune valeur dans les colonnes reconnues ; contenu : " + _content(cells)
                   + "".join(f" ; {column_letters(col)}{row} : {what}" for col, what in sorted(formulas.items())))
            continue
        try:
            record = cleaner(ctx, row, values)
        except _Reject as exc:
            svc = row_service
            if parse.table == "census":
                svc = ctx.service if ctx.service else _safe_service(values.get("service"))
            reject(row, exc.reason, exc.detail, svc)
            continue
        date = record[DATE_FIELD[parse.table]]
        month = nz.month_of(date)
        svc = record.get("service_code", row_service)
        if parse.table != "census" and not (state.start <= month <= state.end):
            reject(row, "date_out_of_period",
                   f"{ctx.col(DATE_FIELD[parse.table])} : {nz.show(values[DATE_FIELD[parse.table]])} "
                   f"hors de la période {state.start} → {state.end}")
            continue
        raw_key = tuple(cell_text(values[f]) for f in fields)
        if raw_key in seen_rows:  # kept: rule 8
            state.possible_duplicates += 1
            ctx.note(row, None, None, "duplicate_possible",
                     f"ligne identique à la ligne {seen_rows[raw_key]} de la même feuille : gardée "
                     "(doublon possible, à vérifier)")
        else:
            seen_rows[raw_key] = row
        record.update(source_file=wb.relpath, sheet=parse.sheet, row=row)
        if parse.table != "census":
            record["service_code"] = row_service
        record["month"] = month
        records.append(record)
        svcs.append(svc)
    if not records:
        return None
    names = schema.columns(parse.table)
    return _Chunk(parse.table, wb.relpath, parse.sheet, svcs, {c: [r.get(c) for r in records] for c in names})

def _content(cells: tuple) -> str:
    """The filled cells of a row, for a detail (long cells cut)."""
    return " | ".join(nz.shorten(cell_text(c)) for c in cells if c is not None)


def _safe_service(value: Any) -> str | None:
    try:
        return nz.match_service(value)
    except nz.ValueProblem:
        return None


@dataclass
class _Part:
    """The clean rows of one sheet (a :class:`_Chunk` as a frame of the table's dtypes), waiting
    for rule 9. The resubmission rule's service is the row's ``service_code`` (tracking tables).

    Held in memory (``frame``) or, with a :class:`~analysis.ingest.parts.Spill`, on disk
    (``path``): rule 9 needs only its (service, month) row counts, ``pairs``."""

    table: str
    source: str
    sheet: str
    frame: pd.DataFrame | None
    pairs: Counter = field(default_factory=Counter)
    n: int = 0
    path: Path | None = None

    @classmethod
    def of(cls, table: str, source: str, sheet: str, frame: pd.DataFrame, spill: Spill | None) -> _Part:
        pairs = _pairs(frame) if table in TRACKING_TABLES else Counter()
        if spill is None:
            return cls(table, source, sheet, frame, pairs, len(frame))
        # validated against the schema when the table is streamed into its file, one row group at a
        # time (:meth:`~analysis.ingest.parts.SpilledTable.row_groups`): the whole table is never in memory
        return cls(table, source, sheet, None, pairs, len(frame), spill.put(frame))

    def load(self) -> pd.DataFrame:
        if self.frame is not None:
            return self.frame
        return Spill.get(self.path, _dtypes(self.table))


def _dtypes(table: str) -> dict[str, str]:
    return {c.name: c.dtype for c in schema.TABLES[table]}


def _pairs(frame: pd.DataFrame) -> Counter:
    """(service, month) → number of rows of a tracking part."""
    counts = frame.groupby(["service_code", "month"], observed=True, sort=False).size()
    return Counter({(str(s), str(m)): int(n) for (s, m), n in counts.items()})


def _resolve_resubmissions(parts: list[_Part], state: _State, raw_dir: Path | None,
                           replacements: list[resubmissions.Replacement]) -> tuple[list, list[str]]:
    """Keep one file where files of one service overlap (module docstring, rule 9)."""
    counts: dict[tuple[str, str, str, str], int] = {}
    for ch in parts:
        if ch.table not in TRACKING_TABLES or not ch.n:
            continue
        for (svc, month), n in ch.pairs.items():
            counts[(svc, ch.table, month, ch.source)] = counts.get((svc, ch.table, month, ch.source), 0) + n
    all_files = [f["source_file"] for f in state.files]
    winners, by_pair, warnings = resubmissions.resolve_counts(counts, raw_dir, replacements, all_files)
    for ch in parts:
        if not winners or ch.table not in TRACKING_TABLES:
            state.tables[ch.table].append(ch)
            continue
        lost = {(svc, month): w for (svc, table, month), w in winners.items()
                if table == ch.table and w != ch.source}
        lost_here = {pair: w for pair, w in lost.items() if pair in ch.pairs}
        if not lost_here:
            state.tables[ch.table].append(ch)
            continue
        frame = ch.load()
        svcs = frame["service_code"].to_numpy(dtype=object)
        months = frame["month"].to_numpy(dtype=object)
        drop = np.array([(s, m) in lost_here for s, m in zip(svcs, months, strict=True)], dtype=bool)
        rows = frame["row"].to_numpy()
        for i in np.flatnonzero(drop).tolist():
            svc, month = svcs[i], months[i]
            winner = lost_here[(svc, month)]
            dec = by_pair[(winner, ch.source)]
            dec.rows_set_aside += 1
            state.reject(ch.table, ch.source, ch.sheet, int(rows[i]), "duplicate_month",
                         f"mois {month} aussi envoyé par le service dans « {winner} », fichier retenu "
                         f"pour les mois communs ({resubmissions.RULES_FR[dec.rule]})", svc)
        keep = np.flatnonzero(~drop)
        if ch.path is not None:
            Spill.drop(ch.path)
        if len(keep):
            state.tables[ch.table].append(_Part.of(ch.table, ch.source, ch.sheet,
                                                   frame.take(keep).reset_index(drop=True), state.spill))
        del frame
    decisions = sorted(by_pair.values(), key=lambda d: (d.service_code, d.retained, d.replaced))
    return decisions, warnings


def _table_of_parts(parts: list[_Part], table: str, spill: Spill | None) -> pd.DataFrame | SpilledTable:
    """:func:`frame_of_parts`, or, for parts on disk, the :class:`SpilledTable` of them in the same order."""
    if spill is None:
        return frame_of_parts(parts, table)
    parts = sorted(parts, key=lambda p: (p.source, p.sheet))
    if not parts or any(a.source == b.source and a.sheet == b.sheet for a, b in zip(parts, parts[1:], strict=False)):
        # nothing kept, or parts that would interleave (never from one folder's sheets): in memory, sorted
        loaded = [_Part(p.table, p.source, p.sheet, p.load(), p.pairs, p.n) for p in parts]
        return frame_of_parts(loaded, table)
    return SpilledTable(table, parts, _dtypes(table))


def frame_of_parts(parts: list[_Part], table: str) -> pd.DataFrame:
    """The parts of a table, concatenated in the clean table's order (:data:`SORT_KEYS`).

    Each part is one sheet's rows in row order, so ordering the parts by (file, sheet) orders the
    rows without sorting (nor copying) the whole table; parts that would interleave fall back to
    :func:`sort_table`.
    """
    if not parts:
        return to_frame([], table)
    parts = sorted(parts, key=lambda p: (p.source, p.sheet))
    interleave = any(a.source == b.source and a.sheet == b.sheet for a, b in zip(parts, parts[1:], strict=False))
    frames = [p.frame for p in parts]
    parts.clear()
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    del frames
    return sort_table(df, table) if interleave else _contiguous(df)


def _pick(values, index: np.ndarray):
    return values[index] if isinstance(values, np.ndarray) else [values[i] for i in index.tolist()]


# --------------------------------------------------------------------------- frames


def to_frame(records: list[dict], table: str) -> pd.DataFrame:
    """Records → a frame with exactly the schema's columns and dtypes."""
    cols = schema.TABLES[table]
    data = {}
    for c in cols:
        values = [r.get(c.name) for r in records]
        if c.dtype.startswith("datetime64"):
            series = pd.Series(pd.to_datetime(pd.Series(values, dtype="object")), dtype=c.dtype)
        elif c.dtype == "boolean":
            series = pd.Series(pd.array(values, dtype="boolean"))
        elif c.dtype in ("Int64", "int64"):
            series = pd.Series(pd.array(values, dtype="Int64")).astype(c.dtype)
        elif c.dtype == "Float64":
            series = pd.Series(pd.array(values, dtype="Float64"))
        else:
            series = pd.Series(values, dtype=c.dtype)
        data[c.name] = series
    return pd.DataFrame(data, columns=[c.name for c in cols])


def frame_of_chunks(chunks: list[_Chunk], table: str) -> pd.DataFrame:
    """Chunks of clean rows → a frame with exactly the schema's columns and dtypes (as :func:`to_frame`)."""
    cols = schema.TABLES[table]
    if not chunks:
        return to_frame([], table)
    data = {}
    for c in cols:
        parts = []
        for ch in chunks:
            values = ch.columns[c.name]
            if c.dtype.startswith("datetime64") and not (isinstance(values, np.ndarray) and values.dtype.kind == "M"):
                values = _ns(_objects(list(values)))
            elif not isinstance(values, np.ndarray):
                values = _objects(list(values))
            parts.append(values)
        values = np.concatenate(parts) if len(parts) > 1 else parts[0]
        if c.dtype.startswith("datetime64"):
            series = pd.Series(values.astype(c.dtype))
        elif c.dtype == "boolean":
            series = pd.Series(pd.array(values.astype(object), dtype="boolean"))
        elif c.dtype == "int64":
            series = pd.Series(values.astype(np.int64))
        elif c.dtype == "Int64":
            series = pd.Series(pd.array(values.astype(object), dtype="Int64"))
        elif c.dtype == "Float64":
            series = pd.Series(pd.array(values.astype(object), dtype="Float64"))
        else:
            series = pd.Series(values.astype(object), dtype=c.dtype)
        data[c.name] = series
    return pd.DataFrame(data, columns=[c.name for c in cols])


SORT_KEYS = {
    "users": ["source_file", "sheet", "row"],
    "pros": ["source_file", "sheet", "row"],
    "activities": ["source_file", "sheet", "row"],
    "census": ["source_file", "sheet", "row"],
    "submissions": ["service_code", "month"],
    "rejected": ["source_file", "sheet", "table", "row", "reason"],
    "files": ["source_file"],
    "accounting": ["source_file", "sheet", "table"],
}


def sort_table(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Deterministic row order of a clean table."""
    keys = SORT_KEYS.get(table, list(df.columns))
    if len(df) > 1 and not any(df[k].isna().any() for k in keys) \
            and pd.MultiIndex.from_arrays([df[k] for k in keys]).is_monotonic_increasing:
        return df.reset_index(drop=True)  # already in order: no copy of a big table
    return df.sort_values(keys, kind="mergesort", na_position="first").reset_index(drop=True)


def _notes_block(source_file: str, sheet: str, rows: np.ndarray, issue: str, details: list[str]) -> pd.DataFrame:
    """Notes without column nor value on many rows of one sheet, as a frame of the notes' dtypes."""
    n = len(rows)
    df = pd.DataFrame({
        "source_file": pd.array([source_file] * n, dtype="string"), "sheet": pd.array([sheet] * n, dtype="string"),
        "row": pd.array(rows.astype(np.int64), dtype="Int64"), "column": pd.array([None] * n, dtype="string"),
        "value": pd.array([None] * n, dtype="string"), "issue": pd.array([issue] * n, dtype="string"),
        "detail": pd.array(details, dtype="string"),
    })
    return df[list(NOTES_COLUMNS)]


def _notes_frame(notes: list[dict], blocks: list[pd.DataFrame] = ()) -> pd.DataFrame:
    df = pd.DataFrame(notes, columns=list(NOTES_COLUMNS))
    df = df.astype({c: "string" for c in NOTES_COLUMNS if c != "row"})
    df["row"] = pd.array(df["row"].tolist(), dtype="Int64")
    if len(blocks):
        df = _contiguous(pd.concat([df, *blocks], ignore_index=True))
    return df.sort_values(["source_file", "sheet", "row", "column", "issue"], kind="mergesort",
                          na_position="first").reset_index(drop=True)


def _give_back_memory() -> None:
    """Return the memory this process freed to the system: Python's cycles collected, Arrow's pool
    and the C heap trimmed (glibc keeps freed pages of big workbooks otherwise)."""
    import ctypes
    import gc

    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


#: ``files.status`` of a workbook identical to an earlier one (rule 6 of the module doc).
COPY_STATUS = "duplicate"


def counted(tables: Mapping[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``accounting`` and ``rejected`` without the rows of copies (rule 6 of the module doc).

    A copy's rows are those of the workbook it copies, accounted for by its line in ``files``
    (« copie de … »): the counts a reader sees (rows read, kept and set aside, by table and reason)
    are taken from these frames. Kept rows never come from a copy, so only the rows read and set
    aside change; each file × sheet still balances.
    """
    acc, rej = tables["accounting"], tables["rejected"]
    files = tables.get("files")
    copies = set(files.loc[files["status"] == COPY_STATUS, "source_file"]) if files is not None else set()
    if not copies:
        return acc, rej
    return (acc[~acc["source_file"].isin(copies)].reset_index(drop=True),
            rej[~rej["source_file"].isin(copies)].reset_index(drop=True))


@dataclass
class CleanResult:
    """The clean tables of a run and what was set aside, with a French summary."""

    tables: dict[str, pd.DataFrame]
    start: str
    end: str
    notes: pd.DataFrame = field(default_factory=lambda: _notes_frame([]))
    blank_rows: int = 0
    ignored_files: list[tuple[str, str]] = field(default_factory=list)
    #: Resubmission decisions (:meth:`analysis.ingest.resubmissions.Decision.as_record`).
    decisions: list[dict] = field(default_factory=list)
    #: French warnings for the researcher (registry, resubmissions to confirm, replacements file).
    warnings: list[str] = field(default_factory=list)
    #: Settings files of the raw folder that were applied: (relative path, French role).
    settings_files: list[tuple[str, str]] = field(default_factory=list)
    #: Where the data tables' parts are kept when they are :class:`SpilledTable` (removed with the result).
    spill: Spill | None = None

    def close(self) -> None:
        """Remove the spilled parts now (the clean kernel is stopped without running its exit handlers,
        which would otherwise remove them); the spilled tables cannot be read afterwards."""
        if self.spill is not None:
            self.spill.close()

    def write(self, out_dir: Path, digests_memo: Path | None = None) -> list[Path]:
        """Write ``<out_dir>/<table>.parquet`` for every table (+ ``notes.parquet`` and the
        end-of-run account ``run-summary.json``, see :mod:`analysis.ingest.runsummary`).

        With ``digests_memo`` (the run's ``.cache/clean-digests.json``), the content digest of
        every table written is stored there too (:func:`analysis.cache.remember_digests`): the
        pipeline then keys the analyses on them without loading the tables again.
        """
        from analysis import cache
        from analysis.ingest.runsummary import write_run_summary
        from analysis.kernelfork import ForkedCall, in_use

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        digests = {}
        def drop(name: str) -> tuple[str, ...] | None:  # columns left out of a table's digest
            return schema.PROVENANCE_COLUMNS.get(name, ()) if digests_memo is not None else None

        spilled = [n for n in TABLE_NAMES if isinstance(self.tables.get(n), SpilledTable)]
        # the biggest spilled table is written by a process forked from the run's kernel server (the
        # reading process's core is free by now) while this one writes the others
        aside = max(spilled, key=lambda n: len(self.tables[n]), default=None) if in_use() else None
        if aside is not None:
            _give_back_memory()  # what the reading left unused goes back before a second writer starts
            forked = ForkedCall(SpilledTable.write, self.tables[aside], out_dir / f"{aside}.parquet", drop(aside))
        for name in (*TABLE_NAMES, "notes"):
            path = out_dir / f"{name}.parquet"
            if name in spilled:  # streamed, one row group at a time
                if name != aside:
                    digests[name] = self.tables[name].write(path, drop(name))
                paths.append(path)
                continue
            df = self.notes if name == "notes" else sort_table(self.tables[name], name)  # one copy at a time
            df.to_parquet(path, index=False)
            paths.append(path)
            if digests_memo is not None:
                digests[name] = cache.frame_digest(df, schema.PROVENANCE_COLUMNS.get(name, ()))
            del df
        if aside is not None:
            digests[aside] = forked.result()
        if digests_memo is not None:
            cache.remember_digests(out_dir, digests_memo, digests)
        paths.append(write_run_summary(self, out_dir))
        return paths

    def rejected_by_reason(self, copies: bool = True) -> pd.DataFrame:
        """Count of set-aside rows (and whole files/sheets) by table and reason, French labels
        (``copies=False``: the rows of copies left out, as the report counts them, :func:`counted`)."""
        rej = self.tables["rejected"] if copies else counted(self.tables)[1]
        if rej.empty:
            return pd.DataFrame(columns=["table", "reason", "motif", "n"])
        out = rej.groupby(["table", "reason"], observed=True).size().rename("n").reset_index()
        out["motif"] = out["reason"].map(REASONS_FR).fillna(out["reason"])
        return out[["table", "reason", "motif", "n"]].sort_values(["table", "n", "reason"],
                                                                   ascending=[True, False, True],
                                                                   kind="mergesort").reset_index(drop=True)

    def metrics(self) -> dict:
        """Row counts for the run's metrics (``rows.<table>``) and the cleaning's own counts."""
        files = self.tables["files"]
        acc = self.tables["accounting"]
        shown = counted(self.tables)[0]  # the prose totals: rows of copies left out (module doc, rule 6)
        return {
            "rows": {**{t: int(len(self.tables[t])) for t in DATA_TABLES},
                     "raw": int(shown["raw_rows"].sum()), "clean": int(shown["clean_rows"].sum()),
                     "rejected": int(shown["rejected_rows"].sum())},
            "clean": {
                "files_read": int(len(files)),
                "files_used": int((files["status"] == "used").sum()),
                "files_set_aside": int((files["status"] != "used").sum()),
                "raw_rows": int(acc["raw_rows"].sum()),
                "rejected_rows": int(acc["rejected_rows"].sum()),
                "copy_rows": int(acc["raw_rows"].sum() - shown["raw_rows"].sum()),
                "blank_rows": int(self.blank_rows),
            },
        }

    def summary_fr(self, threshold: int | None = None, shown: dict[str, str] | None = None) -> str:
        """A short French account of the cleaning: files, rows per table, the accounting check.

        With ``threshold``, the account is for readers (the executed notebook): row counts of the
        person tables (users, pros, census) and the totals are printed as ``shown`` gives them (the
        texts of the quality annex's plan, :meth:`analysis.publish.quality.QualityPlan.texts`:
        ``<table>.read``/``kept``/``rejected``, ``rows.raw``/``clean``/``rejected``); without
        ``shown`` they are withheld (« n.p. »).
        """
        def persons(n: int, table: str, cell: str = "") -> str:
            if threshold is None or (table not in PERSON_TABLES and table != "rows"):
                return fmt_int(n)
            return (shown or {}).get(f"{table}.{cell}", "n.p.")

        files = self.tables["files"]
        # for readers, rows counted as the report counts them: the rows of copies left out (rule 6)
        acc = counted(self.tables)[0] if threshold is not None else self.tables["accounting"]
        status_fr = {"used": "retenu", "duplicate": "doublon", "unreadable": "illisible",
                     "unrecognised": "non reconnu"}
        lines = [f"Nettoyage des données brutes, période {self.start} → {self.end}."]
        by_status = files["status"].value_counts()
        parts = [f"{fmt_int(by_status.get(s, 0))} {status_fr[s]}{'s' if by_status.get(s, 0) > 1 else ''}"
                 for s in status_fr if by_status.get(s, 0)]
        lines.append(f"Fichiers lus : {fmt_int(len(files))} ({', '.join(parts) or 'aucun'}).")
        for row in files[files["status"] != "used"].itertuples():
            lines.append(f"  – mis de côté : {row.source_file} ({status_fr.get(row.status, row.status)}) : {row.detail}")
        if self.ignored_files:
            lines.append("Fichiers ignorés : " + "; ".join(f"{p} ({why})" for p, why in self.ignored_files) + ".")
        lines.append("Lignes par table (brutes = retenues + écartées) :")
        for table in DATA_TABLES:
            sel = acc[acc["table"] == table]
            lines.append(
                f"  – {TABLES_FR[table]} : {persons(sel['raw_rows'].sum(), table, 'read')} brutes, "
                f"{persons(len(self.tables[table]), table, 'kept')} retenues, "
                f"{persons(sel['rejected_rows'].sum(), table, 'rejected')} écartées"
            )
        other = acc[acc["table"] == "file"]
        if not other.empty:
            lines.append(f"  – feuilles masquées ou non reconnues : {fmt_int(other['raw_rows'].sum())} lignes "
                         "lues, toutes écartées")
        reasons = self.rejected_by_reason(copies=threshold is None)
        if threshold is not None:  # person tables' reasons: see the published quality tables
            reasons = reasons[~reasons["table"].isin(PERSON_TABLES)]
        if not reasons.empty:
            grouped = reasons.groupby(["reason", "motif"], observed=True)["n"].sum().sort_values(ascending=False)
            lines.append("Motifs de mise à l'écart : " + "; ".join(
                f"{motif} {fmt_int(n)}" for (_, motif), n in grouped.items()) + ".")
        ok = bool((acc["raw_rows"] == acc["clean_rows"] + acc["rejected_rows"]).all())
        lines.append(
            f"Contrôle : lignes brutes = retenues + écartées pour chacun des {fmt_int(len(acc))} couples fichier × feuille "
            f"({persons(acc['raw_rows'].sum(), 'rows', 'raw')} = {persons(acc['clean_rows'].sum(), 'rows', 'clean')} + "
            f"{persons(acc['rejected_rows'].sum(), 'rows', 'rejected')}) : {'vérifié' if ok else 'ÉCHEC'}. "
            f"Lignes vides ignorées : {fmt_int(self.blank_rows)}."
        )
        if not self.notes.empty:
            counts = self.notes["issue"].value_counts()
            issue_fr = {"column_ignored": "colonnes ignorées", "sheet_missing": "feuilles absentes",
                        "service_from_filename": "services identifiés par le nom du fichier",
                        "value_default": "valeurs vides classées « Autre »",
                        "duplicate_possible": "lignes identiques gardées (doublons possibles, à vérifier)",
                        "interpreted": "valeurs interprétées (abréviation, faute de frappe)",
                        "approximate": "effectifs approximatifs gardés",
                        "duration_unit": "durées sans unité lues comme des heures",
                        "sheet_language": "feuilles lues en néerlandais",
                        "service_mismatch": "services dont le nom et le code ne concordent pas"}
            value_issues = int(counts[[i for i in counts.index if i.startswith("value_") and i != "value_default"]].sum())
            bits = [f"{fmt_int(n)} {issue_fr[i]}" for i, n in counts.items() if i in issue_fr
                    and not (threshold is not None and i == "duplicate_possible")]
            if threshold is not None and "duplicate_possible" in counts.index:
                # per file and sheet in the quality annex; a total here would give away a hidden person count
                bits.append(f"{issue_fr['duplicate_possible']} (voir le tableau par fichier)")
            if value_issues:
                bits.append(f"{fmt_int(value_issues)} valeurs non reconnues gardées comme inconnues")
            lines.append("Remarques : " + "; ".join(bits) + ".")
        for d in self.decisions:
            lines.append(f"Envoi remplacé : « {d['replaced']} » par « {d['retained']} » pour "
                         f"{', '.join(d['months'])}"
                         + (f" ({fmt_int(d['rows_set_aside'])} lignes)" if threshold is None else "")
                         + f" ; règle : {d['rule_fr']}.")
        for w in self.warnings:
            lines.append(f"Avertissement : {w}.")
        return "\n".join(lines)


def _accounting(state: _State, tables: dict[str, pd.DataFrame], rejected: pd.DataFrame) -> pd.DataFrame:
    clean_counts: Counter = Counter()
    for table in DATA_TABLES:
        df = tables[table]
        counts = df.counts().items() if isinstance(df, SpilledTable) else \
            df.groupby(["source_file", "sheet"], observed=True).size().items()
        for key, n in counts:
            clean_counts[(key[0], key[1], table)] = int(n)
    rej = rejected[rejected["row"].notna()]
    rej_counts: Counter = Counter()
    for key, n in rej.groupby(["source_file", "sheet", "table"], observed=True).size().items():
        rej_counts[tuple(key)] = int(n)
    keys = set(state.raw_counts) | set(clean_counts) | set(rej_counts)
    records = [{
        "source_file": f, "sheet": s, "table": t, "raw_rows": state.raw_counts.get((f, s, t), 0),
        "clean_rows": clean_counts.get((f, s, t), 0), "rejected_rows": rej_counts.get((f, s, t), 0),
    } for f, s, t in keys]
    return to_frame(records, "accounting")


def _submissions(tables: dict[str, pd.DataFrame], files: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    funded = reference.funded_services(start, end)
    months = nz.months_between(start, end)
    returned = {t: set(_service_months(tables[t]).itertuples(index=False, name=None)) for t in TRACKING_TABLES}
    used = files[(files["status"] == "used") & (files["instrument"] == "tracking") & files["service_code"].notna()]
    files_of = used.groupby("service_code")["source_file"].agg(lambda s: "; ".join(sorted(s))).to_dict()
    records = []
    for code in funded["code"]:
        for month in months:
            records.append({
                "service_code": code, "month": month,
                "returned_activities": (code, month) in returned["activities"],
                "returned_users": (code, month) in returned["users"],
                "returned_pros": (code, month) in returned["pros"],
                "files": files_of.get(code),
            })
    return to_frame(records, "submissions")


def _service_months(df: pd.DataFrame | SpilledTable) -> pd.DataFrame:
    """The distinct (service_code, month) of a tracking table's rows."""
    if isinstance(df, SpilledTable):
        return df.pairs()
    return df[["service_code", "month"]].drop_duplicates()


def run_cleaning(raw_dir: Path, start: str, end: str, spill: bool | Path = False) -> CleanResult:
    """Clean every raw file under ``raw_dir`` for the months ``start``..``end`` (``YYYY-MM``).

    With ``spill`` (True, or the folder to put them in), each sheet's clean rows are kept on disk
    as soon as the sheet is cleaned and the data tables of the result are
    :class:`~analysis.ingest.parts.SpilledTable`: memory is bounded by a workbook, not by the
    folder, and :meth:`CleanResult.write` writes the same files (:mod:`analysis.ingest.parts`).

    Raises :class:`~analysis.errors.InputError` if the folder does not exist (or is a
    file, or a settings file is malformed),
    :class:`~analysis.errors.NoDataInPeriod` if tracking rows exist but none in
    the period and no census row was kept, and
    :class:`~analysis.errors.NoUsableInput` if no row at all could be kept.
    """
    raw_dir = Path(raw_dir)
    problem = inputs.raw_dir_problem(raw_dir)
    if problem:
        raise InputError(problem)
    listing = inputs.list_raw(raw_dir)
    replacements = resubmissions.read_replacements(resubmissions.replacements_path(raw_dir))
    with registry.active(raw_dir) as override:
        # one workbook in memory at a time: each is read when its turn comes, in path order
        entries: list[tuple[str, Any]] = [(Path(p).relative_to(raw_dir).as_posix(), p) for p in listing.inputs]
        for rel, why in listing.unreadable:
            entries.append((rel, Workbook(rel, "", Path(rel).suffix.lower().lstrip("."), status="unreadable",
                                          reason="unreadable", detail=why)))
        for rel, why in listing.set_aside:
            entries.append((rel, Workbook(rel, "", Path(rel).suffix.lower().lstrip("."), status="unreadable",
                                          reason="link", detail=why)))
        entries.sort(key=lambda e: e[0])
        workbooks = _read_ahead([e for _, e in entries], raw_dir)
        settings = [(listing.rel(p), _SETTINGS_FR[name]) for name, p in sorted(listing.settings.items())]
        result = clean_workbooks(workbooks, listing.ignored, start, end, raw_dir, replacements, override,
                                 spill=spill)
        result.settings_files = settings
        _raise_if_nothing_usable(result, len(entries))
    return result


#: From this many bytes of raw files on, workbooks are read by a second process instead of a thread.
READ_PROCESS_MIN_BYTES = 8 * 2**20


def _read_ahead(entries: list, raw_dir: Path, process: bool | None = None):
    """The workbooks of ``entries`` in order, each read while the previous one is cleaned.

    At most two workbooks are in memory: the one being cleaned and the one being read. Reading
    (python-calamine, then each row's clean-up in Python) overlaps the cleaning of the previous
    workbook on a second core: in a second process (``process``; by default when the files weigh
    :data:`READ_PROCESS_MIN_BYTES` or more, :class:`~analysis.ingest.readproc.ReaderProcess`: the
    Python part of reading would otherwise share one core with the cleaning), else in a thread
    (small folders: no process to start).
    """
    if not entries:
        return
    if process is None:
        paths = [Path(e) for e in entries if not isinstance(e, Workbook)]
        process = sum(p.stat().st_size for p in paths if p.is_file()) >= READ_PROCESS_MIN_BYTES
    if process:
        from analysis.ingest.readproc import ReaderProcess

        with ReaderProcess(raw_dir) as reader:
            yield from _in_order(entries, reader.submit, reader.receive, reader.decode)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prr-read") as pool:
        futures: list = []
        yield from _in_order(entries, lambda p: futures.append(pool.submit(read_file, p, raw_dir)),
                             lambda: futures.pop(0).result())


def _in_order(entries: list, submit, result, decode=None):
    """``entries`` read in order, the next one asked for as soon as the current one is received
    (before ``decode``, when given, turns what ``result`` gave into the workbook); a
    :class:`Workbook` entry (a file already known unreadable) is handed out as it is."""
    paths = [e for e in entries if not isinstance(e, Workbook)]
    asked = 0
    if paths:
        submit(paths[0])
        asked = 1
    for entry in entries:
        if isinstance(entry, Workbook):
            yield entry
            continue
        wb = result()
        if asked < len(paths):
            submit(paths[asked])
            asked += 1
        if decode is not None:
            wb = decode(wb)
        yield wb
        del wb  # the consumer has let it go too: only the next workbook stays in memory


_SETTINGS_FR = {
    **{n: "fichier de remplacements (choix entre deux envois d'un service)" for n in inputs.REPLACEMENTS_NAMES},
    **{n: "registre des services (remplace ou complète data/reference/services.csv)" for n in inputs.REGISTRY_NAMES},
    **{n: "codes changés depuis les éditions précédentes (complète data/reference/code_changes.csv)"
       for n in inputs.CODE_CHANGES_NAMES},
}


def clean_workbooks(workbooks: list[Workbook], ignored: list[tuple[str, str]], start: str, end: str,
                    raw_dir: Path | None = None, replacements: list | None = None,
                    registry_override: Path | None = None, with_submissions: bool = True,
                    spill: bool | Path = False) -> CleanResult:
    """Clean workbooks already read (the body of :func:`run_cleaning`, also used by ``prr check``)."""
    state = _State(start, end)
    if spill is not False:
        state.spill = Spill(None if spill is True else Path(spill))
    seen_sha: dict[str, str] = {}
    seen_content: dict[tuple, str] = {}
    candidates: list = []
    for wb in workbooks:
        _process_workbook(wb, state, seen_sha, seen_content, candidates)
        wb = None  # noqa: PLW2901 - let the workbook go before the next one is read
    decisions, warnings = _resolve_resubmissions(candidates, state, raw_dir, replacements or [])

    # each table's chunks are let go as soon as its frame is built (one copy of the rows at a time)
    tables = {t: _table_of_parts(state.tables.pop(t, []), t, state.spill) for t in DATA_TABLES}
    files = to_frame(state.files, "files")
    rejected = to_frame(state.rejected, "rejected")
    tables["submissions"] = _submissions(tables, files, start, end) if with_submissions \
        else to_frame([], "submissions")
    tables["rejected"] = rejected
    tables["files"] = files
    tables["accounting"] = _accounting(state, tables, rejected)
    for t in TABLE_NAMES:
        if not isinstance(tables[t], SpilledTable):  # a spilled table is in order, validated as it is written
            tables[t] = sort_table(tables[t], t)  # the unsorted frame goes before the next table is sorted
    tables = {t: tables[t] for t in TABLE_NAMES}
    for name, df in tables.items():
        if not isinstance(df, SpilledTable):
            schema.validate(df, name)
    acc = tables["accounting"]
    bad = acc[acc["raw_rows"] != acc["clean_rows"] + acc["rejected_rows"]]
    assert bad.empty, f"row accounting does not balance:\n{bad.to_string()}"

    result = CleanResult(tables, start, end, _notes_frame(state.notes, state.note_frames), state.blank_rows, list(ignored))
    result.spill = state.spill
    result.decisions = [d.as_record() for d in decisions]
    result.warnings = warnings + [f"envoi à départager : {d.sentence_fr()} ; préciser le choix dans "
                                  "remplacements.csv" for d in decisions if d.rule == "default"]
    if with_submissions:
        result.warnings += registry.registry_warnings({t: _service_months(tables[t]) for t in TRACKING_TABLES},
                                                      start, end, registry_override)
    return result


def _raise_if_nothing_usable(result: CleanResult, n_files: int) -> None:
    t = result.tables
    kept = sum(len(t[name]) for name in DATA_TABLES)
    tracking_kept = sum(len(t[name]) for name in TRACKING_TABLES)
    out_of_period = int((t["rejected"]["reason"] == "date_out_of_period").sum())
    if tracking_kept == 0 and out_of_period and len(t["census"]) == 0:
        raise NoDataInPeriod(
            f"aucune ligne de suivi dans la période {result.start} → {result.end} "
            f"({fmt_int(out_of_period)} lignes datées hors période) : vérifiez --start et --end"
        )
    if kept == 0:
        unusable = int((t["files"]["status"] != "used").sum())
        raise NoUsableInput(
            f"aucune donnée utilisable dans {n_files} fichier(s) lu(s) ({unusable} mis de côté) : "
            "voir le détail des fichiers et des lignes écartées"
            if n_files else "aucun classeur ni fichier CSV dans le dossier de données brutes"
        )


def load_clean(clean_dir: Path, columns: dict[str, list[str] | tuple[str, ...]] | None = None,
               categories: dict[str, list[str] | tuple[str, ...]] | None = None) -> dict[str, pd.DataFrame]:
    """Read the clean tables written by :meth:`CleanResult.write`, with the schema's dtypes.

    In an analysis kernel started by the pipeline (:data:`schema.READS_ENV` set), only the
    tables the notebook declares are read, without their provenance columns: the step's
    cache key is made of exactly those, so its results cannot depend on anything else.
    ``columns`` (table → columns) reads only those columns of a table, in the schema's order:
    an analysis that needs a few columns of a big table does not hold the others.
    ``categories`` (table → string columns) reads those columns as pandas categoricals (read
    dictionary-encoded, one small code per row instead of one string): for an analysis that
    only compares, counts and groups their values (about a third of the memory of the
    activities table at 10 M rows).
    """
    clean_dir = Path(clean_dir)
    declared = os.environ.get(schema.READS_ENV)
    names = TABLE_NAMES if declared is None else tuple(t for t in TABLE_NAMES if t in declared.split(","))
    out = {}
    for name in names:
        path = clean_dir / f"{name}.parquet"
        if not path.exists():
            raise InputError(f"table nettoyée manquante : {path} (relancer le nettoyage)")
        cols = schema.columns(name)
        if declared is not None:
            cols = [c for c in cols if c not in schema.PROVENANCE_COLUMNS.get(name, ())]
        if columns and name in columns:
            cols = [c for c in cols if c in columns[name]]
        as_category = [c for c in (categories or {}).get(name, ()) if c in cols]
        if as_category:
            table = pq.read_table(path, columns=cols, read_dictionary=as_category)
            df = table.to_pandas()
            del table
        else:
            df = pd.read_parquet(path, columns=cols)
        out[name] = df.astype({c.name: c.dtype for c in schema.TABLES[name]
                               if c.name in cols and c.name not in as_category})[cols]
        del df
        # the arrow buffers of the parquet read (kept by the allocator, ~100 MiB at 1 M rows) go back
        # to the system: an analysis kernel holds the tables, not their copies
        pa.default_memory_pool().release_unused()
    return out
