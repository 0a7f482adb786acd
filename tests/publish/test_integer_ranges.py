"""The audit is a linear programme: a feasible range [0, 4] is read as « every value 0..4 possible ».
An integer reader (scipy's ``milp``, written apart from :mod:`analysis.publish.sdc`) checks that this
holds on generated linked tables with many small cells.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from analysis.publish.sdc import Relation, protect

T = 5
BIG = 10_000


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
    """The audit is a linear programme: a range [0, 4] is read as « every value
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
