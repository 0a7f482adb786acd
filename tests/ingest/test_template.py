"""The blank tracking workbook: in sync with the raw format and the cleaning."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from analysis import reference
from analysis.errors import NoUsableInput
from analysis.ingest import normalise as nz
from analysis.ingest import rawformat
from analysis.ingest.clean import run_cleaning
from analysis.ingest.template import LISTS_SHEET, dropdown_values, service_choices, write_template


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return write_template(tmp_path_factory.mktemp("tpl") / "outil-de-suivi-PRR.xlsx")


def test_sheets_and_headers_follow_the_raw_format(template):
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == [rawformat.IDENTIFICATION_SHEET, *(s.name for s in rawformat.TRACKING_SHEETS),
                             LISTS_SHEET]
    assert wb[LISTS_SHEET].sheet_state == "hidden"
    ident = wb[rawformat.IDENTIFICATION_SHEET]
    assert (ident["A1"].value, ident["A2"].value) == rawformat.IDENTIFICATION_FIELDS
    for sheet in rawformat.TRACKING_SHEETS:
        ws = wb[sheet.name]
        assert [c.value for c in ws[1]] == [c.template_header for c in sheet.columns]
    assert wb["Activités"].cell(1, 7).value == "Durée (ex. 1h30, 45 min)"


def test_every_coded_column_has_a_dropdown_from_the_lists_sheet(template):
    wb = openpyxl.load_workbook(template)
    lists = wb[LISTS_SHEET]
    for sheet in rawformat.TRACKING_SHEETS:
        ws = wb[sheet.name]
        validations = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
        for j, col in enumerate(sheet.columns, start=1):
            if col.kind != "code":
                continue
            letter = openpyxl.utils.get_column_letter(j)
            dv = validations[f"{letter}2"]
            assert dv.type == "list" and dv.formula1.startswith(f"{LISTS_SHEET}!")
            ref = dv.formula1.split("!")[1].replace("$", "")
            values = [c.value for row in lists[ref] for c in row]
            assert values == dropdown_values()[(sheet.name, col.field)]


def test_dropdown_values_normalise_back_to_codes():
    for (sheet_name, fld), values in dropdown_values().items():
        sheet = next(s for s in rawformat.TRACKING_SHEETS if s.name == sheet_name)
        col = next(c for c in sheet.columns if c.field == fld)
        if col.domain == "communes":
            places = [nz.parse_commune(v) for v in values]
            assert {p.nis for p in places if p.nis} == set(reference.communes()["nis_code"])
            assert all(p.nis is not None or p.region != "bruxelles" for p in places)
            assert places[-1].region == "inconnu"
            expected_regions = {"wallonie", "flandre"} if sheet.table == "pros" else {"hors_bruxelles"}
            assert {p.region for p in places} == {"bruxelles", "inconnu", *expected_regions}
        else:
            codes = [nz.match_code(col.domain, v) for v in values]
            assert codes == reference.codes(col.domain)


def test_service_names_identify_their_service():
    for name in service_choices():
        assert nz.match_service(name, "prr") is not None


def test_blank_template_has_nothing_usable(template):
    with pytest.raises(NoUsableInput):
        run_cleaning(template.parent, "2021-09", "2022-04")


def fill_row(ws, values: list, row: int = 2) -> None:
    """Type values in the first row under the header, as a user would."""
    for j, value in enumerate(values, start=1):
        ws.cell(row, j, value)


def test_filled_template_is_cleaned(tmp_path):
    path = write_template(tmp_path / "outil.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Identification"]["B1"] = "SSM Le Norois"
    values = dropdown_values()
    fill_row(wb["Activités"], [dt.date(2021, 10, 4), values[("Activités", "activity_type")][9], values[("Activités", "place")][1],
                2, 0, 6, "1h30"])
    fill_row(wb["Usagers"], [dt.date(2021, 10, 5), values[("Usagers", "gender")][0], 1980, values[("Usagers", "commune")][-2],
                  values[("Usagers", "income_source")][2], values[("Usagers", "referrer")][2]])
    wb.save(path)
    result = run_cleaning(tmp_path, "2021-09", "2022-04")
    a = result.tables["activities"].iloc[0]
    assert (a["service_code"], a["activity_type"], a["place"], a["duration_min"]) == \
        ("NOR", "permanence_orientation", "exterieur", 90.0)
    assert a["row"] == 2
    u = result.tables["users"].iloc[0]
    assert (u["gender"], u["residence"], u["income_source"], u["referrer"]) == \
        ("F", "hors_bruxelles", "cpas_ris", "sante_generale")
    acc = result.tables["accounting"]
    assert acc["rejected_rows"].sum() == 0 and acc["raw_rows"].sum() == 2
