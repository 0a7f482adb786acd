"""The person counts of the data-quality annex, protected together (:mod:`analysis.publish.sdc`).

The cleaning prints, for each person table (users, professionals, census), the rows read, kept
and set aside; the set-aside rows by reason; the rows kept although identical to another; and the
chapters print the totals again (« lignes lues / retenues / mises à l'écart », chapters 7 and 10b)
and each table's kept count under another name (the professionals' demands of chapter 8, the
users' new demands, the census demands of both waves). A reader who holds them all can subtract:
128 rows read − 124 professionals' demands = 4 rows set aside. Per-cell suppression does not stop
that, so the cells are one linked problem:

- ``<t>.read = <t>.kept + <t>.rejected`` (the « Lues = retenues + écartées » check);
- ``<t>.rejected = Σ <t>.reason.<code>`` (the table of reasons);
- ``<t>.kept = Σ <t>.dup.<k> + <t>.kept_other`` (rows kept although identical to another, nested in
  the kept rows; the rest is printed nowhere);
- ``rows.raw = Σ <t>.read``, ``rows.clean = Σ <t>.kept``, ``rows.rejected = Σ <t>.rejected``: the
  prose totals, person part only (activity and sheet rows are not persons, are always published
  and enter as known constants, so they are left out of the problem).

``<t>.kept`` is *fixed* (published as it is) when it is at least the threshold, since the chapters
print it anyway; below the threshold it is a primary cell like the others. The prose totals
``rows.*`` (person part) are fixed too when that still lets every small count be protected by
hiding table cells (a sentence keeps its number); otherwise they may be withheld. The exact counts come
from the cleaning (:mod:`analysis.ingest.clean`); only this module decides what a reader sees.

Zeros: « < 5 » means 0 to 4 (:mod:`analysis.publish.sdc`). A reason listed only when some row has
it would be known to count at least 1; so, for a person table, the reasons of fewer rows than the
threshold are grouped in one row « autres motifs » (``<t>.reason.other``), printed for every person
table even when it is zero, and likewise the sheets with fewer identical kept rows
(``<t>.dup.other``). Reasons and sheets at or above the threshold are listed by name.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD
from analysis.ingest.clean import PERSON_TABLES
from analysis.publish.disclosure import SECONDARY, hidden_text
from analysis.publish.fmt import fmt_int
from analysis.publish.linked import LinkedPlan
from analysis.publish.sdc import Relation, protect

#: Prose totals of the cleaning (metric keys of ``metrics.json``) and their cells.
TOTAL_METRICS = {"rows.raw": "read", "rows.clean": "kept", "rows.rejected": "rejected"}

#: Why a value of the quality tables is withheld (appended to their captions).
LINKED_NOTE_FR = ("Les lignes retenues de chaque table sont aussi comptées dans les chapitres (demandes "
                  "d'usager·e·s, de professionnel·le·s, du recensement) : des lignes lues ou écartées sont "
                  "masquées (« n.p. ») quand elles permettraient, par soustraction, de retrouver un effectif "
                  "masqué.")


#: Cell of a person table's reasons (or files with identical rows) of fewer rows than the threshold, grouped.
OTHER = "other"


def other_reasons_fr(threshold: int) -> str:
    return f"autres motifs (moins de {threshold} lignes chacun, regroupés)"


def other_files_fr(threshold: int) -> str:
    return f"autres feuilles (moins de {threshold} lignes identiques chacune, regroupées)"


def dup_cell(table: str, source_file: str, sheet: str) -> str:
    return f"{table}.dup.{source_file}|{sheet}"


class QualityPlan(LinkedPlan):
    """The protection of one run's quality tables: the text of each person cell."""

    def __init__(self, protection, totals: dict[str, int]):
        super().__init__(protection)
        self.totals = totals  # published value of each prose total (all tables), by metric key

    def has(self, cell: str) -> bool:
        return cell in self.protection.values

    def text(self, cell: str) -> str:
        """``12``, ``< 5`` (below the threshold) or ``n.p.`` (hidden so that no small count is recovered)."""
        threshold = self.protection.threshold
        if not self.hidden(cell) or cell in self.protection.disclosed:  # known anyway: printed as it is
            return fmt_int(self.protection.values[cell])
        return hidden_text(threshold) if self.primary(cell) else SECONDARY

    def texts(self) -> dict[str, str]:
        """Every cell of the person tables and every prose total (``rows.*``) as a reader sees it."""
        out = {c: self.text(c) for c in self.protection.values if not c.startswith("rows.")
               and c not in self.protection.unprinted}
        for key, value in self.totals.items():
            out[key] = SECONDARY if self.hidden(key) else fmt_int(value)
        return out

    def withheld_metrics(self) -> set[str]:
        """Prose totals (metric keys) that may not be printed."""
        return {key for key in TOTAL_METRICS if self.hidden(key)}


def quality_plan(accounting: pd.DataFrame, rejected: pd.DataFrame | None = None,
                 duplicates: pd.DataFrame | None = None,
                 threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                 person_tables: Iterable[str] = PERSON_TABLES) -> QualityPlan:
    """Protect the quality annex's person counts together with the chapters' totals.

    ``accounting``: one row per file and sheet (``table``, ``raw_rows``, ``clean_rows``,
    ``rejected_rows``); ``rejected``: one row per set-aside row (``table``, ``reason``);
    ``duplicates``: kept rows identical to another, counted per file and sheet (``table``,
    ``source_file``, ``sheet``, ``n``).
    """
    person_tables = tuple(person_tables)
    acc = accounting.groupby("table", observed=True)[["raw_rows", "clean_rows", "rejected_rows"]].sum()
    values: dict[str, int] = {}
    rels: list[Relation] = []
    fixed: list[str] = []
    unprinted: list[str] = []
    for t in person_tables:
        row = acc.loc[t] if t in acc.index else pd.Series({"raw_rows": 0, "clean_rows": 0, "rejected_rows": 0})
        values[f"{t}.read"] = int(row["raw_rows"])
        values[f"{t}.kept"] = int(row["clean_rows"])
        values[f"{t}.rejected"] = int(row["rejected_rows"])
        rels.append(Relation(f"{t}.read", (f"{t}.kept", f"{t}.rejected")))
        if values[f"{t}.kept"] >= threshold:  # printed in the chapters regardless
            fixed.append(f"{t}.kept")
        if rejected is not None:
            counts = (rejected.loc[rejected["table"] == t, "reason"].value_counts() if not rejected.empty
                      else pd.Series(dtype=int))
            parts = []
            for reason, n in sorted(counts.items()):
                if n >= threshold:
                    values[f"{t}.reason.{reason}"] = int(n)
                    parts.append(f"{t}.reason.{reason}")
            # reasons of fewer rows grouped in one row, printed even when it is zero (see module doc)
            values[f"{t}.reason.{OTHER}"] = int(counts[counts < threshold].sum())
            parts.append(f"{t}.reason.{OTHER}")
            if int(counts.sum()) == values[f"{t}.rejected"]:
                rels.append(Relation(f"{t}.rejected", tuple(parts)))
        if duplicates is not None:
            part = (duplicates[duplicates["table"] == t].sort_values(["source_file", "sheet"], kind="mergesort")
                    if not duplicates.empty else pd.DataFrame({"source_file": [], "sheet": [], "n": []}))
            big = part[part["n"] >= threshold]
            cells = [dup_cell(t, r.source_file, r.sheet) for r in big.itertuples()]
            values |= {c: int(n) for c, n in zip(cells, big["n"], strict=True)}
            values[f"{t}.dup.{OTHER}"] = int(part.loc[part["n"] < threshold, "n"].sum())
            cells.append(f"{t}.dup.{OTHER}")
            rest = values[f"{t}.kept"] - int(part["n"].sum())
            if rest >= 0:  # nested in the kept rows; the rest is printed nowhere
                values[f"{t}.kept_other"] = rest
                unprinted.append(f"{t}.kept_other")
                rels.append(Relation(f"{t}.kept", (*cells, f"{t}.kept_other")))
    for key, kind in TOTAL_METRICS.items():
        values[key] = sum(values[f"{t}.{kind}"] for t in person_tables)
        rels.append(Relation(key, tuple(f"{t}.{kind}" for t in person_tables)))
    column = {"read": "raw_rows", "kept": "clean_rows", "rejected": "rejected_rows"}
    totals = {key: int(acc[column[kind]].sum()) for key, kind in TOTAL_METRICS.items()}
    # The prose totals are kept when table cells can be hidden instead; else they may be withheld.
    prose = [key for key in TOTAL_METRICS if values[key] >= threshold]
    # a table with no row kept: its chapter says the edition has no such data (« aucune demande du
    # recensement »), so a reader knows the kept count is 0 (fourth review, H1)
    known = {c: (0, 0) for t in person_tables if values[f"{t}.kept"] == 0
             for c in values if c == f"{t}.kept" or c.startswith(f"{t}.dup.") or c == f"{t}.kept_other"}
    protection = protect(values, rels, threshold, fixed=fixed + prose, unprinted=unprinted, known=known)
    if protection.withdrawn or protection.unsafe():
        protection = protect(values, rels, threshold, fixed=fixed, unprinted=unprinted, known=known)
    return QualityPlan(protection, totals)
