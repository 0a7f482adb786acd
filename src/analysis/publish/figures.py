"""One seaborn theme for every figure, and deterministic export with alt text.

Palette: Okabe & Ito (2008), distinguishable with the common colour-vision
deficiencies. Figures are written as SVG (web) and PDF (print) with fixed
metadata and SVG ids so that two runs give identical files, and as PNG (a
bitmap readers can download and paste); the alt text and caption go to a JSON
sidecar the report reads.

The theme is seaborn's ``set_theme(context="notebook", style="whitegrid")`` with the
palette above, written out as the matplotlib settings it makes (:data:`SEABORN_THEME`,
checked against seaborn by the tests): importing seaborn costs every notebook about a
second (it imports scipy.stats), for settings only.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from cycler import cycler  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.ticker import Formatter, FuncFormatter  # noqa: E402

from analysis.publish.fmt import fmt_number  # noqa: E402

OKABE_ITO = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
]

FORMATS = ("svg", "pdf", "png")
#: Resolution of the PNG export (the SVG and PDF are vector).
PNG_DPI = 200


#: What ``seaborn.set_theme(context="notebook", style="whitegrid", palette=OKABE_ITO,
#: font="DejaVu Sans")`` sets (its ``plotting_context``, ``axes_style`` and colour cycle),
#: except the default colour map (seaborn's « rocket », which exists only once seaborn is
#: imported; no figure uses a default colour map).
SEABORN_THEME = {
    "axes.axisbelow": True,
    "axes.edgecolor": ".8",
    "axes.facecolor": "white",
    "axes.grid": True,
    "axes.labelcolor": ".15",
    "axes.labelsize": 12,
    "axes.linewidth": 1.25,
    "axes.prop_cycle": cycler("color", [to_rgb(c) for c in OKABE_ITO]),
    "axes.spines.bottom": True,
    "axes.spines.left": True,
    "axes.spines.right": True,
    "axes.spines.top": True,
    "axes.titlesize": 12,
    "figure.facecolor": "white",
    "font.family": "DejaVu Sans",
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "font.size": 12,
    "grid.color": ".8",
    "grid.linestyle": "-",
    "grid.linewidth": 1,
    "legend.fontsize": 11,
    "legend.title_fontsize": 12,
    "lines.linewidth": 1.5,
    "lines.markersize": 6,
    "lines.solid_capstyle": "round",
    "patch.edgecolor": "w",
    "patch.force_edgecolor": True,
    "patch.linewidth": 1,
    "text.color": ".15",
    "xtick.bottom": False,
    "xtick.color": ".15",
    "xtick.direction": "out",
    "xtick.labelsize": 11,
    "xtick.major.size": 6,
    "xtick.major.width": 1.25,
    "xtick.minor.size": 4,
    "xtick.minor.width": 1,
    "xtick.top": False,
    "ytick.color": ".15",
    "ytick.direction": "out",
    "ytick.labelsize": 11,
    "ytick.left": False,
    "ytick.major.size": 6,
    "ytick.major.width": 1.25,
    "ytick.minor.size": 4,
    "ytick.minor.width": 1,
    "ytick.right": False,
}

#: The project's settings on top of the seaborn theme.
PROJECT_THEME = {
    "svg.hashsalt": "prr-report",
    "svg.fonttype": "path",
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    "axes.titleweight": "bold",
    "axes.titlesize": 12,
    "axes.labelsize": 10,
    "figure.figsize": (7.5, 4.2),
}


def set_theme() -> None:
    """Apply the project's theme (call once per notebook)."""
    plt.rcParams.update(SEABORN_THEME)
    plt.rcParams.update(PROJECT_THEME)


def error_extents(value, low, high):
    """Error-bar lengths ``[value - low, high - value]`` for matplotlib, never negative.

    An interval computed apart from its point estimate (a Wilson bound of a 0 % or
    100 % share, an odds ratio's bounds) can fall a rounding error on the wrong side
    of it; matplotlib refuses negative ``xerr``/``yerr``, and a missing bound draws no bar.
    """
    import numpy as np

    v, lo, hi = (np.asarray(x, dtype=float) for x in (value, low, high))
    below = np.nan_to_num(np.clip(v - lo, 0.0, None), nan=0.0)
    above = np.nan_to_num(np.clip(hi - v, 0.0, None), nan=0.0)
    return np.vstack([np.atleast_1d(below), np.atleast_1d(above)])


def as_printed(values, decimals: int):
    """The values as a table prints them (:func:`analysis.publish.fmt.fmt_number`'s rounding), NaN kept:
    a figure draws these, never the exact values (its geometry would carry more than the page prints)."""
    import numpy as np

    def one(v):
        v = float(v)
        return float(f"{v:.{decimals}f}") if np.isfinite(v) else v

    if np.ndim(values) == 0:
        return one(values)
    out = np.array([one(v) for v in np.asarray(values, dtype=float).ravel()]).reshape(np.shape(values))
    if hasattr(values, "index"):
        import pandas as pd

        return pd.Series(out, index=values.index, name=getattr(values, "name", None))
    return out


def fr_formatter(decimals: int = 0, suffix: str = "") -> FuncFormatter:
    """Axis tick formatter with French decimals and thousands (``1 234,5``)."""
    return FuncFormatter(lambda x, _pos: fmt_number(x, decimals) + suffix)


def tick_decimals(locs, max_decimals: int = 4) -> int:
    """The fewest decimals that print every tick value exactly (0,25 needs 2: never « 0,2 » for 0,25)."""
    import math

    vals = [float(v) for v in locs if math.isfinite(float(v))]
    for d in range(max_decimals + 1):
        if all(abs(v - round(v, d)) < 1e-9 * max(1.0, abs(v)) for v in vals):
            return d
    return max_decimals


class _FrTickFormatter(Formatter):
    """French tick labels with as many decimals as the ticks need, the same for every tick."""

    decimals: int | None = None

    def format_ticks(self, values):
        self.decimals = tick_decimals(values)
        return [self(v, i) for i, v in enumerate(values)]

    def __call__(self, x, pos=None):
        return fmt_number(x, self.decimals if self.decimals is not None else tick_decimals([x]))


def fr_tick_formatter(axis=None) -> Formatter:
    """Axis tick formatter with French decimals chosen from the tick spacing (``0,25 / 0,5 / 0,75``)."""
    return _FrTickFormatter()


def save_figure(fig, name: str, figures_dir: Path, alt: str, caption: str) -> dict[str, str]:
    """Save ``fig`` as ``<name>.svg``, ``<name>.pdf`` and ``<name>.png`` plus ``<name>.json`` (alt, caption).

    Returns the sidecar's content. Metadata that would change between runs
    (creation date, software version) is blanked.
    """
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    # the tight bounding box (« savefig.bbox: tight ») measured once, not again for every format
    bbox = _tight_bbox(fig)
    for ext in FORMATS:
        extra = {}
        if ext == "svg":
            meta = {"Date": None, "Creator": None}
        elif ext == "pdf":
            meta = {"CreationDate": None, "ModDate": None, "Creator": "prr-report"}
        else:
            meta, extra = {"Software": None}, {"dpi": PNG_DPI}
        if bbox is not None:
            extra["bbox_inches"] = bbox
        fig.savefig(figures_dir / f"{name}.{ext}", format=ext, metadata=meta, **extra)
    info = {"name": name, "alt": alt, "caption": caption}
    (figures_dir / f"{name}.json").write_text(
        json.dumps(info, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    plt.close(fig)
    return info


def _tight_bbox(fig):
    """The figure's tight bounding box in inches, padded as ``savefig`` pads it (None unless the
    theme asks for a tight box): what ``savefig(bbox_inches="tight")`` draws the figure to find,
    measured as the SVG and PDF backends measure text (72 dpi, no hinting)."""
    from contextlib import nullcontext
    from functools import partial

    from matplotlib.backend_bases import _get_renderer
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    if plt.rcParams["savefig.bbox"] != "tight":
        return None
    canvas = fig.canvas
    renderer = _get_renderer(fig, partial(FigureCanvasSVG(fig).print_svg))
    fig.set_canvas(canvas)  # the SVG canvas only measured
    with getattr(renderer, "_draw_disabled", nullcontext)():
        fig.draw(renderer)
    return fig.get_tightbbox(renderer).padded(plt.rcParams["savefig.pad_inches"])


#: Face and hatch of a withheld value's placeholder (no data height, no data colour).
HIDDEN_FACE = "#eeeeee"
HIDDEN_EDGE = "#888888"


def hidden_bar(ax, pos: float, text: str, width: float = 0.8, horizontal: bool = False, extent: float = 0.12):
    """Draw a withheld bar as a hatched placeholder labelled ``text`` (« < 5 », « n.p. »).

    Its length is a fixed fraction ``extent`` of the axes (axes coordinates, not
    data), so the figure's geometry encodes nothing about the hidden value.
    """
    from matplotlib.patches import Rectangle
    from matplotlib.transforms import blended_transform_factory

    if horizontal:
        tr = blended_transform_factory(ax.transAxes, ax.transData)
        rect = Rectangle((0, pos - width / 2), extent, width, transform=tr, facecolor=HIDDEN_FACE,
                         edgecolor=HIDDEN_EDGE, hatch="///", linewidth=0.6)
        ax.add_patch(rect)
        ax.text(extent + 0.01, pos, text, transform=tr, va="center", ha="left", fontsize=8, color="#444444")
    else:
        tr = blended_transform_factory(ax.transData, ax.transAxes)
        rect = Rectangle((pos - width / 2, 0), width, extent, transform=tr, facecolor=HIDDEN_FACE,
                         edgecolor=HIDDEN_EDGE, hatch="///", linewidth=0.6)
        ax.add_patch(rect)
        ax.text(pos, extent + 0.01, text, transform=tr, va="bottom", ha="center", fontsize=8, color="#444444")
    return rect
