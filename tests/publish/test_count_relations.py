"""A published number of non-zero cells (« 4 services ont encodé des nouvelles demandes ») is a relation
the reader uses: with the totals it can pin « < 5 » cells (the independent review of 2026-12-05 recovered a
whole column of the evolution chapter this way). These tests play that reader with their own integer
program (scipy's ``milp``, written apart from :mod:`analysis.publish.sdc`): from the printed cells, the
printed totals and the printed number of non-zero cells, each « < 5 » cell must keep all five values
0 … 4 possible, and each « n.p. » cell holding fewer than 5 persons at least 5 possible values.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from analysis.publish.sdc import NonZero, Relation, protect

T = 5
BIG = 10_000


def shown(p, cell: str) -> object:
    """What a reader sees of a cell: its count, ``"<"`` or ``"np"``."""
    if not p.is_hidden(cell):
        return p.values[cell]
    return "<" if cell in p.primary else "np"


def reader(printed: dict, sums: list[tuple[str, list[str]]], nonzero: tuple[list[str], int], np_floor: int):
    """The reader's integer program: hidden cells as unknowns (« < 5 »: 0..4; « n.p. »: ``np_floor``..BIG),
    ``total = Σ parts`` for every printed relation, exactly ``k`` non-zero cells among ``nonzero``.
    Returns ``solve(cell, sense, fix)`` (``None`` when the reader's model is infeasible)."""
    hidden = [c for c, v in printed.items() if not isinstance(v, int)]
    col = {c: i for i, c in enumerate(hidden)}
    cells, k = nonzero
    n, m = len(hidden), len([c for c in cells if c in col])
    rows, lo, hi = [], [], []
    for total, parts in sums:
        a, b = np.zeros(n + m), 0.0
        for c, coef in [(total, -1.0)] + [(q, 1.0) for q in parts]:
            if c in col:
                a[col[c]] += coef
            else:
                b -= coef * printed[c]
        if a.any():
            rows.append(a), lo.append(b), hi.append(b)
    ind = np.zeros(n + m)
    j = 0
    k_left = k - sum(1 for c in cells if c not in col and printed[c] > 0)
    for c in cells:
        if c not in col:
            continue
        a = np.zeros(n + m)
        a[col[c]], a[n + j] = 1, -1
        rows.append(a), lo.append(0), hi.append(np.inf)
        a = np.zeros(n + m)
        a[col[c]], a[n + j] = 1, -BIG
        rows.append(a), lo.append(-np.inf), hi.append(0)
        ind[n + j] = 1
        j += 1
    rows.append(ind), lo.append(k_left), hi.append(k_left)
    lb = [0 if printed[c] == "<" else np_floor for c in hidden] + [0] * m
    ub = [T - 1 if printed[c] == "<" else BIG for c in hidden] + [1] * m

    def solve(cell, sense=1.0, fix=None):
        low, up = list(lb), list(ub)
        if fix is not None:
            low[col[cell]] = up[col[cell]] = fix
        obj = np.zeros(n + m)
        obj[col[cell]] = sense
        r = milp(obj, integrality=np.ones(n + m), bounds=Bounds(low, up),
                 constraints=[LinearConstraint(np.vstack(rows), lo, hi)])
        return r if r.status == 0 else None

    return solve


def attack(p, sums, nonzero, truth):
    """Cells the reader narrows: « < 5 » cells missing one of 0..4, small « n.p. » cells narrower than 5."""
    printed = {c: shown(p, c) for c in truth}
    broken = []
    for floor in (0, T):  # « n.p. » may hide any count; or the reader guesses every « n.p. » is ≥ 5
        solve = reader(printed, sums, nonzero, floor)
        if solve(next(iter(c for c, v in printed.items() if not isinstance(v, int))), 1.0) is None:
            continue  # that guess contradicts the printed tables
        for c, v in printed.items():
            if v == "<":
                if any(solve(c, 1.0, fix=x) is None for x in range(T)):
                    broken.append((c, floor))
            elif v == "np" and truth[c] < T and floor == 0:
                # at least five possible values, counted one by one (« 0 or 20 » is two values)
                low, high = round(solve(c, 1.0).fun), round(-solve(c, -1.0).fun)
                possible = 0
                for x in range(low, high + 1):
                    possible += solve(c, 1.0, fix=x) is not None
                    if possible >= T:
                        break
                if possible < T:
                    broken.append((c, floor))
    return broken


def _table(values: dict[str, int], common: list[str], total_fixed: bool = True):
    svc = {f"svc.{k}": v for k, v in values.items()}
    cells = {"users.all": sum(svc.values()), "users.common": sum(svc[f"svc.{c}"] for c in common), **svc}
    rels = [Relation("users.all", tuple(svc)), Relation("users.common", tuple(f"svc.{c}" for c in common))]
    k = sum(1 for v in svc.values() if v > 0)
    sums = [("users.all", list(svc)), ("users.common", [f"svc.{c}" for c in common])]
    p = protect(cells, rels, T, fixed=["users.all"], counts=[NonZero(tuple(svc), k)])
    return p, cells, sums, (list(svc), k)


def test_the_reviews_column_is_no_longer_recovered():
    """The review's case: 79 demands, 50 in the services of both editions, 4 services encoded, two of them
    printed (15 and 30): the other twelve printed « < 5 » were all 0. Now the column keeps them open."""
    values = {"Etterbeek": 15, "Mobiwest": 30, "Triangle": 14, "Norois": 20}
    values |= {s: 0 for s in ("Chapelle", "Couronne", "Ailleurs", "Dune", "Equipe", "Gres", "Ifisam", "Ligue",
                              "Meridien", "Primavera", "Rezone", "Smes")}
    p, cells, sums, nonzero = _table(values, ["Dune", "Gres", "Meridien", "Mobiwest", "Norois", "Smes"])
    assert not p.unsafe()
    assert attack(p, sums, nonzero, cells) == []
    # the zeros are printed « n.p. » (a « < 5 » there would read « 0 »), and so are the counts beside them
    assert all(shown(p, f"svc.{s}") == "np" for s, v in values.items() if v == 0)
    assert p.ranges["svc.Dune"][1] - p.ranges["svc.Dune"][0] >= T - 1
    # second review (B1): with Etterbeek (15) printed again, Dune, Grès, Méridien, Smes could only be 0 or
    # 20 (and the others 0 or 14): two values each. Each small « n.p. » keeps at least five values now
    assert shown(p, "svc.Etterbeek") == "np"


def test_every_service_encoded_small_counts_are_not_one_to_four():
    """All seven services encoded (k = 7): a « < 5 » cell would mean 1..4, four values. Printed « n.p. »."""
    values = {"Dune": 6, "Gres": 2, "Meridien": 11, "Mobiwest": 10, "Norois": 34, "Passerelle": 3, "Smes": 9}
    p, cells, sums, nonzero = _table(values, ["Dune", "Gres", "Meridien", "Mobiwest", "Norois", "Smes"])
    assert not p.unsafe()
    assert attack(p, sums, nonzero, cells) == []
    assert shown(p, "svc.Gres") == "np" and shown(p, "svc.Passerelle") == "np"


def test_a_count_relation_that_pins_nothing_changes_nothing():
    """Zeros and small counts spread so that the number of encoding services says nothing: « < 5 » stays."""
    values = {"A": 40, "B": 3, "C": 0, "D": 2, "E": 0, "F": 25, "G": 1, "H": 0}
    p, cells, sums, nonzero = _table(values, ["A", "B", "C", "D"])
    assert not p.unsafe()
    assert attack(p, sums, nonzero, cells) == []
    assert shown(p, "svc.C") == "<"


def test_values_between_are_checked_not_only_the_ends():
    """Two « < 5 » cells summing to 4 with exactly one non-zero: each is 0 or 4 (both ends possible, not 1..3)."""
    from analysis.publish.sdc import feasible_ranges

    values = {"t": 14, "a": 4, "b": 0, "c": 10}
    rng = feasible_ranges(values, [Relation("t", ("a", "b", "c"))], {"a", "b"}, set(), T,
                          counts=[NonZero(("a", "b", "c"), 2)])
    assert rng["a"] == (0.0, 1.0) and rng["b"] == (0.0, 1.0)  # two possible values, not five


@pytest.mark.parametrize("seed", range(12))
def test_generated_columns_with_many_small_services(seed):
    """Columns not designed for the method: 5–12 services, most below the threshold, zeros among them."""
    rnd = random.Random(seed)
    n = rnd.randint(5, 12)
    values = {f"S{i}": rnd.choice([0, 0, 1, 2, 3, 4, rnd.randint(5, 40)]) for i in range(n)}
    values["S0"] = max(values["S0"], 5)  # a population of at least the threshold
    common = [s for s in values if rnd.random() < 0.5] or ["S0"]
    p, cells, sums, nonzero = _table(values, common)
    broken = {c for c, _floor in attack(p, sums, nonzero, cells)}
    assert broken <= set(p.unsafe())  # the audit knows every cell the reader narrows
    for c in p.unsafe():  # what the method could not protect is reported, never printed « < 5 »
        assert shown(p, c) != "<"


def _integer_values(p, relations, cell) -> list[int]:
    """The values 0..4 of a « < 5 » cell that an integer reader finds possible (``milp`` feasibility, the
    other hidden cells integers: « < 5 » in 0..4, « n.p. » at least 5)."""
    hidden = sorted(p.hidden)
    col = {c: i for i, c in enumerate(hidden)}
    rows, rhs = [], []
    for rel in relations:
        a, b = np.zeros(len(hidden)), 0.0
        for c, coef in [(rel.total, -1.0)] + [(q, 1.0) for q in rel.parts]:
            if c in col:
                a[col[c]] += coef
            else:
                b -= coef * p.values[c]
        if a.any():
            rows.append(a), rhs.append(b)
    out = []
    for v in range(T):
        lb = [0 if c in p.primary else T for c in hidden]
        ub = [T - 1 if c in p.primary else BIG for c in hidden]
        lb[col[cell]] = ub[col[cell]] = v
        r = milp(np.zeros(len(hidden)), integrality=np.ones(len(hidden)), bounds=Bounds(lb, ub),
                 constraints=[LinearConstraint(np.vstack(rows), rhs, rhs)] if rows else [])
        if r.status == 0:
            out.append(v)
    return out


@pytest.mark.parametrize("seed", range(8))
def test_linear_ranges_hold_every_integer_value(seed):
    """Without a count relation the audit is a linear programme: a range [0, 4] is read as « every value
    0..4 possible ». True for these tables (a commune belongs to one quintile and one basin: the
    relations form a two-way table with margins, whose integer points fill the linear ranges); checked
    here by an integer reader on generated two-way tables with many small cells."""
    rnd = random.Random(100 + seed)
    rows_n, cols_n = rnd.randint(2, 4), rnd.randint(2, 4)
    cell = {(i, j): rnd.choice([0, 1, 2, 3, 4, rnd.randint(5, 30)]) for i in range(rows_n) for j in range(cols_n)}
    values = {f"c{i}{j}": v for (i, j), v in cell.items()}
    rels = []
    for i in range(rows_n):
        values[f"r{i}"] = sum(cell[(i, j)] for j in range(cols_n))
        rels.append(Relation(f"r{i}", tuple(f"c{i}{j}" for j in range(cols_n))))
    for j in range(cols_n):
        values[f"k{j}"] = sum(cell[(i, j)] for i in range(rows_n))
        rels.append(Relation(f"k{j}", tuple(f"c{i}{j}" for i in range(rows_n))))
    values["t"] = sum(cell.values())
    rels.append(Relation("t", tuple(f"r{i}" for i in range(rows_n))))
    p = protect(values, rels, T, fixed=["t"])
    for c in sorted(p.primary - p.withdrawn):
        if c in p.unsafe():
            continue
        assert _integer_values(p, rels, c) == list(range(T)), c
