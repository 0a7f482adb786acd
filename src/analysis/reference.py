"""Reference tables (``data/reference/*.csv``): code lists, communes, services.

Category codes and their French labels live in these CSV files and nowhere
else; code reads them through :func:`codes` and :func:`labels`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from analysis.config import REFERENCE_DIR

#: code-list domains, each a CSV file ``<domain>.csv`` with at least ``code`` and ``label_fr``.
DOMAINS = (
    "axes",
    "activity_types",
    "referrers",
    "income_sources",
    "requesting_services",
    "genders",
    "places",
    "regions",
    "census_requesters",
    "publics",
    "followups",
    "census_outcomes",
    "reorientation_reasons",
    "yes_no_unknown",
    "census_waves",
    "kinds",
    "calls",
)


@cache
def _read(name: str, ref_dir: str) -> pd.DataFrame:
    path = Path(ref_dir) / f"{name}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in df.columns:
        if col == "order":
            df[col] = df[col].astype(int)
        elif col in ("first_line", "constrained"):
            df[col] = df[col].map({"true": True, "false": False, "": pd.NA}).astype("boolean")
    return df


def table(name: str, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Return a copy of reference table ``name`` (all columns as strings but flags/order)."""
    return _read(name, str(ref_dir)).copy()


def codes(domain: str, ref_dir: Path = REFERENCE_DIR) -> list[str]:
    """Codes of a domain, in their reference order."""
    df = table(domain, ref_dir)
    if "order" in df:
        df = df.sort_values("order")
    return df["code"].tolist()


def labels(domain: str, ref_dir: Path = REFERENCE_DIR) -> dict[str, str]:
    """Map code -> French label for a domain."""
    df = table(domain, ref_dir)
    return dict(zip(df["code"], df["label_fr"], strict=True))


def communes(ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The 19 Brussels municipalities (NIS code, names, postal codes, basin)."""
    return table("communes", ref_dir)


def population(year: int, ref_dir: Path = REFERENCE_DIR) -> pd.Series:
    """Population on 1 January of ``year`` by NIS code (nearest available year if missing)."""
    df = table("population", ref_dir)
    df["year"] = df["year"].astype(int)
    years = sorted(df["year"].unique())
    chosen = min(years, key=lambda y: (abs(y - year), -y))
    sel = df[df["year"] == chosen]
    return pd.Series(sel["population"].astype(int).values, index=sel["nis_code"], name="population")


def income(year: int, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Mean net taxable income per return and per inhabitant by NIS code.

    No commune-level median is published for all 19 communes, so the mean per
    tax return is the socio-economic indicator (nearest available income year).
    """
    df = table("income", ref_dir)
    df["income_year"] = df["income_year"].astype(int)
    years = sorted(df["income_year"].unique())
    chosen = min(years, key=lambda y: (abs(y - year), -y))
    sel = df[df["income_year"] == chosen].set_index("nis_code")
    out = sel[["mean_income_per_return_eur", "mean_income_per_inhabitant_eur"]].astype(float)
    out.attrs["income_year"] = chosen
    return out


def services(ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Services registry: PRR-funded services and the census' pseudonymous SSMs."""
    return table("services", ref_dir)


def funded_services(start: str, end: str, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """PRR services funded at some point between months ``start`` and ``end`` (YYYY-MM)."""
    s = services(ref_dir)
    s = s[s["instrument"] == "prr"]
    frm = s["funded_from"].replace("", "0000-00")
    to = s["funded_to"].replace("", "9999-12")
    return s[(frm <= end) & (to >= start)].reset_index(drop=True)
