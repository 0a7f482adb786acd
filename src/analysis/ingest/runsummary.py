"""The end-of-run account: what the cleaning used, set aside and why, and what to check.

The cleaning writes it to ``<out>/clean/run-summary.json`` (structured values plus
the French lines to print); ``prr run`` and ``prr build`` print those lines at the
end of every run, also when the cleaning was skipped because nothing changed
(:func:`read_lines` uses the standard library only). The account is for the
researcher at the console and keeps exact counts; readers' tables go through the
disclosure control of :mod:`analysis.ingest.quality`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from analysis.ingest.clean import CleanResult

SUMMARY_FILE = "run-summary.json"
STATUS_FR = {"used": "utilisé", "duplicate": "doublon", "unreadable": "illisible", "unrecognised": "non reconnu"}
#: How many unknown values (and possible duplicates) are named before « … ».
SHOWN = 5


def _n(value: int) -> str:
    from analysis.publish.fmt import fmt_int

    return fmt_int(int(value))


def build_summary(result: CleanResult) -> dict:
    """Structured account of a cleaning, with the French lines to print."""
    from analysis.ingest.schema import DATA_TABLES, TABLES_FR

    t = result.tables
    files, acc, notes = t["files"], t["accounting"], result.notes
    used = sorted(files.loc[files["status"] == "used", "source_file"])
    unused = [{"file": r.source_file, "status": STATUS_FR.get(r.status, r.status), "detail": r.detail or ""}
              for r in files[files["status"] != "used"].sort_values("source_file").itertuples()]
    rows = {}
    for table in DATA_TABLES:
        sel = acc[acc["table"] == table]
        rows[table] = {"raw": int(sel["raw_rows"].sum()), "kept": int(len(t[table])),
                       "set_aside": int(sel["rejected_rows"].sum())}
    reasons = [{"reason": r.reason, "motif": r.motif, "table": r.table, "n": int(r.n)}
               for r in result.rejected_by_reason().itertuples() if r.table != "file"]
    unknown = notes[notes["issue"].str.startswith("value_") & (notes["issue"] != "value_default")] \
        if not notes.empty else notes
    dups = notes[notes["issue"] == "duplicate_possible"] if not notes.empty else notes

    lines = [f"Bilan du nettoyage ({result.start} → {result.end}) :"]
    lines.append(f"  Fichiers utilisés : {_n(len(used))}" + (f" ; non utilisés : {_n(len(unused) + len(result.ignored_files))}"
                                                          if unused or result.ignored_files else ""))
    for u in unused:
        lines.append(f"    – {u['file']} ({u['status']}) : {u['detail']}")
    for path, why in sorted(result.ignored_files):
        lines.append(f"    – {path} (ignoré) : {why}")
    for path, role in result.settings_files:
        lines.append(f"  Paramètre lu : {path} ({role})")
    lines.append("  Lignes retenues / mises de côté :")
    for table in DATA_TABLES:
        r = rows[table]
        lines.append(f"    – {TABLES_FR[table]} : {_n(r['kept'])} retenues, {_n(r['set_aside'])} mises de côté "
                     f"(sur {_n(r['raw'])})")
    if reasons:
        by_reason: dict[str, int] = {}
        for r in reasons:
            by_reason[r["motif"]] = by_reason.get(r["motif"], 0) + r["n"]
        lines.append("  Motifs : " + " ; ".join(f"{m} {_n(n)}" for m, n in
                                              sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))))
    for d in result.decisions:
        lines.append(f"  Envoi remplacé ({d['service_code']}) : « {d['retained']} » retenu, « {d['replaced']} » "
                     f"remplacé pour {', '.join(d['months'])} ({_n(d['rows_set_aside'])} lignes mises de côté) ; "
                     f"règle : {d['rule_fr']} — {d['detail']}")
    warnings = list(result.warnings)
    if len(dups):
        per = dups.groupby(["source_file", "sheet"]).size().sort_values(ascending=False)
        shown = "; ".join(f"{f} / {s} : {_n(n)}" for (f, s), n in per.head(SHOWN).items())
        warnings.append(f"{_n(len(dups))} lignes identiques à une autre de la même feuille, gardées (doublons "
                        f"possibles, à vérifier) : {shown}" + (" …" if len(per) > SHOWN else ""))
    if len(unknown):
        per = unknown.groupby("column").size().sort_values(ascending=False)
        shown = "; ".join(f"{c} : {_n(n)}" for c, n in per.head(SHOWN).items())
        warnings.append(f"{_n(len(unknown))} valeurs non reconnues gardées comme inconnues ({shown}"
                        + (" …" if len(per) > SHOWN else "") + ") : détail dans clean/notes.parquet")
    if warnings:
        lines.append("  Avertissements :")
        lines += [f"    ! {w}" for w in warnings]
    return {"start": result.start, "end": result.end, "files_used": used, "files_unused": unused,
            "files_ignored": [list(x) for x in sorted(result.ignored_files)],
            "settings": [list(x) for x in result.settings_files], "rows": rows, "reasons": reasons,
            "decisions": result.decisions, "warnings": warnings, "lines": lines}


def write_run_summary(result: CleanResult, out_dir: Path) -> Path:
    path = Path(out_dir) / SUMMARY_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(build_summary(result), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_lines(clean_dir: Path) -> list[str]:
    """The French lines of a run's account, or [] when there is none (standard library only)."""
    path = Path(clean_dir) / SUMMARY_FILE
    try:
        return list(json.loads(path.read_text(encoding="utf-8"))["lines"])
    except (OSError, ValueError, KeyError, TypeError):
        return []
