"""Reader-facing tables: a pandoc pipe table (``<name>.md``), a CSV (``<name>.csv``) and a workbook
(``<name>.xlsx``) of the same published values, in the run's ``tables/`` folder. Exact values,
when kept, go to the run's ``exact/`` folder, which the report never reads.

The workbook holds the CSV's cells: a cell that reads as a French number (``1 913``, ``5,4``,
``10,0 %``) becomes that number, with a display format that shows the same digits; every other
cell (``n.p.``, ``< 5``, ``1,0 [0–4]``, labels) stays text. Nothing is recomputed.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd


def _ident(name: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")


def markdown_table(display: pd.DataFrame, caption: str = "", name: str = "",
                   widths: list[int] | None = None) -> str:
    """A pandoc pipe table; numbers right-aligned; ``: caption {#tbl-name}`` under it.

    ``widths``: relative column widths for print (the dashes of the separator line, which pandoc reads
    as the columns' shares of the text width; the HTML sizes columns to their content). Without them,
    every column gets the same share."""
    def cell(v) -> str:
        return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")

    def numeric(col) -> bool:
        vals = [str(v) for v in display[col] if str(v) not in ("", "–", "n.p.")]
        return bool(vals) and all(re.fullmatch(r"[<≤\s\u202f\u00a0]*[−\-]?[\d\s\u202f\u00a0,]+(\s?%)?"
                                               r"( \(.*\))?", v) for v in vals)

    dashes = ["-" * max(3, int(w)) for w in widths] if widths else ["---"] * len(display.columns)
    aligns = [f"{d}:" if numeric(c) else f":{d}" for c, d in zip(display.columns, dashes, strict=True)]
    lines = ["| " + " | ".join(cell(c) for c in display.columns) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in display.itertuples(index=False)]
    text = "\n".join(lines) + "\n"
    if caption:
        ident = f" {{#tbl-{_ident(name)}}}" if name else ""
        text += f"\n: {caption}{ident}\n"
    return text


def write_table(display: pd.DataFrame, name: str, tables_dir: Path, caption: str,
                widths: list[int] | None = None) -> Path:
    """Write the published table ``<name>.md`` and ``<name>.csv`` (same cells) under ``tables_dir``
    (``widths``: see :func:`markdown_table`)."""
    tables_dir = Path(tables_dir)
    tables_dir.mkdir(parents=True, exist_ok=True)
    (tables_dir / f"{name}.md").write_text(markdown_table(display, caption, name, widths), encoding="utf-8")
    display.to_csv(tables_dir / f"{name}.csv", index=False, lineterminator="\n")
    xlsx_from_csv(tables_dir / f"{name}.csv", tables_dir / f"{name}.xlsx", caption)
    return tables_dir / f"{name}.md"


_SPACES = "[ \u00a0\u202f]"
_FR_NUMBER = re.compile(rf"(?P<sign>[−-])?(?P<int>0|[1-9]\d{{0,2}}(?:{_SPACES}\d{{3}})+|[1-9]\d*)"
                        rf"(?:,(?P<dec>\d+))?(?P<pct>{_SPACES}?%)?")


def xlsx_value(text: str) -> tuple[str | float | int, str | None]:
    """A published cell as a workbook value: (number, Excel display format) or (text, None).

    ``1 913`` → (1913, ``#,##0``); ``2021`` → (2021, ``0``); ``5,4`` → (5.4, ``0.0``);
    ``10,0 %`` → (0.1, ``0.0%``); anything else is kept as text.
    """
    m = _FR_NUMBER.fullmatch(text.strip())
    if not m:
        return text, None
    digits = re.sub(_SPACES, "", m["int"])
    grouped = digits != m["int"]
    dec = m["dec"] or ""
    sign = -1 if m["sign"] else 1
    number: int | float = sign * (float(f"{digits}.{dec}") if dec else int(digits))
    fmt = ("#,##0" if grouped else "0") + ("." + "0" * len(dec) if dec else "")
    if m["pct"]:  # the published digits, shifted: 21,1 % → 0.211 exactly as written
        return sign * float(Decimal(f"{digits}.{dec or 0}").scaleb(-2)), fmt + "%"
    return number, fmt


def write_xlsx(header: list[str], rows: list[list[str]], path: Path, title: str = "") -> Path:
    """A one-sheet workbook of published cells (see :func:`xlsx_value`); identical bytes for identical cells.

    ``title`` (the table's caption) goes above the table, which starts on the third row.
    """
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": dt.datetime(2000, 1, 1), "author": "prr-report", "title": title})
    ws = wb.add_worksheet("Tableau")
    bold = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    formats: dict[str, object] = {}
    first = 0
    if title:
        ws.write_string(0, 0, " ".join(str(title).split()), wb.add_format({"italic": True}))
        first = 2
    widths = [len(str(h)) for h in header]
    for j, h in enumerate(header):
        ws.write_string(first, j, str(h), bold)
    for i, row in enumerate(rows, start=first + 1):
        for j, cell in enumerate(row):
            value, fmt = xlsx_value("" if cell is None else str(cell))
            if fmt is None:
                ws.write_string(i, j, str(value))
            else:
                if fmt not in formats:
                    formats[fmt] = wb.add_format({"num_format": fmt})
                ws.write_number(i, j, value, formats[fmt])
            if j < len(widths):
                widths[j] = max(widths[j], len(str(cell)))
    for j, w in enumerate(widths):
        ws.set_column(j, j, min(60, max(8, w + 2)))
    ws.freeze_panes(first + 1, 1)
    wb.close()
    return path


def xlsx_from_csv(csv_path: Path, xlsx_path: Path, title: str = "") -> Path:
    """The workbook of a published CSV (same cells, same order)."""
    with open(csv_path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    return write_xlsx(header, body, xlsx_path, title)


def write_exact(exact: pd.DataFrame, name: str, out: Path) -> Path:
    """Write exact values (internal record of the run) to ``<out>/exact/<name>.csv``."""
    path = Path(out) / "exact" / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    exact.to_csv(path, index=False, lineterminator="\n")
    return path
