"""Cluster-robust inference with few clusters: CR2 (Bell–McCaffrey) and the wild cluster bootstrap.

Persons (demands, new users) are grouped in services: demands to the same
service share its capacity and its way of recording, so they are not
independent. With 4 to 20 services, the usual cluster-robust ("sandwich")
variance is too small and its normal-theory p-values too optimistic. This
module gives the small-sample corrections recommended for few clusters:

- **CR2** (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018, the ``clubSandwich``
  default): each cluster's residuals are adjusted by ``(I − H_jj)^{-1/2}``,
  ``H_jj`` being the cluster's block of the hat matrix, before entering the
  sandwich. Tests and intervals use Student's *t* with the Bell–McCaffrey
  Satterthwaite degrees of freedom, which can be far below the number of
  clusters when one cluster dominates.
- **CR1** (the Stata / statsmodels "cluster" variance, factor
  ``G/(G−1) · (N−1)/(N−p)``): for the wild bootstrap and to check the code
  against statsmodels.
- **Wild cluster bootstrap** with the null imposed (WCR; Cameron, Gelbach &
  Miller 2008), Webb's six-point weights (Webb 2023) or Rademacher weights,
  fixed seed: a second, simulation-based p-value for a linear-model coefficient.

Binary outcomes are analysed either as linear probability models (a
difference of shares between waves is the coefficient of a wave dummy) or as
logistic models, whose CR2 is computed on the IRLS working model at
convergence (``X* = W^{1/2} X``, residuals ``W^{-1/2}(y − μ)``), as
``clubSandwich`` does for ``glm`` objects.

Every function accepts empty or degenerate input and then returns NaN rather
than raising.

**Fewer than** :data:`MIN_CLUSTERS` **services: no interval.** A cluster-robust interval is a
function of each service's counts (its size, its count of the outcome). With a handful of
services, the between-service variance rests on a handful of values (Bell–McCaffrey degrees of
freedom of 1 to 3: intervals that say little), and several intervals printed for the same
persons (one per share of a table) are as many equations in those per-service counts: a
reader who enumerates the ways to split the printed totals over four services finds the one
that reproduces every printed bound, hence each service's size and its small counts (review of
2026-12-05, census of four SSMs). Below :data:`MIN_CLUSTERS` services the callers
(:func:`share_interval`, the comparisons and the model of the census, the « Évolution »
chapter's clustered intervals) therefore give no interval: the report stays descriptive there.
One service alone is not clustering: its persons are the population, and the Wilson interval
(:func:`share_interval`) applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from analysis.analyses.stats import wilson_ci

#: Fewest services (clusters) for a cluster-robust interval or test (module doc).
MIN_CLUSTERS = 10


def too_few(services: int) -> bool:
    """More than one service but fewer than :data:`MIN_CLUSTERS`: no clustered inference (module doc)."""
    return 1 < services < MIN_CLUSTERS


def too_few_clusters(groups) -> bool:
    """:func:`too_few` for the services ``groups`` lists (one per person)."""
    return too_few(len(set(np.asarray(groups).astype(str).tolist())) if groups is not None else 0)


#: Fixed seed of the wild bootstrap (reproducible p-values).
BOOT_SEED = 20240501
#: Number of wild bootstrap draws.
BOOT_REPS = 9_999
#: Webb's six-point distribution (mean 0, variance 1).
WEBB_POINTS = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])


@dataclass(frozen=True)
class ClusteredEstimate:
    """One coefficient (or contrast) with its cluster-robust inference.

    ``method``: ``"CR2-BM"`` (CR2 variance, Student *t* with Bell–McCaffrey df)
    or ``"CR1"`` (Stata-type variance, *t* with ``G − 1`` df).
    """

    estimate: float
    se: float
    df: float
    ci_low: float
    ci_high: float
    p_value: float
    clusters: int
    n: int
    method: str = "CR2-BM"


def _nan_estimate(n: int = 0, clusters: int = 0, method: str = "CR2-BM", estimate: float = math.nan) \
        -> ClusteredEstimate:
    return ClusteredEstimate(estimate, math.nan, math.nan, math.nan, math.nan, math.nan, clusters, n, method)


def _codes(groups) -> np.ndarray:
    """Cluster labels → 0..G−1 integer codes (order of first appearance)."""
    _, codes = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    return codes.astype(int)


def _inv_sqrt_psd(m: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Symmetric inverse square root of a positive semi-definite matrix (Moore–Penrose on null directions).

    Reference implementation (dense eigendecomposition), used by the tests to
    check the low-rank form of :func:`_adjustment`.
    """
    vals, vecs = np.linalg.eigh((m + m.T) / 2)
    inv = np.where(vals > tol, 1.0 / np.sqrt(np.clip(vals, tol, None)), 0.0)
    return (vecs * inv) @ vecs.T


class _Adjustment:
    """``A_j = (I − H_jj)^{-1/2}`` of one cluster, kept in low-rank form.

    ``H_jj = U U'`` with ``U = X_j L`` (``L L' = (X'X)^{-1}``) has rank ≤ p, so
    ``A_j = I + W diag(f) W'`` where ``W`` holds the eigenvectors of ``H_jj``
    for its non-zero eigenvalues ``λ`` and ``f = (1 − λ)^{-1/2} − 1``; a
    direction with ``λ = 1`` (a cluster alone in fitting a coefficient) gets
    ``f = −1`` (Moore–Penrose), as in ``clubSandwich``.
    """

    def __init__(self, Xj: np.ndarray, chol: np.ndarray, tol: float = 1e-10):
        U = Xj @ chol
        lam, V = np.linalg.eigh(U.T @ U)
        keep = lam > tol
        lam, V = lam[keep], V[:, keep]
        self.W = U @ V / np.sqrt(lam)
        rest = 1 - lam
        self.f = np.where(rest > tol, 1 / np.sqrt(np.clip(rest, tol, None)), 0.0) - 1

    def __matmul__(self, v: np.ndarray) -> np.ndarray:
        return v + self.W @ (self.f * (self.W.T @ v))


def _adjustment(Xj: np.ndarray, chol: np.ndarray) -> _Adjustment:
    return _Adjustment(Xj, chol)


def _bread(X: np.ndarray) -> np.ndarray | None:
    """``(X'X)^{-1}``, or None when ``X`` is rank-deficient (or has no row)."""
    if X.shape[0] == 0:
        return None
    xtx = X.T @ X
    if np.linalg.matrix_rank(xtx) < X.shape[1]:
        return None
    return np.linalg.inv(xtx)


def cr2_vcov(X: np.ndarray, resid: np.ndarray, groups) -> tuple[np.ndarray, list[_Adjustment]]:
    """CR2 variance of OLS coefficients and the per-cluster adjustment matrices ``A_j``.

    ``X`` (n×p) and ``resid`` (n) are the (possibly weight-transformed) design
    and residuals. Returns ``(V, A)``; ``V`` is NaN when ``X'X`` is singular.
    """
    X = np.asarray(X, dtype=float)
    e = np.asarray(resid, dtype=float)
    g = _codes(groups) if len(e) else np.array([], dtype=int)
    p = X.shape[1]
    B = _bread(X)
    if B is None:
        return np.full((p, p), np.nan), []
    chol = np.linalg.cholesky(B)
    meat = np.zeros((p, p))
    adjust = []
    for j in range(g.max() + 1 if len(g) else 0):
        idx = np.flatnonzero(g == j)
        A = _adjustment(X[idx], chol)
        adjust.append(A)
        u = X[idx].T @ (A @ e[idx])
        meat += np.outer(u, u)
    return B @ meat @ B, adjust


def cr1_vcov(X: np.ndarray, resid: np.ndarray, groups) -> np.ndarray:
    """CR1 (Stata-type) variance: ``G/(G−1) · (N−1)/(N−p)`` times the plain cluster sandwich."""
    X = np.asarray(X, dtype=float)
    e = np.asarray(resid, dtype=float)
    g = _codes(groups)
    n, p = X.shape
    G = int(g.max() + 1) if n else 0
    B = _bread(X)
    if B is None or G < 2 or n <= p:
        return np.full((p, p), np.nan)
    scores = np.zeros((G, p))
    np.add.at(scores, g, X * e[:, None])
    factor = G / (G - 1) * (n - 1) / (n - p)
    return factor * B @ (scores.T @ scores) @ B


def bm_df(X: np.ndarray, groups, adjust: list[_Adjustment], contrast: np.ndarray) -> float:
    """Bell–McCaffrey Satterthwaite degrees of freedom of the CR2 test of ``contrast' β``.

    With ``g_j = (I − H)_{·j} A_j X_j (X'X)^{-1} c`` (an n-vector per cluster)
    and ``G = [g_1 … g_m]``: ``df = tr(G'G)² / tr((G'G)²)`` (working model:
    independent errors of equal variance). Computed without forming the n×n
    hat matrix.
    """
    X = np.asarray(X, dtype=float)
    g = _codes(groups)
    B = _bread(X)
    if B is None or not adjust:
        return math.nan
    c = np.asarray(contrast, dtype=float)
    Bc = B @ c
    idxs = [np.flatnonzero(g == j) for j in range(len(adjust))]
    vs = [A @ (X[idx] @ Bc) for A, idx in zip(adjust, idxs, strict=True)]
    qs = [B @ (X[idx].T @ v) for v, idx in zip(vs, idxs, strict=True)]
    xtx = X.T @ X
    m = len(vs)
    gram = np.empty((m, m))
    for i in range(m):
        for j in range(i, m):
            val = -(vs[i] @ (X[idxs[i]] @ qs[j])) - (qs[i] @ (X[idxs[j]].T @ vs[j])) + qs[i] @ xtx @ qs[j]
            if i == j:
                val += vs[i] @ vs[i]
            gram[i, j] = gram[j, i] = val
    num = np.trace(gram) ** 2
    den = float((gram * gram).sum())
    return float(num / den) if den > 0 else math.nan


def _t_inference(est: float, se: float, df: float, alpha: float) -> tuple[float, float, float]:
    if not (math.isfinite(se) and se > 0 and math.isfinite(df) and df > 0):
        return (math.nan, math.nan, math.nan)
    q = float(sps.t.ppf(1 - alpha / 2, df))
    p = float(2 * sps.t.sf(abs(est / se), df))
    return est - q * se, est + q * se, p


def ols_cr2(X: np.ndarray, y: np.ndarray, groups, coef: int, alpha: float = 0.05) -> ClusteredEstimate:
    """OLS coefficient ``coef`` of ``y`` on ``X`` with CR2 variance and Bell–McCaffrey *t* inference."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(y)
    G = len(np.unique(np.asarray(groups).astype(str))) if n else 0
    if n == 0 or n <= X.shape[1] or _bread(X) is None:
        return _nan_estimate(n, G)
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    e = y - X @ beta
    V, adjust = cr2_vcov(X, e, groups)
    c = np.zeros(X.shape[1])
    c[coef] = 1.0
    se = math.sqrt(V[coef, coef]) if V[coef, coef] > 0 else math.nan
    df = bm_df(X, groups, adjust, c) if G >= 2 else math.nan
    lo, hi, p = _t_inference(float(beta[coef]), se, df, alpha)
    return ClusteredEstimate(float(beta[coef]), se, df, lo, hi, p, G, n)


def mean_cr2(y, groups, alpha: float = 0.05) -> ClusteredEstimate:
    """:func:`ols_cr2` of the intercept-only model (the mean of ``y``), in closed form, O(n).

    With ``X = 1``: cluster ``j`` of ``n_j`` rows has ``λ_j = n_j / n`` (its hat block ``11'/n`` has this
    one non-zero eigenvalue), ``A_j e_j = e_j + f_j·ē_j·1`` with ``f_j = (1 − λ_j)^{-1/2} − 1``, so the CR2
    meat is ``Σ_j (1 + f_j)² S_j²`` (``S_j`` the cluster's residual sum) and ``V = meat / n²``. The
    Bell–McCaffrey Gram matrix is ``diag(d) − a a'/n`` with ``a_j = n_j (1 + f_j) / n`` and
    ``d_j = n_j (1 + f_j)² / n²``. The same numbers as the general code (tests), without a Python loop
    over pairs of clusters.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    codes = _codes(groups) if n else np.array([], dtype=int)
    G = int(codes.max() + 1) if n else 0
    if n <= 1:
        return _nan_estimate(n, G)
    est = float(y.mean())
    e = y - est
    nj = np.bincount(codes, minlength=G).astype(float)
    s = np.bincount(codes, weights=e, minlength=G)
    rest = 1 - nj / n
    tol = 1e-10
    f = np.where(rest > tol, 1 / np.sqrt(np.clip(rest, tol, None)), 0.0) - 1
    var = float(((s * (1 + f)) ** 2).sum()) / n ** 2
    se = math.sqrt(var) if var > 0 else math.nan
    df = math.nan
    if G >= 2:
        a = nj * (1 + f) / n
        d = nj * (1 + f) ** 2 / n ** 2
        a2 = float((a ** 2).sum())
        tr = float(d.sum()) - a2 / n
        fro = float((d ** 2).sum()) - 2 * float((d * a ** 2).sum()) / n + a2 ** 2 / n ** 2
        df = tr ** 2 / fro if fro > 0 else math.nan
    lo, hi, p = _t_inference(est, se, df, alpha)
    return ClusteredEstimate(est, se, df, lo, hi, p, G, n)


def clustered_share(y, groups, alpha: float = 0.05) -> ClusteredEstimate:
    """A share (mean of a 0/1 variable) with a CR2 interval, clipped to [0, 1].

    The intercept-only linear model: the share's variance allows persons of
    the same cluster to resemble each other. With one cluster, or none, the
    interval is NaN (not estimable).
    """
    y = np.asarray(y, dtype=float)
    res = mean_cr2(y, groups, alpha)
    if len(y) and not math.isfinite(res.estimate):
        res = _nan_estimate(len(y), res.clusters, estimate=float(y.mean()))
    lo = min(1.0, max(0.0, res.ci_low)) if math.isfinite(res.ci_low) else math.nan
    hi = min(1.0, max(0.0, res.ci_high)) if math.isfinite(res.ci_high) else math.nan
    # the intercept-only least-squares fit is the mean: take it exactly (no 1 + 4e-16 from the solver)
    est = float(y.mean()) if len(y) else res.estimate
    if math.isfinite(lo):
        lo, hi = min(lo, est), max(hi, est)
    return ClusteredEstimate(est, res.se, res.df, lo, hi, res.p_value, res.clusters, res.n, res.method)


def share_interval(flags, groups=None, alpha: float = 0.05) -> tuple[float, float]:
    """95 % interval (fractions) of the share of True in ``flags``.

    Without ``groups`` (or with one service): Wilson. With 2 to :data:`MIN_CLUSTERS` − 1 services:
    none (NaN, module doc). With more services (``groups``, the service of each person):
    the wider of the Wilson interval and the CR2 cluster-robust interval
    (:func:`clustered_share`), so that neither the
    clustering (few services) nor a share near 0 or 1 (where the cluster-robust
    variance collapses) makes the interval too narrow.
    """
    y = np.asarray(flags, dtype=float)
    n, k = len(y), int(y.sum())
    if groups is not None and too_few_clusters(groups):
        return math.nan, math.nan  # 2 to MIN_CLUSTERS − 1 services: no interval (module doc)
    lo, hi = wilson_ci(k, n, alpha)
    if groups is None or n == 0:
        return lo, hi
    c = clustered_share(y, np.asarray(groups).astype(str), alpha)
    if math.isfinite(c.ci_low) and math.isfinite(c.ci_high):
        lo, hi = min(lo, c.ci_low), max(hi, c.ci_high)
    return lo, hi


def difference_of_shares(y, group, clusters, alpha: float = 0.05) -> ClusteredEstimate:
    """Difference of shares ``mean(y | group) − mean(y | not group)`` (linear probability model), CR2."""
    y = np.asarray(y, dtype=float)
    d = np.asarray(group, dtype=float)
    X = np.column_stack([np.ones(len(y)), d])
    return ols_cr2(X, y, clusters, 1, alpha)


# ---------------------------------------------------------------- logistic regression

def glm_cr2(fit, X: np.ndarray, groups, alpha: float = 0.05) -> list[ClusteredEstimate]:
    """CR2 / Bell–McCaffrey inference for every coefficient of a fitted binomial or Poisson GLM.

    ``fit`` is a statsmodels GLM result with a canonical link (``params``,
    ``mu``); the working model at convergence is ``X* = W^{1/2} X`` and
    ``r* = W^{-1/2}(y − μ)`` with ``W = Var(μ)``, on which CR2 and the df are
    computed as for OLS.
    """
    X = np.asarray(X, dtype=float)
    mu = np.asarray(fit.mu, dtype=float)
    y = np.asarray(fit.model.endog, dtype=float)
    var = np.asarray(fit.family.variance(mu), dtype=float)
    w = np.sqrt(np.clip(var, 1e-12, None))
    Xs = X * w[:, None]
    rs = (y - mu) / w
    V, adjust = cr2_vcov(Xs, rs, groups)
    params = np.asarray(fit.params, dtype=float)
    G = len(np.unique(np.asarray(groups).astype(str)))
    out = []
    for k in range(X.shape[1]):
        c = np.zeros(X.shape[1])
        c[k] = 1.0
        se = math.sqrt(V[k, k]) if np.isfinite(V[k, k]) and V[k, k] > 0 else math.nan
        df = bm_df(Xs, groups, adjust, c) if G >= 2 else math.nan
        lo, hi, p = _t_inference(float(params[k]), se, df, alpha)
        out.append(ClusteredEstimate(float(params[k]), se, df, lo, hi, p, G, len(y)))
    return out


# ---------------------------------------------------------------- wild cluster bootstrap

def wild_cluster_bootstrap(X: np.ndarray, y: np.ndarray, groups, coef: int, reps: int = BOOT_REPS,
                           seed: int = BOOT_SEED, weights: str = "webb") -> float:
    """Two-sided p-value of ``β_coef = 0`` by the restricted wild cluster bootstrap (WCR).

    The null is imposed (the model is refitted without column ``coef``); each
    draw multiplies every cluster's restricted residuals by one weight
    (``"webb"``: six-point, ``"rademacher"``: ±1), refits, and computes the
    CR1 *t* statistic; the p-value is the share of draws with ``|t*| ≥ |t|``.
    NaN when there are fewer than 2 clusters or the design is singular.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    g = _codes(groups) if len(y) else np.array([], dtype=int)
    n, p = X.shape
    G = int(g.max() + 1) if n else 0
    B = _bread(X) if n else None
    if G < 2 or B is None or n <= p:
        return math.nan
    factor = G / (G - 1) * (n - 1) / (n - p)

    # Everything the bootstrap needs is a cluster-level sum (no reps × n matrix):
    # X_h'y*_h = X_h'ŷ_h + v_h X_h'ẽ_h, and X_h'e*_h = X_h'y*_h − X_h'X_h β*.
    keep = [k for k in range(p) if k != coef]
    Xr = X[:, keep]
    fitted = Xr @ np.linalg.lstsq(Xr, y, rcond=None)[0] if keep else np.zeros(n)
    er = y - fitted
    XtF = np.zeros((G, p))
    XtE = np.zeros((G, p))
    XtY = np.zeros((G, p))
    np.add.at(XtF, g, X * fitted[:, None])
    np.add.at(XtE, g, X * er[:, None])
    np.add.at(XtY, g, X * y[:, None])
    XtX = np.zeros((G, p, p))
    for j in range(G):
        Xj = X[g == j]
        XtX[j] = Xj.T @ Xj

    def t_stats(cluster_xty: np.ndarray) -> np.ndarray:  # reps × G × p
        beta = cluster_xty.sum(axis=1) @ B  # reps × p (B symmetric)
        scores = cluster_xty - np.einsum("gpq,rq->rgp", XtX, beta)
        bs = scores @ B[:, coef]  # reps × G: each cluster's contribution to the coefficient
        var = factor * (bs**2).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return beta[:, coef] / np.sqrt(var)

    t_obs = float(t_stats(XtY[None])[0])
    if not math.isfinite(t_obs):
        return math.nan
    rng = np.random.default_rng(seed)
    if weights == "rademacher":
        v = rng.choice([-1.0, 1.0], size=(reps, G))
    else:
        v = rng.choice(WEBB_POINTS, size=(reps, G))
    t_star = t_stats(XtF[None] + v[:, :, None] * XtE[None])
    t_star = t_star[np.isfinite(t_star)]
    if not len(t_star):
        return math.nan
    return float((np.abs(t_star) >= abs(t_obs) - 1e-12).mean())
