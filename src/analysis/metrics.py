"""The run's metrics: every number the report quotes, under flat dotted keys.

Each analysis step writes its own part (``<out>/metrics/<step>.json``) so that
steps can run in parallel; :func:`merge` joins the parts into
``<out>/metrics.json``. Values are exact (no rounding, no disclosure control):
this file is an internal record that stays with the run; what is published is
formatted and controlled when the report's variables are generated.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

Value = int | float | str | bool | None


def _plain(value) -> Value:
    """Convert numpy / pandas scalars to JSON types; NaN becomes None."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if math.isnan(v) else v
    if isinstance(value, str):
        return value
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    raise TypeError(f"metric value of unsupported type {type(value).__name__}: {value!r}")


def flatten(prefix: str, values: Mapping) -> dict[str, Value]:
    """Flatten a nested mapping into dotted keys under ``prefix``."""
    flat: dict[str, Value] = {}
    for key, value in values.items():
        full = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            flat.update(flatten(full, value))
        else:
            flat[full] = _plain(value)
    return flat


def write_part(out: Path, step: str, values: Mapping) -> Path:
    """Write one step's metrics to ``<out>/metrics/<step>.json`` (sorted, stable)."""
    flat = flatten("", values)
    path = Path(out) / "metrics" / f"{step}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(flat, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def merge(out: Path) -> Path:
    """Merge every part into ``<out>/metrics.json``; a key written twice is an error."""
    merged: dict[str, Value] = {}
    for part in sorted((Path(out) / "metrics").glob("*.json")):
        for key, value in json.loads(part.read_text(encoding="utf-8")).items():
            if key in merged and merged[key] != value:
                raise ValueError(f"metric {key} written with two values ({part.name})")
            merged[key] = value
    path = Path(out) / "metrics.json"
    path.write_text(json.dumps(merged, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load(out: Path) -> dict[str, Value]:
    """Read ``<out>/metrics.json``."""
    return json.loads((Path(out) / "metrics.json").read_text(encoding="utf-8"))
