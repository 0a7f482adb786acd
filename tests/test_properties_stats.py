"""Property tests of the statistic helpers and of the French formatting, for counts from 0 to large.

Every interval contains its point estimate and stays in its range ([0, 1] for shares, [−1, 1] for a
difference of shares, ≥ 0 for a count), every p-value is in [0, 1] or NaN (not computable), and a
number printed for a reader is in French format. Cases: ``n == 0``, ``k == 0``, ``k == n``, one
observation, and large samples.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.analyses import gradient, saturation, stats
from analysis.ingest import schema
from analysis.publish import disclosure, fmt, stats_text

SETTINGS = settings(max_examples=60, deadline=None)
EPS = 1e-12


@st.composite
def k_n(draw, max_n: int = 100_000) -> tuple[int, int]:
    n = draw(st.one_of(st.just(0), st.just(1), st.integers(2, 30), st.integers(31, max_n)))
    k = draw(st.one_of(st.just(0), st.just(n), st.integers(0, n)))
    return k, n


@SETTINGS
@given(k_n(), st.sampled_from([0.01, 0.05, 0.1]))
def test_wilson_interval_contains_the_share_and_stays_in_0_1(kn, alpha):
    k, n = kn
    lo, hi = stats.wilson_ci(k, n, alpha)
    if n == 0:
        assert math.isnan(lo) and math.isnan(hi)
        return
    assert 0.0 <= lo <= k / n <= hi <= 1.0
    assert (lo == 0.0) == (k == 0) and (hi == 1.0) == (k == n)
    p = saturation.proportion(k, n, alpha)
    assert p["ci_low"] <= p["pct"] + EPS and p["pct"] <= p["ci_high"] + EPS


@SETTINGS
@given(k_n(), k_n())
def test_two_proportion_comparisons_give_p_values_in_0_1(a, b):
    (k1, n1), (k2, n2) = a, b
    for p in (stats.two_proportion_test(k1, n1, k2, n2)["p_value"],
              stats.compare_proportions(k1, n1, k2, n2).p_value):
        assert math.isnan(p) or 0.0 <= p <= 1.0
        assert stats_text.p_value_fr(p) and stats_text.significance_fr(p)
    if min(n1, n2) == 0:
        assert math.isnan(stats.compare_proportions(k1, n1, k2, n2).p_value)


@SETTINGS
@given(k_n(), k_n())
def test_newcombe_difference_interval_contains_the_difference(a, b):
    (k1, n1), (k2, n2) = a, b
    d, lo, hi = saturation.newcombe_diff_ci(k1, n1, k2, n2)
    if min(n1, n2) == 0:
        assert math.isnan(d) and math.isnan(lo) and math.isnan(hi)
        return
    assert -1.0 - EPS <= lo <= d + EPS and d - EPS <= hi <= 1.0 + EPS
    rr, rl, rh = saturation.relative_change_ci(k1, n1, k2, n2)
    if math.isfinite(rr):
        assert 0 < rl <= rr * (1 + 1e-9) and rr <= rh * (1 + 1e-9)


@SETTINGS
@given(st.lists(st.integers(0, 10_000), max_size=30))
def test_poisson_interval_contains_the_count(counts):
    lo, hi = gradient.poisson_ci(np.array(counts, dtype=float))
    k = np.array(counts, dtype=float)
    assert (lo >= 0).all() and (lo <= k).all() and (hi >= k).all()


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 200), st.booleans()), max_size=80))
def test_kaplan_meier_survival_falls_from_1_and_stays_in_0_1(obs):
    days = [d for d, _ in obs]
    event = [e for _, e in obs]
    curve = saturation.kaplan_meier(days, event)
    s = curve["survival"].to_numpy(dtype=float)
    # starts at 1 (or lower when events happen at day 0, e.g. a same-day appointment)
    assert s[0] <= 1.0 and ((s >= -EPS) & (s <= 1 + EPS)).all() and (np.diff(s) <= EPS).all()
    assert curve["events"].sum() == sum(event)
    med = saturation.km_median(curve)
    assert math.isnan(med) or med in set(curve["time"])


@SETTINGS
@given(st.one_of(st.none(), st.just(math.nan), st.just(float(np.nan)), st.just(pd.NA),
                 st.integers(-10**9, 10**9), st.floats(-1e9, 1e9, allow_nan=False)),
       st.integers(0, 3))
def test_french_number_format(value, decimals):
    text = fmt.fmt_number(value, decimals)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        assert text == "–"
        assert fmt.fmt_pct(value) == "–" and fmt.fmt_eur(value) == "–"
        return
    assert "." not in text and "," not in text.split(",")[0] or decimals > 0
    assert "." not in text
    assert text.count(",") == (1 if decimals else 0)
    back = float(text.replace(fmt.NBSP, "").replace(",", "."))
    assert abs(back - round(float(value), decimals)) <= 10 ** -decimals
    signed = fmt.fmt_signed(value, decimals)
    assert "-" not in signed


@SETTINGS
@given(st.one_of(st.none(), st.just(math.nan), st.integers(0, 10**6)), st.integers(1, 20))
def test_published_person_counts_never_fall_below_the_threshold(count, threshold):
    text = disclosure.publish_count(count, threshold)
    prose = disclosure.publish_count_prose(count, threshold)
    if count is not None and not math.isnan(count) and 0 < count < threshold:
        assert text == disclosure.hidden_text(threshold) and prose == f"moins de {threshold}"
    elif count is not None and not math.isnan(count):
        assert text.replace(fmt.NBSP, "") == str(count)


def test_compare_waves_with_an_absent_wave_is_not_computable():
    # Regression: a wave with no demand made compare_waves divide by zero (Newcombe, shares).
    census = schema.empty_frame("census")
    waves = schema.allowed_values(schema.TABLES["census"][0])
    c = saturation.compare_waves(census, waves[0], waves[-1])
    assert c.n_from == 0 and math.isnan(c.diff_pts)


def test_a_missing_value_of_a_nullable_column_prints_as_a_dash():
    # Regression: pd.NA (from an Int64/Float64 column) printed « <NA> » in a table cell.
    assert fmt.fmt_number(pd.NA) == fmt.fmt_pct(pd.NA) == fmt.fmt_eur(pd.NA) == fmt.fmt_int(pd.NA) == "–"
