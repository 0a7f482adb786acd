"""Time reading every .xlsx/.xlsm workbook of a folder with python-calamine and openpyxl."""

import sys
import time
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook


def main(folder: str) -> None:
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix in (".xlsx", ".xlsm"))
    timings = {}
    for name, read in (("calamine", _calamine), ("openpyxl", _openpyxl)):
        t0 = time.perf_counter()
        rows = 0
        for f in files:
            try:
                rows += read(f)
            except Exception:  # noqa: BLE001 - corrupted fixtures are expected
                pass
        timings[name] = (time.perf_counter() - t0, rows)
    print(", ".join(f"{k} {t:.2f} s ({n:,} rows)" for k, (t, n) in timings.items()) + f" over {len(files)} files")


def _calamine(path: Path) -> int:
    wb = CalamineWorkbook.from_path(str(path))
    return sum(len(wb.get_sheet_by_name(s).to_python()) for s in wb.sheet_names)


def _openpyxl(path: Path) -> int:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = sum(sum(1 for _ in ws.iter_rows(values_only=True)) for ws in wb.worksheets)
    wb.close()
    return n


if __name__ == "__main__":
    main(sys.argv[1])
