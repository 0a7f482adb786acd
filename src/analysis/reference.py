"""Reference tables (``data/reference/*.csv``): code lists, communes, services.

Category codes and their French labels live in these CSV files and nowhere
else; code reads them through :func:`codes` and :func:`labels`.
"""

from __future__ import annotations

import os
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


#: Environment variable naming the researcher's registry override (``<raw>/services.csv``).
#: Set by the pipeline for every step of a run (the notebooks' kernels inherit it) and by
#: :func:`analysis.ingest.registry.active` around a cleaning.
SERVICES_OVERRIDE_ENV = "PRR_SERVICES_OVERRIDE"
SERVICES_COLUMNS = ("code", "name", "aliases", "instrument", "call", "kind", "funder", "funded_from",
                    "funded_to", "source")


class RegistryError(ValueError):
    """The registry override cannot be used; the message is French, on one line."""


@cache
def _overlay(base_dir: str, override: str, stamp: tuple) -> pd.DataFrame:
    base = _read("services", base_dir).copy()
    path = Path(override)
    try:
        extra = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python",
                            encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise RegistryError(f"registre des services {path.name} illisible ({type(exc).__name__})") from None
    extra.columns = [str(c).strip() for c in extra.columns]
    unknown = [c for c in extra.columns if c not in SERVICES_COLUMNS]
    if "code" not in extra.columns or unknown:
        raise RegistryError(
            f"registre des services {path.name} : colonnes attendues {', '.join(SERVICES_COLUMNS)} "
            f"(au moins « code »)" + (f" ; colonnes inconnues : {', '.join(unknown)}" if unknown else ""))
    extra = extra.apply(lambda col: col.str.strip())
    month = r"^(\d{4}-(0[1-9]|1[0-2]))?$"
    for n, row in enumerate(extra.to_dict("records"), start=2):
        if not row["code"]:
            raise RegistryError(f"registre des services {path.name}, ligne {n} : code vide")
        for col in ("funded_from", "funded_to"):
            if col in row and not pd.Series([row[col]]).str.match(month).iloc[0]:
                raise RegistryError(f"registre des services {path.name}, ligne {n} : {col} doit être un mois "
                                    f"AAAA-MM ou vide, reçu « {row[col]} »")
        if row.get("instrument", "prr") not in ("prr", "census", ""):
            raise RegistryError(f"registre des services {path.name}, ligne {n} : instrument « prr » ou "
                                f"« census », reçu « {row['instrument']} »")
    out = base.set_index("code")
    for row in extra.to_dict("records"):
        code = row.pop("code")
        if code in out.index:  # filled cells replace the bundled ones; empty cells keep them
            for col, value in row.items():
                if value != "":
                    out.loc[code, col] = value
        else:
            new = {c: "" for c in out.columns}
            new.update({"instrument": "prr", "name": code})
            new.update({k: v for k, v in row.items() if v != "" or k not in ("instrument", "name")})
            out.loc[code] = pd.Series(new)
    return out.reset_index()[list(base.columns)]


def services_override() -> Path | None:
    """The registry override file in force (see :data:`SERVICES_OVERRIDE_ENV`), if any."""
    value = os.environ.get(SERVICES_OVERRIDE_ENV)
    return Path(value) if value else None


def services(ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Services registry: PRR-funded services and the census' pseudonymous SSMs.

    For the bundled reference folder, the researcher's override (``services.csv`` of
    the raw folder, see :mod:`analysis.ingest.registry`) replaces rows by code and adds
    new ones.
    """
    override = services_override()
    if override is not None and Path(ref_dir) == REFERENCE_DIR and override.is_file():
        st = override.stat()
        return _overlay(str(ref_dir), str(override), (st.st_mtime_ns, st.st_size)).copy()
    return table("services", ref_dir)


def funded_services(start: str, end: str, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """PRR services funded at some point between months ``start`` and ``end`` (YYYY-MM)."""
    s = services(ref_dir)
    s = s[s["instrument"] == "prr"]
    frm = s["funded_from"].replace("", "0000-00")
    to = s["funded_to"].replace("", "9999-12")
    return s[(frm <= end) & (to >= start)].reset_index(drop=True)
