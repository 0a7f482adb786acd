"""The blank tracking workbook services fill in, generated from the raw format contract.

Sheets and headers come from :mod:`analysis.ingest.rawformat`, drop-down values from the
reference tables (French labels), so the template, the example generator and
the cleaning cannot drift apart: every drop-down value normalises back to its
code (tested). Lists live on a hidden ``Listes`` sheet, which the cleaning
ignores.
"""

from __future__ import annotations

from pathlib import Path

from analysis import reference
from analysis.ingest import normalise as nz
from analysis.ingest import rawformat

LISTS_SHEET = "Listes"
#: Rows prepared with drop-downs and formats below the header.
TEMPLATE_ROWS = 2000
DATE_FORMAT = "DD/MM/YYYY"


def dropdown_values() -> dict[tuple[str, str], list[str]]:
    """``(sheet name, field)`` → drop-down values (French labels) of every coded column.

    Communes of residence: the 19 French names, « Hors Bruxelles », « Inconnu »;
    place of a requesting service: the 19 names, « Wallonie », « Flandre », « Inconnu ».
    """
    out: dict[tuple[str, str], list[str]] = {}
    for sheet in rawformat.TRACKING_SHEETS:
        for col in sheet.columns:
            if col.kind != "code" or col.domain is None:
                continue
            if col.domain == "communes":
                values = nz.origin_choices() if sheet.table == "pros" else nz.commune_choices()
            else:
                labels = reference.labels(col.domain)
                values = [labels[c] for c in reference.codes(col.domain)]
            out[(sheet.name, col.field)] = values
    return out


def service_choices() -> list[str]:
    """« Nom (CODE) » of each PRR-funded service in the registry, sorted by name, for the
    Identification sheet: the name and its code cannot be picked apart."""
    return [f"{name} ({code})" for name, code in _services_by_name()]


def service_codes() -> list[str]:
    """The same services' codes, aligned with :func:`service_choices` (same order)."""
    return [code for _, code in _services_by_name()]


def _services_by_name() -> list[tuple[str, str]]:
    s = reference.services()
    s = s[s["instrument"] == "prr"]
    return sorted(zip(s["name"], s["code"], strict=True), key=lambda t: (nz.fold(t[0]), t[1]))


def _col_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def write_template(path: Path) -> Path:
    """Write the blank tracking workbook (``.xlsx``) to ``path`` and return the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ident = wb.active
    ident.title = rawformat.IDENTIFICATION_SHEET
    lists = wb.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")

    list_refs: dict[tuple[str, str], str] = {}

    def add_list(key: tuple[str, str], title: str, values: list[str]) -> str:
        col = len(list_refs) + 1
        letter = _col_letter(col)
        lists.cell(1, col, title).font = bold
        for i, value in enumerate(values, start=2):
            lists.cell(i, col, value)
        ref = f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"
        list_refs[key] = ref
        return ref

    # One list « Nom (CODE) », and the codes aligned with it (same order): a name and a code
    # sorted apart once disagreed silently; the cleaning now warns when they do.
    services_ref = add_list(("Identification", "service"), "Service", service_choices())
    codes_ref = add_list(("Identification", "code"), "Code service", service_codes())
    for row, label in enumerate(rawformat.IDENTIFICATION_FIELDS, start=1):
        ident.cell(row, 1, label).font = bold
        ident.cell(row, 2).fill = fill
    ident.column_dimensions["A"].width = 18
    ident.column_dimensions["B"].width = 50
    for cell, ref in (("B1", services_ref), ("B2", codes_ref)):
        dv = DataValidation(type="list", formula1=ref, allow_blank=True, showErrorMessage=True,
                            errorStyle="warning", error="Choisir un service de la liste.",
                            showInputMessage=cell == "B2", promptTitle="Code service",
                            prompt="Facultatif : le code figure déjà dans le service choisi au-dessus.")
        ident.add_data_validation(dv)
        dv.add(cell)

    dropdowns = dropdown_values()
    for sheet in rawformat.TRACKING_SHEETS:
        ws = wb.create_sheet(sheet.name)
        ws.freeze_panes = "A2"
        for j, col in enumerate(sheet.columns, start=1):
            letter = _col_letter(j)
            cell = ws.cell(1, j, col.template_header)
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.column_dimensions[letter].width = max(16, min(40, len(col.template_header) + 4))
            span = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
            if (sheet.name, col.field) in dropdowns:
                ref = add_list((sheet.name, col.field), f"{sheet.name} – {col.header}",
                               dropdowns[(sheet.name, col.field)])
                dv = DataValidation(type="list", formula1=ref, allow_blank=True, showErrorMessage=True,
                                    error="Choisir une valeur de la liste.", errorTitle=col.header)
            elif col.kind == "date":
                dv = DataValidation(type="date", operator="greaterThan", formula1="DATE(2000,1,1)",
                                    allow_blank=True, showErrorMessage=True, errorStyle="warning",
                                    error="Date attendue (jj/mm/aaaa).", errorTitle=col.header)
                for row in range(2, TEMPLATE_ROWS + 2):
                    ws.cell(row, j).number_format = DATE_FORMAT
            elif col.kind == "int":
                dv = DataValidation(type="whole", operator="between", formula1="0", formula2="1000",
                                    allow_blank=True, showErrorMessage=True, errorStyle="warning",
                                    error="Nombre entier attendu (0 si personne).", errorTitle=col.header)
            elif col.kind == "year":
                dv = DataValidation(type="whole", operator="between", formula1="1900", formula2="2100",
                                    allow_blank=True, showErrorMessage=True, errorStyle="warning",
                                    error="Année de naissance sur quatre chiffres.", errorTitle=col.header)
            else:
                continue
            ws.add_data_validation(dv)
            dv.add(span)
    wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames))
    wb.save(path)
    return path
