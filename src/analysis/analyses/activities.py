"""Activities of the funded services (printed chapter 7): counts, participations, shares, months.

Counting rules (``shared/spec/tracking-tool.md``): an activity is one clean row
of the activities table; its participations are the users present for types
whose ``participants`` is ``users`` (axis 1), the professionals present for
``pros`` types, none for ``none`` types (``data/reference/activity_types.csv``).
Work time of an activity is its duration × the number of workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import reference
from analysis.analyses.stats import pct
from analysis.config import REFERENCE_DIR
from analysis.publish.fmt import fmt_int, fmt_month, fmt_number, fmt_pct

EXAMPLE_NOTE = " Données d'exemple synthétiques."
SOURCE = " Source : outils de suivi des projets PRR."


def months_between(start: str, end: str) -> list[str]:
    """``["2021-09", …, "2022-04"]`` (inclusive)."""
    return [p.strftime("%Y-%m") for p in pd.period_range(start, end, freq="M")]


def participations(act: pd.DataFrame, ref_dir: Path = REFERENCE_DIR) -> pd.Series:
    """Participations per activity row: users present, professionals present or none, by type."""
    who = reference.table("activity_types", ref_dir).set_index("code")["participants"]
    kind = act["activity_type"].map(who)
    users = act["users_present"].astype("Float64")
    pros = act["pros_present"].astype("Float64")
    out = pd.Series(np.nan, index=act.index, dtype="Float64")
    out = out.mask(kind == "users", users).mask(kind == "pros", pros)
    return out


def work_minutes(act: pd.DataFrame) -> pd.Series:
    """Work time of each activity (minutes): duration × workers (1 worker when not given)."""
    workers = act["workers"].astype("Float64").fillna(1)
    return act["duration_min"].astype("Float64") * workers


def type_table(act: pd.DataFrame, services_total: int, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """One row per activity type (reference order, types with no activity included).

    Columns: ``code, label, axis, n, participations, mean/min/max_participants,
    services_n, services_pct, duration_min, work_min, count_pct, work_pct,
    mean_duration_h`` (shares of all activities / of all work time).
    """
    types = reference.table("activity_types", ref_dir).sort_values("order")
    part = participations(act, ref_dir)
    frame = act.assign(_p=part, _w=work_minutes(act))
    rows = []
    total_n = len(frame)
    total_w = float(frame["_w"].sum(skipna=True)) if total_n else 0.0
    for t in types.itertuples(index=False):
        g = frame[frame["activity_type"] == t.code]
        p = g["_p"].dropna()
        has_p = t.participants != "none"
        w = float(g["_w"].sum(skipna=True))
        dur = g["duration_min"].astype("Float64").dropna()
        rows.append({
            "code": t.code, "label": t.label_fr, "axis": t.axis, "n": len(g),
            "participations": int(p.sum()) if has_p else 0,
            "mean_participants": float(p.mean()) if has_p and len(p) else math.nan,
            "min_participants": float(p.min()) if has_p and len(p) else math.nan,
            "max_participants": float(p.max()) if has_p and len(p) else math.nan,
            "services_n": int(g["service_code"].nunique()),
            "services_pct": pct(g["service_code"].nunique(), services_total),
            "duration_min": float(dur.sum()), "work_min": w,
            "mean_duration_h": float(dur.mean()) / 60 if len(dur) else math.nan,
            "count_pct": pct(len(g), total_n), "work_pct": pct(w, total_w),
        })
    return pd.DataFrame(rows)


def axis_table(act: pd.DataFrame, by_type: pd.DataFrame, services_total: int,
               ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """One row per axis plus ``total``: n, participations, mean participants, services, shares."""
    axes = reference.table("axes", ref_dir).sort_values("order")
    part = participations(act, ref_dir)
    rows = []
    for a in axes.itertuples(index=False):
        sel = by_type[by_type["axis"] == a.code]
        g = act[act["axis"] == a.code]
        p = part[act["axis"] == a.code].dropna()
        rows.append({"code": a.code, "label": a.short_fr, "n": int(sel["n"].sum()),
                     "participations": int(sel["participations"].sum()),
                     "mean_participants": float(p.mean()) if len(p) else math.nan,
                     "services_n": int(g["service_code"].nunique()),
                     "services_pct": pct(g["service_code"].nunique(), services_total),
                     "count_pct": float(sel["count_pct"].sum()), "work_pct": float(sel["work_pct"].sum())})
    rows.append({"code": "total", "label": "Total", "n": int(by_type["n"].sum()),
                 "participations": int(by_type["participations"].sum()),
                 "mean_participants": float(part.dropna().mean()) if part.notna().any() else math.nan,
                 "services_n": int(act["service_code"].nunique()),
                 "services_pct": pct(act["service_code"].nunique(), services_total),
                 "count_pct": 100.0 if len(act) else math.nan, "work_pct": 100.0 if len(act) else math.nan})
    return pd.DataFrame(rows)


def monthly_by_axis(act: pd.DataFrame, months: list[str], ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Activities per month (rows, every month of the period) and axis (columns, reference order)."""
    axes = reference.table("axes", ref_dir).sort_values("order")["code"].tolist()
    table = pd.crosstab(act["month"].astype(str), act["axis"].astype(str)) if len(act) else pd.DataFrame()
    return table.reindex(index=months, columns=axes, fill_value=0).fillna(0).astype(int)


def participation_by_month(submissions: pd.DataFrame, funded: list[str], months: list[str]) -> pd.DataFrame:
    """Funded services that returned activity rows, per month: ``month, services_n, funded_n, rate_pct``."""
    sub = submissions[submissions["service_code"].isin(funded) & submissions["returned_activities"].fillna(False)]
    counts = sub.groupby("month")["service_code"].nunique().reindex(months, fill_value=0)
    n = len(funded)
    return pd.DataFrame({"month": months, "services_n": counts.to_numpy().astype(int), "funded_n": n,
                         "rate_pct": [pct(c, n) for c in counts]})


def work_time_pct(act: pd.DataFrame, activity_type: str = "temps_reseau") -> float:
    """Share (%) of all work time (duration × workers) spent on ``activity_type``."""
    w = work_minutes(act)
    total = float(w.sum(skipna=True))
    return pct(float(w[act["activity_type"] == activity_type].sum(skipna=True)), total)


@dataclass
class ActivityResults:
    start: str
    end: str
    months: list[str]
    funded: list[str]
    by_type: pd.DataFrame
    by_axis: pd.DataFrame
    monthly: pd.DataFrame
    participation: pd.DataFrame
    network_work_pct: float


def analyse_activities(act: pd.DataFrame, submissions: pd.DataFrame, start: str, end: str,
                       ref_dir: Path = REFERENCE_DIR) -> ActivityResults:
    """Every activity statistic of the period."""
    months = months_between(start, end)
    funded = reference.funded_services(start, end, ref_dir)["code"].tolist()
    by_type = type_table(act, len(funded), ref_dir)
    return ActivityResults(
        start=start, end=end, months=months, funded=funded, by_type=by_type,
        by_axis=axis_table(act, by_type, len(funded), ref_dir),
        monthly=monthly_by_axis(act, months, ref_dir),
        participation=participation_by_month(submissions, funded, months),
        network_work_pct=work_time_pct(act),
    )


def activity_metrics(res: ActivityResults) -> dict[str, Any]:
    """Flat metrics (exact values) for ``metrics.json``."""
    m: dict[str, Any] = {"period.start": res.start, "period.end": res.end,
                         "participation.services_funded": len(res.funded)}
    part = res.participation
    total_months = int(part["funded_n"].sum())
    m["participation.rate_pct"] = pct(int(part["services_n"].sum()), total_months)
    m["participation.service_months_n"] = int(part["services_n"].sum())
    m["participation.service_months_expected_n"] = total_months
    for r in part.itertuples(index=False):
        m[f"participation.by_month.{r.month}"] = r.rate_pct
        m[f"participation.services_by_month.{r.month}"] = int(r.services_n)
    cols = ("n", "participations", "mean_participants", "min_participants", "max_participants", "services_n",
            "services_pct", "count_pct", "work_pct", "mean_duration_h")
    for r in res.by_type.to_dict("records"):
        for c in cols:
            m[f"activities.{r['code']}.{c}"] = r[c]
    for r in res.by_axis.to_dict("records"):
        for c in ("n", "participations", "mean_participants", "services_n", "services_pct", "count_pct", "work_pct"):
            m[f"activities.{r['code']}.{c}"] = r[c]
    m["temps_reseau.work_time_pct"] = res.network_work_pct
    peak = res.monthly.sum(axis=1)
    if len(peak) and peak.max() > 0:
        m["activities.peak_month"] = str(peak.idxmax())
        m["activities.peak_month_n"] = int(peak.max())
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in m.items()}


# --------------------------------------------------------------------------- display

def _num(v: float, decimals: int = 0) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt_number(v, decimals)


def display_types(res: ActivityResults) -> pd.DataFrame:
    """The printed chapter's table per type: French headers, formatted (activity counts are not controlled)."""
    t = res.by_type
    axes = reference.labels("axes")
    return pd.DataFrame({
        "Axe": [axes.get(a, a).split(" –")[0] for a in t["axis"]],
        "Type d'activité": t["label"],
        "Activités": [fmt_int(v) for v in t["n"]],
        "Participations": [fmt_int(v) if not math.isnan(m) else "–" for v, m in
                           zip(t["participations"], t["mean_participants"].fillna(math.nan), strict=True)],
        "Participants par activité (moy. [min–max])": [
            "–" if math.isnan(m) else f"{_num(m, 1)} [{_num(lo)}–{_num(hi)}]"
            for m, lo, hi in zip(t["mean_participants"], t["min_participants"], t["max_participants"], strict=True)],
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

    from analysis.publish.figures import OKABE_ITO, fr_formatter

    t = res.by_type[res.by_type["n"] > 0].iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.42 * max(len(t), 3) + 1.2))
    y = np.arange(len(t))
    ax.barh(y + 0.2, t["count_pct"], height=0.4, color=OKABE_ITO[0], label="Part des activités")
    ax.barh(y - 0.2, t["work_pct"], height=0.4, color=OKABE_ITO[1], label="Part du temps de travail",
            hatch="//", edgecolor="white")
    ax.set_yticks(y, [lbl if len(lbl) < 42 else lbl[:40] + "…" for lbl in t["label"]])
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

    from analysis.publish.figures import OKABE_ITO, fr_formatter

    p = res.participation
    fig, ax = plt.subplots(figsize=(8, 3.8))
    x = np.arange(len(p))
    ax.bar(x, p["rate_pct"].fillna(0), color=OKABE_ITO[2])
    overall = pct(int(p["services_n"].sum()), int(p["funded_n"].sum()))
    if not math.isnan(overall):
        ax.axhline(overall, color=OKABE_ITO[7], linestyle="--", linewidth=1)
        ax.annotate(f"Ensemble : {fmt_pct(overall, 1)}", (len(p) - 0.5, overall), xytext=(0, 4),
                    textcoords="offset points", ha="right", fontsize=9)
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


def save_outputs(res: ActivityResults, out: Path, is_example: bool = False) -> dict[str, list[str]]:
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
    tables = [
        ("activites-types", res.by_type, display_types(res),
         "Activités par type : nombre, participations, participants par activité, services, parts en nombre "
         "et en temps de travail," + period + SOURCE + note),
        ("activites-axes", res.by_axis, display_axes(res), "Activités par axe," + period + SOURCE + note),
        ("activites-participation", res.participation, display_participation(res),
         "Taux de participation mensuel des services financés," + period + SOURCE + note),
    ]
    for name, exact, disp, caption in tables:
        write_table(disp, name, paths["tables"], caption)
        write_exact(exact, name, out)
    return {"figures": [f[0] for f in figs], "tables": [t[0] for t in tables]}
