"""Plain-French readings of statistical results: test names, p-values, significance.

The numbers come from :mod:`analysis.analyses.stats`; only the words a reader
sees are built here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from analysis.analyses.stats import ProportionTest
from analysis.publish.fmt import NBSP, fmt_number


def method_fr(test: ProportionTest) -> str:
    """The French name of the test behind a :class:`~analysis.analyses.stats.ProportionTest`."""
    return "test exact de Fisher" if test.method == "fisher" else "test de comparaison de deux proportions"


def p_value_fr(p: float) -> str:
    """``p < 0,001`` / ``p = 0,03`` (French decimals)."""
    if math.isnan(p):
        return "p non calculable"
    if p < 0.001:
        return f"p{NBSP}<{NBSP}0,001"
    return f"p{NBSP}={NBSP}{fmt_number(p, 3 if p < 0.01 else 2)}"


def significance_fr(p: float, alpha: float = 0.05) -> str:
    """A plain-French reading of a p-value."""
    if math.isnan(p):
        return "la comparaison n'est pas possible sur ces effectifs"
    if p < alpha:
        return "l'écart est trop grand pour s'expliquer par le hasard de l'échantillon"
    return "l'écart pourrait s'expliquer par le seul hasard de l'échantillon"


#: What a reader sees instead of an estimate that fails the stability rule (too few events).
UNSTABLE_FR = "effectif trop faible pour conclure"
#: What a reader sees for an interval bound that does not exist (never an infinite number).
NOT_ESTIMABLE_FR = "non estimable"

_ESTIMATE = re.compile(r"(ratio|rii|sii|(^|\.)or(_low|_high)?\.|(^|\.)p\.|p_value|diff_pts)")


def unstable_keys(metrics: Mapping[str, object]) -> set[str]:
    """Metric keys whose estimate fails the stability rule, to be printed as :data:`UNSTABLE_FR`.

    A flag ``<base>_stable: False`` withholds ``<base>``, ``<base>_low``,
    ``<base>_high`` and ``<base>_p_value`` (e.g. ``gradient.users.rate_ratio_q1_q5``);
    a flag ``<group>.stable: False`` withholds every estimate under ``<group>.``
    (ratios, indices, odds ratios and p-values: ``saturation.model.or.*``,
    ``gradient.users.quintile.q1.rate_ratio``), never counts.
    """
    out: set[str] = set()
    for key, value in metrics.items():
        if value is not False:
            continue
        if key.endswith("_stable"):
            base = key.removesuffix("_stable")
            out |= {k for k in (base, f"{base}_low", f"{base}_high", f"{base}_p_value") if k in metrics}
        elif key.endswith(".stable"):
            group = key.removesuffix("stable")
            out |= {k for k in metrics if k.startswith(group) and k != key and _ESTIMATE.search(k[len(group):])}
    return out
