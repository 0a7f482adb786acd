"""The column-wise cleaning decides exactly as the row cleaners, row by row.

:func:`analysis.ingest.clean._clean_sheet_columns` reads each distinct raw value of a
column once; :func:`analysis.ingest.clean._clean_sheet_rows` is the reference that runs
the row cleaners one row at a time. Both must give the same clean tables, the same
set-aside rows with the same reasons and details, and the same notes: on the hostile
corpus, on the bundled example, and on random sheets mixing every kind of cell
(``1``, ``1.0``, ``True`` and ``"1"`` in one column, dates, blanks, text, totals).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.config import EXAMPLE_RAW_DIR
from analysis.ingest import clean, rawformat
from analysis.ingest.readers import Sheet, Workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
import make_hostile as mh  # noqa: E402
import make_hostile_extra as mx  # noqa: E402


def _both(fn):
    """``fn()`` cleaned column-wise, then row by row."""
    out = []
    for row_by_row in (False, True):
        saved = clean.ROW_BY_ROW
        clean.ROW_BY_ROW = row_by_row
        try:
            out.append(fn())
        finally:
            clean.ROW_BY_ROW = saved
    return out


def assert_same(a: clean.CleanResult, b: clean.CleanResult) -> None:
    for name in clean.TABLE_NAMES:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], obj=name)
    pd.testing.assert_frame_equal(a.notes, b.notes, obj="notes")
    assert a.blank_rows == b.blank_rows
    assert a.decisions == b.decisions
    assert a.warnings == b.warnings


def test_same_outcome_on_the_hostile_corpus(tmp_path):
    mh.make_hostile(tmp_path)
    mx.make_hostile_extra(tmp_path)
    cols, rows = _both(lambda: clean.run_cleaning(tmp_path, mx.START, mx.END))
    assert len(cols.tables["rejected"]) > 40 and len(cols.notes) > 20  # the corpus is hostile indeed
    assert_same(cols, rows)


def test_same_outcome_on_the_example():
    cols, rows = _both(lambda: clean.run_cleaning(EXAMPLE_RAW_DIR, "2021-09", "2022-04"))
    assert len(cols.tables["activities"]) > 1000
    assert_same(cols, rows)


# --------------------------------------------------------------------------- random sheets

#: Cells of every type, repeated across fields: the column-wise reading must keep ``1``,
#: ``1.0``, ``True`` and ``"1"`` apart, and read blanks, totals and junk as the rows do.
ANY = [None, 1, 1.0, True, False, 0, "1", "1.0", " ", "", 5, 7.5, -3, "±5", "env. 10", "5 ?", "aucun",
       "Total", "total 3 séances", "NC", "x" * 300, float("nan"), 44473, 44473.5, 1985, "1985", 37, "37 ans",
       dt.datetime(2021, 10, 4), dt.date(2022, 3, 1), dt.datetime(2019, 5, 2), dt.time(1, 30),
       dt.timedelta(minutes=45), "04/10/2021", "31/02/2022", "oct. 2021", "2022-04-30", "1h30", "90", "5",
       "Suivi", "suivi", "Temps reseau", "Supervison", "Danse", "Ixelles", "1050", "Elsene", "Atlantis",
       "Wallonie", "F", "H", "M", "V", "femme", "CPAS", "Médecin généraliste", "Entourage", "SSM",
       "Professionnel - santé générale", "Initiative personnelle", "Prise en charge", "Réorienté",
       "liste d'attente", "oui", "non", "Adultes", "18-25", "65+", "NOR", "Le Méridien", "Atlantis SSM"]


def _cells(width: int):
    return st.lists(st.sampled_from(ANY), min_size=width, max_size=width + 1).map(tuple)


@st.composite
def workbook(draw, index: int) -> Workbook:
    table = draw(st.sampled_from(["activities", "users", "pros", "census"]))
    raw_sheet = clean.SHEETS_BY_TABLE[table]
    headers = [c.header for c in raw_sheet.columns]
    if table == "census" and draw(st.booleans()):
        headers = [h for h in headers if h != "Service"]  # the service comes from the file name
    headers = draw(st.permutations(headers))
    n = draw(st.integers(0, 25))
    base = draw(st.lists(_cells(len(headers)), min_size=1, max_size=6))
    rows = [(1, tuple(headers))]
    for i in range(n):  # rows repeat, as in real sheets: few distinct values per column
        cells = draw(st.sampled_from(base)) if draw(st.booleans()) else draw(_cells(len(headers)))
        rows.append((i + 2, cells))
    formulas = {}
    if n and draw(st.booleans()):
        formulas = {(draw(st.integers(2, n + 1)), draw(st.integers(0, len(headers)))): "formule sans valeur (=A1)"}
    sheets = [Sheet(raw_sheet.name if table != "census" else "Recensement", rows, formula_cells=formulas)]
    if table != "census":
        sheets.insert(0, Sheet(rawformat.IDENTIFICATION_SHEET, [(1, ("Service", draw(st.sampled_from(
            ["SSM Le Norois", "Le Méridien", "Mobiwest", None]))))]))
    name = f"{index} {'recensement NOR' if table == 'census' else 'suivi Norois'}.xlsx"
    return Workbook(name, f"sha{index}{draw(st.integers(0, 1))}", "xlsx", sheets=sheets)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 3).flatmap(lambda k: st.tuples(*(workbook(i) for i in range(k)))))
def test_same_outcome_on_random_sheets(workbooks):
    def run():
        return clean.clean_workbooks(list(workbooks), [], "2021-09", "2022-04")
    try:
        cols, rows = _both(run)
    except clean.NoUsableInput:  # pragma: no cover - clean_workbooks does not raise it
        pytest.skip("nothing usable")
    assert_same(cols, rows)


def test_table_assembled_from_sheet_parts_is_written_as_from_one_piece(tmp_path):
    """The clean rows are held per sheet and concatenated at the end: the parquet file is the same,
    byte for byte, as the one written from the table built in one piece (arrow string columns in
    pieces would split the file's pages differently), and the rows come in the table's order."""
    import numpy as np

    n = 300_000  # several data pages per column
    rng = np.random.default_rng(0)
    whole = clean.to_frame([], "activities")
    cuts = [0, 7, 50_000, 50_001, 180_000, n]
    parts = []
    for k, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False)):
        m = b - a
        frame = pd.DataFrame({
            "source_file": pd.array([f"suivi/s{k:02d}.xlsx"] * m, dtype="string"),
            "sheet": pd.array(["Activités"] * m, dtype="string"),
            "row": np.arange(2, m + 2, dtype=np.int64),
            "service_code": pd.array([f"S{k}"] * m, dtype="string"),
            "date": pd.Series(pd.to_datetime("2022-01-01") + pd.to_timedelta(rng.integers(0, 90, m), "D")),
            "month": pd.array(["2022-01"] * m, dtype="string"),
            "activity_type": pd.array(rng.choice(["concertation", "intervision", "temps_reseau"], m), dtype="string"),
            "axis": pd.array(["axe1"] * m, dtype="string"),
            "place": pd.array([None if i % 3 == 0 else f"lieu {k}-{i}" for i in range(m)], dtype="string"),
            "workers": pd.array(rng.integers(1, 5, m), dtype="Int64"),
            "users_present": pd.array(rng.integers(0, 9, m), dtype="Int64"),
            "pros_present": pd.array(rng.integers(0, 9, m), dtype="Int64"),
            "duration_min": pd.array(rng.integers(5, 300, m).astype(float), dtype="Float64"),
        })[list(whole.columns)]
        parts.append(clean._Part("activities", f"suivi/s{k:02d}.xlsx", "Activités", frame))
    one = pd.concat([p.frame.copy() for p in parts], ignore_index=True)
    one = one.astype({c: "string" for c in one.columns if str(one[c].dtype) == "string"})
    for c in one.columns:  # one piece per column
        arr = one[c].array
        if hasattr(arr, "_pa_array"):
            one[c] = pd.Series(type(arr)(arr._pa_array.combine_chunks()))
    assembled = clean.frame_of_parts(list(reversed(parts)), "activities")  # order restored by (file, sheet)
    assert assembled["source_file"].array._pa_array.num_chunks == 1
    pd.testing.assert_frame_equal(assembled, one)
    assert clean.sort_table(assembled, "activities") is not None
    one.to_parquet(tmp_path / "one.parquet", index=False)
    assembled.to_parquet(tmp_path / "parts.parquet", index=False)
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "parts.parquet").read_bytes()
