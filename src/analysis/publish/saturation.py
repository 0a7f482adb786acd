"""Reader-facing views of the saturation census: French labels and sentences, tables, figures.

The exact results come from :mod:`analysis.analyses.saturation`; this module decides
what a reader sees (disclosure control, French formatting) and writes the run's
saturation figures and tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import reference
from analysis.analyses.saturation import (
    INCOME_UNIT_EUR,
    MIN_EVENTS_PER_PARAMETER,
    OUTCOME_INDICATORS,
    OUTCOME_KEYS,
    POOLED_LEVEL,
    ModelResult,
    SaturationResults,
    saturation_metrics,
)
from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD, REFERENCE_DIR
from analysis.publish.disclosure import SECONDARY, hidden_text, is_suppressed, protect_line, publish_count
from analysis.publish.fmt import (
    NBSP,
    clustered_ci_fr,
    few_services_fr,
    fmt_int,
    fmt_interval,
    fmt_number,
    fmt_pct,
    fmt_share_ci,
    fmt_signed,
)
from analysis.publish.sdc import Protection, Relation, protect
from analysis.publish.stats_text import NOT_ESTIMABLE_FR, UNSTABLE_FR

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
#: Label of the pooled level of a model covariate.
POOLED_LEVEL_FR = "Autres (regroupés)"


def wave_short_labels(ref_dir: Path = REFERENCE_DIR) -> dict[str, str]:
    """``{'2020_11': 'Vague 1', ...}``: the wave label up to its parenthesis."""
    return {code: label.split(" (")[0] for code, label in reference.labels("census_waves", ref_dir).items()}


# ---------------------------------------------------------------- model: labels and reading

def _term_labels(refs: dict[str, str], waves: list[str], ref_dir: Path) -> dict[str, tuple[str, str]]:
    """French label and reference category of every possible model term (``waves[0]``: the reference wave)."""
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


def model_table(res: ModelResult, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The model's table with the French label and reference category of every term
    (columns ``term, variable, label_fr, reference_fr, odds_ratio, ci_low, ci_high, p_value``)."""
    wave_ref = res.references.get("wave")
    waves = [wave_ref, *(t.removeprefix("wave_") for t in res.table["term"] if t.startswith("wave_"))] \
        if wave_ref else []
    labels = _term_labels(res.references, waves, ref_dir)
    t = res.table.copy()
    t.insert(2, "label_fr", [labels[term][0] for term in t["term"]])
    t.insert(3, "reference_fr", [labels[term][1] for term in t["term"]])
    return t


def covariates_fr(res: ModelResult) -> str:
    """The model's covariates, in French."""
    return "public, suivi demandé, origine de la demande, revenu de la commune" + (
        ", vague" if "wave" in res.references else "")


def _fmt_or(value: float) -> str:
    return fmt_signed(value, 2)


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


def model_sample_fr(res: ModelResult, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> str:
    """The model's sample: its size is printed only when the demands set aside (outside Brussels,
    missing commune or covariate) are none or at least the threshold, else the census total minus
    it gives them back (a commune « inconnue » printed « < 5 » in the gradient chapter)."""
    excluded = (res.excluded_outside_brussels, res.excluded_missing)
    if all(e == 0 or e >= threshold for e in excluded):
        return f"{fmt_int(res.n)} demandes de résident·e·s bruxellois·es"
    return (f"les demandes de résident·e·s bruxellois·es (nombre non publié : les demandes écartées, moins de "
            f"{threshold}, s'en déduiraient)")


def model_sentence(res: ModelResult, ref_dir: Path = REFERENCE_DIR,
                   threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> str:
    """Plain-French reading of the model, generated from its results.

    Names the covariate with the strongest evidence (smallest p-value, income
    and wave aside), then the income term, then the sample (:func:`model_sample_fr`).
    """
    alpha = res.alpha
    conf = fmt_number(100 * (1 - alpha), 0)
    t = model_table(res, ref_dir)
    parts = []
    cat = t[~t["variable"].isin(["income_10k", "wave"])].sort_values(["p_value", "term"])
    if not cat.empty:
        r = cat.iloc[0]
        ratio = r["odds_ratio"]
        how = (f"{_fmt_or(ratio)} fois plus élevée" if ratio >= 1
               else f"plus faible de {fmt_pct(100 * (1 - ratio), 0)}")
        clear = r["p_value"] < alpha
        parts.append(
            f"À caractéristiques égales ({covariates_fr(res)}), la cote de réorientation faute de place (raison "
            f"indiquée par le service) est "
            f"{how} pour {_group_phrase(r['variable'], r['label_fr'])} que pour "
            f"{_reference_phrase(r['variable'], r['reference_fr'])} (rapport de cotes {_fmt_or(ratio)} ; "
            f"IC{NBSP}{conf}{NBSP}% : {fmt_interval(r['ci_low'], r['ci_high'], 2)})"
            + ("." if clear else ", un écart qui reste compatible avec le hasard.")
        )
    inc = t[t["variable"] == "income_10k"]
    if not inc.empty:
        r = inc.iloc[0]
        if r["ci_low"] > 1:
            verdict = ("dans ce modèle, les demandes venant de communes plus aisées sont plus souvent réorientées "
                       "faute de place (association entre communes, pas une propriété des personnes)")
        elif r["ci_high"] < 1:
            verdict = ("dans ce modèle, les demandes venant de communes plus pauvres sont plus souvent réorientées "
                       "faute de place (association entre communes, pas une propriété des personnes)")
        else:
            verdict = "aucune association nette avec le revenu de la commune ne se dégage"
        parts.append(
            f"Par tranche de {fmt_int(INCOME_UNIT_EUR)}{NBSP}€ de revenu moyen par déclaration dans la commune "
            f"de résidence, le rapport de cotes vaut {_fmt_or(r['odds_ratio'])} "
            f"(IC{NBSP}{conf}{NBSP}% : {fmt_interval(r['ci_low'], r['ci_high'], 2)}) : {verdict}."
        )
    parts.append(
        f"Modèle estimé sur {model_sample_fr(res, threshold)} ; les intervalles tiennent "
        f"compte du regroupement des demandes par service ({fmt_int(res.clusters)} services, correction pour "
        "petit nombre de services)."
    )
    if not res.stable:
        return (f"Modèle : {UNSTABLE_FR} (moins de {fmt_int(MIN_EVENTS_PER_PARAMETER)} réorientations contraintes "
                f"par coefficient estimé). " + parts[-1])
    return " ".join(parts)


#: What the wave-comparison indicators are called in the comparison sentence.
COMPARED_FR = {"accepted": "la part des demandes auxquelles un suivi est proposé",
               "constrained": "la part des demandes réorientées faute de place (raison indiquée par le service)"}


def _diff_reading(low: float, high: float, p_value: float, p_boot: float, alpha: float = 0.05) -> str:
    """Plain-French reading of a clustered difference: « compatible avec » / « non démontré », never « confirme »."""
    if math.isnan(low) or math.isnan(high):
        return "l'intervalle n'a pas pu être calculé : aucune conclusion n'est possible"
    if low > 0 or high < 0:
        both = not math.isnan(p_boot) and p_boot < alpha
        way = "hausse" if low > 0 else "baisse"
        return (f"l'intervalle ne comprend pas zéro, ce qui rend une {way} probable, à condition que les services "
                "participants et leur façon de noter l'issue soient comparables d'une vague à l'autre" + (
                    "" if both else " ; le bootstrap par service est moins net : écart fragile"))
    return "l'intervalle comprend zéro : les données restent compatibles avec une absence de changement"


def _points(diff: float) -> str:
    """``+7,6 points`` / ``−3,1 points``."""
    return ("+" if diff > 0 else "") + f"{fmt_signed(diff, 1)} points"


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def share_publishable(k: float, n: float, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> bool:
    """True when the share ``k / n`` may be printed: its count ``k``, its complement ``n − k`` and its
    denominator ``n`` are all publishable (none of them between 1 and ``threshold − 1``; a true zero is
    publishable) and ``n`` is positive. Otherwise the share, with ``n``, gives back a small count."""
    if n is None or pd.isna(n) or k is None or pd.isna(k) or n <= 0:
        return False
    return not (is_suppressed(k, threshold) or is_suppressed(n, threshold) or is_suppressed(n - k, threshold))


def withheld_share_fr(threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> str:
    """What prose and labels show in place of a share that rests on a small count."""
    return f"non publié (moins de {threshold})"


def _share_or_withheld(pct_value: float, k: float, n: float, threshold: int, decimals: int = 1) -> str:
    return fmt_pct(pct_value, decimals) if share_publishable(k, n, threshold) else withheld_share_fr(threshold)


def comparison_sentence(res: SaturationResults, ref_dir: Path = REFERENCE_DIR,
                        threshold: int = DEFAULT_DISCLOSURE_THRESHOLD, plan: SaturationPlan | None = None) -> str:
    """Like-for-like reading of the wave comparisons (same indicator, same definition in both waves).

    Uses the comparisons clustered by service (CR2 interval, wild bootstrap
    p-value) over all services, and says what the services present in both
    waves give. Percentages and differences only (no person counts). A wave's share is printed only when
    its count, complement and denominator are publishable (:func:`share_publishable`), and the difference
    only when both shares are (a difference and one share give back the other). With the census ``plan``
    (:func:`saturation_plan`), a share is printed when its count and denominator are published by it.
    """
    short = wave_short_labels(ref_dir)
    parts = []
    for ind in ("accepted", "constrained"):
        c = res.clustered.get(ind)
        if c is None:
            continue
        w0, w1 = short.get(c.wave_from, c.wave_from), short.get(c.wave_to, c.wave_to)
        ok_from, ok_to = _compare_shown(c, threshold, plan)
        p0, p1 = _compare_text(c, "from", threshold, plan), _compare_text(c, "to", threshold, plan)
        if not (ok_from and ok_to):
            parts.append(f"À définition identique, {COMPARED_FR[ind]} : {p0} ({w0.lower()}), {p1} ({w1.lower()}) ; "
                         f"l'écart entre les vagues n'est pas publié, car une des deux parts repose sur un effectif "
                         f"de moins de {threshold} demandes ou masqué.")
            continue
        if math.isnan(c.diff_low) or math.isnan(c.diff_high):  # too few SSM (analyses.cluster)
            parts.append(f"À définition identique, {COMPARED_FR[ind]} passe de {p0} ({w0.lower()}) à "
                         f"{p1} ({w1.lower()}), soit {_points(c.diff_pts)}, sans intervalle de confiance "
                         f"({few_services_fr()}) : l'écart se lit comme une description, sans conclusion.")
            continue
        text = (f"À définition identique, {COMPARED_FR[ind]} passe de {p0} ({w0.lower()}) à "
                f"{p1} ({w1.lower()}), soit {_points(c.diff_pts)} "
                f"(IC{NBSP}95{NBSP}% : {fmt_interval(c.diff_low, c.diff_high, 1)}, regroupement des demandes par "
                f"service pris en compte). {_upper_first(_diff_reading(c.diff_low, c.diff_high, c.p_value, c.p_boot))}")
        paired = res.clustered.get(f"{ind}_paired")
        if paired is not None and not all(_compare_shown(paired, threshold, plan)):
            text += (" ; l'écart sur les seuls services présents aux deux vagues n'est pas publié (effectif de moins "
                     f"de {threshold} demandes)")
        elif paired is not None and paired.services_common < max(c.services_from, c.services_to):
            text += (f" ; sur les {fmt_int(paired.services_common)} services présents aux deux vagues, l'écart vaut "
                     f"{_points(paired.diff_pts)} ({fmt_interval(paired.diff_low, paired.diff_high, 1)})")
        parts.append(text + ".")
    if not parts:
        if not res.waves:  # (review of 2026-12-05: « une seule vague » read as « a census file was read »)
            return "Aucune vague du recensement ne figure dans les données : aucune comparaison entre vagues."
        return "Une seule vague du recensement figure dans les données : aucune comparaison entre vagues n'est possible."
    return " ".join(parts)


def wait_sentence(res: SaturationResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                  ref_dir: Path = REFERENCE_DIR, plan: SaturationPlan | None = None) -> str:
    """The median waits of every wave with their interval and share still waiting (censored), and what
    a comparison of them can say. Waves with fewer than ``threshold`` demands, or fewer than
    :data:`MIN_EVENTS_PER_PARAMETER` observed appointments, get the stability verdict instead of a number.
    With the census ``plan``, a wave's median and share still waiting are printed only when its demands
    and observed appointments are published by it."""
    short = wave_short_labels(ref_dir)
    parts, intervals = [], []
    for r in res.medians_by_wave.itertuples(index=False):
        w = short.get(r.wave, r.wave).lower()
        if plan is not None and not plan.published(r.wave, "wait_n", "wait_events"):
            parts.append(f"{w} : délai {plan.why(r.wave, 'wait_n', 'wait_events')}")
            continue
        if is_suppressed(r.n, threshold) or r.events < MIN_EVENTS_PER_PARAMETER:
            parts.append(f"{w} : {UNSTABLE_FR}")
            continue
        censored = (fmt_pct(100 * (r.n - r.events) / r.n, 0)
                    if plan is not None or share_publishable(r.n - r.events, r.n, threshold)
                    else withheld_share_fr(threshold))
        if math.isnan(r.median_days):
            med = "médiane non atteinte (plus de la moitié des demandes encore sans rendez-vous)"
        else:
            high = NOT_ESTIMABLE_FR if math.isnan(r.ci_high) else fmt_int(r.ci_high)
            low = NOT_ESTIMABLE_FR if math.isnan(r.ci_low) else fmt_int(r.ci_low)
            med = f"{fmt_int(r.median_days)} jours (IC{NBSP}95{NBSP}% : {low} à {high})"
            intervals.append((r.ci_low, r.ci_high))
        parts.append(f"{w} : {med}, part des demandes encore sans rendez-vous à la fin de la vague : {censored}")
    if not parts:
        return "Aucun délai de premier rendez-vous n'est disponible dans les données."
    text = "Délai médian jusqu'au premier rendez-vous, " + " ; ".join(parts) + "."
    if len(intervals) >= 2:
        lows, highs = [a for a, _ in intervals], [b for _, b in intervals]
        overlap = not any(math.isnan(v) for v in lows + highs) and max(lows) <= min(highs)
        text += (" Les intervalles se recouvrent : ces données ne permettent pas de dire que l'attente a changé "
                 "d'une vague à l'autre." if overlap else
                 " Les intervalles ne se recouvrent pas, mais ils ne tiennent pas compte du regroupement des "
                 "demandes par service : l'écart demande à être vérifié sur un autre recensement.")
    return text


def withheld_metrics(res: SaturationResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                     plan: SaturationPlan | None = None) -> set[str]:
    """Saturation metric keys the prose may not show (:func:`analysis.publish.linked.write_withheld`).

    Read from the census ``plan`` (:func:`saturation_plan`, computed here when not given): every count the
    plan hides (« < 5 » or « n.p. »), every share with its interval resting on a hidden count or
    denominator, a wave's or public's waits (median, interval, observed appointments, share still waiting)
    when its demands or observed appointments are hidden, the counts the plan treats as printed nowhere
    (destination unknown, reason missing), and every wave comparison (shares, difference, p-values)
    resting on a withheld share. Small counts are also withheld by the report's variables step.
    """
    out: set[str] = set()
    if not res.waves:
        return out
    plan = plan if plan is not None else saturation_plan(res, threshold)
    share = ("_pct", "_pct_low", "_pct_high", "_ci_low", "_ci_high")
    waits = ("median_wait_days", "median_wait_days_low", "median_wait_days_high",
             "median_wait_days_high_estimable", "wait_censored_n", "wait_censored_pct", "wait_n", "wait_events")

    def indicators(prefix: str, g: str, table: pd.DataFrame) -> None:
        for r in table.itertuples(index=False):
            if not plan.share_shown(g, r.indicator):
                out.update(f"{prefix}.{r.indicator}{s}" for s in share)
            if plan.hidden(g, _cell_of(r.indicator, "k")):
                out.add(f"{prefix}.{r.indicator}_count")
            if plan.hidden(g, _cell_of(r.indicator, "n")):
                out.add(f"{prefix}.{r.indicator}_denominator")
        if plan.hidden(g, "n"):
            out.add(f"{prefix}.n")

    def wait_keys(prefix: str, g: str) -> None:
        if not plan.published(g, "wait_n", "wait_events"):
            out.update(f"{prefix}.{k}" for k in waits)

    for wave in res.waves:
        p = f"saturation.{wave}"
        indicators(p, wave, res.by_wave[res.by_wave["wave"] == wave])
        # counts printed nowhere in the plan (parts of its unknowns): never in the prose
        out.update({f"{p}.full_destination_unknown", f"{p}.reorientation_reason_missing"})
        if not plan.published(wave, "full", "constrained"):
            out.add(f"{p}.full_destination_all_pct")
        wait_keys(p, wave)
        for col, table in (("public", res.by_public), ("followup", res.by_followup)):
            src = "public" if col == "public" else "followup_requested"
            for level, g in table[table["wave"] == wave].groupby(src, observed=True):
                indicators(f"{p}.{col}.{level}", group_key(wave, col, str(level)), g)
        for level in res.medians_by_public.loc[res.medians_by_public["wave"] == wave, "public"]:
            wait_keys(f"{p}.public.{level}", group_key(wave, "public", str(level)))
    if res.model is not None and not model_groups_publishable(res.model, threshold):
        # the estimates of a model with a small group (the sentence says why it is withheld)
        out.update(k for k in saturation_metrics(res) if k.startswith("saturation.model.")
                   and k.rsplit(".", 1)[-1] not in ("clusters", "income_year", "sentence",
                                                    "min_events_per_parameter"))  # a rule, not a result
    c = res.comparison
    if c is not None and not all(_compare_shown(c, threshold, plan)):
        out.update(f"saturation.accepted_{s}" for s in (
            "change_pct", "change_pct_low_unclustered", "change_pct_high_unclustered", "unclustered_p_value"))
    for key, c in res.clustered.items():
        q = f"saturation.compare.{key}"
        for side in ("from", "to"):
            if plan.hidden(_compare_group(c, side), "n"):
                out.add(f"{q}.n_{side}")
        if all(_compare_shown(c, threshold, plan)):
            continue
        out.update(f"{q}.{s}" for s in ("pct_from", "pct_to", "diff_pts", "diff_pts_low", "diff_pts_high",
                                          "p_value", "boot_p_value", "unclustered_p_value"))
        if key == "accepted":
            out.update(f"saturation.accepted_{s}" for s in (
                "diff_pts", "diff_pts_low", "diff_pts_high", "p_value", "change_p", "change_pct",
                "change_pct_low_unclustered", "change_pct_high_unclustered", "unclustered_p_value"))
    return out


def saturation_prose(res: SaturationResults, ref_dir: Path = REFERENCE_DIR,
                     threshold: int = DEFAULT_DISCLOSURE_THRESHOLD, plan: SaturationPlan | None = None
                     ) -> dict[str, Any]:
    """The French sentences of the saturation metrics (merged with
    :func:`analysis.analyses.saturation.saturation_metrics` in the same metrics part); their values read
    the census ``plan`` (:func:`saturation_plan`, computed here when not given)."""
    if not res.waves:
        return {}
    plan = plan if plan is not None else saturation_plan(res, threshold)
    return {
        "saturation.model.sentence": (model_sentence(res.model, ref_dir, threshold)
                                      if model_groups_publishable(res.model, threshold) else model_withheld_fr(threshold))
        if res.model is not None else model_missing_fr(res),
        "saturation.compare.sentence": comparison_sentence(res, ref_dir, threshold, plan),
        "saturation.wait.sentence": wait_sentence(res, threshold, ref_dir, plan),
    }


# ---------------------------------------------------------------- display tables

def _pct_ci(r, threshold: int) -> str:
    if r.n == 0:
        return "–"
    if is_suppressed(r.k, threshold) or is_suppressed(r.n, threshold) or is_suppressed(r.n - r.k, threshold):
        return "–"
    return fmt_share_ci(r.pct, r.ci_low, r.ci_high)


def display_indicators(table: pd.DataFrame, group: str, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                       ref_dir: Path = REFERENCE_DIR, group_labels: dict[str, str] | None = None,
                       plan: SaturationPlan | None = None) -> pd.DataFrame:
    """Reader-facing version of an indicator table: French headers, formatted, disclosure applied.

    One row per indicator and group; a share is blanked ("–") when its
    numerator, denominator or complement is a suppressed count. The four outcomes
    partition each group's demands: they are protected together (:func:`_partition_hidden`:
    zero as « < 5 », complementary « n.p. ») so that none is the total minus the others.

    With the census ``plan`` (:func:`saturation_plan`: every census table protected together), each count
    is printed as the plan decides and a share with its interval only when its count and denominator are
    printed; otherwise the cell says why (« non publié (effectif < 5) » or « non publié (n.p.) »).
    """
    short = wave_short_labels(ref_dir)
    if plan is not None:
        rows = []
        for r in table.itertuples(index=False):
            lv = None if group == "wave" else getattr(r, group)
            g = _row_group(r.wave, group, lv)
            row = {"Vague": short.get(r.wave, r.wave)}
            if group != "wave":
                row["Groupe"] = (group_labels or {}).get(lv, lv)
            kc, nc = _cell_of(r.indicator, "k"), _cell_of(r.indicator, "n")
            row |= {"Indicateur": INDICATORS_FR[r.indicator], "Effectif": plan.text(g, kc, r.k, threshold),
                    "Dénominateur": plan.text(g, nc, r.n, threshold),
                    "% (IC 95 %)": fmt_share_ci(r.pct, r.ci_low, r.ci_high)
                    if plan.share_shown(g, r.indicator) and r.n > 0 else plan.why(g, kc, nc)}
            rows.append(row)
        return pd.DataFrame(rows)
    keys = ["wave"] if group == "wave" else ["wave", group]
    status: dict[tuple, str] = {}
    for key, g in table[table["indicator"].isin(OUTCOME_INDICATORS)].groupby(keys, observed=True, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        g = g.set_index("indicator").reindex(list(OUTCOME_INDICATORS))
        if g["k"].isna().any():
            continue
        counts = [int(v) for v in g["k"]]
        primary, secondary = _partition_hidden(counts, int(g["n"].iloc[0]), threshold)
        for ind, p, s in zip(OUTCOME_INDICATORS, primary, secondary, strict=True):
            if p or s:
                status[(*key, ind)] = hidden_text(threshold) if p else SECONDARY
    rows = []
    for r in table.itertuples(index=False):
        row = {"Vague": short.get(r.wave, r.wave)}
        if group != "wave":
            lv = getattr(r, group)
            row["Groupe"] = (group_labels or {}).get(lv, lv)
        withheld = status.get((*(getattr(r, c) for c in keys), r.indicator))
        if withheld:
            row |= {"Indicateur": INDICATORS_FR[r.indicator], "Effectif": withheld,
                    "Dénominateur": publish_count(r.n, threshold), "% (IC 95 %)": "–"}
        else:
            row |= {"Indicateur": INDICATORS_FR[r.indicator], "Effectif": publish_count(r.k, threshold),
                    "Dénominateur": publish_count(r.n, threshold), "% (IC 95 %)": _pct_ci(r, threshold)}
        rows.append(row)
    return pd.DataFrame(rows)


def display_model(res: ModelResult, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Odds ratios of the model, formatted in French (no person counts)."""
    t = model_table(res, ref_dir)
    return pd.DataFrame({
        "Variable": t["label_fr"],
        "Référence": t["reference_fr"].replace("", "–"),
        "Rapport de cotes": t["odds_ratio"].map(lambda v: fmt_number(v, 2)),
        "IC 95 %": [fmt_interval(a, b, 2) for a, b in zip(t["ci_low"], t["ci_high"], strict=True)],
        "p": t["p_value"].map(lambda v: "< 0,001" if v < 0.001 else fmt_number(v, 3)),
    })


def display_medians(medians: pd.DataFrame, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                    ref_dir: Path = REFERENCE_DIR, plan: SaturationPlan | None = None) -> pd.DataFrame:
    """Median waits per wave and public (groups below the threshold blanked).

    With the census ``plan``: demands and observed appointments as the plan prints them; the share still
    waiting, the median and its interval only when both are printed (else why they are withheld)."""
    short = wave_short_labels(ref_dir)
    pub = reference.labels("publics", ref_dir)
    rows = []
    for r in medians.itertuples(index=False):
        if plan is not None:
            public = getattr(r, "public", None) if "public" in medians else None
            g = _row_group(r.wave, "public", public)
            shown = plan.published(g, "wait_n", "wait_events")
            why = plan.why(g, "wait_n", "wait_events")
            rows.append({
                "Vague": short.get(r.wave, r.wave),
                "Public": pub.get(public, "Tous publics") if public is not None else "Tous publics",
                "Demandes": plan.text(g, "wait_n", r.n, threshold),
                "Premier rendez-vous observé": plan.text(g, "wait_events", r.events, threshold),
                "Sans rendez-vous à la fin de la vague (censurées)": fmt_pct(r.censored_pct, 0) if shown else why,
                "Délai médian (jours)": why if not shown else "non atteint" if math.isnan(r.median_days)
                else fmt_int(r.median_days),
                "IC 95 %": why if not shown else "–" if math.isnan(r.ci_low)
                else f"{fmt_int(r.ci_low)} à {NOT_ESTIMABLE_FR}" if math.isnan(r.ci_high)
                else f"{fmt_int(r.ci_low)}–{fmt_int(r.ci_high)}",
            })
            continue
        small = is_suppressed(r.n, threshold)
        # the censored count is Demandes − events: both published would give it back when it is small
        censored_ok = share_publishable(r.n - r.events, r.n, threshold)
        rows.append({
            "Vague": short.get(r.wave, r.wave),
            "Public": pub.get(getattr(r, "public", ""), "Tous publics") if "public" in medians else "Tous publics",
            "Demandes": publish_count(r.n, threshold),
            "Premier rendez-vous observé": publish_count(r.events, threshold)
            if small or is_suppressed(r.events, threshold) or censored_ok else SECONDARY,
            "Sans rendez-vous à la fin de la vague (censurées)": "–" if small
            else fmt_pct(r.censored_pct, 0) if censored_ok else withheld_share_fr(threshold),
            "Délai médian (jours)": "–" if small else "non atteint" if math.isnan(r.median_days)
            else fmt_int(r.median_days),
            "IC 95 %": "–" if small or math.isnan(r.ci_low)
            else f"{fmt_int(r.ci_low)} à {NOT_ESTIMABLE_FR}" if math.isnan(r.ci_high)
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


def outcome_shares_hidden(by_wave: pd.DataFrame, waves: list[str],
                          threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> pd.DataFrame:
    """Which outcome shares of each wave are withheld (rows: waves, columns: :data:`OUTCOME_INDICATORS`).

    The four outcomes partition the wave's demands, whose number is published: a share is withheld
    when its count, complement or denominator is small (:func:`share_publishable`), plus the
    complementary shares :func:`analysis.publish.disclosure.protect_line` chooses so that no withheld
    count can be recovered as the total minus the published ones (LP audit, total fixed). As in
    :mod:`analysis.publish.sdc`, a zero is a primary cell here (« < 5 » means 0 to 4: were zeros shown,
    a reader would know every hidden outcome is at least 1).
    """
    k = by_wave.pivot(index="wave", columns="indicator", values="k").reindex(waves)
    n = by_wave.pivot(index="wave", columns="indicator", values="n").reindex(waves)
    out = pd.DataFrame(False, index=waves, columns=list(OUTCOME_INDICATORS))
    for w in waves:
        counts = [int(k.loc[w, key]) for key in OUTCOME_INDICATORS]
        primary, secondary = _partition_hidden(counts, int(n.loc[w, OUTCOME_INDICATORS[0]]), threshold)
        out.loc[w] = primary | secondary
    return out


def _partition_hidden(counts: list[int], total: int, threshold: int) -> tuple[np.ndarray, np.ndarray]:
    """Primary and complementary withheld cells of a partition of a published total
    (see :func:`outcome_shares_hidden`)."""
    primary, secondary = protect_line(counts, threshold)
    for i, c in enumerate(counts):
        if not (primary[i] or secondary[i] or share_publishable(c, total, threshold)):
            secondary[i] = True  # its complement is small (hiding one more cell only widens the ranges)
    return primary, secondary


def plot_outcomes(by_wave: pd.DataFrame, ref_dir: Path = REFERENCE_DIR,
                  threshold: int = DEFAULT_DISCLOSURE_THRESHOLD, plan: SaturationPlan | None = None):
    """Stacked horizontal bars: outcome shares per wave. Returns ``(fig, alt)``.

    Drawn from published values only: a wave with a withheld share (:func:`outcome_shares_hidden`) is drawn
    as a hatched placeholder of no data length (in a stacked bar, the other segments' positions would
    give the withheld one back); its labels and alt text say « non publié (moins de 5) » for that share.
    With the census ``plan``, a share is withheld when the plan hides its count or the wave's demands.
    """
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, fr_formatter, hidden_bar

    short = wave_short_labels(ref_dir)
    labels = {OUTCOME_KEYS[c]: lab for c, lab in reference.labels("census_outcomes", ref_dir).items()}
    waves = [w for w in reference.codes("census_waves", ref_dir) if w in set(by_wave["wave"])]
    if not waves:
        return no_data_figure("Aucune demande du recensement dans les données.")
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.8 * len(waves)))
    from analysis.publish.figures import as_printed

    # the shares as the wave table prints them (one decimal)
    pct = by_wave.pivot(index="wave", columns="indicator", values="pct").reindex(waves).apply(as_printed, decimals=1)
    if plan is None:
        hidden = outcome_shares_hidden(by_wave, waves, threshold)
    else:
        hidden = pd.DataFrame([[not plan.share_shown(w, key) for key in OUTCOME_INDICATORS] for w in waves],
                              index=waves, columns=list(OUTCOME_INDICATORS))
    drawn = ~hidden.any(axis=1).to_numpy()
    withheld = withheld_share_fr(threshold)
    left = np.zeros(len(waves))
    alt_parts = []
    for i, key in enumerate(OUTCOME_INDICATORS):
        vals = np.where(drawn, pct[key].to_numpy(dtype=float), 0.0)
        ax.barh([short[w] for w in waves], vals, left=left, color=OKABE_ITO[i], label=labels[key])
        for y, (x0, v) in enumerate(zip(left, vals, strict=True)):
            if drawn[y] and v >= 6:
                ax.text(x0 + v / 2, y, fmt_pct(v, 0), ha="center", va="center", fontsize=9,
                        color="white" if i in (0, 2) else "black")
        left += vals
        alt_parts.append(f"{labels[key].lower()} " + " puis ".join(
            (withheld if plan is None else plan.share_why(w, key)) if hidden.loc[w, key] else fmt_pct(v, 0)
            for w, v in zip(waves, pct[key], strict=True)))
    for y in range(len(waves)):
        if not drawn[y]:
            hidden_bar(ax, y, "répartition non publiée (une part repose sur moins de "
                       f"{threshold} demandes" + (")" if plan is None else " ou sur un effectif masqué)"),
                       horizontal=True)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(fr_formatter(0, f"{NBSP}%"))
    ax.set_xlabel("Part des nouvelles demandes")
    ax.legend(ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(waves) < 3 else -0.2), frameon=False)
    alt = ("Barres empilées de l'issue des nouvelles demandes par vague du recensement ("
           + ", ".join(short[w] for w in waves) + ") : " + " ; ".join(alt_parts) + ".")
    return fig, alt


def plot_group_indicator(table: pd.DataFrame, group: str, indicator: str, group_labels: dict[str, str],
                         threshold: int = DEFAULT_DISCLOSURE_THRESHOLD, ref_dir: Path = REFERENCE_DIR,
                         plan: SaturationPlan | None = None):
    """Dot-and-whisker chart of one indicator per group and wave (95 % intervals).

    Groups whose share is not publishable (:func:`share_publishable`: fewer than ``threshold`` demands, or
    a count or complement below it; with the census ``plan``: its count or denominator hidden by the plan)
    are not drawn. Returns ``(fig, alt)``.
    """
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, fr_formatter

    short = wave_short_labels(ref_dir)
    t = table[table["indicator"] == indicator]
    if plan is None:
        keep = [share_publishable(k, n, threshold) for k, n in zip(t["k"], t["n"], strict=True)]
    else:
        keep = [plan.share_shown(_row_group(w, group, lv), indicator)
                for w, lv in zip(t["wave"], t[group], strict=True)]
    t = t[np.array(keep, dtype=bool)]
    from analysis.publish.figures import as_printed

    t = t.assign(**{c: as_printed(t[c], 1) for c in ("pct", "ci_low", "ci_high")})  # as the table prints them
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
                    xerr=[(sub["pct"] - sub["ci_low"])[ok].clip(lower=0), (sub["ci_high"] - sub["pct"])[ok].clip(lower=0)],
                    fmt="o", color=OKABE_ITO[j], capsize=3, label=short[w])
        alt_parts.append(short[w] + " : " + ", ".join(
            f"{group_labels[g].lower()} {fmt_pct(v, 0)}" for g, v in sub["pct"].items() if not pd.isna(v)))
    ax.set_yticks(range(len(order)), [group_labels[g] for g in order])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(fr_formatter(0, f"{NBSP}%"))
    drawn = bool(np.isfinite(t["ci_low"].to_numpy(dtype=float)).any())  # none below MIN_CLUSTERS
    ax.set_xlabel(INDICATORS_FR[indicator] + (" (IC 95 %)" if drawn else ""))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, loc="lower right")
    alt = (f"Points et intervalles à 95 % de la part « {INDICATORS_FR[indicator].lower()} » par groupe. " if drawn
           else f"Points de la part « {INDICATORS_FR[indicator].lower()} » par groupe, sans intervalle. ") \
        + (" ; ".join(alt_parts) + "." if alt_parts else "Aucun groupe n'a assez de demandes publiées pour être "
           "représenté.")
    return fig, alt


def plot_forest(res: ModelResult, ref_dir: Path = REFERENCE_DIR):
    """Forest plot of the model's odds ratios (log scale). Returns ``(fig, alt)``."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    from analysis.publish.figures import OKABE_ITO, as_printed, error_extents

    t = model_table(res, ref_dir).reset_index(drop=True)
    t = t.assign(**{c: as_printed(t[c], 2) for c in ("odds_ratio", "ci_low", "ci_high")})  # as printed
    fig, ax = plt.subplots(figsize=(7.5, 0.8 + 0.42 * len(t)))
    ys = np.arange(len(t))
    ax.errorbar(t["odds_ratio"], ys, xerr=error_extents(t["odds_ratio"], t["ci_low"], t["ci_high"]),
                fmt="s", color=OKABE_ITO[0], capsize=3)
    ax.axvline(1, color="grey", lw=1, ls="--")
    ax.set_xscale("log")
    # a bound can be 0, infinite or missing when an interval is not computable: the axis spans finite ones
    bounds = pd.concat([t["ci_low"], t["ci_high"], t["odds_ratio"]]).astype(float)
    bounds = bounds[np.isfinite(bounds) & (bounds > 0)]
    lo = min(float(bounds.min()) if len(bounds) else 1.0, 1.0) / 1.15
    hi = max(float(bounds.max()) if len(bounds) else 1.0, 1.0) * 1.15
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


def published_survival(curve: pd.DataFrame, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> pd.DataFrame:
    """The part of one Kaplan–Meier curve a reader sees, coarsened so that no step counts fewer than
    ``threshold`` demands. Columns ``time``, ``survival_pct``; the first row is day 0 at 100 %.

    A step's height is a ratio of counts: with one first appointment among 16 demands still waiting,
    the curve falls by 1/16 and a reader with a ruler finds both (the review of 2026-12-05 did). So the
    curve falls only once at least ``threshold`` first appointments have accumulated since its last
    step, and only where the demands that left it without an appointment since then (censored) are
    none or at least ``threshold`` (a handful leaving between two steps would show as a change of the
    risk set); it keeps the exact Kaplan–Meier value at that time. It stops before fewer than
    ``threshold`` demands are still waiting, and before its last steps while the appointments or the
    censored demands left after them (the group's totals are printed) would be 1 to ``threshold − 1``. Survival in percent at the printed precision (one decimal),
    times in whole days (a wait is counted in days from the demand's date)."""
    times, levels, used = [0], [100.0], [(0, 0)]  # used: events and censored accounted for up to each step
    events = censored = 0
    total_events, total_censored = int(curve["events"].sum()), int(curve["censored"].sum())
    done_e = done_c = 0
    for r in curve.sort_values("time").itertuples(index=False):
        if r.time <= 0 and r.events == 0:
            continue
        if r.at_risk < threshold:
            break
        events += int(r.events)
        if events >= threshold and (censored == 0 or censored >= threshold):
            done_e, done_c = done_e + events, done_c + censored
            times.append(int(round(float(r.time))))
            levels.append(round(100 * float(r.survival), 1))
            used.append((done_e, done_c))
            events = censored = 0
        censored += int(r.censored)  # censored at a time stay at risk at that time (events first)

    def small(n: int) -> bool:
        return 0 < n < threshold

    # the group's appointments and censored demands are printed: what is left after the last step is too
    while len(times) > 1 and (small(total_events - used[-1][0]) or small(total_censored - used[-1][1])):
        times.pop(), levels.pop(), used.pop()
    return pd.DataFrame({"time": np.array(times, dtype=int), "survival_pct": np.array(levels, dtype=float)})


def published_median(shown: pd.DataFrame) -> float:
    """The median read on a published curve (:func:`published_survival`): the first step at or below
    50 %, NaN when the published part does not reach it."""
    hit = shown[shown["survival_pct"] <= 50.0]
    return float(hit["time"].iloc[0]) if len(hit) else math.nan


def plot_survival(curves: pd.DataFrame, waits: pd.DataFrame, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                  ref_dir: Path = REFERENCE_DIR, plan: SaturationPlan | None = None):
    """Kaplan–Meier curves of the wait for a first appointment, one panel per wave, a line per public.

    Publics with fewer demands than ``threshold`` in a wave are not drawn (with the census ``plan``: those
    whose demands or observed appointments the plan hides).
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
            if sizes.get((w, code), 0) < threshold or (
                    plan is not None and not plan.published(group_key(w, "public", code), "wait_n", "wait_events")):
                continue
            c = curves[(curves["wave"] == w) & (curves["public"] == code)]
            shown = published_survival(c, threshold)
            if len(shown) < 2:  # no step of at least the threshold: nothing to draw
                alt_parts.append(f"{short[w]}, {pub[code].lower()} : pas de palier d'au moins {threshold} "
                                 "premiers rendez-vous, courbe non tracée")
                continue
            ax.step(shown["time"], shown["survival_pct"], where="post", color=OKABE_ITO[i], label=pub[code])
            med = published_median(shown)  # what the drawn curve shows, never the exact curve's median
            alt_parts.append(f"{short[w]}, {pub[code].lower()} : "
                             + (f"la courbe tracée ne descend pas sous 50{NBSP}%" if math.isnan(med)
                                else f"la courbe tracée passe sous 50{NBSP}% au jour {fmt_int(med)}"))
        ax.set_title(short[w], fontsize=10)
        ax.set_xlabel("Jours depuis la demande")
        ax.set_ylim(0, 102)
        ax.axhline(50, color="grey", lw=0.8, ls=":")
        ax.yaxis.set_major_formatter(fr_formatter(0, f"{NBSP}%"))
    axes[0][0].set_ylabel("Sans premier rendez-vous")
    if axes[0][-1].get_legend_handles_labels()[0]:
        axes[0][-1].legend(frameon=False, fontsize=8)
    alt = ("Courbes de Kaplan–Meier de la part des demandes (suivi proposé ou liste d'attente) encore sans "
           "premier rendez-vous selon le nombre de jours écoulés, par vague et par public ; chaque courbe "
           f"ne descend que par paliers d'au moins {threshold} premiers rendez-vous et s'arrête à son dernier "
           f"palier publiable, au plus tard quand moins de {threshold} demandes restent en attente. "
           + (" ; ".join(alt_parts) + "." if alt_parts else "Aucun public n'a assez de demandes publiées pour une "
              "courbe."))
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


def save_outputs(res: SaturationResults, figures_dir: Path, tables_dir: Path,
                 threshold: int = DEFAULT_DISCLOSURE_THRESHOLD, is_example: bool = False,
                 ref_dir: Path = REFERENCE_DIR, plan: SaturationPlan | None = None) -> dict[str, list[str]]:
    """Save every saturation figure (SVG, PDF, alt text) and table (CSV exact, Markdown published).

    Every count, share, median and comparison shown reads the census ``plan`` (:func:`saturation_plan`,
    computed here when not given), so that a cell hidden in one table is hidden in all of them.
    Returns the names written, ``{"figures": [...], "tables": [...]}``.
    """
    from analysis.publish.disclosure import caption_note
    from analysis.publish.figures import save_figure

    if plan is None and res.waves:
        plan = saturation_plan(res, threshold)
    note = EXAMPLE_NOTE if is_example else ""
    src = " Source : recensement des nouvelles demandes des SSM (LBSM)."
    rule = " " + caption_note(threshold) + " Part non publiée quand son effectif ou son dénominateur est masqué."
    pub = reference.labels("publics", ref_dir)
    fol = reference.labels("followups", ref_dir)
    figures: list[tuple[str, Any, str, str]] = []

    def ci(table: pd.DataFrame) -> str:  # the caption's words on the intervals of the groups with demands
        return clustered_ci_fr(table.loc[table["n"] > 0, "ci_low"])

    fig, alt = plot_outcomes(res.by_wave, ref_dir, threshold, plan)
    figures.append(("saturation-issues", fig, alt, "Issue des nouvelles demandes adressées aux SSM, par vague du "
                    "recensement." + src + note))
    if not res.waves:
        save_figure(fig, "saturation-issues", figures_dir, alt, figures[0][3])
        empty = pd.DataFrame({"Indicateur": ["Aucune demande du recensement dans les données."]})
        write_table(res.by_wave, empty, "saturation-vagues", tables_dir, "Indicateurs de saturation." + note)
        return {"figures": ["saturation-issues"], "tables": ["saturation-vagues"]}
    fig, alt = plot_group_indicator(res.by_public, "public", "constrained", pub, threshold, ref_dir, plan)
    figures.append(("saturation-publics", fig, alt,
                    f"Part des demandes réorientées faute de disponibilité, par public et par vague ({ci(res.by_public)})."
                    f" Groupes dont la part repose sur moins de {threshold} demandes ou sur un effectif masqué non "
                    "représentés." + src + note))
    fig, alt = plot_group_indicator(res.by_followup, "followup_requested", "constrained", fol, threshold, ref_dir,
                                    plan)
    figures.append(("saturation-suivis", fig, alt,
                    "Part des demandes réorientées faute de disponibilité, par type de suivi demandé et par vague "
                    f"({ci(res.by_followup)}). Groupes dont la part repose sur moins de {threshold} demandes ou sur un "
                    "effectif masqué non représentés." + src + note))
    model_ok = res.model is not None and model_groups_publishable(res.model, threshold)
    # always drawn, so that a rerun never leaves an earlier run's figure in its place
    fig, alt = (plot_forest(res.model, ref_dir) if model_ok
                else no_data_figure(model_withheld_fr(threshold) if res.model is not None else model_missing_fr(res)))
    figures.append(("saturation-forest", fig, alt,
                    "Rapports de cotes d'une réorientation faute de disponibilité (modèle logistique, IC 95 % "
                    "tenant compte du regroupement par service, correction CR2 pour petit nombre de services). Revenu : revenu moyen par déclaration fiscale de la "
                    "commune de résidence, faute de revenu médian publié pour chaque commune ; demandes hors "
                    "Bruxelles ou sans commune exclues." + src + note if res.model is not None else
                    "Rapports de cotes d'une réorientation faute de disponibilité : modèle logistique non estimé "
                    "(voir le texte)." + src + note))
    if not res.curves.empty:
        fig, alt = plot_survival(res.curves, res.waits, threshold, ref_dir, plan)
        figures.append(("saturation-survie", fig, alt,
                        "Délai entre la demande et le premier rendez-vous (Kaplan–Meier), demandes avec suivi "
                        "proposé ou mises sur liste d'attente ; sans rendez-vous à la fin de la vague : durée "
                        f"censurée au dernier jour de la vague. Publics de moins de {threshold} demandes, ou dont "
                        f"l'effectif est masqué, non représentés ; chaque courbe ne descend que par paliers "
                        f"d'au moins {threshold} premiers rendez-vous (et seulement là où, depuis le palier "
                        f"précédent, aucune demande ou au moins {threshold} demandes ont quitté la courbe sans "
                        f"rendez-vous) et s'arrête à son dernier palier publiable, au plus tard quand moins de {threshold} "
                        "demandes restent en attente." + src + note))
    for name, fig, alt, caption in figures:
        save_figure(fig, name, figures_dir, alt, caption)

    tables = [
        ("saturation-vagues", res.by_wave, display_indicators(res.by_wave, "wave", threshold, ref_dir, plan=plan),
         f"Indicateurs de saturation par vague ({ci(res.by_wave)})." + rule + src + note),
        ("saturation-publics", res.by_public,
         display_indicators(res.by_public, "public", threshold, ref_dir, pub, plan),
         f"Indicateurs de saturation par public et par vague ({ci(res.by_public)})." + rule + src + note),
        ("saturation-suivis", res.by_followup,
         display_indicators(res.by_followup, "followup_requested", threshold, ref_dir, fol, plan),
         f"Indicateurs de saturation par suivi demandé et par vague ({ci(res.by_followup)})." + rule + src + note),
        ("saturation-delais", pd.concat([res.medians_by_wave, res.medians_by_public], ignore_index=True),
         pd.concat([display_medians(res.medians_by_wave, threshold, ref_dir, plan),
                    display_medians(res.medians_by_public, threshold, ref_dir, plan)], ignore_index=True),
         "Délai médian jusqu'au premier rendez-vous (Kaplan–Meier, IC 95 % de Brookmeyer–Crowley ; durées "
         "censurées à la fin de la vague ; borne « non estimable » quand trop de demandes restent sans "
         "rendez-vous pour la fixer)." + rule + src + note),
    ]
    if res.model is not None:
        shown = display_model(res.model, ref_dir) if model_ok else pd.DataFrame(
            {"Variable": ["Toutes"], "Rapport de cotes": [model_withheld_fr(threshold)]})
        tables.append(("saturation-modele", model_table(res.model, ref_dir), shown,
                       "Modèle logistique de la réorientation faute de disponibilité : rapports de cotes "
                       f"(IC 95 % tenant compte du regroupement par service, correction CR2 de Bell et McCaffrey), "
                       f"{fmt_int(res.model.n)} demandes." + src + note))
    if res.clustered:
        short = wave_short_labels(ref_dir)
        what = {"accepted": "Suivi proposé", "constrained": "Réorientation faute de disponibilité"}
        exact = pd.DataFrame([c.__dict__ for c in res.clustered.values()])
        rows = []
        for c in res.clustered.values():
            shown = _compare_shown(c, threshold, plan)
            if not all(shown):
                withheld = ("non publié (une des deux parts est masquée)" if plan is not None
                            else withheld_share_fr(threshold))
                rows.append({
                    "Indicateur": what.get(c.indicator, c.indicator),
                    "Services": (f"les {fmt_int(c.services_common)} présents aux deux vagues" if c.scope == "paired"
                                 else f"tous ({fmt_int(c.services_from)} puis {fmt_int(c.services_to)})"),
                    f"{short.get(c.wave_from, c.wave_from)} → {short.get(c.wave_to, c.wave_to)}":
                        f"{_compare_text(c, 'from', threshold, plan)} → {_compare_text(c, 'to', threshold, plan)}",
                    "Différence (points, IC 95 %)": withheld, "p (CR2)": withheld, "p (bootstrap)": withheld,
                })
                continue
            rows.append({
                "Indicateur": what.get(c.indicator, c.indicator),
                "Services": (f"les {fmt_int(c.services_common)} présents aux deux vagues" if c.scope == "paired"
                             else f"tous ({fmt_int(c.services_from)} puis {fmt_int(c.services_to)})"),
                f"{short.get(c.wave_from, c.wave_from)} → {short.get(c.wave_to, c.wave_to)}":
                    f"{fmt_pct(c.pct_from)} → {fmt_pct(c.pct_to)}",
                "Différence (points, IC 95 %)": f"{fmt_signed(c.diff_pts, 1)}" + (
                    "" if math.isnan(c.diff_low) else f" ({fmt_interval(c.diff_low, c.diff_high, 1)})"),
                "p (CR2)": "–" if math.isnan(c.p_value) else "< 0,001" if c.p_value < 0.001 else fmt_number(c.p_value, 3),
                "p (bootstrap)": "–" if math.isnan(c.p_boot) else "< 0,001" if c.p_boot < 0.001
                else fmt_number(c.p_boot, 3),
            })
        tables.append(("saturation-comparaison", exact, pd.DataFrame(rows),
                       "Comparaison des vagues, à indicateur identique, en tenant compte du regroupement des demandes "
                       "par service : différence de parts (modèle linéaire de probabilité), IC 95 % et p de la "
                       "variance CR2 avec degrés de liberté de Bell et McCaffrey, p du bootstrap sauvage par "
                       "service (poids de Webb) ; seconde ligne de chaque indicateur : seulement les services "
                       "présents aux deux vagues ; sans intervalle ni p (« – ») pour "
                       f"{few_services_fr()}." + src + note))
    for name, exact, disp, caption in tables:
        write_table(exact, disp, name, tables_dir, caption)
    return {"figures": [f[0] for f in figures], "tables": [t[0] for t in tables]}


# ---------------------------------------------------------------- linked protection of the census tables

#: Printed cell of each (indicator, ``k``|``n``) of the indicator tables.
_CELL_OF = {("accepted", "k"): "accepted", ("waiting", "k"): "waiting", ("reoriented", "k"): "reoriented",
            ("no_followup", "k"): "no_followup", ("constrained", "k"): "constrained",
            ("constrained_of_reoriented", "k"): "constrained", ("constrained_of_reoriented", "n"): "reoriented",
            ("full_destination", "k"): "full", ("full_destination", "n"): "full_known",
            ("first_line", "k"): "first_line", ("first_line", "n"): "first_line_known"}
#: Printed measures of a group, and the nested relations between them: ``parent = children + rest``
#: (the rest is printed nowhere: an unprinted cell of :mod:`analysis.publish.sdc`).
_MEASURES = ("n", "accepted", "waiting", "reoriented", "no_followup", "constrained", "full_known", "full",
             "first_line_known", "first_line")
_NESTED = (("n", ("accepted", "waiting", "reoriented", "no_followup"), "outcome_other"),
           ("reoriented", ("constrained",), "reoriented_other"),
           ("constrained", ("full_known",), "full_unknown"),
           ("full_known", ("full",), "full_no"),
           ("n", ("first_line_known",), "requester_unknown"),
           ("first_line_known", ("first_line",), "first_line_no"))
_WAIT = ("wait_n", "wait_events", "wait_censored")


def _cell_of(indicator: str, part: str) -> str:
    return _CELL_OF.get((indicator, part), "n")


@dataclass
class SaturationPlan:
    """The census tables protected together (:func:`saturation_plan`)."""

    protection: Protection

    def reason(self, group: str, measure: str) -> str | None:
        cell = f"sat.{group}.{measure}"
        p = self.protection
        if cell in p.unprinted:
            return None
        if cell in p.primary:
            return "primary"
        if cell in p.secondary or cell in p.withdrawn:
            return "secondary"
        return None

    def hidden(self, group: str, measure: str) -> bool:
        return self.reason(group, measure) is not None

    def text(self, group: str, measure: str, value, threshold: int) -> str:
        why = self.reason(group, measure)
        return hidden_text(threshold) if why == "primary" else SECONDARY if why else fmt_int(value)

    def share_shown(self, group: str, indicator: str) -> bool:
        """A share follows its counts: shown when its count and denominator are printed."""
        return not (self.hidden(group, _cell_of(indicator, "k")) or self.hidden(group, _cell_of(indicator, "n")))

    def published(self, group: str, *measures: str) -> bool:
        """Every one of these counts of the group is printed (a value resting on them may be shown)."""
        return not any(self.hidden(group, m) for m in measures)

    def why(self, group: str, *measures: str) -> str:
        """Why a value resting on these counts is withheld (table cell and sentence text)."""
        if any(self.reason(group, m) == "primary" for m in measures):
            return f"non publié (effectif{NBSP}<{NBSP}{self.protection.threshold})"
        return "non publié (n.p.)"

    def share_why(self, group: str, indicator: str) -> str:
        return self.why(group, _cell_of(indicator, "k"), _cell_of(indicator, "n"))


def group_key(wave: str, by: str | None = None, level: str | None = None) -> str:
    """``2020_11``, ``2020_11|public|adultes``, ``2020_11|followup|~`` (``~``: level not given)."""
    return wave if by is None else f"{wave}|{by}|{level}"


#: Breakdown name in the plan's group keys of each indicator table's group column.
_BY = {"public": "public", "followup_requested": "followup", "followup": "followup"}


def _row_group(wave: str, group: str, level=None) -> str:
    """The plan's group of a row of an indicator (or waits) table grouped by ``group``."""
    return wave if group == "wave" or level is None else group_key(wave, _BY[group], str(level))


def _compare_group(c, side: str) -> str:
    """The plan's group of one side of a wave comparison (all services: the wave; else its paired part)."""
    wave = getattr(c, f"wave_{side}")
    return wave if getattr(c, "scope", "all") == "all" else f"{wave}|paired"


def _compare_shown(c, threshold: int, plan: SaturationPlan | None) -> tuple[bool, bool]:
    """Whether each side's share of a comparison may be printed."""
    if plan is None:
        return (share_publishable(c.k_from, c.n_from, threshold), share_publishable(c.k_to, c.n_to, threshold))
    ind = getattr(c, "indicator", "accepted")
    return tuple(plan.published(_compare_group(c, side), ind, "n") for side in ("from", "to"))


def _compare_text(c, side: str, threshold: int, plan: SaturationPlan | None) -> str:
    """One side's share of a comparison, or why it is withheld."""
    pct, k, n = getattr(c, f"pct_{side}"), getattr(c, f"k_{side}"), getattr(c, f"n_{side}")
    if plan is None:
        return _share_or_withheld(pct, k, n, threshold)
    g = _compare_group(c, side)
    return fmt_pct(pct) if plan.published(g, c.indicator, "n") else plan.why(g, c.indicator, "n")


def saturation_cells(res: SaturationResults) -> tuple[dict[str, int], list[Relation], set[str], set[str]]:
    """Cells, relations, unprinted and fixed cells of every census count table of the chapter.

    Groups: each wave, each wave × public, each wave × requested follow-up, plus for each breakdown a
    group of the demands whose level is not given (printed nowhere), and — with two waves — the
    demands of the services present in both waves (the paired comparison) and the others. Relations:
    the nested ones of :data:`_NESTED` in every group; every printed measure of a wave is the sum of
    that measure over the levels of each breakdown; the waits' table (demands, observed appointments,
    share still waiting) per wave and public, its demands being the accepted and waiting ones except
    those dated impossibly (printed nowhere).
    """
    values: dict[str, int] = {}
    rels: list[Relation] = []
    unprinted: set[str] = set()

    def measures_of(rows: pd.DataFrame) -> dict[str, int]:
        m = {}
        for r in rows.itertuples(index=False):
            m[_cell_of(r.indicator, "k")] = int(r.k)
            m[_cell_of(r.indicator, "n")] = int(r.n)
        return m

    def add_group(g: str, m: dict[str, int], printed: bool) -> None:
        for key in _MEASURES:
            values[f"sat.{g}.{key}"] = int(m.get(key, 0))
            if not printed:
                unprinted.add(f"sat.{g}.{key}")
        for parent, children, rest in _NESTED:
            v = values[f"sat.{g}.{parent}"] - sum(values[f"sat.{g}.{c}"] for c in children)
            values[f"sat.{g}.{rest}"] = v
            unprinted.add(f"sat.{g}.{rest}")
            rels.append(Relation(f"sat.{g}.{parent}", tuple(f"sat.{g}.{c}" for c in (*children, rest))))
        # the persons without each outcome (demands − outcome: « not accepted »…) are a count too,
        # printed nowhere but given by a printed share and its denominator
        for outcome in _NESTED[0][1]:
            values[f"sat.{g}.not_{outcome}"] = values[f"sat.{g}.n"] - values[f"sat.{g}.{outcome}"]
            unprinted.add(f"sat.{g}.not_{outcome}")
            rels.append(Relation(f"sat.{g}.n", (f"sat.{g}.{outcome}", f"sat.{g}.not_{outcome}")))

    def add_wait(g: str, n: int, events: int, printed: bool) -> None:
        cells = dict(zip(_WAIT, (n, events, n - events), strict=True))
        for key, v in cells.items():
            values[f"sat.{g}.{key}"] = int(v)
            if not printed:
                unprinted.add(f"sat.{g}.{key}")
        rels.append(Relation(f"sat.{g}.wait_n", (f"sat.{g}.wait_events", f"sat.{g}.wait_censored")))
        offered = values[f"sat.{g}.accepted"] + values[f"sat.{g}.waiting"]
        values[f"sat.{g}.offered"] = offered
        values[f"sat.{g}.wait_excluded"] = offered - int(n)
        unprinted.update({f"sat.{g}.offered", f"sat.{g}.wait_excluded"})
        rels.append(Relation(f"sat.{g}.offered", (f"sat.{g}.accepted", f"sat.{g}.waiting")))
        rels.append(Relation(f"sat.{g}.offered", (f"sat.{g}.wait_n", f"sat.{g}.wait_excluded")))

    def cross(total: str, parts: list[str], keys) -> None:
        for key in keys:
            rels.append(Relation(f"sat.{total}.{key}", tuple(f"sat.{p}.{key}" for p in parts)))

    waits_w = res.medians_by_wave.set_index("wave") if len(res.medians_by_wave) else pd.DataFrame()
    waits_p = res.medians_by_public.set_index(["wave", "public"]) if len(res.medians_by_public) else pd.DataFrame()
    for w in res.waves:
        mw = measures_of(res.by_wave[res.by_wave["wave"] == w])
        add_group(w, mw, True)
        n_w = int(waits_w.loc[w, "n"]) if w in waits_w.index else 0
        e_w = int(waits_w.loc[w, "events"]) if w in waits_w.index else 0
        add_wait(w, n_w, e_w, w in waits_w.index)
        for by, table, col in (("public", res.by_public, "public"), ("followup", res.by_followup,
                                                                     "followup_requested")):
            sub = table[table["wave"] == w]
            levels = sorted(str(v) for v in sub[col].dropna().unique())
            groups = []
            for lv in levels:
                g = group_key(w, by, lv)
                add_group(g, measures_of(sub[sub[col].astype(str) == lv]), True)
                groups.append(g)
            rest = group_key(w, by, "~")
            add_group(rest, {k: values[f"sat.{w}.{k}"] - sum(values[f"sat.{g}.{k}"] for g in groups)
                             for k in _MEASURES}, False)
            groups.append(rest)
            cross(w, groups, _MEASURES)
            if by == "public":
                for g, lv in zip(groups[:-1], levels, strict=True):
                    shown = (w, lv) in waits_p.index
                    add_wait(g, int(waits_p.loc[(w, lv), "n"]) if shown else 0,
                             int(waits_p.loc[(w, lv), "events"]) if shown else 0, shown)
                add_wait(rest, n_w - sum(values[f"sat.{g}.wait_n"] for g in groups[:-1]),
                         e_w - sum(values[f"sat.{g}.wait_events"] for g in groups[:-1]), False)
                cross(w, groups, _WAIT)
    # the comparison restricted to the services present in both waves (its shares are printed)
    pa, pc = res.clustered.get("accepted_paired"), res.clustered.get("constrained_paired")
    if pa is not None and pc is not None:
        for side, wave in (("from", pa.wave_from), ("to", pa.wave_to)):
            g, o = f"{wave}|paired", f"{wave}|unpaired"
            got = {"n": getattr(pa, f"n_{side}"), "accepted": getattr(pa, f"k_{side}"),
                   "constrained": getattr(pc, f"k_{side}")}
            for grp, m, printed in ((g, got, True),
                                    (o, {k: values[f"sat.{wave}.{k}"] - v for k, v in got.items()}, False)):
                for k, v in m.items():
                    values[f"sat.{grp}.{k}"] = int(v)
                    if not printed:
                        unprinted.add(f"sat.{grp}.{k}")
                values[f"sat.{grp}.other"] = m["n"] - m["accepted"] - m["constrained"]
                unprinted.add(f"sat.{grp}.other")
                rels.append(Relation(f"sat.{grp}.n", (f"sat.{grp}.accepted", f"sat.{grp}.constrained",
                                                      f"sat.{grp}.other")))
            cross(wave, [g, o], ("n", "accepted", "constrained"))
    fixed = {f"sat.{w}.n" for w in res.waves}
    return values, rels, unprinted, fixed


#: Unprinted cells a reader takes for empty (missing or left-out information, printed nowhere): demands
#: with no outcome, no requester, no answer on the destination, offered a follow-up but not in the waits.
_ASSUMED_EMPTY = ("outcome_other", "requester_unknown", "full_unknown", "wait_excluded")


def assumed_empty(values: dict[str, int]) -> set[str]:
    """The unprinted cells a reader may take for 0 and that are 0: the rests of :data:`_ASSUMED_EMPTY`
    and the demands of a breakdown's level « not given » (``…|~.n``: the printed levels make up the wave;
    its other counts follow). The audit holds them known to be 0, since a reader who assumes so is right
    (a wrong guess reveals nothing)."""
    return {c for c, v in values.items() if v == 0 and c.startswith("sat.")
            and (c.rsplit(".", 1)[-1] in _ASSUMED_EMPTY or c.endswith("|~.n"))}


def saturation_plan(res: SaturationResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> SaturationPlan:
    """Every census count table of the chapter protected in one linked problem (:mod:`analysis.publish.sdc`):
    the indicator tables (by wave, public and requested follow-up), the waits' table and the comparisons.
    A wave's number of demands stays printed (it is in the prose and the gradient chapter) unless it is
    itself below the threshold. The 2022 report's census share is a known cell
    (:func:`analysis.publish.printed.census_knowledge`)."""
    from analysis.publish.printed import census_knowledge, consistent

    values, rels, unprinted, fixed = saturation_cells(res)
    fixed = {c for c in fixed if values[c] >= threshold}
    # the 2022 report's census share is known to the reader (if these are its demands)
    known = consistent(census_knowledge({w: values[f"sat.{w}.n"] for w in res.waves}), values)
    # a reader takes what is missing for nothing: the four outcomes make up the demands, every demand
    # offered a follow-up has its wait… When that is true, the reader knows it
    known.update({c: (0, 0) for c in assumed_empty(values) if c not in known})
    return SaturationPlan(protect(values, rels, threshold, fixed=fixed, unprinted=unprinted, known=known))


def model_missing_fr(res: SaturationResults) -> str:
    """Why there is no model: too few SSM for its clustered intervals, or data it cannot be fitted on."""
    from analysis.analyses.cluster import MIN_CLUSTERS

    services = max(res.services.values(), default=0)
    if 1 < services < MIN_CLUSTERS and len(res.services) == 1:
        return (f"Le modèle n'est pas estimé : les demandes recensées viennent de {fmt_int(services)} SSM, moins de "
                f"{MIN_CLUSTERS}, trop peu pour des intervalles qui tiennent compte du regroupement des demandes par "
                "service (ils seraient peu fiables et redonneraient la taille de chaque SSM).")
    return "Le modèle n'a pas pu être estimé sur ces données."


def model_withheld_fr(threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> str:
    """What the model's table, figure and sentence say when its estimates are withheld."""
    return (f"Modèle non publié : un de ses groupes (public, suivi demandé, origine de la demande ou vague) "
            f"compte moins de {threshold} demandes, ou moins de {threshold} réorientations contraintes ou "
            "autres issues ; ses estimations permettraient de retrouver ce petit effectif.")


def model_groups_publishable(model: ModelResult | None, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> bool:
    """A model by group publishes its estimates only when every group is publishable: for every level of each
    categorical covariate (public, requested follow-up, wave, first line; the reference level included), the
    demands of the level, its constrained reorientations and the others are all at least ``threshold``."""
    if model is None or model.fit is None:
        return False
    x = pd.DataFrame(model.fit.model.exog, columns=model.fit.model.exog_names)
    y = np.asarray(model.fit.model.endog, dtype=float)
    terms = [t for t in x.columns if t not in ("const", "income_10k")]
    variables = sorted({"first_line" if t == "first_line" else t.split("_")[0] for t in terms})
    for var in variables:
        cols = [t for t in terms if (t == var if var == "first_line" else t.split("_")[0] == var)]
        dummies = x[cols].to_numpy() > 0.5
        masks = [dummies[:, j] for j in range(dummies.shape[1])] + [~dummies.any(axis=1)]
        for mask in masks:
            n, k = int(mask.sum()), int(y[mask].sum())
            if min(n, k, n - k) < threshold:
                return False
    return True
