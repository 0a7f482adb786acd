"""The linked person-count tables of a run, protected together (:mod:`analysis.publish.sdc`).

Persons per commune are published three times over: the commune table of the
referrals chapter (19 communes + « hors Région ou commune inconnue »), the
gradient tables (communes, income quintiles, basins, left out of the rates) and
the totals in the prose. For each population (PRR users of the period; SSM census
demands) this module builds the cells and the published relations between them

- ``<pop>.quintile.<k> = Σ communes of quintile k``,
- ``<pop>.basin.<b> = Σ communes of basin b`` (Bruxelles-Ville: « indéterminé »),
- ``<pop>.brussels = Σ 19 communes``,
- ``<pop>.outside = Σ <pop>.excluded.<reason>`` (the referrals chapter's last row),
- ``<pop>.total = <pop>.brussels + <pop>.outside``,

and, for the users, the profile lines printed beside them (referrals and Évolution chapters;
:func:`profile_cells`): each referrer, the first line (Σ its referrers), the second line (Σ the
other known referrers), the known referrers (first + second line: the denominator of the
first-line share), ``users.total = known + unknown (+ not filled in)`` and
``users.total = Σ genders (+ not filled in)``. A share printed from a hidden count gives it back
(share × published denominator): every share, interval and comparison resting on a hidden cell of
the plan is withheld with it.

For an edition on the 2022 report's period, the figures that report printed about the same persons
(shares of three communes and three referrers, of women, the total) are known to the reader: the
plan takes them as known cells (``known``, from :func:`analysis.publish.printed.reader_knowledge`,
i.e. the printed figures file) and chooses the complementary suppressions around them.

The plan decides the suppression pattern once, deterministically, from the clean
rows: the referrals and gradient notebooks compute the same plan, so the same
cell is hidden in both chapters. Grand totals (``<pop>.total``) are kept
published when possible (they appear in the prose).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.analyses.gradient import (
    UNKNOWN_BASIN_FR,
    commune_frame,
    count_by_commune,
    exclusions,
    period_year,
)
from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD
from analysis.publish.sdc import Protection, Relation, protect


@dataclass
class LinkedPlan:
    """The protection of one run's linked commune tables (both populations)."""

    protection: Protection

    def hidden(self, cell: str) -> bool:
        return self.protection.is_hidden(cell)

    def primary(self, cell: str) -> bool:
        return cell in self.protection.primary and cell not in self.protection.withdrawn

    def reason(self, cell: str) -> str | None:
        """``"primary"`` (count below the threshold), ``"secondary"`` (complementary) or ``None``."""
        if cell in self.protection.primary:
            return "primary"
        if cell in self.protection.secondary or cell in self.protection.withdrawn:
            return "secondary"
        return None


def cells_of(pop: str, counts: pd.Series, quintile: pd.Series, basin: pd.Series,
             excluded: dict[str, int]) -> tuple[dict[str, int], list[Relation]]:
    """Cells and relations of one population's commune, quintile, basin and total tables.

    ``counts``, ``quintile`` and ``basin`` are indexed by NIS code; ``excluded`` maps
    ``excluded_<reason>`` to counts. Built in a fixed order so that every caller gets
    the same pattern.
    """
    nis = sorted(str(n) for n in counts.index)
    counts = counts.rename(index=str).reindex(nis).fillna(0).astype(int)
    quintile = quintile.rename(index=str).reindex(nis)
    area = basin.rename(index=str).reindex(nis).fillna(UNKNOWN_BASIN_FR)
    values: dict[str, int] = {f"{pop}.commune.{n}": int(counts[n]) for n in nis}
    rels: list[Relation] = []
    for k in sorted(set(int(q) for q in quintile)):
        members = [n for n in nis if int(quintile[n]) == k]
        values[f"{pop}.quintile.{k}"] = int(counts[members].sum())
        rels.append(Relation(f"{pop}.quintile.{k}", tuple(f"{pop}.commune.{n}" for n in members)))
    for b in sorted(set(area)):
        members = [n for n in nis if area[n] == b]
        values[f"{pop}.basin.{b}"] = int(counts[members].sum())
        rels.append(Relation(f"{pop}.basin.{b}", tuple(f"{pop}.commune.{n}" for n in members)))
    values[f"{pop}.brussels"] = int(counts.sum())
    rels.append(Relation(f"{pop}.brussels", tuple(f"{pop}.commune.{n}" for n in nis)))
    excl = {k.removeprefix("excluded_"): int(v) for k, v in sorted(excluded.items())}
    for k, v in excl.items():
        values[f"{pop}.excluded.{k}"] = v
    values[f"{pop}.outside"] = int(sum(excl.values()))
    if excl:
        rels.append(Relation(f"{pop}.outside", tuple(f"{pop}.excluded.{k}" for k in excl)))
    values[f"{pop}.total"] = values[f"{pop}.brussels"] + values[f"{pop}.outside"]
    rels.append(Relation(f"{pop}.total", (f"{pop}.brussels", f"{pop}.outside")))
    return values, rels


def profile_cells(pop: str, users: pd.DataFrame, ref_dir: Path | None = None
                  ) -> tuple[dict[str, int], list[Relation]]:
    """Cells and relations of the referrer and gender lines of ``users`` (the rows of the period).

    Cells: ``<pop>.referrer.<code>`` for every reference code (``inconnu`` included) and
    ``<pop>.referrer.non_renseigne`` (the referrals table's last row: see
    :func:`analysis.analyses.referrals.share_table`);
    ``<pop>.first_line``, ``<pop>.second_line``, ``<pop>.referrer_known``; ``<pop>.gender.<code>``
    and ``<pop>.gender.non_renseigne``. Codes as in :func:`analysis.analyses.referrals.share_table`.
    """
    from analysis import reference
    from analysis.ingest.schema import can_be_missing

    kw = {} if ref_dir is None else {"ref_dir": ref_dir}
    refs = reference.table("referrers", **kw).sort_values("order")
    first = [str(c) for c in refs.loc[refs["first_line"].astype(str).str.lower() == "true", "code"]]
    codes = [str(c) for c in refs["code"]]
    values: dict[str, int] = {}
    rels: list[Relation] = []
    total = f"{pop}.total"

    def line(measure: str, column: str, line_codes: list[str]) -> list[str]:
        v = users[column].astype("string")
        cells = []
        for code in line_codes:
            values[f"{pop}.{measure}.{code}"] = int((v == code).fillna(False).sum())
            cells.append(f"{pop}.{measure}.{code}")
        missing = len(users) - sum(values[c] for c in cells)
        # as in the referrals chapter's tables: listed even when zero if the column may be empty
        if missing or (len(users) and can_be_missing("users", column)):
            values[f"{pop}.{measure}.non_renseigne"] = missing
            cells.append(f"{pop}.{measure}.non_renseigne")
        return cells

    cells = line("referrer", "referrer", codes)
    second = [c for c in codes if c not in first and c != "inconnu"]
    values[f"{pop}.first_line"] = sum(values[f"{pop}.referrer.{c}"] for c in first)
    values[f"{pop}.second_line"] = sum(values[f"{pop}.referrer.{c}"] for c in second)
    values[f"{pop}.referrer_known"] = values[f"{pop}.first_line"] + values[f"{pop}.second_line"]
    rels += [Relation(f"{pop}.first_line", tuple(f"{pop}.referrer.{c}" for c in first)),
             Relation(f"{pop}.second_line", tuple(f"{pop}.referrer.{c}" for c in second)),
             Relation(f"{pop}.referrer_known", (f"{pop}.first_line", f"{pop}.second_line")),
             Relation(total, (f"{pop}.referrer_known",) + tuple(
                 c for c in cells if c.rsplit(".", 1)[1] in ("inconnu", "non_renseigne")))]
    genders = line("gender", "gender", [str(c) for c in reference.codes("genders", **kw)])
    rels.append(Relation(total, tuple(genders)))
    return values, rels


def plan_cells(values: dict[str, int], rels: list[Relation],
               threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
               known: dict[str, tuple[float, float]] | None = None) -> LinkedPlan:
    """Protect linked cells: grand totals stay published (they are printed in every table of the
    population), the breakdown of people left out of the rates may be withdrawn. ``known``: bounds a
    reader holds from another publication (:mod:`analysis.publish.printed`); those the exact values
    break are left out (:func:`analysis.publish.printed.consistent`)."""
    from analysis.publish.printed import consistent

    known = consistent(known or {}, values)
    if values.get(next((c for c in values if c.endswith(".total")), ""), threshold) < threshold:
        # A population smaller than the threshold: nothing of it is published.
        return LinkedPlan(protect(values, rels, threshold, optional=list(values), known=known))
    return LinkedPlan(protect(values, rels, threshold, fixed=[c for c in values if c.endswith(".total")],
                              optional=[c for c in values if ".excluded." in c], known=known))


def plan_of_gradient(pop: str, communes: pd.DataFrame, excluded: dict[str, int],
                     threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                     known: dict[str, tuple[float, float]] | None = None) -> LinkedPlan:
    """The plan of one population from its gradient commune table (``count``, ``quintile``, ``basin``).

    The chapter's tables, figures, prose and withheld metrics each ask for it: the plan of the same
    counts is solved once per process (the key is the whole content of what it rests on)."""
    key = (pop, *(tuple(communes[c].items()) for c in ("count", "quintile", "basin")),
           tuple(sorted(excluded.items())), threshold, tuple(sorted((known or {}).items())))
    plan = _GRADIENT_PLANS.get(key)
    if plan is None:
        if len(_GRADIENT_PLANS) >= 64:
            _GRADIENT_PLANS.clear()
        plan = _GRADIENT_PLANS[key] = plan_cells(
            *cells_of(pop, communes["count"], communes["quintile"], communes["basin"], excluded), threshold, known)
    return plan


#: Plans already solved by :func:`plan_of_gradient` in this process, by content.
_GRADIENT_PLANS: dict[tuple, LinkedPlan] = {}


def _users_frame(start: str, end: str) -> pd.DataFrame:
    """The users' commune frame, chosen as :func:`analysis.analyses.gradient.analyse_gradient` does."""
    from analysis import reference

    year = period_year(start, end)
    inc = reference.income(year)["mean_income_per_return_eur"]
    return commune_frame(reference.population(year), inc)


def users_plan(users: pd.DataFrame, start: str, end: str,
               threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
               known: dict[str, tuple[float, float]] | None = None) -> LinkedPlan:
    """The users' plan from the clean rows of the period: communes, quintiles, basins and totals (the
    referrals and gradient chapters), referrer and gender lines (the referrals and Évolution chapters).
    ``known``: what a reader holds from elsewhere; by default, what the 2022 report printed when the
    period is its own (:func:`analysis.publish.printed.reader_knowledge`), ``{}`` to ignore it."""
    if known is None:
        from analysis.publish.printed import reader_knowledge

        known = reader_knowledge(start, end)
    frame = _users_frame(start, end)
    values, rels = cells_of("users", count_by_commune(users, frame.index), frame["quintile"], frame["basin"],
                            exclusions(users))
    if values["users.total"] != len(users):
        raise ValueError(f"users plan: commune cells sum to {values['users.total']}, not {len(users)} rows")
    pv, pr = profile_cells("users", users)
    return plan_cells(values | pv, rels + pr, threshold, known)


def write_audit(plan: LinkedPlan, out: Path, name: str) -> Path:
    """Write the audit (each hidden cell, exact value, feasible range) to ``<out>/disclosure/`` (internal)."""
    path = Path(out) / "disclosure" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    p = plan.protection
    doc = {"threshold": p.threshold, "rule": "feasible range of every hidden cell holds at least threshold values "
           "(max - min >= threshold - 1); primary cells 0..threshold-1 (zero included), complementary >= threshold; "
           "known_min/known_max: what another publication (the 2022 report) tells a reader; published_elsewhere: "
           "a small cell that publication pins by itself; withdrawn: printed "
           "n.p., any value for the reader; feasible_min/feasible_max: the narrower of two readers' ranges, one "
           "who knows an n.p. may hide a small count and one who takes every n.p. for >= threshold (when the "
           "tables allow it): the second may be wrong, so its range may leave out the exact value",
           "cells": p.records(), "unsafe": p.unsafe()}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True, default=float) + "\n",
                    encoding="utf-8")
    if doc["unsafe"]:
        # names only (no values): the console is read by the team, the audit file holds the detail
        print(f"ATTENTION secret statistique ({name}) : {len(doc['unsafe'])} case(s) sous le seuil restent "
              f"déductibles malgré le masquage : {', '.join(doc['unsafe'])}. Voir {path}.", file=sys.stderr)
    return path



def write_withheld(out: Path, name: str, keys) -> Path:
    """Record metric keys that prose may not show (``<out>/disclosure/withheld-<name>.json``); the report's
    variables read every such file."""
    path = Path(out) / "disclosure" / f"withheld-{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(sorted(set(keys)), indent=1) + "\n", encoding="utf-8")
    return path


def read_withheld(out: Path) -> set[str]:
    """Every metric key withheld by a notebook of the run ``out``."""
    keys: set[str] = set()
    for path in sorted((Path(out) / "disclosure").glob("withheld-*.json")):
        keys |= set(json.loads(path.read_text(encoding="utf-8")))
    return keys
