"""Plain-French readings of statistical results."""

from __future__ import annotations

from analysis.analyses import stats
from analysis.publish import stats_text


def test_plain_french_readings():
    assert stats_text.p_value_fr(0.0001) == "p\u00a0<\u00a00,001"
    assert stats_text.p_value_fr(0.034) == "p\u00a0=\u00a00,03"
    assert stats_text.p_value_fr(float("nan")) == "p non calculable"
    assert "hasard" in stats_text.significance_fr(0.2)


def test_test_names():
    assert stats_text.method_fr(stats.compare_proportions(0, 10, 500, 1000)) == "test exact de Fisher"
    assert stats_text.method_fr(stats.compare_proportions(0, 79, 1226, 2451)) == \
        "test de comparaison de deux proportions"
