"""Choropleth map of the 19 Brussels communes, drawn with matplotlib alone.

Boundaries come from ``data/reference/communes.geojson`` (bmesuere/belgium-
topojson, after GADM), parsed with :mod:`json`: no geopandas needed. Polygons
and multipolygons are drawn as compound paths (holes kept). Coordinates are
longitude/latitude; the axes' aspect ratio is set to ``1 / cos(latitude)`` so
that the map is not stretched.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.config import REFERENCE_DIR

GEOJSON_PATH = REFERENCE_DIR / "communes.geojson"
CREDIT = "Limites communales : GADM (version belgium-topojson)"
#: Fill of communes whose value is not published (too few persons).
HIDDEN_COLOUR = "#d9d9d9"

Rings = list[np.ndarray]  # first ring: exterior; the others: holes


@cache
def _load(path: str) -> dict[str, tuple[tuple[np.ndarray, ...], ...]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    shapes: dict[str, tuple[tuple[np.ndarray, ...], ...]] = {}
    for feat in data["features"]:
        geom = feat["geometry"]
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        if geom["type"] not in ("Polygon", "MultiPolygon"):
            raise ValueError(f"géométrie non prise en charge : {geom['type']}")
        shapes[str(feat["properties"]["nis"])] = tuple(
            tuple(np.asarray(ring, dtype=float)[:, :2] for ring in poly) for poly in polys
        )
    return shapes


def load_communes(path: Path = GEOJSON_PATH) -> dict[str, list[Rings]]:
    """``{nis_code: [polygon, ...]}``, each polygon a list of rings (``(n, 2)`` lon/lat arrays)."""
    return {nis: [list(poly) for poly in polys] for nis, polys in _load(str(path)).items()}


def ring_area_centroid(ring: np.ndarray) -> tuple[float, float, float]:
    """Signed area and centroid of a closed ring (shoelace formula)."""
    x, y = ring[:, 0], ring[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    area = cross.sum() / 2
    if area == 0:
        return 0.0, float(x.mean()), float(y.mean())
    return float(area), float(((x + x1) * cross).sum() / (6 * area)), float(((y + y1) * cross).sum() / (6 * area))


def label_point(polygons: list[Rings], grid: int = 60) -> tuple[float, float]:
    """Where to write a commune's label: inside its largest polygon, as far as possible from its edge.

    The centroid is used when it lies inside the polygon and not too close to
    the edge; otherwise (a concave commune such as Bruxelles-Ville, whose
    centroid falls outside it) the grid point farthest from the boundary is
    taken (an approximate pole of inaccessibility, deterministic).
    """
    from matplotlib.path import Path as MPath

    poly = max(polygons, key=lambda p: abs(ring_area_centroid(p[0])[0]))
    ext = poly[0]
    kx = math.cos(math.radians(float(ext[:, 1].mean())))
    path = MPath(ext)

    def clearance(pts: np.ndarray) -> np.ndarray:
        d = (pts[:, None, 0] - ext[None, :, 0]) * kx, pts[:, None, 1] - ext[None, :, 1]
        return np.sqrt(d[0] ** 2 + d[1] ** 2).min(axis=1)

    (x0, y0), (x1, y1) = ext.min(axis=0), ext.max(axis=0)
    gx, gy = np.meshgrid(np.linspace(x0, x1, grid), np.linspace(y0, y1, grid))
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    pts = pts[path.contains_points(pts)]
    _, cx, cy = ring_area_centroid(ext)
    if not len(pts):
        return cx, cy
    clear = clearance(pts)
    best = pts[int(np.argmax(clear))]
    centre = np.array([[cx, cy]])
    if path.contains_point((cx, cy)) and clearance(centre)[0] >= 0.5 * clear.max():
        return cx, cy
    return float(best[0]), float(best[1])


def _path(polygons: list[Rings]):
    from matplotlib.path import Path as MPath

    verts, codes = [], []
    for poly in polygons:
        for ring in poly:
            verts.extend(ring.tolist())
            codes.extend([MPath.MOVETO] + [MPath.LINETO] * (len(ring) - 2) + [MPath.CLOSEPOLY])
    return MPath(verts, codes)


def plot_commune_map(
    values: pd.Series,
    legend_label: str,
    labels: Mapping[str, str] | None = None,
    hidden: set[str] | frozenset[str] = frozenset(),
    hidden_label: str = "Non publié",
    cmap: str = "cividis",
    credit: str = CREDIT,
    geojson: Path = GEOJSON_PATH,
    decimals: int = 1,
    names: Mapping[str, str] | None = None,
    ax=None,
):
    """Draw the communes filled by ``values`` (indexed by NIS code) and return the figure.

    ``labels`` are written at each commune's centroid (the caller removes any
    small count from them); communes in ``hidden`` are drawn in light grey
    with no value (disclosure control), and so are communes with no value.
    The colour scale is sequential and colour-blind safe (``cividis``); the
    credit line for the boundaries is written under the map.

    With ``names`` (NIS code → commune name), each commune is numbered in
    alphabetical order and a key under the map gives « number name : label »,
    so that a reader can find every commune, even the smallest, by name.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize
    from matplotlib.patches import Patch, PathPatch

    from analysis.publish.figures import fr_formatter

    shapes = load_communes(geojson)
    shown = values.drop(index=[n for n in hidden if n in values.index]).dropna()
    vmin, vmax = (float(shown.min()), float(shown.max())) if len(shown) else (0.0, 1.0)
    if vmin == vmax:
        # one value only (e.g. every published rate is 0): a scale from 0 (never below 0 for a
        # non-negative quantity such as a rate) up to that value, or up to 1
        vmin, vmax = (0.0, vmax if vmax > 0 else 1.0) if vmin >= 0 else (vmin - 0.5, vmax + 0.5)
    norm = Normalize(vmin=min(0.0, vmin) if vmin >= 0 else vmin, vmax=vmax)
    colormap = plt.get_cmap(cmap)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 8.0 if names else 6.2))
    else:
        fig = ax.figure
    any_hidden = False
    order = sorted((n for n in shapes if names and n in names), key=lambda n: names[n])
    number = {nis: k for k, nis in enumerate(order, start=1)}
    for nis, polys in sorted(shapes.items()):
        value = values.get(nis, math.nan)
        is_hidden = nis in hidden or pd.isna(value)
        any_hidden |= is_hidden
        face = HIDDEN_COLOUR if is_hidden else colormap(norm(value))
        ax.add_patch(PathPatch(_path(polys), facecolor=face, edgecolor="white", linewidth=0.8,
                               hatch="///" if is_hidden else None, gid=f"commune-{nis}"))
        text = str(number[nis]) if names and nis in number else (labels or {}).get(nis, "")
        if text:
            x, y = label_point(polys)
            rgba = face if isinstance(face, tuple) else (0.85, 0.85, 0.85, 1)
            light = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] > 0.55
            ax.text(x, y, text, ha="center", va="center", fontsize=8 if names else 7,
                    fontweight="bold" if names else "normal", color="black" if light else "white")
    allpts = np.vstack([ring for polys in shapes.values() for poly in polys for ring in poly])
    (x0, y0), (x1, y1) = allpts.min(axis=0), allpts.max(axis=0)
    pad = 0.01
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
    ax.set_axis_off()
    sm = plt.cm.ScalarMappable(norm=norm, cmap=colormap)
    bar = fig.colorbar(sm, ax=ax, shrink=0.7, pad=0.02, format=fr_formatter(decimals))
    bar.set_label(legend_label)
    if any_hidden:
        ax.legend(handles=[Patch(facecolor=HIDDEN_COLOUR, hatch="///", edgecolor="white", label=hidden_label)],
                  loc="lower left", frameon=False, fontsize=8)
    if names:
        entries = [f"{number[n]}. {names[n]}" + (f" : {labels[n]}" if labels and labels.get(n) else
                                                 " : non publié" if n in hidden or pd.isna(values.get(n, math.nan))
                                                 else "") for n in order]
        ncol = 3
        rows = math.ceil(len(entries) / ncol)
        for c in range(ncol):
            # columns spread over the whole figure width (the colour bar narrows the map's axes)
            ax.annotate("\n".join(entries[c * rows:(c + 1) * rows]), xy=(0.03 + 0.33 * c, 0),
                        xycoords=("figure fraction", "axes fraction"), xytext=(0, -30), textcoords="offset points",
                        fontsize=7.5, ha="left", va="top", linespacing=1.5)
    ax.annotate(credit, xy=(0, 0), xycoords="axes fraction", xytext=(0, -14), textcoords="offset points",
                fontsize=7, color="#555555", ha="left", va="top")
    return fig
