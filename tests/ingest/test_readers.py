"""Reading raw files: row numbers as the user sees them, CSV dialects, bad files never raise."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis.ingest import readers

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from make_hostile import write_encrypted  # noqa: E402


def _xlsx(path: Path, cells: dict[str, object], title: str = "Activités") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for ref, value in cells.items():
        ws[ref] = value
    wb.save(path)
    return path


def test_xlsx_rows_keep_spreadsheet_row_numbers(tmp_path):
    path = _xlsx(tmp_path / "a.xlsx", {"B3": "Date", "C3": "Type", "B4": dt.date(2021, 10, 4), "C6": "  ",
                                       "B7": 44470})
    wb = readers.read_file(path, tmp_path)
    assert wb.ok and wb.fmt == "xlsx" and wb.relpath == "a.xlsx"
    rows = dict(wb.sheets[0].rows)
    assert rows[3][1:3] == ("Date", "Type")
    assert rows[4][1] in (dt.date(2021, 10, 4), dt.datetime(2021, 10, 4))
    assert rows[7][1] == 44470
    assert all(c is None for c in rows[6]), "whitespace-only cells are blank"
    assert len(wb.sha256) == 64


def test_ods_is_read_with_sheet_names(tmp_path):
    path = tmp_path / "m.ods"
    with pd.ExcelWriter(path, engine="odf") as writer:
        pd.DataFrame({"Service": ["Le Méridien"]}).to_excel(writer, sheet_name="Identification", index=False)
        pd.DataFrame({"Date": ["04/11/2021"], "Durée": [90]}).to_excel(writer, sheet_name="Activités", index=False)
    wb = readers.read_file(path, tmp_path)
    assert wb.ok and wb.fmt == "ods"
    assert [s.name for s in wb.sheets] == ["Identification", "Activités"]
    rows = dict(wb.sheets[1].rows)
    assert rows[1] == ("Date", "Durée") and rows[2][0] == "04/11/2021" and rows[2][1] == 90


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_csv_encodings_and_delimiters(tmp_path, encoding, delimiter):
    text = delimiter.join(["Service", "Date de la demande", "Âge"]) + "\n" + \
        delimiter.join(["SSM01", "16/11/2020", "34"]) + "\n\n" + delimiter.join(["SSM02", "17/11/2020", "Réorienté"]) + "\n"
    path = tmp_path / "census.csv"
    path.write_bytes(text.encode(encoding))
    wb = readers.read_file(path, tmp_path)
    assert wb.ok and wb.fmt == "csv"
    sheet = wb.sheets[0]
    assert sheet.name == "census"
    rows = dict(sheet.rows)
    assert rows[1] == ("Service", "Date de la demande", "Âge")
    assert rows[4] == ("SSM02", "17/11/2020", "Réorienté")


def test_semicolon_wins_when_commas_are_decimal_marks(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Date;Durée;Usagers présents\n04/10/2021;1,5;3\n", encoding="utf-8")
    rows = dict(readers.read_file(path, tmp_path).sheets[0].rows)
    assert rows[2] == ("04/10/2021", "1,5", "3")


def test_csv_renamed_xlsx_is_read_as_csv_with_a_note(tmp_path):
    path = tmp_path / "activites.xlsx"
    path.write_text("Date;Type d'activité\n04/10/2021;Supervision\n", encoding="utf-8")
    wb = readers.read_file(path, tmp_path)
    assert wb.ok and wb.fmt == "csv"
    assert "lu comme CSV" in wb.note
    assert dict(wb.sheets[0].rows)[2] == ("04/10/2021", "Supervision")


@pytest.mark.parametrize(("content", "reason", "words"), [
    (b"", "empty", "vide"),
    (b"PK\x03\x04" + b"\x00garbage" * 50, "corrupted", "corrompu"),
    (bytes(range(256)) * 4, "not_a_workbook", "pas un classeur"),
])
def test_bad_files_come_back_with_a_french_reason(tmp_path, content, reason, words):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    wb = readers.read_file(path, tmp_path)
    assert (wb.status, wb.reason) == ("unreadable", reason)
    assert words in wb.detail and wb.sheets == []


def test_encrypted_workbook_is_recognised(tmp_path):
    path = tmp_path / "protege.xlsx"
    write_encrypted(path)
    assert path.read_bytes()[:4] == bytes.fromhex("D0CF11E0")
    wb = readers.read_file(path, tmp_path)
    assert (wb.status, wb.reason) == ("unreadable", "encrypted")
    assert "mot de passe" in wb.detail


def test_workbook_without_any_value_is_empty(tmp_path):
    path = _xlsx(tmp_path / "vide.xlsx", {})
    wb = readers.read_file(path, tmp_path)
    assert (wb.status, wb.reason) == ("unreadable", "empty")


def test_folder_listing_is_recursive_sorted_and_skips_non_workbooks(tmp_path):
    (tmp_path / "b").mkdir()
    _xlsx(tmp_path / "b" / "z.xlsx", {"A1": "x"})
    _xlsx(tmp_path / "a.xlsm", {"A1": "x"})
    (tmp_path / "c.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    (tmp_path / "~$a.xlsx").write_bytes(b"lock")
    (tmp_path / ".gitkeep").write_text("")
    (tmp_path / "notes.docx").write_bytes(b"doc")
    listing = readers.list_raw_files(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in listing.inputs] == ["a.xlsm", "b/z.xlsx", "c.csv"]
    assert {p for p, _ in listing.ignored} == {"~$a.xlsx", "notes.docx"}
    workbooks, ignored = readers.read_folder(tmp_path)
    assert [w.relpath for w in workbooks] == ["a.xlsm", "b/z.xlsx", "c.csv"]
    assert all(w.ok for w in workbooks)


def test_hidden_sheets_are_flagged(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "x"
    hidden = wb.create_sheet("Listes")
    hidden["A1"] = "Femme"
    hidden.sheet_state = "hidden"
    wb.save(tmp_path / "t.xlsx")
    read = readers.read_file(tmp_path / "t.xlsx", tmp_path)
    assert [(s.name, s.hidden) for s in read.sheets] == [("Sheet", False), ("Listes", True)]


def test_cell_text_is_stable():
    assert readers.cell_text(3.0) == "3"
    assert readers.cell_text(" a  b ") == "a b"
    assert readers.cell_text(None) == ""
    assert readers.cell_text(dt.date(2021, 10, 4)) == "2021-10-04"
