"""Activities of the funded services (printed chapter 7): counts, participations, shares, months.

Counting rules (``shared/spec/tracking-tool.md``): an activity is one clean row
of the activities table; its participations are the users present for types
whose ``participants`` is ``users`` (axis 1), the professionals present for
``pros`` types, none for ``none`` types (``data/reference/activity_types.csv``).
Work time of an activity is its duration × the number of workers.

Exact results only; the reader-facing tables, figures and captions are in
:mod:`analysis.publish.activities`.
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

#: The columns of the activities table the analysis reads (the notebook loads only these).
COLUMNS = ("service_code", "month", "activity_type", "axis", "workers", "users_present", "pros_present",
           "duration_min")
#: Of those, the ones the analysis only compares, counts and groups: read as categoricals (a small
#: code per row, not a string: the activities kernel's table is about 0.4 GiB at 10 M rows, not 1 GiB).
CATEGORIES = ("service_code", "month", "activity_type", "axis")


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
    # only the columns read below (a copy of the whole table doubled the kernel's memory at 1 M rows)
    frame = act[["activity_type", "service_code", "duration_min"]].assign(_p=part, _w=work_minutes(act))
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
        on_axis = act["axis"] == a.code
        g = act.loc[on_axis, ["service_code"]]
        p = part[on_axis].dropna()
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


def funded_by_month(services: pd.DataFrame, months: list[str]) -> dict[str, list[str]]:
    """The services expected in each month: those whose funded months (``funded_from`` → ``funded_to``,
    an empty bound is open) include it, from the registry (with the raw folder's override)."""
    frm = services["funded_from"].fillna("").astype(str).replace("", "0000-00")
    to = services["funded_to"].fillna("").astype(str).replace("", "9999-12")
    return {m: services.loc[(frm <= m) & (to >= m), "code"].astype(str).tolist() for m in months}


def participation_by_month(submissions: pd.DataFrame, funded: list[str], months: list[str],
                           expected: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Expected services that returned activity rows, per month: ``month, services_n, funded_n, rate_pct``.

    ``expected`` gives each month's expected services (:func:`funded_by_month`): a
    service counts only in its own funded months, as expected and as participating.
    Without it, every service of ``funded`` is expected in every month.
    """
    expected = expected if expected is not None else {m: list(funded) for m in months}
    sub = submissions[submissions["returned_activities"].fillna(False).astype(bool)]
    returned = {str(m): set(g.astype(str)) for m, g in sub.groupby(sub["month"].astype(str))["service_code"]}
    counts = [len(returned.get(m, set()) & set(expected.get(m, []))) for m in months]
    funded_n = [len(expected.get(m, [])) for m in months]
    return pd.DataFrame({"month": months, "services_n": pd.array(counts, dtype="int64"),
                         "funded_n": pd.array(funded_n, dtype="int64"),
                         "rate_pct": [pct(c, n) for c, n in zip(counts, funded_n, strict=True)]})


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
    registry = reference.funded_services(start, end, ref_dir)
    funded = registry["code"].tolist()
    by_type = type_table(act, len(funded), ref_dir)
    return ActivityResults(
        start=start, end=end, months=months, funded=funded, by_type=by_type,
        by_axis=axis_table(act, by_type, len(funded), ref_dir),
        monthly=monthly_by_axis(act, months, ref_dir),
        participation=participation_by_month(submissions, funded, months, funded_by_month(registry, months)),
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
