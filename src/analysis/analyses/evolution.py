"""Editions over time: this period compared with earlier runs, on fair terms.

Each earlier edition is a run folder (``<run>/clean/*.parquet``, ``<run>/manifest.json``,
``<run>/metrics.json``). Periods have different lengths, so counts are compared as
**rates per month**; services come and go, so every count is compared twice: on
all the services of each period, and on the services present in both periods
(those with a row in the ``submissions`` table of both runs, i.e. in the services
registry of both periods). Codes renamed or merged between editions are mapped to
today's codes through ``data/reference/code_changes.csv`` and the current raw folder's
own ``code_changes.csv`` (changes that came with that period's services registry)
before anything is counted.

Intervals (95 %), chosen by what is measured:

- activities and participations per month (not persons): the ratio of two rates
  with the period lengths as exposure, from a Poisson model whose variance is
  inflated by the month-to-month overdispersion (quasi-Poisson: Pearson χ² of the
  monthly totals around each period's mean / degrees of freedom, at least 1;
  Student t with ``months − 2`` degrees of freedom once the dispersion is estimated);
  when one period has none, the exact conditional interval (Clopper–Pearson on the
  second period's share of both counts, deflated by the dispersion) — a fall to
  zero from many activities reads « baisse »;
- new user demands per month (persons, grouped in services): the same ratio with a
  variance that treats services as clusters (linearisation, i.e. the sandwich
  variance of a Poisson model with the service as cluster; t with ``services − 1``
  degrees of freedom);
- shares of persons (first line, each referrer, each gender) and the services'
  participation rate (service × months): Newcombe's hybrid score interval of a
  difference of two proportions, on effective sample sizes ``n / deff`` where the
  design effect ``deff`` (at least 1) compares the services-as-clusters variance of
  each proportion with the binomial one;
- mean age: difference of means with services-as-clusters variances.

A change is read from its interval, never from the point estimate alone:
**hausse** (interval wholly above no change), **baisse** (wholly below),
**stable** (interval wholly inside the equivalence margin: rate ratio 0,80–1,25,
± 5 points for shares, ± 2 years for the mean age), otherwise **indetermine**
(too few data to conclude). Exact results only: the reader-facing view (with
disclosure control) is in :mod:`analysis.publish.evolution`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from analysis import reference
from analysis.analyses.activities import months_between, participations
from analysis.analyses.cluster import too_few
from analysis.analyses.stats import pct, wilson_ci
from analysis.config import REFERENCE_DIR, run_paths

#: Equivalence margins of the « stable » reading.
RATIO_MARGIN = (0.80, 1.25)
SHARE_MARGIN_PTS = 5.0
AGE_MARGIN_YEARS = 2.0
ALPHA = 0.05

#: Clean columns holding codes of each reference domain (for ``code_changes.csv``).
CODE_COLUMNS = {
    "services": {"activities": ["service_code"], "users": ["service_code"], "submissions": ["service_code"]},
    "activity_types": {"activities": ["activity_type"]},
    "referrers": {"users": ["referrer"]},
    "genders": {"users": ["gender"]},
    "income_sources": {"users": ["income_source"]},
}
VERDICTS = ("hausse", "baisse", "stable", "indetermine")


# --------------------------------------------------------------------------- loading


CHANGE_COLUMNS = ["domain", "old_code", "new_code", "since", "note"]


def _read_changes(path: Path) -> pd.DataFrame:
    """One ``code_changes.csv``, checked (French message on one line when it cannot be used)."""
    from analysis.errors import InputError

    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python", encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"table de correspondance des codes {path.name} illisible ({type(exc).__name__})") from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in ("domain", "old_code", "new_code") if c not in df.columns]
    if missing:
        raise InputError(f"table de correspondance des codes {path.name} : colonnes attendues "
                         f"{', '.join(CHANGE_COLUMNS)} (manque : {', '.join(missing)})")
    df = df.reindex(columns=CHANGE_COLUMNS, fill_value="").apply(lambda col: col.str.strip())
    for n, row in enumerate(df.to_dict("records"), start=2):
        if row["domain"] not in CODE_COLUMNS:
            raise InputError(f"table de correspondance des codes {path.name}, ligne {n} : domaine « {row['domain']} » "
                             f"inconnu (attendu : {', '.join(CODE_COLUMNS)})")
        if not (row["old_code"] and row["new_code"]):
            raise InputError(f"table de correspondance des codes {path.name}, ligne {n} : ancien et nouveau code requis")
    return df


def code_changes(ref_dir: Path | None = REFERENCE_DIR, raw: Path | str | None = None,
                 also: tuple[Path | str, ...] = ()) -> pd.DataFrame:
    """``domain, old_code, new_code, since, note``: codes renamed between editions (may be empty).

    The reference table ``code_changes.csv`` and, when the current period's raw folder has one at its
    top, that folder's ``code_changes.csv`` (a change that came with the period's own services registry,
    e.g. two services merged under a new code), then those of the folders ``also`` (the compared
    editions' raw folders when still there, and their run folders, where notebook 06 keeps
    them (:func:`declared_code_changes`): a change declared with an earlier period stays in force), in the order of ``since``
    (a chain ``A → B`` then ``B → C`` is followed to the end). ``ref_dir=None`` leaves the reference
    table out (only the changes declared with the periods).
    """
    from analysis.ingest.inputs import CODE_CHANGES_NAMES

    parts = []
    path = Path(ref_dir) / "code_changes.csv" if ref_dir is not None else None
    if path is not None and path.exists():
        parts.append(_read_changes(path))
    for folder in (raw, *also):
        if not folder or not Path(folder).is_dir():
            continue
        for child in sorted(Path(folder).iterdir()):
            if child.name.lower() in CODE_CHANGES_NAMES and child.is_file() and not child.is_symlink():
                parts.append(_read_changes(child))
    if not parts:
        return pd.DataFrame(columns=CHANGE_COLUMNS, dtype="string")
    df = pd.concat(parts, ignore_index=True).drop_duplicates(["domain", "old_code", "new_code"])
    return df.sort_values("since", kind="stable").reset_index(drop=True)


def declared_code_changes(raw: Path | str | None, compare: tuple[Path | str, ...] = ()) -> pd.DataFrame:
    """The code changes declared with this period's raw folder and with the editions it is compared
    with (not the reference table's): what the run keeps as ``<out>/code_changes.csv`` (notebook 06),
    so that a later edition compared with this run still maps those codes once this period's raw
    folder is gone (only the run folder is kept)."""
    return code_changes(None, raw, tuple(compare))


def apply_code_changes(tables: dict[str, pd.DataFrame], changes: pd.DataFrame,
                       ref_dir: Path = REFERENCE_DIR) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Map old codes to today's codes in the clean tables; return the tables and what was mapped.

    The activities' axis is re-derived from the (current) activity types table
    after mapping. The second value lists ``domain, old_code, new_code, rows``
    for every change that touched at least one row.
    """
    out = {k: v.copy() for k, v in tables.items()}
    applied = []
    for ch in changes.itertuples(index=False):
        for table, cols in CODE_COLUMNS.get(ch.domain, {}).items():
            if table not in out:
                continue
            for col in cols:
                hit = out[table][col] == ch.old_code
                n = int(hit.fillna(False).sum())
                if n:
                    out[table].loc[hit.fillna(False), col] = ch.new_code
                    applied.append({"domain": ch.domain, "old_code": ch.old_code, "new_code": ch.new_code,
                                    "table": table, "rows": n})
    if "activities" in out and len(out["activities"]):
        axis = reference.table("activity_types", ref_dir).set_index("code")["axis"]
        mapped = out["activities"]["activity_type"].map(axis)
        out["activities"]["axis"] = mapped.fillna(out["activities"]["axis"]).astype("string")
    if "submissions" in out and applied:
        sub = out["submissions"]
        flags = ["returned_activities", "returned_users", "returned_pros"]
        out["submissions"] = (sub.groupby(["service_code", "month"], as_index=False)[flags].max())
    return out, pd.DataFrame(applied, columns=["domain", "old_code", "new_code", "table", "rows"])


@dataclass
class Edition:
    """One run, as the comparison uses it."""

    out: Path
    start: str
    end: str
    months: list[str]
    activities: pd.DataFrame
    users: pd.DataFrame
    submissions: pd.DataFrame
    manifest: dict
    mapped: pd.DataFrame = field(default_factory=pd.DataFrame)
    names: dict = field(default_factory=dict)  # service code → name, from the period's registry

    @property
    def n_months(self) -> int:
        return len(self.months)

    @property
    def services(self) -> list[str]:
        """Services of the period: those of its registry (a submissions row) or with a kept row."""
        found = set(self.submissions["service_code"].dropna().astype(str))
        found |= set(self.activities["service_code"].dropna().astype(str))
        found |= set(self.users["service_code"].dropna().astype(str))
        return sorted(found)


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def registry_names(raw: Path | str | None, ref_dir: Path = REFERENCE_DIR) -> dict[str, str]:
    """Service names of a period's registry: the reference registry, overridden by ``<raw>/services.csv``
    (a registry shipped with the raw folder) when that folder is still there."""
    from analysis.ingest.registry import override_path

    names = reference.services(ref_dir).set_index("code")["name"].to_dict()
    path = override_path(Path(raw)) if raw else None
    if path is not None:
        try:
            extra = pd.read_csv(path, dtype=str, keep_default_na=False)
            names.update(dict(zip(extra["code"], extra["name"], strict=True)))
        except (KeyError, ValueError, pd.errors.ParserError):
            pass
    return names


def load_edition(out: Path, ref_dir: Path = REFERENCE_DIR, start: str | None = None,
                 end: str | None = None, raw: Path | str | None = None,
                 changes: pd.DataFrame | None = None) -> Edition:
    """Read a run folder: its clean tables (codes mapped to today's by ``changes``, by default
    :func:`code_changes`), period and manifest.

    The period is ``start``/``end`` when given, else the manifest's parameters,
    else the metrics' ``period.start``/``period.end``.
    """
    from analysis.errors import InputError
    from analysis.ingest.clean import load_clean

    out = Path(out)
    paths = run_paths(out)
    if not paths["clean"].is_dir():
        raise InputError(f"run à comparer introuvable ou incomplet : {out} (pas de dossier clean/ ; "
                         "lancez d'abord « prr run » pour cette édition)")
    manifest = _read_json(paths["manifest"])
    metrics = _read_json(paths["metrics"])
    params = manifest.get("parameters", {}) or {}
    start = start or params.get("start") or metrics.get("period.start")
    end = end or params.get("end") or metrics.get("period.end")
    if not (start and end):
        raise InputError(f"période inconnue pour le run {out} (manifest.json et metrics.json absents)")
    if raw:  # the current run: its manifest is written after its notebooks (a stale one may be there)
        manifest = {**manifest, "parameters": {**params, "raw": str(raw)}}
    clean = load_clean(paths["clean"])
    tables, mapped = apply_code_changes(
        {k: clean[k] for k in ("activities", "users", "submissions")},
        code_changes(ref_dir) if changes is None else changes, ref_dir)
    months = months_between(start, end)
    act = tables["activities"]
    act = act[act["month"].isin(months)].reset_index(drop=True)
    users = tables["users"]
    users = users[users["month"].isin(months)].reset_index(drop=True)
    return Edition(out=out, start=str(start), end=str(end), months=months, activities=act, users=users,
                   submissions=tables["submissions"][tables["submissions"]["month"].isin(months)]
                   .reset_index(drop=True), manifest=manifest, mapped=mapped,
                   names=registry_names(raw or params.get("raw"), ref_dir))


# --------------------------------------------------------------------------- statistics


def verdict_ratio(low: float, high: float, margin: tuple[float, float] = RATIO_MARGIN) -> str:
    """Reading of a rate-ratio interval (see the module docstring); an infinite upper bound (nothing
    before) can still read « hausse »."""
    if math.isnan(low) or math.isnan(high):
        return "indetermine"
    if low > 1:
        return "hausse"
    if high < 1:
        return "baisse"
    if margin[0] <= low and high <= margin[1]:
        return "stable"
    return "indetermine"


def verdict_diff(low: float, high: float, margin: float) -> str:
    """Reading of a difference interval (points or years) with equivalence margin ``± margin``."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "indetermine"
    if low > 0:
        return "hausse"
    if high < 0:
        return "baisse"
    if -margin <= low and high <= margin:
        return "stable"
    return "indetermine"


def quasi_poisson_ratio(monthly_before: np.ndarray, monthly_after: np.ndarray,
                        alpha: float = ALPHA) -> dict[str, float]:
    """Ratio of two rates per month from monthly counts, quasi-Poisson interval.

    Exposure is the number of months of each period. Returns ``count_before/after,
    rate_before/after`` (per month), ``ratio, ratio_low, ratio_high, diff, diff_low,
    diff_high`` (per month), ``dispersion``, ``df``.
    """
    y1 = np.asarray(monthly_before, dtype=float)
    y2 = np.asarray(monthly_after, dtype=float)
    t1, t2 = len(y1), len(y2)
    c1, c2 = float(y1.sum()), float(y2.sum())
    r1 = c1 / t1 if t1 else math.nan
    r2 = c2 / t2 if t2 else math.nan
    res = {"count_before": c1, "count_after": c2, "months_before": t1, "months_after": t2,
           "rate_before": r1, "rate_after": r2, "ratio": math.nan, "ratio_low": math.nan,
           "ratio_high": math.nan, "diff": r2 - r1, "diff_low": math.nan, "diff_high": math.nan,
           "dispersion": math.nan, "df": math.nan}
    df = t1 + t2 - 2
    if t1 == 0 or t2 == 0:
        return res
    chi2 = 0.0
    for y, r in ((y1, r1), (y2, r2)):
        if r > 0:
            chi2 += float(((y - r) ** 2 / r).sum())
    phi = max(1.0, chi2 / df) if df > 0 else 1.0
    q = float(sps.t.ppf(1 - alpha / 2, df)) if (phi > 1 and df > 0) else float(sps.norm.ppf(1 - alpha / 2))
    res["dispersion"], res["df"] = phi, float(df)
    se_diff = math.sqrt(phi * (c1 / t1**2 + c2 / t2**2))
    if se_diff > 0:
        res["diff_low"], res["diff_high"] = r2 - r1 - q * se_diff, r2 - r1 + q * se_diff
    if c1 > 0 and c2 > 0:
        ratio = r2 / r1
        se = math.sqrt(phi * (1 / c1 + 1 / c2))
        res["ratio"] = ratio
        res["ratio_low"], res["ratio_high"] = ratio * math.exp(-q * se), ratio * math.exp(q * se)
    elif c1 > 0 or c2 > 0:
        # nothing in one period: no log-scale interval; the exact (Clopper-Pearson) interval of the share of
        # the second period in both, conditional on their sum, on counts deflated by the dispersion
        e1, e2 = c1 / phi, c2 / phi
        scale = t1 / t2
        if c2 == 0:
            p_high = float(sps.beta.ppf(1 - alpha / 2, e2 + 1, e1))
            res["ratio"], res["ratio_low"], res["ratio_high"] = 0.0, 0.0, p_high / (1 - p_high) * scale
        else:
            p_low = float(sps.beta.ppf(alpha / 2, e2, e1 + 1))
            res["ratio"], res["ratio_low"], res["ratio_high"] = math.inf, p_low / (1 - p_low) * scale, math.inf
    return res


def cluster_ratio(before: pd.Series, after: pd.Series, t1: int, t2: int, alpha: float = ALPHA) -> dict[str, float]:
    """Ratio of two rates per month of counts grouped in services (clusters), linearised variance.

    ``before``/``after``: count per service (index = service, the union of both
    periods' services; a service absent from a period counts 0 there). With
    ``Y1, Y2`` the totals, ``z_s = y_s2 / Y2 − y_s1 / Y1`` is the influence of
    service ``s`` on ``log(ratio)`` and ``var(log ratio) = C/(C−1) Σ z_s²`` (C
    services); t interval with ``C − 1`` degrees of freedom.
    """
    idx = before.index.union(after.index)
    y1 = before.reindex(idx, fill_value=0).astype(float)
    y2 = after.reindex(idx, fill_value=0).astype(float)
    c1, c2 = float(y1.sum()), float(y2.sum())
    r1, r2 = c1 / t1, c2 / t2
    res = {"count_before": c1, "count_after": c2, "months_before": t1, "months_after": t2,
           "rate_before": r1, "rate_after": r2, "ratio": math.nan, "ratio_low": math.nan, "ratio_high": math.nan,
           "diff": r2 - r1, "diff_low": math.nan, "diff_high": math.nan, "dispersion": math.nan,
           "df": float(len(idx) - 1), "clusters": len(idx)}
    n = len(idx)
    if n < 2:
        return res
    q = float(sps.t.ppf(1 - alpha / 2, n - 1))
    # difference per month: influence d_s = y_s2 / t2 − y_s1 / t1 around its mean
    d = y2 / t2 - y1 / t1
    se_d = math.sqrt(n / (n - 1) * float(((d - d.mean()) ** 2).sum()))
    if se_d > 0:
        res["diff_low"], res["diff_high"] = r2 - r1 - q * se_d, r2 - r1 + q * se_d
    if c1 > 0 and c2 > 0:
        z = y2 / c2 - y1 / c1
        se = math.sqrt(n / (n - 1) * float((z**2).sum()))
        ratio = r2 / r1
        res["ratio"] = ratio
        res["ratio_low"], res["ratio_high"] = ratio * math.exp(-q * se), ratio * math.exp(q * se)
    elif c1 > 0:
        res["ratio"] = 0.0
    return res


def design_effect(k_by_cluster: pd.Series, n_by_cluster: pd.Series) -> float:
    """Design effect of a proportion ``Σk / Σn`` whose units are grouped in clusters (at least 1).

    Cluster variance ``C/(C−1) Σ (k_s − p n_s)² / n²`` over the binomial one ``p(1 − p)/n``.
    """
    k, n = float(k_by_cluster.sum()), float(n_by_cluster.sum())
    c = int((n_by_cluster > 0).sum())
    if n <= 0 or c < 2:
        return 1.0
    p = k / n
    if p <= 0 or p >= 1:
        return 1.0
    kk = k_by_cluster.reindex(n_by_cluster.index, fill_value=0).astype(float)
    v_cluster = c / (c - 1) * float(((kk - p * n_by_cluster.astype(float)) ** 2).sum()) / n**2
    return max(1.0, v_cluster / (p * (1 - p) / n))


def newcombe_diff(k1: float, n1: float, k2: float, n2: float, deff1: float = 1.0, deff2: float = 1.0,
                  alpha: float = ALPHA) -> dict[str, float]:
    """Newcombe's hybrid score interval (method 10) of ``p2 − p1`` in percentage points.

    Wilson intervals of each proportion on effective sizes ``k/deff, n/deff``.
    """
    res = {"k_before": k1, "n_before": n1, "k_after": k2, "n_after": n2, "pct_before": pct(k1, n1),
           "pct_after": pct(k2, n2), "diff_pts": math.nan, "diff_low": math.nan, "diff_high": math.nan,
           "deff_before": deff1, "deff_after": deff2}
    if n1 <= 0 or n2 <= 0:
        return res
    p1, p2 = k1 / n1, k2 / n2
    res["diff_pts"] = 100 * (p2 - p1)
    if math.isnan(deff1) or math.isnan(deff2):  # too few services for a design effect: no interval
        return res
    l1, u1 = wilson_ci(k1 / deff1, n1 / deff1, alpha)
    l2, u2 = wilson_ci(k2 / deff2, n2 / deff2, alpha)
    d = p2 - p1
    res["diff_pts"] = 100 * d
    res["diff_low"] = 100 * (d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2))
    res["diff_high"] = 100 * (d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2))
    return res


def cluster_mean(values: pd.Series, clusters: pd.Series) -> tuple[float, float, int, int]:
    """Mean of ``values`` and its services-as-clusters variance; returns ``(mean, var, n, clusters)``."""
    ok = values.notna()
    v = values[ok].astype(float)
    g = clusters[ok].astype(str)
    n, c = len(v), int(g.nunique())
    if n == 0:
        return math.nan, math.nan, 0, 0
    m = float(v.mean())
    if c < 2:
        return m, math.nan, n, c
    s = (v - m).groupby(g).sum()
    return m, c / (c - 1) * float((s**2).sum()) / n**2, n, c


# --------------------------------------------------------------------------- comparisons


def run_design_effect(k_by_cluster: pd.Series, n_by_cluster: pd.Series) -> float:
    """:func:`design_effect` as the chapter uses it: NaN (no interval) for persons in 2 to
    ``MIN_CLUSTERS − 1`` services (:func:`analysis.analyses.cluster.too_few`)."""
    if too_few(int((n_by_cluster > 0).sum())):
        return math.nan
    return design_effect(k_by_cluster, n_by_cluster)


def share_comparison(hit1: pd.Series, base1: pd.Series, services1: pd.Series, hit2: pd.Series, base2: pd.Series,
                     services2: pd.Series) -> dict[str, float]:
    """Share of ``hit`` among the ``base`` persons of each period, compared (Newcombe, design effect of the
    services ``services1``/``services2`` each person belongs to)."""
    k1s = hit1[base1].groupby(services1[base1]).sum()
    n1s = base1.groupby(services1).sum()
    k2s = hit2[base2].groupby(services2[base2]).sum()
    n2s = base2.groupby(services2).sum()
    return newcombe_diff(float(k1s.sum()), float(n1s.sum()), float(k2s.sum()), float(n2s.sum()),
                         run_design_effect(k1s, n1s), run_design_effect(k2s, n2s))


def _monthly(df: pd.DataFrame, months: list[str], weights: pd.Series | None = None) -> np.ndarray:
    if weights is None:
        counts = df.groupby("month").size()
    else:
        counts = weights.groupby(df["month"]).sum()
    return counts.reindex(months, fill_value=0).to_numpy(dtype=float)


def _row(measure: str, scope: str, key: str, label: str, kind: str, person: bool, stats: dict,
         verdict: str, **extra) -> dict[str, Any]:
    return {"measure": measure, "scope": scope, "key": key, "label": label, "kind": kind, "person": person,
            **stats, "verdict": verdict, **extra}


def _scoped(ed: Edition, services: list[str] | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    if services is None:
        return ed.activities, ed.users, ed.submissions
    return (ed.activities[ed.activities["service_code"].isin(services)],
            ed.users[ed.users["service_code"].isin(services)],
            ed.submissions[ed.submissions["service_code"].isin(services)])


def compare_editions(before: Edition, after: Edition, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Every comparison of ``after`` with ``before``: one row per measure × scope × key.

    ``measure``: ``activities`` / ``participations`` (per month, by ``total``, axis
    or ``type.<code>``), ``users`` (new user demands per month), ``first_line``,
    ``referrer.<code>``, ``gender.<code>`` (shares), ``age_mean``,
    ``participation`` (services' participation rate). ``scope``: ``all`` or
    ``common`` (services present in both periods). ``kind``: ``ratio``, ``share``
    or ``mean`` tells which columns hold the estimate.
    """
    common = sorted(set(before.services) & set(after.services))
    axes = reference.table("axes", ref_dir).sort_values("order")
    types = reference.table("activity_types", ref_dir).sort_values("order")
    refs = reference.table("referrers", ref_dir).sort_values("order")
    first_codes = set(refs.loc[refs["first_line"].fillna(False).astype(bool), "code"])
    gender_labels = reference.labels("genders", ref_dir)
    rows: list[dict] = []
    for scope, services in (("all", None), ("common", common)):
        a1, u1, s1 = _scoped(before, services)
        a2, u2, s2 = _scoped(after, services)
        p1, p2 = participations(a1, ref_dir), participations(a2, ref_dir)
        groups = [("total", "Toutes activités", slice(None), None)]
        groups += [(a.code, a.short_fr, "axis", a.code) for a in axes.itertuples(index=False)]
        groups += [(f"type.{t.code}", t.label_fr, "activity_type", t.code) for t in types.itertuples(index=False)]
        for key, label, col, code in groups:
            m1 = slice(None) if code is None else (a1[col] == code).to_numpy()
            m2 = slice(None) if code is None else (a2[col] == code).to_numpy()
            g1, g2 = a1[m1], a2[m2]
            st = quasi_poisson_ratio(_monthly(g1, before.months), _monthly(g2, after.months))
            rows.append(_row("activities", scope, key, label, "ratio", False, st,
                             verdict_ratio(st["ratio_low"], st["ratio_high"]), method="quasi_poisson"))
            w1 = p1[m1].fillna(0).astype(float)
            w2 = p2[m2].fillna(0).astype(float)
            has_part = code is None or col == "axis" or types.set_index("code").loc[code, "participants"] != "none"
            if has_part and not (code == "divers"):
                st = quasi_poisson_ratio(_monthly(g1, before.months, w1), _monthly(g2, after.months, w2))
                rows.append(_row("participations", scope, key, label, "ratio", False, st,
                                 verdict_ratio(st["ratio_low"], st["ratio_high"]), method="quasi_poisson"))
        # new user demands per month (persons, clustered by service)
        clusters = sorted((set(before.services) | set(after.services)) if services is None else set(services))
        # a service with no new demand in either edition is no cluster of these persons (ninth review, M1:
        # counted, it made 17 clusters of persons spread over 9 services)
        has = set(u1["service_code"].dropna().astype(str)) | set(u2["service_code"].dropna().astype(str))
        clusters = [c for c in clusters if c in has]
        st = cluster_ratio(u1.groupby("service_code").size().reindex(clusters, fill_value=0),
                           u2.groupby("service_code").size().reindex(clusters, fill_value=0),
                           before.n_months, after.n_months)
        if too_few(len(clusters)):  # too few services for a clustered interval (analyses.cluster)
            st |= {"ratio_low": math.nan, "ratio_high": math.nan, "diff_low": math.nan, "diff_high": math.nan}
        rows.append(_row("users", scope, "total", "Nouvelles demandes d'usager·e·s", "ratio", True, st,
                         verdict_ratio(st["ratio_low"], st["ratio_high"]), method="cluster_poisson"))
        # shares of persons: first line, referrers, genders (Newcombe, design effect of services)
        def share(measure, key, label, hit1, base1, hit2, base2, u1=u1, u2=u2, scope=scope):
            st = share_comparison(hit1, base1, u1["service_code"], hit2, base2, u2["service_code"])
            rows.append(_row(measure, scope, key, label, "share", True, st,
                             verdict_diff(st["diff_low"], st["diff_high"], SHARE_MARGIN_PTS),
                             method="newcombe_deff"))
        known1 = u1["referrer"].notna() & (u1["referrer"] != "inconnu")
        known2 = u2["referrer"].notna() & (u2["referrer"] != "inconnu")
        share("first_line", "first_line", "Demandes de première ligne (personne ou entourage)",
              u1["referrer"].isin(first_codes), known1, u2["referrer"].isin(first_codes), known2)
        all1 = pd.Series(True, index=u1.index)
        all2 = pd.Series(True, index=u2.index)
        for r in refs.itertuples(index=False):
            share("referrer", r.code, r.label_fr, (u1["referrer"] == r.code).fillna(False), all1,
                  (u2["referrer"] == r.code).fillna(False), all2)
        for code in reference.codes("genders", ref_dir):
            share("gender", code, gender_labels.get(code, code), (u1["gender"] == code).fillna(False), all1,
                  (u2["gender"] == code).fillna(False), all2)
        m1, v1, n1, c1 = cluster_mean(u1["age"], u1["service_code"])
        m2, v2, n2, c2 = cluster_mean(u2["age"], u2["service_code"])
        st = {"mean_before": m1, "mean_after": m2, "n_before": n1, "n_after": n2, "diff": m2 - m1,
              "diff_low": math.nan, "diff_high": math.nan}
        if math.isfinite(v1) and math.isfinite(v2) and min(c1, c2) >= 2 and not (too_few(c1) or too_few(c2)):
            q = float(sps.t.ppf(1 - ALPHA / 2, min(c1, c2) - 1))
            se = math.sqrt(v1 + v2)
            st["diff_low"], st["diff_high"] = m2 - m1 - q * se, m2 - m1 + q * se
        rows.append(_row("age_mean", scope, "age_mean", "Âge moyen au premier contact (ans)", "mean", True, st,
                         verdict_diff(st["diff_low"], st["diff_high"], AGE_MARGIN_YEARS), method="cluster_mean"))
        # participation of services: service-months with activities returned
        k1s = s1.groupby("service_code")["returned_activities"].sum().astype(float)
        n1s = s1.groupby("service_code").size().astype(float)
        k2s = s2.groupby("service_code")["returned_activities"].sum().astype(float)
        n2s = s2.groupby("service_code").size().astype(float)
        st = newcombe_diff(float(k1s.sum()), float(n1s.sum()), float(k2s.sum()), float(n2s.sum()),
                           run_design_effect(k1s, n1s), run_design_effect(k2s, n2s))
        rows.append(_row("participation", scope, "rate", "Taux de participation des services (mois × service)",
                         "share", False, st, verdict_diff(st["diff_low"], st["diff_high"], SHARE_MARGIN_PTS),
                         method="newcombe_deff"))
    out = pd.DataFrame(rows)
    out.attrs["common_services"] = common
    return out


def _months_with_rows(act: pd.DataFrame, sub: pd.DataFrame) -> int:
    """Months with activities of one service: from its submissions rows, else from its activity rows
    (a service with rows but outside the period's registry)."""
    if len(sub):
        return int(sub["returned_activities"].fillna(False).sum())
    return int(act["month"].nunique())


def per_service(before: Edition, after: Edition, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Per service of the union of both registries: activities per month (quasi-Poisson ratio for the
    services present in both periods), new user demands and months with activities returned."""
    names = {**before.names, **after.names}
    rows = []
    for s in sorted(set(before.services) | set(after.services)):
        in1, in2 = s in before.services, s in after.services
        a1 = before.activities[before.activities["service_code"] == s]
        a2 = after.activities[after.activities["service_code"] == s]
        st = quasi_poisson_ratio(_monthly(a1, before.months), _monthly(a2, after.months))
        sub1 = before.submissions[before.submissions["service_code"] == s]
        sub2 = after.submissions[after.submissions["service_code"] == s]
        rows.append({
            "service_code": s, "name": names.get(s, s), "in_before": in1, "in_after": in2,
            "activities_before": int(len(a1)) if in1 else None, "activities_after": int(len(a2)) if in2 else None,
            "rate_before": st["rate_before"] if in1 else math.nan, "rate_after": st["rate_after"] if in2 else math.nan,
            "ratio": st["ratio"] if in1 and in2 else math.nan,
            "ratio_low": st["ratio_low"] if in1 and in2 else math.nan,
            "ratio_high": st["ratio_high"] if in1 and in2 else math.nan,
            "verdict": verdict_ratio(st["ratio_low"], st["ratio_high"]) if in1 and in2 else None,
            "users_before": int((before.users["service_code"] == s).sum()) if in1 else None,
            "users_after": int((after.users["service_code"] == s).sum()) if in2 else None,
            "months_returned_before": _months_with_rows(a1, sub1) if in1 else None,
            "months_returned_after": _months_with_rows(a2, sub2) if in2 else None,
            "months_before": before.n_months, "months_after": after.n_months,
        })
    return pd.DataFrame(rows)


def monthly_series(editions: list[Edition], ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Activities per calendar month and axis for each edition: ``edition, month, axis, n``.

    Months between periods are absent (the figure shows them as gaps).
    """
    axes = reference.table("axes", ref_dir).sort_values("order")["code"].tolist()
    rows = []
    for i, ed in enumerate(editions):
        tab = pd.crosstab(ed.activities["month"].astype(str), ed.activities["axis"].astype(str)) \
            if len(ed.activities) else pd.DataFrame()
        tab = tab.reindex(index=ed.months, columns=axes, fill_value=0).fillna(0)
        for m in ed.months:
            for a in axes:
                rows.append({"edition": i, "month": m, "axis": a, "n": int(tab.loc[m, a])})
    return pd.DataFrame(rows, columns=["edition", "month", "axis", "n"])


def provenance(ed: Edition) -> dict[str, Any]:
    """Where an edition's figures come from: run folder, raw folder name, period, commit, date."""
    man = ed.manifest or {}
    params = man.get("parameters", {}) or {}
    raw = params.get("raw")
    return {"run": ed.out.name, "raw": Path(raw).name if raw else None, "start": ed.start, "end": ed.end,
            "commit": man.get("commit"), "commit_dirty": man.get("commit_dirty"), "created": man.get("created"),
            "is_example": params.get("is_example"), "inputs_n": len(man.get("inputs", {}) or {})}


@dataclass
class EvolutionResults:
    """The current edition and, for each earlier one (oldest first), its comparison with the current."""

    current: Edition
    earlier: list[Edition]
    comparisons: list[pd.DataFrame]
    services: list[pd.DataFrame]
    series: pd.DataFrame
    changes: pd.DataFrame  # code_changes.csv
    mapped: pd.DataFrame  # changes that touched rows, with the edition index

    @property
    def compared(self) -> bool:
        return bool(self.earlier)


def analyse_evolution(current_out: Path, compare: list[Path] | tuple[Path, ...], start: str | None = None,
                      end: str | None = None, ref_dir: Path = REFERENCE_DIR,
                      raw: Path | str | None = None) -> EvolutionResults:
    """Load the current run and the earlier ones and compare each earlier one with the current.

    Codes are mapped by the reference table of code changes, the current raw folder's own
    ``code_changes.csv`` and those kept with the compared editions, in their raw folders or their
    run folders (see :func:`code_changes` and :func:`declared_code_changes`)."""
    earlier_raw = tuple(r for p in compare
                        if (r := (_read_json(run_paths(Path(p))["manifest"]).get("parameters") or {}).get("raw")))
    changes = code_changes(ref_dir, raw, (*earlier_raw, *compare))
    current = load_edition(current_out, ref_dir, start, end, raw, changes)
    earlier = sorted((load_edition(p, ref_dir, changes=changes) for p in compare),
                     key=lambda e: (e.start, e.end, str(e.out)))
    comparisons = [compare_editions(e, current, ref_dir) for e in earlier]
    services = [per_service(e, current, ref_dir) for e in earlier]
    eds = [*earlier, current]
    mapped = pd.concat([e.mapped.assign(edition=i) for i, e in enumerate(eds) if len(e.mapped)] or
                       [pd.DataFrame(columns=["domain", "old_code", "new_code", "table", "rows", "edition"])],
                       ignore_index=True)
    return EvolutionResults(current=current, earlier=earlier, comparisons=comparisons, services=services,
                            series=monthly_series(eds, ref_dir), changes=changes, mapped=mapped)


def evolution_metrics(res: EvolutionResults) -> dict[str, Any]:
    """Flat exact metrics for ``metrics.json`` (``evolution.*``).

    Values derived from person counts (new demands, shares of persons, ages) are
    left out: only their reading (``verdict``) is kept, so that no prose variable
    can reveal a small count; their exact values are in the run's exact tables.
    """
    m: dict[str, Any] = {"evolution.compared_n": len(res.earlier)}
    for i, (ed, comp) in enumerate(zip(res.earlier, res.comparisons, strict=True), start=1):
        p = f"evolution.editions.{i}"
        m[f"{p}.start"], m[f"{p}.end"] = ed.start, ed.end
        m[f"{p}.common_services_n"] = len(comp.attrs.get("common_services", []))
        for r in comp.to_dict("records"):
            base = f"{p}.{r['scope']}.{r['measure']}.{r['key']}"
            m[f"{base}.verdict"] = r["verdict"]
            if r["person"]:
                continue  # person counts and shares stay in the exact tables (``<out>/exact/``), not in prose
            if r["kind"] == "ratio":
                for c in ("rate_before", "rate_after", "ratio", "ratio_low", "ratio_high"):
                    m[f"{base}.{c}"] = r[c]
            elif r["kind"] == "share":
                for c in ("pct_before", "pct_after", "diff_pts", "diff_low", "diff_high"):
                    m[f"{base}.{c}"] = r[c]
            else:
                for c in ("mean_before", "mean_after", "diff", "diff_low", "diff_high"):
                    m[f"{base}.{c}"] = r[c]
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in m.items()}
