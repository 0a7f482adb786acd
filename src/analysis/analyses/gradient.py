"""Social gradient: demands per 10 000 inhabitants by commune, against commune income.

Two populations are analysed the same way: the PRR services' new users
(``users``, the run's period) and the census demands to the SSMs (``census``,
all waves pooled, and each wave).

Data decisions:

- Only persons living in one of the 19 communes with a known commune enter
  the rates; the others are counted (``excluded_*``) and reported.
- Population: 1 January of the year closest to the middle of the period
  (:func:`period_year`; nearest available year in the reference table). For
  the pooled census, the exposure is the sum of each wave's population, so the
  rate is per 10 000 inhabitants *per wave*.
- Income indicator: mean net taxable income per tax return of the commune
  (Statbel). No median income is published for every commune, so the mean is
  used; it is pulled up by high incomes, which matters most in the richest
  communes. One income year is used for both populations so that communes
  keep the same rank.
- Communes are ordered poorest first; each gets its *ridit* score, the
  midpoint of its cumulative population share (0 = poorest end, 1 = richest
  end). Income quintiles are population quintiles of that order (Q1 = the
  poorest fifth of the population): a commune belongs to the quintile
  containing its ridit score. These five classes are the analogue of the
  income classes of the Brussels health and social observatory (which uses
  statistical sectors and median incomes, so comparisons are indicative).
- Census rows are demands, not persons: one person may appear twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import reference
from analysis.config import REFERENCE_DIR

PER = 10_000
N_QUINTILES = 5
N_SIM = 10_000
DEFAULT_SEED = 20220401
#: Over-dispersion: switch to a negative binomial when the Cameron–Trivedi test rejects at this level...
DISPERSION_ALPHA = 0.05
#: ... or when Pearson χ²/df exceeds this (the test has little power with 19 communes).
DISPERSION_RATIO = 2.0
#: Stability rule: a rate ratio is not a finding when either group has fewer events than this.
MIN_EVENTS_GROUP = 10
#: Simulation draws of the quintile SII/RII (as ``phe_sii``'s default order of magnitude).
PHE_REPS = 100_000
#: Label of the basin row for demands whose basin is not known (Bruxelles-Ville is split between basins).
UNKNOWN_BASIN_FR = "indéterminé (Bruxelles-Ville)"


# ---------------------------------------------------------------- communes frame

def period_year(start: str, end: str) -> int:
    """Year whose 1 January is closest to the middle of the months ``start``..``end`` (ties: the earlier).

    ``2021-09``..``2022-04`` → 2022; a calendar year ``2022-01``..``2022-12`` → 2022.
    """
    a = pd.Period(start, freq="M").start_time
    b = pd.Period(end, freq="M").end_time + pd.Timedelta(1, "ns")
    mid = a + (b - a) / 2
    before, after = pd.Timestamp(year=mid.year, month=1, day=1), pd.Timestamp(year=mid.year + 1, month=1, day=1)
    return mid.year if (mid - before) <= (after - mid) else mid.year + 1


def ridit_scores(income: pd.Series, population: pd.Series) -> pd.Series:
    """Ridit score of each area: midpoint of its cumulative population share, poorest first.

    Ties in income are broken by NIS code so the order is stable.
    """
    order = pd.DataFrame({"income": income, "pop": population}).rename_axis("nis").reset_index()
    order = order.sort_values(["income", "nis"]).set_index("nis")
    share = order["pop"] / order["pop"].sum()
    ridit = share.cumsum() - share / 2
    return ridit.reindex(income.index).rename("ridit")


def income_quintiles(income: pd.Series, population: pd.Series, n_groups: int = N_QUINTILES) -> pd.Series:
    """Population quintile of each area (1 = poorest): the group containing its ridit score."""
    r = ridit_scores(income, population)
    return np.minimum(np.floor(r * n_groups).astype(int) + 1, n_groups).rename("quintile")


def commune_frame(population: pd.Series, income_per_return: pd.Series,
                  ref_dir: Path = REFERENCE_DIR, residents: pd.Series | None = None) -> pd.DataFrame:
    """The 19 communes (index: NIS code) with name, basin, population, income, rank, ridit and quintile.

    ``population`` is the exposure of the rates (for a census pooled over
    several waves, the sum of each wave's population); ``residents`` the
    population on 1 January of one year, the figure a reader expects in a
    "Population" column (default: ``population``). ``rank`` is 1 for the
    poorest commune. ``basin`` is empty for Bruxelles-Ville, split between basins.
    """
    com = reference.communes(ref_dir).set_index("nis_code")
    df = pd.DataFrame({
        "name_fr": com["name_fr"],
        "basin": com["basin"].replace("", pd.NA),
        "population": population.reindex(com.index).astype(float),
        "income": income_per_return.reindex(com.index).astype(float),
    })
    if df[["population", "income"]].isna().any().any():
        raise ValueError("population ou revenu manquant pour une commune")
    df["residents"] = (residents.reindex(com.index).astype(float) if residents is not None
                       else df["population"])
    df["rank"] = df["income"].rank(method="first").astype(int)
    df["ridit"] = ridit_scores(df["income"], df["population"])
    df["quintile"] = income_quintiles(df["income"], df["population"])
    df.index.name = "nis_code"
    return df


def count_by_commune(rows: pd.DataFrame, communes: pd.Index) -> pd.Series:
    """Number of rows per commune (``commune_nis``), zeros included, indexed like ``communes``."""
    c = rows["commune_nis"].dropna().astype(str).value_counts()
    return c.reindex(communes, fill_value=0).astype(int).rename("count")


#: Residences of the rows left out of the rates (:attr:`analysis.ingest.normalise.Place.residence`):
#: Brussels with the commune unknown, outside Brussels, unknown.
EXCLUDED_RESIDENCES = ("bruxelles", "hors_bruxelles", "inconnu")


def exclusions(rows: pd.DataFrame) -> dict[str, int]:
    """Rows left out of the rates, by residence, every residence of :data:`EXCLUDED_RESIDENCES` listed
    even when empty: a category named only when it has rows would tell that its « < 5 » is at least 1."""
    counts = rows.loc[rows["commune_nis"].isna(), "residence"].astype(str).value_counts()
    keys = list(EXCLUDED_RESIDENCES) + sorted(set(counts.index) - set(EXCLUDED_RESIDENCES))
    return {f"excluded_{k}": int(counts.get(k, 0)) for k in keys}


# ---------------------------------------------------------------- rates

def poisson_ci(k: int | np.ndarray, alpha: float = 0.05) -> tuple[Any, Any]:
    """Exact (Garwood) interval of a Poisson count."""
    k = np.asarray(k, dtype=float)
    from scipy import stats as sps  # here: the cleaning imports this module, without scipy.stats
    low = np.where(k > 0, sps.chi2.ppf(alpha / 2, 2 * k) / 2, 0.0)
    high = sps.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    return low, high


def rates(counts: pd.Series, population: pd.Series, per: int = PER, alpha: float = 0.05) -> pd.DataFrame:
    """Counts, population and rate per ``per`` inhabitants with its exact Poisson interval."""
    low, high = poisson_ci(counts.to_numpy(), alpha)
    pop = population.to_numpy(dtype=float)
    return pd.DataFrame({
        "count": counts.astype(int).to_numpy(),
        "population": pop,
        "rate": counts.to_numpy() / pop * per,
        "ci_low": low / pop * per,
        "ci_high": high / pop * per,
    }, index=counts.index)


def commune_rates(counts: pd.Series, frame: pd.DataFrame, per: int = PER) -> pd.DataFrame:
    """Per-commune table: frame columns + count, rate and interval, poorest first."""
    r = rates(counts.reindex(frame.index, fill_value=0), frame["population"], per)
    out = frame.join(r.drop(columns="population"), validate="1:1")
    return out.sort_values("rank")


def quintile_rates(counts: pd.Series, frame: pd.DataFrame, per: int = PER) -> pd.DataFrame:
    """Rates per income quintile (1 = poorest), with communes and income range."""
    df = frame.assign(count=counts.reindex(frame.index, fill_value=0))
    g = df.groupby("quintile")
    agg = pd.DataFrame({
        "communes": g["name_fr"].apply(lambda s: ", ".join(s)),
        "n_communes": g.size(),
        "income_min": g["income"].min(),
        "income_max": g["income"].max(),
        "population": g["population"].sum(),
        "residents": g["residents"].sum() if "residents" in df else g["population"].sum(),
        "count": g["count"].sum(),
    }).reindex(range(1, N_QUINTILES + 1))
    r = rates(agg["count"].fillna(0).astype(int), agg["population"], per)
    return agg.join(r.drop(columns=["count", "population"]))


def basin_rates(rows: pd.DataFrame, frame: pd.DataFrame, per: int = PER,
                weights: pd.Series | None = None) -> pd.DataFrame:
    """Rates per social-health basin, with a row for demands whose basin is unknown.

    A basin's population is that of the communes entirely in it. Bruxelles-
    Ville is split between basins and has no basin of its own: all its rows
    are counted in the :data:`UNKNOWN_BASIN_FR` row against its whole
    population, so that every row is counted once against the right
    population. When ``rows`` has a ``basin`` column (users: known from the
    postal code), the number of Bruxelles-Ville rows whose basin is known is
    shown in ``city_rows_with_basin`` for information.
    """
    df = rows[rows["commune_nis"].notna()].copy()
    df["nis"] = df["commune_nis"].astype(str)
    df["area"] = df["nis"].map(frame["basin"]).fillna(UNKNOWN_BASIN_FR)
    area_of = frame["basin"].fillna(UNKNOWN_BASIN_FR)
    pop = (weights if weights is not None else frame["population"]).groupby(area_of).sum()
    count = df.groupby("area").size().reindex(pop.index, fill_value=0)
    out = rates(count, pop, per)
    out["communes"] = frame.groupby(area_of)["name_fr"].apply(lambda s: ", ".join(sorted(s)))
    has_basin = df["basin"].notna() if "basin" in df else pd.Series(False, index=df.index)
    out["city_rows_with_basin"] = (df[has_basin & (df["area"] == UNKNOWN_BASIN_FR)]
                                   .groupby("area").size().reindex(out.index, fill_value=0))
    order = [b for b in sorted(out.index) if b != UNKNOWN_BASIN_FR] + [UNKNOWN_BASIN_FR]
    return out.reindex([b for b in order if b in out.index]).rename_axis("basin")


# ---------------------------------------------------------------- SII / RII

@dataclass(frozen=True)
class InequalityIndex:
    """Slope and relative index of inequality, with simulation intervals.

    Direction: a higher rate among the poorest gives a positive SII and an RII
    above 1 (see :func:`sii_rii`).
    """

    sii: float
    sii_low: float
    sii_high: float
    rii: float
    rii_low: float
    rii_high: float
    y_richest: float
    y_poorest: float
    n_sim: int
    seed: int


def _wls_line(x: np.ndarray, w: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intercept and slope of the weighted least-squares line(s) of ``y`` (last axis: areas) on ``x``."""
    w = w / w.sum()
    xm = (w * x).sum()
    ym = (y * w).sum(axis=-1)
    slope = ((y - ym[..., None]) * (w * (x - xm))).sum(axis=-1) / (w * (x - xm) ** 2).sum()
    return ym - slope * xm, slope


def sii_rii(rate: pd.Series, population: pd.Series, income: pd.Series, counts: pd.Series | None = None,
            n_sim: int = N_SIM, seed: int = DEFAULT_SEED, alpha: float = 0.05) -> InequalityIndex:
    """SII and RII as in the English public health observatories (Low & Low 2004; ``phe_sii``).

    Areas are ordered poorest first and given their ridit score ``x`` (see
    :func:`ridit_scores`); the rate is regressed on ``s = 1 − x`` by least
    squares weighted by the population share (equivalent to ``phe_sii``'s
    regression on square-root-of-share transformed variables), so ``s = 0`` is
    the richest end and ``s = 1`` the poorest. Then, as in the methods notes,
    ``SII = fitted(1) − fitted(0)`` and ``RII = (Y0 + SII) / Y0`` with ``Y0 =
    fitted(0)``: the SII is the absolute gap between the poorest and the
    richest ends of the population, positive when the poor have higher rates;
    the RII is their ratio (``phe_sii`` with ``reverse = TRUE``).

    Intervals by simulation (``n_sim`` draws, fixed ``seed``): each area's rate
    is drawn on the log scale, ``log r ~ N(log r̂, 1/√count)``; an area with no
    event is drawn from the Jeffreys ``Gamma(0.5)`` count. Draws where the
    fitted value at the richest end is not positive give no RII and are
    dropped from its interval. These intervals carry only the Poisson noise of
    each rate, not the scatter of the communes around the line (the count
    models' intervals do); with 19 communes the indices are unstable.
    """
    x = ridit_scores(income, population).to_numpy()
    s = 1 - x
    w = population.to_numpy(dtype=float)
    y = rate.to_numpy(dtype=float)
    a, b = _wls_line(s, w, y)
    y0, y1 = float(a), float(a + b)
    sii = y1 - y0
    rii = (y0 + sii) / y0 if y0 > 0 else math.nan
    rng = np.random.default_rng(seed)
    if counts is None:
        counts = rate * population / PER
    k = counts.to_numpy(dtype=float)
    pos = k > 0
    sims = np.empty((n_sim, len(y)))
    sims[:, pos] = np.exp(rng.normal(np.log(y[pos]), 1 / np.sqrt(k[pos]), size=(n_sim, pos.sum())))
    if (~pos).any():
        sims[:, ~pos] = rng.gamma(0.5, 1.0, size=(n_sim, int((~pos).sum()))) * (PER / w[~pos])
    sa, sb = _wls_line(s, w, sims)
    sii_sim = sb
    with np.errstate(divide="ignore", invalid="ignore"):
        rii_sim = np.where(sa > 0, (sa + sb) / sa, np.nan)
    q = [100 * alpha / 2, 100 * (1 - alpha / 2)]
    sl, sh = np.percentile(sii_sim, q)
    finite = rii_sim[np.isfinite(rii_sim)]
    rl, rh = np.percentile(finite, q) if len(finite) else (math.nan, math.nan)
    return InequalityIndex(float(sii), float(sl), float(sh), float(rii), float(rl), float(rh),
                           y0, y1, n_sim, seed)


# ---------------------------------------------------------------- SII / RII on quantiles (phe_sii)

@dataclass(frozen=True)
class QuantileIndex:
    """SII and RII on population-weighted quantiles, as ``PHEindicatormethods::phe_sii``.

    ``sii = fitted(1) − fitted(0)`` and ``rii = fitted(1) / fitted(0)`` on the
    cumulative-population-midpoint scale of the quantiles *in the order given*
    (first quantile at 0). ``dispersion`` is the factor by which the variance
    of each quantile's log rate was inflated (1: Poisson only).
    """

    sii: float
    sii_low: float
    sii_high: float
    rii: float
    rii_low: float
    rii_high: float
    intercept: float
    n_quantiles: int
    dispersion: float
    reps: int
    seed: int


def cumulative_midpoints(population) -> np.ndarray:
    """``phe_sii``'s x values: the midpoint of each quantile's cumulative population share."""
    a = np.asarray(population, dtype=float)
    a = a / a.sum()
    return np.cumsum(a) - a / 2


def phe_sii(value, population, se, value_type: str = "rate", reps: int = PHE_REPS, seed: int = DEFAULT_SEED,
            alpha: float = 0.05) -> QuantileIndex:
    """Slope and relative index of inequality as ``PHEindicatormethods::phe_sii`` computes them.

    ``value`` per quantile in order (the first at the bottom of the scale),
    ``population`` per quantile and ``se`` (for ``value_type="rate"``: the
    standard error of the *log* rate, as ``phe_sii`` derives it from the
    confidence limits; for ``"other"``: of the value). The regression is the
    least-squares line of ``√a·y`` on ``√a`` and ``√a·x`` (``a``: population
    share, ``x``: cumulative midpoint), i.e. population-weighted. Intervals by
    simulation (``reps`` draws, fixed ``seed``): each value drawn from a normal
    on its (log) scale, the line refitted, percentiles of SII and RII.
    Returns NaN everywhere with fewer than 2 quantiles or a non-positive rate.
    """
    y = np.asarray(value, dtype=float)
    pop = np.asarray(population, dtype=float)
    sd = np.asarray(se, dtype=float)
    k = len(y)
    nan = QuantileIndex(*([math.nan] * 7), k, math.nan, reps, seed)
    if k < 2 or not np.isfinite(y).all() or not (pop > 0).all() or (value_type == "rate" and (y <= 0).any()):
        return nan
    a = pop / pop.sum()
    x = cumulative_midpoints(pop)
    sa = np.sqrt(a)
    M = np.vstack([sa, x * sa])  # 2 × k (transpose of the design)
    solve = np.linalg.solve(M @ M.T, M)  # (M M')^{-1} M
    coef = solve @ (sa * y)
    intercept, slope = float(coef[0]), float(coef[1])
    rng = np.random.default_rng(seed)
    centre = np.log(y) if value_type == "rate" else y
    draws = rng.normal(centre, sd, size=(reps, k))
    if value_type == "rate":
        draws = np.exp(draws)
    sims = (draws * sa) @ solve.T  # reps × 2
    q = [100 * alpha / 2, 100 * (1 - alpha / 2)]
    sl, sh = np.percentile(sims[:, 1], q)
    with np.errstate(divide="ignore", invalid="ignore"):
        rii_sims = (sims[:, 0] + sims[:, 1]) / sims[:, 0]
    rii_sims = rii_sims[np.isfinite(rii_sims) & (sims[:, 0] > 0)]
    rl, rh = np.percentile(rii_sims, q) if len(rii_sims) else (math.nan, math.nan)
    rii = (intercept + slope) / intercept if intercept > 0 else math.nan
    return QuantileIndex(slope, float(sl), float(sh), rii, float(rl), float(rh), intercept, k, 1.0, reps, seed)


def quintile_sii_rii(quintiles: pd.DataFrame, dispersion: float = 1.0, reps: int = PHE_REPS,
                     seed: int = DEFAULT_SEED, alpha: float = 0.05) -> QuantileIndex:
    """SII/RII on the income quintiles (``quintile_rates`` table), poorest end at 1, over-dispersion-aware.

    The quintiles are passed richest first, so that a positive SII and an RII
    above 1 mean higher rates among the poorest (``phe_sii`` with the scale
    reversed). The standard error of each log rate is the Poisson one,
    ``1/√count``, multiplied by ``√dispersion`` (quasi-Poisson: ``dispersion``
    is Pearson χ²/df of the commune-level Poisson model, at least 1), so that
    the scatter of the communes beyond Poisson noise widens the intervals. A
    quintile without any event gets half an event (log scale needs a positive rate).
    """
    q = quintiles.sort_index(ascending=False)
    count = q["count"].fillna(0).to_numpy(dtype=float)
    pop = q["population"].to_numpy(dtype=float)
    if len(q) < 2 or count.sum() == 0 or not (pop > 0).all():
        return QuantileIndex(*([math.nan] * 7), len(q), math.nan, reps, seed)
    adj = np.where(count > 0, count, 0.5)
    rate = adj / pop * PER
    phi = max(1.0, float(dispersion)) if np.isfinite(dispersion) else 1.0
    se = np.sqrt(phi / adj)
    res = phe_sii(rate, pop, se, "rate", reps, seed, alpha)
    return QuantileIndex(res.sii, res.sii_low, res.sii_high, res.rii, res.rii_low, res.rii_high, res.intercept,
                         res.n_quantiles, phi, reps, seed)


# ---------------------------------------------------------------- count models

@dataclass
class CountModel:
    """Poisson or negative binomial model of the counts with a log-population offset."""

    kind: str  # "poisson" or "negative_binomial"
    dispersion: float  # Pearson χ² / df of the Poisson trend model
    dispersion_stat: float  # Cameron–Trivedi t statistic
    dispersion_p: float  # one-sided p-value
    rii_model: float  # exp(beta) on s = 1 − ridit: rate at the poorest end / richest end
    rii_model_low: float
    rii_model_high: float
    #: quintile, rate_ratio, ci_low, ci_high, p_value (reference: Q5), count, ref_count, stable;
    #: intervals over-dispersion-aware (negative binomial, or quasi-Poisson scale when Poisson is kept)
    rate_ratios: pd.DataFrame
    nb_alpha: float | None = None
    converged: bool = True
    #: quasi-Poisson scale applied to the Poisson intervals (1 for the negative binomial)
    scale: float = 1.0
    fits: dict[str, Any] = field(default_factory=dict, repr=False)


def cameron_trivedi(y: np.ndarray, mu: np.ndarray) -> tuple[float, float]:
    """Cameron & Trivedi (1990) test of Poisson equidispersion against NB2 variance.

    Auxiliary regression without intercept of ``((y − μ)² − y) / μ`` on ``μ``;
    returns the t statistic of the slope and its one-sided p-value (H1:
    over-dispersion).
    """
    z = ((y - mu) ** 2 - y) / mu
    beta = (mu * z).sum() / (mu * mu).sum()
    resid = z - beta * mu
    df = len(y) - 1
    se = math.sqrt((resid**2).sum() / df / (mu * mu).sum())
    t = beta / se if se > 0 else math.inf * np.sign(beta)
    from scipy import stats as sps  # here: the cleaning imports this module, without scipy.stats
    return float(t), float(sps.t.sf(t, df))


def _fit_counts(y: np.ndarray, X: pd.DataFrame, offset: np.ndarray, kind: str):
    """Fit a Poisson GLM or an NB2 model (alpha by maximum likelihood); returns (fit, params, ci, alpha)."""
    import statsmodels.api as sm

    if kind == "poisson":
        fit = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit()
        return fit, fit.params, fit.conf_int(), None
    nb = sm.NegativeBinomial(y, X, offset=offset, loglike_method="nb2")
    fit = nb.fit(disp=0, maxiter=500, method="bfgs")
    if not fit.mle_retvals.get("converged", True):
        fit = nb.fit(disp=0, maxiter=500, method="nm", start_params=fit.params)
    ci = fit.conf_int()
    return fit, fit.params.drop("alpha"), ci.drop(index="alpha"), float(fit.params["alpha"])


def _converged(fit) -> bool:
    retvals = getattr(fit, "mle_retvals", None) or {}
    return bool(retvals.get("converged", getattr(fit, "converged", True)))


def fit_count_models(counts: pd.Series, frame: pd.DataFrame, force: str | None = None,
                     dispersion_alpha: float = DISPERSION_ALPHA) -> CountModel:
    """Trend and quintile models of the counts by commune (offset: log population).

    A Poisson GLM on ``s = 1 − ridit`` (0 = richest end, 1 = poorest end) is
    fitted first; over-dispersion is measured by Pearson χ²/df and tested with
    the Cameron–Trivedi test. When the test rejects at ``dispersion_alpha`` or
    the ratio exceeds :data:`DISPERSION_RATIO` (with 19 communes the test alone
    misses clear over-dispersion), or with ``force="negative_binomial"``, both
    models are refitted as negative binomials (NB2). ``exp(beta)`` of the trend model is the model-based RII
    (Moreno-Betancur et al. 2015); the quintile model gives the rate ratio of
    each quintile against Q5 (the richest).
    """
    import warnings

    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", HessianInversionWarning)
        return _fit_count_models(counts, frame, force, dispersion_alpha, sm)


def _fit_count_models(counts: pd.Series, frame: pd.DataFrame, force: str | None, dispersion_alpha: float,
                      sm) -> CountModel:
    y = counts.reindex(frame.index, fill_value=0).to_numpy(dtype=float)
    offset = np.log(frame["population"].to_numpy(dtype=float))
    X = pd.DataFrame({"const": 1.0, "poorness": 1 - frame["ridit"].to_numpy()}, index=frame.index)
    pois = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit()
    disp = float(pois.pearson_chi2 / pois.df_resid)
    t, p = cameron_trivedi(y, pois.mu)
    over = p < dispersion_alpha or disp > DISPERSION_RATIO
    kind = force or ("negative_binomial" if over else "poisson")
    trend, params, ci, nb_alpha = _fit_counts(y, X, offset, kind)
    q = frame["quintile"].astype(int)
    XQ = pd.DataFrame({"const": 1.0}, index=frame.index)
    for k in range(1, N_QUINTILES):
        XQ[f"q{k}"] = (q == k).astype(float)
    XQ = XQ.loc[:, (XQ != 0).any()]
    qfit, qparams, qci, _ = _fit_counts(y, XQ, offset, kind)
    from scipy import stats as sps  # here: the cleaning imports this module, without scipy.stats
    z = float(sps.norm.ppf(0.975))
    scale = 1.0
    if kind == "poisson":
        # quasi-Poisson: widen the Poisson intervals by the over-dispersion the data show (never narrow them)
        scale = max(1.0, disp)
        qscale = max(1.0, float(qfit.pearson_chi2 / qfit.df_resid)) if qfit.df_resid > 0 else 1.0
        qse = qfit.bse * math.sqrt(qscale)
        qci = pd.DataFrame({0: qparams - z * qse, 1: qparams + z * qse})
        pvals = pd.Series(2 * sps.norm.sf(np.abs(qparams / qse)), index=qparams.index)
        tse = trend.bse["poorness"] * math.sqrt(scale)
        ci = pd.DataFrame({0: params - z * tse, 1: params + z * tse})
    else:
        # the wider of the negative binomial and the quasi-Poisson intervals: with 19 communes the NB's
        # dispersion parameter is itself uncertain, and a single small quintile must not look precise
        pq = sm.GLM(y, XQ, family=sm.families.Poisson(), offset=offset).fit()
        qscale = max(1.0, float(pq.pearson_chi2 / pq.df_resid)) if pq.df_resid > 0 else 1.0
        qse = pq.bse * math.sqrt(qscale)
        qci = pd.DataFrame({0: np.minimum(qci[0], pq.params - z * qse), 1: np.maximum(qci[1], pq.params + z * qse)})
        pvals = np.maximum(qfit.pvalues, pd.Series(2 * sps.norm.sf(np.abs(pq.params / qse)), index=qse.index))
    qcount = pd.Series(y, index=frame.index).groupby(q).sum().reindex(range(1, N_QUINTILES + 1), fill_value=0)
    ref_count = int(qcount[N_QUINTILES])
    rr = pd.DataFrame([
        {"quintile": int(c[1:]), "rate_ratio": float(np.exp(qparams[c])), "ci_low": float(np.exp(qci.loc[c, 0])),
         "ci_high": float(np.exp(qci.loc[c, 1])), "p_value": float(pvals[c])}
        for c in XQ.columns if c != "const"
    ] + [{"quintile": N_QUINTILES, "rate_ratio": 1.0, "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan}])
    rr["count"] = rr["quintile"].map(qcount).astype(int)
    rr["ref_count"] = ref_count
    rr["stable"] = (rr["count"] >= MIN_EVENTS_GROUP) & (ref_count >= MIN_EVENTS_GROUP)
    return CountModel(
        kind=kind, dispersion=disp, dispersion_stat=t, dispersion_p=p,
        rii_model=float(np.exp(params["poorness"])), rii_model_low=float(np.exp(ci.loc["poorness", 0])),
        rii_model_high=float(np.exp(ci.loc["poorness", 1])), rate_ratios=rr, nb_alpha=nb_alpha,
        converged=_converged(trend) and _converged(qfit), scale=scale,
        fits={"poisson_trend": pois, "trend": trend, "quintiles": qfit},
    )


# ---------------------------------------------------------------- one population, whole analysis

@dataclass
class PopulationGradient:
    """The gradient analysis of one population (users, census pooled or one wave)."""

    name: str
    n: int
    excluded: dict[str, int]
    population_year: int | None  # year of the population (1 January); None: summed over several census waves
    communes: pd.DataFrame
    quintiles: pd.DataFrame
    basins: pd.DataFrame
    index: InequalityIndex | None  # 19-commune SII/RII, Poisson-only intervals (kept for the record)
    model: CountModel | None  # None when no row, or when the models cannot be fitted
    overall_rate: float
    #: SII/RII on the five population-weighted income quintiles (phe_sii), over-dispersion-aware intervals
    quantile_index: QuantileIndex | None = None
    #: the months ``(start, end)`` of the rows, for the PRR users (the census has its waves)
    period: tuple[str, str] | None = None


def analyse_population(name: str, rows: pd.DataFrame, frame: pd.DataFrame, population_year: int | None,
                       n_sim: int = N_SIM, seed: int = DEFAULT_SEED) -> PopulationGradient:
    """Rates by commune, quintile and basin, SII/RII and count models for one population."""
    counts = count_by_commune(rows, frame.index)
    communes = commune_rates(counts, frame)
    by_nis = communes.reindex(frame.index)
    index = model = qindex = None
    quintiles = quintile_rates(counts, frame)
    if counts.sum() > 0:
        index = sii_rii(by_nis["rate"], by_nis["population"], by_nis["income"], by_nis["count"], n_sim, seed)
        try:
            model = fit_count_models(counts, frame)
        except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - degenerate counts
            model = None
        # over-dispersion of the communes around the Poisson trend widens the quintile intervals
        disp = model.dispersion if model is not None else 1.0
        qindex = quintile_sii_rii(quintiles, disp, seed=seed)
    return PopulationGradient(
        name=name, n=int(counts.sum()), excluded=exclusions(rows), population_year=population_year,
        communes=communes, quintiles=quintiles, basins=basin_rates(rows, frame),
        index=index, model=model, overall_rate=float(counts.sum() / frame["population"].sum() * PER),
        quantile_index=qindex,
    )


@dataclass
class GradientResults:
    """Users, census pooled and census per wave, plus the years used."""

    income_year: int
    population_year: int
    census_population_years: dict[str, int]
    users: PopulationGradient
    census: PopulationGradient | None
    census_waves: dict[str, PopulationGradient]
    n_sim: int = N_SIM
    seed: int = DEFAULT_SEED


def analyse_gradient(users: pd.DataFrame, census: pd.DataFrame, start: str, end: str,
                     n_sim: int = N_SIM, seed: int = DEFAULT_SEED, ref_dir: Path = REFERENCE_DIR) -> GradientResults:
    """Run the gradient analysis for PRR users (period ``start``..``end``) and census demands."""
    year = period_year(start, end)
    income = reference.income(year, ref_dir)
    income_year = int(income.attrs["income_year"])
    inc = income["mean_income_per_return_eur"]
    users_frame = commune_frame(reference.population(year, ref_dir), inc, ref_dir)
    res_users = replace(analyse_population("users", users, users_frame, year, n_sim, seed),
                                    period=(start, end))
    waves_ref = reference.table("census_waves", ref_dir).set_index("code")
    present = [w for w in waves_ref.index if w in set(census["wave"].dropna().astype(str))]
    wave_years = {w: period_year(waves_ref.loc[w, "start"], waves_ref.loc[w, "end"]) for w in present}
    per_wave: dict[str, PopulationGradient] = {}
    pooled = None
    if present:
        pops = [reference.population(wave_years[w], ref_dir) for w in present]
        # exposure: the sum of each wave's population; shown to readers: the period year's population
        pooled_frame = commune_frame(sum(pops[1:], pops[0]), inc, ref_dir,
                                     residents=reference.population(year, ref_dir))
        pooled_year = wave_years[present[0]] if len(present) == 1 else None
        pooled = analyse_population("census", census, pooled_frame, pooled_year, n_sim, seed)
        for w, pop in zip(present, pops, strict=True):
            per_wave[w] = analyse_population(
                f"census.{w}", census[census["wave"] == w], commune_frame(pop, inc, ref_dir), wave_years[w],
                n_sim, seed)
    return GradientResults(income_year, year, wave_years, res_users, pooled, per_wave, n_sim, seed)


def _population_metrics(prefix: str, g: PopulationGradient) -> dict[str, Any]:
    m: dict[str, Any] = {f"{prefix}.n": g.n, f"{prefix}.n_brussels": g.n, f"{prefix}.rate_per_10000": g.overall_rate, **{
        f"{prefix}.{k}": v for k, v in g.excluded.items()}}
    i = g.index
    if i is None:
        return m
    # 19-commune indices (Poisson-only simulation intervals): for the record, not the headline
    m |= {f"{prefix}.sii_communes": i.sii, f"{prefix}.sii_communes_low": i.sii_low,
          f"{prefix}.sii_communes_high": i.sii_high, f"{prefix}.rii_communes": i.rii,
          f"{prefix}.rii_communes_low": i.rii_low, f"{prefix}.rii_communes_high": i.rii_high}
    qi = g.quantile_index
    if qi is not None:
        # observatory method: phe_sii on the five population-weighted quintiles, quasi-Poisson intervals
        m |= {f"{prefix}.sii": qi.sii, f"{prefix}.sii_low": qi.sii_low, f"{prefix}.sii_high": qi.sii_high,
              f"{prefix}.rii": qi.rii, f"{prefix}.rii_low": qi.rii_low, f"{prefix}.rii_high": qi.rii_high,
              f"{prefix}.sii_method": "phe_sii_quintiles", f"{prefix}.sii_quantiles_n": qi.n_quantiles,
              f"{prefix}.sii_dispersion": qi.dispersion,
              f"{prefix}.sii_min_events": int(g.quintiles["count"].fillna(0).min()),
              f"{prefix}.sii_stable": bool(g.quintiles["count"].fillna(0).min() >= MIN_EVENTS_GROUP)}
    mod = g.model
    if mod is None:
        return m
    m |= {f"{prefix}.model": mod.kind,
          f"{prefix}.dispersion": mod.dispersion,
          f"{prefix}.dispersion_test_stat": mod.dispersion_stat, f"{prefix}.dispersion_p_value": mod.dispersion_p,
          f"{prefix}.nb_alpha": mod.nb_alpha, f"{prefix}.model_converged": mod.converged,
          f"{prefix}.rii_model": mod.rii_model,
          f"{prefix}.rii_model_low": mod.rii_model_low, f"{prefix}.rii_model_high": mod.rii_model_high,
          f"{prefix}.model_scale": mod.scale,
          # the model-based RII leads (its interval carries the over-dispersion of the communes)
          f"{prefix}.rii_headline": mod.rii_model, f"{prefix}.rii_headline_low": mod.rii_model_low,
          f"{prefix}.rii_headline_high": mod.rii_model_high, f"{prefix}.rii_headline_method": mod.kind}
    interval = "wider_of_negative_binomial_and_quasi_poisson" if mod.kind == "negative_binomial" else "quasi_poisson"
    q1 = mod.rate_ratios.set_index("quintile").loc[1] if 1 in set(mod.rate_ratios["quintile"]) else None
    if q1 is not None:
        m |= {f"{prefix}.rate_ratio_q1_q5": q1["rate_ratio"], f"{prefix}.rate_ratio_q1_q5_low": q1["ci_low"],
              f"{prefix}.rate_ratio_q1_q5_high": q1["ci_high"], f"{prefix}.rate_ratio_q1_q5_p_value": q1["p_value"],
              f"{prefix}.rate_ratio_q1_q5_interval": interval,
              f"{prefix}.rate_ratio_q1_q5_min_events": int(min(q1["count"], q1["ref_count"])),
              f"{prefix}.rate_ratio_q1_q5_stable": bool(q1["stable"])}
    for r in mod.rate_ratios.itertuples(index=False):
        m[f"{prefix}.quintile.q{r.quintile}.rate_ratio"] = r.rate_ratio
        m[f"{prefix}.quintile.q{r.quintile}.stable"] = bool(r.stable)
    for q, r in g.quintiles.iterrows():
        m[f"{prefix}.quintile.q{q}.count"] = r["count"]
        m[f"{prefix}.quintile.q{q}.rate_per_10000"] = r["rate"]
    return m


def gradient_metrics(res: GradientResults) -> dict[str, Any]:
    """Flat metrics under ``gradient.`` (exact values; the French names of the models are added by
    :func:`analysis.publish.gradient.gradient_prose`).

    ``gradient.model`` is the model retained for the census (the PRR users'
    when the run has no census); ``gradient.users.model`` and
    ``gradient.census.model`` give each population's own. Non-finite values
    (an interval without an upper bound when a quintile has no case) become
    ``None`` so that the metrics file stays valid JSON.
    """
    m: dict[str, Any] = {
        "gradient.income_year": res.income_year,
        "gradient.population_year": res.population_year,
        "gradient.income_indicator": "mean_income_per_return_eur",
        "gradient.n_sim": res.n_sim,
        "gradient.seed": res.seed,
        "gradient.model": _headline_model(res),
        "gradient.communes_n": len(res.users.communes),
        "gradient.quantiles_n": N_QUINTILES,
        "gradient.min_events_group": MIN_EVENTS_GROUP,
        # no commune median income per tax return in data/reference (Statbel publishes one; only a
        # partial set of median equivalised incomes is at hand): the mean is used and the text says so
        "gradient.median_income_available": False,
        # no age structure by commune in data/reference: rates are crude, not age-standardised
        "gradient.age_structure_available": False,
        "gradient.age_standardised": False,
    }
    m |= _population_metrics("gradient.users", res.users)
    if res.census is not None:
        m |= _population_metrics("gradient.census", res.census)
        m["gradient.census.population_years"] = ",".join(str(y) for y in res.census_population_years.values())
        for w, g in res.census_waves.items():
            m |= _population_metrics(f"gradient.census.{w}", g)
            m[f"gradient.census.{w}.population_year"] = res.census_population_years[w]
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in m.items()}


def _headline_model(res: GradientResults) -> str | None:
    """Count model retained for the census, or for the PRR users when there is no census."""
    g = res.census if res.census is not None and res.census.model is not None else res.users
    return g.model.kind if g.model is not None else None
