"""The physical floor of the cleaning: reading every cell, and normalising each column's distinct values.

Two parts, timed separately, in one plain Python process:

1. **read**: python-calamine opens every workbook of the raw folder and turns every cell of
   every sheet into a Python value (``to_python``), nothing else (no blank clean-up, no
   merged cells, no formula check, no CSV);
2. **normalise**: for every tracking and census sheet, the header row is found (as the cleaning
   does) and each recognised column is reduced to its distinct values (the code of each row's
   value among them), each distinct value is read once by its parser
   (:mod:`analysis.ingest.normalise`: dates, counts, durations, coded labels, communes…), and
   the result is spread back over the rows with numpy.

No rule (totals, period, duplicates, resubmissions), no note, no table is built or written:
whatever the cleaning does beyond this is its overhead over the floor. Prints
``✓ read : S s`` and ``✓ normalise : S s`` (and the number of cells read).
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import numpy as np
from python_calamine import CalamineWorkbook

from analysis.ingest import clean
from analysis.ingest import normalise as nz
from analysis.ingest.readers import Sheet

PARSERS = {
    "date": nz.parse_date, "first_contact": nz.parse_date, "demand_date": nz.parse_date,
    "first_appointment": nz.parse_date,
    "workers": nz.parse_count, "users_present": nz.parse_count, "pros_present": nz.parse_count,
    "duration": nz.parse_duration, "commune": nz.parse_commune, "origin": nz.parse_commune,
    "birth_year": lambda v: nz.parse_birth_year(v, 2022), "age": nz.parse_age,
    "requester": nz.parse_requester, "service": nz.match_service,
}
DOMAINS = {
    "activity_type": "activity_types", "place": "places", "gender": "genders", "income_source": "income_sources",
    "referrer": "referrers", "requesting_service": "requesting_services", "outcome": "census_outcomes",
    "public": "publics", "followup_requested": "followups", "reorientation_reason": "reorientation_reasons",
    "destination_full": "yes_no_unknown",
}


def parser_of(fld: str):
    if fld in PARSERS:
        return PARSERS[fld]
    if fld in DOMAINS:
        return lambda v, d=DOMAINS[fld]: nz.match_code(d, v)
    return None


def safe(fn, value):
    try:
        return fn(value)
    except nz.ValueProblem as exc:
        return exc


def read_all(raw: Path) -> tuple[list[tuple[str, list[list]]], int]:
    sheets, cells = [], 0
    for path in sorted(p for p in raw.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods")):
        try:
            with CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes())) as wb:
                for name in wb.sheet_names:
                    values = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
                    cells += sum(map(len, values))
                    sheets.append((name, values))
        except Exception:  # noqa: BLE001 - corrupted files are expected
            continue
    return sheets, cells


def normalise(sheets: list[tuple[str, list[list]]]) -> int:
    distinct = 0
    for name, values in sheets:
        rows = [(i, tuple(r)) for i, r in enumerate(values[:clean.HEADER_SCAN_ROWS], start=1)]
        table, header = clean.classify_sheet(Sheet(name, rows))
        if header is None:
            continue
        data = values[header.index + 1:]
        for fld, col in header.columns.items():
            fn = parser_of(fld)
            if fn is None:
                continue
            column = clean._Column([r[col] if col < len(r) and r[col] != "" else None for r in data])
            parsed = column.per(lambda v, fn=fn: safe(fn, v))
            parsed[column.codes]  # noqa: B018 - spread over the rows
            distinct += len(column.uniq)
    return distinct


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", required=True)
    args = parser.parse_args()
    t0 = time.perf_counter()
    sheets, cells = read_all(Path(args.raw))
    print(f"  ✓ read : {time.perf_counter() - t0:.1f} s ({cells:,} cells)", flush=True)
    t0 = time.perf_counter()
    distinct = normalise(sheets)
    print(f"  ✓ normalise : {time.perf_counter() - t0:.1f} s ({distinct:,} distinct values)", flush=True)
    np.zeros(1)


if __name__ == "__main__":
    main()
