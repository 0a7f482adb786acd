"""Referrals ("orientations"): who sends new user demands to the PRR projects, and who they are.

New user demands: referrer shares with Wilson 95 % intervals, first-line share
(referrers marked ``first_line`` in ``referrers.csv``) compared with the first-
line share of the mental-health services' own new demands (saturation census,
the latest wave starting before the end of the period, else the first), age,
gender, commune and income source. New professional demands: requesting
service types and region of origin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import reference
from analysis.analyses.stats import (
    ProportionTest,
    compare_proportions,
    p_value_fr,
    pct,
    significance_fr,
    wilson_ci,
)
from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD, REFERENCE_DIR
from analysis.publish.disclosure import (
    SECONDARY,
    caption_note,
    publish_counts,
    publish_share,
    suppression_mask,
    total_must_be_hidden,
)
from analysis.publish.fmt import fmt_int, fmt_month, fmt_number, fmt_pct

EXAMPLE_NOTE = " Données d'exemple synthétiques."
SOURCE = " Source : outils de suivi des projets PRR."
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
        m["referrals.first_line_test.sentence"] = comparison_sentence(res)
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in m.items()}


def comparison_sentence(res: ReferralResults) -> str:
    """Plain-French reading of the first-line comparison (percentages only: no small counts)."""
    t = res.test
    if t is None:
        return "La comparaison avec les services de santé mentale n'est pas possible sur cette période."
    wave = res.baseline_wave or ""
    wave_fr = fmt_month(wave.replace("_", "-")) if wave else ""
    return (f"Parmi les nouvelles demandes d'usagers adressées aux projets PRR, {fmt_pct(100 * t.p1, 1)} "
            f"viennent de la première ligne (la personne elle-même ou son entourage), contre "
            f"{fmt_pct(100 * t.p2, 1)} des nouvelles demandes reçues par les services de santé mentale lors du "
            f"recensement commencé en {wave_fr}. Selon un {t.method_fr} ({p_value_fr(t.p_value)}), "
            f"{significance_fr(t.p_value)}.")


# --------------------------------------------------------------------------- display

def display_shares(table: pd.DataFrame, label: str, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                   with_ci: bool = True) -> pd.DataFrame:
    """Counts and shares of persons for readers: small counts hidden (primary and secondary)."""
    t = table.reset_index(drop=True)
    mask = suppression_mask(t["n"], threshold)
    cols = {label: list(t["label"]), "Effectif": list(publish_counts(t["n"], threshold))}
    cols["Part"] = [publish_share(p, bool(h)) for p, h in zip(t["pct"], mask, strict=True)]
    if with_ci:
        cols["IC 95 %"] = ["–" if h or math.isnan(lo) else f"{fmt_number(lo, 1)} – {fmt_number(hi, 1)} %"
                           for lo, hi, h in zip(t["ci_low"], t["ci_high"], mask, strict=True)]
    out = pd.DataFrame(cols)
    total = int(t["n"].sum())
    shown = SECONDARY if total_must_be_hidden(t["n"], threshold) else fmt_int(total)
    out.loc[len(out)] = ["Total", shown, fmt_pct(100, 1) if total else "–"] + (["–"] if with_ci else [])
    return out


def display_ages(res: ReferralResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> pd.DataFrame:
    t = res.age_table
    return pd.DataFrame({"Classe d'âge": t["band"], "Effectif": list(publish_counts(t["n"], threshold))})


# --------------------------------------------------------------------------- figures

def plot_referrers(res: ReferralResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD):
    """Horizontal bars of referrer shares with Wilson 95 % intervals; hidden cells not drawn."""
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, fr_formatter

    t = res.referrers.reset_index(drop=True)
    mask = suppression_mask(t["n"], threshold)
    t = t.assign(hidden=mask.to_numpy()).iloc[::-1].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(t) + 1.4))
    y = np.arange(len(t))
    shown = ~t["hidden"]
    ax.barh(y[shown], t.loc[shown, "pct"], color=OKABE_ITO[0])
    err = np.vstack([t.loc[shown, "pct"] - t.loc[shown, "ci_low"], t.loc[shown, "ci_high"] - t.loc[shown, "pct"]])
    ax.errorbar(t.loc[shown, "pct"], y[shown], xerr=err, fmt="none", ecolor=OKABE_ITO[7], capsize=3, linewidth=1)
    for yi in y[~shown.to_numpy()]:
        ax.annotate("masqué", (0, yi), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8,
                    color="#555555")
    labels = [lbl.split(" (")[0] for lbl in t["label"]]
    ax.set_yticks(y, labels)
    ax.xaxis.set_major_formatter(fr_formatter(0, " %"))
    ax.set_xlim(0, 100)
    ax.set_xlabel("Part des nouvelles demandes d'usagers (%, IC 95 %)")
    fig.tight_layout()
    visible = t[shown].sort_values("pct", ascending=False)
    alt = "Barres horizontales de la part de chaque envoyeur parmi les nouvelles demandes d'usagers, avec intervalles de confiance."
    if len(visible):
        first = visible.iloc[0]
        alt += f" Premier envoyeur : {first['label'].split(' (')[0]} ({fmt_pct(first['pct'], 1)})."
    alt += f" Les envoyeurs représentant moins de {threshold} demandes ne sont pas chiffrés."
    return fig, alt


def plot_first_line(res: ReferralResults):
    """Two bars: first-line share among PRR users and among SSM census demands, with CIs."""
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, fr_formatter

    groups = [("Projets PRR\n(nouvelles demandes d'usagers)", res.first_line_k, res.first_line_n),
              ("SSM\n(recensement des nouvelles demandes)", res.baseline_k, res.baseline_n)]
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for i, (_label, k, n) in enumerate(groups):
        if not n:
            continue
        p = 100 * k / n
        lo, hi = wilson_ci(k, n)
        ax.bar(i, p, color=OKABE_ITO[i], width=0.55)
        ax.errorbar(i, p, yerr=[[p - 100 * lo], [100 * hi - p]], fmt="none", ecolor=OKABE_ITO[7], capsize=4)
        ax.annotate(fmt_pct(p, 1), (i, 100 * hi), xytext=(0, 4), textcoords="offset points", ha="center")
    ax.set_xticks([0, 1], [g[0] for g in groups])
    ax.yaxis.set_major_formatter(fr_formatter(0, " %"))
    ax.set_ylim(0, 100)
    ax.set_ylabel("Demandes venant de la première ligne (%)")
    fig.tight_layout()
    alt = ("Deux barres comparant la part des demandes venant de la première ligne (personne elle-même ou "
           f"entourage) : {fmt_pct(100 * res.first_line_k / res.first_line_n, 1) if res.first_line_n else '–'} "
           f"dans les projets PRR, {fmt_pct(100 * res.baseline_k / res.baseline_n, 1) if res.baseline_n else '–'} "
           "dans les services de santé mentale.")
    return fig, alt


def plot_ages(res: ReferralResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD):
    """Bars of users per age band; bands below the threshold are not drawn."""
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO

    t = res.age_table
    mask = suppression_mask(t["n"], threshold).to_numpy()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    x = np.arange(len(t))
    heights = np.where(mask, 0, t["n"])
    ax.bar(x, heights, color=OKABE_ITO[2])
    for xi, (h, hidden) in enumerate(zip(heights, mask, strict=True)):
        ax.annotate("masqué" if hidden else fmt_int(h), (xi, h), xytext=(0, 3), textcoords="offset points",
                    ha="center", fontsize=8 if hidden else 9)
    ax.set_xticks(x, t["band"], rotation=20)
    ax.set_ylabel("Nouvelles demandes d'usagers")
    fig.tight_layout()
    alt = (f"Barres du nombre de nouvelles demandes d'usagers par classe d'âge ; les classes de moins de "
           f"{threshold} personnes ne sont pas représentées.")
    return fig, alt


def save_outputs(res: ReferralResults, out: Path, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                 is_example: bool = False) -> dict[str, list[str]]:
    """Save the chapter's figures and tables under the run folder ``out`` (disclosure applied)."""
    from analysis.config import run_paths
    from analysis.publish.figures import save_figure
    from analysis.publish.tables import write_exact, write_table

    paths = run_paths(out)
    note = EXAMPLE_NOTE if is_example else ""
    period = f" {fmt_month(res.start)} – {fmt_month(res.end)}."
    rule = " " + caption_note(threshold)
    figs = []
    if res.users_n:
        fig, alt = plot_referrers(res, threshold)
        figs.append(("orientations-envoyeurs", fig, alt, "Envoyeurs des nouvelles demandes d'usagers (part et "
                     "intervalle de confiance à 95 %, Wilson)," + period + rule + SOURCE + note))
        fig, alt = plot_first_line(res)
        figs.append(("orientations-premiere-ligne", fig, alt, "Part des demandes venant de la première ligne : "
                     "projets PRR et services de santé mentale (IC 95 %, Wilson)." + SOURCE
                     + " Recensement des nouvelles demandes des SSM." + note))
        fig, alt = plot_ages(res, threshold)
        figs.append(("orientations-ages", fig, alt, "Nouvelles demandes d'usagers par classe d'âge," + period
                     + rule + SOURCE + note))
    for name, fig, alt, caption in figs:
        save_figure(fig, name, paths["figures"], alt, caption)
    tables = [
        ("orientations-envoyeurs", res.referrers, display_shares(res.referrers, "Envoyeur", threshold),
         "Envoyeurs des nouvelles demandes d'usagers (IC 95 %, Wilson)," + period + rule + SOURCE + note),
        ("orientations-communes", res.communes, display_shares(res.communes, "Commune", threshold, with_ci=False),
         "Commune de résidence des nouvelles demandes d'usagers," + period
         + rule + SOURCE + note),
        ("orientations-revenus", res.income, display_shares(res.income, "Source de revenus", threshold,
                                                            with_ci=False),
         "Source de revenus des nouvelles demandes d'usagers," + period + rule + SOURCE + note),
        ("orientations-ages", res.age_table, display_ages(res, threshold),
         "Nouvelles demandes d'usagers par classe d'âge," + period + rule + SOURCE + note),
        ("orientations-professionnels", res.requesters,
         display_shares(res.requesters, "Service demandeur", threshold, with_ci=False),
         "Nouvelles demandes de professionnel·le·s par type de service demandeur," + period + rule + SOURCE + note),
    ]
    for name, exact, disp, caption in tables:
        write_table(disp, name, paths["tables"], caption)
        write_exact(exact, name, out)
    return {"figures": [f[0] for f in figs], "tables": [t[0] for t in tables]}
