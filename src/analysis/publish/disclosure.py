"""Disclosure control: the one place that decides which person counts may be published.

Rule: a count of persons (or of their demands) strictly between 0 and the
threshold (parameter ``threshold``, default 5) is never printed. Zero is shown
(it reveals nobody). In a table whose totals are published, a single hidden
cell in a row or column could be recovered by subtraction, so a second cell
is hidden too (secondary suppression, the smallest non-zero visible cell of
that line). Activity counts are not person counts and are not controlled.

The internal records of a run (clean tables, ``metrics.json``, ``*.csv`` in
``exact/``) keep exact values; everything rendered for readers goes through
this module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD
from analysis.publish.fmt import NBSP, fmt_int, fmt_pct


#: Cell text of a primary-suppressed count.
def hidden_text(threshold: int) -> str:
    return f"<{NBSP}{threshold}"


#: Cell text of a secondary-suppressed count (explained in captions).
SECONDARY = "n.p."
CAPTION_NOTE = ("Effectifs de personnes inférieurs à {t} masqués (« <{nbsp}{t} ») ; « n.p. » : valeur masquée "
                "pour qu'un effectif masqué ne puisse pas être retrouvé à partir des totaux.")


def caption_note(threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> str:
    return CAPTION_NOTE.format(t=threshold, nbsp=NBSP)


def is_suppressed(count: float | int | None, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> bool:
    """True when a person count must not be published: ``0 < count < threshold``."""
    if count is None or (isinstance(count, float) and math.isnan(count)):
        return False
    return 0 < float(count) < threshold


def publish_count(count: float | int, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> str:
    """A person count as a reader sees it: ``12``, ``0`` or ``< 5``."""
    return hidden_text(threshold) if is_suppressed(count, threshold) else fmt_int(count)


def publish_count_prose(count: float | int, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> str:
    """A person count for a sentence: ``12`` or ``moins de 5``."""
    return f"moins de {threshold}" if is_suppressed(count, threshold) else fmt_int(count)


def _recoverable(values: np.ndarray, mask: np.ndarray, threshold: int) -> bool:
    """Whether the hidden cells of a line (its total published) can be found exactly.

    A reader knows the hidden total (line total minus visible cells), that a
    primary cell lies in 1..threshold−1 and that a secondary cell is at least
    the threshold. One hidden cell is the hidden total; several are all
    determined when the hidden total is the smallest possible (primaries 1,
    secondaries at the threshold) or, with primaries only, the largest.
    """
    h = int(mask.sum())
    if h == 0:
        return False
    if h == 1:
        return True
    hidden = values[mask]
    n_primary = int(((hidden > 0) & (hidden < threshold)).sum())
    n_secondary = h - n_primary
    total = float(hidden.sum())
    if total == n_primary + n_secondary * threshold:
        return True
    return n_secondary == 0 and total == n_primary * (threshold - 1)


def _secondary_line(values: np.ndarray, mask: np.ndarray, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> bool:
    """Hide one more cell of a line whose hidden cells could be recovered from its total; True if changed."""
    if not _recoverable(values, mask, threshold):
        return False
    candidates = [(values[i], i) for i in range(len(values)) if not mask[i] and values[i] > 0]
    if not candidates:
        return False
    mask[min(candidates)[1]] = True
    return True


def suppression_mask(counts: pd.DataFrame | pd.Series, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                     secondary: bool = True) -> pd.DataFrame | pd.Series:
    """Boolean mask of the cells to hide in a table of person counts.

    Primary: ``0 < n < threshold``. Secondary (when the table's totals are
    published): every row and column whose hidden cells could be recovered
    from its total (:func:`_recoverable`) gets its smallest visible non-zero
    cell hidden too, repeated until stable. A Series
    is one line (its total published).
    """
    is_series = isinstance(counts, pd.Series)
    frame = counts.to_frame() if is_series else counts
    values = frame.to_numpy(dtype=float, na_value=0.0)
    mask = (values > 0) & (values < threshold)
    if secondary:
        changed = True
        while changed:
            changed = False
            if is_series:
                changed |= _secondary_line(values[:, 0], mask[:, 0], threshold)
                continue
            for i in range(values.shape[0]):
                changed |= _secondary_line(values[i, :], mask[i, :], threshold)
            for j in range(values.shape[1]):
                col = mask[:, j].copy()
                if _secondary_line(values[:, j], col, threshold):
                    mask[:, j] = col
                    changed = True
    out = pd.DataFrame(mask, index=frame.index, columns=frame.columns)
    return out.iloc[:, 0] if is_series else out


def total_must_be_hidden(counts: pd.Series, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> bool:
    """True when a line's hidden cells stay recoverable (no visible non-zero cell left to hide with them),
    so that its total may not be published either."""
    values = counts.to_numpy(dtype=float, na_value=0.0)
    mask = suppression_mask(counts, threshold).to_numpy()
    return bool(mask.any()) and _recoverable(values, mask, threshold)


def publish_counts(counts: pd.DataFrame | pd.Series, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                   secondary: bool = True) -> pd.DataFrame | pd.Series:
    """Person counts as text, primary cells ``< 5``, secondary cells ``n.p.``."""
    mask = suppression_mask(counts, threshold, secondary)
    def one(v, hide):
        if hide:
            return hidden_text(threshold) if is_suppressed(v, threshold) else SECONDARY
        return "–" if pd.isna(v) else fmt_int(v)
    if isinstance(counts, pd.Series):
        return pd.Series([one(v, h) for v, h in zip(counts, mask, strict=True)], index=counts.index, dtype=object)
    return pd.DataFrame({c: [one(v, h) for v, h in zip(counts[c], mask[c], strict=True)] for c in counts.columns},
                        index=counts.index)


def publish_share(pct_value: float, hidden: bool, decimals: int = 1) -> str:
    """A percentage as a reader sees it: blank (``–``) when its count is hidden."""
    if hidden or pct_value is None or (isinstance(pct_value, float) and math.isnan(pct_value)):
        return "–"
    return fmt_pct(pct_value, decimals)


# --------------------------------------------------------------------------- metrics for prose

#: ``<prefix>.<stem>_pct.<code>`` is derived from ``<prefix>.<stem>_n.<code>``.
_PCT_KEY = re.compile(r"^(?P<head>.+)_pct(?P<tail>\..+)?$")


def count_key_of_share(key: str) -> str | None:
    """The count behind a share key: ``users.referrer_pct.justice`` → ``users.referrer_n.justice``."""
    m = _PCT_KEY.match(key)
    if not m:
        return None
    return f"{m['head']}_n{m['tail'] or ''}"


def withheld_keys(metrics: Mapping[str, object], is_person_count, threshold: int) -> set[str]:
    """Metric keys that prose may not show: small person counts and the shares computed from them."""
    out: set[str] = set()
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if is_person_count(key) and is_suppressed(value, threshold):
            out.add(key)
    for key in metrics:
        ck = count_key_of_share(key)
        if ck and ck in out:
            out.add(key)
    return out


# --------------------------------------------------------------------------- one line, LP-audited

def protect_line(counts, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD, total_fixed: bool = True,
                 known: dict[int, tuple[float, float]] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Primary and complementary masks of a one-way table whose total is published.

    Zero counts are included in the primary cells (« < 5 » means 0 to 4), and the
    pattern passes the LP audit of :mod:`analysis.publish.sdc` (every hidden cell's
    feasible range holds at least ``threshold`` values). A total below the threshold
    hides every cell. ``known``: position → (lo, hi), what a reader knows of a cell from another
    publication (:mod:`analysis.publish.sdc`, « known cells »). A small cell printed « n.p. » (withdrawn:
    its known bounds make « < t » informative) is in the complementary mask.
    """
    from analysis.publish.sdc import Relation, protect

    values = [int(v) for v in np.asarray(counts, dtype=float)]
    n = len(values)
    if n == 0:
        return np.zeros(0, bool), np.zeros(0, bool)
    total = sum(values)
    if total < threshold:
        return np.ones(n, bool), np.zeros(n, bool)
    cells = {f"c{i:04d}": v for i, v in enumerate(values)} | {"total": total}
    p = protect(cells, [Relation("total", tuple(f"c{i:04d}" for i in range(n)))], threshold,
                fixed=["total"] if total_fixed else [],
                known={f"c{i:04d}": b for i, b in (known or {}).items()})
    primary = np.array([f"c{i:04d}" in p.primary for i in range(n)])
    secondary = np.array([f"c{i:04d}" in p.secondary | p.withdrawn for i in range(n)])
    return primary, secondary


def publish_line(counts, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                 known: dict[int, tuple[float, float]] | None = None) -> tuple[list[str], np.ndarray]:
    """Texts (``12``, ``< 5``, ``n.p.``) and hidden mask of a one-way table (:func:`protect_line`)."""
    primary, secondary = protect_line(counts, threshold, known=known)
    texts = [hidden_text(threshold) if p else SECONDARY if s else fmt_int(v)
             for v, p, s in zip(np.asarray(counts, dtype=float), primary, secondary, strict=True)]
    return texts, primary | secondary
