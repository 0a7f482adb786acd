"""Referrals ("orientations"): who sends new user demands to the PRR projects, and who they are.

New user demands: referrer shares with 95 % intervals, first-line share
(referrers marked ``first_line`` in ``referrers.csv``) set beside the first-
line share of the mental-health services' own new demands (saturation census,
the latest wave starting before the end of the period, else the first), age,
gender, commune and income source. New professional demands: requesting
service types and region of origin.

Inference: new users are clustered in the few services that recorded them, so
the interval of a referrer share is the wider of the Wilson interval and the
CR2 cluster-robust interval by service (:func:`analysis.analyses.cluster.share_interval`). The PRR
tracking tool and the SSM census are different instruments (different
questions, periods and services): their first-line shares are compared
descriptively only, never tested (``referrals.first_line_comparison.test_performed``
is False).

Exact results only (no disclosure control); the reader-facing tables, figures,
captions and the plain-French reading of the comparison are in
:mod:`analysis.publish.referrals`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import reference
from analysis.analyses.cluster import share_interval
from analysis.analyses.stats import pct, wilson_ci
from analysis.config import REFERENCE_DIR
from analysis.ingest.schema import can_be_missing

#: Age bands (inclusive lower bounds) of the users table; the last band is open.
AGE_BANDS = ((0, 11, "0–11 ans"), (12, 17, "12–17 ans"), (18, 24, "18–24 ans"), (25, 44, "25–44 ans"),
             (45, 64, "45–64 ans"), (65, 200, "65 ans et plus"))


def share_table(values: pd.Series, codes: list[str], labels: dict[str, str], alpha: float = 0.05,
                groups: pd.Series | None = None, can_be_missing: bool = True) -> pd.DataFrame:
    """Counts and shares of ``values`` over ``codes`` (missing values counted under none), with 95 % CIs.

    Columns: ``code, label, n, pct, ci_low, ci_high`` (percent); denominator = all rows. The last row,
    ``non_renseigne``, counts the values outside ``codes``. When the column ``can_be_missing`` it is
    there even when it is zero (a row listed only when somebody is in it would tell that its « < 5 » is
    at least 1); for a mandatory column it is left out (a structural zero: printed « < 5 », it would
    let a reader subtract it as 0), unless some value is outside ``codes`` all the same.
    Intervals: Wilson, or with ``groups`` (clusters, e.g. the service) :func:`share_interval`.
    """
    total = len(values)
    v = values.astype("string")
    g = None if groups is None else groups.astype(str).to_numpy()
    rows = []
    for code in codes:
        flag = (v == code).fillna(False).to_numpy(dtype=bool)
        lo, hi = share_interval(flag, g, alpha) if total else (math.nan, math.nan)
        rows.append({"code": code, "label": labels.get(code, code), "n": int(flag.sum()), "pct": pct(flag.sum(), total),
                     "ci_low": 100 * lo, "ci_high": 100 * hi})
    missing = total - int(sum(r["n"] for r in rows))
    if missing or (total and can_be_missing):
        flag = ~v.isin(codes).fillna(False).to_numpy(dtype=bool)
        lo, hi = share_interval(flag, g, alpha)
        rows.append({"code": "non_renseigne", "label": "Non renseigné", "n": missing, "pct": pct(missing, total),
                     "ci_low": 100 * lo, "ci_high": 100 * hi})
    return pd.DataFrame(rows, columns=["code", "label", "n", "pct", "ci_low", "ci_high"])


def age_bands(ages: pd.Series) -> pd.DataFrame:
    """Counts per age band (``AGE_BANDS``) plus unknown ages (listed even when none: see :func:`share_table`)."""
    a = ages.astype("Float64")
    rows = [{"band": label, "n": int(((a >= lo) & (a <= hi)).sum())} for lo, hi, label in AGE_BANDS]
    rows.append({"band": "Âge inconnu", "n": int(a.isna().sum())})
    return pd.DataFrame(rows)


def baseline_wave(census: pd.DataFrame, end: str, ref_dir: Path = REFERENCE_DIR) -> str | None:
    """The census wave used as first-line baseline: the latest starting by ``end``, else the first."""
    waves = reference.table("census_waves", ref_dir).sort_values("start")
    present = set(census["wave"].dropna().astype(str))
    waves = waves[waves["code"].isin(present)]
    if waves.empty:
        return None
    before = waves[waves["start"] <= end]
    return str((before if len(before) else waves).iloc[-1 if len(before) else 0]["code"])


@dataclass(frozen=True)
class FirstLineComparison:
    """First-line share of PRR new users beside that of SSM census demands: descriptive only.

    The two sources are different instruments, so no test is performed and no
    p-value exists. Each share has its own interval, clustered by service.
    Shares and bounds are fractions.
    """

    users_k: int
    users_n: int
    users_services: int
    users_share: float
    users_low: float
    users_high: float
    census_wave: str
    census_k: int
    census_n: int
    census_services: int
    census_share: float
    census_low: float
    census_high: float

    @property
    def diff(self) -> float:
        """``users_share − census_share`` (fraction; descriptive)."""
        return self.users_share - self.census_share


@dataclass
class ReferralResults:
    start: str
    end: str
    users_n: int
    users_services: int
    referrers: pd.DataFrame
    first_line_k: int
    first_line_n: int
    baseline_wave: str | None
    baseline_k: int
    baseline_n: int
    comparison: FirstLineComparison | None
    ages: pd.Series
    age_table: pd.DataFrame
    genders: pd.DataFrame
    communes: pd.DataFrame
    residence: pd.DataFrame
    income: pd.DataFrame
    pros_n: int
    pros_services: int
    requesters: pd.DataFrame
    pros_origin: pd.DataFrame


def analyse_referrals(users: pd.DataFrame, pros: pd.DataFrame, census: pd.DataFrame, start: str, end: str,
                      ref_dir: Path = REFERENCE_DIR) -> ReferralResults:
    """Every referral statistic of the period."""
    refs = reference.table("referrers", ref_dir).sort_values("order")
    first_codes = set(refs.loc[refs["first_line"].astype(str).str.lower() == "true", "code"])
    known = users["referrer"].notna() & (users["referrer"] != "inconnu")
    fl_flag = users.loc[known, "referrer"].isin(first_codes).to_numpy(dtype=bool)
    fl_k = int(fl_flag.sum())
    fl_n = int(known.sum())
    wave = baseline_wave(census, end, ref_dir)
    comparison = None
    if wave is not None:
        w = census[(census["wave"] == wave) & census["first_line"].notna()]
        b_flag = w["first_line"].astype(bool).to_numpy()
        b_k, b_n = int(b_flag.sum()), len(w)
        if fl_n and b_n:
            u_lo, u_hi = share_interval(fl_flag, users.loc[known, "service_code"], 0.05)
            c_lo, c_hi = share_interval(b_flag, w["service_code"], 0.05)
            comparison = FirstLineComparison(
                fl_k, fl_n, int(users.loc[known, "service_code"].nunique()), fl_k / fl_n, u_lo, u_hi,
                wave, b_k, b_n, int(w["service_code"].nunique()), b_k / b_n, c_lo, c_hi)
    else:
        b_k = b_n = 0
    communes = reference.communes(ref_dir).sort_values("name_fr")
    com_labels = dict(zip(communes["nis_code"], communes["name_fr"], strict=True))
    bxl = users[users["residence"] == "bruxelles"]
    com = share_table(users["commune_nis"].where(users["residence"] == "bruxelles"),
                      list(communes["nis_code"]), com_labels)
    com.loc[com["code"] == "non_renseigne", "label"] = "Hors Région bruxelloise ou commune inconnue"
    residence = pd.DataFrame({
        "code": ["bruxelles", "hors_bruxelles", "inconnu"],
        "label": ["Région bruxelloise", "Hors Région bruxelloise", "Inconnu"],
        "n": [len(bxl), int((users["residence"] == "hors_bruxelles").sum()),
              int(len(users) - len(bxl) - (users["residence"] == "hors_bruxelles").sum())],
    })
    origin = pros["origin_region"].fillna("inconnu").astype(str).value_counts()
    return ReferralResults(
        start=start, end=end, users_n=len(users), users_services=int(users["service_code"].nunique()),
        referrers=share_table(users["referrer"], list(refs["code"]), reference.labels("referrers", ref_dir),
                              groups=users["service_code"], can_be_missing=can_be_missing("users", "referrer")),
        first_line_k=fl_k, first_line_n=fl_n, baseline_wave=wave, baseline_k=b_k, baseline_n=b_n,
        comparison=comparison,
        ages=users["age"].astype("Float64"), age_table=age_bands(users["age"]),
        genders=share_table(users["gender"], reference.codes("genders", ref_dir), reference.labels("genders", ref_dir),
                            can_be_missing=can_be_missing("users", "gender")),
        communes=com, residence=residence,
        income=share_table(users["income_source"], reference.codes("income_sources", ref_dir),
                           reference.labels("income_sources", ref_dir),
                           can_be_missing=can_be_missing("users", "income_source")),
        pros_n=len(pros), pros_services=int(pros["service_code"].nunique()),
        requesters=share_table(pros["requesting_service"], reference.codes("requesting_services", ref_dir),
                               reference.labels("requesting_services", ref_dir),
                               can_be_missing=can_be_missing("pros", "requesting_service")),
        pros_origin=pd.DataFrame({"code": origin.index, "n": origin.to_numpy().astype(int)}),
    )


def referral_metrics(res: ReferralResults) -> dict[str, Any]:
    """Flat metrics (exact values) for ``metrics.json``."""
    a = res.ages.dropna()
    m: dict[str, Any] = {
        "users.n": res.users_n, "users.services_n": res.users_services,
        "users.age_mean": float(a.mean()) if len(a) else None,
        "users.age_median": float(a.median()) if len(a) else None,
        "users.age_min": int(a.min()) if len(a) else None, "users.age_max": int(a.max()) if len(a) else None,
        "users.age_known_n": len(a),
        "users.first_line_n": res.first_line_k, "users.referrer_known_n": res.first_line_n,
        "users.first_line_pct": pct(res.first_line_k, res.first_line_n),
        "users.second_line_pct": pct(res.first_line_n - res.first_line_k, res.first_line_n),
        "pros.n": res.pros_n, "pros.services_n": res.pros_services,
    }
    if res.comparison is not None:
        lo, hi = res.comparison.users_low, res.comparison.users_high
    else:
        lo, hi = wilson_ci(res.first_line_k, res.first_line_n) if res.first_line_n else (math.nan, math.nan)
    m["users.first_line_ci_low_pct"], m["users.first_line_ci_high_pct"] = 100 * lo, 100 * hi
    g = res.genders.set_index("code")
    m["users.female_pct"] = float(g.loc["F", "pct"]) if "F" in g.index else None
    for r in res.genders.itertuples(index=False):
        m[f"users.gender_n.{r.code}"] = r.n
        m[f"users.gender_pct.{r.code}"] = r.pct
    for r in res.referrers.itertuples(index=False):
        m[f"users.referrer_n.{r.code}"] = r.n
        m[f"users.referrer_pct.{r.code}"] = r.pct
        m[f"users.referrer_ci_low_pct.{r.code}"] = r.ci_low
        m[f"users.referrer_ci_high_pct.{r.code}"] = r.ci_high
    for r in res.communes.itertuples(index=False):
        m[f"users.commune_n.{r.code}"] = r.n
        m[f"users.commune_pct.{r.code}"] = r.pct
    if len(res.communes) and res.communes["n"].max() > 0:
        top = res.communes.sort_values(["n", "label"], ascending=[False, True]).head(3)
        for i, r in enumerate(top.itertuples(index=False), start=1):
            m[f"users.commune_top.{i}.name"] = r.label
            m[f"users.commune_top.{i}.n"] = r.n
            m[f"users.commune_top.{i}.pct"] = r.pct
    for r in res.residence.itertuples(index=False):
        m[f"users.residence_n.{r.code}"] = r.n
        m[f"users.residence_pct.{r.code}"] = pct(r.n, res.users_n)
    for r in res.income.itertuples(index=False):
        m[f"users.income_n.{r.code}"] = r.n
        m[f"users.income_pct.{r.code}"] = r.pct
    for i, r in enumerate(res.age_table.itertuples(index=False)):
        m[f"users.age_band_n.{i}"] = r.n
    for r in res.requesters.itertuples(index=False):
        m[f"pros.requester_n.{r.code}"] = r.n
        m[f"pros.requester_pct.{r.code}"] = r.pct
    for r in res.pros_origin.itertuples(index=False):
        m[f"pros.origin_n.{r.code}"] = r.n
        m[f"pros.origin_pct.{r.code}"] = pct(r.n, res.pros_n)
    if res.baseline_wave is not None:
        m["referrals.baseline_wave"] = res.baseline_wave
        m["referrals.baseline_n"] = res.baseline_n
        m["referrals.baseline_first_line_pct"] = pct(res.baseline_k, res.baseline_n)
    c = res.comparison
    if c is not None:
        # different instruments: a descriptive comparison, deliberately without test or p-value
        q = "referrals.first_line_comparison"
        m |= {f"{q}.kind": "descriptive", f"{q}.test_performed": False,
              f"{q}.users_pct": 100 * c.users_share, f"{q}.users_ci_low_pct": 100 * c.users_low,
              f"{q}.users_ci_high_pct": 100 * c.users_high, f"{q}.users_services_n": c.users_services,
              f"{q}.census_pct": 100 * c.census_share, f"{q}.census_ci_low_pct": 100 * c.census_low,
              f"{q}.census_ci_high_pct": 100 * c.census_high, f"{q}.census_services_n": c.census_services,
              f"{q}.diff_pts": 100 * c.diff}
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in m.items()}
