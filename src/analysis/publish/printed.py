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
  bands wholly outside them hold nobody (:func:`age_band_knowledge`).

Other periods: nothing is known (the audit annex is not reproduced there either).
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


def consistent(known: dict, values: dict) -> dict:
    """The known bounds that hold for the exact values (a printed figure the data does not reproduce
    tells a reader nothing true about this edition's cell, and is left out)."""
    return {c: (lo, hi) for c, (lo, hi) in known.items() if c in values and lo - 1e-9 <= values[c] <= hi + 1e-9}
