"""Scatter labels never overlap: checked on the drawn figure with matplotlib's renderer extents."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from analysis.publish import gradient as publish  # noqa: E402
from analysis.publish.labels import overlapping_texts, place_labels  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from commune_rows import analysed_gradient  # noqa: E402


@pytest.fixture(scope="module")
def analysed():
    from analysis.publish.figures import set_theme

    set_theme()
    return analysed_gradient()


def test_overlap_detector_sees_overlapping_labels():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "Evere")
    ax.text(0.5, 0.5, "Forest")
    assert ("Evere", "Forest") in overlapping_texts(fig)
    plt.close(fig)


def test_crowded_points_get_separate_labels():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    xs = [1.0, 1.01, 1.02, 1.0, 1.01, 2.0]
    ys = [1.0, 1.0, 1.01, 1.02, 1.02, 2.0]
    names = ["Evere", "Forest", "Jette", "Ganshoren", "Berchem-Sainte-Agathe", "Ixelles"]
    ax.scatter(xs, ys)
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 3)
    anns = place_labels(ax, xs, ys, names)
    assert [a.get_text() for a in anns] == names
    assert overlapping_texts(fig) == []
    plt.close(fig)


@pytest.mark.parametrize("population", ["census", "users"])
def test_commune_scatter_labels_do_not_overlap(analysed, population):
    import matplotlib.pyplot as plt

    fig, _ = publish.plot_rate_vs_income(getattr(analysed, population))
    named = [t.get_text() for t in fig.axes[0].texts]
    assert len(named) >= 3
    assert overlapping_texts(fig) == []
    plt.close(fig)


def test_commune_map_texts_do_not_overlap(analysed):
    import matplotlib.pyplot as plt

    fig, _ = publish.plot_map(analysed.census)
    assert overlapping_texts(fig) == []
    plt.close(fig)


def test_participation_overall_label_clears_the_bars():
    """The « Ensemble » rate sits outside the plot: it once covered the label of a full bar (new period)."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from analysis.publish.activities import plot_participation

    p = pd.DataFrame({"month": [f"2023-0{k}" for k in range(1, 7)], "services_n": [7, 7, 8, 6, 7, 8],
                      "funded_n": [8] * 6})
    p["rate_pct"] = 100 * p["services_n"] / p["funded_n"]
    res = type("Res", (), {"participation": p, "funded": list(range(8))})()
    fig, _ = plot_participation(res)
    assert overlapping_texts(fig) == []
    plt.close(fig)
