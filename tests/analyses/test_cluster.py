"""Cluster-robust inference: CR1 against statsmodels, CR2 against closed forms and a dense computation,
Bell–McCaffrey df, the wild cluster bootstrap against CR2, and behaviour on tiny or empty input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.analyses import cluster as cl


def _clustered_data(G: int, seed: int, effect: float = 0.0, balanced: bool = False):
    rng = np.random.default_rng(seed)
    sizes = np.full(G, 30) if balanced else rng.integers(5, 80, G)
    g = np.repeat(np.arange(G), sizes)
    d = (rng.random(len(g)) < 0.4).astype(float)
    y = 0.3 + effect * d + rng.normal(0, 0.5, G)[g] + rng.normal(size=len(g))
    return np.column_stack([np.ones(len(g)), d]), y, g, sizes


def test_cr1_equals_statsmodels_cluster_covariance():
    X, y, g, _ = _clustered_data(12, 1)
    fit = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": g})
    assert np.allclose(cl.cr1_vcov(X, y - X @ fit.params, g), fit.cov_params(), rtol=1e-10)


def test_cr2_of_a_share_matches_its_closed_form():
    # intercept-only: H_jj = J/N, so V = Σ_j (Σ_i e_ij)² / (1 − n_j/N) / N²
    _, y, g, sizes = _clustered_data(9, 2)
    yy = (y > 0.4).astype(float)
    e, N = yy - yy.mean(), len(yy)
    closed = sum(e[g == j].sum() ** 2 / (1 - sizes[j] / N) for j in range(9)) / N**2
    res = cl.clustered_share(yy, g)
    assert res.se**2 == pytest.approx(closed, rel=1e-10)
    assert res.method == "CR2-BM" and res.clusters == 9 and res.n == N


def test_cr2_of_a_cluster_level_difference_matches_its_closed_form():
    # cluster-level group: the model separates, V(diff) = Σ_groups Σ_j (Σ_i e_ij)² / (1 − n_j/N_g) / N_g²
    rng = np.random.default_rng(3)
    sizes = rng.integers(4, 40, 10)
    g = np.repeat(np.arange(10), sizes)
    treated = (g >= 5).astype(float)
    y = 1 + 0.5 * treated + rng.normal(0, 1, 10)[g] + rng.normal(size=len(g))
    res = cl.difference_of_shares(y, treated, g)
    closed = 0.0
    for grp in (0, 1):
        sel = treated == grp
        e = y[sel] - y[sel].mean()
        Ng = sel.sum()
        closed += sum(e[g[sel] == j].sum() ** 2 / (1 - sizes[j] / Ng) for j in np.unique(g[sel])) / Ng**2
    assert res.estimate == pytest.approx(y[treated == 1].mean() - y[treated == 0].mean())
    assert res.se**2 == pytest.approx(closed, rel=1e-10)


def test_low_rank_adjustment_equals_the_dense_inverse_square_root():
    X, _, g, _ = _clustered_data(6, 4)
    B = np.linalg.inv(X.T @ X)
    chol = np.linalg.cholesky(B)
    for j in range(6):
        Xj = X[g == j]
        dense = cl._inv_sqrt_psd(np.eye(len(Xj)) - Xj @ B @ Xj.T)
        v = np.arange(len(Xj), dtype=float)
        assert np.allclose(cl._adjustment(Xj, chol) @ v, dense @ v)


def _bm_df_dense(X, g, contrast):
    """Bell–McCaffrey df from the full n×n hat matrix (a second, independent computation)."""
    n = len(X)
    B = np.linalg.inv(X.T @ X)
    M = np.eye(n) - X @ B @ X.T
    cols = []
    for j in np.unique(g):
        idx = np.flatnonzero(g == j)
        A = cl._inv_sqrt_psd(M[np.ix_(idx, idx)])
        cols.append(M[:, idx] @ A @ X[idx] @ B @ contrast)
    Gm = np.column_stack(cols)
    lam = np.linalg.eigvalsh(Gm.T @ Gm)
    return lam.sum() ** 2 / (lam**2).sum()


def test_bell_mccaffrey_df_matches_the_dense_computation_and_balanced_case():
    X, y, g, _ = _clustered_data(7, 5)
    res = cl.ols_cr2(X, y, g, 1)
    assert res.df == pytest.approx(_bm_df_dense(X, g, np.array([0.0, 1.0])), rel=1e-8)
    # balanced clusters, intercept only: df = G − 1 exactly
    _, yb, gb, _ = _clustered_data(8, 6, balanced=True)
    assert cl.clustered_share(yb, gb).df == pytest.approx(7, rel=1e-8)
    assert res.df < 7  # unequal clusters: fewer df than clusters


def test_wild_bootstrap_agrees_with_cr2_and_both_are_wider_than_ignoring_clusters():
    X, y, g, _ = _clustered_data(14, 7, effect=0.15)
    cr2 = cl.ols_cr2(X, y, g, 1)
    boot = cl.wild_cluster_bootstrap(X, y, g, 1, reps=4999)
    naive = sm.OLS(y, X).fit().pvalues[1]
    assert abs(boot - cr2.p_value) < 0.05
    assert boot > naive and cr2.p_value > naive
    assert cl.wild_cluster_bootstrap(X, y, g, 1, reps=999) == cl.wild_cluster_bootstrap(X, y, g, 1, reps=999)
    # under the null (no effect, 10 clusters), CR2-BM does not over-reject
    ps = np.array([cl.ols_cr2(*_clustered_data(10, s)[:3], 1).p_value for s in range(60)])
    assert (ps < 0.05).mean() <= 0.12


def test_glm_cr2_without_adjustment_is_the_statsmodels_cluster_sandwich():
    rng = np.random.default_rng(8)
    g = np.repeat(np.arange(15), 40)
    x = rng.normal(size=len(g))
    p = 1 / (1 + np.exp(-(-0.5 + 0.8 * x + rng.normal(0, 0.5, 15)[g])))
    y = (rng.random(len(g)) < p).astype(float)
    X = np.column_stack([np.ones(len(g)), x])
    fit = sm.GLM(y, X, family=sm.families.Binomial()).fit(cov_type="cluster", cov_kwds={"groups": g})
    w = np.sqrt(fit.mu * (1 - fit.mu))
    cr1 = cl.cr1_vcov(X * w[:, None], (y - fit.mu) / w, g)
    assert np.allclose(cr1, fit.cov_params(), rtol=1e-6)
    res = cl.glm_cr2(fit, X, g)
    assert res[1].se > math.sqrt(cr1[1, 1]) * 0.9  # CR2 is close to, typically above, CR1 / its factor
    assert res[1].ci_low < res[1].estimate < res[1].ci_high and 1 < res[1].df < 15


def test_degenerate_inputs_give_nan_not_errors():
    assert math.isnan(cl.clustered_share([], []).estimate)
    one = cl.clustered_share([1, 0, 1], ["a", "a", "a"])  # one cluster: no interval
    assert one.estimate == pytest.approx(2 / 3) and math.isnan(one.ci_low)
    assert math.isnan(cl.difference_of_shares([1, 0], [0, 0], ["a", "b"]).se)
    assert math.isnan(cl.wild_cluster_bootstrap(np.ones((3, 1)), [1, 0, 1], ["a", "a", "a"], 0))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.booleans(), st.booleans()), max_size=40))
def test_clustered_functions_never_crash_on_tiny_groups(rows):
    g = np.array([f"s{r[0]}" for r in rows])
    y = np.array([float(r[1]) for r in rows])
    d = np.array([float(r[2]) for r in rows])
    share = cl.clustered_share(y, g)
    if math.isfinite(share.ci_low):
        assert 0 <= share.ci_low <= share.estimate <= share.ci_high <= 1
    diff = cl.difference_of_shares(y, d, g)
    assert math.isnan(diff.p_value) or 0 <= diff.p_value <= 1
    X = np.column_stack([np.ones(len(y)), d]) if len(y) else np.ones((0, 2))
    p = cl.wild_cluster_bootstrap(X, y, g, 1, reps=99)
    assert math.isnan(p) or 0 <= p <= 1


def test_closed_form_cr2_of_a_mean_matches_the_general_code(monkeypatch):
    """``mean_cr2`` (intercept-only model in closed form) gives ``ols_cr2``'s variance, Bell–McCaffrey
    df, interval and p-value; and the share intervals of the chapters are the same through either."""
    C = cl
    rng = np.random.default_rng(0)
    checked = 0
    for trial in range(300):
        n, G = int(rng.integers(2, 300)), int(rng.integers(1, 12))
        g = rng.integers(0, G, size=n).astype(str)
        if trial % 11 == 0:
            g = np.array(["a"] * (n - 1) + ["b"])  # a cluster alone in its row: λ close to 1
        y = (rng.random(n) < rng.random()).astype(float)
        general, closed = C.ols_cr2(np.ones((n, 1)), y, g, 0), C.mean_cr2(y, g)
        assert (general.clusters, general.n) == (closed.clusters, closed.n)
        if not (general.se > 1e-9):  # one cluster or constant y: no interval either way
            assert not math.isfinite(closed.ci_low) or closed.se < 1e-9
            continue
        for a, b in ((general.se, closed.se), (general.df, closed.df), (general.ci_low, closed.ci_low),
                     (general.ci_high, closed.ci_high), (general.p_value, closed.p_value)):
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (trial, general, closed)
        checked += 1
        got = C.share_interval(y, g)
        with monkeypatch.context() as m:
            m.setattr(C, "mean_cr2", lambda yy, gg, alpha=0.05: C.ols_cr2(np.ones((len(yy), 1)), yy, gg, 0, alpha))
            before = C.share_interval(y, g)
        assert got == pytest.approx(before, rel=1e-9, abs=1e-12, nan_ok=True)
    assert checked > 200
