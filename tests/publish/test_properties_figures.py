"""Property tests of the shared figure helpers (maps, labels, error bars) on empty, single and degenerate inputs."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from analysis import reference  # noqa: E402
from analysis.publish import figures, labels, maps  # noqa: E402

NIS = reference.communes()["nis_code"].astype(str).tolist()
values = st.one_of(st.just(math.nan), st.just(0.0), st.floats(0, 1e4, allow_nan=False))


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.sampled_from(NIS), values, max_size=19), st.sets(st.sampled_from(NIS), max_size=19),
       st.booleans())
def test_commune_map_with_no_one_or_all_communes_valued_or_hidden(vals, hidden, named):
    s = pd.Series(vals, dtype=float)
    names = dict(zip(NIS, NIS, strict=True)) if named else None
    fig = maps.plot_commune_map(s, "Taux", labels={k: "x" for k in vals}, hidden=hidden, names=names)
    fig.canvas.draw()
    plt.close(fig)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(values, values, values), max_size=20))
def test_error_extents_are_never_negative(triples):
    v = [t[0] for t in triples]
    lo = [t[1] for t in triples]
    hi = [t[2] for t in triples]
    ext = figures.error_extents(v, lo, hi)
    assert ext.shape == (2, len(triples)) and (ext >= 0).all() and np.isfinite(ext).all()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), max_size=25))
def test_point_labels_for_zero_one_or_many_points(points):
    fig, ax = plt.subplots()
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    ax.scatter(xs, ys)
    out = labels.place_labels(ax, xs, ys, [f"c{i}" for i in range(len(points))])
    assert len(out) == len(points)
    plt.close(fig)
