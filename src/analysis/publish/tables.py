"""Reader-facing tables: a pandoc pipe table (``<name>.md``) and a CSV (``<name>.csv``) of the
same published values, in the run's ``tables/`` folder. Exact values, when kept, go to the
run's ``exact/`` folder, which the report never reads."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd


def _ident(name: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")


def markdown_table(display: pd.DataFrame, caption: str = "", name: str = "") -> str:
    """A pandoc pipe table; numbers right-aligned; ``: caption {#tbl-name}`` under it."""
    def cell(v) -> str:
        return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")

    def numeric(col) -> bool:
        vals = [str(v) for v in display[col] if str(v) not in ("", "–", "n.p.")]
        return bool(vals) and all(re.fullmatch(r"[<≤\s\u202f\u00a0]*[−\-]?[\d\s\u202f\u00a0,]+(\s?%)?"
                                               r"( \(.*\))?", v) for v in vals)

    aligns = ["---:" if numeric(c) else ":---" for c in display.columns]
    lines = ["| " + " | ".join(cell(c) for c in display.columns) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in display.itertuples(index=False)]
    text = "\n".join(lines) + "\n"
    if caption:
        ident = f" {{#tbl-{_ident(name)}}}" if name else ""
        text += f"\n: {caption}{ident}\n"
    return text


def write_table(display: pd.DataFrame, name: str, tables_dir: Path, caption: str) -> Path:
    """Write the published table ``<name>.md`` and ``<name>.csv`` (same cells) under ``tables_dir``."""
    tables_dir = Path(tables_dir)
    tables_dir.mkdir(parents=True, exist_ok=True)
    (tables_dir / f"{name}.md").write_text(markdown_table(display, caption, name), encoding="utf-8")
    display.to_csv(tables_dir / f"{name}.csv", index=False, lineterminator="\n")
    return tables_dir / f"{name}.md"


def write_exact(exact: pd.DataFrame, name: str, out: Path) -> Path:
    """Write exact values (internal record of the run) to ``<out>/exact/<name>.csv``."""
    path = Path(out) / "exact" / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    exact.to_csv(path, index=False, lineterminator="\n")
    return path
