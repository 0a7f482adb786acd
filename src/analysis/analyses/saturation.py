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
- 95 % intervals for shares are Wilson score intervals.
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
from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD, REFERENCE_DIR
from analysis.publish.fmt import NBSP, fmt_int, fmt_number, fmt_pct

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

#: Indicators computed for every group, with their French labels (report tables).
INDICATORS_FR = {
    "accepted": "Suivi proposé",
    "waiting": "Liste d'attente",
    "reoriented": "Réorientation",
    "no_followup": "Sans suite",
    "constrained": "Réorientation contrainte (manque de disponibilité), sur toutes les demandes",
    "constrained_of_reoriented": "Réorientation contrainte, sur les réorientations",
    "full_destination": "Service de destination lui-même saturé (réorientations contraintes, réponse connue)",
    "first_line": "Demande de première ligne (personne ou proche, demandeur connu)",
}
#: Outcome indicators (sum to 100 % within a group).
OUTCOME_INDICATORS = ("accepted", "waiting", "reoriented", "no_followup")

#: Levels of a categorical covariate with fewer demands than this are pooled in the model.
MIN_LEVEL_N = 30
POOLED_LEVEL = "autres_regroupes"
POOLED_LEVEL_FR = "Autres (regroupés)"
#: Income unit of the model: the odds ratio is per this many euros of mean income per return.
INCOME_UNIT_EUR = 10_000


def check_codes(ref_dir: Path = REFERENCE_DIR) -> None:
    """Raise ``ValueError`` if a code named in this module is missing from the reference lists."""
    missing = set(OUTCOME_KEYS) - set(reference.codes("census_outcomes", ref_dir))
    missing |= {YES, NO} - set(reference.codes("yes_no_unknown", ref_dir))
    if missing:
        raise ValueError(f"codes absent des tables de référence : {sorted(missing)}")


# ---------------------------------------------------------------- proportions

def wilson_ci(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval (:func:`analysis.analyses.stats.wilson_ci`)."""
    from analysis.analyses.stats import wilson_ci as shared

    return shared(k, n, alpha)


def proportion(k: int, n: int, alpha: float = 0.05) -> dict[str, float]:
    """``{k, n, pct, ci_low, ci_high}`` in percent units (Wilson interval)."""
    low, high = wilson_ci(int(k), int(n), alpha)
    pct = 100 * k / n if n else math.nan
    return {"k": int(k), "n": int(n), "pct": pct, "ci_low": 100 * low, "ci_high": 100 * high}


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
    n = len(g)
    rows = [{"indicator": key, **proportion(g[key].sum(), n, alpha)} for key in OUTCOME_INDICATORS]
    rows.append({"indicator": "constrained", **proportion(g["constrained"].sum(), n, alpha)})
    rows.append({"indicator": "constrained_of_reoriented",
                 **proportion(g["constrained"].sum(), g["reoriented"].sum(), alpha)})
    rows.append({"indicator": "full_destination", **proportion(g["full"].sum(), g["full_known"].sum(), alpha)})
    known = g["first_line_known"]
    rows.append({"indicator": "first_line",
                 **proportion(g.loc[known, "first_line"].astype(bool).sum(), known.sum(), alpha)})
    return rows


INDICATOR_COLUMNS = ["indicator", "k", "n", "pct", "ci_low", "ci_high"]


def indicator_table(census: pd.DataFrame, by: list[str], alpha: float = 0.05,
                    ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Long table: one row per group of ``by`` and indicator, with ``k, n, pct, ci_low, ci_high``.

    ``pct`` and the bounds are in percent units. Demands whose ``by`` value is
    missing are left out of that breakdown (they stay in the wave totals).
    """
    df = add_flags(census, ref_dir)
    rows = []
    for key, g in df.groupby(by, dropna=True, observed=True, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        for r in _indicator_rows(g, alpha):
            rows.append({**dict(zip(by, key, strict=True)), **r})
    out = pd.DataFrame(rows, columns=[*by, *INDICATOR_COLUMNS])
    return out.astype({"k": "int64", "n": "int64"})


def wave_codes(census: pd.DataFrame, ref_dir: Path = REFERENCE_DIR) -> list[str]:
    """Waves present in ``census``, in the reference (chronological) order."""
    present = set(census["wave"].dropna().astype(str))
    return [w for w in reference.codes("census_waves", ref_dir) if w in present] if present else []


def wave_end(wave: str, ref_dir: Path = REFERENCE_DIR) -> pd.Timestamp:
    """Last day of the last month of a census wave."""
    ref = reference.table("census_waves", ref_dir).set_index("code")
    return pd.Period(ref.loc[wave, "end"], freq="M").end_time.normalize()


def wave_short_labels(ref_dir: Path = REFERENCE_DIR) -> dict[str, str]:
    """``{'2020_11': 'Vague 1', ...}``: the wave label up to its parenthesis."""
    return {code: label.split(" (")[0] for code, label in reference.labels("census_waves", ref_dir).items()}


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
    """Difference ``p2 - p1`` with Newcombe's hybrid score interval (method 10, 1998), proportions."""
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
    from analysis.analyses.stats import two_proportion_test

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
        indicator, wave_from, wave_to, k1, n1, k2, n2, 100 * k1 / n1, 100 * k2 / n2,
        100 * d, 100 * dl, 100 * dh, 100 * (rr - 1), 100 * (rl - 1), 100 * (rh - 1),
        _two_proportion_p(k1, n1, k2, n2),
    )


# ---------------------------------------------------------------- logistic model

@dataclass
class ModelResult:
    """Logistic model of constrained reorientation (odds ratios, clustered by service)."""

    table: pd.DataFrame  # term, variable, level, label_fr, reference_fr, odds_ratio, ci_low, ci_high, p_value
    n: int
    events: int
    clusters: int
    excluded_outside_brussels: int
    excluded_missing: int
    income_year: int | None
    sentence: str = ""
    covariates_fr: str = ""
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
    hold several waves, the wave (reference: the first). Standard errors are
    clustered by service (``cov_type="cluster"``): demands to the same SSM share
    its capacity, so they are not independent.
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
    fit = sm.GLM(y, X, family=sm.families.Binomial()).fit(cov_type="cluster", cov_kwds={"groups": groups})
    ci = fit.conf_int(alpha)
    labels = _term_labels(refs, waves, ref_dir)
    rows = []
    for term in X.columns.drop("const"):
        rows.append({
            "term": term,
            "variable": term.split("_")[0] if term not in ("first_line", "income_10k") else term,
            "label_fr": labels[term][0],
            "reference_fr": labels[term][1],
            "odds_ratio": float(np.exp(fit.params[term])),
            "ci_low": float(np.exp(ci.loc[term, 0])),
            "ci_high": float(np.exp(ci.loc[term, 1])),
            "p_value": float(fit.pvalues[term]),
        })
    table = pd.DataFrame(rows)
    finite = np.isfinite(table[["odds_ratio", "ci_low", "ci_high"]].to_numpy(dtype=float)).all()
    if not finite or len(df) <= X.shape[1]:
        # separation or too few demands for the covariates: no estimable model
        raise ValueError("modèle non estimable : séparation ou trop peu de demandes pour les covariables")
    res = ModelResult(
        table=table, n=len(df), events=int(y.sum()), clusters=int(groups.max() + 1),
        excluded_outside_brussels=excluded["outside_brussels"], excluded_missing=excluded["missing"],
        income_year=income_per_return.attrs.get("income_year"), fit=fit,
        covariates_fr="public, suivi demandé, origine de la demande, revenu de la commune"
        + (", vague" if len(waves) > 1 else ""),
    )
    res.sentence = model_sentence(res, alpha)
    return res


def _term_labels(refs: dict[str, str], waves: list[str], ref_dir: Path) -> dict[str, tuple[str, str]]:
    """French label and reference category of every possible model term."""
    pub = {**reference.labels("publics", ref_dir), POOLED_LEVEL: POOLED_LEVEL_FR}
    fol = {**reference.labels("followups", ref_dir), POOLED_LEVEL: POOLED_LEVEL_FR}
    short = wave_short_labels(ref_dir)
    out = {f"public_{c}": (f"Public : {lab}", pub[refs["public"]]) for c, lab in pub.items()}
    out |= {f"followup_{c}": (f"Suivi demandé : {lab}", fol[refs["followup"]]) for c, lab in fol.items()}
    out["first_line"] = ("Première ligne (personne ou proche)", "professionnel·le")
    out["income_10k"] = (f"Revenu moyen par déclaration de la commune (par {fmt_int(INCOME_UNIT_EUR)} €)", "")
    if waves:
        out |= {f"wave_{w}": (short.get(w, w), short.get(waves[0], waves[0])) for w in waves}
    return out


def _fmt_or(value: float) -> str:
    return fmt_signed(value, 2)


MINUS = "\u2212"


def fmt_signed(value: float, decimals: int = 1) -> str:
    """:func:`analysis.publish.fmt.fmt_number` with a true minus sign (−3,0) for negative values."""
    return fmt_number(value, decimals).replace("-", MINUS)


def fmt_interval(low: float, high: float, decimals: int = 1, suffix: str = "") -> str:
    """``'1,2–3,4'``, or ``'−3,1 à −0,4'`` when a bound is negative (a dash would read as a minus)."""
    sep = " à " if (low < 0 or high < 0) else "–"
    return f"{fmt_signed(low, decimals)}{suffix}{sep}{fmt_signed(high, decimals)}{suffix}"


def _group_phrase(variable: str, label: str) -> str:
    """French phrase naming the demands of one level (for the reading sentence)."""
    level = label.split(" : ", 1)[-1].lower()
    if variable == "public":
        return f"les demandes concernant des {level}"
    if variable == "followup":
        return f"les demandes de suivi {level}"
    if variable == "wave":
        return f"les demandes de la {level}"
    return "les demandes de première ligne (personne ou proche)"


def _reference_phrase(variable: str, ref: str) -> str:
    ref = ref.lower()
    if variable == "public":
        return f"celles concernant des {ref}"
    if variable == "followup":
        return f"celles de suivi {ref}"
    if variable == "wave":
        return f"celles de la {ref}"
    return "celles venant d'un·e professionnel·le"


def model_sentence(res: ModelResult, alpha: float = 0.05) -> str:
    """Plain-French reading of the model, generated from its results.

    Names the covariate with the strongest evidence (smallest p-value, income
    and wave aside), then the income term, then the sample.
    """
    conf = fmt_number(100 * (1 - alpha), 0)
    t = res.table
    parts = []
    cat = t[~t["variable"].isin(["income_10k", "wave"])].sort_values(["p_value", "term"])
    if not cat.empty:
        r = cat.iloc[0]
        ratio = r["odds_ratio"]
        how = (f"{_fmt_or(ratio)} fois plus élevée" if ratio >= 1
               else f"plus faible de {fmt_pct(100 * (1 - ratio), 0)}")
        clear = r["p_value"] < alpha
        parts.append(
            f"À caractéristiques égales ({res.covariates_fr}), la cote de réorientation faute de place est "
            f"{how} pour {_group_phrase(r['variable'], r['label_fr'])} que pour "
            f"{_reference_phrase(r['variable'], r['reference_fr'])} (rapport de cotes {_fmt_or(ratio)} ; "
            f"IC{NBSP}{conf}{NBSP}% : {fmt_interval(r['ci_low'], r['ci_high'], 2)})"
            + ("." if clear else ", un écart qui reste compatible avec le hasard.")
        )
    inc = t[t["variable"] == "income_10k"]
    if not inc.empty:
        r = inc.iloc[0]
        if r["ci_low"] > 1:
            verdict = "les demandes venant de communes plus aisées sont plus souvent réorientées faute de place"
        elif r["ci_high"] < 1:
            verdict = "les demandes venant de communes plus pauvres sont plus souvent réorientées faute de place"
        else:
            verdict = "aucune association nette avec le revenu de la commune ne se dégage"
        parts.append(
            f"Par tranche de {fmt_int(INCOME_UNIT_EUR)}{NBSP}€ de revenu moyen par déclaration dans la commune "
            f"de résidence, le rapport de cotes vaut {_fmt_or(r['odds_ratio'])} "
            f"(IC{NBSP}{conf}{NBSP}% : {fmt_interval(r['ci_low'], r['ci_high'], 2)}) : {verdict}."
        )
    parts.append(
        f"Modèle estimé sur {fmt_int(res.n)} demandes de résident·e·s bruxellois·es, erreurs types "
        f"regroupées par service ({fmt_int(res.clusters)} services)."
    )
    return " ".join(parts)


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
    return (float(low) if low is not None else math.nan, float(high) if high is not None else math.nan)


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


def median_waits(waits: pd.DataFrame, by: list[str], alpha: float = 0.05) -> pd.DataFrame:
    """Median wait (days) with its interval, numbers and events, per group of ``by``."""
    rows = []
    for key, g in waits.groupby(by, dropna=True, observed=True, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        low, high = _median_ci(g["days"], g["event"], alpha)
        rows.append({**dict(zip(by, key, strict=True)), "n": len(g), "events": int(g["event"].sum()),
                     "median_days": km_median(kaplan_meier(g["days"], g["event"])),
                     "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=[*by, "n", "events", "median_days", "ci_low", "ci_high"])


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


def saturation_metrics(res: SaturationResults) -> dict[str, Any]:
    """Flat metrics under ``saturation.`` (exact values, no disclosure control)."""
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
            m[f"{p}.median_wait_days"] = med["median_days"].iloc[0]
            m[f"{p}.median_wait_days_low"] = med["ci_low"].iloc[0]
            m[f"{p}.median_wait_days_high"] = med["ci_high"].iloc[0]
            m[f"{p}.wait_n"] = int(med["n"].iloc[0])
            m[f"{p}.wait_events"] = int(med["events"].iloc[0])
        for col, table in (("public", res.by_public), ("followup", res.by_followup)):
            src = "public" if col == "public" else "followup_requested"
            sub = table[table["wave"] == wave]
            for level, g in sub.groupby(src, observed=True):
                m[f"{p}.{col}.{level}.n"] = int(g["n"].iloc[0])
                m |= _ind_metrics(f"{p}.{col}.{level}", g)
        for r in res.medians_by_public[res.medians_by_public["wave"] == wave].itertuples(index=False):
            m[f"{p}.public.{r.public}.median_wait_days"] = r.median_days
    m["saturation.wait_excluded_before_demand"] = res.wait_exclusions.get("excluded_before_demand", 0)
    c = res.comparison
    if c is not None:
        m |= {
            "saturation.compare.wave_from": c.wave_from, "saturation.compare.wave_to": c.wave_to,
            "saturation.accepted_diff_pts": c.diff_pts, "saturation.accepted_diff_pts_low": c.diff_low,
            "saturation.accepted_diff_pts_high": c.diff_high,
            "saturation.accepted_change_pct": c.change_pct, "saturation.accepted_change_pct_low": c.change_low,
            "saturation.accepted_change_pct_high": c.change_high, "saturation.accepted_p_value": c.p_value,
            "saturation.accepted_change_p": c.p_value,
        }
    mod = res.model
    if mod is not None:
        m |= {"saturation.model.n": mod.n, "saturation.model.events": mod.events,
              "saturation.model.clusters": mod.clusters,
              "saturation.model.excluded_outside_brussels": mod.excluded_outside_brussels,
              "saturation.model.excluded_missing": mod.excluded_missing,
              "saturation.model.income_year": mod.income_year, "saturation.model.sentence": mod.sentence,
              "saturation.model.cov_type": "cluster"}
        for r in mod.table.itertuples(index=False):
            m[f"saturation.model.or.{r.term}"] = r.odds_ratio
            m[f"saturation.model.or_low.{r.term}"] = r.ci_low
            m[f"saturation.model.or_high.{r.term}"] = r.ci_high
            m[f"saturation.model.p.{r.term}"] = r.p_value
    # an interval without bound (empty group) is recorded as None: the metrics file stays valid JSON
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in m.items()}


# ---------------------------------------------------------------- display tables

def is_small_count(count: int | float, threshold: int) -> bool:
    """True when a person count must not be published (:func:`analysis.publish.disclosure.is_suppressed`)."""
    from analysis.publish.disclosure import is_suppressed

    return is_suppressed(count, threshold)


def _pub(count: int | float, threshold: int) -> str:
    """A count as published: exact, or ``< threshold``."""
    return f"<{NBSP}{threshold}" if is_small_count(count, threshold) else fmt_int(count)


def _pct_ci(r, threshold: int) -> str:
    if r.n == 0:
        return "–"
    if is_small_count(r.k, threshold) or is_small_count(r.n, threshold) or is_small_count(r.n - r.k, threshold):
        return "–"
    return f"{fmt_pct(r.pct)} ({fmt_interval(r.ci_low, r.ci_high, 1)})"


def display_indicators(table: pd.DataFrame, group: str, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                       ref_dir: Path = REFERENCE_DIR, group_labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Reader-facing version of an indicator table: French headers, formatted, disclosure applied.

    One row per indicator and group; a share is blanked ("–") when its
    numerator, denominator or complement is a suppressed count.
    """
    short = wave_short_labels(ref_dir)
    rows = []
    for r in table.itertuples(index=False):
        row = {"Vague": short.get(r.wave, r.wave)}
        if group != "wave":
            lv = getattr(r, group)
            row["Groupe"] = (group_labels or {}).get(lv, lv)
        row |= {"Indicateur": INDICATORS_FR[r.indicator], "Effectif": _pub(r.k, threshold),
                "Dénominateur": _pub(r.n, threshold), "% (IC 95 %)": _pct_ci(r, threshold)}
        rows.append(row)
    return pd.DataFrame(rows)


def display_model(res: ModelResult) -> pd.DataFrame:
    """Odds ratios of the model, formatted in French (no person counts)."""
    t = res.table
    return pd.DataFrame({
        "Variable": t["label_fr"],
        "Référence": t["reference_fr"].replace("", "–"),
        "Rapport de cotes": t["odds_ratio"].map(lambda v: fmt_number(v, 2)),
        "IC 95 %": [fmt_interval(a, b, 2) for a, b in zip(t["ci_low"], t["ci_high"], strict=True)],
        "p": t["p_value"].map(lambda v: "< 0,001" if v < 0.001 else fmt_number(v, 3)),
    })


def display_medians(medians: pd.DataFrame, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                    ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Median waits per wave and public (groups below the threshold blanked)."""
    short = wave_short_labels(ref_dir)
    pub = reference.labels("publics", ref_dir)
    rows = []
    for r in medians.itertuples(index=False):
        small = is_small_count(r.n, threshold)
        rows.append({
            "Vague": short.get(r.wave, r.wave),
            "Public": pub.get(getattr(r, "public", ""), "Tous publics") if "public" in medians else "Tous publics",
            "Demandes": _pub(r.n, threshold),
            "Premier rendez-vous observé": _pub(r.events, threshold),
            "Délai médian (jours)": "–" if small or math.isnan(r.median_days) else fmt_int(r.median_days),
            "IC 95 %": "–" if small or math.isnan(r.ci_low) or math.isnan(r.ci_high)
            else f"{fmt_int(r.ci_low)}–{fmt_int(r.ci_high)}",
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- figures

def no_data_figure(message: str):
    """A small figure saying there is nothing to show (keeps the report's figure slots filled)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 1.2))
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, color="#555555")
    ax.set_axis_off()
    return fig, message


def plot_outcomes(by_wave: pd.DataFrame, ref_dir: Path = REFERENCE_DIR):
    """Stacked horizontal bars: outcome shares per wave. Returns ``(fig, alt)``."""
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, fr_formatter

    short = wave_short_labels(ref_dir)
    labels = {OUTCOME_KEYS[c]: lab for c, lab in reference.labels("census_outcomes", ref_dir).items()}
    waves = [w for w in reference.codes("census_waves", ref_dir) if w in set(by_wave["wave"])]
    if not waves:
        return no_data_figure("Aucune demande du recensement dans les données.")
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.8 * len(waves)))
    pct = by_wave.pivot(index="wave", columns="indicator", values="pct").reindex(waves)
    left = np.zeros(len(waves))
    alt_parts = []
    for i, key in enumerate(OUTCOME_INDICATORS):
        vals = pct[key].to_numpy(dtype=float)
        ax.barh([short[w] for w in waves], vals, left=left, color=OKABE_ITO[i], label=labels[key])
        for y, (x0, v) in enumerate(zip(left, vals, strict=True)):
            if v >= 6:
                ax.text(x0 + v / 2, y, fmt_pct(v, 0), ha="center", va="center", fontsize=9,
                        color="white" if i in (0, 2) else "black")
        left += vals
        alt_parts.append(f"{labels[key].lower()} " + " puis ".join(fmt_pct(v, 0) for v in vals))
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(fr_formatter(0, f"{NBSP}%"))
    ax.set_xlabel("Part des nouvelles demandes")
    ax.legend(ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(waves) < 3 else -0.2), frameon=False)
    alt = ("Barres empilées de l'issue des nouvelles demandes par vague du recensement ("
           + ", ".join(short[w] for w in waves) + ") : " + " ; ".join(alt_parts) + ".")
    return fig, alt


def plot_group_indicator(table: pd.DataFrame, group: str, indicator: str, group_labels: dict[str, str],
                         threshold: int = DEFAULT_DISCLOSURE_THRESHOLD, ref_dir: Path = REFERENCE_DIR):
    """Dot-and-whisker chart of one indicator per group and wave (95 % intervals).

    Groups with fewer demands than ``threshold`` are not drawn. Returns ``(fig, alt)``.
    """
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, fr_formatter

    short = wave_short_labels(ref_dir)
    t = table[(table["indicator"] == indicator) & (table["n"] >= threshold)]
    order = [g for g in group_labels if g in set(t[group])]
    waves = [w for w in reference.codes("census_waves", ref_dir) if w in set(t["wave"])]
    fig, ax = plt.subplots(figsize=(7.5, 0.6 + 0.55 * max(len(order), 1) * max(len(waves), 1) / 1.5))
    offsets = np.linspace(-0.18, 0.18, len(waves)) if len(waves) > 1 else [0.0]
    alt_parts = []
    for j, w in enumerate(waves):
        sub = t[t["wave"] == w].set_index(group).reindex(order)
        ys = np.arange(len(order)) + offsets[j]
        ok = sub["pct"].notna().to_numpy()
        ax.errorbar(sub["pct"][ok], ys[ok],
                    xerr=[(sub["pct"] - sub["ci_low"])[ok], (sub["ci_high"] - sub["pct"])[ok]],
                    fmt="o", color=OKABE_ITO[j], capsize=3, label=short[w])
        alt_parts.append(short[w] + " : " + ", ".join(
            f"{group_labels[g].lower()} {fmt_pct(v, 0)}" for g, v in sub["pct"].items() if not pd.isna(v)))
    ax.set_yticks(range(len(order)), [group_labels[g] for g in order])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(fr_formatter(0, f"{NBSP}%"))
    ax.set_xlabel(INDICATORS_FR[indicator] + " (IC 95 %)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, loc="lower right")
    alt = f"Points et intervalles à 95 % de la part « {INDICATORS_FR[indicator].lower()} » par groupe. " \
        + " ; ".join(alt_parts) + "."
    return fig, alt


def plot_forest(res: ModelResult):
    """Forest plot of the model's odds ratios (log scale). Returns ``(fig, alt)``."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    from analysis.publish.figures import OKABE_ITO

    t = res.table.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.5, 0.8 + 0.42 * len(t)))
    ys = np.arange(len(t))
    ax.errorbar(t["odds_ratio"], ys, xerr=[t["odds_ratio"] - t["ci_low"], t["ci_high"] - t["odds_ratio"]],
                fmt="s", color=OKABE_ITO[0], capsize=3)
    ax.axvline(1, color="grey", lw=1, ls="--")
    ax.set_xscale("log")
    lo, hi = min(float(t["ci_low"].min()), 1.0) / 1.15, max(float(t["ci_high"].max()), 1.0) * 1.15
    ax.set_xlim(lo, hi)
    ticks = [v for v in (0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 50) if lo <= v <= hi]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt_number(v, 2).rstrip("0").rstrip(",")))
    ax.xaxis.set_minor_formatter(NullFormatter())
    names = [f"{a} (réf. {b})" if b else a for a, b in zip(t["label_fr"], t["reference_fr"], strict=True)]
    ax.set_yticks(ys, names)
    ax.invert_yaxis()
    ax.set_xlabel("Rapport de cotes de réorientation contrainte (IC 95 %, échelle log)")
    alt = ("Graphique en forêt des rapports de cotes du modèle logistique de réorientation faute de place : "
           + " ; ".join(f"{n} {fmt_number(v, 2)}" for n, v in zip(names, t["odds_ratio"], strict=True)) + ".")
    return fig, alt


def plot_survival(curves: pd.DataFrame, waits: pd.DataFrame, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                  ref_dir: Path = REFERENCE_DIR):
    """Kaplan–Meier curves of the wait for a first appointment, one panel per wave, a line per public.

    Publics with fewer demands than ``threshold`` in a wave are not drawn.
    Returns ``(fig, alt)``.
    """
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, fr_formatter

    short = wave_short_labels(ref_dir)
    pub = reference.labels("publics", ref_dir)
    waves = [w for w in reference.codes("census_waves", ref_dir) if w in set(curves["wave"])]
    sizes = waits.groupby(["wave", "public"], observed=True).size()
    fig, axes = plt.subplots(1, max(len(waves), 1), figsize=(7.5, 3.6), sharey=True, squeeze=False)
    alt_parts = []
    for ax, w in zip(axes[0], waves, strict=False):
        for i, code in enumerate(reference.codes("publics", ref_dir)):
            if sizes.get((w, code), 0) < threshold:
                continue
            c = curves[(curves["wave"] == w) & (curves["public"] == code)]
            ax.step(c["time"], 100 * c["survival"], where="post", color=OKABE_ITO[i], label=pub[code])
            med = km_median(c)
            alt_parts.append(f"{short[w]}, {pub[code].lower()} : médiane "
                             + ("non atteinte" if math.isnan(med) else f"{fmt_int(med)} jours"))
        ax.set_title(short[w], fontsize=10)
        ax.set_xlabel("Jours depuis la demande")
        ax.set_ylim(0, 102)
        ax.axhline(50, color="grey", lw=0.8, ls=":")
        ax.yaxis.set_major_formatter(fr_formatter(0, f"{NBSP}%"))
    axes[0][0].set_ylabel("Sans premier rendez-vous")
    axes[0][-1].legend(frameon=False, fontsize=8)
    alt = ("Courbes de Kaplan–Meier de la part des demandes (suivi proposé ou liste d'attente) encore sans "
           "premier rendez-vous selon le nombre de jours écoulés, par vague et par public. "
           + " ; ".join(alt_parts) + ".")
    return fig, alt


# ---------------------------------------------------------------- outputs of the notebook

EXAMPLE_NOTE = " Données d'exemple synthétiques."


def markdown_table(display: pd.DataFrame, caption: str = "") -> str:
    """A pandoc pipe table (:func:`analysis.publish.tables.markdown_table`)."""
    from analysis.publish.tables import markdown_table as shared

    return shared(display, caption)


def write_table(exact: pd.DataFrame, display: pd.DataFrame, name: str, tables_dir: Path, caption: str) -> Path:
    """Write the published table (``tables/<name>.md`` and ``.csv``, disclosure applied) and the exact
    values as an internal record (``exact/<name>.csv`` next to ``tables/``, never read by the report)."""
    from analysis.publish.tables import write_exact
    from analysis.publish.tables import write_table as publish

    path = publish(display, name, tables_dir, caption)
    write_exact(exact, name, Path(tables_dir).parent)
    return path


def census_income(census: pd.DataFrame, ref_dir: Path = REFERENCE_DIR) -> pd.Series:
    """Mean income per tax return by commune for the census (year closest to the middle of its waves)."""
    from analysis.analyses.gradient import period_year

    ref = reference.table("census_waves", ref_dir).set_index("code")
    waves = wave_codes(census, ref_dir) or list(ref.index)
    year = period_year(ref.loc[waves[0], "start"], ref.loc[waves[-1], "end"])
    income = reference.income(year, ref_dir)
    out = income["mean_income_per_return_eur"].copy()
    out.attrs["income_year"] = int(income.attrs["income_year"])
    return out


def save_outputs(res: SaturationResults, figures_dir: Path, tables_dir: Path,
                 threshold: int = DEFAULT_DISCLOSURE_THRESHOLD, is_example: bool = False,
                 ref_dir: Path = REFERENCE_DIR) -> dict[str, list[str]]:
    """Save every saturation figure (SVG, PDF, alt text) and table (CSV exact, Markdown published).

    Returns the names written, ``{"figures": [...], "tables": [...]}``.
    """
    from analysis.publish.figures import save_figure

    note = EXAMPLE_NOTE if is_example else ""
    src = " Source : recensement des nouvelles demandes des SSM (LBSM)."
    rule = f" Effectifs inférieurs à {threshold} masqués."
    pub = reference.labels("publics", ref_dir)
    fol = reference.labels("followups", ref_dir)
    figures: list[tuple[str, Any, str, str]] = []
    fig, alt = plot_outcomes(res.by_wave, ref_dir)
    figures.append(("saturation-issues", fig, alt, "Issue des nouvelles demandes adressées aux SSM, par vague du "
                    "recensement." + src + note))
    if not res.waves:
        save_figure(fig, "saturation-issues", figures_dir, alt, figures[0][3])
        empty = pd.DataFrame({"Indicateur": ["Aucune demande du recensement dans les données."]})
        write_table(res.by_wave, empty, "saturation-vagues", tables_dir, "Indicateurs de saturation." + note)
        return {"figures": ["saturation-issues"], "tables": ["saturation-vagues"]}
    fig, alt = plot_group_indicator(res.by_public, "public", "constrained", pub, threshold, ref_dir)
    figures.append(("saturation-publics", fig, alt,
                    "Part des demandes réorientées faute de disponibilité, par public et par vague (IC 95 %, Wilson)."
                    f" Groupes de moins de {threshold} demandes non représentés." + src + note))
    fig, alt = plot_group_indicator(res.by_followup, "followup_requested", "constrained", fol, threshold, ref_dir)
    figures.append(("saturation-suivis", fig, alt,
                    "Part des demandes réorientées faute de disponibilité, par type de suivi demandé et par vague "
                    f"(IC 95 %, Wilson). Groupes de moins de {threshold} demandes non représentés." + src + note))
    if res.model is not None:
        fig, alt = plot_forest(res.model)
        figures.append(("saturation-forest", fig, alt,
                        "Rapports de cotes d'une réorientation faute de disponibilité (modèle logistique, IC 95 %, "
                        "erreurs types regroupées par service). Revenu : revenu moyen par déclaration fiscale de la "
                        "commune de résidence, faute de revenu médian publié pour chaque commune ; demandes hors "
                        "Bruxelles ou sans commune exclues." + src + note))
    if not res.curves.empty:
        fig, alt = plot_survival(res.curves, res.waits, threshold, ref_dir)
        figures.append(("saturation-survie", fig, alt,
                        "Délai entre la demande et le premier rendez-vous (Kaplan–Meier), demandes avec suivi "
                        "proposé ou mises sur liste d'attente ; sans rendez-vous à la fin de la vague : durée "
                        f"censurée au dernier jour de la vague. Publics de moins de {threshold} demandes non "
                        "représentés." + src + note))
    for name, fig, alt, caption in figures:
        save_figure(fig, name, figures_dir, alt, caption)

    tables = [
        ("saturation-vagues", res.by_wave, display_indicators(res.by_wave, "wave", threshold, ref_dir),
         "Indicateurs de saturation par vague (IC 95 %, Wilson)." + rule + src + note),
        ("saturation-publics", res.by_public,
         display_indicators(res.by_public, "public", threshold, ref_dir, pub),
         "Indicateurs de saturation par public et par vague (IC 95 %, Wilson)." + rule + src + note),
        ("saturation-suivis", res.by_followup,
         display_indicators(res.by_followup, "followup_requested", threshold, ref_dir, fol),
         "Indicateurs de saturation par suivi demandé et par vague (IC 95 %, Wilson)." + rule + src + note),
        ("saturation-delais", pd.concat([res.medians_by_wave, res.medians_by_public], ignore_index=True),
         pd.concat([display_medians(res.medians_by_wave, threshold, ref_dir),
                    display_medians(res.medians_by_public, threshold, ref_dir)], ignore_index=True),
         "Délai médian jusqu'au premier rendez-vous (Kaplan–Meier, IC 95 % de Brookmeyer–Crowley ; durées "
         "censurées à la fin de la vague)." + rule + src + note),
    ]
    if res.model is not None:
        tables.append(("saturation-modele", res.model.table, display_model(res.model),
                       "Modèle logistique de la réorientation faute de disponibilité : rapports de cotes "
                       f"(IC 95 %, erreurs types regroupées par service), {fmt_int(res.model.n)} demandes." + src + note))
    if res.comparison is not None:
        c = res.comparison
        short = wave_short_labels(ref_dir)
        exact = pd.DataFrame([c.__dict__])
        disp = pd.DataFrame([{
            "Comparaison": f"{short.get(c.wave_to, c.wave_to)} par rapport à {short.get(c.wave_from, c.wave_from)}",
            "Suivi proposé": f"{fmt_pct(c.pct_from)} → {fmt_pct(c.pct_to)}",
            "Différence (points, IC 95 %)": f"{fmt_signed(c.diff_pts, 1)} ({fmt_interval(c.diff_low, c.diff_high, 1)})",
            "Variation relative (IC 95 %)": f"{fmt_signed(c.change_pct, 0)}{NBSP}% "
                                            f"({fmt_interval(c.change_low, c.change_high, 0, NBSP + '%')})",
            "p": "< 0,001" if c.p_value < 0.001 else fmt_number(c.p_value, 3),
        }])
        tables.append(("saturation-comparaison", exact, disp,
                       "Chance de se voir proposer un suivi : comparaison des vagues (différence : intervalle de "
                       "Newcombe ; variation relative : intervalle du log du rapport ; test z de deux proportions)."
                       + src + note))
    for name, exact, disp, caption in tables:
        write_table(exact, disp, name, tables_dir, caption)
    return {"figures": [f[0] for f in figures], "tables": [t[0] for t in tables]}
