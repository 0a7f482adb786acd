"""Plain-French readings of statistical results: test names, p-values, significance.

The numbers come from :mod:`analysis.analyses.stats`; only the words a reader
sees are built here.
"""

from __future__ import annotations

import math

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
