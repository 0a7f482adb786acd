"""Referrals ("orientations"): who sends new user demands to the PRR projects, and who they are.

New user demands: referrer shares with Wilson 95 % intervals, first-line share
(referrers marked ``first_line`` in ``referrers.csv``) compared with the first-
line share of the mental-health services' own new demands (saturation census,
the latest wave starting before the end of the period, else the first), age,
gender, commune and income source. New professional demands: requesting
service types and region of origin.

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
from analysis.analyses.stats import ProportionTest, compare_proportions, pct, wilson_ci
from analysis.config import REFERENCE_DIR

#: Age bands (inclusive lower bounds) of the users table; the last band is open.
AGE_BANDS = ((0, 11, "0–11 ans"), (12, 17, "12–17 ans"), (18, 24, "18–24 ans"), (25, 44, "25–44 ans"),
             (45, 64, "45–64 ans"), (65, 200, "65 ans et plus"))


def share_table(values: pd.Series, codes: list[str], labels: dict[str, str], alpha: float = 0.05) -> pd.DataFrame:
    """Counts and shares of ``values`` over ``codes`` (missing values counted under none), with Wilson CIs.

    Columns: ``code, label, n, pct, ci_low, ci_high`` (percent); denominator = all rows.
    """
    total = len(values)
    counts = values.astype("string").value_counts()
    rows = []
    for code in codes:
        k = int(counts.get(code, 0))
        lo, hi = wilson_ci(k, total, alpha) if total else (math.nan, math.nan)
        rows.append({"code": code, "label": labels.get(code, code), "n": k, "pct": pct(k, total),
                     "ci_low": 100 * lo, "ci_high": 100 * hi})
    missing = total - int(sum(r["n"] for r in rows))
    if missing:
        lo, hi = wilson_ci(missing, total, alpha)
        rows.append({"code": "non_renseigne", "label": "Non renseigné", "n": missing, "pct": pct(missing, total),
                     "ci_low": 100 * lo, "ci_high": 100 * hi})
    return pd.DataFrame(rows)


def age_bands(ages: pd.Series) -> pd.DataFrame:
    """Counts per age band (``AGE_BANDS``) plus unknown ages."""
    a = ages.astype("Float64")
    rows = [{"band": label, "n": int(((a >= lo) & (a <= hi)).sum())} for lo, hi, label in AGE_BANDS]
    unknown = int(a.isna().sum())
    if unknown:
        rows.append({"band": "Âge inconnu", "n": unknown})
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
    test: ProportionTest | None
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
    fl_k = int(users.loc[known, "referrer"].isin(first_codes).sum())
    fl_n = int(known.sum())
    wave = baseline_wave(census, end, ref_dir)
    if wave is not None:
        w = census[(census["wave"] == wave) & census["first_line"].notna()]
        b_k, b_n = int(w["first_line"].astype(bool).sum()), len(w)
    else:
        b_k = b_n = 0
    test = compare_proportions(fl_k, fl_n, b_k, b_n) if fl_n and b_n else None
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
        referrers=share_table(users["referrer"], list(refs["code"]), reference.labels("referrers", ref_dir)),
        first_line_k=fl_k, first_line_n=fl_n, baseline_wave=wave, baseline_k=b_k, baseline_n=b_n, test=test,
        ages=users["age"].astype("Float64"), age_table=age_bands(users["age"]),
        genders=share_table(users["gender"], reference.codes("genders", ref_dir), reference.labels("genders", ref_dir)),
        communes=com, residence=residence,
        income=share_table(users["income_source"], reference.codes("income_sources", ref_dir),
                           reference.labels("income_sources", ref_dir)),
        pros_n=len(pros), pros_services=int(pros["service_code"].nunique()),
        requesters=share_table(pros["requesting_service"], reference.codes("requesting_services", ref_dir),
                               reference.labels("requesting_services", ref_dir)),
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
    if res.test is not None:
        m["referrals.first_line_test.method"] = res.test.method
        m["referrals.first_line_test.p_value"] = res.test.p_value
        m["referrals.first_line_test.diff_pts"] = 100 * (res.test.p1 - res.test.p2)
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in m.items()}
