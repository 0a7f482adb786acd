"""What a reader of the 2022 report knows: its printed figures as bounds on this edition's cells.

The 2022 report is public. An edition on the same tracking period (``period.start`` and
``period.end`` of ``data/reference/published_figures.yaml``) counts the same persons, so every
figure that report printed about them is known to a reader of this edition, whatever this edition
hides: the share of new demands from Anderlecht (13,9 % of 79) pins that commune's count to 11, and
a quintile total printed here then gives back the commune hidden beside it. The protection plans
take these figures as *known* cells (:mod:`analysis.publish.sdc`, « known cells »), so that the
complementary suppressions are chosen around them.

One source of truth: the printed figures and ``audit_map.csv`` (which metric recomputes each
printed figure). A metric names a plan cell as follows:

- ``users.n`` → ``users.total`` (exact);
- ``users.commune_pct.<nis>``, ``users.referrer_pct.<code>``, ``users.female_pct`` (``users.gender.F``):
  a share ``p`` printed with ``d`` decimals of the printed ``users.n`` ``N`` gives the count within
  ``[⌈(p − ½·10⁻ᵈ)·N/100⌉, ⌊(p + 10⁻ᵈ)·N/100⌋]``: rounded to the nearest, or truncated (the 2022
  report truncates some shares: 16 / 79 printed 20,2);
- ``users.age_min`` and ``users.age_max``: the age band holding each holds at least one person, the
  bands wholly outside them hold nobody (:func:`age_band_knowledge`);
- ``users.age_mean``: a mean ``m`` of the persons of known age bounds the band counts ``n_b`` by two
  linear constraints, ``Σ n_b·(lo_b − m_max) ≤ 0 ≤ Σ n_b·(hi_b − m_min)`` (band ``[lo_b, hi_b]`` clipped
  to the extreme ages, ``m`` rounded or truncated): :func:`mean_age_narrows` checks that it (and the
  edition's own mean age, printed next to its age table, on every period) leaves every hidden band of
  the age table its ``t`` values.

Other periods: nothing is known (the audit annex is not reproduced there either). The census is
its own folder: the 2022 report's census share (30 % of constrained reorientations, wave ``2020_11``)
bounds that wave's cell in every edition that holds the wave (:func:`census_knowledge`).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from analysis.config import REFERENCE_DIR

#: metric of ``audit_map.csv`` → cell of the users plan (:mod:`analysis.publish.linked`), for shares
_SHARE_CELLS = ((re.compile(r"^users\.commune_pct\.(\d+)$"), "users.commune.{0}"),
                (re.compile(r"^users\.referrer_pct\.(\w+)$"), "users.referrer.{0}"),
                (re.compile(r"^users\.female_pct$"), "users.gender.F"))


def _printed(ref_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Printed figures by dotted path (strings, as printed) and the metric recomputing each."""
    from analysis.analyses.audit import load_published

    published = {k: str(v) for k, v in load_published(ref_dir).items()}
    mapping = pd.read_csv(Path(ref_dir) / "audit_map.csv", dtype=str, keep_default_na=False)
    metric_of = {r.figure: r.metric for r in mapping.itertuples(index=False) if r.metric}
    return published, metric_of


def same_period(start: str | None, end: str | None, ref_dir: Path = REFERENCE_DIR) -> bool:
    """Whether ``start``..``end`` is the tracking period of the 2022 report."""
    published, _ = _printed(ref_dir)
    return bool(start and end) and (str(start), str(end)) == (published.get("period.start"),
                                                               published.get("period.end"))


def _by_metric(start: str | None, end: str | None, ref_dir: Path) -> dict[str, str]:
    """Printed value (as printed) by the metric that recomputes it, for the 2022 period only."""
    if not same_period(start, end, ref_dir):
        return {}
    published, metric_of = _printed(ref_dir)
    return {metric_of[f]: v for f, v in published.items() if f in metric_of and "+" not in metric_of[f]}


def share_bounds(printed: str, n: int) -> tuple[int, int]:
    """The counts of ``n`` a share printed as ``printed`` (percent, French or dotted decimals) allows:
    rounded to the nearest or truncated to its decimals."""
    text = printed.replace(",", ".").strip()
    d = len(text.split(".")[1]) if "." in text else 0
    p, step = float(text), 10.0 ** -d
    return math.ceil((p - step / 2) * n / 100 - 1e-9), math.floor((p + step) * n / 100 - 1e-9)


def reader_knowledge(start: str | None, end: str | None, ref_dir: Path = REFERENCE_DIR
                     ) -> dict[str, tuple[float, float]]:
    """``{cell: (lo, hi)}`` of the users plan that a reader of the 2022 report knows, for an edition on
    its period (``{}`` otherwise)."""
    by_metric = _by_metric(start, end, ref_dir)
    if "users.n" not in by_metric:
        return {}
    n = int(float(by_metric["users.n"]))
    out: dict[str, tuple[float, float]] = {"users.total": (n, n)}
    for metric, printed in by_metric.items():
        for pattern, cell in _SHARE_CELLS:
            if m := pattern.match(metric):
                lo, hi = share_bounds(printed, n)
                out[cell.format(*m.groups())] = (float(lo), float(hi))
    return out


def age_band_knowledge(start: str | None, end: str | None, bands, ref_dir: Path = REFERENCE_DIR
                       ) -> dict[int, tuple[float, float]]:
    """Position → (lo, hi) of the age bands ``bands`` (``(lo, hi, label)``, the age table's rows in
    order) that the 2022 report's youngest and oldest ages give: the band holding each extreme age at
    least one person, a band wholly outside them nobody."""
    by_metric = _by_metric(start, end, ref_dir)
    if "users.age_min" not in by_metric or "users.age_max" not in by_metric:
        return {}
    young, old = int(float(by_metric["users.age_min"])), int(float(by_metric["users.age_max"]))
    out: dict[int, tuple[float, float]] = {}
    for i, (lo, hi, _label) in enumerate(bands):
        if hi < young or lo > old:
            out[i] = (0.0, 0.0)
        elif lo <= young <= hi or lo <= old <= hi:
            out[i] = (1.0, math.inf)
    return out


#: Oldest age the data may hold (the clean table's bound on ``age``): the top of the open band when no
#: oldest age is printed.
AGE_MAX = 120


def mean_age_narrows(counts, primary, hidden, bands, threshold: int, start: str | None, end: str | None,
                     own_mean: float | None = None, ref_dir: Path = REFERENCE_DIR) -> bool:
    """Whether the mean ages a reader knows leave a « < t » age band fewer than ``t`` possible values.

    ``counts``: the age table's rows, masks ``primary`` (« < t ») and ``hidden`` (every hidden row), the
    total printed; ``bands``: the ``(lo, hi, label)`` of each row, None for a row outside the mean (age
    unknown). The means: the edition's own (``own_mean``, as printed, one decimal: the book prints it
    next to the age table), and on the 2022 report's period the mean, youngest and oldest ages that
    report printed (module doc; left out when these counts cannot have that mean: other persons).
    Each mean ``m`` gives ``Σ n_b·(lo_b − m_max) ≤ 0 ≤ Σ n_b·(hi_b − m_min)`` over the bands (clipped to
    the extreme ages when known, else ``0``–:data:`AGE_MAX`)."""
    from scipy.optimize import linprog

    values = [int(v) for v in counts]
    by_metric = _by_metric(start, end, ref_dir)
    young, old = 0, AGE_MAX
    means: list[tuple[float, float]] = []
    if {"users.age_mean", "users.age_min", "users.age_max"} <= set(by_metric):
        young, old = int(float(by_metric["users.age_min"])), int(float(by_metric["users.age_max"]))
        printed = by_metric["users.age_mean"].replace(",", ".")
        d = len(printed.split(".")[1]) if "." in printed else 0
        m, step = float(printed), 10.0 ** -d
        means.append((m - step / 2, m + step))  # rounded or truncated
    if own_mean is not None and math.isfinite(own_mean):
        means.append((round(own_mean, 1) - 0.05, round(own_mean, 1) + 0.05))
    span = [None if b is None else (max(b[0], young), min(b[1], old)) if b[1] >= young and b[0] <= old
            else (0, -1) for b in bands]  # (0, -1): a band outside the known extremes holds nobody
    inside = [i for i, b in enumerate(span) if b is not None and b[1] >= b[0]]
    k = sum(values[i] for i in inside)
    means = [(lo, hi) for lo, hi in means if k and sum(values[i] * span[i][0] for i in inside) <= hi * k
             and sum(values[i] * span[i][1] for i in inside) >= lo * k]
    unknown = [i for i in range(len(values)) if hidden[i]]
    small = [i for i in unknown if primary[i] and i in inside]
    if not means or not small:
        return False
    col = {i: j for j, i in enumerate(unknown)}
    fixed = {i: values[i] for i in range(len(values)) if not hidden[i]}
    a_ub, b_ub = [], []
    for m_min, m_max in means:
        lo_row, hi_row = [0.0] * len(unknown), [0.0] * len(unknown)
        for i in unknown:
            if i in inside:
                lo_row[col[i]] = span[i][0] - m_max
                hi_row[col[i]] = -(span[i][1] - m_min)
        a_ub += [lo_row, hi_row]
        b_ub += [-sum(v * (span[i][0] - m_max) for i, v in fixed.items() if i in inside),
                 sum(v * (span[i][1] - m_min) for i, v in fixed.items() if i in inside)]
    a_eq, b_eq = [[1.0] * len(unknown)], [sum(values) - sum(fixed.values())]  # the printed total
    bounds = [(0, 0) if span[i] is not None and i not in inside
              else (0, threshold - 1) if primary[i] else (threshold, None) for i in unknown]
    kw = dict(A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    for i in small:
        obj = [0.0] * len(unknown)
        obj[col[i]] = 1.0
        low = linprog(obj, **kw)
        high = linprog([-x for x in obj], **kw)
        if low.status != 0:
            continue
        top = -high.fun if high.status == 0 else math.inf
        if math.floor(top + 1e-6) - math.ceil(low.fun - 1e-6) < threshold - 1:
            return True
    return False


#: metric of ``audit_map.csv`` → cell of the census plan (:func:`analysis.publish.saturation.saturation_plan`)
_CENSUS_SHARE = re.compile(r"^saturation\.(\w+)\.(constrained)_pct$")


def census_knowledge(n_by_wave: dict[str, int], ref_dir: Path = REFERENCE_DIR) -> dict[str, tuple[float, float]]:
    """``{cell: (lo, hi)}`` of the census plan that the 2022 report's census figures give (its « 30 % » of
    constrained reorientations, wave ``2020_11``): a share of the wave's demands (``n_by_wave``, the wave
    totals this edition prints), rounded or truncated, as a count interval. Whatever the tracking
    period: a census wave is the same demands in every edition that holds it. A wave with fewer than
    about ``100·t`` demands is pinned to fewer than ``t`` values by it."""
    published, metric_of = _printed(ref_dir)
    out: dict[str, tuple[float, float]] = {}
    for figure, printed in published.items():
        m = _CENSUS_SHARE.match(metric_of.get(figure, ""))
        if m and m.group(1) in n_by_wave and n_by_wave[m.group(1)] > 0:
            lo, hi = share_bounds(printed, int(n_by_wave[m.group(1)]))
            out[f"sat.{m.group(1)}.{m.group(2)}"] = (float(lo), float(hi))
    return out


def consistent(known: dict, values: dict) -> dict:
    """The known bounds that hold for the exact values (a printed figure the data does not reproduce
    tells a reader nothing true about this edition's cell, and is left out)."""
    return {c: (lo, hi) for c, (lo, hi) in known.items() if c in values and lo - 1e-9 <= values[c] <= hi + 1e-9}
