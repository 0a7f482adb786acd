"""The hostile-input corpus: every kind of mess is normalised or set aside with its reason, the run goes on.

Two generators write the corpus at test time into one folder: ``make_hostile``
(the messes of ``shared/spec/tracking-tool.md``, also used by ``test_clean``)
and ``make_hostile_extra`` (formulas, merged cells, enormous cells, missing
sheets, files that are not workbooks). Property tests then write random messy
tracking workbooks and check the row accounting for every file and sheet.

Decisions pinned here (see :mod:`analysis.ingest.readers` and :mod:`analysis.ingest.clean`):

- A formula cell without a saved value (openpyxl and export scripts write
  none) or with an error value (``#DIV/0!``) is read as empty by calamine; its
  row is set aside (``formula_without_value``) naming the column, the formula
  and the cell, unless the formula sits in an ignored column (a comment), and
  a row made only of such formulas is a data row, not a blank one. A formula
  with a saved value is read as that value.
- A merged range's value is repeated over the range: a date merged over two
  activity rows dates both, a header spanning two header rows is found on the
  lower row (the file's ``detail`` says so).
- Cells of 32 767 characters (Excel's maximum) are read; French messages cut
  the value shown to 200 characters and give its length.
- A workbook without an activities sheet is used for what it has; each absent
  sheet is noted (``sheet_missing``). A workbook with only its Identification
  sheet is "used" but gives no row (no return for the month in ``submissions``).
- A PDF, an image or a Word document renamed ``.xlsx`` is ``unreadable``
  (``file_not_a_workbook``) and says what it is; a ``.docx`` or ``.png`` keeps
  its extension and is skipped by the listing (``ignored_files``).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.ingest import clean, readers, schema
from analysis.ingest import normalise as nz

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
import make_hostile as mh  # noqa: E402
import make_hostile_extra as mx  # noqa: E402


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    raw = tmp_path_factory.mktemp("hostile_all")
    mh.make_hostile(raw)
    mx.make_hostile_extra(raw)
    return raw, clean.run_cleaning(raw, mx.START, mx.END)


def _rows(result, table: str, source: str, sheet: str) -> list[int]:
    df = result.tables[table]
    return sorted(df.loc[(df["source_file"] == source) & (df["sheet"] == sheet), "row"].astype(int))


def _rejected(result, source: str, sheet: str) -> dict[int, str]:
    rej = result.tables["rejected"]
    sel = rej[(rej["source_file"] == source) & (rej["sheet"] == sheet) & rej["row"].notna()]
    return dict(zip(sel["row"].astype(int), sel["reason"], strict=True))


def _rejected_detail(result, source: str, sheet: str, row: int) -> str:
    rej = result.tables["rejected"]
    sel = rej[(rej["source_file"] == source) & (rej["sheet"] == sheet) & (rej["row"] == row)]
    assert len(sel) == 1
    return sel["detail"].iloc[0]


def _table_of(sheet_kind: str) -> str:
    return {"Activités": "activities", "Usagers": "users", "Professionnels": "pros"}[sheet_kind]


def assert_rows_accounted(result) -> None:
    """Raw rows = clean rows + set-aside rows for every file × sheet, recounted from the tables."""
    acc = result.tables["accounting"]
    assert (acc["raw_rows"] == acc["clean_rows"] + acc["rejected_rows"]).all()
    rej = result.tables["rejected"]
    row_rej = rej[rej["row"].notna()]  # rows of data sheets, and of hidden or unrecognised sheets (table file)
    for r in acc.itertuples():
        if r.table == "file":
            n_clean = 0
        else:
            df = result.tables[r.table]
            n_clean = int(((df["source_file"] == r.source_file) & (df["sheet"] == r.sheet)).sum())
        n_rej = int(((row_rej["source_file"] == r.source_file) & (row_rej["sheet"] == r.sheet)
                     & (row_rej["table"] == r.table)).sum())
        assert (n_clean, n_rej) == (r.clean_rows, r.rejected_rows), r
        assert r.raw_rows == n_clean + n_rej, r
    # every set-aside row names its file, sheet and row, with a reason and a French detail
    assert row_rej["row"].notna().all()
    for col in ("source_file", "sheet", "reason", "detail"):
        assert (row_rej[col].fillna("").str.len() > 0).all(), col
    assert set(row_rej["reason"]) <= set(clean.REASONS_FR)
    # whole files and sheets set aside name the file, with a reason and a detail
    whole = rej[(rej["table"] == "file") & rej["row"].isna()]
    for col in ("source_file", "reason", "detail"):
        assert (whole[col].fillna("").str.len() > 0).all(), col
    # a row is never both kept and set aside
    for table in clean.DATA_TABLES:
        kept = set(zip(result.tables[table]["source_file"], result.tables[table]["sheet"],
                       result.tables[table]["row"], strict=True))
        gone = rej[rej["table"] == table]
        assert not kept & set(zip(gone["source_file"], gone["sheet"], gone["row"], strict=True))


# --------------------------------------------------------------------------- the corpus as a whole


def test_every_file_gets_its_status_and_the_run_goes_on(corpus):
    _, result = corpus
    files = result.tables["files"].set_index("source_file")
    assert files["status"].to_dict() == {**mh.EXPECTED, **mx.EXPECTED}
    for name in clean.TABLE_NAMES:
        schema.validate(result.tables[name], name)
    # the files of the first corpus are cleaned as they are alone
    assert _rows(result, "activities", "norois 2021.xlsx", "activités 2022") == mh.ACT_EXPECTED["clean"]
    assert _rejected(result, "norois 2021.xlsx", "activités 2022") == mh.ACT_EXPECTED["rejected"]


def test_files_set_aside_whole_say_why(corpus):
    _, result = corpus
    rej = result.tables["rejected"]
    whole = rej[(rej["table"] == "file") & rej["row"].isna()].set_index("source_file")
    files = result.tables["files"].set_index("source_file")
    for source, reason in mx.FILE_REASONS.items():
        assert whole.loc[source, "reason"] == reason
        assert whole.loc[source, "detail"] == files.loc[source, "detail"]
    assert "document PDF" in files.loc[mx.PDF_FILE, "detail"]
    assert "image PNG" in files.loc[mx.PNG_FILE, "detail"]
    assert "document Word" in files.loc[mx.DOCX_AS_XLSX_FILE, "detail"]
    for source in mx.FILE_REASONS:
        assert source in result.summary_fr()


def test_files_of_other_kinds_are_listed_as_ignored(corpus):
    _, result = corpus
    ignored = dict(result.ignored_files)
    for name, why in mx.IGNORED.items():
        assert why in ignored[name]
    assert "courrier DUNE.docx" in result.summary_fr()


def test_rows_kept_and_set_aside_per_file_and_sheet(corpus):
    _, result = corpus
    for (source, sheet), expected in mx.ROWS.items():
        table = _table_of(sheet)
        assert _rows(result, table, source, sheet) == expected["clean"], (source, sheet)
        assert _rejected(result, source, sheet) == expected["rejected"], (source, sheet)


def test_accounting_balances_for_every_file_and_sheet(corpus):
    _, result = corpus
    assert_rows_accounted(result)
    acc = result.tables["accounting"].set_index(["source_file", "sheet"])
    for (source, sheet), expected in mx.ROWS.items():
        assert acc.loc[(source, sheet), "raw_rows"] == len(expected["clean"]) + len(expected["rejected"])
    assert "vérifié" in result.summary_fr()


# --------------------------------------------------------------------------- formulas


def test_formula_without_value_sets_its_row_aside_naming_the_cell(corpus):
    _, result = corpus
    src, sheet = mx.FORMULA_FILE, "Activités"
    d3 = _rejected_detail(result, src, sheet, 3)
    assert d3.startswith("Usagers présents : formule sans valeur enregistrée (=2+1) (cellule E3)")
    assert "Excel ou LibreOffice" in d3
    assert "Date : formule sans valeur enregistrée (=DATE(2021,10,6)) (cellule A4)" in \
        _rejected_detail(result, src, sheet, 4)
    assert "(cellule G5)" in _rejected_detail(result, src, sheet, 5), "a row of formulas only is not blank"
    assert "Durée : erreur de formule « #DIV/0! » (=G2/E2) (cellule G8)" in _rejected_detail(result, src, sheet, 8)
    assert _rejected(result, src, sheet)[9] == "total_row", "a total row of formulas stays a total row"


def test_formula_with_a_saved_value_or_in_a_comment_keeps_its_row(corpus):
    _, result = corpus
    act = result.tables["activities"]
    rows = act[act["source_file"] == mx.FORMULA_FILE].set_index("row")
    assert rows.loc[7, "duration_min"] == 90.0, "the cached value of =60*1.5"
    assert rows.loc[6, "activity_type"] == "intervision", "a formula in the comments column does not matter"


def test_reader_lists_formula_cells_without_value(corpus):
    raw, _ = corpus
    wb = readers.read_file(raw / mx.FORMULA_FILE, raw)
    sheet = next(s for s in wb.sheets if s.name == "Activités")
    cells = sheet.formula_cells
    assert cells[(3, 4)] == "formule sans valeur enregistrée (=2+1)"
    assert cells[(8, 6)] == "erreur de formule « #DIV/0! » (=G2/E2)"
    assert (7, 6) not in cells, "a formula with a saved value is a value"
    assert dict(sheet.rows)[7][6] == 90
    assert all(dict(sheet.rows)[r][c] is None for r, c in cells)


# --------------------------------------------------------------------------- merged cells


def test_merged_header_and_merged_date_are_read_as_seen(corpus):
    _, result = corpus
    act = result.tables["activities"]
    rows = act[act["source_file"] == mx.MERGED_FILE].set_index("row")
    assert rows.loc[5, "date"] == rows.loc[4, "date"] == pd.Timestamp(2021, 11, 8), "date merged over rows 4:5"
    assert (rows.loc[5, "users_present"], rows.loc[5, "pros_present"]) == (2, 0)
    assert (rows.loc[6, "users_present"], rows.loc[6, "pros_present"]) == (0, 6), \
        "the two-row header (« Présents » over Usagers | Professionnels) gives both counts"
    files = result.tables["files"].set_index("source_file")
    assert "cellules fusionnées" in files.loc[mx.MERGED_FILE, "detail"]
    notes = result.notes[result.notes["source_file"] == mx.MERGED_FILE]
    assert not notes["detail"].str.contains("Présents").any(), "the upper header row is not the header"


def test_fill_merged_stays_inside_the_data_area():
    rows = [["titre", None], [None, None], ["x", None]]
    assert readers.fill_merged(rows, [((0, 0), (0, 5)), ((1, 0), (1, 1)), ((2, 0), (9, 0))]) == 2
    assert rows == [["titre", "titre"], [None, None], ["x", None]]
    assert readers.fill_merged(rows, None) == 0


# --------------------------------------------------------------------------- enormous cells


def test_enormous_cells_are_read_and_messages_stay_short(corpus):
    _, result = corpus
    assert len(mx.HUGE_TEXT) == mx.EXCEL_MAX_CELL
    src = mx.HUGE_FILE
    detail = _rejected_detail(result, src, "Activités", 4)
    assert detail.startswith("Type d'activité : valeur non reconnue « Très long")
    assert "(32\u202f767 caractères) »" in detail and len(detail) < 400
    act = result.tables["activities"]
    row5 = act[(act["source_file"] == src) & (act["row"] == 5)].iloc[0]
    assert pd.isna(row5["place"]) and pd.isna(row5["duration_min"]), "unreadable optional values become unknown"
    users = result.tables["users"]
    row2 = users[(users["source_file"] == src) & (users["row"] == 2)].iloc[0]
    assert (row2["residence"], row2["income_source"], row2["referrer"]) == ("inconnu", "inconnu", "inconnu")
    assert result.tables["rejected"]["detail"].str.len().max() < 2000
    assert result.notes["detail"].str.len().max() < 2000


def test_shorten_keeps_short_text_and_cuts_long_text():
    assert nz.shorten("Ixelles") == "Ixelles"
    assert nz.show("x" * 500) == f"« {'x' * nz.SHOW_MAX_CHARS}… (500 caractères) »"


# --------------------------------------------------------------------------- missing sheets


def test_workbook_without_activities_is_used_for_what_it_has(corpus):
    _, result = corpus
    src = mx.NO_ACTIVITIES_FILE
    notes = result.notes[(result.notes["source_file"] == src) & (result.notes["issue"] == "sheet_missing")]
    assert set(notes["sheet"]) == {"Activités", "Professionnels"}
    files = result.tables["files"].set_index("source_file")
    assert files.loc[src, "service_code"] == "CDC"
    sub = result.tables["submissions"].set_index(["service_code", "month"])
    assert sub.loc[("CDC", "2021-12"), "returned_users"]
    assert not sub.loc[("CDC", "2021-12"), "returned_activities"]


def test_identification_only_is_used_but_returns_nothing(corpus):
    _, result = corpus
    src = mx.ONLY_IDENT_FILE
    notes = result.notes[(result.notes["source_file"] == src) & (result.notes["issue"] == "sheet_missing")]
    assert set(notes["sheet"]) == {"Activités", "Professionnels", "Usagers"}
    assert src not in set(result.tables["accounting"]["source_file"])
    sub = result.tables["submissions"]
    assert not sub.loc[sub["service_code"] == "NCP", ["returned_activities", "returned_users", "returned_pros"]] \
        .to_numpy().any()


# --------------------------------------------------------------------------- not workbooks


@pytest.mark.parametrize("name, data, what", [
    ("a.xlsx", mx.PDF_BYTES, "document PDF"),
    ("b.csv", mx.PDF_BYTES, "document PDF"),
    ("c.xls", mx.png_bytes(), "image PNG"),
    ("d.ods", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image JPEG"),
])
def test_known_non_workbooks_are_named(tmp_path, name, data, what):
    (tmp_path / name).write_bytes(data)
    wb = readers.read_file(tmp_path / name, tmp_path)
    assert (wb.status, wb.reason) == ("unreadable", "not_a_workbook")
    assert what in wb.detail


def test_word_document_renamed_xlsx_is_not_a_workbook(tmp_path):
    mx.write_docx(tmp_path / "lettre.xlsx")
    wb = readers.read_file(tmp_path / "lettre.xlsx", tmp_path)
    assert (wb.status, wb.reason) == ("unreadable", "not_a_workbook")
    assert "document Word" in wb.detail and ".xlsx" in wb.detail


def test_column_letters_round_trip():
    for i in (0, 25, 26, 51, 701, 702, 16383):
        assert readers.column_index(readers.column_letters(i)) == i
    assert readers.column_letters(27) == "AB"


# --------------------------------------------------------------------------- property tests

SERVICES = ["SSM Le Norois", "NOR", "Le Méridien", "Centre de Guidance d'Etterbeek", "Mobiwest", "Dune ASBL"]
SHEET_NAMES = {
    "activities": ["Activités", "Activites", "activités 2022", "ACTIVITES", "Prestations"],
    "users": ["Usagers", "USAGERS", "usagers 2021", "File active"],
    "pros": ["Professionnels", "professionnels", "Pros"],
}
ACTIVITY_TYPES = ["Suivi", "Temps de réseau", "Temps reseau", "Supervision", "Intervision", "Formation",
                  "Immersion", "Groupe de parole", "Permanence d'écoute - orientation", "Réduction des risques",
                  "Activité communautaire", "Recherche", "Divers"]
PLACES = ["Au sein du service", "À l'extérieur", "extérieur", "En ligne", None]
DURATIONS = [90, "1h30", "01:30", "1,5", "45 min", "2h", 60, None]
GENDERS = ["F", "H", "X", "femme", "homme", "M", None]
COMMUNES = ["Ixelles", "Elsene", "1050", "1020", "Scharbeek", "Laeken", "St-Gilles", "Namur", "Atlantis", None]
INCOMES = ["Travail", "CPAS", "chômage", "pension", "sans revenu", None]
REFERRERS = ["Médecin généraliste", "CPAS", "Entourage", "Santé mentale", "initiative personnelle", None]
REQUESTERS = ["CPAS", "Maison médicale", "SSM", "École", "hôpital", None]
ORIGINS = ["Wallonie", "Flandre", "1040", "Ixelles", "Schaerbeek", None]
COMMENTS = ["à compléter", "réunion CPAS", "x" * 2000]

PERIOD_FIRST, PERIOD_LAST = dt.date(2021, 9, 1), dt.date(2022, 4, 30)


def _header_variants(table: str) -> dict[str, list[str]]:
    """Field → ways services write its header (canonical, case, accents, spaces, line breaks, aliases)."""
    out: dict[str, list[str]] = {}
    aliases = nz.aliases("headers")
    for col in clean.SHEETS_BY_TABLE[table].columns:
        h = col.header
        variants = [h, h.upper(), h.lower(), nz.fold(h), h + "  ", h.replace(" ", "\n", 1)]
        variants += [a for a, target in aliases.items() if target == f"{table}.{col.field}"]
        out[col.field] = variants
    return out


HEADERS = {t: _header_variants(t) for t in ("activities", "users", "pros")}


@st.composite
def dates(draw, kind: str | None = None):
    kind = kind or draw(st.sampled_from(["ok", "ok", "ok", "ok", "invalid", "out", "missing"]))
    if kind == "invalid":
        return draw(st.sampled_from(["31/02/2022", "n'importe", "32/13/2021", "2021-13-45"]))
    if kind == "missing":
        return None
    if kind == "out":
        day = draw(st.dates(dt.date(2019, 1, 1), dt.date(2020, 12, 31)))
    else:
        day = draw(st.dates(PERIOD_FIRST, PERIOD_LAST))
    form = draw(st.sampled_from(["datetime", "dmy", "iso", "serial", "dmyy"]))
    if form == "datetime":
        return dt.datetime(day.year, day.month, day.day)
    if form == "dmy":
        return day.strftime("%d/%m/%Y")
    if form == "iso":
        return day.isoformat()
    if form == "serial":
        return (day - dt.date(1899, 12, 30)).days
    return f"{day.day}-{day.month}-{day.year % 100:02d}"


def counts():
    return st.one_of(st.integers(0, 30), st.sampled_from(["3 ", "5 pers.", "12", -2, 99999, "beaucoup", None]))


@st.composite
def data_row(draw, table: str, valid: bool = False) -> dict | None:
    """One raw data row as field → value (``None`` for a blank row, ``"total"`` for a total row)."""
    kind = "valid" if valid else draw(st.sampled_from(
        ["valid", "valid", "valid", "messy", "blank", "total", "comment_only", "formula"]))
    if kind == "blank":
        return None
    if kind == "total":
        return {"_total": True}
    if kind == "comment_only":
        return {"_comment": draw(st.sampled_from(COMMENTS))}
    if table == "activities":
        row = {"date": draw(dates("ok" if kind in ("valid", "formula") else None)),
               "activity_type": draw(st.sampled_from(ACTIVITY_TYPES)), "place": draw(st.sampled_from(PLACES)),
               "workers": draw(st.integers(1, 4)), "users_present": draw(st.integers(0, 20)),
               "pros_present": draw(st.integers(0, 20)), "duration": draw(st.sampled_from(DURATIONS))}
        if kind == "messy":
            row["activity_type"] = draw(st.sampled_from([*ACTIVITY_TYPES, "Danse du ventre", None]))
            row["users_present"], row["pros_present"] = draw(counts()), draw(counts())
            row["workers"] = draw(counts())
        if kind == "formula":
            row[draw(st.sampled_from(["users_present", "pros_present", "duration", "_comment"]))] = "=1+2"
    elif table == "users":
        row = {"first_contact": draw(dates("ok" if kind in ("valid", "formula") else None)),
               "gender": draw(st.sampled_from(GENDERS)),
               "birth_year": draw(st.one_of(st.integers(1930, 2015), st.sampled_from(["37", "12/03/1990", None]))),
               "commune": draw(st.sampled_from(COMMUNES)), "income_source": draw(st.sampled_from(INCOMES)),
               "referrer": draw(st.sampled_from(REFERRERS))}
        if kind == "formula":
            row["commune"] = "=A2"
    else:
        row = {"first_contact": draw(dates("ok" if kind in ("valid", "formula") else None)),
               "requesting_service": draw(st.sampled_from(REQUESTERS)), "origin": draw(st.sampled_from(ORIGINS))}
        if kind == "formula":
            row["origin"] = "=B2"
    if draw(st.booleans()) and draw(st.booleans()):
        row["_comment"] = draw(st.sampled_from(COMMENTS))
    return row


@st.composite
def sheet_spec(draw, table: str, first_valid: bool = False) -> dict:
    fields = [c.field for c in clean.SHEETS_BY_TABLE[table].columns]
    order = draw(st.permutations(fields))
    columns = list(order)
    if draw(st.booleans()):
        columns.insert(draw(st.integers(0, len(columns))), "_comment")
    headers = {f: draw(st.sampled_from(HEADERS[table][f])) for f in fields}
    headers["_comment"] = draw(st.sampled_from(["Commentaires", "Remarques", "commentaire"]))
    rows = [draw(data_row(table, valid=True))] if first_valid else []
    rows += draw(st.lists(data_row(table), max_size=10))
    if rows and draw(st.booleans()):  # rows copied twice
        rows.insert(draw(st.integers(0, len(rows))), draw(st.sampled_from(rows)))
    return {
        "table": table,
        "name": draw(st.sampled_from(SHEET_NAMES[table])),
        "titles": draw(st.integers(0, 2)),
        "columns": columns,
        "headers": headers,
        "rows": rows,
    }


@st.composite
def workbook_spec(draw, first: bool = False) -> dict:
    tables = draw(st.lists(st.sampled_from(["activities", "users", "pros"]), min_size=1, max_size=3, unique=True))
    if first and "activities" not in tables:
        tables.insert(0, "activities")
    return {
        "service": draw(st.sampled_from(SERVICES)),
        "sheets": [draw(sheet_spec(t, first_valid=first and t == "activities")) for t in tables],
    }


def write_workbook(path: Path, spec: dict) -> dict[str, set[int]]:
    """Write a spec with openpyxl; return sheet name → row numbers of its non-blank data rows."""
    wb = openpyxl.Workbook()
    ident = wb.active
    ident.title = "Identification"
    ident.append(["Service", spec["service"]])
    ident.append(["Code service", None])
    written: dict[str, set[int]] = {}
    for sheet in spec["sheets"]:
        ws = wb.create_sheet(sheet["name"])
        r = 1
        for i in range(sheet["titles"]):
            ws.cell(r, 1, "Outil de suivi PRR" if i == 0 else "Période : septembre 2021 – avril 2022")
            r += 1
        for j, fld in enumerate(sheet["columns"], start=1):
            ws.cell(r, j, sheet["headers"][fld])
        rows: set[int] = set()
        for row in sheet["rows"]:
            r += 1
            if row is None:
                continue
            if row.get("_total"):
                ws.cell(r, 1, "Total")
                ws.cell(r, len(sheet["columns"]), 42)
                rows.add(r)
                continue
            for j, fld in enumerate(sheet["columns"], start=1):
                value = row.get(fld)
                if value is not None:
                    ws.cell(r, j, value)
            if any(row.get(f) is not None for f in sheet["columns"]):
                rows.add(r)
        written[sheet["name"]] = rows
    wb.save(path)
    return written


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.tuples(workbook_spec(first=True)).flatmap(
    lambda first: st.lists(workbook_spec(), max_size=2).map(lambda rest: [first[0], *rest])))
def test_messy_workbooks_raw_rows_equal_clean_plus_set_aside(specs):
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp)
        written = {}
        for i, spec in enumerate(specs):
            name = f"{i} suivi {nz.fold(spec['service'])}.xlsx"
            written[name] = write_workbook(raw / name, spec)
        result = clean.run_cleaning(raw, mx.START, mx.END)

    assert_rows_accounted(result)
    acc = result.tables["accounting"].set_index(["source_file", "sheet"])
    rej = result.tables["rejected"]
    for source, sheets in written.items():
        for sheet, rows in sheets.items():
            if not rows:  # a header and nothing below: no row, or a line of zeros
                assert (source, sheet) not in acc.index or acc.loc[(source, sheet), "raw_rows"] == 0
                continue
            assert acc.loc[(source, sheet), "raw_rows"] == len(rows), (source, sheet)
            table = acc.loc[(source, sheet), "table"]
            kept = set(_rows(result, table, source, sheet))
            gone = set(_rejected(result, source, sheet))
            assert kept | gone == rows and not kept & gone, (source, sheet)
            reasons = set(_rejected(result, source, sheet).values())
            assert not reasons & {"header_not_found", "column_missing"}, (source, sheet, reasons)
    assert not (rej["reason"] == "sheet_unrecognised").any()
