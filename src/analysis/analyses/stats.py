"""Small statistical helpers shared by the analyses: proportions, intervals and tests.

Every function takes plain counts and returns plain floats, so that each can be
checked against a hand-computed case (``tests/analyses/test_stats.py``). Their
plain-French readings are in :mod:`analysis.publish.stats_text`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def wilson_ci(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of the proportion ``k / n`` (fractions in [0, 1]).

    ``n == 0`` gives ``(nan, nan)``. Preferred to the Wald interval: it stays
    inside [0, 1] and keeps its coverage for small ``n`` and for proportions
    near 0 or 1 (e.g. 0 first-line referrals out of 79). The bound at the
    edge is exact: 0 when ``k == 0`` and 1 when ``k == n`` (the formula gives
    them only up to rounding, e.g. 3.5e-16, which would print and would make a
    negative error bar).
    """
    if n <= 0:
        return (math.nan, math.nan)
    if not 0 <= k <= n:
        raise ValueError(f"wilson_ci: k={k} outside 0..n={n}")
    from scipy import stats as sps  # imported when first needed: a second per notebook that never does

    z = float(sps.norm.ppf(1 - alpha / 2))
    p = k / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    low = 0.0 if k == 0 else min(p, max(0.0, centre - half))
    high = 1.0 if k == n else max(p, min(1.0, centre + half))
    return (low, high)


def pct(k: float, n: float) -> float:
    """``100 k / n``; ``nan`` when ``n`` is 0."""
    return 100.0 * k / n if n else math.nan


@dataclass(frozen=True)
class ProportionTest:
    """Comparison of two proportions ``k1/n1`` and ``k2/n2``."""

    method: str  # "fisher" (exact) or "z" (two-proportion z test)
    p1: float
    p2: float
    diff: float  # p2 - p1 (fraction)
    p_value: float
    odds_ratio: float


def two_proportion_test(k1: int, n1: int, k2: int, n2: int) -> dict[str, float]:
    """Pooled two-sided z test of ``p1 == p2`` (same as a χ² test without continuity correction)."""
    if min(n1, n2) <= 0:
        return {"diff": math.nan, "z": math.nan, "p_value": math.nan}
    p1, p2 = k1 / n1, k2 / n2
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return {"diff": p2 - p1, "z": math.nan, "p_value": 1.0}
    from scipy import stats as sps

    z = (p2 - p1) / se
    return {"diff": p2 - p1, "z": z, "p_value": float(2 * sps.norm.sf(abs(z)))}


def fisher_test(k1: int, n1: int, k2: int, n2: int) -> dict[str, float]:
    """Two-sided Fisher exact test on the 2×2 table ``[[k1, n1-k1], [k2, n2-k2]]``."""
    from scipy import stats as sps

    res = sps.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]])
    return {"odds_ratio": float(res.statistic), "p_value": float(res.pvalue)}


def compare_proportions(k1: int, n1: int, k2: int, n2: int, min_expected: float = 5.0) -> ProportionTest:
    """Compare two proportions: Fisher exact test when an expected cell is below ``min_expected``
    (small or extreme samples), the two-proportion z test otherwise."""
    if min(n1, n2) <= 0:
        return ProportionTest("z", math.nan, math.nan, math.nan, math.nan, math.nan)
    p1, p2 = k1 / n1, k2 / n2
    total, events = n1 + n2, k1 + k2
    expected = [n * events / total for n in (n1, n2)] + [n * (total - events) / total for n in (n1, n2)]
    fisher = fisher_test(k1, n1, k2, n2)
    if min(expected) < min_expected:
        return ProportionTest("fisher", p1, p2, p2 - p1, fisher["p_value"], fisher["odds_ratio"])
    z = two_proportion_test(k1, n1, k2, n2)
    return ProportionTest("z", p1, p2, p2 - p1, z["p_value"], fisher["odds_ratio"])
