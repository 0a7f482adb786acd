"""Statistics against hand-computed cases."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.analyses import stats
from analysis.analyses.stats import wilson_ci


def test_wilson_textbook_values():
    # Newcombe (1998), Table I: 81/263 → 0.2553–0.3662 ; 0/20 → 0–0.1611 ; 15/148 → 0.0624–0.1605
    lo, hi = stats.wilson_ci(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)
    lo, hi = stats.wilson_ci(0, 20)
    assert lo == 0 and round(hi, 4) == 0.1611
    lo, hi = stats.wilson_ci(15, 148)
    assert (round(lo, 4), round(hi, 4)) == (0.0624, 0.1605)


def test_wilson_empty_and_invalid():
    assert all(math.isnan(v) for v in stats.wilson_ci(0, 0))
    with pytest.raises(ValueError):
        stats.wilson_ci(5, 3)


@given(st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.sampled_from([0, n, n // 2, 1 % (n + 1)]) | st.integers(0, n),
                                                          st.just(n))))
def test_wilson_contains_the_estimate(kn):
    """Exactly, not up to a rounding error: a 0 % share's lower bound is 0, never -1e-17 (error bars)."""
    k, n = kn
    lo, hi = stats.wilson_ci(k, n)
    assert 0 <= lo <= k / n <= hi <= 1
    assert (lo == 0) == (k == 0) and (hi == 1) == (k == n)


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(-1e-9, 100), st.floats(0, 100 + 1e-9)) | st.just((0.0, float("nan"), 5.0)),
                max_size=8))
@settings(deadline=None)
def test_error_bars_are_never_negative(triples):
    from analysis.publish.figures import error_extents

    v, lo, hi = zip(*triples, strict=True) if triples else ((), (), ())
    err = error_extents(list(v), list(lo), list(hi))
    assert err.shape == (2, len(triples)) and (err >= 0).all()


def test_two_proportion_test_by_hand():
    # 30/100 vs 50/100: pooled 0.4, se = sqrt(0.4*0.6*0.02) = 0.069282, z = 2.88675
    res = stats.two_proportion_test(30, 100, 50, 100)
    assert res["z"] == pytest.approx(2.88675, abs=1e-4)
    assert res["p_value"] == pytest.approx(0.003892, abs=1e-5)


def test_fisher_by_hand():
    # the tea-tasting table [[3, 1], [1, 3]]: two-sided p = 0.4857
    res = stats.fisher_test(3, 4, 1, 4)
    assert res["p_value"] == pytest.approx(0.4857, abs=1e-4)
    assert res["odds_ratio"] == pytest.approx(9.0)


def test_compare_proportions_chooses_exact_test_for_small_samples():
    assert stats.compare_proportions(0, 10, 500, 1000).method == "fisher"
    big = stats.compare_proportions(0, 79, 1226, 2451)
    assert big.method == "z" and big.p_value < 0.001 and big.diff == pytest.approx(1226 / 2451)


def test_wilson_bounds_are_exact_at_the_edges():
    # the formula gives 3.5e-16 for k = 0 (printed as « 3,5e-16 », and a negative error bar): exact 0 now
    assert wilson_ci(0, 18) == (0.0, pytest.approx(0.1759, abs=1e-4))
    assert wilson_ci(0, 18)[0] == 0.0 and wilson_ci(7, 7)[1] == 1.0


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_contains_the_share_and_stays_in_0_1(kn):
    k, n = kn
    lo, hi = wilson_ci(k, n)
    if n == 0:
        assert math.isnan(lo) and math.isnan(hi)
    else:
        assert 0.0 <= lo <= k / n <= hi <= 1.0
        assert (lo == 0.0) == (k == 0) and (hi == 1.0) == (k == n)
