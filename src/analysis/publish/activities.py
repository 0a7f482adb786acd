"""Activities for readers (printed chapter 7): French tables, figures and captions.

The exact results come from :mod:`analysis.analyses.activities`; activity counts
are not persons and are not subject to disclosure control. The attendance of one
activity (the smallest and largest number of participants of a type) is the size of
a meeting, not a group of persons sharing a trait, and the printed mean (participations
÷ activities) bounds the smallest one whatever is hidden (a mean below 1 says some
activity gathered nobody): the methods chapter says the promise does not cover it.
Out of caution, a smallest attendance below the threshold is printed « < 5 », and the
range is not printed when the printed number of participations, mean and other bound
would fix it (:func:`attendance_range`).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import reference
from analysis.analyses.activities import ActivityResults
from analysis.analyses.stats import pct
from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD, REFERENCE_DIR
from analysis.publish.fmt import NBSP, fmt_int, fmt_month, fmt_number, fmt_pct

EXAMPLE_NOTE = " Données d'exemple synthétiques."
SOURCE = " Source : outils de suivi des projets PRR."


# --------------------------------------------------------------------------- display

def _num(v: float, decimals: int = 0) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt_number(v, decimals)


def _narrowed(k: int, total: int, lo: int, hi: int, threshold: int) -> bool:
    """Whether a smallest attendance printed « < threshold » could be narrowed from the rest of the row.

    A reader knows the number of activities with participants ``k`` (participations divided by the
    mean), their sum ``total`` and the largest attendance ``hi``. A smallest value ``m`` fits when the
    ``k - 2`` other activities can hold what is left (each between ``m`` and ``hi``). As for every
    « < 5 » of the report, each value from 0 to threshold − 1 must still fit (and from 1, for a
    reader who assumes an activity has at least one participant)."""
    def fits(m: int) -> bool:
        if k == 1:
            return m == hi == total
        if k == 2:
            return m + hi == total
        return (k - 2) * m <= total - m - hi <= (k - 2) * hi

    return not all(fits(m) for m in range(0, threshold))


def attendance_range(total: float, mean: float, lo: float, hi: float, threshold: int) -> str | None:
    """« 5 à 9 », « < 5 à 9 »: the range of participants per activity of a type, as printed.

    Each bound is the attendance of one activity, a count of persons: a smallest attendance under
    ``threshold`` reads « < 5 ». ``None`` (not printed) when the largest is under the threshold too,
    or when the printed total, mean and largest attendance would narrow the hidden smallest one
    (see :func:`_narrowed`)."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (mean, lo, hi)):
        return None
    lo, hi, total = int(round(lo)), int(round(hi)), int(round(total))
    if lo >= threshold:
        return f"{fmt_int(lo)}{NBSP}à {fmt_int(hi)}"
    if hi < threshold:  # every activity under the threshold: the mean is all that is printed
        return None
    k = int(round(total / mean)) if mean else 0
    if not k or _narrowed(k, total, lo, hi, threshold):
        return None
    return f"<{NBSP}{fmt_int(threshold)}{NBSP}à {fmt_int(hi)}"


def _single_small(total: float, mean: float, threshold: int) -> bool:
    """One activity with participants whose attendance (the type's total) is under the threshold."""
    return bool(mean) and not math.isnan(mean) and int(round(total / mean)) == 1 and total < threshold


def _participations_cell(total: float, mean: float, threshold: int) -> str:
    if math.isnan(mean):
        return "–"
    return f"<{NBSP}{fmt_int(threshold)}" if _single_small(total, mean, threshold) else fmt_int(total)


def _attendance_cell(total: float, mean: float, lo: float, hi: float, threshold: int) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    if _single_small(total, mean, threshold):  # one activity: its total is its attendance
        return f"<{NBSP}{fmt_int(threshold)}"
    rng = attendance_range(total, mean, lo, hi, threshold)
    return f"{_num(mean, 1)} ({rng if rng else 'n.p.'})"


def display_types(res: ActivityResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> pd.DataFrame:
    """The printed chapter's table per type: French headers, formatted (activity counts are not controlled;
    the attendance of one activity follows the threshold, see :func:`attendance_range`)."""
    t = res.by_type
    axes = reference.labels("axes")
    return pd.DataFrame({
        "Axe": [axes.get(a, a).split(" –")[0] for a in t["axis"]],
        "Type d'activité": t["label"],
        "Activités": [fmt_int(v) for v in t["n"]],
        "Participations": [_participations_cell(v, m, threshold) for v, m in
                           zip(t["participations"], t["mean_participants"].fillna(math.nan), strict=True)],
        "Participants par activité : moyenne (min. à max.)": [
            _attendance_cell(v, m, lo, hi, threshold) for v, m, lo, hi in
            zip(t["participations"], t["mean_participants"], t["min_participants"], t["max_participants"],
                strict=True)],
        "Services": [f"{fmt_int(v)} ({fmt_pct(p, 0)})" for v, p in zip(t["services_n"], t["services_pct"], strict=True)],
        "Part des activités": [fmt_pct(v, 1) for v in t["count_pct"].fillna(0)],
        "Part du temps de travail": [fmt_pct(v, 1) for v in t["work_pct"].fillna(0)],
    })


def display_axes(res: ActivityResults) -> pd.DataFrame:
    a = res.by_axis
    return pd.DataFrame({
        "Axe": a["label"],
        "Activités": [fmt_int(v) for v in a["n"]],
        "Participations": [fmt_int(v) for v in a["participations"]],
        "Participants par activité": [_num(v, 1) for v in a["mean_participants"]],
        "Services": [fmt_int(v) for v in a["services_n"]],
        "Part des activités": [fmt_pct(v, 1) if not math.isnan(v) else "–" for v in a["count_pct"]],
        "Part du temps de travail": [fmt_pct(v, 1) if not math.isnan(v) else "–" for v in a["work_pct"]],
    })


def display_participation(res: ActivityResults) -> pd.DataFrame:
    p = res.participation
    return pd.DataFrame({
        "Mois": [fmt_month(m) for m in p["month"]],
        "Services ayant rendu leurs activités": [f"{fmt_int(k)} / {fmt_int(n)}" for k, n in
                                                 zip(p["services_n"], p["funded_n"], strict=True)],
        "Taux de participation": [fmt_pct(v, 1) if not math.isnan(v) else "–" for v in p["rate_pct"]],
    })


# --------------------------------------------------------------------------- figures

def plot_type_shares(res: ActivityResults):
    """Horizontal bars: share of activities vs share of work time, per type."""
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, as_printed, fr_formatter

    t = res.by_type[res.by_type["n"] > 0].iloc[::-1]
    t = t.assign(count_pct=as_printed(t["count_pct"], 1), work_pct=as_printed(t["work_pct"], 1))  # as printed
    fig, ax = plt.subplots(figsize=(8, 0.42 * max(len(t), 3) + 1.2))
    y = np.arange(len(t))
    ax.barh(y + 0.2, t["count_pct"], height=0.4, color=OKABE_ITO[0], label="Part des activités")
    ax.barh(y - 0.2, t["work_pct"], height=0.4, color=OKABE_ITO[1], label="Part du temps de travail",
            hatch="//", edgecolor="white")
    # long labels wrap on two lines (never cut: a reader must be able to read every type in full)
    ax.set_yticks(y, [textwrap.fill(lbl, 34) for lbl in t["label"]], fontsize=8)
    ax.xaxis.set_major_formatter(fr_formatter(0, " %"))
    ax.set_xlabel("Part du total (%)")
    ax.legend(loc="lower right", frameon=True)
    fig.tight_layout()
    top_n = t.sort_values("count_pct").iloc[-1] if len(t) else None
    top_w = t.sort_values("work_pct").iloc[-1] if len(t) else None
    alt = ("Diagramme en barres horizontales comparant, pour chaque type d'activité, sa part dans le nombre "
           "d'activités et sa part dans le temps de travail.")
    if top_n is not None:
        alt += (f" {top_n['label']} domine en nombre ({fmt_pct(top_n['count_pct'], 1)} des activités) ;"
                f" en temps de travail, la première place revient à {top_w['label']}"
                f" ({fmt_pct(top_w['work_pct'], 1)}).")
    return fig, alt


def plot_monthly(res: ActivityResults, ref_dir: Path = REFERENCE_DIR):
    """Lines: activities per month and axis."""
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO

    labels = reference.table("axes", ref_dir).set_index("code")["short_fr"]
    mon = res.monthly
    fig, ax = plt.subplots(figsize=(8, 4.2))
    x = np.arange(len(mon))
    markers = ["o", "s", "^", "D"]
    for i, axis in enumerate(mon.columns):
        ax.plot(x, mon[axis], marker=markers[i % 4], color=OKABE_ITO[i % len(OKABE_ITO)], label=labels.get(axis, axis))
    ax.set_xticks(x, [fmt_month(m, short=True) for m in mon.index], rotation=45, ha="right")
    ax.set_ylabel("Nombre d'activités")
    ax.set_xlabel("Mois")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=True)
    fig.tight_layout()
    total = mon.sum(axis=1)
    alt = "Courbes du nombre d'activités par mois pour chaque axe."
    if len(total) and total.max() > 0:
        alt += (f" Le total mensuel va de {fmt_int(total.min())} à {fmt_int(total.max())} activités ;"
                f" le mois le plus chargé est {fmt_month(str(total.idxmax()))}.")
    return fig, alt


def plot_participation(res: ActivityResults):
    """Bars: participation rate of funded services per month, with the overall rate as a line."""
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO, as_printed, fr_formatter

    p = res.participation
    p = p.assign(rate_pct=as_printed(p["rate_pct"], 1))  # as the table prints it
    fig, ax = plt.subplots(figsize=(8, 3.8))
    x = np.arange(len(p))
    ax.bar(x, p["rate_pct"].fillna(0), color=OKABE_ITO[2])
    overall = pct(int(p["services_n"].sum()), int(p["funded_n"].sum()))
    if not math.isnan(overall):
        ax.axhline(overall, color=OKABE_ITO[7], linestyle="--", linewidth=1)
        # outside the plot, right of the axis, where no bar or bar label can be under it
        ax.annotate(f"Ensemble\n{fmt_pct(overall, 1)}", (1.0, overall), xycoords=ax.get_yaxis_transform(),
                    xytext=(4, 0), textcoords="offset points", ha="left", va="center", fontsize=9,
                    annotation_clip=False)
    for xi, (k, v) in enumerate(zip(p["services_n"], p["rate_pct"].fillna(0), strict=True)):
        ax.annotate(fmt_int(k), (xi, v), xytext=(0, -14), textcoords="offset points", ha="center",
                    color="white", fontsize=9)
    ax.set_xticks(x, [fmt_month(m, short=True) for m in p["month"]], rotation=45, ha="right")
    ax.yaxis.set_major_formatter(fr_formatter(0, " %"))
    ax.set_ylim(0, 105)
    ax.set_ylabel("Services ayant rendu leurs activités (%)")
    fig.tight_layout()
    alt = (f"Barres du taux de participation mensuel des {len(res.funded)} services financés, "
           f"de {fmt_pct(p['rate_pct'].min(), 1)} à {fmt_pct(p['rate_pct'].max(), 1)} ;"
           f" taux global {fmt_pct(overall, 1)}.") if len(p) and not math.isnan(overall) else \
        "Taux de participation mensuel des services financés."
    return fig, alt


def activities_prose(res: ActivityResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> dict[str, str]:
    """``activities.<type>.participants_range_fr``: « de 4 à 9 par activité », « de moins de 5 à 9 par
    activité », or that the range is not published (the same rule as the table)."""
    out = {}
    for r in res.by_type.itertuples(index=False):
        if r.mean_participants is None or math.isnan(r.mean_participants):
            continue
        rng = (None if _single_small(r.participations, r.mean_participants, threshold) else
               attendance_range(r.participations, r.mean_participants, r.min_participants, r.max_participants,
                                threshold))
        out[f"activities.{r.code}.participants_range_fr"] = (
            "étendue non publiée, une présence trop petite pouvant s'en déduire" if rng is None else
            "de " + rng.replace(f"<{NBSP}", f"moins de{NBSP}") + " par activité")
    return out


def withheld_metrics(res: ActivityResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> set[str]:
    """The exact smallest and largest attendances prose may not show (those under the threshold, and
    the other bound of a range that is not published); the total and mean of a single small activity."""
    keys = set()
    for r in res.by_type.itertuples(index=False):
        if r.mean_participants is None or math.isnan(r.mean_participants):
            continue
        base = f"activities.{r.code}."
        if _single_small(r.participations, r.mean_participants, threshold):
            keys |= {base + c for c in ("participations", "mean_participants", "min_participants", "max_participants")}
            continue
        rng = attendance_range(r.participations, r.mean_participants, r.min_participants, r.max_participants,
                               threshold)
        if rng is None:
            keys |= {base + "min_participants", base + "max_participants"}
        else:
            keys |= {base + c for c, v in (("min_participants", r.min_participants),
                                           ("max_participants", r.max_participants)) if v < threshold}
    return keys


def save_outputs(res: ActivityResults, out: Path, is_example: bool = False,
                 threshold: int = DEFAULT_DISCLOSURE_THRESHOLD) -> dict[str, list[str]]:
    """Save the chapter's figures and tables under the run folder ``out``."""
    from analysis.config import run_paths
    from analysis.publish.figures import save_figure
    from analysis.publish.tables import write_exact, write_table

    paths = run_paths(out)
    note = EXAMPLE_NOTE if is_example else ""
    period = f" {fmt_month(res.start)} – {fmt_month(res.end)}."
    figs = []
    fig, alt = plot_type_shares(res)
    figs.append(("activites-types", fig, alt, "Part de chaque type d'activité dans le nombre d'activités et dans le "
                 "temps de travail (durée × intervenant·e·s)," + period + SOURCE + note))
    fig, alt = plot_monthly(res)
    figs.append(("activites-mois", fig, alt, "Nombre d'activités par mois et par axe," + period + SOURCE + note))
    fig, alt = plot_participation(res)
    figs.append(("activites-participation", fig, alt, "Part des services financés ayant rendu des activités, par "
                 "mois ; chiffre dans la barre : nombre de services," + period + SOURCE + note))
    for name, fig, alt, caption in figs:
        save_figure(fig, name, paths["figures"], alt, caption)
    types = display_types(res, threshold)
    cells = " ".join(types["Participants par activité : moyenne (min. à max.)"]) + " ".join(types["Participations"])
    rule = (f" Le nombre de participants d'une activité est donné « <{NBSP}{fmt_int(threshold)} » quand il est "
            f"inférieur à {fmt_int(threshold)} ; « n.p. » : étendue non publiée, car une telle présence pourrait "
            "se déduire du total et de la moyenne." if "<" in cells else "")
    tables = [
        ("activites-types", res.by_type, types,
         "Activités par type : nombre, participations, participants par activité, services, parts en nombre "
         "et en temps de travail," + period + rule + SOURCE + note),
        ("activites-axes", res.by_axis, display_axes(res), "Activités par axe," + period + SOURCE + note),
        ("activites-participation", res.participation, display_participation(res),
         "Taux de participation mensuel des services financés," + period + SOURCE + note),
    ]
    for name, exact, disp, caption in tables:
        write_table(disp, name, paths["tables"], caption)
        write_exact(exact, name, out)
    return {"figures": [f[0] for f in figs], "tables": [t[0] for t in tables]}
