"""Commune map drawn from the bundled GeoJSON with matplotlib."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import reference
from analysis.publish import maps


def test_geojson_holds_the_19_communes():
    shapes = maps.load_communes()
    assert sorted(shapes) == sorted(reference.communes()["nis_code"])
    for polys in shapes.values():
        for poly in polys:
            ext = poly[0]
            assert ext.shape[1] == 2 and len(ext) >= 4
            assert 4.2 < ext[:, 0].mean() < 4.5 and 50.7 < ext[:, 1].mean() < 50.95
    assert len(shapes["21009"]) == 2  # Ixelles is in two pieces


def test_ring_area_and_centroid_of_a_square():
    square = np.array([[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]], dtype=float)
    area, cx, cy = maps.ring_area_centroid(square)
    assert area == pytest.approx(4) and (cx, cy) == pytest.approx((1, 1))
    assert maps.ring_area_centroid(square[::-1])[0] == pytest.approx(-4)


def test_label_point_lies_inside_the_commune():
    from matplotlib.path import Path

    for polys in maps.load_communes().values():
        x, y = maps.label_point(polys)
        assert any(Path(p[0]).contains_point((x, y)) for p in polys)


def test_map_fills_labels_hidden_and_credit():
    import matplotlib.colors as mcolors

    nis = reference.communes()["nis_code"].tolist()
    values = pd.Series(np.arange(19, dtype=float), index=nis)
    hidden = {nis[0], nis[5]}
    labels = {n: f"v{i}" for i, n in enumerate(nis) if n not in hidden}
    fig = maps.plot_commune_map(values, "Taux", labels=labels, hidden=hidden)
    ax = fig.axes[0]
    patches = {p.get_gid(): p for p in ax.patches}
    assert len(patches) == 19
    grey = mcolors.to_rgba(maps.HIDDEN_COLOUR)
    assert patches[f"commune-{nis[0]}"].get_facecolor() == pytest.approx(grey)
    assert patches[f"commune-{nis[1]}"].get_facecolor() != pytest.approx(grey)
    texts = [t.get_text() for t in ax.texts]
    assert "v0" not in texts and len(texts) == 17 + 1  # labels + credit line
    assert maps.CREDIT in texts
    # two communes with different values get different colours, the larger one brighter in cividis
    c_low = patches[f"commune-{nis[1]}"].get_facecolor()
    c_high = patches[f"commune-{nis[18]}"].get_facecolor()
    assert sum(c_high[:3]) > sum(c_low[:3])


def test_a_single_published_value_gives_a_scale_from_zero():
    """Every commune hidden but three rates of 0 (a census-only new period): no negative rate on the bar."""
    import matplotlib.pyplot as plt

    nis = reference.communes()["nis_code"].tolist()
    values = pd.Series(0.0, index=nis)
    fig = maps.plot_commune_map(values, "Taux", hidden=set(nis[3:]))
    bar = fig.axes[-1]
    low, high = sorted(bar.get_ylim())
    assert low == 0.0 and high > 0.0
    plt.close(fig)
