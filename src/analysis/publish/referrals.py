"""Referrals for readers (printed chapter 8): controlled French tables, figures, captions and prose.

The exact results come from :mod:`analysis.analyses.referrals`; counts of persons
are published through :mod:`analysis.publish.disclosure` (small counts hidden).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.analyses.referrals import ReferralResults, referral_metrics
from analysis.analyses.stats import wilson_ci
from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD
from analysis.publish.disclosure import (
    SECONDARY,
    caption_note,
    hidden_text,
    is_suppressed,
    publish_line,
    publish_share,
)
from analysis.publish.fmt import (
    NBSP,
    clustered_ci_fr,
    few_services_fr,
    fmt_int,
    fmt_interval,
    fmt_month,
    fmt_pct,
)
from analysis.publish.linked import LinkedPlan

EXAMPLE_NOTE = " Données d'exemple synthétiques."
SOURCE = " Source : outils de suivi des projets PRR."


#: Cells of the users' linked plan behind the first-line share (its numerator, the other known
#: referrers, its denominator): the share is published only when none of them is hidden.
FIRST_LINE_CELLS = ("users.first_line", "users.second_line", "users.referrer_known")


def first_line_published(res: ReferralResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                         plan: LinkedPlan | None = None) -> bool:
    """The first-line share (and its interval) rests on two counts: first line and other known
    referrers; both must be publishable, and none of the plan's cells behind them hidden (a share ×
    its published denominator gives the count back)."""
    if plan is not None and any(plan.hidden(c) for c in FIRST_LINE_CELLS):
        return False
    return res.first_line_k >= threshold and res.first_line_n - res.first_line_k >= threshold


def line_hidden(plan: LinkedPlan | None, measure: str, codes) -> dict[str, str] | None:
    """``code → "primary"|"secondary"`` of the hidden rows of a referrer or gender line of the plan
    (``users.<measure>.<code>``); ``None`` without a plan."""
    if plan is None:
        return None
    return {c: r for c in codes if (r := plan.reason(f"users.{measure}.{c}")) and plan.hidden(f"users.{measure}.{c}")}


def referral_prose(res: ReferralResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                   plan: LinkedPlan | None = None) -> dict[str, Any]:
    """The chapter's sentences for ``metrics.json`` (merged with
    :func:`analysis.analyses.referrals.referral_metrics` into the same part).

    ``referrals.first_line_comparison.sentence`` is the descriptive reading;
    ``referrals.first_line_test.sentence`` carries the same text under the key
    older chapters use (no test is performed any more).
    """
    out = {"users.commune_top_sentence": commune_top_sentence(res, threshold, plan),
           "users.age_range_fr": age_range_fr(res, threshold),
           "referrals.shares_ci.sentence": shares_ci_sentence(res)}
    if res.comparison is None:
        return out
    sentence = comparison_sentence(res, threshold, plan)
    return out | {"referrals.first_line_comparison.sentence": sentence,
                  "referrals.first_line_test.sentence": sentence}


def age_line(res: ReferralResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> tuple[list[str], np.ndarray]:
    """Texts and hidden mask of the age table. On the 2022 report's period, its youngest and oldest ages
    are known to the reader (:func:`analysis.publish.printed.age_band_knowledge`): the band of each holds
    somebody, so a small one is printed « n.p. » and protected with that lower bound. The mean age the
    chapter prints (and the 2022 one) bound the bands too (:func:`analysis.publish.printed.mean_age_narrows`)."""
    from analysis.analyses.referrals import AGE_BANDS
    from analysis.publish.printed import age_band_knowledge, mean_age_narrows

    t = res.age_table
    known = age_band_knowledge(res.start, res.end, AGE_BANDS)
    values = {i: int(v) for i, v in enumerate(t["n"])}
    known = {i: b for i, b in known.items() if i in values and b[0] <= values[i] <= b[1]}
    texts, hidden = publish_line(t["n"], threshold, known=known)
    primary = np.array([x == hidden_text(threshold) for x in texts])
    counts = [int(v) for v in t["n"]]
    by_label = {b[2]: b for b in AGE_BANDS}
    bands = [by_label.get(label) for label in t["band"]]  # None: the persons of unknown age

    ages = getattr(res, "ages", None)
    own = float(ages.dropna().mean()) if ages is not None and ages.notna().any() else None

    def narrows(mask) -> bool:
        return mean_age_narrows(counts, primary, mask, bands, threshold, res.start, res.end, own_mean=own)

    # the mean age printed beside the table (and the 2022 one on its period) would narrow a small band:
    # more bands « n.p. », one at a time, the smallest first (a band that alone is enough is
    # preferred), until every small band keeps its t values
    while narrows(hidden) and not hidden.all():
        shown = sorted((i for i in range(len(counts)) if not hidden[i]), key=lambda i: (counts[i], i))
        enough = [i for i in shown if not narrows(hidden | (np.arange(len(counts)) == i))]
        hidden = hidden | (np.arange(len(counts)) == (enough[0] if enough else shown[0]))
    texts = [hidden_text(threshold) if p else SECONDARY if h else x
             for x, p, h in zip(texts, primary, hidden, strict=True)]
    return texts, hidden


def _age_extremes_published(res: ReferralResults, threshold: int) -> bool:
    """The youngest and oldest ages place persons in an age band (and empty the bands beyond them):
    printed only when no band of the age table is hidden."""
    if not len(res.age_table) or res.age_table["n"].sum() == 0:
        return False
    _texts, hidden = age_line(res, threshold)
    return not any(hidden)


def age_range_fr(res: ReferralResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> str:
    """« de 3 à 89 ans », or why the extreme ages are not given."""
    m = referral_metrics(res)
    if _age_extremes_published(res, threshold) and m.get("users.age_min") is not None:
        return f"de {m['users.age_min']} à {m['users.age_max']} ans"
    return ("âges extrêmes non publiés : ils situeraient des personnes dans une classe d'âge masquée "
            f"de moins de {threshold} personnes")


def _top_communes(res: ReferralResults) -> pd.DataFrame:
    """The three most frequent communes of residence (as :func:`referral_metrics` ranks them)."""
    communes = res.communes
    if not len(communes) or communes["n"].max() <= 0:
        return communes.head(0)
    return communes.sort_values(["n", "label"], ascending=[False, True]).head(3)


def _top_communes_published(res: ReferralResults, threshold: int, plan: LinkedPlan | None) -> bool:
    """Whether the three most frequent communes may be named with their shares: each count published
    (by the linked plan: a commune hidden in the table as « n.p. » cannot be given back by its share),
    the names included, since their order bounds the other communes."""
    top = _top_communes(res)
    if not len(top):
        return False
    if plan is None:
        return bool((top["n"] >= threshold).all())
    return not any(plan.hidden("users.outside" if code == "non_renseigne" else f"users.commune.{code}")
                   for code in top["code"])


def shares_ci_sentence(res: ReferralResults) -> str:
    """How the referrer shares' intervals were computed, or why there are none (few services)."""
    lows = res.referrers.loc[res.referrers["n"] > 0, "ci_low"].astype(float)
    if len(lows) and not np.isfinite(lows.to_numpy()).any():
        from analysis.analyses.cluster import MIN_CLUSTERS

        return (f"sans intervalle de confiance : les demandes se répartissent entre {fmt_int(res.users_services)} "
                f"services, et il en faut au moins {MIN_CLUSTERS} pour un intervalle qui tienne compte du "
                "regroupement des demandes par service (avec moins, il serait peu fiable et redonnerait la taille "
                "de chaque service)")
    return (f"avec son intervalle de confiance à 95 % : comme les demandes se concentrent dans "
            f"{fmt_int(res.users_services)} services, l'intervalle retenu est le plus large de celui de Wilson et "
            "de celui qui tient compte du regroupement des demandes par service")


def commune_top_sentence(res: ReferralResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                         plan: LinkedPlan | None = None) -> str:
    """The sentence on the most frequent communes of residence, or why they are not named."""
    top = _top_communes(res)
    if _top_communes_published(res, threshold, plan):
        named = [f"{r.label} ({fmt_pct(r.pct, 1)})" for r in top.itertuples(index=False)]
        listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " et " + named[-1]
        return (f"Les communes de résidence les plus fréquentes sont {listed}, ce qui reflète d'abord "
                "l'implantation des services qui ont encodé")
    return ("Les communes de résidence les plus fréquentes ne sont pas nommées ici : certaines sont masquées "
            "dans le tableau des communes, pour qu'aucun effectif inférieur à "
            f"{threshold} ne puisse être recalculé, et leur part permettrait de les retrouver. La répartition "
            "publiée reflète d'abord l'implantation des services qui ont encodé")


def comparison_sentence(res: ReferralResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                        plan: LinkedPlan | None = None) -> str:
    """Plain-French, descriptive reading of the first-line shares (percentages only, and only when both
    counts behind the PRR share are publishable: a share and its interval would give a small count back).

    The PRR tracking tool and the SSM census are different instruments: the
    sentence sets the two shares side by side with their intervals and says why
    no test is made.
    """
    c = res.comparison
    if c is None:
        return "La comparaison avec les services de santé mentale n'est pas possible sur cette période."
    wave_fr = fmt_month(c.census_wave.replace("_", "-")) if c.census_wave else ""
    if not first_line_published(res, threshold, plan):
        return (f"La part des nouvelles demandes d'usager·e·s venant de la première ligne n'est pas publiée : elle "
                "se calcule à partir d'effectifs dont l'un est inférieur à "
                f"{threshold} ou masqué (première ligne, autres envoyeurs ou envoyeur inconnu), et elle "
                f"permettrait de le retrouver. Dans les services de santé mentale (recensement commencé en {wave_fr}), "
                f"cette part est de {fmt_pct(100 * c.census_share, 1)}{ci_words(c.census_low, c.census_high, ' (', ')')}.")
    users_ci = ci_words(c.users_low, c.users_high, " ; ")
    census_ci = ci_words(c.census_low, c.census_high, " (", ")")
    few = [f"{who} ({n} services)" for who, n, lo in (("projets PRR", c.users_services, c.users_low),
                                                      ("SSM", c.census_services, c.census_low)) if math.isnan(lo)]
    intervals = ("Les intervalles tiennent compte du regroupement des demandes par service. " if not few else
                 f"Pas d'intervalle pour {' ni pour '.join(few)} : {few_services_fr()}. ")
    return (f"Parmi les nouvelles demandes d'usager·e·s adressées aux projets PRR, {fmt_pct(100 * c.users_share, 1)} "
            f"viennent de la première ligne (la personne elle-même ou son entourage{users_ci}), contre "
            f"{fmt_pct(100 * c.census_share, 1)} des nouvelles demandes reçues par les services de santé mentale "
            f"lors du recensement commencé en {wave_fr}{census_ci}. " + intervals +
            "Les deux chiffres viennent d'outils différents (questions, périodes et services "
            "différents) : ils se lisent côte à côte, sans test statistique.")


def ci_words(low: float, high: float, before: str = " ", after: str = "") -> str:
    """`` ; IC 95 % 30,1 % à 50,2 %`` (with ``before``/``after`` around it), or nothing without an interval."""
    if math.isnan(low) or math.isnan(high):
        return ""
    return f"{before}IC 95 % {fmt_pct(100 * low, 1)} à {fmt_pct(100 * high, 1)}{after}"


def withheld_metrics(res: ReferralResults, plan: LinkedPlan, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD
                     ) -> set[str]:
    """Referral metric keys the prose may not show: hidden counts and every share, interval or test
    computed from them."""
    out: set[str] = set()

    def line(table: pd.DataFrame, n_key: str, pct_key: str, ci: bool = False, measure: str | None = None
             ) -> None:
        if measure is not None:  # a line of the linked plan
            hidden = [plan.hidden(f"users.{measure}.{code}") for code in table["code"]]
        else:
            _texts, hidden = publish_line(table["n"], threshold)
        for code, h in zip(table["code"], hidden, strict=True):
            if h:
                out.update({f"{n_key}.{code}", f"{pct_key}.{code}"})
                if ci:
                    out.update({f"users.referrer_ci_low_pct.{code}", f"users.referrer_ci_high_pct.{code}"})

    line(res.referrers, "users.referrer_n", "users.referrer_pct", ci=True, measure="referrer")
    line(res.genders, "users.gender_n", "users.gender_pct", measure="gender")
    if plan.hidden("users.gender.F"):  # the prose's share of women is the gender line's
        out.add("users.female_pct")
    line(res.income, "users.income_n", "users.income_pct")
    line(res.requesters, "pros.requester_n", "pros.requester_pct")
    line(res.pros_origin, "pros.origin_n", "pros.origin_pct")
    line(res.residence, "users.residence_n", "users.residence_pct")
    for i, h in enumerate(age_line(res, threshold)[1]):
        if h:
            out.update({f"users.age_band_n.{i}", f"users.age_band_pct.{i}"})
    for code in res.communes["code"]:
        cell = "users.outside" if code == "non_renseigne" else f"users.commune.{code}"
        if plan.hidden(cell):
            out.update({f"users.commune_n.{code}", f"users.commune_pct.{code}"})
    if not _age_extremes_published(res, threshold):
        out.update({"users.age_min", "users.age_max"})
    if not _top_communes_published(res, threshold, plan):
        out.update({f"users.commune_top.{i}.{k}" for i in (1, 2, 3) for k in ("name", "n", "pct")})
    if not first_line_published(res, threshold, plan):
        out.update({"users.first_line_n", "users.referrer_known_n", "users.first_line_pct", "users.second_line_pct",
                    "users.first_line_ci_low_pct", "users.first_line_ci_high_pct",
                    "referrals.first_line_comparison.users_pct", "referrals.first_line_comparison.users_ci_low_pct",
                    "referrals.first_line_comparison.users_ci_high_pct", "referrals.first_line_comparison.diff_pts"})
    return out


# --------------------------------------------------------------------------- display

def display_shares(table: pd.DataFrame, label: str, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                   with_ci: bool = True, hidden: dict[str, str] | None = None) -> pd.DataFrame:
    """Counts and shares of persons for readers: small counts hidden, complementary cells chosen by the
    LP-audited protection (:func:`analysis.publish.disclosure.protect_line`), or given as ``hidden``
    (``code → "primary"|"secondary"``, from the linked plan). Shares and intervals follow their count."""
    t = table.reset_index(drop=True)
    if hidden is None:
        texts, mask = publish_line(t["n"], threshold)
    else:
        texts = [hidden_text(threshold) if hidden.get(c) == "primary" else SECONDARY if hidden.get(c)
                 else fmt_int(n) for c, n in zip(t["code"], t["n"], strict=True)]
        mask = np.array([bool(hidden.get(c)) for c in t["code"]])
    cols = {label: list(t["label"]), "Effectif": texts}
    cols["Part"] = [publish_share(p, bool(h)) for p, h in zip(t["pct"], mask, strict=True)]
    # no interval at all (persons in 2 to MIN_CLUSTERS − 1 services, see analyses.cluster): no column
    with_ci = with_ci and bool(np.isfinite(t["ci_low"].to_numpy(dtype=float)).any())
    if with_ci:
        cols["IC 95 %"] = ["–" if h or math.isnan(lo) else f"{fmt_interval(lo, hi, 1)}{NBSP}%"
                           for lo, hi, h in zip(t["ci_low"], t["ci_high"], mask, strict=True)]
    out = pd.DataFrame(cols)
    total = int(t["n"].sum())
    # the total is a count of persons too: below the threshold it is hidden like any cell
    shown = hidden_text(threshold) if is_suppressed(total, threshold) else fmt_int(total)
    published = total > 0 and not is_suppressed(total, threshold)
    out.loc[len(out)] = ["Total", shown, fmt_pct(100, 1) if published else "–"] + (["–"] if with_ci else [])
    return out


def display_ages(res: ReferralResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> pd.DataFrame:
    t = res.age_table
    return pd.DataFrame({"Classe d'âge": t["band"], "Effectif": age_line(res, threshold)[0]})


# --------------------------------------------------------------------------- figures

def plot_referrers(res: ReferralResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                   plan: LinkedPlan | None = None):
    """Horizontal bars of referrer shares with 95 % intervals (Wilson or clustered by service, the wider);
    hidden cells (the plan's, else the line's own protection) not drawn."""
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, as_printed, fr_formatter, hidden_bar

    t = res.referrers.reset_index(drop=True)
    hidden = line_hidden(plan, "referrer", t["code"])
    if hidden is None:
        texts, mask = publish_line(t["n"], threshold)
    else:
        mask = np.array([c in hidden for c in t["code"]])
        texts = [(hidden_text(threshold) if hidden[c] == "primary" else SECONDARY) if c in hidden else fmt_int(n)
                 for c, n in zip(t["code"], t["n"], strict=True)]
    t = t.assign(hidden=mask, text=texts).iloc[::-1].reset_index(drop=True)
    t.loc[t["hidden"], ["pct", "ci_low", "ci_high"]] = math.nan  # published values only from here on
    for col in ("pct", "ci_low", "ci_high"):  # as the table prints them (one decimal)
        t[col] = as_printed(t[col], 1)
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(t) + 1.4))
    y = np.arange(len(t))
    shown = ~t["hidden"]
    ax.barh(y[shown], t.loc[shown, "pct"], color=OKABE_ITO[0])
    err = np.clip(np.vstack([t.loc[shown, "pct"] - t.loc[shown, "ci_low"],
                             t.loc[shown, "ci_high"] - t.loc[shown, "pct"]]).astype(float), 0, None)
    ax.errorbar(t.loc[shown, "pct"], y[shown], xerr=err, fmt="none", ecolor=OKABE_ITO[7], capsize=3, linewidth=1)
    for yi, text in zip(y[~shown.to_numpy()], t.loc[~shown, "text"], strict=True):
        hidden_bar(ax, yi, text, width=0.8, horizontal=True, extent=0.05)
    labels = [lbl.split(" (")[0] for lbl in t["label"]]
    ax.set_yticks(y, labels)
    ax.xaxis.set_major_formatter(fr_formatter(0, " %"))
    ax.set_xlim(0, 100)
    drawn = bool(np.isfinite(t.loc[shown, "ci_low"].to_numpy(dtype=float)).any())  # none below MIN_CLUSTERS
    ax.set_xlabel("Part des nouvelles demandes d'usager·e·s (%" + (", IC 95 %)" if drawn else ")"))
    fig.tight_layout()
    visible = t[shown].sort_values("pct", ascending=False)
    alt = ("Barres horizontales de la part de chaque envoyeur parmi les nouvelles demandes d'usager·e·s"
           + (", avec intervalles de confiance." if drawn else ", sans intervalle de confiance."))
    if len(visible):
        first = visible.iloc[0]
        alt += f" Premier envoyeur : {first['label'].split(' (')[0]} ({fmt_pct(first['pct'], 1)})."
    alt += (f" Les envoyeurs représentant moins de {threshold} demandes (ou masqués pour les protéger) ne sont "
            "pas chiffrés.")
    return fig, alt


def plot_first_line(res: ReferralResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                    plan: LinkedPlan | None = None):
    """Two bars: first-line share among PRR users and among SSM census demands, with CIs; a share
    resting on a count below the threshold is a hatched placeholder."""
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, as_printed, error_extents, fr_formatter, hidden_bar

    c = res.comparison
    groups = [("Projets PRR\n(nouvelles demandes d'usager·e·s)", res.first_line_k, res.first_line_n,
               (c.users_low, c.users_high) if c else None),
              ("SSM\n(recensement des nouvelles demandes)", res.baseline_k, res.baseline_n,
               (c.census_low, c.census_high) if c else None)]
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ok = [first_line_published(res, threshold, plan),
          res.baseline_k >= threshold and res.baseline_n - res.baseline_k >= threshold]
    for i, (_label, k, n, ci) in enumerate(groups):
        if not n:
            continue
        if not ok[i]:
            # « < 5 » only for a first-line count below the threshold; a share withheld for another
            # reason (a complementary cell, a small complement) reads « n.p. », as in the tables
            small = plan.primary("users.first_line") if (i == 0 and plan is not None) else k < threshold
            hidden_bar(ax, i, hidden_text(threshold) if small else SECONDARY, width=0.55)
            continue
        lo, hi = ci if ci is not None else wilson_ci(k, n)
        p = as_printed(100 * k / n, 1)
        ax.bar(i, p, color=OKABE_ITO[i], width=0.55)
        if math.isnan(lo) or math.isnan(hi):  # too few services for an interval (analyses.cluster): none drawn
            ax.annotate(fmt_pct(p, 1), (i, p), xytext=(0, 4), textcoords="offset points", ha="center")
            continue
        lo, hi = min(lo, k / n), max(hi, k / n)  # never a negative error bar
        # the share and its interval as the prose prints them (one decimal)
        lo, hi = as_printed(100 * lo, 1) / 100, as_printed(100 * hi, 1) / 100
        # 100 * k / n and 100 * (k / n) can differ in the last bit: error_extents never goes negative
        ax.errorbar(i, p, yerr=error_extents(p, 100 * lo, 100 * hi), fmt="none", ecolor=OKABE_ITO[7], capsize=4)
        ax.annotate(fmt_pct(p, 1), (i, 100 * hi), xytext=(0, 4), textcoords="offset points", ha="center")
    ax.set_xticks([0, 1], [g[0] for g in groups])
    ax.yaxis.set_major_formatter(fr_formatter(0, " %"))
    ax.set_ylim(0, 100)
    ax.set_ylabel("Demandes venant de la première ligne (%)")
    fig.tight_layout()
    alt = ("Deux barres comparant la part des demandes venant de la première ligne (personne elle-même ou "
           f"entourage) : {fmt_pct(100 * res.first_line_k / res.first_line_n, 1) if res.first_line_n and ok[0] else 'non publiée'} "
           f"dans les projets PRR, {fmt_pct(100 * res.baseline_k / res.baseline_n, 1) if res.baseline_n and ok[1] else 'non publiée'} "
           "dans les services de santé mentale.")
    return fig, alt


def plot_ages(res: ReferralResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD):
    """Bars of users per age band; bands below the threshold are not drawn."""
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, hidden_bar

    t = res.age_table
    texts, mask = age_line(res, threshold)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    x = np.arange(len(t))
    shown = t["n"].to_numpy()[~mask]  # published values only
    ax.bar(x[~mask], shown, color=OKABE_ITO[2], width=0.8)
    for xi, h in zip(x[~mask], shown, strict=True):
        ax.annotate(fmt_int(h), (xi, h), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=9)
    for xi, text in zip(x[mask], [tx for tx, m in zip(texts, mask, strict=True) if m], strict=True):
        hidden_bar(ax, xi, text)
    ax.set_xlim(-0.6, len(t) - 0.4)
    ax.set_ylim(0, float(shown.max()) * 1.15 if len(shown) and shown.max() > 0 else 1)
    # labels on two lines, not rotated (seven bands, unknown ages included, fit side by side)
    ax.set_xticks(x, [str(b).replace(" et plus", "\net plus").replace("Âge inconnu", "Âge\ninconnu")
                      for b in t["band"]])
    ax.set_ylabel("Nouvelles demandes d'usager·e·s")
    fig.tight_layout()
    alt = (f"Barres du nombre de nouvelles demandes d'usager·e·s par classe d'âge ; les classes de moins de "
           f"{threshold} personnes (ou masquées pour les protéger) sont des cases hachurées sans hauteur chiffrée.")
    return fig, alt


def _commune_hidden(res: ReferralResults, plan: LinkedPlan | None) -> dict[str, str] | None:
    """``code → reason`` of the commune table's hidden rows, from the linked plan (same cells as the
    gradient chapter's)."""
    if plan is None:
        return None
    out = {}
    for code in res.communes["code"]:
        reason = plan.reason("users.outside" if code == "non_renseigne" else f"users.commune.{code}")
        if reason:
            out[code] = reason
    return out


def save_outputs(res: ReferralResults, out: Path, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                 is_example: bool = False, plan: LinkedPlan | None = None) -> dict[str, list[str]]:
    """Save the chapter's figures and tables under the run folder ``out`` (disclosure applied)."""
    from analysis.config import run_paths
    from analysis.publish.figures import save_figure
    from analysis.publish.tables import write_exact, write_table

    paths = run_paths(out)
    note = EXAMPLE_NOTE if is_example else ""
    period = f" {fmt_month(res.start)} – {fmt_month(res.end)}."
    rule = " " + caption_note(threshold)
    ci = clustered_ci_fr(res.referrers.loc[res.referrers["n"] > 0, "ci_low"])
    figs = []
    if res.users_n:
        fig, alt = plot_referrers(res, threshold, plan)
        figs.append(("orientations-envoyeurs", fig, alt, "Envoyeurs des nouvelles demandes d'usager·e·s (part ; "
                     f"{ci})," + period + rule + SOURCE + note))
        fig, alt = plot_first_line(res, threshold, plan)
        c = res.comparison
        fl_ci = ("IC 95 %, regroupement par service pris en compte" if c is None
                 else clustered_ci_fr([c.users_low, c.census_low]))
        figs.append(("orientations-premiere-ligne", fig, alt, "Part des demandes venant de la première ligne : "
                     f"projets PRR et services de santé mentale ({fl_ci} ; "
                     "deux outils différents : comparaison descriptive, sans test)." + SOURCE
                     + " Recensement des nouvelles demandes des SSM." + note))
        fig, alt = plot_ages(res, threshold)
        figs.append(("orientations-ages", fig, alt, "Nouvelles demandes d'usager·e·s par classe d'âge," + period
                     + rule + SOURCE + note))
    for name, fig, alt, caption in figs:
        save_figure(fig, name, paths["figures"], alt, caption)
    tables = [
        ("orientations-envoyeurs", res.referrers,
         display_shares(res.referrers, "Envoyeur", threshold, hidden=line_hidden(plan, "referrer",
                                                                                 res.referrers["code"])),
         f"Envoyeurs des nouvelles demandes d'usager·e·s ({ci}),"
         + period + rule + SOURCE + note),
        ("orientations-communes", res.communes,
         display_shares(res.communes, "Commune", threshold, with_ci=False, hidden=_commune_hidden(res, plan)),
         "Commune de résidence des nouvelles demandes d'usager·e·s," + period
         + rule + SOURCE + note),
        ("orientations-revenus", res.income, display_shares(res.income, "Source de revenus", threshold,
                                                            with_ci=False),
         "Source de revenus des nouvelles demandes d'usager·e·s," + period + rule + SOURCE + note),
        ("orientations-ages", res.age_table, display_ages(res, threshold),
         "Nouvelles demandes d'usager·e·s par classe d'âge," + period + rule + SOURCE + note),
        ("orientations-professionnels", res.requesters,
         display_shares(res.requesters, "Service demandeur", threshold, with_ci=False),
         "Nouvelles demandes de professionnel·le·s par type de service demandeur," + period + rule + SOURCE + note),
    ]
    for name, exact, disp, caption in tables:
        write_table(disp, name, paths["tables"], caption)
        write_exact(exact, name, out)
    return {"figures": [f[0] for f in figs], "tables": [t[0] for t in tables]}
