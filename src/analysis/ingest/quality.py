"""The data quality report: what the cleaning kept, set aside and ignored, as published tables.

Written by the cleaning step into the run's ``tables/`` folder and included by
the report's data quality annex:

- ``qualite-lignes``: rows read, kept and set aside per table (raw = kept + set aside);
- ``qualite-motifs``: rows and whole files or sheets set aside, by table and reason;
- ``qualite-fichiers``: every file not used (unreadable, duplicate, unrecognised) or ignored,
  with the reason;
- ``qualite-retours``: which service returned its activities for which month;
- ``qualite-doublons``: rows identical to another of the same sheet, kept, per file and
  sheet (« doublons possibles », for the researcher to check);
- ``qualite-remplacements``: where two files of one service covered the same months, the
  file retained, the file replaced, the months, the rule used and the rows set aside.

Rows of the user, professional and census tables are demands of persons: their counts are
shown as :func:`analysis.publish.quality.quality_plan` decides, one linked problem with the
chapters' totals (small counts hidden, with complementary suppression checked by the
linear-programming audit). Activity rows and files are not persons and stay.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import reference
from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD, REFERENCE_DIR
from analysis.ingest.clean import PERSON_TABLES, REASONS_FR, TABLES_FR, counted
from analysis.publish.disclosure import caption_note
from analysis.publish.fmt import fmt_int, fmt_month
from analysis.publish.quality import (
    LINKED_NOTE_FR,
    OTHER,
    QualityPlan,
    dup_cell,
    other_files_fr,
    other_reasons_fr,
    quality_plan,
)
from analysis.publish.tables import write_table

TABLE_ORDER = ("activities", "users", "pros", "census", "file")
STATUS_FR = {"duplicate": "doublon", "unreadable": "illisible", "unrecognised": "non reconnu",
             "ignored": "ignoré (pas un classeur)"}
RETURNED, NOT_RETURNED = "✓", "–"
#: Why the rows of a copy are not in the counts (captions of the rows and reasons tables).
COPIES_NOTE_FR = ("Les lignes d'un classeur reçu deux fois (voir les fichiers non utilisés) ne sont comptées "
                  "qu'une fois : la copie n'ajoute aucune ligne lue ni mise à l'écart.")


def _table_fr(table: str) -> str:
    return TABLES_FR.get(table, table)


def _duplicate_counts(notes: pd.DataFrame, table_of: dict[tuple[str, str], str] | None) -> pd.DataFrame:
    """Rows kept although identical to another of their sheet, per file and sheet (``table``, ``n``)."""
    columns = ["source_file", "sheet", "n", "table"]
    dups = notes[notes["issue"] == "duplicate_possible"] if not notes.empty else notes
    if dups.empty:
        return pd.DataFrame(columns=columns)
    counts = dups.groupby(["source_file", "sheet"], observed=True).size().rename("n").reset_index()
    table_of = table_of or {}
    counts["table"] = [table_of.get((f, s), "") for f, s in zip(counts["source_file"], counts["sheet"], strict=True)]
    return counts[columns]


def rows_table(accounting: pd.DataFrame, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
               plan: QualityPlan | None = None) -> pd.DataFrame:
    """Rows read, kept and set aside per table, with the check that they add up.

    Person tables' counts as ``plan`` shows them (by default the plan of ``accounting`` alone)."""
    plan = plan or quality_plan(accounting, threshold=threshold)
    # "file": rows of hidden or unrecognised sheets, all set aside (shown when there are some)
    data_tables = [t for t in TABLE_ORDER if t != "file" or t in set(accounting["table"])]
    acc = accounting.groupby("table", observed=True)[["raw_rows", "clean_rows", "rejected_rows"]].sum()
    acc = acc.reindex(data_tables, fill_value=0)
    out = []
    for table, row in acc.iterrows():
        if table in PERSON_TABLES:
            total, *parts = (plan.text(f"{table}.{k}") for k in ("read", "kept", "rejected"))
        else:
            total, *parts = (fmt_int(row[k]) for k in ("raw_rows", "clean_rows", "rejected_rows"))
        balanced = "oui" if row["raw_rows"] == row["clean_rows"] + row["rejected_rows"] else "NON"
        label = "feuilles masquées ou non reconnues" if table == "file" else _table_fr(table)
        out.append([label, total, *parts, balanced])
    return pd.DataFrame(out, columns=["Table", "Lignes lues", "Retenues", "Mises à l'écart", "Lues = retenues + écartées"])


def _person_plan(rejected: pd.DataFrame, threshold: int) -> QualityPlan:
    """A plan from the set-aside rows alone (each person table's set-aside total = Σ its reasons)."""
    person = rejected[rejected["table"].isin(PERSON_TABLES)]
    acc = person.groupby("table", observed=True).size().rename("rejected_rows").reset_index()
    acc["clean_rows"] = 0
    acc["raw_rows"] = acc["rejected_rows"]
    return quality_plan(acc, rejected, threshold=threshold)


def reasons_table(rejected: pd.DataFrame, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                  plan: QualityPlan | None = None) -> pd.DataFrame:
    """Set-aside rows (and whole files or sheets) by table and reason, French labels.

    Person tables' counts as ``plan`` shows them (by default, a plan of these rows alone): their
    reasons of fewer rows than the threshold are grouped in one row, printed for every person table
    (see :mod:`analysis.publish.quality`)."""
    columns = ["Table", "Motif", "Code", "Lignes"]
    plan = plan or _person_plan(rejected, threshold)
    counts = (rejected.groupby(["table", "reason"], observed=True).size().rename("n").reset_index()
              if not rejected.empty else pd.DataFrame(columns=["table", "reason", "n"]))
    out = []
    for table in [t for t in TABLE_ORDER if t in set(counts["table"]) or t in PERSON_TABLES]:
        part = counts[counts["table"] == table].sort_values(["n", "reason"], ascending=[False, True], kind="mergesort")
        for r in part.itertuples():
            if table not in PERSON_TABLES:
                out.append([_table_fr(table), REASONS_FR.get(r.reason, r.reason), f"`{r.reason}`", fmt_int(r.n)])
            elif plan.has(f"{table}.reason.{r.reason}"):  # reasons of at least the threshold, by name
                out.append([_table_fr(table), REASONS_FR.get(r.reason, r.reason), f"`{r.reason}`",
                            plan.text(f"{table}.reason.{r.reason}")])
        if table in PERSON_TABLES and plan.has(f"{table}.reason.{OTHER}"):
            out.append([_table_fr(table), other_reasons_fr(threshold), "", plan.text(f"{table}.reason.{OTHER}")])
    return pd.DataFrame(out, columns=columns)


def files_table(files: pd.DataFrame, ignored: list[tuple[str, str]]) -> pd.DataFrame:
    """Every file the run did not use, and why; files that are not workbooks are listed as ignored."""
    unused = files[files["status"] != "used"].sort_values("source_file", kind="mergesort")
    out = [[f"`{r.source_file}`", STATUS_FR.get(r.status, r.status), r.detail or ""] for r in unused.itertuples()]
    out += [[f"`{path}`", STATUS_FR["ignored"], why] for path, why in sorted(ignored)]
    return pd.DataFrame(out, columns=["Fichier", "Statut", "Motif"])


def returns_table(submissions: pd.DataFrame, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Services × months: ``✓`` when the service encoded at least one activity that month."""
    names = reference.services(ref_dir).set_index("code")["name"]
    if submissions.empty:
        return pd.DataFrame(columns=["Service"])
    grid = submissions.pivot(index="service_code", columns="month", values="returned_activities")
    grid = grid.reindex(sorted(grid.columns), axis=1)
    out = pd.DataFrame({"Service": [names.get(code, code) for code in grid.index]})
    for month in grid.columns:
        out[fmt_month(month, short=True)] = [RETURNED if bool(v) else NOT_RETURNED for v in grid[month].fillna(False)]
    out["Mois rendus"] = [f"{int(grid.loc[c].fillna(False).astype(bool).sum())}/{grid.shape[1]}" for c in grid.index]
    return out.sort_values("Service", kind="mergesort").reset_index(drop=True)


def duplicates_table(notes: pd.DataFrame, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                     table_of: dict[tuple[str, str], str] | None = None,
                     plan: QualityPlan | None = None) -> pd.DataFrame:
    """Rows kept although identical to another row of their sheet, counted per file and sheet.

    Person tables' counts as ``plan`` shows them (by default, a plan of these counts alone, each
    nested in an unknown number of kept rows): files of fewer such rows than the threshold are
    grouped in one row per person table, printed even when it is zero."""
    columns = ["Fichier", "Feuille", "Table", "Lignes identiques gardées"]
    counts = _duplicate_counts(notes, table_of)
    if plan is None:
        kept = pd.DataFrame({"table": list(PERSON_TABLES), "rejected_rows": 0})
        kept["clean_rows"] = [int(counts.loc[counts["table"] == t, "n"].sum()) + threshold for t in PERSON_TABLES]
        kept["raw_rows"] = kept["clean_rows"]  # an unknown number of other kept rows
        plan = quality_plan(kept, duplicates=counts, threshold=threshold)
    out = []
    for r in counts.itertuples():
        cell = dup_cell(r.table, r.source_file, r.sheet)
        if r.table not in PERSON_TABLES:
            out.append([f"`{r.source_file}`", r.sheet, _table_fr(r.table) if r.table else "", fmt_int(r.n)])
        elif plan.has(cell):  # files of at least the threshold, by name
            out.append([f"`{r.source_file}`", r.sheet, _table_fr(r.table), plan.text(cell)])
    out.sort(key=lambda row: (row[0], row[1]))
    for t in PERSON_TABLES:
        if plan.has(f"{t}.dup.{OTHER}"):
            out.append([other_files_fr(threshold), "", _table_fr(t), plan.text(f"{t}.dup.{OTHER}")])
    return pd.DataFrame(out, columns=columns)


def replacements_table(decisions: list[dict]) -> pd.DataFrame:
    """Every resubmission decision: retained and replaced file, months, rule (activity and person rows
    together: the count of rows set aside is not published, only the months)."""
    columns = ["Service", "Fichier retenu", "Fichier remplacé", "Mois concernés", "Règle", "Détail"]
    out = [[d["service_code"], f"`{d['retained']}`", f"`{d['replaced']}`",
            ", ".join(fmt_month(m, short=True) for m in d["months"]), d["rule_fr"], d["detail"]] for d in decisions]
    return pd.DataFrame(out, columns=columns)


def plan_of_run(tables: dict[str, pd.DataFrame], notes: pd.DataFrame | None = None,
                threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> QualityPlan:
    """The quality annex's linked plan from a run's clean tables and notes (one decision for every
    table of the annex, the notebook's account and the chapters' totals)."""
    acc, rejected = counted(tables)  # the rows of a copy of a workbook are not counted again
    table_of = dict(zip(zip(acc["source_file"], acc["sheet"], strict=True), acc["table"], strict=True))
    dups = _duplicate_counts(notes if notes is not None else pd.DataFrame(columns=["issue"]), table_of)
    return quality_plan(acc, rejected, dups, threshold)


def save_quality_tables(tables: dict[str, pd.DataFrame], ignored: list[tuple[str, str]], tables_dir: Path,
                        threshold: int = DEFAULT_DISCLOSURE_THRESHOLD, is_example: bool = False,
                        notes: pd.DataFrame | None = None, decisions: list[dict] | None = None,
                        plan: QualityPlan | None = None) -> list[str]:
    """Write the data quality tables of a run; returns their names.

    ``plan``: the run's :func:`plan_of_run` (computed here when not given)."""
    plan = plan or plan_of_run(tables, notes, threshold)
    source = "Source : nettoyage des fichiers du dossier brut" + (" (données d'exemple synthétiques)" if is_example else "")
    note = f"{caption_note(threshold)} {LINKED_NOTE_FR}"
    acc, rejected = counted(tables)  # the rows of a copy of a workbook are not counted again
    copies = f" {COPIES_NOTE_FR}" if len(acc) < len(tables["accounting"]) else ""
    specs = {
        "qualite-lignes": (rows_table(acc, threshold, plan),
                           f"Lignes lues, retenues et mises à l'écart par table.{copies} {note} {source}."),
        "qualite-motifs": (reasons_table(rejected, threshold, plan),
                           f"Lignes, feuilles et fichiers mis à l'écart, par motif.{copies} {note} {source}."),
        "qualite-fichiers": (files_table(tables["files"], ignored),
                             f"Fichiers non utilisés et motif. {source}."),
        "qualite-retours": (returns_table(tables["submissions"]),
                            f"Mois pour lesquels chaque service a encodé au moins une activité. {source}."),
    }
    table_of = dict(zip(zip(acc["source_file"], acc["sheet"], strict=True), acc["table"], strict=True))
    specs["qualite-doublons"] = (
        duplicates_table(notes if notes is not None else pd.DataFrame(columns=["issue"]), threshold, table_of, plan),
        "Lignes identiques à une autre ligne de la même feuille, gardées (doublons possibles, à vérifier "
        f"auprès du service), par fichier et feuille. {caption_note(threshold)} {source}.")
    specs["qualite-remplacements"] = (
        replacements_table(decisions or []),
        "Fichiers d'un même service couvrant les mêmes mois : fichier retenu pour ces mois, fichier "
        f"remplacé (ses lignes de ces mois sont mises à l'écart) et règle appliquée. {source}.")
    for name, (display, caption) in specs.items():
        if display.empty:
            display = pd.DataFrame([["aucun"] + [""] * (len(display.columns) - 1)], columns=display.columns)
        write_table(display, name, tables_dir, caption)
    return list(specs)
