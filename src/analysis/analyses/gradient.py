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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from analysis import reference
from analysis.analyses.saturation import fmt_interval, fmt_signed, is_small_count
from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD, REFERENCE_DIR
from analysis.publish.fmt import NBSP, fmt_eur, fmt_int, fmt_number

PER = 10_000
N_QUINTILES = 5
N_SIM = 10_000
DEFAULT_SEED = 20220401
#: Over-dispersion: switch to a negative binomial when the Cameron–Trivedi test rejects at this level...
DISPERSION_ALPHA = 0.05
#: ... or when Pearson χ²/df exceeds this (the test has little power with 19 communes).
DISPERSION_RATIO = 2.0
#: Label of the basin row for demands whose basin is not known (Bruxelles-Ville is split between basins).
UNKNOWN_BASIN_FR = "indéterminé (Bruxelles-Ville)"
POPULATIONS_FR = {"users": "nouvelles demandes d'usager·e·s PRR", "census": "demandes aux SSM (recensement)"}


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
                  ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The 19 communes (index: NIS code) with name, basin, population, income, rank, ridit and quintile.

    ``rank`` is 1 for the poorest commune. ``basin`` is empty for
    Bruxelles-Ville, split between basins.
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
    df["rank"] = df["income"].rank(method="first").astype(int)
    df["ridit"] = ridit_scores(df["income"], df["population"])
    df["quintile"] = income_quintiles(df["income"], df["population"])
    df.index.name = "nis_code"
    return df


def count_by_commune(rows: pd.DataFrame, communes: pd.Index) -> pd.Series:
    """Number of rows per commune (``commune_nis``), zeros included, indexed like ``communes``."""
    c = rows["commune_nis"].dropna().astype(str).value_counts()
    return c.reindex(communes, fill_value=0).astype(int).rename("count")


def exclusions(rows: pd.DataFrame) -> dict[str, int]:
    """Rows left out of the rates, by residence (outside Brussels, unknown...)."""
    out = rows[rows["commune_nis"].isna()]
    return {f"excluded_{k}": int(v) for k, v in out["residence"].astype(str).value_counts().sort_index().items()}


# ---------------------------------------------------------------- rates

def poisson_ci(k: int | np.ndarray, alpha: float = 0.05) -> tuple[Any, Any]:
    """Exact (Garwood) interval of a Poisson count."""
    k = np.asarray(k, dtype=float)
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
    rate_ratios: pd.DataFrame  # quintile, rate_ratio, ci_low, ci_high, p_value (reference: Q5)
    nb_alpha: float | None = None
    converged: bool = True
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
    pvals = qfit.pvalues
    rr = pd.DataFrame([
        {"quintile": int(c[1:]), "rate_ratio": float(np.exp(qparams[c])), "ci_low": float(np.exp(qci.loc[c, 0])),
         "ci_high": float(np.exp(qci.loc[c, 1])), "p_value": float(pvals[c])}
        for c in XQ.columns if c != "const"
    ] + [{"quintile": N_QUINTILES, "rate_ratio": 1.0, "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan}])
    return CountModel(
        kind=kind, dispersion=disp, dispersion_stat=t, dispersion_p=p,
        rii_model=float(np.exp(params["poorness"])), rii_model_low=float(np.exp(ci.loc["poorness", 0])),
        rii_model_high=float(np.exp(ci.loc["poorness", 1])), rate_ratios=rr, nb_alpha=nb_alpha,
        converged=_converged(trend) and _converged(qfit),
        fits={"poisson_trend": pois, "trend": trend, "quintiles": qfit},
    )


# ---------------------------------------------------------------- one population, whole analysis

@dataclass
class PopulationGradient:
    """The gradient analysis of one population (users, census pooled or one wave)."""

    name: str
    n: int
    excluded: dict[str, int]
    population_label: str
    communes: pd.DataFrame
    quintiles: pd.DataFrame
    basins: pd.DataFrame
    index: InequalityIndex | None  # None when no row could be placed in a commune
    model: CountModel | None  # None when no row, or when the models cannot be fitted
    overall_rate: float


def analyse_population(name: str, rows: pd.DataFrame, frame: pd.DataFrame, population_label: str,
                       n_sim: int = N_SIM, seed: int = DEFAULT_SEED) -> PopulationGradient:
    """Rates by commune, quintile and basin, SII/RII and count models for one population."""
    counts = count_by_commune(rows, frame.index)
    communes = commune_rates(counts, frame)
    by_nis = communes.reindex(frame.index)
    index = model = None
    if counts.sum() > 0:
        index = sii_rii(by_nis["rate"], by_nis["population"], by_nis["income"], by_nis["count"], n_sim, seed)
        try:
            model = fit_count_models(counts, frame)
        except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - degenerate counts
            model = None
    return PopulationGradient(
        name=name, n=int(counts.sum()), excluded=exclusions(rows), population_label=population_label,
        communes=communes, quintiles=quintile_rates(counts, frame), basins=basin_rates(rows, frame),
        index=index, model=model, overall_rate=float(counts.sum() / frame["population"].sum() * PER),
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
    res_users = analyse_population("users", users, users_frame,
                                   f"pour {fmt_int(PER)} habitant·e·s ({year})", n_sim, seed)
    waves_ref = reference.table("census_waves", ref_dir).set_index("code")
    present = [w for w in waves_ref.index if w in set(census["wave"].dropna().astype(str))]
    wave_years = {w: period_year(waves_ref.loc[w, "start"], waves_ref.loc[w, "end"]) for w in present}
    per_wave: dict[str, PopulationGradient] = {}
    pooled = None
    if present:
        pops = [reference.population(wave_years[w], ref_dir) for w in present]
        pooled_frame = commune_frame(sum(pops[1:], pops[0]), inc, ref_dir)
        label = (f"pour {fmt_int(PER)} habitant·e·s et par vague" if len(present) > 1
                 else f"pour {fmt_int(PER)} habitant·e·s ({wave_years[present[0]]})")
        pooled = analyse_population("census", census, pooled_frame, label, n_sim, seed)
        for w, pop in zip(present, pops, strict=True):
            per_wave[w] = analyse_population(
                f"census.{w}", census[census["wave"] == w], commune_frame(pop, inc, ref_dir),
                f"pour {fmt_int(PER)} habitant·e·s ({wave_years[w]})", n_sim, seed)
    return GradientResults(income_year, year, wave_years, res_users, pooled, per_wave, n_sim, seed)


def _population_metrics(prefix: str, g: PopulationGradient) -> dict[str, Any]:
    m: dict[str, Any] = {f"{prefix}.n": g.n, f"{prefix}.n_brussels": g.n, f"{prefix}.rate_per_10000": g.overall_rate, **{
        f"{prefix}.{k}": v for k, v in g.excluded.items()}}
    i = g.index
    if i is None:
        return m
    m |= {f"{prefix}.sii": i.sii, f"{prefix}.sii_low": i.sii_low, f"{prefix}.sii_high": i.sii_high,
          f"{prefix}.rii": i.rii, f"{prefix}.rii_low": i.rii_low, f"{prefix}.rii_high": i.rii_high}
    mod = g.model
    if mod is None:
        return m
    m |= {f"{prefix}.model": mod.kind,
          f"{prefix}.model_fr": "régression binomiale négative" if mod.kind == "negative_binomial"
          else "régression de Poisson",
          f"{prefix}.dispersion": mod.dispersion,
          f"{prefix}.dispersion_test_stat": mod.dispersion_stat, f"{prefix}.dispersion_p_value": mod.dispersion_p,
          f"{prefix}.nb_alpha": mod.nb_alpha, f"{prefix}.model_converged": mod.converged,
          f"{prefix}.rii_model": mod.rii_model,
          f"{prefix}.rii_model_low": mod.rii_model_low, f"{prefix}.rii_model_high": mod.rii_model_high}
    q1 = mod.rate_ratios.set_index("quintile").loc[1] if 1 in set(mod.rate_ratios["quintile"]) else None
    if q1 is not None:
        m |= {f"{prefix}.rate_ratio_q1_q5": q1["rate_ratio"], f"{prefix}.rate_ratio_q1_q5_low": q1["ci_low"],
              f"{prefix}.rate_ratio_q1_q5_high": q1["ci_high"], f"{prefix}.rate_ratio_q1_q5_p_value": q1["p_value"]}
    for r in mod.rate_ratios.itertuples(index=False):
        m[f"{prefix}.quintile.q{r.quintile}.rate_ratio"] = r.rate_ratio
    for q, r in g.quintiles.iterrows():
        m[f"{prefix}.quintile.q{q}.count"] = r["count"]
        m[f"{prefix}.quintile.q{q}.rate_per_10000"] = r["rate"]
    return m


def gradient_metrics(res: GradientResults) -> dict[str, Any]:
    """Flat metrics under ``gradient.`` (exact values).

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


def output_name(key: str, what: str) -> str:
    """File name of a gradient output: census outputs are the headline ones (``gradient-carte``),
    the PRR users' carry ``usagers`` (``gradient-usagers-carte``)."""
    return f"gradient-{what}" if key == "census" else f"gradient-usagers-{what}"


# ---------------------------------------------------------------- display tables

def _pub(count: float, threshold: int) -> str:
    return f"<{NBSP}{threshold}" if is_small_count(count, threshold) else fmt_int(count)


def _rate_ci(rate: float, low: float, high: float, hidden: bool) -> str:
    if hidden or pd.isna(rate):
        return "–"
    return f"{fmt_number(rate, 1)} ({fmt_interval(low, high, 1)})"


def display_communes(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> pd.DataFrame:
    """Per-commune table for readers (poorest first); rates of suppressed counts are blanked.

    A rate next to the population would give the count back, so it is
    blanked whenever the count is.
    """
    c = g.communes
    return pd.DataFrame({
        "Commune": c["name_fr"],
        "Bassin": c["basin"].fillna("indéterminé"),
        "Revenu moyen par déclaration": c["income"].map(fmt_eur),
        "Quintile de revenu": "Q" + c["quintile"].astype(str),
        "Population": c["population"].map(fmt_int),
        "Effectif": c["count"].map(lambda v: _pub(v, threshold)),
        f"Taux {g.population_label} (IC 95 %)": [
            _rate_ci(r.rate, r.ci_low, r.ci_high, is_small_count(r.count, threshold)) for r in c.itertuples()],
    }).reset_index(drop=True)


def _rate_ratios(g: PopulationGradient) -> pd.DataFrame:
    """The quintile rate ratios of the model, or an empty frame with the same columns."""
    if g.model is not None:
        return g.model.rate_ratios
    return pd.DataFrame({"quintile": range(1, N_QUINTILES + 1), "rate_ratio": math.nan, "ci_low": math.nan,
                         "ci_high": math.nan, "p_value": math.nan})


def display_quintiles(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> pd.DataFrame:
    """Rates and rate ratios per income quintile, for readers."""
    q = g.quintiles.join(_rate_ratios(g).set_index("quintile").add_suffix("_rr"))
    return pd.DataFrame({
        "Quintile": [f"Q{k}" + (" (plus pauvres)" if k == 1 else " (plus aisés)" if k == N_QUINTILES else "")
                     for k in q.index],
        "Communes": q["communes"],
        "Revenu moyen par déclaration": [f"{fmt_eur(a)} à {fmt_eur(b)}" if a != b else fmt_eur(a)
                                         for a, b in zip(q["income_min"], q["income_max"], strict=True)],
        "Population": q["population"].map(fmt_int),
        "Effectif": q["count"].map(lambda v: _pub(v, threshold)),
        f"Taux {g.population_label} (IC 95 %)": [
            _rate_ci(r.rate, r.ci_low, r.ci_high, is_small_count(r.count, threshold)) for r in q.itertuples()],
        "Rapport de taux vs Q5 (IC 95 %)": [
            "référence" if k == N_QUINTILES else "–" if pd.isna(r.rate_ratio_rr) else
            f"{fmt_number(r.rate_ratio_rr, 2)} ({fmt_interval(r.ci_low_rr, r.ci_high_rr, 2)})"
            for k, r in zip(q.index, q.itertuples(), strict=True)],
    }).reset_index(drop=True)


def display_basins(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> pd.DataFrame:
    """Rates per basin for readers (Bruxelles-Ville in the "indéterminé" row)."""
    b = g.basins
    return pd.DataFrame({
        "Bassin": b.index,
        "Communes": b["communes"],
        "Population": b["population"].map(fmt_int),
        "Effectif": b["count"].map(lambda v: _pub(v, threshold)),
        f"Taux {g.population_label} (IC 95 %)": [
            _rate_ci(r.rate, r.ci_low, r.ci_high, is_small_count(r.count, threshold)) for r in b.itertuples()],
    }).reset_index(drop=True)


def display_indices(res: GradientResults) -> pd.DataFrame:
    """SII, RII, model and rate ratio Q1/Q5 side by side for every population (no counts)."""
    rows = []
    pops = [("users", res.users)] + ([("census", res.census)] if res.census is not None else [])
    pops += [(w, g) for w, g in res.census_waves.items()]
    waves = reference.labels("census_waves")
    for key, g in pops:
        i, mod = g.index, g.model
        if i is None or mod is None:
            continue
        q1 = mod.rate_ratios.set_index("quintile").loc[1]
        rows.append({
            "Population": POPULATIONS_FR.get(key, f"recensement, {waves.get(key, key).split(' (')[0].lower()}"),
            "Modèle": "binomial négatif" if mod.kind == "negative_binomial" else "Poisson",
            "Surdispersion (χ²/ddl)": fmt_number(mod.dispersion, 2),
            "Rapport de taux Q1/Q5 (IC 95 %)":
                f"{fmt_number(q1['rate_ratio'], 2)} ({fmt_interval(q1['ci_low'], q1['ci_high'], 2)})",
            f"SII pour {fmt_int(PER)} (IC 95 %)": f"{fmt_signed(i.sii, 1)} ({fmt_interval(i.sii_low, i.sii_high, 1)})",
            "RII (IC 95 %)": f"{fmt_signed(i.rii, 2)} ({fmt_interval(i.rii_low, i.rii_high, 2)})",
            "RII du modèle (IC 95 %)":
                f"{fmt_number(mod.rii_model, 2)} ({fmt_interval(mod.rii_model_low, mod.rii_model_high, 2)})",
        })
    if not rows:
        return pd.DataFrame({"Population": ["Aucune demande localisée dans une commune bruxelloise."]})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- figures

def _label_points(ax, df: pd.DataFrame, x: str, y: str, text: str) -> None:
    """Name each point at the first of eight positions around it that stays inside the axes and
    overlaps neither another label nor a point (else at the first position)."""
    from matplotlib.transforms import Bbox

    renderer = ax.figure.canvas.get_renderer()
    axbox = ax.get_window_extent(renderer)
    pts = ax.transData.transform(df[[x, y]].to_numpy(dtype=float))
    taken = [Bbox.from_extents(px - 4, py - 4, px + 4, py + 4) for px, py in pts]
    offsets = [((5, 0), "left", "center"), ((-5, 0), "right", "center"), ((0, 5), "center", "bottom"),
               ((0, -5), "center", "top"), ((4, 4), "left", "bottom"), ((-4, 4), "right", "bottom"),
               ((4, -4), "left", "top"), ((-4, -4), "right", "top")]
    order = np.argsort(-df[y].to_numpy(dtype=float), kind="stable")
    for i in order:
        r = df.iloc[i]
        chosen = None
        for off, ha, va in offsets:
            ann = ax.annotate(r[text], (r[x], r[y]), xytext=off, textcoords="offset points", fontsize=7,
                              ha=ha, va=va)
            box = ann.get_window_extent(renderer)
            inside = axbox.x0 <= box.x0 and box.x1 <= axbox.x1 and axbox.y0 <= box.y0 and box.y1 <= axbox.y1
            if inside and not any(box.overlaps(b) for j, b in enumerate(taken) if j != i):
                chosen = box
                break
            ann.remove()
        if chosen is None:
            off, ha, va = offsets[0]
            ann = ax.annotate(r[text], (r[x], r[y]), xytext=off, textcoords="offset points", fontsize=7,
                              ha=ha, va=va)
            chosen = ann.get_window_extent(renderer)
        taken.append(chosen)


def plot_rate_vs_income(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD):
    """Scatter of the commune rate against mean income, with the fitted model curve.

    Point area follows the population; communes whose count is suppressed are
    drawn as hollow markers without a name. Returns ``(fig, alt)``.
    """
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, fr_formatter

    c = g.communes
    fig, ax = plt.subplots()
    hidden = c["count"].map(lambda v: is_small_count(v, threshold))
    size = 20 + 180 * c["population"] / c["population"].max()
    ax.scatter(c.loc[~hidden, "income"], c.loc[~hidden, "rate"], s=size[~hidden], color=OKABE_ITO[0],
               alpha=0.8, edgecolor="white", zorder=3)
    if hidden.any():
        ax.scatter(c.loc[hidden, "income"], [0] * int(hidden.sum()), s=size[hidden], facecolor="none",
                   edgecolor="grey", zorder=3, label=f"moins de {threshold} (taux non publié)")
    if g.model is not None:
        fit = g.model.fits["trend"]
        order = c.sort_values("ridit")
        pred = np.exp(fit.params["const"] + fit.params["poorness"] * (1 - order["ridit"].to_numpy())) * PER
        ax.plot(order["income"], pred, color=OKABE_ITO[5], lw=1.5,
                label="modèle " + ("binomial négatif" if g.model.kind == "negative_binomial" else "de Poisson"))
    ax.xaxis.set_major_formatter(fr_formatter(0))
    ax.yaxis.set_major_formatter(fr_formatter(1))
    ax.set_xlabel("Revenu moyen par déclaration de la commune (€)")
    ax.set_ylabel(f"Taux {g.population_label}")
    ax.set_ylim(0, c["rate"].max() * 1.12 if c["rate"].max() > 0 else 1)
    x0, x1 = c["income"].min(), c["income"].max()
    ax.set_xlim(x0 - 0.08 * (x1 - x0), x1 + 0.08 * (x1 - x0))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, fontsize=8)
    _label_points(ax, c[~hidden], "income", "rate", "name_fr")
    poor, rich = c.iloc[0], c.iloc[-1]
    alt = (f"Nuage de points des 19 communes : taux {g.population_label} selon le revenu moyen par déclaration. "
           f"Commune la plus pauvre, {poor['name_fr']} ({fmt_eur(poor['income'])}) : "
           + ("taux non publié" if is_small_count(poor["count"], threshold) else f"{fmt_number(poor['rate'], 1)}")
           + f" ; la plus aisée, {rich['name_fr']} ({fmt_eur(rich['income'])}) : "
           + ("taux non publié" if is_small_count(rich["count"], threshold) else f"{fmt_number(rich['rate'], 1)}")
           + (f". Indice relatif d'inégalité {fmt_signed(g.index.rii, 2)}." if g.index is not None else "."))
    return fig, alt


def plot_quintile_rates(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD):
    """Bar chart of the rate per income quintile with 95 % intervals. Returns ``(fig, alt)``."""
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, fr_formatter

    q = g.quintiles
    hidden = q["count"].map(lambda v: is_small_count(v, threshold))
    vals = q["rate"].where(~hidden, 0)
    fig, ax = plt.subplots()
    names = [f"Q{k}" + ("\n(plus pauvres)" if k == 1 else "\n(plus aisés)" if k == N_QUINTILES else "")
             for k in q.index]
    ax.bar(names, vals, color=OKABE_ITO[0],
           yerr=[(q["rate"] - q["ci_low"]).where(~hidden, 0), (q["ci_high"] - q["rate"]).where(~hidden, 0)],
           capsize=4)
    for i, h in enumerate(hidden):
        if h:
            ax.text(i, 0, "non publié", ha="center", va="bottom", fontsize=8, color="grey")
    ax.yaxis.set_major_formatter(fr_formatter(1))
    ax.set_xlabel("Quintile de revenu moyen par déclaration de la commune (population)")
    ax.set_ylabel(f"Taux {g.population_label}")
    alt = (f"Histogramme du taux {g.population_label} par quintile de revenu, du plus pauvre au plus aisé : "
           + ", ".join("non publié" if h else fmt_number(v, 1) for v, h in zip(q["rate"], hidden, strict=True))
           + ", avec intervalles de confiance à 95 %.")
    return fig, alt


def plot_map(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD):
    """Map of the rate per commune; communes with a suppressed count are greyed. Returns ``(fig, alt)``."""
    from analysis.publish.maps import plot_commune_map

    c = g.communes
    hidden = {nis for nis, v in c["count"].items() if is_small_count(v, threshold)}
    labels = {nis: fmt_number(r, 1) for nis, r in c["rate"].items() if nis not in hidden}
    fig = plot_commune_map(c["rate"], legend_label=f"Taux {g.population_label}", labels=labels, hidden=hidden,
                           hidden_label=f"moins de {threshold} : non publié")
    top = c[~c.index.isin(hidden)].sort_values("rate", ascending=False)
    alt = (f"Carte des 19 communes bruxelloises colorées selon le taux {g.population_label}. "
           + (f"Taux le plus élevé : {top['name_fr'].iloc[0]} ({fmt_number(top['rate'].iloc[0], 1)}) ; "
              f"le plus bas : {top['name_fr'].iloc[-1]} ({fmt_number(top['rate'].iloc[-1], 1)}). " if len(top) else "")
           + (f"{len(hidden)} commune(s) grisée(s) : effectif trop faible pour être publié." if hidden else ""))
    return fig, alt


# ---------------------------------------------------------------- outputs of the notebook

EXAMPLE_NOTE = " Données d'exemple synthétiques."


def _model_fr(g: PopulationGradient) -> str:
    if g.model is None:
        return "non estimé"
    return "binomial négatif" if g.model.kind == "negative_binomial" else "de Poisson"


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _residence_fr(code: str) -> str:
    from analysis.ingest.normalise import BRUSSELS_REGION

    if code == BRUSSELS_REGION:
        return "Bruxelles, commune inconnue"
    return reference.labels("regions").get(code, code)


def _exact_communes(g: PopulationGradient) -> pd.DataFrame:
    return g.communes.reset_index()


def save_outputs(res: GradientResults, figures_dir: Path, tables_dir: Path,
                 threshold: int = DEFAULT_DISCLOSURE_THRESHOLD, is_example: bool = False) -> dict[str, list[str]]:
    """Save every gradient figure and table (CSV exact, Markdown with disclosure applied).

    Returns the names written, ``{"figures": [...], "tables": [...]}``.
    """
    from analysis.analyses.saturation import write_table
    from analysis.publish.figures import save_figure

    note = EXAMPLE_NOTE if is_example else ""
    income = (f" Revenu : revenu moyen net imposable par déclaration ({res.income_year}, Statbel) ; aucun revenu "
              "médian n'est publié pour chaque commune.")
    rule = f" Effectifs inférieurs à {threshold} masqués, ainsi que le taux correspondant."
    wide = (" Les intervalles du SII et du RII (simulation, comme l'outil phe_sii) ne traduisent que l'aléa "
            "de Poisson des taux communaux ; ceux des modèles tiennent aussi compte de la dispersion entre communes. "
            "Avec 19 communes seulement, ils sont larges et les indices instables.")
    pops = [("users", res.users)] + ([("census", res.census)] if res.census is not None else [])
    figures, tables = [], []
    for key, g in pops:
        what = POPULATIONS_FR[key]
        excl = ", ".join(f"{_residence_fr(k.removeprefix('excluded_'))} : {_pub(v, threshold)}"
                         for k, v in g.excluded.items())
        excl = f" Hors calcul : {excl}." if excl else ""
        fig, alt = plot_rate_vs_income(g, threshold)
        figures.append((output_name(key, "nuage"), fig, alt,
                        f"Taux de {what} {g.population_label} selon le revenu de la commune ; courbe : modèle "
                        f"{_model_fr(g)} sur le rang "
                        "de revenu (population)." + income + excl + note))
        fig, alt = plot_map(g, threshold)
        figures.append((output_name(key, "carte"), fig, alt,
                        f"Taux de {what} {g.population_label}, par commune de résidence." + rule + excl + note))
        fig, alt = plot_quintile_rates(g, threshold)
        figures.append((output_name(key, "quintiles"), fig, alt,
                        f"Taux de {what} {g.population_label} par quintile de revenu des communes (Q1 : cinquième "
                        "le plus pauvre de la population), IC 95 % exacts de Poisson." + income + note))
        tables.append((output_name(key, "communes"), _exact_communes(g), display_communes(g, threshold),
                       f"{_upper_first(what)} par commune de résidence, des communes les plus pauvres aux plus aisées."
                       + income + rule + excl + note))
        tables.append((output_name(key, "quintiles"), g.quintiles.join(_rate_ratios(g).set_index("quintile")
                                                                      .add_suffix("_rr")).reset_index(),
                       display_quintiles(g, threshold),
                       f"{_upper_first(what)} par quintile de revenu des communes (classes de population "
                       "comparables aux classes de revenu de l'Observatoire de la Santé et du Social, qui travaille "
                       "toutefois sur les secteurs statistiques et le revenu médian)." + income + rule + note))
        tables.append((output_name(key, "bassins"), g.basins.reset_index(), display_basins(g, threshold),
                       f"{_upper_first(what)} par bassin d'aide et de soins ; Bruxelles-Ville, partagée entre "
                       "plusieurs bassins, forme une ligne « indéterminé »." + rule + note))
    tables.append(("gradient-indices", pd.DataFrame(gradient_metrics(res).items(), columns=["metric", "value"]),
                   display_indices(res),
                   "Gradient social : rapport de taux entre quintiles extrêmes, indices de pente (SII, pour "
                   f"{fmt_int(PER)} habitant·e·s) et relatif (RII) d'inégalité, avec intervalles par simulation "
                   f"({fmt_int(res.n_sim)} tirages) ; un SII positif signifie un taux plus élevé du côté "
                   "pauvre." + wide + income + note))
    for name, fig, alt, caption in figures:
        save_figure(fig, name, figures_dir, alt, caption)
    for name, exact, disp, caption in tables:
        write_table(exact, disp, name, tables_dir, caption)
    return {"figures": [f[0] for f in figures], "tables": [t[0] for t in tables],
            "map": output_name(pops[-1][0], "carte")}
