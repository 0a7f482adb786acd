"""``prr check FILE…``: the cleaning of a run, on a service's own workbooks, told per sheet.

A service (or the researcher, before a run) checks a workbook without producing
a report: every given file goes through exactly the cleaning of a run
(:func:`analysis.ingest.clean.clean_workbooks`: same readers, same header
recognition, same rules, including resubmissions between the given files), and
the result is told in French, per file and sheet: rows that would be kept, rows
that would be set aside and why, each with the cell to fix (file, sheet, row,
column letter), and the values that would be kept as unknown.

Without ``--start``/``--end`` no date is outside the period: only the run
decides the period.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from analysis.ingest import clean, inputs, resubmissions
from analysis.ingest.readers import Workbook, column_letters, read_file

#: Rows listed per sheet and reason before « … et N autres ».
SHOWN_PER_REASON = 8
OPEN_START, OPEN_END = "0001-01", "9999-12"


@dataclass
class CheckReport:
    """What the cleaning would do with the given files."""

    lines: list[str] = field(default_factory=list)
    kept: int = 0
    set_aside: int = 0
    files_set_aside: int = 0

    @property
    def ok(self) -> bool:
        return self.set_aside == 0 and self.files_set_aside == 0

    def text(self) -> str:
        return "\n".join(self.lines)


def _read(path: Path) -> Workbook:
    shown = str(path)
    problem = None
    if path.is_symlink() and not path.exists():
        problem = "lien symbolique cassé"
    elif not path.exists():
        problem = "fichier introuvable"
    elif path.is_dir():
        problem = "c'est un dossier : donner les classeurs (par exemple dossier/*.xlsx)"
    else:
        with_perm = inputs._readable(path)
        if with_perm:
            problem = with_perm
    if problem:
        return Workbook(shown, "", path.suffix.lower().lstrip("."), status="unreadable", reason="unreadable",
                        detail=problem)
    wb = read_file(path.resolve(), path.resolve().parent)
    wb.relpath = shown
    return wb


def _columns(wb: Workbook) -> dict[str, dict[str, str]]:
    """Sheet → header text as written → column letter, for the sheets the cleaning recognises."""
    out: dict[str, dict[str, str]] = {}
    for sheet in wb.sheets:
        if sheet.is_empty():
            continue
        _, header = clean.classify_sheet(sheet)
        if header is None:
            continue
        out[sheet.name] = {text: column_letters(header.columns[fld]) for fld, text in header.headers.items()}
    return out


def _cell(columns: dict[str, str], row: int | None, text: str | None) -> str:
    """« cellule C12 » from a detail or column text starting with a header, else « ligne 12 »."""
    if row is None:
        return ""
    if text:
        for header in sorted(columns, key=len, reverse=True):
            if text == header or text.startswith(header + " :"):
                return f"cellule {columns[header]}{row}"
        m = re.search(r"\(cellule ([A-Z]+\d+)\)", text)
        if m:
            return f"cellule {m[1]}"
    return f"ligne {row}"


def _replacements_near(paths: list[Path]) -> Path | None:
    """The researcher's ``remplacements.csv`` of the raw folder holding the files (their folder or
    up to two levels above), so that the check decides resubmissions as the run would."""
    for p in paths:
        folder = Path(p).resolve().parent
        for candidate in (folder, *list(folder.parents)[:2]):
            found = resubmissions.replacements_path(candidate)
            if found is not None:
                return found
    return None


def check_files(paths: list[Path], start: str | None = None, end: str | None = None) -> CheckReport:
    """Clean ``paths`` as a run would (no output written) and tell what would be kept or set aside."""
    from analysis.publish.fmt import fmt_int

    workbooks = sorted((_read(Path(p)) for p in paths), key=lambda wb: wb.relpath)
    replacements_file = _replacements_near(paths)
    replacements = resubmissions.read_replacements(replacements_file)
    result = clean.clean_workbooks(workbooks, [], start or OPEN_START, end or OPEN_END, Path.cwd(),
                                   replacements, with_submissions=False)
    t = result.tables
    report = CheckReport()
    columns = {wb.relpath: _columns(wb) for wb in workbooks if wb.ok}
    rej, notes, acc, files = t["rejected"], result.notes, t["accounting"], t["files"].set_index("source_file")
    period = f"période {start or '…'} → {end or '…'}" if (start or end) else "sans filtre de période"
    report.lines.append(f"Vérification de {fmt_int(len(workbooks))} fichier(s), {period} :")
    for wb in workbooks:
        f = wb.relpath
        info = files.loc[f]
        service = f" — service {info['service_code']}" if isinstance(info["service_code"], str) else ""
        report.lines.append("")
        report.lines.append(f"{f}{service}")
        file_rej = rej[(rej["source_file"] == f) & rej["row"].isna()]
        if info["status"] != "used":
            report.files_set_aside += 1
            report.lines.append(f"  ✗ fichier mis de côté : {info['detail']}")
        for r in file_rej.itertuples():
            if r.reason.startswith("file_") or r.reason == "service_unknown":
                continue  # said just above
            report.lines.append(f"  ✗ {clean.REASONS_FR.get(r.reason, r.reason)} : {r.detail}")
        for a in acc[acc["source_file"] == f].sort_values(["sheet", "table"]).itertuples():
            cols = columns.get(f, {}).get(a.sheet, {})
            report.kept += int(a.clean_rows)
            report.set_aside += int(a.rejected_rows)
            mark = "✓" if a.rejected_rows == 0 else "✗"
            report.lines.append(
                f"  {mark} feuille « {a.sheet} » ({clean.TABLES_FR[a.table]}) : {fmt_int(a.raw_rows)} lignes, "
                f"{fmt_int(a.clean_rows)} gardées, {fmt_int(a.rejected_rows)} mises de côté")
            sel = rej[(rej["source_file"] == f) & (rej["sheet"] == a.sheet) & (rej["table"] == a.table)
                      & rej["row"].notna()]
            by_reason: dict[str, list] = defaultdict(list)
            for r in sel.sort_values("row").itertuples():
                by_reason[r.reason].append(r)
            for reason, items in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
                report.lines.append(f"      {clean.REASONS_FR.get(reason, reason)} ({fmt_int(len(items))}) :")
                for r in items[:SHOWN_PER_REASON]:
                    where = _cell(cols, int(r.row), r.detail)
                    report.lines.append(f"        – {f}, feuille « {a.sheet} », {where} : {r.detail}")
                if len(items) > SHOWN_PER_REASON:
                    report.lines.append(f"        … et {fmt_int(len(items) - SHOWN_PER_REASON)} autres")
            if notes.empty:
                continue
            kept_notes = notes[(notes["source_file"] == f) & (notes["sheet"] == a.sheet) & notes["row"].notna()]
            unknown = kept_notes[kept_notes["issue"].str.startswith("value_")]
            dups = kept_notes[kept_notes["issue"] == "duplicate_possible"]
            if len(unknown):
                report.lines.append(f"      gardées, valeur non reconnue laissée inconnue ({fmt_int(len(unknown))}) :")
                for r in unknown.head(SHOWN_PER_REASON).itertuples():
                    report.lines.append(f"        – {_cell(cols, int(r.row), r.column)} : {r.detail}")
                if len(unknown) > SHOWN_PER_REASON:
                    report.lines.append(f"        … et {fmt_int(len(unknown) - SHOWN_PER_REASON)} autres")
            if len(dups):
                rows = ", ".join(str(int(x)) for x in dups["row"].head(SHOWN_PER_REASON * 2))
                report.lines.append(f"      gardées, identiques à une autre ligne (doublons possibles, à vérifier) : "
                                    f"lignes {rows}" + (" …" if len(dups) > SHOWN_PER_REASON * 2 else ""))
    for d in result.decisions:
        report.lines.append("")
        report.lines.append(f"Mêmes mois dans deux fichiers : « {d['retained']} » serait retenu et « {d['replaced']} » "
                            f"remplacé pour {', '.join(d['months'])} ({d['rule_fr']}).")
    report.lines.append("")
    verdict = "rien ne serait mis de côté" if report.ok else "à corriger avant l'envoi"
    report.lines.append(f"Bilan : {fmt_int(report.kept)} lignes gardées, {fmt_int(report.set_aside)} mises de côté"
                        + (f", {fmt_int(report.files_set_aside)} fichier(s) mis de côté" if report.files_set_aside else "")
                        + f" : {verdict}.")
    return report
