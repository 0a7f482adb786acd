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


def test_unstable_keys_withhold_estimates_not_counts():
    from analysis.publish.stats_text import unstable_keys

    m = {"gradient.users.rate_ratio_q1_q5": 17.7, "gradient.users.rate_ratio_q1_q5_low": 0.8,
         "gradient.users.rate_ratio_q1_q5_high": 380.0, "gradient.users.rate_ratio_q1_q5_p_value": 0.06,
         "gradient.users.rate_ratio_q1_q5_stable": False,
         "saturation.model.stable": False, "saturation.model.n": 150, "saturation.model.or.first_line": 1.4,
         "saturation.model.p.first_line": 0.2, "gradient.census.rate_ratio_q1_q5": 3.5,
         "gradient.census.rate_ratio_q1_q5_stable": True}
    assert unstable_keys(m) == {"gradient.users.rate_ratio_q1_q5", "gradient.users.rate_ratio_q1_q5_low",
                                "gradient.users.rate_ratio_q1_q5_high", "gradient.users.rate_ratio_q1_q5_p_value",
                                "saturation.model.or.first_line", "saturation.model.p.first_line"}
