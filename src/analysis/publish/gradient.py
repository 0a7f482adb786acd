"""Reader-facing views of the social gradient: French labels, tables, figures, map.

The exact results come from :mod:`analysis.analyses.gradient`; this module decides
what a reader sees (disclosure control, French formatting) and writes the run's
gradient figures and tables.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import reference
from analysis.analyses.gradient import (
    MIN_EVENTS_GROUP,
    N_QUINTILES,
    PER,
    GradientResults,
    PopulationGradient,
    gradient_metrics,
)
from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD
from analysis.publish.disclosure import SECONDARY, hidden_text
from analysis.publish.fmt import NBSP, fmt_eur, fmt_int, fmt_interval, fmt_number, fmt_signed
from analysis.publish.linked import LinkedPlan, plan_of_gradient
from analysis.publish.stats_text import UNSTABLE_FR

POPULATIONS_FR = {"users": "nouvelles demandes d'usager·e·s PRR", "census": "demandes aux SSM (recensement)"}


def population_label(g: PopulationGradient) -> str:
    """``pour 10 000 habitant·e·s (2022)``, or ``... et par vague`` for a census pooled over several waves."""
    if g.population_year is None:
        return f"pour {fmt_int(PER)} habitant·e·s et par vague"
    return f"pour {fmt_int(PER)} habitant·e·s ({g.population_year})"


def plan_of(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> LinkedPlan:
    """The protection of this population's linked tables (communes, quintiles, basins, totals); for the
    users of the 2022 report's period, what that report printed is known to the reader
    (:func:`analysis.publish.printed.reader_knowledge`), as in the users plan of the referrals chapter."""
    from analysis.publish.printed import reader_knowledge

    known = reader_knowledge(*g.period) if g.period is not None else {}
    return plan_of_gradient(g.name.split(".")[0], g.communes, g.excluded, threshold, known)


class _View:
    """What a reader may see of one population: each count published or not, and why."""

    def __init__(self, g: PopulationGradient, threshold: int, plan: LinkedPlan | None = None):
        self.pop = g.name.split(".")[0]
        self.threshold = threshold
        self.plan = plan if plan is not None else plan_of(g, threshold)

    def cell(self, kind: str, key) -> str:
        return f"{self.pop}.{kind}.{key}"

    def hidden(self, kind: str, key) -> bool:
        return self.plan.hidden(self.cell(kind, key))

    def count(self, kind: str, key, value) -> str:
        reason = self.plan.reason(self.cell(kind, key))
        if reason == "primary":
            return hidden_text(self.threshold)
        if reason == "secondary":
            return SECONDARY
        return fmt_int(value)

    def why(self, kind: str, key) -> str:
        """Why a derived value of this cell is withheld (table cell text)."""
        return (f"non publié (effectif{NBSP}<{NBSP}{self.threshold})" if self.plan.primary(self.cell(kind, key))
                else "non publié (n.p.)")

    def all_published(self, kind: str, keys) -> bool:
        return not any(self.hidden(kind, k) for k in keys)


def models_published(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                     plan: LinkedPlan | None = None) -> bool:
    """Model estimates (rate ratios, SII, RII) rest on every commune's count: published only when
    every commune count of the population is published."""
    v = _View(g, threshold, plan)
    return v.all_published("commune", g.communes.index)


def withheld_metrics(res: GradientResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> set[str]:
    """Gradient metric keys the prose may not show: a population's (or wave's) counts and estimates
    when any of its commune counts is withheld (the estimates rest on every commune)."""
    out: set[str] = set()
    pops = [("gradient.users", res.users)]
    if res.census is not None:
        pops.append(("gradient.census", res.census))
    pops += [(f"gradient.census.{w}", g) for w, g in res.census_waves.items()]
    # the prose's readings (RII, rate ratio, which quintile is highest) rest on the same counts
    metrics = gradient_metrics(res) | gradient_prose(res)
    for prefix, g in pops:
        plan = plan_of(g, threshold)
        nested = [p for p, _ in pops if p != prefix and p.startswith(prefix + ".")]
        own = {k for k in metrics if k.startswith(prefix + ".") and not any(k.startswith(n + ".") for n in nested)}
        # the Brussels total (and the overall rate, which gives it back): printed only when every quintile
        # count is (it is then their sum, nothing new); with a quintile withheld, the total with the other
        # chapters' tables (income quintile rows less « autre », measured on a generated period) would
        # give back a small set-aside count that this population's plan does not see, so it is withheld
        total = {f"{prefix}.{k}" for k in TOTAL_METRICS} & own
        v = _View(g, threshold, plan)
        if plan.hidden(f"{v.pop}.brussels") or not v.all_published("quintile", g.quintiles.index):
            out |= total
        if models_published(g, threshold, plan):
            continue
        out |= {k for k in own - total if not k.endswith(("model", "model_fr"))}
    return out


#: Metrics of a population that are its Brussels total (or give it back with the public populations).
TOTAL_METRICS = ("n", "n_brussels", "rate_per_10000")


def model_name_fr(g: PopulationGradient) -> str:
    """The count model of a population, as named in the report's sentences."""
    return "régression binomiale négative" if g.model.kind == "negative_binomial" else "régression de Poisson"


def _population_prose(prefix: str, g: PopulationGradient) -> dict[str, Any]:
    if g.index is None or g.model is None:
        return {}
    out = {f"{prefix}.model_fr": model_name_fr(g)}
    rr = g.model.rate_ratios.set_index("quintile")
    if 1 in rr.index:
        q1 = rr.loc[1]
        out[f"{prefix}.rate_ratio_q1_q5_fr"] = (
            f"{fmt_number(q1['rate_ratio'], 2)} (IC 95 % : {fmt_interval(q1['ci_low'], q1['ci_high'], 2)})"
            if bool(q1.get("stable", True)) else
            f"{UNSTABLE_FR} (moins de {MIN_EVENTS_GROUP} demandes dans un des deux quintiles comparés)")
    out[f"{prefix}.rii_headline_fr"] = rii_reading(g)
    out[f"{prefix}.pattern_fr"] = quintile_pattern(g)
    return out


def rii_reading(g: PopulationGradient) -> str:
    """The model's relative index of inequality with its interval and what the interval allows one to say.

    Worded as an association between communes (« compatible avec » / « ne permet pas de conclure »):
    the rates are crude demands registered by participating services, not needs of persons.
    """
    m = g.model
    value = (f"{fmt_number(m.rii_model, 2)} (IC{NBSP}95{NBSP}% : "
             f"{fmt_interval(m.rii_model_low, m.rii_model_high, 2)})")
    if math.isnan(m.rii_model_low) or math.isnan(m.rii_model_high):
        return value + " ; intervalle non calculable : aucune conclusion n'est possible"
    if m.rii_model_low > 1:
        return value + " ; l'intervalle est tout entier au-dessus de 1 : le taux de demandes enregistrées est plus élevé du côté des communes pauvres"
    if m.rii_model_high < 1:
        return value + " ; l'intervalle est tout entier au-dessous de 1 : le taux de demandes enregistrées est plus élevé du côté des communes aisées"
    return value + " ; l'intervalle comprend 1 : ces données ne permettent pas de conclure à un gradient"


def quintile_pattern(g: PopulationGradient) -> str:
    """Whether the rate falls steadily from the poorest to the richest quintile, in French (no counts)."""
    q = g.quintiles.sort_index()
    rates = q["rate"].to_numpy(dtype=float)
    if len(rates) < 2 or np.isnan(rates).any():
        return "la forme du gradient entre quintiles ne peut pas être décrite sur ces données"
    top = int(q.index[int(np.argmax(rates))])
    if all(a >= b for a, b in zip(rates[:-1], rates[1:], strict=False)):
        return "le taux diminue à chaque quintile, du plus pauvre au plus aisé"
    return (f"le taux ne diminue pas régulièrement du quintile le plus pauvre au plus aisé : le plus élevé est "
            f"observé dans le quintile Q{top}")


def gradient_prose(res: GradientResults) -> dict[str, Any]:
    """The French strings of the gradient metrics (merged with
    :func:`analysis.analyses.gradient.gradient_metrics` in the same metrics part)."""
    m = _population_prose("gradient.users", res.users)
    if res.census is not None:
        m |= _population_prose("gradient.census", res.census)
        for w, g in res.census_waves.items():
            m |= _population_prose(f"gradient.census.{w}", g)
    return m


def _indices_exact(res: GradientResults) -> pd.DataFrame:
    """Exact record of the indices table: every gradient metric, each French reading after its key."""
    prose = gradient_prose(res)
    rows = []
    for key, value in gradient_metrics(res).items():
        rows.append((key, value))
        if f"{key}_fr" in prose:
            rows.append((f"{key}_fr", prose[f"{key}_fr"]))
    placed = {k for k, _ in rows}
    rows += [(k, v) for k, v in prose.items() if k not in placed]  # readings of no single metric (pattern_fr)
    return pd.DataFrame(rows, columns=["metric", "value"])


# ---------------------------------------------------------------- file names

def output_name(key: str, what: str) -> str:
    """File name of a gradient output: census outputs are the headline ones (``gradient-carte``),
    the PRR users' carry ``usagers`` (``gradient-usagers-carte``)."""
    return f"gradient-{what}" if key == "census" else f"gradient-usagers-{what}"


# ---------------------------------------------------------------- display tables

def _rate_ci(rate: float, low: float, high: float, hidden: bool | str) -> str:
    if hidden:
        return hidden if isinstance(hidden, str) else "–"
    if pd.isna(rate):
        return "–"
    return f"{fmt_number(rate, 1)} ({fmt_interval(low, high, 1)})"


def display_communes(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                     plan: LinkedPlan | None = None) -> pd.DataFrame:
    """Per-commune table for readers (poorest first); rates of suppressed counts are withheld.

    A rate next to the population would give the count back, so it is
    withheld whenever the count is (primary or complementary suppression).
    """
    c = g.communes
    v = _View(g, threshold, plan)
    return pd.DataFrame({
        "Commune": c["name_fr"],
        "Bassin": c["basin"].fillna("indéterminé"),
        "Revenu moyen par déclaration": c["income"].map(fmt_eur),
        "Quintile de revenu": "Q" + c["quintile"].astype(str),
        _population_header(g): _residents(c).map(fmt_int),
        "Effectif": [v.count("commune", nis, n) for nis, n in c["count"].items()],
        f"Taux {population_label(g)} (IC 95 %)": [
            _rate_ci(r.rate, r.ci_low, r.ci_high, v.hidden("commune", r.Index) and v.why("commune", r.Index))
            for r in c.itertuples()],
    }).reset_index(drop=True)


def _residents(t: pd.DataFrame) -> pd.Series:
    """Population on 1 January of one year (never the sum of several waves' exposures)."""
    return t["residents"] if "residents" in t else t["population"]


def _population_header(g: PopulationGradient) -> str:
    year = g.population_year
    return f"Population au 1er janvier {year}" if year is not None else "Population"


def _rate_ratios(g: PopulationGradient) -> pd.DataFrame:
    """The quintile rate ratios of the model, or an empty frame with the same columns."""
    if g.model is not None:
        return g.model.rate_ratios
    return pd.DataFrame({"quintile": range(1, N_QUINTILES + 1), "rate_ratio": math.nan, "ci_low": math.nan,
                         "ci_high": math.nan, "p_value": math.nan})


def _ratio_text(v: _View, k: int, r, models: bool) -> str:
    """A quintile's rate ratio vs Q5: published only when both quintiles' counts are (and the model's
    every commune); a withheld reference withholds the whole column."""
    if k == N_QUINTILES:
        return "référence" if not v.hidden("quintile", k) else v.why("quintile", k)
    if v.hidden("quintile", N_QUINTILES):
        return "non publié (référence Q5 non publiée)"
    if v.hidden("quintile", k):
        return v.why("quintile", k)
    if not models:
        return "non publié (effectif d'une commune non publié)"
    if pd.isna(r.rate_ratio_rr):
        return "–"
    if not getattr(r, "stable_rr", True):
        return UNSTABLE_FR
    return f"{fmt_number(r.rate_ratio_rr, 2)} ({fmt_interval(r.ci_low_rr, r.ci_high_rr, 2)})"


def display_quintiles(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                      plan: LinkedPlan | None = None) -> pd.DataFrame:
    """Rates and rate ratios per income quintile, for readers (derived values follow their counts)."""
    q = g.quintiles.join(_rate_ratios(g).set_index("quintile").add_suffix("_rr"))
    v = _View(g, threshold, plan)
    models = models_published(g, threshold, v.plan)
    return pd.DataFrame({
        "Quintile": [f"Q{k}" + (" (plus pauvres)" if k == 1 else " (plus aisés)" if k == N_QUINTILES else "")
                     for k in q.index],
        "Communes": q["communes"],
        "Revenu moyen par déclaration": [f"{fmt_eur(a)} à {fmt_eur(b)}" if a != b else fmt_eur(a)
                                         for a, b in zip(q["income_min"], q["income_max"], strict=True)],
        _population_header(g): _residents(q).map(fmt_int),
        "Effectif": [v.count("quintile", k, n) for k, n in q["count"].items()],
        f"Taux {population_label(g)} (IC 95 %)": [
            _rate_ci(r.rate, r.ci_low, r.ci_high, v.hidden("quintile", r.Index) and v.why("quintile", r.Index))
            for r in q.itertuples()],
        "Rapport de taux vs Q5 (IC 95 %)": [_ratio_text(v, k, r, models)
                                            for k, r in zip(q.index, q.itertuples(), strict=True)],
    }).reset_index(drop=True)


def display_basins(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                   plan: LinkedPlan | None = None) -> pd.DataFrame:
    """Rates per basin for readers (Bruxelles-Ville in the "indéterminé" row)."""
    b = g.basins
    v = _View(g, threshold, plan)
    return pd.DataFrame({
        "Bassin": b.index,
        "Communes": b["communes"],
        "Population": b["population"].map(fmt_int),
        "Effectif": [v.count("basin", k, n) for k, n in b["count"].items()],
        f"Taux {population_label(g)} (IC 95 %)": [
            _rate_ci(r.rate, r.ci_low, r.ci_high, v.hidden("basin", r.Index) and v.why("basin", r.Index))
            for r in b.itertuples()],
    }).reset_index(drop=True)


def display_indices(res: GradientResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> pd.DataFrame:
    """SII, RII, model and rate ratio Q1/Q5 side by side for every population (no counts).

    Each estimate rests on every commune's count: a population (or census wave)
    with a commune count that is not published has its estimates withheld.
    """
    rows = []
    pops = [("users", res.users)] + ([("census", res.census)] if res.census is not None else [])
    pops += [(w, g) for w, g in res.census_waves.items()]
    waves = reference.labels("census_waves")
    for key, g in pops:
        i, mod, qi = g.index, g.model, g.quantile_index
        if i is None or mod is None or qi is None:
            continue
        q1 = mod.rate_ratios.set_index("quintile").loc[1]
        sii_ok = bool(g.quintiles["count"].fillna(0).min() >= MIN_EVENTS_GROUP)
        label = POPULATIONS_FR.get(key, f"recensement, {waves.get(key, key).split(' (')[0].lower()}")
        if not models_published(g, threshold):
            why = "non publié (effectif d'une commune non publié)"
            rows.append({"Population": label, "Modèle": why, "Surdispersion (χ²/ddl)": why,
                         "RII du modèle (IC 95 %)": why, f"SII par quintiles pour {fmt_int(PER)} (IC 95 %)": why,
                         "RII par quintiles (IC 95 %)": why, "Rapport de taux Q1/Q5 (IC 95 %)": why})
            continue
        rows.append({
            "Population": label,
            "Modèle": "binomial négatif" if mod.kind == "negative_binomial" else "Poisson",
            "Surdispersion (χ²/ddl)": fmt_number(mod.dispersion, 2),
            "RII du modèle (IC 95 %)":
                f"{fmt_number(mod.rii_model, 2)} ({fmt_interval(mod.rii_model_low, mod.rii_model_high, 2)})",
            f"SII par quintiles pour {fmt_int(PER)} (IC 95 %)":
                f"{fmt_signed(qi.sii, 1)} ({fmt_interval(qi.sii_low, qi.sii_high, 1)})" if sii_ok else UNSTABLE_FR,
            "RII par quintiles (IC 95 %)":
                f"{fmt_signed(qi.rii, 2)} ({fmt_interval(qi.rii_low, qi.rii_high, 2)})" if sii_ok else UNSTABLE_FR,
            "Rapport de taux Q1/Q5 (IC 95 %)":
                f"{fmt_number(q1['rate_ratio'], 2)} ({fmt_interval(q1['ci_low'], q1['ci_high'], 2)})"
                if bool(q1.get("stable", True)) else UNSTABLE_FR,
        })
    if not rows:
        return pd.DataFrame({"Population": ["Aucune demande localisée dans une commune bruxelloise."]})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- figures

def _label_points(ax, df: pd.DataFrame, x: str, y: str, text: str) -> None:
    """Name each point without overlaps (:func:`analysis.publish.labels.place_labels`)."""
    from analysis.publish.labels import place_labels

    place_labels(ax, df[x].to_list(), df[y].to_list(), df[text].astype(str).to_list())


def plot_rate_vs_income(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                        plan: LinkedPlan | None = None):
    """Scatter of the commune rate against mean income, with the fitted model curve.

    Drawn from published values only: point area follows the (public) population;
    communes whose count is withheld are hollow markers on the axis, without a
    name; the model curve is drawn only when the model is published. Returns ``(fig, alt)``.
    """
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, fr_formatter, fr_tick_formatter

    c = g.communes
    v = _View(g, threshold, plan)
    pub = published_communes(g, threshold, v.plan)
    hidden = pub["hidden"].astype(bool)
    rate = pub["rate"]  # the printed rates (one decimal); withheld ones are NaN
    fig, ax = plt.subplots()
    size = 20 + 180 * c["population"] / c["population"].max()
    ax.scatter(c.loc[~hidden, "income"], rate[~hidden], s=size[~hidden], color=OKABE_ITO[0],
               alpha=0.8, edgecolor="white", zorder=3)
    if hidden.any():
        ax.scatter(c.loc[hidden, "income"], [0] * int(hidden.sum()), s=size[hidden], facecolor="none",
                   edgecolor="grey", hatch="///", zorder=3, label="taux non publié (effectif masqué)")
    models = models_published(g, threshold, v.plan)
    if g.model is not None and models:
        fit = g.model.fits["trend"]
        order = c.sort_values("ridit")
        pred = np.exp(fit.params["const"] + fit.params["poorness"] * (1 - order["ridit"].to_numpy())) * PER
        ax.plot(order["income"], pred, color=OKABE_ITO[5], lw=1.5,
                label="modèle " + ("binomial négatif" if g.model.kind == "negative_binomial" else "de Poisson"))

    ax.xaxis.set_major_formatter(fr_formatter(0))
    ax.yaxis.set_major_formatter(fr_tick_formatter(ax.yaxis))
    ax.set_xlabel("Revenu moyen par déclaration de la commune (€)")
    ax.set_ylabel(f"Taux {population_label(g)}")
    top = rate.max()
    ax.set_ylim(0, top * 1.12 if pd.notna(top) and top > 0 else 1)
    x0, x1 = c["income"].min(), c["income"].max()
    ax.set_xlim(x0 - 0.08 * (x1 - x0), x1 + 0.08 * (x1 - x0))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, fontsize=8)
    _label_points(ax, c[~hidden].assign(rate=rate[~hidden]), "income", "rate", "name_fr")
    poor, rich = c.index[0], c.index[-1]
    alt = (f"Nuage de points des 19 communes : taux {population_label(g)} selon le revenu moyen par déclaration. "
           f"Commune la plus pauvre, {c.loc[poor, 'name_fr']} ({fmt_eur(c.loc[poor, 'income'])}) : "
           + ("taux non publié" if hidden[poor] else f"{fmt_number(rate[poor], 1)}")
           + f" ; la plus aisée, {c.loc[rich, 'name_fr']} ({fmt_eur(c.loc[rich, 'income'])}) : "
           + ("taux non publié" if hidden[rich] else f"{fmt_number(rate[rich], 1)}")
           # the model's index, as Table 10.1 and the text print it (the commune-level index is printed nowhere:
           # tenth review, M1)
           + (f". Indice relatif d'inégalité du modèle {fmt_number(g.model.rii_model, 2)}."
              if g.model is not None and models and not math.isnan(g.model.rii_model) else "."))
    return fig, alt


#: Decimals of a rate per 10 000 and of its interval ends in the tables and the prose.
RATE_DECIMALS = 1


def published_rates(t: pd.DataFrame, hidden: pd.Series, view: _View, kind: str) -> pd.DataFrame:
    """The published view of a table of rates (communes, quintiles): each row's rate and interval ends
    as the table prints them (``RATE_DECIMALS``), NaN where the count is withheld, and the placeholder
    text of a withheld row. Figures draw from this frame only."""
    from analysis.publish.figures import as_printed

    keep = ~hidden
    return pd.DataFrame({
        "rate": as_printed(t["rate"].where(keep), RATE_DECIMALS),
        "ci_low": as_printed(t["ci_low"].where(keep), RATE_DECIMALS),
        "ci_high": as_printed(t["ci_high"].where(keep), RATE_DECIMALS),
        "hidden": hidden,
        "hidden_text": [view.count(kind, k, 0) if h else "" for k, h in hidden.items()],
    }, index=t.index)


def published_quintiles(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                        plan: LinkedPlan | None = None) -> pd.DataFrame:
    """The quintile rates as printed in the quintile table (:func:`display_quintiles`)."""
    v = _View(g, threshold, plan)
    q = g.quintiles
    return published_rates(q, pd.Series([v.hidden("quintile", k) for k in q.index], index=q.index), v, "quintile")


def published_communes(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                       plan: LinkedPlan | None = None) -> pd.DataFrame:
    """The commune rates as printed in the commune table (:func:`display_communes`), with the public
    facts a figure places them by (name, income, population)."""
    v = _View(g, threshold, plan)
    c = g.communes
    out = published_rates(c, pd.Series([v.hidden("commune", n) for n in c.index], index=c.index), v, "commune")
    return out.join(c[["name_fr", "income", "population"]])


def plot_quintile_rates(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                        plan: LinkedPlan | None = None):
    """Bar chart of the published rate per income quintile with 95 % intervals. Returns ``(fig, alt)``.

    Drawn from :func:`published_quintiles` only: bars at the printed rate (one decimal), whiskers at the
    printed interval ends; a withheld quintile is a hatched placeholder of fixed height (no data height).
    """
    return draw_quintile_rates(published_quintiles(g, threshold, plan), population_label(g))


def draw_quintile_rates(pub: pd.DataFrame, label: str):
    """The bar chart of :func:`plot_quintile_rates` from a published view (NaN where withheld)."""
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, error_extents, fr_tick_formatter, hidden_bar

    hidden = pub["hidden"].astype(bool)
    shown = pub[~hidden]
    fig, ax = plt.subplots()
    names = [f"Q{k}" + ("\n(plus pauvres)" if k == 1 else "\n(plus aisés)" if k == N_QUINTILES else "")
             for k in pub.index]
    x = np.arange(len(pub))
    xs = x[~hidden.to_numpy()]
    if len(shown):
        ax.bar(xs, shown["rate"], color=OKABE_ITO[0], width=0.8,
               yerr=error_extents(shown["rate"], shown["ci_low"], shown["ci_high"]), capsize=4)
    for xi, k in zip(x, pub.index, strict=True):
        if hidden[k]:
            hidden_bar(ax, xi, pub.loc[k, "hidden_text"])
    ax.set_xticks(x, names)
    ax.set_xlim(-0.6, len(pub) - 0.4)
    top = shown["ci_high"].max() if len(shown) else math.nan
    ax.set_ylim(0, float(top) * 1.1 if pd.notna(top) and top > 0 else 1)
    ax.yaxis.set_major_formatter(fr_tick_formatter(ax.yaxis))
    ax.set_xlabel("Quintile de revenu moyen par déclaration de la commune (population)")
    ax.set_ylabel(f"Taux {label}")
    alt = (f"Histogramme du taux {label} par quintile de revenu, du plus pauvre au plus aisé : "
           + ", ".join(f"{pub.loc[k, 'hidden_text']} (non publié)" if hidden[k] else fmt_number(r, RATE_DECIMALS)
                       for k, r in pub["rate"].items())
           + ", avec intervalles de confiance à 95 %.")
    return fig, alt


def plot_map(g: PopulationGradient, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD, plan: LinkedPlan | None = None):
    """Map of the published rate per commune; withheld communes are hatched grey. Returns ``(fig, alt)``."""
    from analysis.publish.maps import plot_commune_map

    pub = published_communes(g, threshold, plan)
    hidden = {nis for nis, h in pub["hidden"].items() if h}
    rate = pub["rate"]  # printed values only (one decimal): colours, labels and scale
    labels = {nis: fmt_number(r, RATE_DECIMALS) for nis, r in rate.items() if nis not in hidden}
    fig = plot_commune_map(rate, legend_label=f"Taux {population_label(g)}", labels=labels, hidden=hidden,
                           hidden_label="effectif masqué : non publié",
                           names={nis: str(n) for nis, n in pub["name_fr"].items()})
    alt = (f"Carte des 19 communes bruxelloises colorées selon le taux {population_label(g)}. "
           + map_extremes_fr(pub)
           + (f"{len(hidden)} commune(s) hachurée(s) : effectif masqué, taux non publié." if hidden else ""))
    return fig, alt


def map_extremes_fr(pub: pd.DataFrame) -> str:
    """« Taux le plus élevé : A (x) ; le plus bas : B (y). » among the published communes, said only when
    no commune is withheld: with a hatched commune, « le plus bas » among the published ones would tell
    the reader nothing false but invites reading the hidden ones as lower (they are: a withheld count is
    small), and « le plus élevé » would bound each hidden rate from above; an order is not published."""
    if pub["hidden"].any() or pub["rate"].isna().all():
        return ""
    top = pub.sort_values("rate", ascending=False)
    return (f"Taux le plus élevé : {top['name_fr'].iloc[0]} ({fmt_number(top['rate'].iloc[0], RATE_DECIMALS)}) ; "
            f"le plus bas : {top['name_fr'].iloc[-1]} ({fmt_number(top['rate'].iloc[-1], RATE_DECIMALS)}). ")


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
                 threshold: int = DEFAULT_DISCLOSURE_THRESHOLD, is_example: bool = False,
                 audit_dir: Path | None = None) -> dict[str, list[str]]:
    """Save every gradient figure and table (CSV exact, Markdown with disclosure applied).

    Returns the names written, ``{"figures": [...], "tables": [...]}``.
    """
    from analysis.publish.figures import save_figure
    from analysis.publish.saturation import write_table

    note = EXAMPLE_NOTE if is_example else ""
    income = (f" Revenu : revenu moyen net imposable par déclaration ({res.income_year}, Statbel) ; aucun revenu "
              "médian n'est publié pour chaque commune.")
    rule = f" Effectifs inférieurs à {threshold} masqués, ainsi que le taux correspondant."
    wide = (" Le RII du modèle (régression sur le rang de revenu de la population, avec la dispersion entre "
            "communes) est l'indice principal. SII et RII par quintiles : méthode de l'outil phe_sii "
            "(régression pondérée par la population sur le point milieu cumulé de chaque quintile), intervalles "
            "par simulation dont la variance est élargie de la surdispersion observée (quasi-Poisson). "
            f"« {UNSTABLE_FR} » : moins de {MIN_EVENTS_GROUP} demandes dans un des groupes comparés.")
    pops = [("users", res.users)] + ([("census", res.census)] if res.census is not None else [])
    figures, tables = [], []
    for key, g in pops:
        what = POPULATIONS_FR[key]
        plan = plan_of(g, threshold)
        if audit_dir is not None:
            from analysis.publish.linked import write_audit

            write_audit(plan, audit_dir, f"gradient-{key}")
        view = _View(g, threshold, plan)
        # every residence listed at every edition (a withdrawn count reads « n.p. »)
        excl = ", ".join(f"{_residence_fr(k.removeprefix('excluded_'))} : "
                         f"{view.count('excluded', k.removeprefix('excluded_'), n)}" for k, n in g.excluded.items())
        excl = f" Hors calcul : {excl}." if excl else ""
        fig, alt = plot_rate_vs_income(g, threshold, plan)
        figures.append((output_name(key, "nuage"), fig, alt,
                        f"Taux de {what} {population_label(g)} selon le revenu de la commune ; courbe : modèle "
                        f"{_model_fr(g)} sur le rang "
                        "de revenu (population)." + income + excl + note))
        fig, alt = plot_map(g, threshold, plan)
        figures.append((output_name(key, "carte"), fig, alt,
                        f"Taux de {what} {population_label(g)}, par commune de résidence." + rule + excl + note))
        fig, alt = plot_quintile_rates(g, threshold, plan)
        figures.append((output_name(key, "quintiles"), fig, alt,
                        f"Taux de {what} {population_label(g)} par quintile de revenu des communes (Q1 : cinquième "
                        "le plus pauvre de la population), IC 95 % exacts de Poisson." + income + note))
        tables.append((output_name(key, "communes"), _exact_communes(g), display_communes(g, threshold, plan),
                       f"{_upper_first(what)} par commune de résidence, des communes les plus pauvres aux plus aisées."
                       + income + rule + excl + note))
        tables.append((output_name(key, "quintiles"), g.quintiles.join(_rate_ratios(g).set_index("quintile")
                                                                      .add_suffix("_rr")).reset_index(),
                       display_quintiles(g, threshold, plan),
                       f"{_upper_first(what)} par quintile de revenu des communes (classes de population "
                       "comparables aux classes de revenu de l'Observatoire de la Santé et du Social, qui travaille "
                       "toutefois sur les secteurs statistiques et le revenu médian)." + income + rule + note))
        tables.append((output_name(key, "bassins"), g.basins.reset_index(), display_basins(g, threshold, plan),
                       f"{_upper_first(what)} par bassin d'aide et de soins ; Bruxelles-Ville, partagée entre "
                       "plusieurs bassins, forme une ligne « indéterminé »." + rule + note))
    tables.append(("gradient-indices", _indices_exact(res),
                   display_indices(res, threshold),
                   "Gradient social : indice relatif d'inégalité du modèle, indices de pente (SII, pour "
                   f"{fmt_int(PER)} habitant·e·s) et relatif (RII) d'inégalité sur les quintiles de revenu, "
                   "rapport de taux entre quintiles extrêmes ; un SII positif et un RII supérieur à 1 signifient "
                   "un taux plus élevé du côté pauvre." + wide + income + note))
    for name, fig, alt, caption in figures:
        save_figure(fig, name, figures_dir, alt, caption)
    for name, exact, disp, caption in tables:
        write_table(exact, disp, name, tables_dir, caption)
    return {"figures": [f[0] for f in figures], "tables": [t[0] for t in tables],
            "map": output_name(pops[-1][0], "carte")}
