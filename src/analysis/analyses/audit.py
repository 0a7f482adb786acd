"""Consistency audit: every figure printed in the 2022 report against the value recomputed.

The printed figures are ``data/reference/published_figures.yaml`` (a copy of
``shared/spec/published-figures.yaml``); ``data/reference/audit_map.csv`` says
which metric recomputes each one (``a+b`` sums metrics) and carries the notes on
the printed report's own contradictions. A printed value is matched to the
precision it was printed with: ``75`` against a computed 75.04 is consistent,
``55.7`` is compared to one decimal.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import yaml

from analysis.config import REFERENCE_DIR

STATUS_OK = "conforme"
STATUS_DIFF = "écart"
STATUS_NA = "non recalculable"


def flatten_yaml(data: dict, prefix: str = "") -> dict[str, object]:
    """Flatten the nested YAML of printed figures into dotted paths (notes kept)."""
    out: dict[str, object] = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(flatten_yaml(value, path))
        else:
            out[path] = value
    return out


def load_published(ref_dir: Path = REFERENCE_DIR) -> dict[str, object]:
    """Printed figures by dotted path; YAML dates (``2021-09``) stay strings."""
    text = (Path(ref_dir) / "published_figures.yaml").read_text(encoding="utf-8")
    return flatten_yaml(yaml.load(text, Loader=yaml.BaseLoader))


def _decimals(printed: str) -> int:
    return len(printed.split(".")[1]) if "." in printed else 0


def _computed(expr: str, metrics: dict) -> float | str | None:
    parts = [p.strip() for p in expr.split("+")]
    values = [metrics.get(p) for p in parts]
    if any(v is None for v in values):
        return None
    if len(values) == 1:
        return values[0]
    return sum(values)


def compare(printed: str, computed) -> str:
    """Status of one printed value against its recomputation."""
    if computed is None:
        return STATUS_NA
    if isinstance(computed, str):
        return STATUS_OK if computed == printed else STATUS_DIFF
    try:
        p = float(printed)
    except ValueError:
        return STATUS_DIFF
    c = float(computed)
    if math.isnan(c):
        return STATUS_NA
    d = _decimals(printed)
    # round half up on the printed precision, as a person rounding by hand would
    rounded = math.floor(c * 10**d + 0.5) / 10**d
    return STATUS_OK if abs(rounded - p) < 1e-9 else STATUS_DIFF


def build_audit(metrics: dict, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """One row per printed figure: label, printed, recomputed, status, note."""
    published = load_published(ref_dir)
    mapping = pd.read_csv(Path(ref_dir) / "audit_map.csv", dtype=str, keep_default_na=False)
    rows = []
    for rec in mapping.itertuples(index=False):
        if rec.figure not in published:
            raise KeyError(f"audit_map.csv names {rec.figure}, absent from published_figures.yaml")
        printed = str(published[rec.figure])
        computed = _computed(rec.metric, metrics) if rec.metric else None
        rows.append(
            {
                "figure": rec.figure,
                "label": rec.label_fr,
                "printed": printed,
                "metric": rec.metric,
                "computed": computed,
                "status": compare(printed, computed),
                "contradiction": rec.note_fr.startswith("Contradiction"),
                "note": rec.note_fr,
            }
        )
    return pd.DataFrame(rows)


def unmapped_figures(ref_dir: Path = REFERENCE_DIR) -> list[str]:
    """Printed figures (outside the SOSA_18 annex, notes and the period) with no audit row."""
    published = load_published(ref_dir)
    mapping = pd.read_csv(Path(ref_dir) / "audit_map.csv", dtype=str, keep_default_na=False)
    mapped = set(mapping["figure"])
    skip = ("sosa18_budget.", "activities_pros.note", "users_new_demands.commune_top_pct")
    return sorted(
        k for k in published if k not in mapped and not k.startswith(skip) and not k.endswith(".place")
    )
