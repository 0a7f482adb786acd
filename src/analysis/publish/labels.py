"""Label placement for scatter plots: every point named, no two labels over each other.

:func:`place_labels` tries, for each point (the highest first), positions on
rings of growing distance around it; the first position whose text box (as
matplotlib's renderer measures it) stays inside the axes and touches no
other label, no point and no legend is kept. A label set away from its point
gets a thin leader line. When no position is free, the one with the least
overlap is taken, so that a crowded plot degrades gracefully instead of
piling labels up. :func:`overlapping_texts` is the check the tests run on the
drawn figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: Distances (points) from the marker at which a label is tried, and directions (degrees).
RADII = (5.0, 11.0, 18.0, 26.0, 36.0, 48.0)
ANGLES = (0, 180, 90, 270, 45, 135, 315, 225, 22, 158, 338, 202, 67, 113, 293, 247)


def _align(angle: float) -> tuple[str, str]:
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    ha = "left" if c > 0.3 else "right" if c < -0.3 else "center"
    va = "bottom" if s > 0.3 else "top" if s < -0.3 else "center"
    return ha, va


def _overlap(a, b) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def place_labels(ax, xs: Sequence[float], ys: Sequence[float], texts: Sequence[str], fontsize: float = 7,
                 marker_pt: float = 4.0, pad: float = 1.0) -> list:
    """Write ``texts`` next to the points ``(xs, ys)`` (data coordinates) without overlaps; returns the annotations."""
    from matplotlib.transforms import Bbox

    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    axbox = ax.get_window_extent(renderer)
    scale = fig.dpi / 72.0
    pts = ax.transData.transform(list(zip(xs, ys, strict=True))) if len(xs) else []
    r = marker_pt * scale
    taken = [Bbox.from_extents(px - r, py - r, px + r, py + r) for px, py in pts]
    legend = ax.get_legend()
    if legend is not None:
        taken.append(legend.get_window_extent(renderer))
    order = sorted(range(len(xs)), key=lambda i: -float(ys[i]))
    out = [None] * len(xs)
    for i in order:
        best = None
        for radius in RADII:
            for angle in ANGLES:
                off = (radius * math.cos(math.radians(angle)), radius * math.sin(math.radians(angle)))
                ha, va = _align(angle)
                ann = ax.annotate(texts[i], (xs[i], ys[i]), xytext=off, textcoords="offset points",
                                  fontsize=fontsize, ha=ha, va=va)
                box = ann.get_window_extent(renderer).expanded(1.0, 1.0)
                box = Bbox.from_extents(box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad)
                outside = max(0.0, axbox.x0 - box.x0) + max(0.0, box.x1 - axbox.x1) \
                    + max(0.0, axbox.y0 - box.y0) + max(0.0, box.y1 - axbox.y1)
                cost = sum(_overlap(box, b) for j, b in enumerate(taken) if j != i) + 1e3 * outside
                ann.remove()
                if best is None or cost < best[0]:
                    best = (cost, off, ha, va, box)
                if cost == 0:
                    break
            if best is not None and best[0] == 0:
                break
        _, off, ha, va, box = best
        far = math.hypot(*off) > RADII[0] + 0.5
        out[i] = ax.annotate(texts[i], (xs[i], ys[i]), xytext=off, textcoords="offset points", fontsize=fontsize,
                             ha=ha, va=va,
                             arrowprops={"arrowstyle": "-", "color": "#888888", "lw": 0.5, "shrinkA": 0,
                                         "shrinkB": marker_pt} if far else None)
        taken.append(box)
    return out


def overlapping_texts(fig, min_area: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of visible texts of ``fig`` whose drawn boxes overlap (renderer extents, in pixels).

    An annotation is measured by its text alone (its leader line may cross other labels' surroundings).
    """
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for t in fig.findobj(Text) if t.get_visible() and str(t.get_text()).strip()]
    boxes = [(t.get_text(), Text.get_window_extent(t, renderer)) for t in texts]
    out = []
    for k, (ta, a) in enumerate(boxes):
        for tb, b in boxes[k + 1:]:
            if _overlap(a, b) > min_area:
                out.append((ta, tb))
    return out
