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

*Known* cells: what a reader knows from elsewhere than this edition (another report printed the
share of a commune of the same population and period: ``known = {cell: (lo, hi)}``, the integer
values the printed figure allows). The audit adds these bounds to the LP, so a hidden cell is
protected against a reader who holds them. A known cell pinned to fewer than ``t`` values is never
chosen as a complementary cell (hiding it hides nothing). A small cell whose known bounds alone hold
fewer than ``t`` values was disclosed by the other publication, not by this one: it is printed
« < t » as usual, kept in the LP with its bounds (it may not help recover any other cell), and
recorded as ``published_elsewhere`` rather than unsafe. A small cell whose known bounds are wide
but make « < t » informative (a lower bound ≥ 1: somebody is known to be in it) is printed
« n.p. » from the start (withdrawn) and protected as such: its range, known bounds included, must
hold ``t`` values.

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


def _linprog(*args, **kwargs):
    """:func:`scipy.optimize.linprog`, imported when a table needs it (half a second)."""
    from scipy.optimize import linprog

    return linprog(*args, **kwargs)


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
    #: integer bounds a reader knows from elsewhere (see module doc), and the small cells they pin
    known: dict[str, tuple[float, float]] = field(default_factory=dict)
    disclosed: set[str] = field(default_factory=set)

    @property
    def hidden(self) -> set[str]:
        return (self.primary | self.secondary | self.withdrawn) - self.unprinted

    def is_hidden(self, cell: str) -> bool:
        return cell in self.hidden

    def _small(self, c: str) -> bool:
        """A count below the threshold: primary, or withdrawn and below it."""
        return c in self.primary or (c in self.withdrawn and self.values[c] < self.threshold)

    def unsafe(self) -> list[str]:
        """Small cells whose feasible range is narrower than the threshold.

        Withdrawn cells are included: printing « n.p. » protects a small count only when nothing
        published pins it (cells declared ``fixed`` can: read = kept + set aside with both totals
        printed elsewhere gives the set-aside count whatever the table prints).
        """
        return sorted(c for c, (lo, hi) in self.ranges.items()
                      if self._small(c) and c not in self.disclosed and hi - lo < self.threshold - 1 - 1e-6)

    def records(self) -> list[dict]:
        """One row per hidden cell (internal: holds the exact value) for the run's audit file."""
        def kind(c: str) -> str:
            if c in self.unprinted:
                return "unprinted"
            if c in self.disclosed:
                return "published_elsewhere"
            return "withdrawn" if c in self.withdrawn else "primary" if c in self.primary else "secondary"

        return [{"cell": c, "value": self.values[c], "kind": kind(c),
                 "feasible_min": self.ranges[c][0], "feasible_max": self.ranges[c][1],
                 "protected": not self._small(c) or c in self.disclosed
                 or (self.ranges[c][1] - self.ranges[c][0]) >= self.threshold - 1 - 1e-6}
                | ({"known_min": self.known[c][0], "known_max": self.known[c][1]} if c in self.known else {})
                for c in sorted(self.hidden | (self.unprinted & self.primary))]


def is_primary(value: float, threshold: int) -> bool:
    """A person count that may not be published: ``0 ≤ value < threshold`` (zero included, see module doc)."""
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and float(value) < threshold


def _int_bounds(lo: float, hi: float) -> tuple[float, float]:
    """The integers within ``[lo, hi]``: ``(⌈lo⌉, ⌊hi⌋)``, infinite ends kept."""
    return (math.ceil(lo - 1e-9) if math.isfinite(lo) else lo, math.floor(hi + 1e-9) if math.isfinite(hi) else hi)


def known_width(known: Mapping[str, tuple[float, float]], cell: str) -> float:
    """How many integer values minus one the reader's outside knowledge leaves ``cell`` (inf: none known)."""
    if cell not in known:
        return math.inf
    lo, hi = _int_bounds(*known[cell])
    return hi - lo


def feasible_ranges(values: Mapping[str, float], relations: Iterable[Relation], primary: set[str],
                    secondary: set[str], threshold: int, cells: Iterable[str] | None = None,
                    withdrawn: set[str] = frozenset(), unprinted: set[str] = frozenset(),
                    cache: dict | None = None, stop_below: float | None = None,
                    known: Mapping[str, tuple[float, float]] | None = None) -> dict[str, tuple[float, float]]:
    """The attacker's LP: min and max of each hidden cell given every published value and relation.

    ``values`` is only read for the *published* cells (what the reader sees).
    Primary cells lie in ``[0, t−1]``, complementary ones in ``[t, ∞)``,
    withdrawn ones (not printed at all) and unprinted ones (always unknowns: nothing printed says
    they are small) in ``[0, ∞)``.
    Returns ``{cell: (min, max)}`` (``max`` may be ``inf``).

    Once the published values are substituted, the relations split into independent blocks of hidden
    cells (two hidden cells are linked when a relation holds both); a cell's range depends on its block
    only, so each block is solved on its own (same optimum as the whole LP). ``cache``: a dict kept by
    the caller across calls *with the same values and relations*; a block whose cells and kinds are
    unchanged is not solved again (``known`` must stay the same too). ``known``: bounds the reader
    holds from elsewhere (module doc), intersected with each cell's. ``stop_below``: stop at the first requested cell (in sorted order)
    whose range is narrower than this width (the result then holds the cells up to it). Raises ``ValueError`` when the tables are inconsistent with the
    bounds (as the whole LP would: a block is checked whenever the exact values break its bounds).
    """
    primary = set(primary) - set(withdrawn) - set(unprinted)
    withdrawn = set(withdrawn) | set(unprinted)
    hidden = primary | set(secondary) | withdrawn
    if not hidden:
        return {}
    kind = {c: "p" if c in primary else "w" if c in withdrawn else "s" for c in hidden}
    relations = list(relations)
    blocks, block_rels, root_of = _blocks(hidden, relations, hidden.__contains__)
    cache = {} if cache is None else cache
    lo_b, hi_b = 0, threshold - 1

    known = known or {}

    def bounds_of(c: str) -> tuple[float, float | None]:
        lo, hi = (lo_b, hi_b) if kind[c] == "p" else (0, None) if kind[c] == "w" else (threshold, None)
        if c in known:
            k_lo, k_hi = _int_bounds(*known[c])
            lo = max(lo, k_lo)
            if math.isfinite(k_hi):
                hi = k_hi if hi is None else min(hi, k_hi)
        return lo, hi

    def system(root: str):
        members = blocks[root]
        col = {c: i for i, c in enumerate(members)}
        rows, rhs = [], []
        for rel in block_rels.get(root, []):
            a = np.zeros(len(members))
            b = 0.0
            for cell, coef in [(rel.total, -1.0)] + [(p, 1.0) for p in rel.parts]:
                if cell in col:
                    a[col[cell]] += coef
                else:
                    b -= coef * float(values[cell])
            if np.any(a != 0):
                rows.append(a)
                rhs.append(b)
        a_eq = np.vstack(rows) if rows else None
        b_eq = np.array(rhs) if rows else None
        return col, a_eq, b_eq, [bounds_of(c) for c in members]

    def solved(root: str) -> dict:
        key = frozenset((c, kind[c]) for c in blocks[root])
        entry = cache.get(key)
        if entry is None:
            entry = cache[key] = {}
        return entry

    # consistency: a block whose exact values keep to its bounds is feasible; others are checked
    for root, members in blocks.items():
        if all(bounds_of(c)[0] <= values[c] and (bounds_of(c)[1] is None or values[c] <= bounds_of(c)[1])
               for c in members) and all(bounds_of(c)[1] is None or bounds_of(c)[0] <= bounds_of(c)[1]
                                         for c in members):
            continue
        entry = solved(root)
        if "feasible" not in entry:
            col, a_eq, b_eq, bounds = system(root)
            if any(hi is not None and lo > hi for lo, hi in bounds):
                raise ValueError("relations de publication incohérentes avec les valeurs exactes")
            res = _linprog(np.zeros(len(col)), A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            entry["feasible"] = res.status != 2
        if not entry["feasible"]:
            raise ValueError("relations de publication incohérentes avec les valeurs exactes")
    out = {}
    wanted = sorted(cells) if cells is not None else sorted(hidden)
    built: dict[str, tuple] = {}

    def solve(root: str, obj, capped: Iterable[str] = ()):
        if root not in built:
            built[root] = system(root)
        _col, a_eq, b_eq, bounds = built[root]
        capped = set(capped)
        if capped:  # these unknowns held to [0, t−1]: a smaller feasible set (see below)
            bounds = [(lo, hi_b if hi is None else min(hi, hi_b)) if c in capped else (lo, hi)
                      for c, (lo, hi) in zip(blocks[root], bounds, strict=True)]
        r = _linprog(obj, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if r.status == 2 and not capped:
            raise ValueError("relations de publication incohérentes avec les valeurs exactes")
        return r

    # Certificates. A hidden cell's lower bound is 0 for primary and unprinted cells: a feasible point
    # where it is 0 gives its minimum exactly; a primary cell's upper bound is t−1, so a feasible point
    # where it is t−1 gives its maximum exactly. Minimising (maximising) the sum of the cells still open
    # finds such points for many cells at once; the others get their own LPs below. When the caller
    # only asks whether ranges are wide enough (``stop_below``), a point where an unprinted cell is t−1
    # (found with every unprinted cell held to [0, t−1], a subset of the feasible points) shows that
    # its range is at least [0, t−1]: enough to say it is protected, never stored as its range.
    known_lo: set[str] = set()
    known_hi: set[str] = set()
    wide: set[str] = set()
    by_block: dict[str, list[str]] = {}
    for c in wanted:
        if kind[c] in "pw" and c not in solved(root_of[c]):
            by_block.setdefault(root_of[c], []).append(c)
    for root, small in by_block.items():
        if len(small) < 2:
            continue
        col = built.setdefault(root, system(root))[0]
        up = [c for c in small if kind[c] == "p" or stop_below is not None]
        for sense, pool, found, at in ((1.0, small, known_lo, 0.0), (-1.0, up, known_hi, float(hi_b))):
            for _ in range(3):
                open_ = [c for c in pool if c not in found]
                if len(open_) < 2:
                    break
                obj = np.zeros(len(col))
                obj[[col[c] for c in open_]] = sense
                r = solve(root, obj, capped=[c for c in open_ if kind[c] == "w"] if sense < 0 else ())
                if r.status != 0:
                    break
                got = {c for c in open_ if abs(r.x[col[c]] - at) <= 1e-7}
                if not got:
                    break
                found |= got
        wide |= {c for c in known_hi if kind[c] == "w"} & known_lo
        known_hi -= {c for c in known_hi if kind[c] == "w"}
    for c in wanted:
        root = root_of[c]
        entry = solved(root)
        if c not in entry and c in wide:
            out[c] = (0.0, float(hi_b))  # at least this wide (only asked with stop_below, not stored)
            continue
        if c not in entry:
            if c in known_lo:
                low = 0.0
            else:
                obj = np.zeros(len(blocks[root]))
                obj[blocks[root].index(c)] = 1.0
                lo = solve(root, obj)
                low = float(lo.fun) if lo.status == 0 else -math.inf
            if c in known_hi:
                high = float(hi_b)
            else:
                obj = np.zeros(len(blocks[root]))
                obj[blocks[root].index(c)] = -1.0
                hi = solve(root, obj)
                high = -float(hi.fun) + 0.0 if hi.status == 0 else math.inf
            entry[c] = (low, high)
        out[c] = entry[c]
        if stop_below is not None and out[c][1] - out[c][0] < stop_below:
            break  # the caller wants the first cell narrower than this (in order), not the rest
    return out


def _prune(secondary: set[str], must: set[str], audit, ok, values, added_for: dict[str, str] | None = None
           ) -> set[str]:
    """Clean-up pass: give back every complementary cell whose publication keeps the audit passing
    (largest counts first: they carry the most information). The greedy loop adds cells one at a
    time and can hide more than needed; this removes what turned out unnecessary. ``added_for``: the
    cell each complementary one was hidden for, audited first (usually the one a trial leaves open)."""
    kept = set(secondary)
    for c in sorted(secondary, key=lambda c: (-values[c], c)):
        trial = kept - {c}
        first = (added_for or {}).get(c)
        if first in must and not ok(audit(trial, cells=[first])[first]):
            continue
        ranges = audit(trial, cells=sorted(must), first_bad=True)
        if all(ok(r) for r in ranges.values()):
            kept = trial
    return kept


def _blocks(cells: Iterable[str], relations: list[Relation], linked
            ) -> tuple[dict[str, list[str]], dict[str, list[Relation]], dict[str, str]]:
    """Union-find: ``cells`` joined when one relation holds both (only cells ``linked`` accepts join).

    Returns the blocks ``{root: sorted cells}``, each relation (not the links) filed under the block of
    its first linked cell (``""`` when it has none) and each cell's root.
    """
    parent = {c: c for c in cells}

    def find(c: str) -> str:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for rel in relations:
        hs = [c for c in (rel.total, *rel.parts) if linked(c)]
        for c in hs[1:]:
            a, b = find(hs[0]), find(c)
            if a != b:
                parent[max(a, b)] = min(a, b)
    root_of = {c: find(c) for c in parent}
    groups: dict[str, list[str]] = {}
    for c in sorted(parent):
        groups.setdefault(root_of[c], []).append(c)
    rels: dict[str, list[Relation]] = {}
    for rel in relations:
        h = next((c for c in (rel.total, *rel.parts) if linked(c)), None)
        rels.setdefault(root_of[h] if h is not None else "", []).append(rel)
    return groups, rels, root_of


def _components(cells: Iterable[str], relations: list[Relation], fixed: set[str]
                ) -> list[tuple[list[str], list[Relation]]]:
    """Cells and relations split into independent parts once fixed (always published) cells are constants."""
    groups, rels, _root = _blocks(cells, relations, lambda c: c not in fixed)
    return [(members, rels.get(root, [])) for root, members in sorted(groups.items())]


def protect(values: Mapping[str, float], relations: Iterable[Relation], threshold: int,
            fixed: Iterable[str] = (), optional: Iterable[str] = (), unprinted: Iterable[str] = (),
            max_rounds: int = 500, known: Mapping[str, tuple[float, float]] | None = None) -> Protection:
    """Primary suppression, then complementary suppressions until the LP audit passes.

    ``fixed``: cells published elsewhere regardless (a grand total printed in every
    table), never hidden. A primary cell that no complementary suppression can
    protect is *withdrawn*: printed « n.p. » (``optional`` cells too, such as a breakdown in a
    caption: leaving a category out would tell it apart), so that a reader cannot know it is
    below the threshold; the audit then gives it the bounds ``[0, ∞)``. Since a
    reader cannot tell a withdrawn « n.p. » from a complementary one, the audit's
    ``[t, ∞)`` for complementary cells overstates what a reader knows: it stays
    conservative. ``unprinted``: cells printed nowhere but implied by the relations
    (see the module doc); one that cannot be protected is reported by
    :meth:`Protection.unsafe`. ``known``: ``{cell: (lo, hi)}``, what a reader knows of a cell from
    another publication (module doc: « Known cells »); cells absent from ``values`` are ignored.

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
    known = {c: (float(lo), float(hi)) for c, (lo, hi) in (known or {}).items() if c in values}
    for c, (lo, hi) in known.items():
        if not _int_bounds(lo, hi)[0] <= values[c] <= _int_bounds(lo, hi)[1]:
            raise ValueError(f"valeur connue hors de ses bornes : {c}")
    out = Protection(threshold, values, set(), set(), {}, set(), set(unprinted), dict(known), set())
    for members, rels in _components(values, relations, fixed):
        sub = {c: values[c] for c in members}
        for rel in rels:  # fixed cells of the component's relations: constants
            for c in (rel.total, *rel.parts):
                sub.setdefault(c, values[c])
        p = _protect_component(sub, rels, threshold, fixed & set(sub), optional, unprinted & set(sub), max_rounds,
                               {c: r for c, r in known.items() if c in sub})
        out.primary |= p.primary & set(members)
        out.secondary |= p.secondary
        out.withdrawn |= p.withdrawn
        out.disclosed |= p.disclosed & set(members)
        out.ranges |= {c: r for c, r in p.ranges.items() if c in members}
    return out


def _protect_component(values: dict[str, int], relations: list[Relation], threshold: int, fixed: set[str],
                       optional: set[str], unprinted: set[str], max_rounds: int,
                       known: dict[str, tuple[float, float]] | None = None) -> Protection:
    """:func:`protect` on one independent component."""
    totals = {r.total for r in relations}
    known = known or {}
    primary = {c for c, v in values.items() if is_primary(v, threshold) and not (c in unprinted and v == 0)}
    secondary: set[str] = set()
    # small cells the reader's outside knowledge pins by itself: disclosed elsewhere, not protected here
    disclosed = {c for c in primary if known_width(known, c) < threshold - 1}
    # small cells whose known bounds make « < t » informative (somebody is known to be there): « n.p. »
    guard = {c for c in primary - disclosed - unprinted
             if c in known and (_int_bounds(*known[c])[0] > 0 or _int_bounds(*known[c])[1] < threshold - 1)}
    withdrawn: set[str] = set(guard)
    # a cell the reader pins to fewer than t values is no complement
    pinned = {c for c in values if known_width(known, c) < threshold - 1}
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

    cache: dict = {}  # blocks of hidden cells already solved (same values and relations throughout)
    naive_cache: dict = {}

    def audit(sec: set[str], cells=None, first_bad: bool = False) -> dict[str, tuple[float, float]]:
        """Ranges for the reader who knows withdrawn cells may be small, and — when it is consistent
        with the tables — for the reader who takes every « n.p. » for a count ≥ t; the narrower wins.
        ``first_bad``: the cells in sorted order up to the first unprotected one (enough to find it)."""
        wd = withdrawn
        stop = threshold - 1 - 1e-6 if first_bad else None
        ranges = feasible_ranges(values, relations, primary, sec, threshold, cells=cells, withdrawn=wd,
                                 unprinted=unprinted, cache=cache, stop_below=stop, known=known)
        if wd:
            try:
                naive = feasible_ranges(values, relations, primary - wd, sec | wd, threshold,
                                        cells=[c for c in ranges if c not in wd], unprinted=unprinted,
                                        cache=naive_cache, stop_below=stop, known=known)
            except ValueError:
                naive = {}
            for c, r in naive.items():
                if width(r) < width(ranges[c]):
                    ranges[c] = r
        return ranges

    def must() -> set[str]:
        return ((primary - withdrawn) | guard) - given_up - disclosed

    added_for: dict[str, str] = {}
    for _ in range(max_rounds):
        # only the cells to protect are audited in the loop (the others' ranges are recorded at the end)
        ranges = audit(secondary, cells=sorted(must()), first_bad=True)
        bad = sorted(c for c, r in ranges.items() if c in must() and not ok(r))
        if not bad:
            # withdrawn small cells the pattern protects stay protected through the clean-up
            small_w = sorted({c for c in withdrawn if values[c] < threshold} - given_up - disclosed)
            kept = {c for c, r in audit(secondary, cells=small_w).items() if ok(r)} if small_w else set()
            secondary = _prune(secondary, must() | kept, audit, ok, values, added_for)
            # recorded for every cell the audit file lists (unprinted cells only when sensitive)
            ranges = audit(secondary, cells=sorted(primary | secondary | withdrawn))
            return Protection(threshold, values, primary - withdrawn, secondary, ranges, withdrawn, unprinted,
                              dict(known), disclosed)
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
                        elif d not in fixed and d not in pinned:
                            candidates.append(d)
            frontier = nxt
        if not candidates:
            if target in unprinted or target in guard:
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
        added_for[best] = target
    raise RuntimeError("la suppression complémentaire ne converge pas")
