"""The intruder: a reader with every published table, a spreadsheet (here: a linear programme) and the
public commune populations tries to recover a suppressed person count. Every attack must fail.

The attacker is written independently of :mod:`analysis.publish.sdc`: it reads only *published* text
(tables as a reader sees them) and the public structure (which commune is in which quintile and basin,
from the published tables themselves), and solves its own LP.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from analysis import reference
from analysis.analyses import gradient
from analysis.publish import gradient as publish
from analysis.publish.linked import plan_of_gradient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from commune_rows import analysed_gradient  # noqa: E402

T = 5


def parse_count(text: str):
    """A published count cell: an int, or ``"<"`` (primary, 0..T-1) or ``"np"`` (complementary, ≥ T)."""
    t = str(text).replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    if t.startswith("<"):
        return "<"
    if t == "n.p.":
        return "np"
    return int(t)


def attack(cells: dict[str, object], relations: list[tuple[str, list[str]]],
           np_floor: int = T) -> dict[str, tuple[float, float]]:
    """The reader's LP: bounds of every hidden cell given every published cell and relation.

    The reader first assumes that « n.p. » cells are at least T; if the tables contradict it (a
    withdrawn small cell is among them), « n.p. » only means « some count »."""
    hidden = sorted(c for c, v in cells.items() if not isinstance(v, int))
    col = {c: i for i, c in enumerate(hidden)}
    a_rows, b = [], []
    for total, parts in relations:
        a = np.zeros(len(hidden))
        rhs = 0.0
        for c, coef in [(total, -1.0)] + [(p, 1.0) for p in parts]:
            if c in col:
                a[col[c]] += coef
            else:
                rhs -= coef * cells[c]
        if a.any():
            a_rows.append(a)
            b.append(rhs)
    bounds = [(0, T - 1) if cells[c] == "<" else (np_floor, None) for c in hidden]
    out = {}
    for c in hidden:
        obj = np.zeros(len(hidden))
        obj[col[c]] = 1
        kw = dict(A_eq=np.vstack(a_rows) if a_rows else None, b_eq=np.array(b) if b else None, bounds=bounds)
        lo, hi = linprog(obj, **kw), linprog(-obj, **kw)
        if np_floor and (lo.status == 2 or hi.status == 2):
            return attack(cells, relations, np_floor=0)
        assert lo.status in (0, 3) and hi.status in (0, 3), "the published tables are inconsistent"
        out[c] = (lo.fun if lo.status == 0 else -np.inf, -hi.fun if hi.status == 0 else np.inf)
    return out


def reader_view(g, plan=None) -> tuple[dict[str, object], list[tuple[str, list[str]]]]:
    """Everything the reader gets from the gradient tables of one population (published text only)."""
    com = publish.display_communes(g, T, plan)
    qui = publish.display_quintiles(g, T, plan)
    bas = publish.display_basins(g, T, plan)
    cells: dict[str, object] = {}
    rels = []
    for r in com.itertuples(index=False):
        cells[f"c:{r.Commune}"] = parse_count(r.Effectif)
    for r in qui.itertuples(index=False):
        key = f"q:{r.Quintile.split()[0]}"
        cells[key] = parse_count(r.Effectif)
        rels.append((key, [f"c:{n}" for n in r.Communes.split(", ")]))
    for r in bas.itertuples(index=False):
        key = f"b:{r.Bassin}"
        cells[key] = parse_count(r.Effectif)
        rels.append((key, [f"c:{n}" for n in str(r.Communes).split(", ")]))
    return cells, rels


def assert_nothing_recovered(cells, rels):
    ranges = attack(cells, rels)
    assert ranges, "nothing hidden: the test proves nothing"
    narrow = {c: r for c, r in ranges.items() if cells[c] == "<" and r[1] - r[0] < T - 1 - 1e-6}
    assert not narrow, f"suppressed cells recovered or narrowed below {T} values: {narrow}"


def test_the_issue_example_is_protected():
    """Q1 = Anderlecht + Molenbeek + Saint-Josse: 11 + 5 + 2; Q5 = 1. Per-table suppression gave Saint-Josse."""
    g = analysed_gradient().users
    c = g.communes.copy()
    q1 = c.index[c["quintile"] == 1]
    c.loc[q1, "count"] = [11, 5, 2][: len(q1)]
    c.loc[c["quintile"] == 5, "count"] = [1] + [0] * (int((c["quintile"] == 5).sum()) - 1)
    g2 = _with_counts(g, c["count"])
    assert_nothing_recovered(*reader_view(g2))


def _with_counts(g, counts: pd.Series):
    """The same population with other commune counts (rates, quintiles, basins recomputed)."""
    frame = g.communes.drop(columns=["count", "rate", "ci_low", "ci_high"])
    rows = pd.DataFrame({"commune_nis": np.repeat(counts.index.to_numpy(), counts.to_numpy().astype(int))})
    rows["residence"] = "bruxelles"
    communes = gradient.commune_rates(gradient.count_by_commune(rows, frame.index), frame)
    from dataclasses import replace
    return replace(g, communes=communes, quintiles=gradient.quintile_rates(communes["count"], frame),
                   basins=gradient.basin_rates(rows, frame), excluded={}, n=int(counts.sum()))


@pytest.mark.parametrize("seed", range(4))
def test_generated_periods_with_many_small_communes(seed):
    """Generated periods: most communes below the threshold, some zeros, a few large ones."""
    g = analysed_gradient().users
    rng = np.random.default_rng(seed)
    counts = pd.Series(rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40], size=len(g.communes),
                                  p=[.15, .15, .15, .1, .1, .1, .1, .1, .05]), index=g.communes.index)
    g2 = _with_counts(g, counts)
    cells, rels = reader_view(g2)
    assert_nothing_recovered(cells, rels)
    # Back-computing from rates: a hidden count has no published rate or ratio next to it.
    com = publish.display_communes(g2, T)
    rate_col = [c for c in com.columns if c.startswith("Taux")][0]
    for r in com.itertuples(index=False):
        if not isinstance(parse_count(r.Effectif), int):
            assert r[-1].startswith("non publié"), r
    assert rate_col
    qui = publish.display_quintiles(g2, T)
    for _i, r in qui.iterrows():
        if not isinstance(parse_count(r["Effectif"]), int):
            assert r.iloc[-1].startswith("non publié") and r.iloc[-2].startswith("non publié"), r.to_dict()


def _svg(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()


def test_figure_geometry_does_not_encode_hidden_values():
    """Changing a hidden count (same published tables) changes no byte of the quintile, map or scatter SVG."""
    import matplotlib

    matplotlib.rcParams["svg.hashsalt"] = "t"
    g = analysed_gradient().users
    rng = np.random.default_rng(1)
    counts = pd.Series(rng.choice([0, 1, 2, 3, 9, 15, 40], size=len(g.communes)), index=g.communes.index)
    a = _with_counts(g, counts)
    plan = plan_of_gradient("users", a.communes, a.excluded, T)
    hidden = [n for n in a.communes.index if plan.primary(f"users.commune.{n}")]
    # move one unit between two primary communes of the same quintile and basin: every published cell unchanged
    pairs = [(x, y) for x in hidden for y in hidden if x < y
             and a.communes.loc[x, "quintile"] == a.communes.loc[y, "quintile"]
             and a.communes.loc[x, "basin"] == a.communes.loc[y, "basin"]
             and counts[x] < T - 1 and counts[y] > 0]
    if not pairs:  # then change a lone primary commune together with its quintile's other hidden cells
        pytest.skip("no pair of primary communes sharing quintile and basin in this draw")
    x, y = pairs[0]
    counts2 = counts.copy()
    counts2[x] += 1
    counts2[y] -= 1
    b = _with_counts(g, counts2)
    for plot in (publish.plot_quintile_rates, publish.plot_map, publish.plot_rate_vs_income):
        assert _svg(plot(a, T, plan)[0]) == _svg(plot(b, T, plan)[0]), plot.__name__


def test_quintile_bars_of_hidden_cells_are_placeholders():
    g = analysed_gradient().users
    counts = pd.Series(0, index=g.communes.index)
    counts.iloc[: len(counts) // 2] = 9
    counts.iloc[0] = 2
    a = _with_counts(g, counts)
    fig, alt = publish.plot_quintile_rates(a, T)
    ax = fig.axes[0]
    texts = {t.get_text() for t in ax.texts}
    assert texts & {"< 5", "n.p."}, texts
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert hatched and all(abs(p.get_height() - 0.12) < 1e-9 for p in hatched)  # axes fraction, not data


def test_reference_populations_are_public():
    assert len(reference.population(2022)) == 19
