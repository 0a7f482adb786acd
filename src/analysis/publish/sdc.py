"""Secondary cell suppression across linked tables, with a linear-programming audit.

The report publishes several tables that share cells: persons per commune (two
chapters), per income quintile, per basin, the totals, the people left out of
the rates. A reader holding them all, with a spreadsheet, can difference them
(quintile total minus its visible communes) or solve them together. Per-table
suppression does not stop that; this module protects the tables *together*.

Model (Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, ch. 4:
« secondary cell suppression » and the « audit » of a suppression pattern):

- every published person count is a *cell* (an identifier and its exact value);
- the tables are a set of published linear *relations* ``total = part₁ + … + partₖ``
  between cells (a quintile is the sum of its communes, the total the sum of
  everything...);
- *primary* cells are the counts below the threshold ``t``; **zero included**:
  a count of 0 is published as « < t » like 1 to 4, because if zeros were shown a
  reader would know that every « < t » cell is at least 1 (and, e.g., that two
  hidden cells summing to 2 are both 1); « < t » then means « 0 to t−1 »,
  ``t`` possible values;
- *complementary* (secondary) cells are published counts hidden so that the primary
  ones cannot be found; the reader knows they are at least ``t`` (they are shown
  as « n.p. », not « < t »).

The audit (the attacker's computation): for each hidden cell, minimise and
maximise it by linear programming (HiGHS through :func:`scipy.optimize.linprog`)
subject to every relation with the published values substituted, primary cells in
``[0, t−1]`` and complementary cells in ``[t, ∞)``. A cell is *protected* when
its feasible range holds at least ``t`` integer values (``max − min ≥ t − 1``):
for a primary cell that is the whole ``[0, t−1]``, i.e. the published tables
tell a reader nothing beyond « fewer than t ». The requirement bears on the
primary (sensitive) cells, as in tau-ARGUS; a complementary cell is a count of
at least ``t`` that could have been published, and its range is recorded only.

*Unprinted* cells: a count printed nowhere but implied by the published relations — the
complement of a nested count (« réorientations pour une autre raison » = réorientations −
réorientations contraintes), the demands of a group missing from a breakdown (wave total −
Σ publics). A nested relation ``child ≤ parent`` is written ``parent = child + rest`` with the
rest unprinted. Such a cell is always an unknown of the audit (bounds ``[0, ∞)``, or ``[0, t−1]``
(nothing printed tells the reader it is small); it is protected like a primary cell when it is
between 1 and t−1 (a zero printed nowhere reveals nobody), and is never chosen as a complementary cell (hiding what is not printed changes
nothing).

The relations split into independent components once the cells published regardless (``fixed``:
grand totals) are substituted; each component is protected on its own (the LP decomposes, so
this changes no range, only the time taken).

Complementary suppression: while some cell is unprotected, hide one more cell
chosen among the published cells of the relations around it (nearest relations
first), preferring one that makes it protected and, among those, the smallest
count (least information lost) that is not a total. This is the greedy
« hypercube »-style heuristic of tau-ARGUS (Repsilber; Giessing) checked by the
exact LP audit above, not the optimal (minimum-loss MILP) pattern: it may hide
a little more than necessary, never less than needed, since the loop stops only
when the audit passes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Relation:
    """A published linear relation ``total = sum(parts)``."""

    total: str
    parts: tuple[str, ...]


@dataclass
class Protection:
    """The decision on a set of linked cells: which to hide, and the audit's ranges."""

    threshold: int
    values: dict[str, int]
    primary: set[str]
    secondary: set[str]
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    withdrawn: set[str] = field(default_factory=set)
    #: cells printed nowhere, implied by the relations (complements of nested counts; see module doc)
    unprinted: set[str] = field(default_factory=set)

    @property
    def hidden(self) -> set[str]:
        return (self.primary | self.secondary | self.withdrawn) - self.unprinted

    def is_hidden(self, cell: str) -> bool:
        return cell in self.hidden

    def unsafe(self) -> list[str]:
        """Primary cells whose feasible range is narrower than the threshold (none after :func:`protect`)."""
        return sorted(c for c, (lo, hi) in self.ranges.items()
                      if c in self.primary and c not in self.withdrawn and hi - lo < self.threshold - 1 - 1e-6)

    def records(self) -> list[dict]:
        """One row per hidden cell (internal: holds the exact value) for the run's audit file."""
        def kind(c: str) -> str:
            if c in self.unprinted:
                return "unprinted"
            return "withdrawn" if c in self.withdrawn else "primary" if c in self.primary else "secondary"

        return [{"cell": c, "value": self.values[c], "kind": kind(c),
                 "feasible_min": self.ranges[c][0], "feasible_max": self.ranges[c][1],
                 "protected": c not in self.primary
                 or (self.ranges[c][1] - self.ranges[c][0]) >= self.threshold - 1 - 1e-6}
                for c in sorted(self.hidden | (self.unprinted & self.primary))]


def is_primary(value: float, threshold: int) -> bool:
    """A person count that may not be published: ``0 ≤ value < threshold`` (zero included, see module doc)."""
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and float(value) < threshold


def feasible_ranges(values: Mapping[str, float], relations: Iterable[Relation], primary: set[str],
                    secondary: set[str], threshold: int, cells: Iterable[str] | None = None,
                    withdrawn: set[str] = frozenset(), unprinted: set[str] = frozenset()
                    ) -> dict[str, tuple[float, float]]:
    """The attacker's LP: min and max of each hidden cell given every published value and relation.

    ``values`` is only read for the *published* cells (what the reader sees).
    Primary cells lie in ``[0, t−1]``, complementary ones in ``[t, ∞)``,
    withdrawn ones (not printed at all) and unprinted ones (always unknowns: nothing printed says
    they are small) in ``[0, ∞)``.
    Returns ``{cell: (min, max)}`` (``max`` may be ``inf``).
    """
    primary = set(primary) - set(withdrawn) - set(unprinted)
    withdrawn = set(withdrawn) | set(unprinted)
    hidden = sorted(primary | set(secondary) | withdrawn)
    if not hidden:
        return {}
    col = {c: i for i, c in enumerate(hidden)}
    rows, rhs = [], []
    for rel in relations:
        terms = [(rel.total, -1.0)] + [(p, 1.0) for p in rel.parts]
        a = np.zeros(len(hidden))
        b = 0.0
        for cell, coef in terms:
            if cell in col:
                a[col[cell]] += coef
            else:
                b -= coef * float(values[cell])
        if np.any(a != 0):
            rows.append(a)
            rhs.append(b)
    a_eq = np.vstack(rows) if rows else None
    b_eq = np.array(rhs) if rows else None
    bounds = [(0, threshold - 1) if c in primary else (0, None) if c in withdrawn else (threshold, None)
              for c in hidden]
    from scipy.optimize import linprog  # imported when a table needs it (half a second)

    out = {}
    for c in (sorted(cells) if cells is not None else hidden):
        obj = np.zeros(len(hidden))
        obj[col[c]] = 1.0
        lo = linprog(obj, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        hi = linprog(-obj, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if lo.status == 2 or hi.status == 2:
            raise ValueError("relations de publication incohérentes avec les valeurs exactes")
        low = float(lo.fun) if lo.status == 0 else -math.inf
        high = -float(hi.fun) if hi.status == 0 else math.inf
        out[c] = (low, high)
    return out


def _prune(secondary: set[str], must: set[str], audit, ok, values) -> set[str]:
    """Clean-up pass: give back every complementary cell whose publication keeps the audit passing
    (largest counts first: they carry the most information). The greedy loop adds cells one at a
    time and can hide more than needed; this removes what turned out unnecessary."""
    kept = set(secondary)
    for c in sorted(secondary, key=lambda c: (-values[c], c)):
        trial = kept - {c}
        # cell by cell, stopping at the first one the trial leaves unprotected
        if all(ok(audit(trial, cells=[d])[d]) for d in sorted(must)):
            kept = trial
    return kept


def _components(cells: Iterable[str], relations: list[Relation], fixed: set[str]) -> list[tuple[list[str], list[Relation]]]:
    """Cells and relations split into independent parts once fixed (always published) cells are constants."""
    parent = {c: c for c in cells}

    def find(c: str) -> str:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for rel in relations:
        free = [c for c in (rel.total, *rel.parts) if c not in fixed]
        for c in free[1:]:
            a, b = find(free[0]), find(c)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for c in sorted(parent):
        groups.setdefault(find(c), []).append(c)
    rels: dict[str, list[Relation]] = {}
    for rel in relations:
        free = [c for c in (rel.total, *rel.parts) if c not in fixed]
        rels.setdefault(find(free[0]) if free else "", []).append(rel)
    out = []
    for root, members in sorted(groups.items()):
        out.append((members, rels.get(root, [])))
    return out


def protect(values: Mapping[str, float], relations: Iterable[Relation], threshold: int,
            fixed: Iterable[str] = (), optional: Iterable[str] = (), unprinted: Iterable[str] = (),
            max_rounds: int = 500) -> Protection:
    """Primary suppression, then complementary suppressions until the LP audit passes.

    ``fixed``: cells published elsewhere regardless (a grand total printed in every
    table), never hidden. A primary cell that no complementary suppression can
    protect is *withdrawn*: printed « n.p. » (or, for ``optional`` cells such as a
    breakdown in a caption, not printed at all), so that a reader cannot know it is
    below the threshold; the audit then gives it the bounds ``[0, ∞)``. Since a
    reader cannot tell a withdrawn « n.p. » from a complementary one, the audit's
    ``[t, ∞)`` for complementary cells overstates what a reader knows: it stays
    conservative. ``unprinted``: cells printed nowhere but implied by the relations
    (see the module doc); one that cannot be protected is reported by
    :meth:`Protection.unsafe`.

    The problem is solved component by component (:func:`_components`).
    """
    relations = list(relations)
    values = {k: int(round(float(v))) for k, v in values.items()}
    for rel in relations:
        if values[rel.total] != sum(values[p] for p in rel.parts):
            raise ValueError(f"relation fausse : {rel.total} ≠ somme de {', '.join(rel.parts)}")
    fixed, optional, unprinted = set(fixed), set(optional), set(unprinted)
    # a zero printed nowhere is not sensitive: it reveals nobody, and no « < t » cell stands for it
    primary = {c for c, v in values.items() if is_primary(v, threshold) and not (c in unprinted and v == 0)}
    if primary & fixed:
        raise ValueError(f"cellules à publier sous le seuil : {', '.join(sorted(primary & fixed))}")
    if unprinted & fixed:
        raise ValueError(f"cellules non imprimées déclarées publiées : {', '.join(sorted(unprinted & fixed))}")
    out = Protection(threshold, values, set(), set(), {}, set(), set(unprinted))
    for members, rels in _components(values, relations, fixed):
        sub = {c: values[c] for c in members}
        for rel in rels:  # fixed cells of the component's relations: constants
            for c in (rel.total, *rel.parts):
                sub.setdefault(c, values[c])
        p = _protect_component(sub, rels, threshold, fixed & set(sub), optional, unprinted & set(sub), max_rounds)
        out.primary |= p.primary & set(members)
        out.secondary |= p.secondary
        out.withdrawn |= p.withdrawn
        out.ranges |= {c: r for c, r in p.ranges.items() if c in members}
    return out


def _protect_component(values: dict[str, int], relations: list[Relation], threshold: int, fixed: set[str],
                       optional: set[str], unprinted: set[str], max_rounds: int) -> Protection:
    """:func:`protect` on one independent component."""
    totals = {r.total for r in relations}
    primary = {c for c, v in values.items() if is_primary(v, threshold) and not (c in unprinted and v == 0)}
    secondary: set[str] = set()
    withdrawn: set[str] = set()
    given_up: set[str] = set()  # unprinted primary cells nothing more can protect (reported unsafe)
    touching: dict[str, list[Relation]] = {}
    for rel in relations:
        for c in (rel.total, *rel.parts):
            touching.setdefault(c, []).append(rel)

    def width(rng: tuple[float, float]) -> float:
        return rng[1] - rng[0]

    def ok(rng: tuple[float, float]) -> bool:
        return width(rng) >= threshold - 1 - 1e-6

    def cost(c: str) -> tuple:
        return (c in totals, values[c], c)

    def audit(sec: set[str], cells=None) -> dict[str, tuple[float, float]]:
        """Ranges for the reader who knows withdrawn cells may be small, and — when it is consistent
        with the tables — for the reader who takes every « n.p. » for a count ≥ t; the narrower wins."""
        wd = withdrawn
        ranges = feasible_ranges(values, relations, primary, sec, threshold, cells=cells, withdrawn=wd,
                                 unprinted=unprinted)
        if wd:
            try:
                naive = feasible_ranges(values, relations, primary - wd, sec | wd, threshold,
                                        cells=[c for c in ranges if c not in wd], unprinted=unprinted)
            except ValueError:
                naive = {}
            for c, r in naive.items():
                if width(r) < width(ranges[c]):
                    ranges[c] = r
        return ranges

    def must() -> set[str]:
        return primary - withdrawn - given_up

    for _ in range(max_rounds):
        # only the cells to protect are audited in the loop (the others' ranges are recorded at the end)
        ranges = audit(secondary, cells=sorted(must()))
        bad = sorted(c for c, r in ranges.items() if c in must() and not ok(r))
        if not bad:
            secondary = _prune(secondary, must(), audit, ok, values)
            ranges = audit(secondary)
            return Protection(threshold, values, primary - withdrawn, secondary, ranges, withdrawn, unprinted)
        target = bad[0]
        hidden = primary | secondary | withdrawn | unprinted
        # Published cells of the relations around the target, nearest relations first.
        seen_cells, frontier, candidates = {target}, [target], []
        while frontier and not candidates:
            nxt = []
            for c in frontier:
                for rel in touching.get(c, []):
                    for d in (rel.total, *rel.parts):
                        if d in seen_cells:
                            continue
                        seen_cells.add(d)
                        if d in hidden:
                            nxt.append(d)
                        elif d not in fixed:
                            candidates.append(d)
            frontier = nxt
        if not candidates:
            if target in unprinted:
                given_up.add(target)
                continue
            # Nothing left to hide around it: the secondary cells' known lower bound (≥ t) is what
            # narrows it. Withdraw it: printed « n.p. » like a complementary cell, so that a reader
            # cannot tell it from one (for the audit: any value ≥ 0, which is all a reader knows).
            withdrawn.add(target)
            continue
        # The candidate that protects the target, else the one that widens its range most; cheapest first.
        best, best_width = None, -1.0
        for d in sorted(set(candidates), key=cost)[:25]:
            rng = audit(secondary | {d}, cells=[target])[target]
            if ok(rng):
                best = d
                break
            if width(rng) > best_width + 1e-9:
                best, best_width = d, width(rng)
        secondary.add(best)
    raise RuntimeError("la suppression complémentaire ne converge pas")
