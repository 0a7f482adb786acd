"""Saturation of the mental health services (SSM): the census of new demands.

Every new demand reaching a participating SSM during a census wave is one row
of the clean ``census`` table (see :mod:`analysis.ingest.schema`). This module turns
those rows into the shares the report quotes, per wave, per public and per
requested follow-up, compares the waves, models constrained reorientations and
estimates the wait for a first appointment.

Definitions (data decisions):

- Outcome shares (``accepted``, ``waiting``, ``reoriented``, ``no_followup``)
  use every demand of the group as denominator; an outcome is always present
  (rows without one are set aside by the cleaning).
- A *constrained reorientation* is a demand whose outcome is a reorientation
  and whose reason is flagged ``constrained`` in
  ``data/reference/reorientation_reasons.csv`` (lack of availability). A
  reorientation whose reason was not given is not counted as constrained, so
  the constrained share is a lower bound; the number of such reorientations is
  reported (``reorientation_reason_missing``).
- ``full_destination``: among constrained reorientations *whose answer is
  known* (destination service full: yes or no), the share sent to a service
  that was itself full. "Unknown" and empty answers are left out of the
  denominator (they say nothing about the destination); their number is
  reported, and ``full_destination_all_pct`` gives the share over all
  constrained reorientations as a lower bound.
- ``first_line``: share of demands made by the person or a relative, among
  demands whose requester is known.
- 95 % intervals for shares: demands cluster in the services that answered the census (each
  service's capacity and way of recording), so the interval of a share is the wider of the
  Wilson score interval and the CR2 cluster-robust interval by service
  (:func:`clustered_proportion`, the same rule as the referrals chapter).
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
from analysis.analyses import cluster
from analysis.analyses.gradient import period_year
from analysis.analyses.stats import pct, two_proportion_test
from analysis.analyses.stats import wilson_ci as _wilson_ci
from analysis.config import REFERENCE_DIR

# Census outcome codes (data/reference/census_outcomes.csv) and the role each one
# plays in the analysis: the one place where these codes are named.
ACCEPTED = "suivi_propose"
WAITING = "liste_attente"
REORIENTED = "reorientation"
NO_FOLLOWUP = "sans_suite"
OUTCOME_KEYS = {ACCEPTED: "accepted", WAITING: "waiting", REORIENTED: "reoriented", NO_FOLLOWUP: "no_followup"}
# Answers of ``destination_full`` (data/reference/yes_no_unknown.csv).
YES = "oui"
NO = "non"

#: Outcome indicators (sum to 100 % within a group); their French labels are in
#: :data:`analysis.publish.saturation.INDICATORS_FR`.
OUTCOME_INDICATORS = ("accepted", "waiting", "reoriented", "no_followup")

#: Levels of a categorical covariate with fewer demands than this are pooled in the model.
MIN_LEVEL_N = 30
POOLED_LEVEL = "autres_regroupes"
#: Income unit of the model: the odds ratio is per this many euros of mean income per return.
INCOME_UNIT_EUR = 10_000
#: Stability rule of the logistic model: at least this many events (of the rarer outcome) per
#: estimated coefficient (Peduzzi et al. 1996), else the model is "not a finding".
MIN_EVENTS_PER_PARAMETER = 10


def check_codes(ref_dir: Path = REFERENCE_DIR) -> None:
    """Raise ``ValueError`` if a code named in this module is missing from the reference lists."""
    missing = set(OUTCOME_KEYS) - set(reference.codes("census_outcomes", ref_dir))
    missing |= {YES, NO} - set(reference.codes("yes_no_unknown", ref_dir))
    if missing:
        raise ValueError(f"codes absent des tables de référence : {sorted(missing)}")


# ---------------------------------------------------------------- proportions

def wilson_ci(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval (:func:`analysis.analyses.stats.wilson_ci`)."""
    return _wilson_ci(k, n, alpha)


def proportion(k: int, n: int, alpha: float = 0.05) -> dict[str, float]:
    """``{k, n, pct, ci_low, ci_high}`` in percent units (Wilson interval: no service known)."""
    low, high = wilson_ci(int(k), int(n), alpha)
    pct = 100 * k / n if n else math.nan
    return {"k": int(k), "n": int(n), "pct": pct, "ci_low": 100 * low, "ci_high": 100 * high}


def clustered_proportion(flags, services, alpha: float = 0.05) -> dict[str, float]:
    """``{k, n, pct, ci_low, ci_high}`` in percent units of the share of True in ``flags``, the
    demands of ``services`` (the service each demand was made to): the interval is the wider of
    the Wilson interval and the CR2 interval by service
    (:func:`analysis.analyses.cluster.share_interval`, the rule of the referrals chapter)."""
    y = np.asarray(flags, dtype=bool)
    k, n = int(y.sum()), len(y)
    low, high = cluster.share_interval(y, np.asarray(services).astype(str), alpha)
    pct = 100 * k / n if n else math.nan
    return {"k": k, "n": n, "pct": pct, "ci_low": 100 * low, "ci_high": 100 * high}


# ---------------------------------------------------------------- flags

def constrained_reasons(ref_dir: Path = REFERENCE_DIR) -> list[str]:
    """Reorientation reasons flagged ``constrained`` (lack of availability)."""
    ref = reference.table("reorientation_reasons", ref_dir)
    return ref.loc[ref["constrained"].fillna(False).astype(bool), "code"].tolist()


def add_flags(census: pd.DataFrame, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Copy of ``census`` with boolean columns for every indicator and its denominator.

    Adds ``accepted``, ``waiting``, ``reoriented``, ``no_followup``,
    ``constrained`` (reorientation for a constrained reason),
    ``full_known`` (constrained, destination answer yes/no) and ``full``
    (constrained, destination full), ``first_line_known``.
    """
    df = census.copy()
    outcome = df["outcome"].astype("string")
    for code, key in OUTCOME_KEYS.items():
        df[key] = (outcome == code).fillna(False).astype(bool)
    reason = df["reorientation_reason"].astype("string")
    df["constrained"] = df["reoriented"] & reason.isin(constrained_reasons(ref_dir)).fillna(False).astype(bool)
    dest = df["destination_full"].astype("string")
    df["full_known"] = df["constrained"] & dest.isin([YES, NO]).fillna(False).astype(bool)
    df["full"] = df["constrained"] & (dest == YES).fillna(False).astype(bool)
    df["first_line_known"] = df["first_line"].notna()
    return df


def _indicator_rows(g: pd.DataFrame, alpha: float) -> list[dict[str, Any]]:
    """The indicators of one group of flagged demands (see :func:`add_flags`)."""
    services = g["service_code"].astype(str).to_numpy()

    def share(flag: str, among: pd.Series | None = None) -> dict[str, float]:
        if among is None:
            return clustered_proportion(g[flag].to_numpy(dtype=bool), services, alpha)
        mask = among.to_numpy(dtype=bool)
        return clustered_proportion(g.loc[mask, flag].astype(bool).to_numpy(), services[mask], alpha)

    rows = [{"indicator": key, **share(key)} for key in OUTCOME_INDICATORS]
    rows.append({"indicator": "constrained", **share("constrained")})
    # constrained ⊂ reoriented and full ⊂ full_known: the same counts over their denominators
    rows.append({"indicator": "constrained_of_reoriented", **share("constrained", g["reoriented"])})
    rows.append({"indicator": "full_destination", **share("full", g["full_known"])})
    rows.append({"indicator": "first_line", **share("first_line", g["first_line_known"])})
    return rows


INDICATOR_COLUMNS = ["indicator", "k", "n", "pct", "ci_low", "ci_high"]


def indicator_table(census: pd.DataFrame, by: list[str], alpha: float = 0.05,
                    ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Long table: one row per group of ``by`` and indicator, with ``k, n, pct, ci_low, ci_high``.

    ``pct`` and the bounds are in percent units. Demands whose ``by`` value is
    missing are left out of that breakdown (they stay in the wave totals). Grouped by wave and a
    coded column (:data:`LEVEL_CODES`), every level of the reference table is listed in every wave
    present, an empty one with zero counts: a level listed only when somebody is in it would tell
    that its « < 5 » is at least 1.
    """
    df = add_flags(census, ref_dir)
    rows = []
    for key, g in df.groupby(by, dropna=True, observed=True, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        for r in _indicator_rows(g, alpha):
            rows.append({**dict(zip(by, key, strict=True)), **r})
    if len(by) == 2 and by[0] == "wave" and by[1] in LEVEL_CODES:
        present = {(r["wave"], str(r[by[1]])) for r in rows}
        empty = df.iloc[0:0]
        for wave in wave_codes(census, ref_dir):
            for level in reference.codes(LEVEL_CODES[by[1]], ref_dir):
                if (wave, str(level)) not in present:
                    rows += [{"wave": wave, by[1]: level, **r} for r in _indicator_rows(empty, alpha)]
        rows.sort(key=lambda r: (str(r["wave"]), str(r[by[1]])))  # the groupby's order (stable: indicators kept)
    out = pd.DataFrame(rows, columns=[*by, *INDICATOR_COLUMNS])
    return out.astype({"k": "int64", "n": "int64"})


#: Reference table of the levels of each coded column an indicator table is grouped by.
LEVEL_CODES = {"public": "publics", "followup_requested": "followups"}


def wave_codes(census: pd.DataFrame, ref_dir: Path = REFERENCE_DIR) -> list[str]:
    """Waves present in ``census``, in the reference (chronological) order."""
    present = set(census["wave"].dropna().astype(str))
    return [w for w in reference.codes("census_waves", ref_dir) if w in present] if present else []


def wave_end(wave: str, ref_dir: Path = REFERENCE_DIR) -> pd.Timestamp:
    """Last day of the last month of a census wave."""
    ref = reference.table("census_waves", ref_dir).set_index("code")
    return pd.Period(ref.loc[wave, "end"], freq="M").end_time.normalize()


# ---------------------------------------------------------------- wave comparison

@dataclass(frozen=True)
class WaveComparison:
    """Chance of an outcome in ``wave_to`` compared with ``wave_from`` (percent units)."""

    indicator: str
    wave_from: str
    wave_to: str
    k_from: int
    n_from: int
    k_to: int
    n_to: int
    pct_from: float
    pct_to: float
    diff_pts: float
    diff_low: float
    diff_high: float
    change_pct: float
    change_low: float
    change_high: float
    p_value: float


def newcombe_diff_ci(k1: int, n1: int, k2: int, n2: int, alpha: float = 0.05) -> tuple[float, float, float]:
    """Difference ``p2 - p1`` with Newcombe's hybrid score interval (method 10, 1998), proportions.

    NaN (not computable) when a sample is empty."""
    if min(n1, n2) <= 0:
        return (math.nan, math.nan, math.nan)
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_ci(k1, n1, alpha)
    l2, u2 = wilson_ci(k2, n2, alpha)
    d = p2 - p1
    return d, d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2), d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)


def relative_change_ci(k1: int, n1: int, k2: int, n2: int, alpha: float = 0.05) -> tuple[float, float, float]:
    """Risk ratio ``p2 / p1`` with the log-RR (Katz) interval; NaN when a count is 0."""
    if min(k1, k2) == 0:
        return (math.nan, math.nan, math.nan)
    rr = (k2 / n2) / (k1 / n1)
    se = math.sqrt(1 / k2 - 1 / n2 + 1 / k1 - 1 / n1)
    z = sps.norm.ppf(1 - alpha / 2)
    return rr, rr * math.exp(-z * se), rr * math.exp(z * se)


def _two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z test (:func:`analysis.analyses.stats.two_proportion_test`)."""
    return float(two_proportion_test(k1, n1, k2, n2)["p_value"])


def compare_waves(census: pd.DataFrame, wave_from: str, wave_to: str, indicator: str = "accepted",
                  alpha: float = 0.05, ref_dir: Path = REFERENCE_DIR) -> WaveComparison:
    """Difference (points, Newcombe interval) and relative change (%, log-RR interval) of an outcome.

    The relative change is ``100 × (p_to / p_from − 1)``: −11 means the chance
    fell by 11 %. The test is the pooled two-proportion z test.
    """
    df = add_flags(census, ref_dir)
    a = df[df["wave"] == wave_from]
    b = df[df["wave"] == wave_to]
    k1, n1, k2, n2 = int(a[indicator].sum()), len(a), int(b[indicator].sum()), len(b)
    d, dl, dh = newcombe_diff_ci(k1, n1, k2, n2, alpha)
    rr, rl, rh = relative_change_ci(k1, n1, k2, n2, alpha)
    return WaveComparison(
        indicator, wave_from, wave_to, k1, n1, k2, n2, pct(k1, n1), pct(k2, n2),
        100 * d, 100 * dl, 100 * dh, 100 * (rr - 1), 100 * (rl - 1), 100 * (rh - 1),
        _two_proportion_p(k1, n1, k2, n2),
    )


@dataclass(frozen=True)
class ClusteredComparison:
    """Difference of a share between two waves with demands clustered by service (percent units).

    The estimate is the wave coefficient of a linear probability model; its
    interval and p-value use the CR2 variance with Bell–McCaffrey degrees of
    freedom (:mod:`analysis.analyses.cluster`); ``p_boot`` is the wild cluster
    bootstrap p-value (Webb weights, fixed seed). ``scope``: ``"all"`` (every
    service of each wave) or ``"paired"`` (only services present in both waves).
    """

    indicator: str
    scope: str
    wave_from: str
    wave_to: str
    k_from: int
    n_from: int
    k_to: int
    n_to: int
    services_from: int
    services_to: int
    services_common: int
    pct_from: float
    pct_to: float
    diff_pts: float
    diff_low: float
    diff_high: float
    df: float
    p_value: float
    p_boot: float
    p_unclustered: float


def compare_waves_clustered(census: pd.DataFrame, wave_from: str, wave_to: str, indicator: str = "accepted",
                            paired: bool = False, alpha: float = 0.05, ref_dir: Path = REFERENCE_DIR,
                            boot_reps: int = cluster.BOOT_REPS) -> ClusteredComparison:
    """Change of an indicator between two waves, clustered by service (CR2 and wild bootstrap).

    With ``paired=True`` only the services that took part in both waves are
    kept: a change of the participating services cannot then pass for a change
    of access. The unclustered two-proportion p-value is kept for comparison only.
    """
    df = add_flags(census, ref_dir)
    df = df[df["wave"].isin([wave_from, wave_to])]
    s_from = set(df.loc[df["wave"] == wave_from, "service_code"].dropna().astype(str))
    s_to = set(df.loc[df["wave"] == wave_to, "service_code"].dropna().astype(str))
    common = s_from & s_to
    if paired:
        df = df[df["service_code"].astype(str).isin(common)]
    a, b = df[df["wave"] == wave_from], df[df["wave"] == wave_to]
    k1, n1, k2, n2 = int(a[indicator].sum()), len(a), int(b[indicator].sum()), len(b)
    y = df[indicator].astype(float).to_numpy()
    d = (df["wave"] == wave_to).astype(float).to_numpy()
    groups = df["service_code"].astype(str).to_numpy()
    if cluster.too_few_clusters(groups):  # no clustered inference with so few services (cluster module doc)
        share = [float(y[d == v].mean()) if (d == v).any() else math.nan for v in (0.0, 1.0)]
        est = cluster._nan_estimate(len(y), len(set(groups.tolist())), estimate=share[1] - share[0])
        p_boot = math.nan
    else:
        est = cluster.difference_of_shares(y, d, groups, alpha)
        X = np.column_stack([np.ones(len(y)), d])
        p_boot = cluster.wild_cluster_bootstrap(X, y, groups, 1, reps=boot_reps) if n1 and n2 else math.nan
    return ClusteredComparison(
        indicator, "paired" if paired else "all", wave_from, wave_to, k1, n1, k2, n2,
        len(s_from if not paired else common), len(s_to if not paired else common), len(common),
        100 * k1 / n1 if n1 else math.nan, 100 * k2 / n2 if n2 else math.nan,
        100 * est.estimate, 100 * est.ci_low, 100 * est.ci_high, est.df, est.p_value, p_boot,
        _two_proportion_p(k1, n1, k2, n2) if n1 and n2 else math.nan,
    )


# ---------------------------------------------------------------- logistic model

@dataclass
class ModelResult:
    """Logistic model of constrained reorientation (odds ratios, clustered by service).

    The French labels of the terms and the reading sentence are built from it
    by :mod:`analysis.publish.saturation`.
    """

    table: pd.DataFrame  # term, variable, odds_ratio, ci_low, ci_high, p_value, df (CR2, Bell–McCaffrey)
    n: int
    events: int
    clusters: int
    excluded_outside_brussels: int
    excluded_missing: int
    income_year: int | None
    #: reference level of each categorical covariate (``public``, ``followup``; ``wave`` when modelled)
    references: dict[str, str] = field(default_factory=dict)
    alpha: float = 0.05
    #: coefficients besides the intercept, events of the rarer outcome per coefficient, stability rule met
    parameters: int = 0
    events_per_parameter: float = math.nan
    stable: bool = False
    cov_type: str = "CR2-BM"
    fit: Any = field(default=None, repr=False)


def _pool_rare(values: pd.Series, min_n: int) -> pd.Series:
    """Pool levels with fewer than ``min_n`` rows into :data:`POOLED_LEVEL` (if that leaves ≥ 2 levels)."""
    counts = values.value_counts()
    rare = counts[counts < min_n].index
    if len(rare) >= 2 or (len(rare) == 1 and len(counts) > 2):
        values = values.where(~values.isin(rare), POOLED_LEVEL)
    return values


def _reference_level(values: pd.Series) -> str:
    """The most frequent level (ties: first in sort order): a stable reference category."""
    counts = values.value_counts()
    top = counts[counts == counts.max()].index
    return sorted(top)[0]


def _dummies(values: pd.Series, prefix: str, ref: str) -> pd.DataFrame:
    levels = [lv for lv in sorted(values.unique()) if lv != ref]
    return pd.DataFrame({f"{prefix}_{lv}": (values == lv).astype(float) for lv in levels}, index=values.index)


def model_frame(census: pd.DataFrame, income_per_return: pd.Series, ref_dir: Path = REFERENCE_DIR,
                min_level_n: int = MIN_LEVEL_N) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows used by the model and the number excluded, by reason.

    Demands outside Brussels or without a known commune cannot be given the
    income of their commune and are excluded (``outside_brussels``); demands
    missing the public, the requested follow-up or the requester are excluded
    next (``missing``; complete-case analysis).
    """
    df = add_flags(census, ref_dir)
    in_brussels = df["commune_nis"].notna()
    excluded = {"outside_brussels": int((~in_brussels).sum())}
    df = df[in_brussels].copy()
    df["income"] = df["commune_nis"].astype(str).map(income_per_return)
    complete = df[["public", "followup_requested", "first_line", "income"]].notna().all(axis=1)
    excluded["missing"] = int((~complete).sum())
    df = df[complete].copy()
    df["public"] = _pool_rare(df["public"].astype(str), min_level_n)
    df["followup_requested"] = _pool_rare(df["followup_requested"].astype(str), min_level_n)
    return df, excluded


def fit_constrained_model(census: pd.DataFrame, income_per_return: pd.Series, alpha: float = 0.05,
                          ref_dir: Path = REFERENCE_DIR, min_level_n: int = MIN_LEVEL_N) -> ModelResult:
    """Logistic regression (binomial GLM) of constrained reorientation.

    Covariates: public, requested follow-up (reference: the most frequent
    level of each; levels with fewer than ``min_level_n`` demands pooled),
    first-line demand, mean income per tax return of the commune of residence
    (per 10 000 €; no commune median income is published) and, when the data
    hold several waves, the wave (reference: the first). Demands to the same SSM
    share its capacity, so they are not independent: intervals and p-values use
    the CR2 cluster-robust variance by service with Bell–McCaffrey degrees of
    freedom (small-cluster correction, :func:`analysis.analyses.cluster.glm_cr2`);
    ``fit`` keeps statsmodels' CR1 clustered fit for reference.

    Stability rule: with fewer than :data:`MIN_EVENTS_PER_PARAMETER` events of
    the rarer outcome per coefficient, ``stable`` is False and the odds ratios
    are not findings.
    """
    import statsmodels.api as sm

    df, excluded = model_frame(census, income_per_return, ref_dir, min_level_n)
    if df.empty or df["constrained"].nunique() < 2:
        raise ValueError("modèle impossible : pas de variation de la réorientation contrainte")
    refs = {"public": _reference_level(df["public"]), "followup": _reference_level(df["followup_requested"])}
    parts = [
        _dummies(df["public"], "public", refs["public"]),
        _dummies(df["followup_requested"], "followup", refs["followup"]),
        pd.DataFrame({"first_line": df["first_line"].astype(bool).astype(float)}, index=df.index),
        pd.DataFrame({"income_10k": df["income"] / INCOME_UNIT_EUR}, index=df.index),
    ]
    waves = wave_codes(df, ref_dir)
    if len(waves) > 1:
        parts.append(_dummies(df["wave"].astype(str), "wave", waves[0]))
    X = pd.concat(parts, axis=1)
    X = X.loc[:, X.std() > 0]
    X.insert(0, "const", 1.0)
    y = df["constrained"].astype(float)
    groups = pd.factorize(df["service_code"].astype(str))[0]
    if X.shape[1] < 2 or len(df) <= X.shape[1] or groups.max() < 1:
        # no covariate that varies, fewer demands than coefficients, or one service only (no clustered
        # variance): statsmodels' clustered fit divides by zero there
        raise ValueError("modèle non estimable : trop peu de demandes ou un seul service pour les covariables")
    if cluster.too_few(groups.max() + 1):  # cluster module doc: no clustered inference below MIN_CLUSTERS
        raise ValueError(f"modèle non estimé : {groups.max() + 1} SSM seulement, moins de {cluster.MIN_CLUSTERS} "
                         "pour des intervalles qui tiennent compte du regroupement par service")
    fit = sm.GLM(y, X, family=sm.families.Binomial()).fit(cov_type="cluster", cov_kwds={"groups": groups})
    cr2 = dict(zip(X.columns, cluster.glm_cr2(fit, X.to_numpy(), groups, alpha), strict=True))
    rows = []
    for term in X.columns.drop("const"):
        e = cr2[term]
        rows.append({
            "term": term,
            "variable": term.split("_")[0] if term not in ("first_line", "income_10k") else term,
            "odds_ratio": float(np.exp(fit.params[term])),
            "ci_low": float(np.exp(e.ci_low)),
            "ci_high": float(np.exp(e.ci_high)),
            "p_value": e.p_value,
            "df": e.df,
        })
    table = pd.DataFrame(rows)
    finite = np.isfinite(table[["odds_ratio"]].to_numpy(dtype=float)).all() and np.isfinite(
        fit.bse.to_numpy(dtype=float)).all()
    if not finite or len(df) <= X.shape[1]:
        # separation or too few demands for the covariates: no estimable model
        raise ValueError("modèle non estimable : séparation ou trop peu de demandes pour les covariables")
    params = X.shape[1] - 1
    rarer = int(min(y.sum(), len(y) - y.sum()))
    epv = rarer / params if params else math.nan
    return ModelResult(
        table=table, n=len(df), events=int(y.sum()), clusters=int(groups.max() + 1),
        parameters=params, events_per_parameter=epv, stable=bool(epv >= MIN_EVENTS_PER_PARAMETER),
        excluded_outside_brussels=excluded["outside_brussels"], excluded_missing=excluded["missing"],
        income_year=income_per_return.attrs.get("income_year"),
        references=refs | ({"wave": waves[0]} if len(waves) > 1 else {}), alpha=alpha, fit=fit,
    )


# ---------------------------------------------------------------- waits (Kaplan–Meier)

def wait_durations(census: pd.DataFrame, ref_dir: Path = REFERENCE_DIR) -> tuple[pd.DataFrame, dict[str, int]]:
    """Days from demand to first appointment, censored at the end of the wave.

    Population: demands offered a follow-up or put on a waiting list (the
    others are not meant to get an appointment at that service). A demand
    without an appointment, or with one after the wave's last day, is censored
    at that last day (administrative censoring: the census stopped looking).
    Appointments dated before the demand are impossible and left out
    (``excluded_before_demand``). Returns (``wave, public, service_code, days,
    event``) and the exclusion counts.
    """
    df = census[census["outcome"].isin([ACCEPTED, WAITING])].copy()
    ends = {w: wave_end(w, ref_dir) for w in df["wave"].dropna().unique()}
    end = df["wave"].map(ends).astype("datetime64[ns]")
    appt = df["first_appointment"]
    bad = appt.notna() & (appt < df["demand_date"])
    df, end, appt = df[~bad], end[~bad], appt[~bad]
    event = appt.notna() & (appt <= end)
    stop = appt.where(event, end)
    out = pd.DataFrame({
        "wave": df["wave"].astype("string"),
        "public": df["public"].astype("string"),
        "service_code": df["service_code"].astype("string"),
        "days": (stop - df["demand_date"]).dt.days.astype("int64"),
        "event": event.astype(bool),
    })
    return out.reset_index(drop=True), {"excluded_before_demand": int(bad.sum())}


def kaplan_meier(days: pd.Series | np.ndarray, event: pd.Series | np.ndarray) -> pd.DataFrame:
    """Kaplan–Meier estimate: one row per distinct time with ``at_risk, events, censored, survival``.

    Censored observations at a time are at risk at that time (events first).
    A row for time 0 with survival 1 is prepended.
    """
    d = pd.DataFrame({"t": np.asarray(days, dtype=float), "e": np.asarray(event, dtype=bool)})
    grouped = d.groupby("t")["e"].agg(events="sum", total="size").sort_index()
    grouped["censored"] = grouped["total"] - grouped["events"]
    at_risk = len(d) - grouped["total"].cumsum().shift(fill_value=0)
    surv = (1 - grouped["events"] / at_risk).cumprod()
    out = pd.DataFrame({"time": grouped.index.values, "at_risk": at_risk.values.astype(int),
                        "events": grouped["events"].values.astype(int),
                        "censored": grouped["censored"].values.astype(int), "survival": surv.values})
    if out.empty or out["time"].iloc[0] > 0:
        start = pd.DataFrame({"time": [0.0], "at_risk": [len(d)], "events": [0], "censored": [0], "survival": [1.0]})
        out = pd.concat([start, out], ignore_index=True)
    return out


def km_median(curve: pd.DataFrame) -> float:
    """Median: the smallest time at which the survival falls to 0.5 or below (NaN if never)."""
    hit = curve[curve["survival"] <= 0.5 + 1e-12]
    return float(hit["time"].iloc[0]) if len(hit) else math.nan


def _median_ci(days: pd.Series, event: pd.Series, alpha: float) -> tuple[float, float]:
    """Brookmeyer–Crowley interval of the median (statsmodels), NaN when not estimable."""
    from statsmodels.duration.survfunc import SurvfuncRight

    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            low, high = SurvfuncRight(days.to_numpy(float), event.to_numpy(int)).quantile_ci(0.5, alpha=alpha)
    except (ValueError, ZeroDivisionError, IndexError):  # pragma: no cover - degenerate curves
        return (math.nan, math.nan)
    def finite(v) -> float:
        return float(v) if v is not None and np.isfinite(v) else math.nan

    return (finite(low), finite(high))


def survival_curves(waits: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Kaplan–Meier curves for every group of ``by`` (long table)."""
    frames = []
    for key, g in waits.groupby(by, dropna=True, observed=True, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        curve = kaplan_meier(g["days"], g["event"])
        for col, val in zip(by, key, strict=True):
            curve.insert(0, col, val)
        frames.append(curve)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


MEDIAN_COLUMNS = ["n", "events", "censored", "censored_pct", "median_days", "ci_low", "ci_high", "ci_high_estimable"]


def median_waits(waits: pd.DataFrame, by: list[str], alpha: float = 0.05) -> pd.DataFrame:
    """Median wait (days) with its interval, numbers, events and censoring, per group of ``by``.

    ``censored_pct``: share of demands without an observed first appointment
    (still waiting at the wave's end). When too many are censored the curve
    never comes back up through the interval's upper band and the upper bound
    does not exist: ``ci_high`` is NaN and ``ci_high_estimable`` False (to be
    printed « non estimable », never as an infinite number). A median that is
    not reached is NaN too.
    """
    rows = []
    for key, g in waits.groupby(by, dropna=True, observed=True, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        low, high = _median_ci(g["days"], g["event"], alpha)
        events = int(g["event"].sum())
        rows.append({**dict(zip(by, key, strict=True)), "n": len(g), "events": events,
                     "censored": len(g) - events, "censored_pct": 100 * (len(g) - events) / len(g),
                     "median_days": km_median(kaplan_meier(g["days"], g["event"])),
                     "ci_low": low, "ci_high": high, "ci_high_estimable": bool(np.isfinite(high))})
    return pd.DataFrame(rows, columns=[*by, *MEDIAN_COLUMNS])


# ---------------------------------------------------------------- the whole analysis

@dataclass
class SaturationResults:
    """Everything the saturation notebook shows, writes and quotes."""

    waves: list[str]
    by_wave: pd.DataFrame
    by_public: pd.DataFrame
    by_followup: pd.DataFrame
    services: dict[str, int]
    reason_missing: dict[str, int]
    full_unknown: dict[str, int]
    comparison: WaveComparison | None
    model: ModelResult | None
    waits: pd.DataFrame
    wait_exclusions: dict[str, int]
    medians_by_wave: pd.DataFrame
    medians_by_public: pd.DataFrame
    curves: pd.DataFrame
    #: wave comparisons clustered by service: ``{"accepted": …, "accepted_paired": …, "constrained": …,
    #: "constrained_paired": …}`` (empty with a single wave)
    clustered: dict[str, ClusteredComparison] = field(default_factory=dict)


def analyse_saturation(census: pd.DataFrame, income_per_return: pd.Series, alpha: float = 0.05,
                       ref_dir: Path = REFERENCE_DIR) -> SaturationResults:
    """Run every saturation analysis on the clean ``census`` table.

    ``income_per_return``: mean income per tax return by NIS code (from
    :func:`analysis.reference.income`), with ``attrs["income_year"]``.
    """
    check_codes(ref_dir)
    waves = wave_codes(census, ref_dir)
    flagged = add_flags(census, ref_dir)
    comparison = compare_waves(census, waves[0], waves[-1], "accepted", alpha, ref_dir) if len(waves) > 1 else None
    try:
        model = fit_constrained_model(census, income_per_return, alpha, ref_dir)
    except ValueError:
        model = None
    clustered = {}
    if len(waves) > 1:
        for ind in ("accepted", "constrained"):
            for paired in (False, True):
                clustered[ind + ("_paired" if paired else "")] = compare_waves_clustered(
                    census, waves[0], waves[-1], ind, paired, alpha, ref_dir)
    waits, wait_excl = wait_durations(census, ref_dir)
    by_wave_g = flagged.groupby("wave", observed=True)
    return SaturationResults(
        waves=waves,
        by_wave=indicator_table(census, ["wave"], alpha, ref_dir),
        by_public=indicator_table(census, ["wave", "public"], alpha, ref_dir),
        by_followup=indicator_table(census, ["wave", "followup_requested"], alpha, ref_dir),
        services={str(w): int(g["service_code"].nunique()) for w, g in by_wave_g},
        reason_missing={str(w): int((g["reoriented"] & g["reorientation_reason"].isna()).sum()) for w, g in by_wave_g},
        full_unknown={str(w): int((g["constrained"] & ~g["full_known"]).sum()) for w, g in by_wave_g},
        comparison=comparison,
        model=model,
        waits=waits,
        wait_exclusions=wait_excl,
        medians_by_wave=median_waits(waits, ["wave"], alpha),
        medians_by_public=median_waits(waits, ["wave", "public"], alpha),
        curves=survival_curves(waits, ["wave", "public"]),
        clustered=clustered,
    )


def _ind_metrics(prefix: str, table: pd.DataFrame) -> dict[str, Any]:
    m: dict[str, Any] = {}
    for r in table.itertuples(index=False):
        base = f"{prefix}.{r.indicator}"
        m[f"{base}_pct"] = r.pct
        m[f"{base}_pct_low"] = r.ci_low
        m[f"{base}_pct_high"] = r.ci_high
        m[f"{base}_ci_low"] = r.ci_low  # alias read by the report (Wilson, percent)
        m[f"{base}_ci_high"] = r.ci_high
        m[f"{base}_count"] = r.k
        m[f"{base}_denominator"] = r.n
    return m


def _median_metrics(prefix: str, r) -> dict[str, Any]:
    """Median wait, its interval (upper bound None and ``…_high_estimable`` False when it does not exist)
    and the censoring of one group."""
    return {f"{prefix}.median_wait_days": r["median_days"], f"{prefix}.median_wait_days_low": r["ci_low"],
            f"{prefix}.median_wait_days_high": r["ci_high"],
            f"{prefix}.median_wait_days_high_estimable": bool(r["ci_high_estimable"]),
            f"{prefix}.wait_censored_n": int(r["censored"]), f"{prefix}.wait_censored_pct": r["censored_pct"]}


def saturation_metrics(res: SaturationResults) -> dict[str, Any]:
    """Flat metrics under ``saturation.`` (exact values, no disclosure control).

    The model's reading sentence is added by :func:`analysis.publish.saturation.saturation_prose`.
    """
    if not res.waves:
        return {"saturation.available": False}
    m: dict[str, Any] = {"saturation.available": True, "saturation.waves": ",".join(res.waves)}
    for wave in res.waves:
        p = f"saturation.{wave}"
        t = res.by_wave[res.by_wave["wave"] == wave]
        m[f"{p}.n"] = int(t["n"].iloc[0])
        m[f"{p}.services_n"] = res.services.get(wave, 0)
        m |= _ind_metrics(p, t)
        m[f"{p}.reorientation_reason_missing"] = res.reason_missing.get(wave, 0)
        m[f"{p}.full_destination_unknown"] = res.full_unknown.get(wave, 0)
        constrained = t.set_index("indicator").loc["constrained", "k"]
        full = t.set_index("indicator").loc["full_destination", "k"]
        m[f"{p}.full_destination_all_pct"] = 100 * full / constrained if constrained else None
        med = res.medians_by_wave[res.medians_by_wave["wave"] == wave]
        if len(med):
            m |= _median_metrics(p, med.iloc[0])
            m[f"{p}.wait_n"] = int(med["n"].iloc[0])
            m[f"{p}.wait_events"] = int(med["events"].iloc[0])
        for col, table in (("public", res.by_public), ("followup", res.by_followup)):
            src = "public" if col == "public" else "followup_requested"
            sub = table[table["wave"] == wave]
            for level, g in sub.groupby(src, observed=True):
                m[f"{p}.{col}.{level}.n"] = int(g["n"].iloc[0])
                m |= _ind_metrics(f"{p}.{col}.{level}", g)
        for _, r in res.medians_by_public[res.medians_by_public["wave"] == wave].iterrows():
            m |= _median_metrics(f"{p}.public.{r['public']}", r)
    m["saturation.wait_excluded_before_demand"] = res.wait_exclusions.get("excluded_before_demand", 0)
    c = res.comparison
    if c is not None:
        # headline difference, interval and p-value: clustered by service (CR2, Bell–McCaffrey df); the
        # unclustered two-proportion test and log-RR interval are kept under *_unclustered for the record
        m |= {
            "saturation.compare.wave_from": c.wave_from, "saturation.compare.wave_to": c.wave_to,
            "saturation.accepted_change_pct": c.change_pct,
            "saturation.accepted_change_pct_low_unclustered": c.change_low,
            "saturation.accepted_change_pct_high_unclustered": c.change_high,
            "saturation.accepted_unclustered_p_value": c.p_value,
        }
    for key, cc in res.clustered.items():
        q = f"saturation.compare.{key}"
        m |= {f"{q}.scope": cc.scope, f"{q}.pct_from": cc.pct_from, f"{q}.pct_to": cc.pct_to,
              f"{q}.n_from": cc.n_from, f"{q}.n_to": cc.n_to,
              f"{q}.services_from": cc.services_from, f"{q}.services_to": cc.services_to,
              f"{q}.services_common": cc.services_common,
              f"{q}.diff_pts": cc.diff_pts, f"{q}.diff_pts_low": cc.diff_low, f"{q}.diff_pts_high": cc.diff_high,
              f"{q}.df": cc.df, f"{q}.p_value": cc.p_value, f"{q}.boot_p_value": cc.p_boot,
              f"{q}.unclustered_p_value": cc.p_unclustered, f"{q}.method": "CR2-BM"}
    if "accepted" in res.clustered:
        cc = res.clustered["accepted"]
        m |= {"saturation.accepted_diff_pts": cc.diff_pts, "saturation.accepted_diff_pts_low": cc.diff_low,
              "saturation.accepted_diff_pts_high": cc.diff_high, "saturation.accepted_p_value": cc.p_value,
              "saturation.accepted_change_p": cc.p_value}
    mod = res.model
    if mod is not None:
        m |= {"saturation.model.n": mod.n, "saturation.model.events": mod.events,
              "saturation.model.clusters": mod.clusters,
              "saturation.model.excluded_outside_brussels": mod.excluded_outside_brussels,
              "saturation.model.excluded_missing": mod.excluded_missing,
              "saturation.model.income_year": mod.income_year,
              "saturation.model.cov_type": mod.cov_type,
              "saturation.model.parameters": mod.parameters,
              "saturation.model.events_per_parameter": mod.events_per_parameter,
              "saturation.model.min_events_per_parameter": MIN_EVENTS_PER_PARAMETER,
              "saturation.model.stable": mod.stable}
        for r in mod.table.itertuples(index=False):
            m[f"saturation.model.or.{r.term}"] = r.odds_ratio
            m[f"saturation.model.or_low.{r.term}"] = r.ci_low
            m[f"saturation.model.or_high.{r.term}"] = r.ci_high
            m[f"saturation.model.p.{r.term}"] = r.p_value
            m[f"saturation.model.df.{r.term}"] = r.df
    # an interval without bound (empty group) is recorded as None: the metrics file stays valid JSON
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in m.items()}


def census_income(census: pd.DataFrame, ref_dir: Path = REFERENCE_DIR) -> pd.Series:
    """Mean income per tax return by commune for the census (year closest to the middle of its waves)."""
    ref = reference.table("census_waves", ref_dir).set_index("code")
    waves = wave_codes(census, ref_dir) or list(ref.index)
    year = period_year(ref.loc[waves[0], "start"], ref.loc[waves[-1], "end"])
    income = reference.income(year, ref_dir)
    out = income["mean_income_per_return_eur"].copy()
    out.attrs["income_year"] = int(income.attrs["income_year"])
    return out


